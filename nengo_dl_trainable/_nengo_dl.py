"""Every wrap of NengoDL internals, in one place.

NengoDL 3.6.0 offers registries for new operators (`nengo_dl.builder.Builder`) and
for NengoDL-only build functions (`nengo_dl.builder.NengoBuilder`); this package
uses those as they are. A few behaviours have no extension point, and are wrapped
here, each as narrowly as possible:

``NengoBuilder.build``
    Objects of the classes this package builds (`register_build_function`) go
    straight to its build function. NengoDL's own dispatch would, on any
    ``BuildError`` raised inside it, build the object a second time with core
    Nengo's function on top of the half-built first attempt (which, for one,
    drops a connection's learning rule with only a warning). This package's
    functions call core Nengo's themselves, so the retry could only do harm.
``TensorGraph.mark_signals``
    After NengoDL marks weights, encoders and biases, apply what the build
    decided for them from ``trainable_params`` (`.StockMark`) and mark this
    package's parameter signals; then warn once about what class or network
    defaults had to skip.
``TensorGraph.call``
    Give operator builders access to the parameter variables in ``build_pre``, so
    that coefficients depending only on parameters are computed once per run,
    outside the simulation loop (see `.parameter_value`).
``Simulator.get_nengo_params``
    Also return the learned ``synapse`` of connections and ``neuron_type`` and
    ``gain`` of ensembles, which makes the unchanged ``Simulator.freeze_params``
    write them back into the network.
``SimulationData.__getitem__``
    ``sim.data[ens]`` of an ensemble with a trainable gain reports the learned
    gain (NengoDL infers the gain from the scaled encoders, which the separate
    gain factor leaves out; see `nengo_dl_trainable.gain`).
``Simulator.fit``
    Where the model has parameters of this package that train, add a callback
    that warns at the end of an epoch in which one of them stopped being finite,
    or a lowpass time constant fell into the passthrough range where it gets no
    gradient (see `.PASSTHROUGH_TAU`).
``graph_optimizer.transitive_planner``
    Refuse, with an error that says what to use instead, models with this
    package's operators: the planner's list of builder types is closed.
``Simulator.__init__``
    Restore Nengo's ``rc`` float precision when building fails. NengoDL sets it
    to the simulation's dtype for the build and restores it only on success, so a
    failed build (a ``trainable_params`` error, say) would leave later core Nengo
    simulators running in float32.
``TensorGraph.__init__``, ``TensorGraph.build_inputs``
    Under a ``tf.distribute`` strategy with several replicas, build the
    simulation for one replica's share of the minibatch, and declare the Keras
    inputs with the global minibatch (Keras divides an input's batch size among
    the replicas).
``callbacks.IsolateState``, ``Simulator.save_params``, ``Simulator.load_params``
    Under such a strategy, read and set the simulation state of all replicas
    (`read_saved_state`, `write_saved_state`), where NengoDL would read replica
    0's share only and give it to every replica. ``save_params`` also writes the
    record of how this package's parameters are stored, and ``load_params``
    refuses a file whose record differs from the model's
    (`nengo_dl_trainable.checkpoint`).
``nengo_dl.configure_settings``
    Accept ``trainable_params=...`` and ``tau_step_scale=...`` next to NengoDL's
    own settings.
``nengo_dl.trainable_params``
    The public API of this package, under NengoDL's name.

`apply` is called once when the package is imported; calling it again does
nothing. It refuses to run against a NengoDL version other than the one whose
internals it was written against.
"""

import functools
import inspect
import sys
import warnings

import nengo_dl
import numpy as np
import tensorflow as tf
from nengo import Ensemble
from nengo.ensemble import Neurons
from nengo.exceptions import BuildError, SimulationError, ValidationError
from nengo.rc import rc as nengo_rc
from nengo_dl import callbacks, graph_optimizer
from nengo_dl import config as nengo_dl_config
from nengo_dl.builder import NengoBuilder
from nengo_dl.simulator import SimulationData, Simulator
from nengo_dl.tensor_graph import TensorGraph

from nengo_dl_trainable.checkpoint import (
    RECORD_KEY,
    check_parameters_record,
    parameters_record,
)
from nengo_dl_trainable.config import (
    configure_tau_step_scale,
    configure_trainable_params,
)
from nengo_dl_trainable.parameters import model_parameters, model_record, report_skipped

#: The NengoDL releases whose internals this module knows.
SUPPORTED_NENGO_DL_VERSIONS = ("3.6.0",)

_ORIGINALS = {}


def check_nengo_dl_version(version=None):
    """Raise ImportError unless NengoDL is a version this module knows.

    Parameters
    ----------
    version : str, optional
        The version to check (defaults to the installed NengoDL's).
    """
    version = nengo_dl.__version__ if version is None else version
    if version not in SUPPORTED_NENGO_DL_VERSIONS:
        raise ImportError(
            f"nengo_dl_trainable wraps internals of NengoDL "
            f"{', '.join(SUPPORTED_NENGO_DL_VERSIONS)}, but NengoDL {version} is "
            "installed. Install a supported NengoDL, or set "
            "NENGO_DL_TRAINABLE_DISABLE=1 to run NengoDL without the extension."
        )


#: Every NengoDL function wrapped here, with the signature its wrap is written
#: for. `check_signatures` compares them with the installed NengoDL before
#: anything is wrapped: a second guard, beside the version check, against a
#: NengoDL whose functions differ from those the wraps call and imitate.
WRAPPED_SIGNATURES = {
    (NengoBuilder, "build"): "(cls, model, obj, *args, **kwargs)",
    (graph_optimizer, "transitive_planner"): "(op_list)",
    (
        Simulator,
        "fit",
    ): "(self, x=None, y=None, n_steps=None, stateful=False, **kwargs)",
    (TensorGraph, "mark_signals"): "(self)",
    (
        TensorGraph,
        "call",
    ): "(self, inputs, training=None, progress=None, stateful=False)",
    (Simulator, "get_nengo_params"): "(self, nengo_objs, as_dict=False)",
    (SimulationData, "__getitem__"): "(self, obj)",
    (Simulator, "__init__"): (
        "(self, network, dt=0.001, seed=None, model=None, device=None, "
        "unroll_simulation=1, minibatch_size=None, progress_bar=True)"
    ),
    (TensorGraph, "__init__"): (
        "(self, model, dt, unroll_simulation, minibatch_size, device, progress, seed)"
    ),
    (TensorGraph, "build_inputs"): "(self)",
    (callbacks.IsolateState, "__init__"): "(self, sim)",
    (callbacks.IsolateState, "reset"): "(self)",
    (Simulator, "save_params"): (
        "(self, path, include_state=False, include_non_trainable=None)"
    ),
    (Simulator, "load_params"): (
        "(self, path, include_state=False, include_non_trainable=None)"
    ),
    (nengo_dl_config, "configure_settings"): "(**kwargs)",
}


def _signature(function):
    # a classmethod (NengoBuilder.build) as its function; decorators that
    # set __wrapped__ (NengoDL's require_open) are looked through
    return str(inspect.signature(getattr(function, "__func__", function)))


def _unwrapped(owner, name):
    # as stored (a classmethod stays one), before or after apply()
    return _ORIGINALS.get((owner, name)) or inspect.getattr_static(owner, name)


def check_signatures():
    """Raise ImportError if a wrapped NengoDL function's signature differs.

    Compares the signature of every (unwrapped) NengoDL function in
    `WRAPPED_SIGNATURES` with the one listed there.
    """
    differ = [
        f"  {getattr(owner, '__name__', owner)}.{name}{_signature(found)}, "
        f"expected {expected}"
        for (owner, name), expected in WRAPPED_SIGNATURES.items()
        if _signature(found := _unwrapped(owner, name)) != expected
    ]
    if differ:
        raise ImportError(
            "nengo_dl_trainable wraps NengoDL functions whose signatures differ "
            "from those it was written for:\n"
            + "\n".join(differ)
            + "\nSet NENGO_DL_TRAINABLE_DISABLE=1 to run NengoDL without the "
            "extension."
        )


def _wrap(owner, name, make_wrapper):
    key = (owner, name)
    if key not in _ORIGINALS:
        original = getattr(owner, name)
        _ORIGINALS[key] = original
        setattr(owner, name, functools.wraps(original)(make_wrapper(original)))


#: This package's NengoDL-only build functions, by the class they build.
BUILD_FUNCTIONS = {}


def register_build_function(cls, build_function):
    """Build objects of ``cls`` with ``build_function`` in NengoDL (idempotent).

    Like registering with `nengo_dl.builder.NengoBuilder`, but without NengoDL's
    retry with core Nengo's build function after a ``BuildError`` (see the module
    docs): ``build_function`` must build the object completely or raise.

    Parameters
    ----------
    cls : type
        The class of Nengo objects (subclasses included, as in Nengo's registry).
    build_function : callable
        ``build_function(model, obj, *args, **kwargs)``.
    """
    BUILD_FUNCTIONS[cls] = build_function


def _builder_build(build):
    def wrapper(cls, model, obj, *args, **kwargs):
        for obj_cls in type(obj).__mro__:
            if obj_cls in cls.builders:
                break  # a NengoDL registration: NengoDL's own dispatch
            if obj_cls in BUILD_FUNCTIONS:
                if model.has_built(obj):
                    # what Nengo's own dispatch does
                    warnings.warn(f"Object {obj} has already been built.")
                    return None
                return BUILD_FUNCTIONS[obj_cls](model, obj, *args, **kwargs)
        return build.__func__(cls, model, obj, *args, **kwargs)

    return wrapper


def original(owner, name):
    """Return the unwrapped NengoDL function ``owner.name``.

    Parameters
    ----------
    owner : class or module
        Where the function lives.
    name : str
        Its name.

    Returns
    -------
    callable
    """
    return _ORIGINALS.get((owner, name), getattr(owner, name))


def configure_settings(**settings):
    """Pass settings to NengoDL and to this package.

    Accepts every setting of `nengo_dl.configure_settings`, plus:

    Parameters
    ----------
    trainable_params : str or iterable of str or None
        Adds the ``trainable_params`` config parameter to Ensembles, Neurons and
        Connections of the network being built (the innermost one, as for
        ``trainable``), with this value as default. ``None`` adds the parameter
        without selecting anything. See `nengo_dl_trainable.config` for the names
        and the resolution rules.
    tau_step_scale : float or None
        Adds the ``tau_step_scale`` config parameter to Connections and Ensembles
        of the network being built, with this value as default: how fast synapse
        and neuron time constants train (see `.TauStepScaleParam`).
    **settings
        NengoDL's own settings, passed on unchanged.
    """
    if "trainable_params" in settings:
        configure_trainable_params(settings.pop("trainable_params"))
    if "tau_step_scale" in settings:
        configure_tau_step_scale(settings.pop("tau_step_scale"))
    if settings:
        original(nengo_dl_config, "configure_settings")(**settings)


def parameter_value(signals, tensor_signal):
    """Read a parameter signal's current value in ``build_pre``.

    ``build_pre`` runs before NengoDL's simulation loop, where ``signals.gather``
    cannot be used yet. Reading the base variable here lets a builder compute
    everything that depends only on parameters once per run rather than at every
    timestep; gradients flow through the read to the variable.

    Parameters
    ----------
    signals : `nengo_dl.signals.SignalDict`
        The builder's signals.
    tensor_signal : `nengo_dl.signals.TensorSignal`
        A non-minibatched parameter signal (possibly combined over several ops).

    Returns
    -------
    ``tf.Tensor``
        The value, with the signal's shape.
    """
    variable = signals.parameter_variables[tensor_signal.key]
    value = tf.gather(variable, tensor_signal.tf_indices, axis=0)
    return tf.reshape(value, tensor_signal.shape)


def _mark_signals(mark_signals):
    def wrapper(self):
        mark_signals(self)
        if self.model.toplevel is None:
            return
        record = model_record(self.model)
        changed = set()
        if not self.inference_only:
            changed = _apply_stock_marks(record.stock_marks)
        for parameter in record.parameters:
            parameter.signal.trainable = parameter.trainable and not self.inference_only
            parameter.signal.minibatched = False
        if changed:
            # views were given their base's marks before we changed them
            for op in self.model.operators:
                for sig in op.all_signals:
                    if sig.base in changed:
                        sig.trainable = sig.base.trainable
        report_skipped(self.model)

    return wrapper


def _apply_stock_marks(stock_marks):
    """Mark the weights, encoders and biases as the build decided (`.StockMark`).

    Returns
    -------
    set of `~nengo.builder.Signal`
        The signals whose mark changed.
    """
    changed = set()
    for mark in stock_marks:
        if mark.trainable and mark.signal.minibatched:
            # NengoDL makes signals targeted by a learning rule minibatched
            warnings.warn(
                f"{mark.obj} has a learning rule and is also set to be trainable; "
                "this is likely to produce strange training behaviour."
            )
        if mark.signal.trainable != mark.trainable:
            mark.signal.trainable = mark.trainable
            changed.add(mark.signal)
    return changed


def _call(call):
    # same signature as TensorGraph.call: Keras inspects it
    def wrapper(self, inputs, training=None, progress=None, stateful=False):
        self.signals.parameter_variables = self.base_params
        return call(
            self, inputs, training=training, progress=progress, stateful=stateful
        )

    return wrapper


def _get_nengo_params(get_nengo_params):
    def wrapper(self, nengo_objs, as_dict=False):
        from nengo_dl_trainable.freeze import learned_objects

        params = get_nengo_params(self, nengo_objs, as_dict=as_dict)
        scalar = not isinstance(nengo_objs, (list, tuple))
        objs = [nengo_objs] if scalar else list(nengo_objs)
        # NengoDL reports Neurons as their ensemble
        objs = [o.ensemble if isinstance(o, Neurons) else o for o in objs]
        entries = [params] if scalar else list(params.values()) if as_dict else params
        for key in ("synapse", "neuron_type", "gain"):
            learned = learned_objects(self, objs, key)
            for obj, entry in zip(objs, entries, strict=True):
                if obj in learned:
                    entry[key] = learned[obj]
        return params

    return wrapper


def _simulation_data_getitem(getitem):
    def wrapper(self, obj):
        from nengo_dl_trainable.gain import gain_parameters, learned_gain_data
        from nengo_dl_trainable.report import read_signal_values

        data = getitem(self, obj)
        parameter = (
            gain_parameters(self.sim.model).get(obj)
            if isinstance(obj, Ensemble)
            else None
        )
        if parameter is None:
            return data
        (factor,) = read_signal_values(self.sim, [parameter.signal])
        return learned_gain_data(obj, data, factor)

    return wrapper


def _fit(fit):
    def wrapper(self, *args, **kwargs):
        from nengo_dl_trainable.report import ParameterCheck

        # a closed simulator: NengoDL's own fit raises the right error
        if not self.closed and any(
            p.signal.trainable for p in model_parameters(self.model)
        ):
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [
                ParameterCheck(self)
            ]
        # bound, as NengoDL's require_open decorator expects (it names the
        # method in its error, which an unbound call turns into a partial)
        return fit.__get__(self, type(self))(*args, **kwargs)

    return wrapper


def _transitive_planner(planner):
    from nengo_dl_trainable.operators import TRAINABLE_OPERATORS

    def wrapper(operators):
        ours = sorted(
            {type(op).__name__ for op in operators if type(op) in TRAINABLE_OPERATORS}
        )
        if ours:
            raise BuildError(
                "NengoDL's transitive_planner only knows NengoDL's own operator "
                f"types, not nengo_dl_trainable's ({', '.join(ours)}); use another "
                "planner (the default, nengo_dl.graph_optimizer.tree_planner, or "
                "greedy_planner)"
            )
        return planner(operators)

    return wrapper


def _simulator_init(init):
    def wrapper(self, *args, **kwargs):
        precision = nengo_rc.get("precision", "bits")
        try:
            init(self, *args, **kwargs)
        except BaseException:
            nengo_rc.set("precision", "bits", precision)
            raise

    return wrapper


def _replicas():
    """The number of replicas of the ``tf.distribute`` strategy in scope (1 if none)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def _tensor_graph_init(init):
    signature = inspect.signature(init)

    def wrapper(self, *args, **kwargs):
        replicas = _replicas()
        if replicas == 1:
            return init(self, *args, **kwargs)
        arguments = signature.bind(self, *args, **kwargs).arguments
        minibatch_size = arguments["minibatch_size"]
        if minibatch_size is None or minibatch_size % replicas != 0:
            raise ValidationError(
                f"minibatch_size ({minibatch_size}) must be a multiple of the number "
                f"of replicas of the tf.distribute strategy ({replicas}): each "
                "replica simulates an equal share of the minibatch",
                attr="minibatch_size",
            )
        # each replica runs the graph on its share of the global minibatch
        arguments["minibatch_size"] = minibatch_size // replicas
        return init(**arguments)

    return wrapper


def _build_inputs(build_inputs):
    def wrapper(self):
        # Keras divides an Input's batch size among the replicas of the strategy in
        # scope, so the inputs are declared with the global minibatch
        per_replica = self.minibatch_size
        self.minibatch_size = per_replica * _replicas()
        try:
            return build_inputs(self)
        finally:
            self.minibatch_size = per_replica

    return wrapper


def _read_state_variable(variable, minibatched):
    if not isinstance(variable, tf.distribute.DistributedValues):
        return variable.numpy()
    strategy = variable.distribute_strategy
    # each replica's own copy (in replica context), joined in replica order; a
    # collective, so every worker of a multi-worker cluster takes part
    local = strategy.run(tf.function(lambda: tf.identity(variable)))
    if minibatched:
        return strategy.gather(local, axis=0).numpy()
    return strategy.experimental_local_results(local)[0].numpy()


def _write_state_variable(variable, minibatched, value):
    if not isinstance(variable, tf.distribute.DistributedValues):
        variable.assign(value)
        return
    value = tf.constant(value, dtype=variable.dtype)

    def assign_share():
        context = tf.distribute.get_replica_context()
        if minibatched:
            size = value.shape[0] // context.num_replicas_in_sync
            start = context.replica_id_in_sync_group * size
            variable.assign(value[start : start + size])
        else:
            variable.assign(value)

    variable.distribute_strategy.run(tf.function(assign_share))


def read_saved_state(tensor_graph):
    """The simulation state, as one array per state variable.

    Under a ``tf.distribute`` strategy each replica holds the state of its share
    of the minibatch (replica ``i`` simulates examples ``i k`` to ``(i + 1) k - 1``
    of a global minibatch, ``k`` per replica); the arrays join them, so that they
    are what one device simulating the whole minibatch would hold. With several
    workers, every worker must call this (it gathers from all of them).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built tensor graph.

    Returns
    -------
    list of `~numpy.ndarray`
        One per ``tensor_graph.saved_state`` variable, in order.
    """
    return [
        _read_state_variable(variable, tensor_graph.base_arrays_init["state"][key][-1])
        for key, variable in tensor_graph.saved_state.items()
    ]


def write_saved_state(tensor_graph, values):
    """Set the simulation state (the inverse of `read_saved_state`).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built tensor graph.
    values : list of array_like
        One per ``tensor_graph.saved_state`` variable, as `read_saved_state`
        returns them.
    """
    items = list(tensor_graph.saved_state.items())
    for (key, variable), value in zip(items, values, strict=True):
        minibatched = tensor_graph.base_arrays_init["state"][key][-1]
        _write_state_variable(variable, minibatched, np.asarray(value))


def _replicated(sim):
    # a closed simulator: NengoDL's own method raises the right error
    return not sim.closed and any(
        isinstance(v, tf.distribute.DistributedValues)
        for v in sim.tensor_graph.saved_state.values()
    )


def _isolate_state_init(init):
    def wrapper(self, sim):
        init(self, sim)
        if self.saved_state is not None and _replicated(sim):
            # NengoDL's read gives replica 0's share only
            self.saved_state = read_saved_state(sim.tensor_graph)

    return wrapper


def _isolate_state_reset(reset):
    def wrapper(self):
        if self.saved_state is None or not _replicated(self.sim):
            return reset(self)
        write_saved_state(self.sim.tensor_graph, self.saved_state)
        self.sim._update_steps()
        return None

    return wrapper


def _write_params_file(sim, path, include_state, record):
    """`Simulator.save_params` in one write: with the record, and under a strategy.

    The file holds NengoDL's arrays (``arr_<i>``: the weights, then the state of
    all replicas where ``include_state``) and, where ``record`` is given, the
    record (`nengo_dl_trainable.checkpoint`).
    """
    values = tf.keras.backend.batch_get_value(list(sim.keras_model.weights))
    if include_state:
        values += read_saved_state(sim.tensor_graph)
    extra = {} if record is None else {RECORD_KEY: np.array(record)}
    np.savez_compressed(str(path) + ".npz", *values, **extra)


def _load_arrays(sim, path, include_state):
    """`Simulator.load_params` for a file with a record (and under a strategy)."""
    weights = list(sim.keras_model.weights)
    n_state = len(sim.tensor_graph.saved_state) if include_state else 0
    with np.load(str(path) + ".npz") as saved:
        names = [name for name in saved.files if name != RECORD_KEY]
        values = [saved[f"arr_{i}"] for i in range(len(names))]
    if len(values) != len(weights) + n_state:
        raise SimulationError(
            f"Number of saved parameters in {path} ({len(values)}) != number of "
            f"variables in the model ({len(weights) + n_state})"
        )
    tf.keras.backend.batch_set_value(
        list(zip(weights, values[: len(weights)], strict=True))
    )
    if include_state:
        write_saved_state(sim.tensor_graph, values[len(weights) :])


def _read_record(path):
    with np.load(str(path) + ".npz") as saved:
        return str(saved[RECORD_KEY]) if RECORD_KEY in saved.files else None


def _include_state(include_state, include_non_trainable):
    # NengoDL's own handling of the deprecated name, for calls that bypass it
    if include_non_trainable is not None:
        warnings.warn(
            "include_non_trainable is deprecated, use include_state instead",
            DeprecationWarning,
            stacklevel=3,
        )
        return include_non_trainable
    return include_state


def _save_params(save_params):
    # same signature as NengoDL's method
    def wrapper(self, path, include_state=False, include_non_trainable=None):
        record = None if self.closed else parameters_record(self.model)
        if record is None and not (
            (include_state or include_non_trainable) and _replicated(self)
        ):
            # bound, as NengoDL's require_open decorator expects
            return save_params.__get__(self, type(self))(
                path,
                include_state=include_state,
                include_non_trainable=include_non_trainable,
            )
        _write_params_file(
            self, path, _include_state(include_state, include_non_trainable), record
        )
        return None

    return wrapper


def _load_params(load_params):
    # same signature as NengoDL's method
    def wrapper(self, path, include_state=False, include_non_trainable=None):
        if self.closed:
            # NengoDL's require_open raises its own error
            return load_params.__get__(self, type(self))(
                path,
                include_state=include_state,
                include_non_trainable=include_non_trainable,
            )
        record = _read_record(path)
        check_parameters_record(self.model, record, path)
        if record is None and not (
            (include_state or include_non_trainable) and _replicated(self)
        ):
            return load_params.__get__(self, type(self))(
                path,
                include_state=include_state,
                include_non_trainable=include_non_trainable,
            )
        _load_arrays(self, path, _include_state(include_state, include_non_trainable))
        return None

    return wrapper


def apply():
    """Apply every wrap (once; later calls do nothing)."""
    check_nengo_dl_version()
    check_signatures()
    if (NengoBuilder, "build") not in _ORIGINALS:
        # a classmethod: wrap the function, re-bind as classmethod
        build = NengoBuilder.__dict__["build"]
        _ORIGINALS[(NengoBuilder, "build")] = build
        NengoBuilder.build = classmethod(
            functools.wraps(build.__func__)(_builder_build(build))
        )
    _wrap(graph_optimizer, "transitive_planner", _transitive_planner)
    _wrap(Simulator, "fit", _fit)
    _wrap(TensorGraph, "mark_signals", _mark_signals)
    _wrap(TensorGraph, "call", _call)
    _wrap(Simulator, "get_nengo_params", _get_nengo_params)
    _wrap(SimulationData, "__getitem__", _simulation_data_getitem)
    _wrap(Simulator, "__init__", _simulator_init)
    _wrap(TensorGraph, "__init__", _tensor_graph_init)
    _wrap(TensorGraph, "build_inputs", _build_inputs)
    _wrap(callbacks.IsolateState, "__init__", _isolate_state_init)
    _wrap(callbacks.IsolateState, "reset", _isolate_state_reset)
    _wrap(Simulator, "save_params", _save_params)
    _wrap(Simulator, "load_params", _load_params)
    if (nengo_dl_config, "configure_settings") not in _ORIGINALS:
        _ORIGINALS[(nengo_dl_config, "configure_settings")] = (
            nengo_dl_config.configure_settings
        )
        nengo_dl_config.configure_settings = configure_settings
        nengo_dl.configure_settings = configure_settings

    import nengo_dl_trainable

    nengo_dl.trainable_params = nengo_dl_trainable
    # the inline markers, as NengoDL issue #60 writes them: from nengo_dl import L, S
    nengo_dl.L, nengo_dl.S = nengo_dl_trainable.L, nengo_dl_trainable.S
    sys.modules.setdefault("nengo_dl.trainable_params", nengo_dl_trainable)
