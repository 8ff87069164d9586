"""Build `.Delay` and `.DelayedLowpass` synapses in NengoDL: operators, builders.

The builder turns the delays into interpolation weights once per run
(``build_pre``): for a delay of ``i + f`` steps, ``1 - f`` on the input ``i`` steps
back and ``f`` on the one before. The whole steps ``i`` carry no gradient; the
fraction ``f`` carries the gradient of the delay. Each step then shifts the
input into the delay line (simulation state, one per minibatch item) and sums the
weighted line, so a delay of ``length`` steps costs ``length`` multiply-adds per
element and step.
"""

import tensorflow as tf
from nengo.builder import Signal
from nengo_dl.builder import Builder, OpBuilder

from nengo_dl_trainable.delay import WHOLE_STEP_TOLERANCE
from nengo_dl_trainable.delay_parameterization import DelayedLowpassParameterization
from nengo_dl_trainable.filter_parameterization import zoh_lowpass_coefficients
from nengo_dl_trainable.grouped_parameters import (
    element_rows,
    parameter_rows,
    read_grouped_parameter,
)
from nengo_dl_trainable.operators import (
    SimTrainableDelay,
    SimTrainableDelayedLowpass,
    filters_mergeable,
)


def delay_operator(parameterization, parameters, input, output, dt, tag=None):
    """The operator that delays (and for a `.DelayedLowpass`, filters) ``input``.

    Parameters
    ----------
    parameterization : `.DelayParameterization` or `.DelayedLowpassParameterization`
        The synapse's parameterization.
    parameters : dict of str: `~nengo.builder.Signal`
        The parameter signals (``"delay"``, and ``"tau"`` for a
        `.DelayedLowpass`).
    input, output : `~nengo.builder.Signal`
        Vectors of the same shape.
    dt : float
        The time step in seconds (fixes the delay line's length).
    tag : str, optional
        Label for debugging.

    Returns
    -------
    `.SimTrainableDelay` or `.SimTrainableDelayedLowpass`
    """
    length = parameterization.buffer_length(dt)
    buffer = Signal(shape=(input.shape[0] * length,), name=f"{tag}.buffer")
    delay = parameters["delay"]
    if isinstance(parameterization, DelayedLowpassParameterization):
        return SimTrainableDelayedLowpass(
            parameterization, delay, parameters["tau"], input, output, buffer, tag=tag
        )
    return SimTrainableDelay(parameterization, delay, input, output, buffer, tag=tag)


def interpolation_weights(delay_steps, length):
    """The weight of each step of the delay line (TensorFlow).

    The TensorFlow form of `nengo_dl_trainable.delay.interpolation_weights`
    (with its `.WHOLE_STEP_TOLERANCE`), differentiable in the fraction of a step.

    Parameters
    ----------
    delay_steps : ``tf.Tensor``
        Delays in steps, shape ``(rows,)``.
    length : int
        Steps in the delay line.

    Returns
    -------
    ``tf.Tensor``
        Shape ``(rows, length)``.
    """
    whole = tf.floor(delay_steps + WHOLE_STEP_TOLERANCE)
    whole = tf.clip_by_value(whole, 0, length - 2)
    fraction = (delay_steps - whole)[:, None]
    whole = tf.cast(whole, tf.int32)
    dtype = delay_steps.dtype
    return (1 - fraction) * tf.one_hot(whole, length, dtype=dtype) + fraction * (
        tf.one_hot(whole + 1, length, dtype=dtype)
    )


@Builder.register(SimTrainableDelay)
class TrainableDelayBuilder(OpBuilder):
    """Build a group of `.SimTrainableDelay` operators.

    Operators with inputs of the same size, delay lines of the same length and
    the same parameterization structure merge (see `.filters_mergeable`).
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        ops = self.ops
        parameterization = ops[0].parameterization
        self.length = ops[0].length
        self.input_data = signals.combine([op.input for op in ops])
        self.output_data = signals.combine([op.output for op in ops])
        self.buffer_data = signals.combine([op.buffer for op in ops])
        if not self.input_data.minibatched:  # pragma: no cover
            raise NotImplementedError("delays need minibatched signals")

        stored = read_grouped_parameter(signals, ops, lambda op: op.delay)[:, 0]
        # float64 whatever the simulation's dtype, so that a delay of a whole
        # number of steps gives that step's input (0.005 / 0.001 is 5.0000005 in
        # float32); once per run, not per step
        encoding = parameterization.encodings["delay"]
        delay = encoding.decode(tf.cast(stored, tf.float64), tf)
        weights = tf.cast(
            interpolation_weights(delay / signals.dt_val, self.length), signals.dtype
        )
        elements = element_rows(
            [op.input.shape[0] for op in ops],
            [parameter_rows(op.delay) for op in ops],
        )
        self.n_elements = len(elements)
        self.weights = tf.gather(weights, elements)[None]  # (1, elements, length)

    def delayed_input(self, signals):
        """Shift the input into the delay line; return the delayed input."""
        u = signals.gather(self.input_data)
        line = tf.reshape(
            signals.gather(self.buffer_data),
            (signals.minibatch_size, self.n_elements, self.length),
        )
        line = tf.concat([u[..., None], line[..., :-1]], axis=-1)
        signals.scatter(
            self.buffer_data,
            tf.reshape(line, (signals.minibatch_size, self.n_elements * self.length)),
        )
        return tf.reduce_sum(self.weights * line, axis=-1)

    def build_step(self, signals):
        signals.scatter(self.output_data, self.delayed_input(signals))

    @staticmethod
    def mergeable(x, y):
        return (
            filters_mergeable(x, y)
            and x.length == y.length
            and x.parameterization.signature == y.parameterization.signature
        )


@Builder.register(SimTrainableDelayedLowpass)
class TrainableDelayedLowpassBuilder(TrainableDelayBuilder):
    """Build a group of `.SimTrainableDelayedLowpass` operators.

    The delay line as `TrainableDelayBuilder`'s, then the zero-order-hold lowpass
    step ``y[t] = a y[t-1] + b v[t]`` on the delayed input ``v``, with ``a`` and
    ``b`` from `.zoh_lowpass_coefficients` (once per run). Merges as
    `TrainableDelayBuilder` does.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        ops = self.ops
        stored = read_grouped_parameter(signals, ops, lambda op: op.tau)[:, 0]
        tau = ops[0].parameterization.encodings["tau"].decode(stored, tf)
        decay, gain = zoh_lowpass_coefficients(tau, signals.dt_val)
        elements = element_rows([op.input.shape[0] for op in ops], [1] * len(ops))
        self.decay = tf.gather(decay, elements)[None]
        self.gain = tf.gather(gain, elements)[None]

    def build_step(self, signals):
        delayed = self.delayed_input(signals)
        y = signals.gather(self.output_data)
        signals.scatter(self.output_data, self.decay * y + self.gain * delayed)
