"""What the time-constant learning benchmarks share: recording, KerasSpiking models."""

import time

import keras_spiking
import numpy as np
import tensorflow as tf


class EpochRecorder(tf.keras.callbacks.Callback):
    """Records time constants and wall time after every epoch.

    Parameters
    ----------
    read_taus : callable
        Returns the current time constants (seconds), or None if they have none.
    stop_when : callable, optional
        Given the time constants, whether to stop training.
    """

    def __init__(self, read_taus, stop_when=None):
        super().__init__()
        self.read_taus, self.stop_when = read_taus, stop_when
        self.taus, self.times = [], []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)
        self.taus.append(self.read_taus())
        if self.stop_when is not None and self.stop_when(self.taus[-1]):
            self.model.stop_training = True


def keras_lowpass_chain(taus, dt):
    """A Keras model of KerasSpiking ``Lowpass`` layers in series, and the layers.

    Parameters
    ----------
    taus : sequence of float
        Initial time constants (seconds), one layer each.
    dt : float
        Time step (seconds).

    Returns
    -------
    model : ``tf.keras.Model``
    layers : list of ``keras_spiking.Lowpass``
    """
    inp = y = tf.keras.Input((None, 1))
    layers = []
    for tau in taus:
        # as Nengo's filters, which start from zero
        layers.append(
            keras_spiking.Lowpass(
                tau_initializer=tau, dt=dt, initial_level_constraint=tf.zeros_like
            )
        )
        y = layers[-1](y)
    return tf.keras.Model(inp, y), layers


def keras_taus(layers):
    """The current time constants (seconds) of KerasSpiking filter layers.

    All the time constants of each layer (one per unit, or one), layer by layer.
    """
    # the forward pass clips tau at 1e-8
    return [
        max(float(tau), 1e-8)
        for layer in layers
        for tau in np.ravel(layer.layer.cell.tau.numpy())
    ]
