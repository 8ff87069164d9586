"""The core wraps: building, marking, parameter reads, freezing, fitting, files.

Each wrap is applied by `nengo_dl_trainable._nengo_dl.apply`; what a wrap needs
from the package comes from `.extension_points`.
"""

import warnings
from collections import defaultdict

import numpy as np
import tensorflow as tf
from nengo.ensemble import Neurons
from nengo.exceptions import BuildError, SimulationError
from nengo_dl import config as nengo_dl_config

from nengo_dl_trainable._nengo_dl.extension_points import SETTINGS, provided
from nengo_dl_trainable._nengo_dl.tf_distribute import (
    read_saved_state,
    replicated,
    write_saved_state,
)
from nengo_dl_trainable._nengo_dl.wrapping import original

#: The name of the record in a parameter file written by ``save_params``.
RECORD_KEY = "nengo_dl_trainable_parameters"


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


def configure_settings(**settings):
    """Pass settings to NengoDL and to this package.

    Accepts every setting of `nengo_dl.configure_settings`, plus:

    Parameters
    ----------
    trainable_params : str or iterable of str or None
        Adds the ``trainable_params`` config parameter to Ensembles, Neurons and
        Connections of the network being built (the innermost one, as for
        ``trainable``), with this value as default. ``None`` adds the parameter
        without selecting anything. See `nengo_dl_trainable.config.names` for the names
        and the resolution rules.
    tau_step_scale : float or None
        Adds the ``tau_step_scale`` config parameter to Connections and Ensembles
        of the network being built, with this value as default: how fast synapse
        and neuron time constants train (see `.TauStepScaleParam`).
    **settings
        NengoDL's own settings, passed on unchanged.
    """
    for name, configure in SETTINGS.items():
        if name in settings:
            configure(settings.pop(name))
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


def signal_location(tensor_graph, signal):
    """Where NengoDL keeps a signal: its base array's key and its rows there.

    NengoDL merges signals of one dtype, shape and trainability into one base
    array (a Keras variable for trainable ones).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built graph.
    signal : `~nengo.builder.Signal`
        A signal of its model.

    Returns
    -------
    tuple or None
        ``(key, slices)``: the key of ``tensor_graph.base_params`` (or of the
        non-trainable arrays) and the ``(start, stop)`` rows of the signal there;
        None if no operator reads the signal (NengoDL then keeps no array for it).
    """
    tensor_signal = tensor_graph.signals.sig_map.get(signal)
    if tensor_signal is None:
        return None
    return tensor_signal.key, tuple(tensor_signal.slices)


def base_variable(tensor_graph, key):
    """The Keras variable NengoDL holds a trainable base array in.

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built graph.
    key : object
        A key from `signal_location`.

    Returns
    -------
    ``tf.Variable``
    """
    return tensor_graph.base_params[key]


class SignalReader:
    """Reads the current values of a fixed list of signals, as stored.

    NengoDL reads probes and whole parameter arrays but not single signals. A
    reader finds, once, the base array and rows of each signal; each call then
    reads every base array that holds one of them once and takes all their rows
    with one `numpy.take` per array, so that a call's cost grows with the
    number of arrays (a handful, as NengoDL merges signals), not with the
    number of signals.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator (built).
    signals : list of `~nengo.builder.Signal`
        Signals of the simulator's model.
    """

    def __init__(self, sim, signals):
        self.sim = sim
        self.signals = list(signals)
        self.constants = {}  # position -> value (no base array)
        rows = defaultdict(list)  # key -> [(position, indices)]
        self.bases, self.axes = {}, {}
        # a closed simulator has no values to read (see __call__)
        graph = None if sim.closed else sim.tensor_graph
        for position, signal in enumerate([] if graph is None else self.signals):
            tensor_signal = graph.signals.sig_map.get(signal)
            base = None
            if tensor_signal is not None:
                base = graph.base_params.get(tensor_signal.key)
                if base is None:
                    base = graph.saved_state.get(tensor_signal.key)
            if base is None:
                # compiled as a constant (inference_only), or read by no operator:
                # the value it started with
                self.constants[position] = np.asarray(signal.initial_value)
                continue
            self.bases.setdefault(tensor_signal.key, base)
            self.axes[tensor_signal.key] = 1 if tensor_signal.minibatched else 0
            rows[tensor_signal.key].append(
                (
                    position,
                    np.concatenate(
                        [np.arange(start, stop) for start, stop in tensor_signal.slices]
                    ),
                )
            )
        # per array: all rows at once, then where each signal's rows are in them
        self.rows = {}
        for key, entries in rows.items():
            leading = (slice(None),) * self.axes[key]
            places, start = [], 0
            for position, indices in entries:
                places.append(
                    (position, (*leading, slice(start, start + len(indices))))
                )
                start += len(indices)
            self.rows[key] = (np.concatenate([i for _, i in entries]), places)

    def __call__(self):
        """The signals' current values.

        Returns
        -------
        list of `~numpy.ndarray`
            In the order of ``signals``. If the simulator is closed, the initial
            values (with a warning).
        """
        if self.sim.closed:
            warnings.warn(
                "Checking parameters after simulator is closed; cannot fetch live "
                "values, so the initial values will be returned."
            )
            return [np.asarray(s.initial_value) for s in self.signals]
        keys = list(self.bases)
        arrays = tf.keras.backend.batch_get_value([self.bases[k] for k in keys])
        values = [None] * len(self.signals)
        for position, value in self.constants.items():
            values[position] = value
        for key, array in zip(keys, arrays, strict=True):
            indices, places = self.rows[key]
            taken = np.take(array, indices, axis=self.axes[key])
            for position, place in places:
                values[position] = taken[place]
        return values


def signal_values(sim, signals):
    """The current values of signals, as stored (for example ``log tau``).

    One `SignalReader` call: for repeated reads of the same signals, keep the
    reader.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator (if closed, the initial values are returned, with a
        warning).
    signals : list of `~nengo.builder.Signal`
        Signals of the simulator's model.

    Returns
    -------
    list of `~numpy.ndarray`
    """
    return SignalReader(sim, signals)()


def _mark_signals(mark_signals):
    def wrapper(self):
        mark_signals(self)
        mark = provided("mark_signals")
        if mark is not None and self.model.toplevel is not None:
            mark(self)

    return wrapper


def _call(call):
    # same signature as TensorGraph.call: Keras inspects it
    def wrapper(self, inputs, training=None, progress=None, stateful=False):
        self.signals.parameter_variables = self.base_params
        return call(
            self, inputs, training=training, progress=progress, stateful=stateful
        )

    return wrapper


def _tensor_graph_build(build):
    """Give NengoDL's base-parameter variables unique, readable names.

    NengoDL names each variable by its kind, dtype and shape; two variables of
    one shape (this package's parameters can make such pairs, for example a
    synapse's and a neuron type's time constant) then share a name, and Keras'
    HDF5 ``save_weights`` cannot write them. A variable that holds some of the
    package's parameters gets their labels after ``__`` (for example
    ``base_params/trainable_float32_1__synapse.tau__neuron_type.tau_rc``, from the
    ``"variable_labels"`` extension point); a name still taken gets ``__2``,
    ``__3``, ... (no NengoDL name contains ``__``). A variable without them keeps
    NengoDL's name, so stock models are unchanged.

    NengoDL's build adds one base-parameter variable per entry of
    ``base_arrays_init["trainable"]``, then ``["non_trainable"]``, in that order;
    the labels are matched to the calls by that order.
    """

    def wrapper(self, input_shape=None):
        variable_labels = provided("variable_labels")
        labels = {} if variable_labels is None else variable_labels(self)
        keys = iter(
            [
                key
                for sig_type in ("trainable", "non_trainable")
                for key in self.base_arrays_init[sig_type]
            ]
        )
        used = {}
        add_weight = self.add_weight

        def unique_add_weight(*args, name=None, **kwargs):
            if name is not None and name.startswith("base_params/"):
                label = labels.get(next(keys, None))
                if label:
                    name = f"{name}__{label}"
                used[name] = used.get(name, 0) + 1
                if used[name] > 1:
                    name = f"{name}__{used[name]}"
            return add_weight(*args, name=name, **kwargs)

        # an instance attribute: only this layer's build sees it
        object.__setattr__(self, "add_weight", unique_add_weight)
        try:
            return build(self, input_shape)
        finally:
            object.__delattr__(self, "add_weight")

    return wrapper


def _get_nengo_params(get_nengo_params):
    def wrapper(self, nengo_objs, as_dict=False):
        params = get_nengo_params(self, nengo_objs, as_dict=as_dict)
        learned_nengo_params = provided("learned_nengo_params")
        if learned_nengo_params is None:
            return params
        scalar = not isinstance(nengo_objs, (list, tuple))
        objs = [nengo_objs] if scalar else list(nengo_objs)
        # NengoDL reports Neurons as their ensemble
        objs = [o.ensemble if isinstance(o, Neurons) else o for o in objs]
        entries = [params] if scalar else list(params.values()) if as_dict else params
        learned = learned_nengo_params(self, objs)
        for obj, entry in zip(objs, entries, strict=True):
            entry.update(learned.get(obj, {}))
        return params

    return wrapper


def _simulation_data_getitem(getitem):
    def wrapper(self, obj):
        data = getitem(self, obj)
        simulation_data = provided("simulation_data")
        return data if simulation_data is None else simulation_data(self.sim, obj, data)

    return wrapper


def _fit(fit):
    def wrapper(self, *args, **kwargs):
        fit_callbacks = provided("fit_callbacks")
        # a closed simulator: NengoDL's own fit raises the right error
        if fit_callbacks is not None and not self.closed:
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + list(
                fit_callbacks(self)
            )
        # bound, as NengoDL's require_open decorator expects (it names the
        # method in its error, which an unbound call turns into a partial)
        return fit.__get__(self, type(self))(*args, **kwargs)

    return wrapper


def _compile(compile_):
    def wrapper(self, *args, **kwargs):
        # bound, as for fit (NengoDL's require_open names the method)
        result = compile_.__get__(self, type(self))(*args, **kwargs)
        compiled = provided("compiled")
        if compiled is not None:
            compiled(self)
        return result

    return wrapper


def _parameter_set(set_value):
    # every Nengo parameter value passes through here: inline markers
    # (``L(0.01)``) are unwrapped and recorded by the point's function
    def __set__(self, instance, value):
        unmark = provided("parameter_set")
        if unmark is not None:
            value = unmark(self, instance, value)
        set_value(self, instance, value)

    return __set__


def _transitive_planner(planner):
    def wrapper(operators):
        operator_types = provided("operator_types")
        types = () if operator_types is None else operator_types()
        ours = sorted({type(op).__name__ for op in operators if type(op) in types})
        if ours:
            raise BuildError(
                "NengoDL's transitive_planner only knows NengoDL's own operator "
                f"types, not nengo_dl_trainable's ({', '.join(ours)}); use another "
                "planner (the default, nengo_dl.graph_optimizer.tree_planner, or "
                "greedy_planner)"
            )
        return planner(operators)

    return wrapper


def _write_params_file(sim, path, include_state, record):
    """`Simulator.save_params` in one write: with the record, and under a strategy.

    The file holds NengoDL's arrays (``arr_<i>``: the weights, then the state of
    all replicas where ``include_state``) and, where ``record`` is given, the
    record (the ``checkpoint_record`` extension point).
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


class StockParametersLoaded(UserWarning):
    """A parameter file without this package's parameters was loaded.

    Issued by ``Simulator.load_params`` when it loads a file saved by stock
    NengoDL (or by a model without this package's parameters) into a model that
    has some: NengoDL's own variables take the file's values, this package's
    parameters keep their current (configured) values.
    """


def _load_stock_file(sim, path, include_state, excluded):
    """Load a stock NengoDL file into the model's NengoDL variables only.

    NengoDL's files are positional: the file's arrays are the stock model's
    variables in order. Here they go, in order, to the model's variables that
    hold none of ``excluded`` (this package's parameter signals), which are
    NengoDL's own variables in NengoDL's order; each shape must match. A
    variable holding both kinds of signal, or a state file, is refused.
    """
    if include_state:
        raise SimulationError(
            f"cannot load the state in {path}: it was saved without "
            "nengo_dl_trainable's parameters, and this model's simulation state "
            "differs (its trainable synapses and neurons keep their own state); "
            "load it with include_state=False"
        )
    signals = sim.tensor_graph.signals
    held = {}
    for sig in excluded:
        key = signals.sig_map[sig].key
        held[key] = held.get(key, 0) + sig.size
    package_variables = []
    for key, size in held.items():
        variable = sim.tensor_graph.base_params[key]
        if variable.shape[0] != size:
            raise SimulationError(  # pragma: no cover (NengoDL keeps them apart)
                f"cannot load {path} (saved without nengo_dl_trainable's "
                f"parameters): the model's variable {variable.name} holds both "
                "NengoDL's and nengo_dl_trainable's parameters"
            )
        package_variables.append(variable)
    weights = [
        w for w in sim.keras_model.weights if not any(w is v for v in package_variables)
    ]
    with np.load(str(path) + ".npz") as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    shapes = [tuple(w.shape) for w in weights]
    if [v.shape for v in values] != shapes:
        raise SimulationError(
            f"cannot load {path} (saved without nengo_dl_trainable's parameters): "
            f"it holds {len(values)} array(s) of shapes "
            f"{[v.shape for v in values]}, and this model's NengoDL variables "
            f"(without nengo_dl_trainable's) have shapes {shapes}: the networks "
            "differ"
        )
    tf.keras.backend.batch_set_value(list(zip(weights, values, strict=True)))
    warnings.warn(
        f"{path} holds NengoDL's parameters only (no record of "
        f"nengo_dl_trainable's): loaded into NengoDL's {len(weights)} "
        f"variable(s); this model's {len(excluded)} nengo_dl_trainable "
        "parameter(s) keep their configured values",
        StockParametersLoaded,
        stacklevel=3,
    )


def _checkpoint_record(model):
    record = provided("checkpoint_record")
    return None if record is None else record(model)


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
        record = None if self.closed else _checkpoint_record(self.model)
        if record is None and not (
            (include_state or include_non_trainable) and replicated(self)
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
        check = provided("check_checkpoint_record")
        excluded = None if check is None else check(self.model, record, path)
        if excluded:
            _load_stock_file(
                self,
                path,
                _include_state(include_state, include_non_trainable),
                excluded,
            )
            return None
        if record is None and not (
            (include_state or include_non_trainable) and replicated(self)
        ):
            return load_params.__get__(self, type(self))(
                path,
                include_state=include_state,
                include_non_trainable=include_non_trainable,
            )
        _load_arrays(self, path, _include_state(include_state, include_non_trainable))
        return None

    return wrapper
