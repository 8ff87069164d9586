"""What this package's domain modules give the NengoDL wraps.

The wraps (`nengo_dl_trainable._nengo_dl`) import nothing of the package's domain
modules: a domain module registers, at import, the function a wrap calls. Each
point below holds at most one function (registering twice replaces it); a wrap
whose point is empty behaves as stock NengoDL.
"""

#: ``configure_settings`` keywords of this package: name -> ``configure(value)``.
SETTINGS = {}

#: The extension's functions, by point:
#:
#: ``"mark_signals"``
#:     ``mark(tensor_graph)``, after NengoDL's ``TensorGraph.mark_signals``: set the
#:     ``trainable`` and ``minibatched`` flags of the package's signals.
#: ``"learned_nengo_params"``
#:     ``learned(sim, objs)`` -> ``{obj: {key: value}}``: what
#:     ``Simulator.get_nengo_params`` adds for objects that trained a parameter.
#: ``"simulation_data"``
#:     ``data(sim, obj, built)`` -> what ``sim.data[obj]`` returns instead of
#:     NengoDL's ``built``.
#: ``"fit_callbacks"``
#:     ``callbacks(sim)`` -> list of Keras callbacks ``Simulator.fit`` adds.
#: ``"operator_types"``
#:     ``types()`` -> tuple of the package's operator types (refused by NengoDL's
#:     ``transitive_planner``).
#: ``"checkpoint_record"``
#:     ``record(model)`` -> str or None: written beside the arrays by ``save_params``.
#: ``"check_checkpoint_record"``
#:     ``check(model, record, path)``: raises if a file's record (None if it has
#:     none) does not fit the model; called by ``load_params``. Returns None to
#:     load the file as it is, or, for a file without this package's parameters
#:     loaded into a model with some, the list of the package's parameter
#:     signals, which then keep their values while NengoDL's variables load.
#: ``"compiled"``
#:     ``compiled(sim)``, after ``Simulator.compile``: adapt the optimizer the
#:     Keras model now holds.
#: ``"parameter_set"``
#:     ``value = unmark(param, instance, value)``, before Nengo's
#:     ``Parameter.__set__``: the value to set in place of ``value`` (a marker's
#:     value), recording on ``instance`` what the marker said.
#: ``"variable_labels"``
#:     ``labels(tensor_graph)`` -> ``{base_array_key: label}``: a readable label
#:     (what the package's parameters in it are) for each of NengoDL's
#:     base-parameter variables that holds some; added to the variable's name.
POINTS = {}

_NAMES = (
    "mark_signals",
    "learned_nengo_params",
    "simulation_data",
    "fit_callbacks",
    "operator_types",
    "checkpoint_record",
    "check_checkpoint_record",
    "variable_labels",
    "compiled",
    "parameter_set",
)


def provide(point):
    """Register the decorated function at an extension point.

    Parameters
    ----------
    point : str
        One of the points listed in `POINTS`.

    Returns
    -------
    callable
        A decorator that registers its function and returns it unchanged.
    """
    if point not in _NAMES:
        raise ValueError(f"unknown extension point {point!r}; one of {_NAMES}")

    def register(function):
        POINTS[point] = function
        return function

    return register


def provided(point):
    """The function registered at ``point``, or None.

    Parameters
    ----------
    point : str
        One of the points listed in `POINTS`.

    Returns
    -------
    callable or None
    """
    if point not in _NAMES:
        raise ValueError(f"unknown extension point {point!r}; one of {_NAMES}")
    return POINTS.get(point)


def provide_setting(name, configure):
    """Register a ``configure_settings`` keyword of this package.

    Parameters
    ----------
    name : str
        The keyword.
    configure : callable
        ``configure(value)``, called inside the network being configured.
    """
    SETTINGS[name] = configure
