"""Build trainable synapses: the Nengo build function and the TensorFlow builders.

The build function, registered for NengoDL only, builds a connection as core Nengo
does and then, if ``trainable_params`` selects any of its synapse's parameters,
replaces the `~nengo.builder.processes.SimProcess` that filters *this*
connection's output (found by its output signal, because one synapse object may be
shared by many connections) with a `.SimTrainableLowpass` or
`.SimTrainableLinearFilter` reading new parameter signals.

The TensorFlow builders compute the filter coefficients once per run in
``build_pre``, from the parameter variables, so that each timestep costs what
NengoDL's own synapse builders cost.
"""

import numpy as np
import tensorflow as tf
from nengo import Connection
from nengo import builder as nengo_builder
from nengo.builder import Signal
from nengo.builder.processes import SimProcess
from nengo.synapses import Lowpass
from nengo_dl import compat
from nengo_dl.builder import Builder, NengoBuilder, OpBuilder

from nengo_dl_trainable._nengo_dl import read_parameter
from nengo_dl_trainable.config import (
    TrainableParamsError,
    names_with_prefix,
    network_configs,
    selected_parameters,
)
from nengo_dl_trainable.operators import SimTrainableLinearFilter, SimTrainableLowpass
from nengo_dl_trainable.parameters import add_parameters
from nengo_dl_trainable.synapses import parameterization_for


def _check_connection_names(conn, names):
    if "weights" in names and not compat.conn_has_weights(conn):
        raise TrainableParamsError(
            "'weights' is selected, but this connection has no weights", obj=conn
        )
    if names_with_prefix(names, "synapse") and conn.synapse is None:
        raise TrainableParamsError(
            "a synapse parameter is selected, but this connection has no synapse "
            "(synapse=None)",
            obj=conn,
        )


def _synapse_operator_index(model, conn, first):
    weighted = model.sig[conn]["weighted"]
    for i in range(first, len(model.operators)):
        op = model.operators[i]
        if isinstance(op, SimProcess) and op.output is weighted:
            return i
    raise RuntimeError(f"{conn}: no synapse operator found")  # pragma: no cover


def build_connection(model, conn):
    """Build a connection, with trainable synapse parameters where configured.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    conn : `~nengo.Connection`
        The connection.
    """
    first = len(model.operators)
    nengo_builder.Builder.build(model, conn)

    names = network_configs(model).selected_attributes(conn)
    if not names:
        return
    _check_connection_names(conn, names)
    if not names_with_prefix(names, "synapse"):
        return
    try:
        parameterization = parameterization_for(conn.synapse)
        selected = selected_parameters(names, "synapse", parameterization.parameters)
    except TrainableParamsError as e:
        raise TrainableParamsError(str(e), obj=conn) from None

    index = _synapse_operator_index(model, conn, first)
    old = model.operators[index]
    if old.input.ndim != 1:  # pragma: no cover (connection signals are vectors)
        raise TrainableParamsError("only vector signals can be filtered", obj=conn)

    parameters = add_parameters(
        model, conn, conn, "synapse", parameterization, selected
    )

    tag = f"{conn}.trainable_synapse"
    if type(conn.synapse) is Lowpass and conn.synapse.method == "zoh":
        new = SimTrainableLowpass(parameters["tau"], old.input, old.output, tag=tag)
    else:
        order = parameterization.order
        state = (
            None
            if order == 0
            else Signal(shape=(old.input.shape[0] * order,), name=f"{tag}.state")
        )
        new = SimTrainableLinearFilter(
            parameterization, parameters, old.input, old.output, state, tag=tag
        )
    model.operators[index] = new


def register_build_function():
    """Register the NengoDL-only Connection build function (idempotent)."""
    NengoBuilder.builders[Connection] = build_connection


def _element_ops(ops):
    """Index of the operator each element of the combined signals belongs to."""
    return np.repeat(np.arange(len(ops)), [op.input.shape[0] for op in ops])


def read_parameters(signals, ops, get_signal):
    """Read one parameter of each op in ``build_pre``, shape ``(len(ops), size)``.

    Parameters
    ----------
    signals : `nengo_dl.signals.SignalDict`
        The builder's signals.
    ops : list of `~nengo.builder.Operator`
        The operators of a group.
    get_signal : callable
        Returns an op's parameter signal.

    Returns
    -------
    ``tf.Tensor``
        The values, one row per operator.
    """
    combined = signals.combine([get_signal(op) for op in ops])
    return tf.reshape(read_parameter(signals, combined), (len(ops), -1))


@Builder.register(SimTrainableLowpass)
class TrainableLowpassBuilder(OpBuilder):
    """Build a group of `.SimTrainableLowpass` operators.

    Operators with any input size merge into one group: the coefficients are
    repeated for every element of each operator's input.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        self.input_data = signals.combine([op.input for op in self.ops])
        self.output_data = signals.combine([op.output for op in self.ops])

        log_tau = read_parameters(signals, self.ops, lambda op: op.log_tau)[:, 0]
        tau = tf.exp(log_tau)
        # match NengoDL's treatment of very short time constants exactly
        passthrough = tau <= 0.03 * signals.dt_val
        decay = tf.where(passthrough, tf.zeros_like(tau), tf.exp(-signals.dt / tau))
        gain = tf.where(
            passthrough, tf.ones_like(tau), -tf.math.expm1(-signals.dt / tau)
        )

        elements = _element_ops(self.ops)
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
        return True


@Builder.register(SimTrainableLinearFilter)
class TrainableLinearFilterBuilder(OpBuilder):
    """Build a group of `.SimTrainableLinearFilter` operators.

    Operators whose filters have the same structure (parameterization type, order,
    direct term, discretization) merge, whatever their input sizes.
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
                read_parameters(signals, self.ops, lambda op, n=name: op.parameters[n]),
                tf.float64,
            )
            for name in parameterization.parameters
        }
        A, B, C, D = (
            tf.cast(x, signals.dtype)
            for x in parameterization.discrete_system(values, signals.dt_val)
        )
        elements = _element_ops(self.ops)
        self.n_elements = len(elements)
        self.D = tf.gather(D, elements)[None, :]
        if self.order > 0:
            self.A = tf.gather(A, elements)[None]  # (1, elements, order, order)
            self.B = tf.gather(B[:, :, 0], elements)[None]  # (1, elements, order)
            self.C = tf.gather(C[:, 0, :], elements)[None]  # (1, elements, order)

    def build_step(self, signals):
        u = signals.gather(self.input_data)
        if self.order == 0:
            signals.scatter(self.output_data, self.D * u)
            return
        x = tf.reshape(
            signals.gather(self.state_data),
            (signals.minibatch_size, self.n_elements, self.order),
        )

        def advance(x):
            return (
                tf.reduce_sum(self.A * x[:, :, None, :], axis=-1)
                + self.B * u[..., None]
            )

        if self.direct_term:
            y = tf.reduce_sum(self.C * x, axis=-1) + self.D * u
            x = advance(x)
        else:
            x = advance(x)
            y = tf.reduce_sum(self.C * x, axis=-1)
        signals.scatter(
            self.state_data,
            tf.reshape(x, (signals.minibatch_size, self.n_elements * self.order)),
        )
        signals.scatter(self.output_data, y)

    @staticmethod
    def mergeable(x, y):
        return x.parameterization.signature == y.parameterization.signature
