"""NengoDL builders of this package's synapse operators (TensorFlow).

One `~nengo_dl.builder.OpBuilder` per operator type, as in NengoDL's
``process_builders``: `TrainableLowpassBuilder` and `TrainableLinearFilterBuilder`
compute the filter coefficients once per run in ``build_pre``, from the parameter
variables, so that each step costs what NengoDL's own synapse builders cost.
`TrainableDelayBuilder` and `TrainableDelayedLowpassBuilder` turn the delays into
interpolation weights once per run: for a delay of ``i + f`` steps, ``1 - f`` on
the input ``i`` steps back and ``f`` on the one before. The whole steps ``i``
carry no gradient; the fraction ``f`` carries the gradient of the delay. Each
step shifts the input into the delay line (simulation state, one per minibatch
item) and sums the weighted line, so a delay of ``length`` steps costs
``length`` multiply-adds per element and step.
"""

import tensorflow as tf
from nengo_dl.builder import Builder, OpBuilder

from nengo_dl_trainable.builder.operators import (
    SimTrainableDelay,
    SimTrainableDelayedLowpass,
    SimTrainableLinearFilter,
    SimTrainableLowpass,
    filters_mergeable,
)
from nengo_dl_trainable.merged_rows import (
    element_rows,
    parameter_rows,
    read_grouped_parameter,
)
from nengo_dl_trainable.parameterizations.filter import zoh_lowpass_coefficients
from nengo_dl_trainable.synapses import WHOLE_STEP_TOLERANCE


@Builder.register(SimTrainableLowpass)
class TrainableLowpassBuilder(OpBuilder):
    """Build a group of `.SimTrainableLowpass` operators.

    Operators with inputs of the same size merge into one group (see
    `.filters_mergeable`); the coefficients are repeated for every element of each
    operator's input (or, for per-dimension time constants, one per element).
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        self.input_data = signals.combine([op.input for op in self.ops])
        self.output_data = signals.combine([op.output for op in self.ops])

        theta = read_grouped_parameter(signals, self.ops, lambda op: op.theta)[:, 0]
        tau = self.ops[0].parameterization.encoding.decode(theta, tf)
        # matches NengoDL's treatment of very short time constants exactly
        decay, gain = zoh_lowpass_coefficients(tau, signals.dt_val)

        elements = element_rows(
            [op.input.shape[0] for op in self.ops],
            [parameter_rows(op.theta) for op in self.ops],
        )
        self.decay = tf.gather(decay, elements)
        self.gain = tf.gather(gain, elements)
        if self.input_data.minibatched:
            self.decay = self.decay[None, :]
            self.gain = self.gain[None, :]

    def build_step(self, signals):
        u = signals.gather(self.input_data)
        y = signals.gather(self.output_data)
        signals.scatter(self.output_data, self.decay * y + self.gain * u)

    @staticmethod
    def mergeable(x, y):
        # one time constant per op, or one per element: not both in one group
        return (
            filters_mergeable(x, y)
            and x.theta.ndim == y.theta.ndim
            and x.step_scale == y.step_scale
        )


#: Highest filter order whose step `TrainableLinearFilterBuilder` writes one state
#: component at a time; above it, one product of the stacked matrices. A
#: component is a ``(minibatch, elements)`` tensor, so a step of order ``q``
#: costs about ``q * (q + 2)`` elementwise products either way, but the stacked
#: form pays for broadcasting over a fourth axis and, in the gradient, for
#: tiling it back. Measured on a 50-step loop with its gradient (minibatch 16,
#: 2048 elements, TensorFlow 2.12 on two cores), components against the stacked
#: form: order 2 0.63x, 3 0.66x, 4 0.70x, 8 1.67x (``docs/benchmarks.rst``).
COMPONENT_ORDER_LIMIT = 4


@Builder.register(SimTrainableLinearFilter)
class TrainableLinearFilterBuilder(OpBuilder):
    r"""Build a group of `.SimTrainableLinearFilter` operators.

    Operators whose filters have the same structure (parameterization type, order,
    direct term, discretization) and whose inputs have the same size merge (see
    `.filters_mergeable`).

    Each element :math:`e` of the input has its own system
    :math:`(A_e, B_e, C_e, D_e)`, computed once per run. Up to order
    `COMPONENT_ORDER_LIMIT` a step is written per state component,
    :math:`x_i \leftarrow \sum_j A_{ij} x_j + B_i u`, each term an elementwise
    product over the minibatch and the elements; above it, as one product of the
    stacked matrices.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        parameterization = self.ops[0].parameterization
        self.order = parameterization.order
        self.direct_term = parameterization.direct_term
        self.input_data = signals.combine([op.input for op in self.ops])
        self.output_data = signals.combine([op.output for op in self.ops])
        self.state_data = (
            None if self.order == 0 else signals.combine([op.state for op in self.ops])
        )
        if not self.input_data.minibatched:  # pragma: no cover
            raise NotImplementedError("trainable filters need minibatched signals")

        # float64 whatever the simulation's dtype: matrix exponentials and solves
        # of higher-order filters lose digits in float32, and this runs once per
        # run, not per step
        values = {
            name: tf.cast(
                read_grouped_parameter(
                    signals, self.ops, lambda op, n=name: op.parameters[n]
                ),
                tf.float64,
            )
            for name in parameterization.parameters
        }
        A, B, C, D = (
            tf.cast(x, signals.dtype)
            for x in parameterization.discrete_system(values, signals.dt_val)
        )
        first = parameterization.parameters[0]
        elements = element_rows(
            [op.input.shape[0] for op in self.ops],
            [parameter_rows(op.parameters[first]) for op in self.ops],
        )
        self.n_elements = len(elements)
        self.D = tf.gather(D, elements)[None, :]
        self.by_component = self.order <= COMPONENT_ORDER_LIMIT
        if self.order == 0:
            return
        A, B, C = (tf.gather(x, elements) for x in (A, B[:, :, 0], C[:, 0, :]))
        if self.by_component:
            # one (1, elements) row per coefficient
            self.A = [
                [A[None, :, i, j] for j in range(self.order)] for i in range(self.order)
            ]
            self.B = [B[None, :, i] for i in range(self.order)]
            self.C = [C[None, :, j] for j in range(self.order)]
        else:
            self.A, self.B, self.C = A[None], B[None], C[None]

    def advance(self, x, u):
        r"""The next state, :math:`A x + B u`, of each element.

        Parameters
        ----------
        x : list of ``tf.Tensor`` or ``tf.Tensor``
            The state: ``order`` components of shape ``(minibatch, elements)``
            (up to `COMPONENT_ORDER_LIMIT`), else one tensor of shape
            ``(minibatch, elements, order)``.
        u : ``tf.Tensor``
            The input, shape ``(minibatch, elements)``.

        Returns
        -------
        list of ``tf.Tensor`` or ``tf.Tensor``
            The next state, in the form of ``x``.
        """
        if self.by_component:
            return [
                tf.add_n(
                    [self.B[i] * u] + [a * x_j for a, x_j in zip(row, x, strict=True)]
                )
                for i, row in enumerate(self.A)
            ]
        return tf.reduce_sum(self.A * x[:, :, None, :], axis=-1) + self.B * u[..., None]

    def readout(self, x):
        """The output :math:`C x` of each element, without the direct term.

        Parameters
        ----------
        x : list of ``tf.Tensor`` or ``tf.Tensor``
            The state, in the form `advance` takes.

        Returns
        -------
        ``tf.Tensor``
            Shape ``(minibatch, elements)``.
        """
        if self.by_component:
            return tf.add_n([c * x_j for c, x_j in zip(self.C, x, strict=True)])
        return tf.reduce_sum(self.C * x, axis=-1)

    def build_step(self, signals):
        u = signals.gather(self.input_data)
        if self.order == 0:
            signals.scatter(self.output_data, self.D * u)
            return
        # the state is stored element-major: (minibatch, elements * order)
        x = tf.reshape(
            signals.gather(self.state_data),
            (signals.minibatch_size, self.n_elements, self.order),
        )
        if self.by_component:
            x = tf.unstack(x, axis=-1)
        if self.direct_term:
            y = self.readout(x) + self.D * u
            x = self.advance(x, u)
        else:
            x = self.advance(x, u)
            y = self.readout(x)
        if self.by_component:
            x = tf.stack(x, axis=-1)
        signals.scatter(
            self.state_data,
            tf.reshape(x, (signals.minibatch_size, self.n_elements * self.order)),
        )
        signals.scatter(self.output_data, y)

    @staticmethod
    def mergeable(x, y):
        return (
            filters_mergeable(x, y)
            and x.parameterization.signature == y.parameterization.signature
        )


def interpolation_weights(delay_steps, length):
    """The weight of each step of the delay line (TensorFlow).

    The TensorFlow form of `nengo_dl_trainable.synapses.interpolation_weights`
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
