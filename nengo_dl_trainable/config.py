"""The ``trainable_params`` config parameter: which attributes of an object train.

``trainable_params`` is added to `~nengo.Ensemble`, `~nengo.ensemble.Neurons` and
`~nengo.Connection` by `nengo_dl_trainable.configure_settings`. Its value is a set
of attribute names:

==========  ===============================================================
object      names
==========  ===============================================================
Connection  ``"weights"``, ``"synapse"``, ``"synapse.<param>"``
Ensemble    ``"encoders"``, ``"bias"``, ``"neuron_type"``,
            ``"neuron_type.<param>"``
Neurons     ``"bias"``, ``"neuron_type"``, ``"neuron_type.<param>"``
==========  ===============================================================

``"synapse"`` selects every trainable parameter of the connection's synapse and
``"synapse.tau"`` only the one named (likewise for ``"neuron_type"``).

Resolution rules
----------------
The value for an object is looked up in the config of every network that contains
it, from the top-level network down; a lower level overrides a higher one. Within
one network config, a value set on the object overrides a value set on its class.
NengoDL's own ``trainable`` flag takes part in the same lookup: at each level the
most specific setting wins (object ``trainable_params``, then object ``trainable``,
then class ``trainable_params``, then class ``trainable``).

- Where the winning setting is a ``trainable_params`` value, that set is the whole
  answer for the object: exactly the attributes named are trained.
- Where the winning setting is ``trainable`` (or nothing is set), NengoDL decides
  as it always has: weights, encoders and biases follow ``trainable``, and no
  synapse or neuron-type parameter trains.
- Names set on an object must all apply to it: ``"weights"`` on a connection
  without weights, or ``"synapse"`` on one with ``synapse=None``, is an error.
  Names set as a class or network default apply wherever the object has the
  attribute, so a default of ``{"weights", "synapse"}`` skips those connections.
- Neurons without a setting of their own take their ensemble's answer for
  ``"bias"`` and ``"neuron_type"``, as NengoDL does for ``trainable``.
- With ``inference_only=True`` nothing trains; configured parameters are
  computed from their current values as constants.
"""

import difflib
import numbers
import weakref
from collections.abc import Iterable, Mapping

from nengo import Connection, Ensemble, Network
from nengo.ensemble import Neurons
from nengo.exceptions import ConfigError, NetworkContextError, ValidationError
from nengo.params import Parameter
from nengo_dl import compat

#: The config parameter's name.
PARAM_NAME = "trainable_params"

#: Base attribute names accepted on each configurable class.
VALID_NAMES = {
    Connection: ("weights", "synapse"),
    Ensemble: ("encoders", "bias", "neuron_type"),
    Neurons: ("bias", "neuron_type"),
}

#: Names that may be followed by ``.<param>`` to select one parameter.
PARAMETRIZED_NAMES = ("synapse", "neuron_type")


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


def _candidates(kinds):
    """Every valid name (with ``.<param>`` forms) for the given classes."""
    names = []
    for kind in kinds:
        for base in VALID_NAMES[kind]:
            for name in (
                (base, f"{base}.<param>") if base in PARAMETRIZED_NAMES else (base,)
            ):
                if name not in names:
                    names.append(name)
    return names


def _applies(name, kind):
    """Whether ``name`` is a valid attribute name for objects of class ``kind``."""
    base, dot, param = name.partition(".")
    return (
        base in VALID_NAMES[kind]
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


def _as_names(value, kinds, obj):
    """Check the type of a ``trainable_params`` value; return its names as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (bool, numbers.Number, Mapping)) or not isinstance(
        value, Iterable
    ):
        raise TrainableParamsError(
            f"must be None, an attribute name or a collection of attribute names "
            f"(got {value!r} of type {type(value).__name__}); valid names are "
            + ", ".join(repr(c) for c in _candidates(kinds)),
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


def parse_trainable_params(value, kind, obj=None):
    """Check a ``trainable_params`` value and return it as a frozenset of names.

    Parameters
    ----------
    value : str or iterable of str or None
        ``None`` (unset), one attribute name, or a collection of names.
    kind : type
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
        ``kind``.
    """
    if value is None:
        return None
    names = _as_names(value, [kind], obj)
    for name in names:
        if not _applies(name, kind):
            raise TrainableParamsError(
                unknown_name_message(name, _candidates([kind]), kind.__name__), obj=obj
            )
    return frozenset(names)


def _names_for_each_kind(value):
    """Split a network-wide default into the names that apply to each class.

    Every name must apply to at least one class.
    """
    if value is None:
        return dict.fromkeys(VALID_NAMES)
    names = _as_names(value, VALID_NAMES, obj=None)
    for name in names:
        if not any(_applies(name, kind) for kind in VALID_NAMES):
            raise TrainableParamsError(
                unknown_name_message(
                    name, _candidates(VALID_NAMES), "Ensembles, Neurons or Connections"
                )
            )
    return {
        kind: frozenset(n for n in names if _applies(n, kind)) for kind in VALID_NAMES
    }


class TrainableParamsParam(Parameter):
    """Config parameter holding the set of attribute names to train.

    Values are validated when they are set: see `.parse_trainable_params`.

    Parameters
    ----------
    kind : type
        The class the parameter is added to (`~nengo.Connection`,
        `~nengo.Ensemble` or `~nengo.ensemble.Neurons`).
    default : str or iterable of str or None
        Value for objects that do not set one.
    """

    equatable = True

    def __init__(self, kind, default=None):
        self.kind = kind
        super().__init__(
            PARAM_NAME, default=parse_trainable_params(default, kind), optional=True
        )

    def coerce(self, instance, value):
        value = super().coerce(instance, value)
        return parse_trainable_params(
            value, self.kind, obj=getattr(instance, "_configures", instance)
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
        ``trainable``.
    """
    if len(Network.context) == 0:
        raise NetworkContextError(
            "`configure_settings` must be called within a Network context "
            "(`with nengo.Network(): ...`)"
        )
    config = Network.context[-1].config
    names = _names_for_each_kind(value)
    for kind in VALID_NAMES:
        try:
            params = config[kind]
        except ConfigError:
            config.configures(kind)
            params = config[kind]
        params.set_param(PARAM_NAME, TrainableParamsParam(kind, default=names[kind]))


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


def resolve_setting(configs, obj):
    """Find the setting that decides what ``obj`` trains.

    Parameters
    ----------
    configs : list of `~nengo.Config`
        The configs of the networks containing ``obj``, top-level network first.
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object.

    Returns
    -------
    tuple or None
        ``(kind, value, on_object)`` for the winning setting (see the module docs
        for the order): ``kind`` is ``"trainable_params"`` (``value`` a frozenset)
        or ``"trainable"`` (``value`` a bool), and ``on_object`` says whether it was
        set on the object itself rather than on its class. None if neither is set
        anywhere.
    """
    result = None
    for config in configs:
        params_inst, params_cls = _level_values(config, obj, PARAM_NAME)
        flag_inst, flag_cls = _level_values(config, obj, "trainable")
        for kind, value, on_object in (
            (PARAM_NAME, params_inst, True),
            ("trainable", flag_inst, True),
            (PARAM_NAME, params_cls, False),
            ("trainable", flag_cls, False),
        ):
            if value is not None:
                result = (kind, value, on_object)
                break
    return result


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
    frozenset of str or None
        The selected names, or None if ``trainable_params`` does not decide for
        this object (NengoDL's stock rules apply).
    """
    setting = resolve_setting(configs, obj)
    if isinstance(obj, Neurons) and setting is None:
        setting = resolve_setting(configs, obj.ensemble)
        if setting is not None and setting[0] == PARAM_NAME:
            # an ensemble's "encoders" is not the neurons' business
            setting = (PARAM_NAME, setting[1] - {"encoders"}, setting[2])
    if setting is None or setting[0] != PARAM_NAME:
        return None
    kind, names, on_object = setting
    if not on_object:
        # a class or network default applies where the object has the attribute
        names = frozenset(n for n in names if _has_attribute(obj, n))
    return names


def _has_attribute(obj, name):
    """Whether ``obj`` has the attribute a name refers to at all."""
    base = name.partition(".")[0]
    if base == "weights":
        return compat.conn_has_weights(obj)
    if base == "synapse":
        return obj.synapse is not None
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
    tuple of str
        The selected parameters, in the order of ``available``.

    Raises
    ------
    TrainableParamsError
        If a ``"<prefix>.<param>"`` name is not in ``available``.
    """
    if not names:
        return ()
    if prefix in names:
        return tuple(available)
    chosen = []
    for name in sorted(names):
        base, _, param = name.partition(".")
        if base != prefix or not param:
            continue
        if param not in available:
            raise TrainableParamsError(
                unknown_name_message(
                    name, [f"{prefix}.{p}" for p in available], f"this {prefix}"
                )
            )
        chosen.append(param)
    return tuple(p for p in available if p in chosen)


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

    def selected_attributes(self, obj):
        """`.selected_attributes` for ``obj`` using its network configs."""
        return selected_attributes(self[obj], obj)


_network_configs = weakref.WeakKeyDictionary()


def network_configs(model):
    """The `.NetworkConfigs` of a model's top-level network (computed once).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model being built (its ``toplevel`` network is set).

    Returns
    -------
    NetworkConfigs
    """
    configs = _network_configs.get(model)
    if configs is None or configs.toplevel is not model.toplevel:
        configs = NetworkConfigs(model.toplevel)
        _network_configs[model] = configs
    return configs
