"""Build trainable synapses: the connection and synapse build functions.

Two build functions, registered for NengoDL only: `build_connection` decides what
of a connection's synapse trains (``trainable_params``, markers), then lets core
Nengo build the connection; core Nengo's call to build the synapse reaches
`build_synapse`, which emits a `.SimTrainableLowpass` or
`.SimTrainableLinearFilter` reading the connection's parameter signals (the
connection's own: one synapse object may be shared by many connections), or for
a `.Delay` a `.SimTrainableDelay` (`delay_operator`). Scalar and vector synapses
take this one route. Their TensorFlow builders are in
`nengo_dl_trainable.synapse_builders`.
"""

import warnings
from dataclasses import dataclass

from nengo import Connection
from nengo import builder as nengo_builder
from nengo.builder import Signal
from nengo.builder.processes import build_process
from nengo.synapses import Synapse
from nengo_dl import compat

from nengo_dl_trainable._nengo_dl import register_build_function
from nengo_dl_trainable._nengo_dl.build_channels import (
    handed_to_synapse,
    handing_to_synapse,
)
from nengo_dl_trainable.builder.gain import input_before_gain
from nengo_dl_trainable.builder.operators import (
    SimTrainableDelay,
    SimTrainableDelayedLowpass,
    SimTrainableLinearFilter,
    SimTrainableLowpass,
)
from nengo_dl_trainable.builder.record import (
    add_parameters,
    mark_stock_signal,
    network_configs,
    refuse_or_skip,
    refuse_unused_step_scale,
)
from nengo_dl_trainable.config.names import names_with_prefix, selected_parameters
from nengo_dl_trainable.errors import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.parameterizations.delay import (
    DelayedLowpassParameterization,
    DelayLineParameterization,
    DelayParameterization,
)
from nengo_dl_trainable.parameterizations.registry import parameterization_for
from nengo_dl_trainable.synapses import Delay, VectorSynapse


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
    skipped (and reported) for names from a default. The parameterization is
    made once: asked what the synapse has, then told what trains (`select`).
    """
    try:
        parameterization = parameterization_for(conn.synapse)
    except TrainableParamsError as e:
        refuse_or_skip(model, conn, names, "synapse", e.args[0])
        return None
    # a parameter may have a signal and yet not train (a DelayedLowpass's delay
    # at a bound)
    available = tuple(
        p
        for p in parameterization.parameters
        if f"synapse.{p}" not in parameterization.unavailable
    )
    selected, unknown = selected_parameters(names, "synapse", available)
    for name, reason in unknown.items():
        reason = parameterization.unavailable.get(name, reason)
        refuse_or_skip(model, conn, names, name, reason)
    if not selected:
        return None
    step_scale = network_configs(model).tau_step_scale(conn)[0]
    if not parameterization.has_time_constants:
        trains = (
            "delays"
            if isinstance(parameterization, DelayParameterization)
            else "coefficients"
        )
        _check_unused_step_scale(
            model,
            conn,
            f"a {type(conn.synapse).__name__} trains its {trains}, not time constants",
        )
        step_scale = None  # a default applies where it can
    try:
        parameterization.select(selected, step_scale)
    except TrainableParamsError as e:
        raise TrainableParamsError(e.args[0], obj=conn) from None
    return TrainedSynapse(conn, parameterization, selected)


@dataclass(frozen=True)
class TrainedSynapse:
    """A connection's synapse that trains, waiting for core Nengo to build it.

    Attributes
    ----------
    conn : `~nengo.Connection`
        The connection.
    parameterization : `.FilterParameterization`
        Its synapse's parameterization, with the trained parameters selected.
    selected : tuple of str
        The trained parameters.
    """

    conn: Connection
    parameterization: object
    selected: tuple

    @property
    def synapse(self):
        """The synapse it is for (`.handed_to_synapse` matches it)."""
        return self.conn.synapse


def _check_vector_synapse(conn):
    """A synapse with one parameter per dimension must match the connection."""
    synapse = conn.synapse
    if isinstance(synapse, VectorSynapse) and synapse.dimensions != conn.size_out:
        raise TrainableParamsError(
            f"{synapse} has {synapse.dimensions} time constants, for a "
            f"connection of {conn.size_out} dimensions",
            obj=conn,
        )
    if isinstance(synapse, Delay) and synapse.delay.size not in (1, conn.size_out):
        raise TrainableParamsError(
            f"{synapse} has {synapse.delay.size} delays, for a connection of "
            f"{conn.size_out} dimensions",
            obj=conn,
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

    Decides what trains first; core Nengo then builds the connection, and its
    call to build the synapse reaches `build_synapse`, which emits this
    package's filter operator for a synapse that trains.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    conn : `~nengo.Connection`
        The connection.
    """
    _check_vector_synapse(conn)
    names = network_configs(model).selected_attributes(conn)
    trained = None
    if names is not None:
        _check_connection_names(conn, names)
        if names_with_prefix(names, "synapse"):
            trained = _selected_synapse(model, conn, names)
    if trained is None:
        _check_unused_step_scale(model, conn)
    elif trained.parameterization.caveat is not None:
        warnings.warn(
            TrainableParamsWarning(f"{conn}: {trained.parameterization.caveat}")
        )
    with input_before_gain(model, conn), handing_to_synapse(model, trained):
        nengo_builder.Builder.build(model, conn)
    if names is not None and compat.conn_has_weights(conn):
        mark_stock_signal(model, conn, "weights", names)


def filter_operator(parameterization, parameters, input, output, time, tag=None):
    """The operator that filters ``input`` into ``output`` with parameter signals.

    Parameters
    ----------
    parameterization : `.FilterParameterization`
        The synapse's parameterization.
    parameters : dict of str: `~nengo.builder.Signal`
        One signal per name in ``parameterization.parameters``.
    input, output : `~nengo.builder.Signal`
        Vectors of the same shape.
    time : `~nengo.builder.Signal`
        The simulation time (``model.time``). The operator reads it, as Nengo's
        ``SimProcess`` does, so that NengoDL plans it as the synapse it replaces:
        after the time update, in one group with the others (issue 38).
    tag : str, optional
        Label for debugging.

    Returns
    -------
    `.SimTrainableLowpass` or `.SimTrainableLinearFilter`
        The first for zero-order-hold lowpass filters (NengoDL's fastest step).
    """
    if parameterization.zoh_lowpass:
        return SimTrainableLowpass(
            parameterization, parameters["tau"], input, output, time, tag=tag
        )
    order = parameterization.order
    state = (
        None
        if order == 0
        else Signal(shape=(input.shape[0] * order,), name=f"{tag}.state")
    )
    return SimTrainableLinearFilter(
        parameterization, parameters, input, output, state, time, tag=tag
    )


#: Synapses that, untrained, are built with this package's operators: NengoDL
#: would run them through its generic process builder (NumPy, no gradient).
NATIVE_SYNAPSES = (VectorSynapse, Delay)


def _untrained_parameters(model, synapse, size):
    """The parameterization and (untrained) parameter signals of a native synapse."""
    if isinstance(synapse, Delay):
        synapse.delays(size)  # one delay, or one per dimension
    else:
        synapse._check_shape((size,), (size,))
    # an untrained Delay's delays may be 0 or max_delay: stored as they are
    parameterization = (
        DelayParameterization.fixed(synapse)
        if type(synapse) is Delay
        else parameterization_for(synapse)
    )
    # registered (as untrained) so that NengoDL holds them as parameters
    parameters = add_parameters(
        model, synapse, synapse, "synapse", parameterization, ()
    )
    return parameterization, parameters


def build_synapse(model, synapse, sig_in, sig_out=None, mode="set"):
    """Build a synapse in NengoDL: with this package's operator where it can.

    The synapse of the connection being built, where it trains (see
    `build_connection`), is filtered by `filter_operator` (or, for a `.Delay` or
    `.DelayedLowpass`, `.delay_operator`) reading the connection's parameter
    signals. A synapse of `NATIVE_SYNAPSES` that does not train gets the same
    operator with untrained parameters. Everything else is built by core
    Nengo's build function.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    synapse : `~nengo.synapses.Synapse`
        The synapse.
    sig_in : `~nengo.builder.Signal`
        The signal to filter.
    sig_out : `~nengo.builder.Signal`, optional
        The filtered signal (created if not given).
    mode : str, optional
        As for `~nengo.builder.processes.build_process`.

    Returns
    -------
    `~nengo.builder.Signal`
        The filtered signal.
    """
    # only the connection's own synapse: a learning rule built with the
    # connection may use the same synapse object
    trained = handed_to_synapse(model, synapse)
    ours = trained is not None
    if not ours and not isinstance(synapse, NATIVE_SYNAPSES):
        return nengo_builder.Builder.build(
            model, synapse, sig_in, sig_out=sig_out, mode=mode
        )
    if mode != "update" or sig_in is None or sig_in.ndim != 1:
        if ours:  # pragma: no cover (Nengo builds a connection's synapse so)
            raise TrainableParamsError(
                "only a vector signal in update mode can be filtered", obj=trained.conn
            )
        return build_process(model, synapse, sig_in, sig_out=sig_out, mode=mode)
    if sig_out is None:
        sig_out = Signal(shape=sig_in.shape, name=f"{sig_in.name}.{synapse}")
    if ours:
        parameterization = trained.parameterization
        parameters = add_parameters(
            model,
            trained.conn,
            trained.conn,
            "synapse",
            parameterization,
            trained.selected,
        )
        tag = f"{trained.conn}.trainable_synapse"
    else:
        parameterization, parameters = _untrained_parameters(
            model, synapse, sig_in.shape[0]
        )
        tag = str(synapse)
    if isinstance(parameterization, DelayLineParameterization):
        op = delay_operator(
            parameterization,
            parameters,
            sig_in,
            sig_out,
            model.dt,
            time=model.time,
            tag=tag,
        )
    else:
        op = filter_operator(
            parameterization, parameters, sig_in, sig_out, time=model.time, tag=tag
        )
    model.add_op(op)
    return sig_out


def register_connection_build():
    """Register the NengoDL-only build functions (idempotent).

    One for connections, one for synapses.
    """
    register_build_function(Connection, build_connection)
    register_build_function(Synapse, build_synapse)


def delay_operator(parameterization, parameters, input, output, dt, time, tag=None):
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
    time : `~nengo.builder.Signal`
        The simulation time (``model.time``). The operator reads it, as Nengo's
        ``SimProcess`` does, so that NengoDL plans it as the synapse it replaces:
        after the time update, in one group with the others (issue 38).
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
            parameterization,
            delay,
            parameters["tau"],
            input,
            output,
            buffer,
            time,
            tag=tag,
        )
    return SimTrainableDelay(
        parameterization, delay, input, output, buffer, time, tag=tag
    )
