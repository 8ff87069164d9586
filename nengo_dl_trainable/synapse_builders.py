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

import warnings

import tensorflow as tf
from nengo import Connection
from nengo import builder as nengo_builder
from nengo.builder import Signal
from nengo.builder.processes import SimProcess, build_process
from nengo_dl import compat
from nengo_dl.builder import Builder, OpBuilder

from nengo_dl_trainable._nengo_dl import (
    register_build_function as register_build_function_for,
)
from nengo_dl_trainable.errors import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.filter_parameterization import PASSTHROUGH_TAU
from nengo_dl_trainable.gain import input_before_gain
from nengo_dl_trainable.grouped_parameters import (
    element_rows,
    parameter_rows,
    read_grouped_parameter,
)
from nengo_dl_trainable.names import names_with_prefix, selected_parameters
from nengo_dl_trainable.operators import (
    SimTrainableLinearFilter,
    SimTrainableLowpass,
    built_operator_index,
)
from nengo_dl_trainable.parameters import (
    add_parameters,
    forget_parameters,
    mark_stock_signal,
    network_configs,
    refuse_or_skip,
    refuse_unused_step_scale,
)
from nengo_dl_trainable.synapses import parameterization_for
from nengo_dl_trainable.vector_synapses import VectorSynapse


def _check_connection_names(conn, names):
    """Explicit names must apply (defaults have already left out absent ones)."""
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


def _selected_synapse(model, conn, names):
    """The synapse's parameterization and selected parameters, or None.

    What cannot train is an error for names set on the connection and is
    skipped (and reported) for names from a default.
    """
    try:
        parameterization = parameterization_for(conn.synapse)
    except TrainableParamsError as e:
        refuse_or_skip(model, conn, names, "synapse", e.args[0])
        return None
    selected, unknown = selected_parameters(
        names, "synapse", parameterization.parameters
    )
    for name, reason in unknown.items():
        reason = parameterization.unavailable.get(name, reason)
        refuse_or_skip(model, conn, names, name, reason)
    if not selected:
        return None
    step_scale = network_configs(model).tau_step_scale(conn)[0]
    if not parameterization.has_time_constants:
        _check_unused_step_scale(
            model,
            conn,
            f"a {type(conn.synapse).__name__} trains its coefficients, not time "
            "constants",
        )
        step_scale = None  # a default applies where it can
    try:
        parameterization = parameterization_for(
            conn.synapse, trained=selected, step_scale=step_scale
        )
    except TrainableParamsError as e:
        raise TrainableParamsError(e.args[0], obj=conn) from None
    return parameterization, selected


#: Operators that filter a connection (our own for vector synapses).
FILTER_OPERATORS = (SimProcess, SimTrainableLowpass, SimTrainableLinearFilter)


def _check_vector_synapse(conn):
    if (
        isinstance(conn.synapse, VectorSynapse)
        and conn.synapse.dimensions != conn.size_out
    ):
        raise TrainableParamsError(
            f"{conn.synapse} has {conn.synapse.dimensions} time constants, for a "
            f"connection of {conn.size_out} dimensions",
            obj=conn,
        )


def _replace_synapse_operator(model, conn, first, parameterization, selected):
    """Filter the connection with parameter signals (see `filter_operator`)."""
    weighted = model.sig[conn]["weighted"]
    index = built_operator_index(
        model,
        first,
        lambda op: isinstance(op, FILTER_OPERATORS) and op.output is weighted,
    )
    old = model.operators[index]
    if old.input.ndim != 1:  # pragma: no cover (connection signals are vectors)
        raise TrainableParamsError("only vector signals can be filtered", obj=conn)
    if not isinstance(old, SimProcess):
        # a vector synapse, built with this package's operator before the
        # connection knew what trains
        forget_parameters(model, old.reads[1:])
    parameters = add_parameters(
        model, conn, conn, "synapse", parameterization, selected
    )
    model.operators[index] = filter_operator(
        parameterization,
        parameters,
        old.input,
        old.output,
        tag=f"{conn}.trainable_synapse",
    )


def _check_unused_step_scale(model, conn, why=None):
    """A ``tau_step_scale`` set on a connection must apply to it."""
    refuse_unused_step_scale(
        model,
        conn,
        "its synapse's time constants",
        why or "select 'synapse' in its trainable_params, or mark the synapse L(...)",
    )


def build_connection(model, conn):
    """Build a connection, with trainable synapse parameters where configured.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    conn : `~nengo.Connection`
        The connection.
    """
    _check_vector_synapse(conn)
    first = len(model.operators)
    with input_before_gain(model, conn):
        nengo_builder.Builder.build(model, conn)

    names = network_configs(model).selected_attributes(conn)
    if names is None:
        _check_unused_step_scale(model, conn)
        return
    _check_connection_names(conn, names)
    if compat.conn_has_weights(conn):
        mark_stock_signal(model, conn, "weights", names)
    chosen = None
    if names_with_prefix(names, "synapse"):
        chosen = _selected_synapse(model, conn, names)
    if chosen is None:
        _check_unused_step_scale(model, conn)
        return
    parameterization, selected = chosen
    if parameterization.caveat is not None:
        warnings.warn(TrainableParamsWarning(f"{conn}: {parameterization.caveat}"))
    _replace_synapse_operator(model, conn, first, parameterization, selected)


def filter_operator(parameterization, parameters, input, output, tag=None):
    """The operator that filters ``input`` into ``output`` with parameter signals.

    Parameters
    ----------
    parameterization : `.FilterParameterization`
        The synapse's parameterization.
    parameters : dict of str: `~nengo.builder.Signal`
        One signal per name in ``parameterization.parameters``.
    input, output : `~nengo.builder.Signal`
        Vectors of the same shape.
    tag : str, optional
        Label for debugging.

    Returns
    -------
    `.SimTrainableLowpass` or `.SimTrainableLinearFilter`
        The first for zero-order-hold lowpass filters (NengoDL's fastest step).
    """
    if parameterization.zoh_lowpass:
        return SimTrainableLowpass(
            parameterization, parameters["tau"], input, output, tag=tag
        )
    order = parameterization.order
    state = (
        None
        if order == 0
        else Signal(shape=(input.shape[0] * order,), name=f"{tag}.state")
    )
    return SimTrainableLinearFilter(
        parameterization, parameters, input, output, state, tag=tag
    )


def build_vector_synapse(model, synapse, sig_in, sig_out=None, mode="set"):
    """Build a `.VectorLowpass` or `.VectorAlpha` natively (NengoDL only).

    Connections and probes build their synapses in ``"update"`` mode, which gets
    this package's filter operator with untrained parameters (where
    ``trainable_params`` selects them, `build_connection` then replaces it with
    one reading the connection's own parameters, at its ``tau_step_scale``).
    Other uses fall back to core Nengo's
    `~nengo.builder.processes.build_process` (run by NengoDL's generic,
    numpy-based process builder).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    synapse : `.VectorSynapse`
        The synapse.
    sig_in : `~nengo.builder.Signal`
        The signal to filter.
    sig_out : `~nengo.builder.Signal`, optional
        The filtered signal (created if not given).
    mode : str, optional
        As for ``build_process``.

    Returns
    -------
    `~nengo.builder.Signal`
        The filtered signal.
    """
    if mode != "update" or sig_in is None or sig_in.ndim != 1:
        return build_process(model, synapse, sig_in, sig_out=sig_out, mode=mode)
    if sig_out is None:
        sig_out = Signal(shape=sig_in.shape, name=f"{sig_in.name}.{synapse}")
    synapse._check_shape(sig_in.shape, sig_out.shape)
    parameterization = parameterization_for(synapse)
    # registered (as untrained) so that NengoDL holds them as parameters
    signals = add_parameters(model, synapse, synapse, "synapse", parameterization, ())
    model.add_op(
        filter_operator(parameterization, signals, sig_in, sig_out, tag=str(synapse))
    )
    return sig_out


def register_build_function():
    """Register the NengoDL-only build functions (idempotent).

    One for connections, one for vector synapses.
    """
    register_build_function_for(Connection, build_connection)
    register_build_function_for(VectorSynapse, build_vector_synapse)


def filters_mergeable(x, y):
    """Whether two filter operators may share a group: only if their inputs match.

    This is the rule stock NengoDL follows for the synapses these operators
    replace (its lowpass filters' state signals have the input's size, and its
    linear filters check the size), so a network plans the same with trainable
    synapses as without. Merging filters of different sizes lets NengoDL put
    their inputs, which different operators set, in one base array, and it then
    writes them by scatter every step: that doubled the cost of training a small
    network (``benchmarks/cost.py --network small``).

    Parameters
    ----------
    x, y : `.SimTrainableLowpass` or `.SimTrainableLinearFilter`
        The operators.

    Returns
    -------
    bool
        True if their inputs have the same shape.
    """
    return x.input.shape == y.input.shape


@Builder.register(SimTrainableLowpass)
class TrainableLowpassBuilder(OpBuilder):
    """Build a group of `.SimTrainableLowpass` operators.

    Operators with inputs of the same size merge into one group (see
    `filters_mergeable`); the coefficients are repeated for every element of each
    operator's input (or, for per-dimension time constants, one per element).
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        self.input_data = signals.combine([op.input for op in self.ops])
        self.output_data = signals.combine([op.output for op in self.ops])

        theta = read_grouped_parameter(signals, self.ops, lambda op: op.theta)[:, 0]
        tau = self.ops[0].parameterization.encoding.decode(theta, tf)
        # match NengoDL's treatment of very short time constants exactly
        passthrough = tau <= PASSTHROUGH_TAU * signals.dt_val
        # a time constant that underflows to 0 would give the unused branch an
        # infinite exponent, whose gradient (NaN) tf.where passes on
        tau = tf.where(passthrough, tf.ones_like(tau), tau)
        decay = tf.where(passthrough, tf.zeros_like(tau), tf.exp(-signals.dt / tau))
        gain = tf.where(
            passthrough, tf.ones_like(tau), -tf.math.expm1(-signals.dt / tau)
        )

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


@Builder.register(SimTrainableLinearFilter)
class TrainableLinearFilterBuilder(OpBuilder):
    """Build a group of `.SimTrainableLinearFilter` operators.

    Operators whose filters have the same structure (parameterization type, order,
    direct term, discretization) and whose inputs have the same size merge (see
    `filters_mergeable`).
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
        return (
            filters_mergeable(x, y)
            and x.parameterization.signature == y.parameterization.signature
        )
