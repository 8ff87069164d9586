"""The ``trainable_params`` config parameter: which attributes of an object train.

``trainable_params`` is added to `~nengo.Ensemble`, `~nengo.ensemble.Neurons` and
`~nengo.Connection` by `nengo_dl_trainable.configure_settings`. Its value is a set
of attribute names:

==========  ===============================================================
object      names
==========  ===============================================================
Connection  ``"weights"``, ``"synapse"``, ``"synapse.<param>"``
Ensemble    ``"encoders"``, ``"bias"``, ``"gain"``, ``"neuron_type"``,
            ``"neuron_type.<param>"``
Neurons     ``"bias"``, ``"neuron_type"``, ``"neuron_type.<param>"``
==========  ===============================================================

``"synapse"`` selects every trainable parameter of the connection's synapse and
``"synapse.tau"`` only the one named (likewise for ``"neuron_type"``).
``"gain"`` trains an ensemble's gain on its own, apart from its encoders (see
`nengo_dl_trainable.gain`); NengoDL never trains it, so ``"stock"`` does not
include it.

A second config parameter, ``tau_step_scale`` on Connections and Ensembles
(`.TauStepScaleParam`, ``configure_settings(tau_step_scale=...)``), multiplies how
far an optimizer step moves a connection's synapse time constants, or an
ensemble's neuron time constants (``tau_rc``, ``tau_ref``, ``tau_n``), with the
same meaning for every kind (1 unless set). It resolves as
``trainable_params`` does (a value on the object beats a default; among defaults
the innermost network wins); set on an object with no time constant that trains,
it is an error.

Resolution rules
----------------
The value for an object is looked up in the config of every network that contains
it. NengoDL's own ``trainable`` flag takes part in the same lookup.

- A setting on the object itself (``net.config[obj]``) always beats a class or
  network default (``net.config[nengo.Connection]``, or
  ``configure_settings(trainable_params=...)``), wherever the two are set. Among
  settings of the same rank the innermost network wins, and at one network
  ``trainable_params`` beats ``trainable``.
- Where the winning setting is a ``trainable_params`` value, that set is the whole
  answer for the object: exactly the attributes named are trained. The name
  ``"stock"`` stands for what NengoDL trains by default (``"weights"`` on
  connections, ``"encoders"`` and ``"bias"`` on ensembles, ``"bias"`` on neurons),
  so ``{"stock", "synapse"}`` trains the synapses in addition.
- Where the winning setting is ``trainable`` (or nothing is set), NengoDL decides
  as it always has: weights, encoders and biases follow ``trainable``, and no
  synapse or neuron-type parameter trains.
- Names set on an object must all apply to it: ``"weights"`` on a connection
  without weights, ``"synapse"`` on a ``Triangle`` synapse or ``"neuron_type"`` on
  ``Izhikevich`` neurons is an error naming the object. Names set as a class or
  network default apply wherever they can: objects without the attribute are
  passed over silently, and attributes that cannot train (an unsupported synapse
  or neuron type, an unstable filter, a parameter that starts at 0) are skipped
  and listed in one `.TrainableParamsWarning` when the simulator is built (and in
  `nengo_dl_trainable.summary`).
- Neurons without a setting of their own take their ensemble's answer for
  ``"bias"`` and ``"neuron_type"``, as NengoDL does for ``trainable``; a setting
  on the ensemble object beats a class default on the neurons. Where the neurons'
  own setting leaves out a name that their ensemble's own setting selects for
  them, the build raises an error naming both.
- With ``inference_only=True`` nothing trains; configured parameters are
  computed from their current values as constants.
- Values marked inline with `~nengo_dl_trainable.markers.L` (learned) or
  `~nengo_dl_trainable.markers.S` (fixed) are the object's own word on their
  names: they must agree with a ``trainable_params`` set on the object, and
  otherwise add their names to (or remove them from) what the rules above
  select, with NengoDL's stock choice where no ``trainable_params`` decides.
"""

import difflib
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from nengo import Connection, Ensemble, Network
from nengo.ensemble import Neurons
from nengo.exceptions import ConfigError, NetworkContextError, ValidationError
from nengo.neurons import Direct
from nengo.params import NumberParam, Parameter
from nengo_dl import compat

from nengo_dl_trainable.markers import marked_names

#: The config parameter's name.
PARAM_NAME = "trainable_params"

#: Base attribute names accepted on each configurable class.
VALID_NAMES = {
    Connection: ("weights", "synapse"),
    Ensemble: ("encoders", "bias", "gain", "neuron_type"),
    Neurons: ("bias", "neuron_type"),
}

#: Names that may be followed by ``.<param>`` to select one parameter.
PARAMETRIZED_NAMES = ("synapse", "neuron_type")

#: The name that stands for what NengoDL trains by default on each class.
STOCK = "stock"

#: What `STOCK` stands for on each class.
STOCK_NAMES = {
    Connection: ("weights",),
    Ensemble: ("encoders", "bias"),
    Neurons: ("bias",),
}


class TrainableParamsError(ValidationError):
    """A ``trainable_params`` setting that cannot be honoured.

    Raised at config time for names that are not valid for the class, and at build
    time for names that are not valid for the particular object (a connection
    without a synapse, a parameter that the synapse or neuron type does not have).
    """

    def __init__(self, msg, obj=None):
        super().__init__(msg, attr=PARAM_NAME, obj=obj)

    def __str__(self):
        return self.args[0] if self.obj is None else f"{self.obj}: {self.args[0]}"


class TrainableParamsWarning(UserWarning):
    """Names given as a class or network default that some objects cannot train.

    Issued once per simulator build, listing every object and attribute skipped
    and why (`nengo_dl_trainable.summary` lists them too).
    """


def _candidates(obj_types):
    """Every valid name (with ``.<param>`` forms) for the given classes."""
    names = [STOCK]
    for obj_type in obj_types:
        for base in VALID_NAMES[obj_type]:
            for name in (
                (base, f"{base}.<param>") if base in PARAMETRIZED_NAMES else (base,)
            ):
                if name not in names:
                    names.append(name)
    return names


def _applies(name, obj_type):
    """Whether ``name`` is a valid attribute name for objects of class ``obj_type``."""
    if name == STOCK:
        return True
    base, dot, param = name.partition(".")
    return (
        base in VALID_NAMES[obj_type]
        and (
            not dot
            or (base in PARAMETRIZED_NAMES and param.isidentifier())
            # a spiking wrapper's base type: "neuron_type.base_type.<param>"
            or (
                base == "neuron_type"
                and param.startswith("base_type.")
                and param[len("base_type.") :].isidentifier()
            )
        )
    )


def unknown_name_message(name, candidates, what):
    """Describe an unknown attribute name, with a suggestion where one is close.

    Parameters
    ----------
    name : str
        The name the user gave.
    candidates : list of str
        The names that would have been valid.
    what : str
        What the valid names belong to (e.g. ``"Connection"``).

    Returns
    -------
    str
        A message naming the bad name and every valid one.
    """
    msg = f"unknown trainable attribute {name!r}; valid names for {what} are " + (
        ", ".join(repr(c) for c in candidates) if candidates else "(none)"
    )
    close = difflib.get_close_matches(name, candidates, n=1)
    if close:
        msg += f". Did you mean {close[0]!r}?"
    return msg


def _as_names(value, obj_types, obj):
    """Check the type of a ``trainable_params`` value; return its names as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bool, numbers.Number, Mapping)) or not isinstance(
        value, Iterable
    ):
        raise TrainableParamsError(
            f"must be None, an attribute name or a collection of attribute names "
            f"(got {value!r} of type {type(value).__name__}); valid names are "
            + ", ".join(repr(c) for c in _candidates(obj_types)),
            obj=obj,
        )
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise TrainableParamsError(
                f"attribute names must be strings (got {name!r} of type "
                f"{type(name).__name__})",
                obj=obj,
            )
    return names


def parse_trainable_params(value, obj_type, obj=None):
    """Check a ``trainable_params`` value and return it as a frozenset of names.

    Parameters
    ----------
    value : str or iterable of str or None
        ``None`` (unset), one attribute name, or a collection of names.
    obj_type : type
        `~nengo.Connection`, `~nengo.Ensemble` or `~nengo.ensemble.Neurons`.
    obj : object, optional
        The object (or class) being configured, used in error messages.

    Returns
    -------
    frozenset of str or None
        The names, or None if ``value`` is None.

    Raises
    ------
    TrainableParamsError
        If ``value`` has the wrong type or holds a name that is not valid for
        ``obj_type``.
    """
    if value is None:
        return None
    names = _as_names(value, [obj_type], obj)
    for name in names:
        if not _applies(name, obj_type):
            raise TrainableParamsError(
                unknown_name_message(name, _candidates([obj_type]), obj_type.__name__),
                obj=obj,
            )
    return frozenset(names)


def _names_for_each_type(value):
    """Split a network-wide default into the names that apply to each class.

    Every name must apply to at least one class.
    """
    if value is None:
        return dict.fromkeys(VALID_NAMES)
    names = _as_names(value, VALID_NAMES, obj=None)
    for name in names:
        if not any(_applies(name, obj_type) for obj_type in VALID_NAMES):
            raise TrainableParamsError(
                unknown_name_message(
                    name, _candidates(VALID_NAMES), "Ensembles, Neurons or Connections"
                )
            )
    return {
        obj_type: frozenset(n for n in names if _applies(n, obj_type))
        for obj_type in VALID_NAMES
    }


class TrainableParamsParam(Parameter):
    """Config parameter holding the set of attribute names to train.

    Values are validated when they are set: see `.parse_trainable_params`.

    Parameters
    ----------
    obj_type : type
        The class the parameter is added to (`~nengo.Connection`,
        `~nengo.Ensemble` or `~nengo.ensemble.Neurons`).
    default : str or iterable of str or None
        Value for objects that do not set one.
    """

    equatable = True

    def __init__(self, obj_type, default=None):
        self.obj_type = obj_type
        super().__init__(
            PARAM_NAME, default=parse_trainable_params(default, obj_type), optional=True
        )

    def coerce(self, instance, value):
        value = super().coerce(instance, value)
        return parse_trainable_params(
            value, self.obj_type, obj=getattr(instance, "_configures", instance)
        )


def configure_trainable_params(value=None):
    """Add the ``trainable_params`` parameter to the current network's config.

    This is what ``configure_settings(trainable_params=value)`` does. Like NengoDL's
    ``trainable`` setting, it configures the innermost network being built, so that
    settings in a subnetwork need a call inside that subnetwork.

    Parameters
    ----------
    value : str or iterable of str or None
        Default for every Ensemble, Neurons and Connection in the network: each
        class gets the names that apply to it, so ``{"synapse"}`` trains exactly
        the synapses (and no weights, encoders or biases). Every name must apply
        to some class. ``None`` leaves the decision to higher networks and to
        ``trainable``. Calling it again changes these defaults and keeps the
        values set on objects.

    It also adds the ``tau_step_scale`` parameter to Connections and Ensembles
    (without changing its default), so that each can set its own.
    """
    names = _names_for_each_type(value)
    for obj_type in VALID_NAMES:
        _set_class_default(
            obj_type,
            PARAM_NAME,
            names[obj_type],
            lambda t=obj_type: TrainableParamsParam(t),
        )
    # so that objects can set their own ``tau_step_scale`` (default unchanged)
    for obj_type in STEP_SCALE_TYPES:
        _class_params(obj_type, STEP_SCALE_NAME, TauStepScaleParam)


def _class_params(obj_type, name, make_param):
    """``obj_type``'s config in the innermost network being built.

    With config parameter ``name``, added as ``make_param()`` if not there yet.
    """
    if len(Network.context) == 0:
        raise NetworkContextError(
            "`configure_settings` must be called within a Network context "
            "(`with nengo.Network(): ...`)"
        )
    config = Network.context[-1].config
    try:
        params = config[obj_type]
    except ConfigError:
        config.configures(obj_type)
        params = config[obj_type]
    if name not in params.params:
        params.set_param(name, make_param())
    return params


def _set_class_default(obj_type, name, value, make_param):
    """Set ``name``'s default for ``obj_type`` in the innermost network built.

    The config parameter is added (``make_param()``) if needed.
    """
    # setting the default, not replacing the parameter: a new parameter would
    # silently drop every value already set on an object
    setattr(_class_params(obj_type, name, make_param), name, value)


#: The config parameter setting how fast time constants train.
STEP_SCALE_NAME = "tau_step_scale"

#: The objects with a ``tau_step_scale``: a connection's applies to its synapse,
#: an ensemble's to its neuron type.
STEP_SCALE_TYPES = (Connection, Ensemble)


class TauStepScaleParam(NumberParam):
    """Config parameter: the step scale of an object's time constants (unitless).

    On a connection it applies to the synapse's time constants, on an ensemble
    to the neuron type's (``tau_rc``, ``tau_ref``, ``tau_n``; not to
    ``amplitude`` and the other parameters), with one meaning for every kind of
    time constant (shared, per dimension, per neuron, a `.DoubleExp`'s): a time
    constant trains as ``theta = log(tau) / tau_step_scale``
    (`.LogEncoding`), so an optimizer step of size ``lr`` in ``theta`` changes
    ``tau`` by a factor of about ``exp(tau_step_scale * lr)``, at most
    ``exp(tau_step_scale * lr * n)`` in ``n`` steps. ``None`` (the default)
    is `.DEFAULT_STEP_SCALE` (1). Parameters saved with ``Simulator.save_params``
    load only where the same scale applies (see `.check_parameters_record`).
    """

    def __init__(self):
        super().__init__(
            STEP_SCALE_NAME, default=None, low=0, low_open=True, optional=True
        )

    def coerce(self, instance, value):
        if isinstance(value, numbers.Real) and not np.isfinite(value):
            # checked first: Nengo's own check cannot compare NaN
            raise ValidationError(
                f"must be a positive finite number or None, not {value}",
                attr=self.name,
                obj=instance,
            )
        value = super().coerce(instance, value)
        return value if value is None else float(value)


def configure_tau_step_scale(value=None):
    """Set the default ``tau_step_scale`` of the connections and ensembles here.

    This is what ``configure_settings(tau_step_scale=value)`` does. Like
    ``trainable_params``, it configures the innermost network being built; a
    value set on an object (``net.config[conn].tau_step_scale = 5``) beats it,
    and among defaults the innermost network's wins. To set it for one class
    only, set that class's default: ``net.config[nengo.Connection].tau_step_scale
    = 10`` (after a ``configure_settings`` call has added the parameter).

    Parameters
    ----------
    value : float or None
        The step scale (positive); ``None`` for `.DEFAULT_STEP_SCALE`.
    """
    for obj_type in STEP_SCALE_TYPES:
        _set_class_default(obj_type, STEP_SCALE_NAME, value, TauStepScaleParam)


def resolve_tau_step_scale(configs, obj):
    """The ``tau_step_scale`` that applies to ``obj``, and whether it set it.

    Parameters
    ----------
    configs : list of `~nengo.Config`
        The configs of the networks containing ``obj``, top-level network first.
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The connection or ensemble.

    Returns
    -------
    value : float or None
        The step scale, or None for the package's choice.
    on_object : bool
        Whether the value was set on the object itself.
    """
    on_object = on_class = None
    for config in configs:  # a lower network replaces a higher one's setting
        instance_value, class_value = _level_values(config, obj, STEP_SCALE_NAME)
        if instance_value is not None:
            on_object = instance_value
        if class_value is not None:
            on_class = class_value
    if on_object is not None:
        return on_object, True
    return on_class, False


def _level_values(config, obj, name):
    """Return (instance value, class value) of config parameter ``name`` for ``obj``.

    Either is None where it is not set (or the parameter is not in this config).
    """
    try:
        instance_params = config[obj]
        instance_value = (
            getattr(instance_params, name) if name in instance_params else None
        )
        class_value = getattr(config[type(obj)], name)
    except (AttributeError, ConfigError):
        return None, None
    return instance_value, class_value


@dataclass(frozen=True)
class Setting:
    """The config setting that decides what an object trains.

    Attributes
    ----------
    param_name : str
        ``"trainable_params"`` (``value`` a frozenset of names) or ``"trainable"``
        (NengoDL's flag; ``value`` a bool).
    value : frozenset of str or bool
        The setting's value.
    on_object : bool
        Whether it was set on the object itself rather than as a class or
        network default.
    where : str
        Where it was set, for messages (e.g. ``"config[<Ensemble 'a'>]"``).
    """

    param_name: str
    value: object
    on_object: bool
    where: str


def resolve_setting(configs, obj):
    """Find the setting that decides what ``obj`` trains (its own, not inherited).

    Parameters
    ----------
    configs : list of `~nengo.Config`
        The configs of the networks containing ``obj``, top-level network first.
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object.

    Returns
    -------
    Setting or None
        The winning setting (see the module docs for the order), or None if
        neither ``trainable_params`` nor ``trainable`` is set anywhere.
    """
    on_object = on_class = None
    for config in configs:  # a lower network replaces a higher one's setting
        params_inst, params_cls = _level_values(config, obj, PARAM_NAME)
        flag_inst, flag_cls = _level_values(config, obj, "trainable")
        if params_inst is not None:
            on_object = Setting(PARAM_NAME, params_inst, True, f"config[{obj}]")
        elif flag_inst is not None:
            on_object = Setting("trainable", flag_inst, True, f"config[{obj}]")
        where = f"config[{type(obj).__name__}]"
        if params_cls is not None:
            on_class = Setting(PARAM_NAME, params_cls, False, where)
        elif flag_cls is not None:
            on_class = Setting("trainable", flag_cls, False, where)
    return on_object or on_class


class SelectedNames(frozenset):
    """The attribute names selected for an object, and whether it set them itself.

    A frozenset of names, with ``"stock"`` expanded, plus:

    Attributes
    ----------
    explicit : bool
        True if the names come from a setting on the object (or, for neurons,
        on their ensemble): every name must then apply. False for a class or
        network default, whose names apply only where they can.
    marked : frozenset of str
        Names marked learned with `~nengo_dl_trainable.markers.L`: each must
        apply, as if set on the object.
    excluded : frozenset of str
        Parameters (``"synapse.tau"``) marked fixed with
        `~nengo_dl_trainable.markers.S` while their prefix is selected.
    """

    def __new__(cls, names=(), explicit=False, marked=(), excluded=()):
        self = super().__new__(cls, names)
        self.explicit = explicit
        self.marked = frozenset(marked)
        self.excluded = frozenset(excluded)
        return self

    def is_explicit(self, name):
        """Whether ``name`` was set on the object (or marked), so it must apply."""
        return self.explicit or _covers(self.marked, name)

    def __repr__(self):
        return (
            f"SelectedNames({set(self) or '{}'}, explicit={self.explicit}, "
            f"marked={set(self.marked) or '{}'}, excluded={set(self.excluded) or '{}'})"
        )


def _expand_stock(names, obj):
    """Replace `STOCK` by the names it stands for on ``obj`` (those it has)."""
    if STOCK not in names:
        return frozenset(names)
    stock = {n for n in STOCK_NAMES[type(obj)] if _has_attribute(obj, n)}
    return frozenset(names - {STOCK}) | stock


def _covers(names, name):
    """Whether ``names`` selects ``name`` (``"neuron_type"`` covers its params)."""
    return name in names or name.partition(".")[0] in names


def _neurons_setting(configs, neurons):
    """The setting deciding for an ensemble's neurons, with the ensemble's rank.

    Raises if the neurons' own setting leaves out a name that the ensemble's own
    setting selects for them (an explicit setting must never lose silently).
    """
    own = resolve_setting(configs, neurons)
    ens = resolve_setting(configs, neurons.ensemble)
    inherited = ens
    if ens is not None and ens.param_name == PARAM_NAME:
        # an ensemble's "encoders" and "gain" are not the neurons' business
        inherited = Setting(
            PARAM_NAME, ens.value - {"encoders", "gain"}, ens.on_object, ens.where
        )
    if own is not None and own.on_object:
        if inherited is not None and inherited.on_object:
            _check_neurons_agree(neurons, own, inherited)
        return own
    if inherited is not None and inherited.on_object:
        return inherited
    return own if own is not None else inherited


def _check_neurons_agree(neurons, own, inherited):
    if inherited.param_name != PARAM_NAME:
        return
    wanted = _expand_stock(inherited.value, neurons)
    if own.param_name == PARAM_NAME:
        granted = _expand_stock(own.value, neurons)
    else:
        granted = {"bias"} if own.value else set()
    lost = sorted(n for n in wanted if not _covers(granted, n))
    if lost:
        raise TrainableParamsError(
            f"{inherited.where} selects {lost} for the ensemble's neurons, but the "
            f"neurons' own {own.where} = {own.value!r} leaves "
            f"{'it' if len(lost) == 1 else 'them'} out, and the neurons' own setting "
            "decides for them. Set these names in one of the two places only.",
            obj=neurons,
        )


def selected_attributes(configs, obj):
    """The attribute names ``trainable_params`` selects for ``obj``.

    Parameters
    ----------
    configs : list of `~nengo.Config`
        The configs of the networks containing ``obj``, top-level network first.
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object.

    Returns
    -------
    SelectedNames or None
        The selected names, or None if ``trainable_params`` does not decide for
        this object (NengoDL's stock rules apply). Names from a class or network
        default are left out where the object lacks the attribute entirely (a
        connection without weights or synapse, the bias or gain of ``Direct``
        neurons).

    Raises
    ------
    TrainableParamsError
        If an ensemble's own setting and its neurons' own setting contradict
        each other.
    """
    if isinstance(obj, Neurons):
        setting = _neurons_setting(configs, obj)
    else:
        setting = resolve_setting(configs, obj)
    markers = marked_names(obj)
    if setting is not None and setting.param_name == PARAM_NAME:
        names = _expand_stock(setting.value, obj)
        if markers and setting.on_object:
            _check_markers_agree(setting, names, obj, markers)
    elif not markers:
        return None
    elif setting is None or setting.value:
        names = _expand_stock({STOCK}, obj)  # what NengoDL trains
    else:
        names = frozenset()  # trainable=False
    on_object = setting is not None and setting.on_object
    if not on_object:
        names = frozenset(n for n in names if _has_attribute(obj, n))
    if not markers:
        return SelectedNames(names, explicit=on_object)
    return _with_markers(names, on_object, obj, markers)


def _check_markers_agree(setting, names, obj, markers):
    """A marker must agree with ``trainable_params`` set on the object itself."""
    disagree = sorted(
        f"{'L' if is_learned else 'S'}(...) on {name!r}"
        for name, is_learned in markers.items()
        if _covers(names, name) != is_learned
    )
    if disagree:
        raise TrainableParamsError(
            f"the markers {', '.join(disagree)} contradict {setting.where} = "
            f"{set(setting.value)}; mark a value or name it in "
            "trainable_params, not both in opposite ways",
            obj=obj,
        )


def _with_markers(names, on_object, obj, markers):
    """The names the settings select for ``obj``, changed by its markers.

    A marker is the object's own word on one name: learned names are added to,
    and fixed ones removed from, what the settings select (NengoDL's stock names
    where no ``trainable_params`` decides).
    """
    learned = frozenset(n for n, is_learned in markers.items() if is_learned)
    fixed = frozenset(n for n, is_learned in markers.items() if not is_learned)
    clashes = sorted(
        f"L(...) on {a!r} and S(...) on {b!r}"
        for a in learned
        for b in fixed
        if _covers({a}, b) or _covers({b}, a)
    )
    if clashes:
        raise TrainableParamsError(
            f"the markers contradict each other: {', '.join(clashes)}", obj=obj
        )
    names = frozenset(n for n in names if n not in fixed and not _covers(fixed, n))
    return SelectedNames(
        names | learned,
        explicit=on_object,
        marked=learned,
        excluded=frozenset(n for n in fixed if "." in n),
    )


def _has_attribute(obj, name):
    """Whether ``obj`` has the attribute a name refers to at all."""
    base = name.partition(".")[0]
    if base == "weights":
        return compat.conn_has_weights(obj)
    if base == "synapse":
        return obj.synapse is not None
    if base in ("bias", "gain"):
        ens = obj.ensemble if isinstance(obj, Neurons) else obj
        return not isinstance(ens.neuron_type, Direct)
    return True


def names_with_prefix(names, prefix):
    """The names of ``names`` that refer to ``prefix`` (``prefix`` or ``prefix.*``).

    Parameters
    ----------
    names : frozenset of str or None
        Output of `.selected_attributes`.
    prefix : str
        ``"synapse"`` or ``"neuron_type"``.

    Returns
    -------
    list of str
        The matching names, sorted.
    """
    return sorted(n for n in names or () if n.partition(".")[0] == prefix)


def selected_parameters(names, prefix, available):
    """Pick the parameters of a synapse or neuron type that ``names`` selects.

    Parameters
    ----------
    names : frozenset of str or None
        Output of `.selected_attributes`.
    prefix : str
        ``"synapse"`` or ``"neuron_type"``.
    available : tuple of str
        The parameters the synapse or neuron type can train.

    Returns
    -------
    chosen : tuple of str
        The selected parameters, in the order of ``available``.
    unknown : dict of str: str
        Each ``"<prefix>.<param>"`` name whose parameter is not in ``available``,
        with a message saying so.
    """
    if not names:
        return (), {}
    if prefix in names:
        excluded = getattr(names, "excluded", frozenset())
        return tuple(p for p in available if f"{prefix}.{p}" not in excluded), {}
    chosen, unknown = [], {}
    for name in sorted(names):
        base, _, param = name.partition(".")
        if base != prefix or not param:
            continue
        if param in available:
            chosen.append(param)
        else:
            unknown[name] = unknown_name_message(
                name, [f"{prefix}.{p}" for p in available], f"this {prefix}"
            )
    return tuple(p for p in available if p in chosen), unknown


class NetworkConfigs:
    """The chain of network configs above every object of a network.

    Parameters
    ----------
    toplevel : `~nengo.Network` or None
        The network being built.
    """

    def __init__(self, toplevel):
        self.toplevel = toplevel
        self._configs = {}
        self._selected = {}
        if toplevel is not None:
            self._add(toplevel, ())

    def _add(self, net, parents):
        configs = parents + (net.config,)
        for obj in net.ensembles + net.connections:
            self._configs[obj] = configs
            if isinstance(obj, Ensemble):
                self._configs[obj.neurons] = configs
        for subnet in net.networks:
            self._add(subnet, configs)

    def __getitem__(self, obj):
        return self._configs.get(obj, ())

    def tau_step_scale(self, obj):
        """`.resolve_tau_step_scale` for ``obj`` using its network configs."""
        return resolve_tau_step_scale(self[obj], obj)

    def selected_attributes(self, obj):
        """`.selected_attributes` for ``obj`` using its network configs.

        Decided once per object: later calls return the same selection.
        """
        if obj not in self._selected:
            self._selected[obj] = selected_attributes(self[obj], obj)
        return self._selected[obj]
