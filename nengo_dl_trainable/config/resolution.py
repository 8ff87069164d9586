"""Resolution: what ``trainable_params`` and the other settings say for an object.

The rules are those of `nengo_dl_trainable.config.names`: the object's own setting, then
the innermost network's default for its class, and so on up to the top-level
network; inline markers are the object's own word on their names.
"""

from dataclasses import dataclass

from nengo import Ensemble
from nengo.ensemble import Neurons
from nengo.exceptions import ConfigError

from nengo_dl_trainable.config.markers import marked_names
from nengo_dl_trainable.config.names import (
    PACKAGE_NAMES,
    PARAM_NAME,
    STOCK,
    STOCK_NAMES,
    has_attribute,
)
from nengo_dl_trainable.config.settings import SPIKING_AWARE_NAME, STEP_SCALE_NAME
from nengo_dl_trainable.errors import TrainableParamsError


def resolve_value(configs, obj, name):
    """The value of config parameter ``name`` that applies to ``obj``.

    Used for ``tau_step_scale`` and ``spiking_aware_training``: a value set on
    the object beats a class or network default, and among values of one rank
    the innermost network's wins.

    Parameters
    ----------
    configs : list of `~nengo.Config`
        The configs of the networks containing ``obj``, top-level network first.
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object.
    name : str
        The config parameter's name.

    Returns
    -------
    value : object
        The value, or None where none is set (the package's choice).
    on_object : bool
        Whether the value was set on the object itself.
    """
    on_object = on_class = None
    for config in configs:  # a lower network replaces a higher one's setting
        instance_value, class_value = _level_values(config, obj, name)
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
        Names marked learned with `~nengo_dl_trainable.config.markers.L`: each must
        apply, as if set on the object.
    excluded : frozenset of str
        Parameters (``"synapse.tau"``) marked fixed with
        `~nengo_dl_trainable.config.markers.S` while their prefix is selected.
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
    stock = {n for n in STOCK_NAMES[type(obj)] if has_attribute(obj, n)}
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
    package_defaults = frozenset()
    if setting is not None and setting.param_name == PARAM_NAME:
        names = _expand_stock(setting.value, obj)
        if markers and setting.on_object:
            _check_markers_agree(setting, names, obj, markers)
    else:
        if setting is not None and setting.on_object:
            # the object's own flag speaks for NengoDL's parameters only
            package_defaults = _package_names_by_default(configs, obj)
        if not markers and not package_defaults:
            return None
        if setting is None or setting.value:
            names = _expand_stock({STOCK}, obj)  # what NengoDL trains
        else:
            names = frozenset()  # trainable=False
        names |= package_defaults
    # names from a default apply only where they can
    on_object = setting is not None and setting.on_object and not package_defaults
    if not on_object:
        names = frozenset(n for n in names if has_attribute(obj, n))
    if not markers:
        return SelectedNames(names, explicit=on_object)
    return _with_markers(names, on_object, obj, markers)


def _package_names_by_default(configs, obj):
    """The names only this package adds that a class default selects for ``obj``.

    That is, the innermost ``trainable_params`` class or network default for
    ``obj``'s class, without NengoDL's own names (`.STOCK_NAMES`): those stay
    with NengoDL's ``trainable`` flag where the object sets one.
    """
    value = None
    for config in configs:
        class_value = _level_values(config, obj, PARAM_NAME)[1]
        if class_value is not None:
            value = class_value
    return frozenset(n for n in value or () if n.partition(".")[0] in PACKAGE_NAMES)


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
        self._selects_package_parameters = None
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
        """``obj``'s ``tau_step_scale`` and whether it set it (`.resolve_value`)."""
        return resolve_value(self[obj], obj, STEP_SCALE_NAME)

    def spiking_aware_training(self, ens):
        """``ens``'s ``spiking_aware_training`` and whether it set it.

        See `.resolve_value`; the value is None where nothing is set.
        """
        return resolve_value(self[ens], ens, SPIKING_AWARE_NAME)

    def selects_package_parameters(self):
        """Whether any object of the network selects a name only this package adds.

        That is, whether ``trainable_params`` (or a marker) selects a synapse,
        neuron-type or gain parameter anywhere in the network (`.PACKAGE_NAMES`),
        whether or not it can train. Decided once per network.
        """
        if self._selects_package_parameters is None:
            self._selects_package_parameters = any(
                name.partition(".")[0] in PACKAGE_NAMES
                for obj in self._configs
                for name in self.selected_attributes(obj) or ()
            )
        return self._selects_package_parameters

    def selected_attributes(self, obj):
        """`.selected_attributes` for ``obj`` using its network configs.

        Decided once per object: later calls return the same selection.
        """
        if obj not in self._selected:
            self._selected[obj] = selected_attributes(self[obj], obj)
        return self._selected[obj]
