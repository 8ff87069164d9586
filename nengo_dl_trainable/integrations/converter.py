"""Convert KerasSpiking ``Lowpass`` and ``Alpha`` layers whatever their time constants.

The rules and the maths are on the user guide page (``docs/user_guide.rst``), section
"Converting KerasSpiking models": written there once, so that page and code cannot
drift.
"""

import importlib.util
import warnings

import nengo
import numpy as np
import tensorflow as tf
from nengo.exceptions import ConfigError
from nengo_dl import compat
from nengo_dl.converter import Converter, ConvertKerasSpiking, ConvertLowpassAlpha

from nengo_dl_trainable._nengo_dl import configure_settings
from nengo_dl_trainable.config.names import PARAM_NAME
from nengo_dl_trainable.synapses import VectorAlpha, VectorLowpass


def _time_constants(layer):
    return np.ravel(tf.keras.backend.get_value(layer.layer.cell.tau)).astype(np.float64)


class ConvertLowpassAlphaPerElement(ConvertLowpassAlpha):
    """Convert ``keras_spiking.Lowpass`` / ``Alpha`` with any time constants."""

    def convert(self, node_id):
        ConvertKerasSpiking.convert(self, node_id)  # NengoDL's dt/stateful warnings
        output = self.add_nengo_obj(node_id)
        tau = _time_constants(self.layer)
        lowpass = isinstance(self.layer, compat.Lowpass)
        if np.all(tau == tau[0]):
            synapse = (nengo.Lowpass if lowpass else nengo.Alpha)(tau[0])
        else:
            synapse = (VectorLowpass if lowpass else VectorAlpha)(tau)
        conn = self.add_connection(node_id, output, synapse=synapse)
        if self.layer.trainable and not self.converter.inference_only:
            self._train_synapse(conn)
        return output

    @staticmethod
    def _train_synapse(conn):
        # the outermost network being built is the converted model's
        top = nengo.Network.context[0]
        try:
            getattr(top.config[nengo.Connection], PARAM_NAME)
        except (AttributeError, ConfigError):
            with top:
                configure_settings(trainable_params=None)
        top.config[conn].trainable_params = {"synapse"}

    @classmethod
    def convertible(cls, layer, converter):
        if not np.allclose(
            tf.keras.backend.get_value(layer.layer.cell.initial_level), 0
        ):
            return False, (
                f"Cannot convert a {type(layer).__name__} layer to native Nengo "
                f"objects with initial_level != 0 (Nengo filters start from zero)"
            )
        # NengoDL's checks of the layer's arguments, without its restrictions to
        # equal and untrainable time constants
        return super(ConvertLowpassAlpha, cls).convertible(layer, converter)


def register_converter():
    """Register the layer converter for KerasSpiking's layers (idempotent).

    Does nothing if ``keras_spiking`` is not installed.
    """
    if importlib.util.find_spec("keras_spiking") is None:
        return
    for layer_type in (compat.Lowpass, compat.Alpha):
        if Converter.converters.get(layer_type) is not ConvertLowpassAlphaPerElement:
            with warnings.catch_warnings():
                # replacing NengoDL's converter for these layers is the point
                warnings.filterwarnings("ignore", message=".*already has a converter")
                Converter.register(layer_type)(ConvertLowpassAlphaPerElement)
