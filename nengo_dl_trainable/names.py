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
same meaning for every kind. Unset, the step follows the optimizer's learning
rate (`nengo_dl_trainable.optimizer_step`). It resolves as
``trainable_params`` does (a value on the object beats a default; among defaults
the innermost network wins); set on an object with no time constant that trains,
it is an error.

Resolution rules
----------------
The value for an object is looked up in the config of every network that contains
it. NengoDL's own ``trainable`` flag takes part in the same lookup.

- A setting on the object itself (``net.config[obj]``) beats a class or
  network default (``net.config[nengo.Connection]``, or
  ``configure_settings(trainable_params=...)``), wherever the two are set. Among
  settings of the same rank the innermost network wins, and at one network
  ``trainable_params`` beats ``trainable``. One exception: where the object's
  own setting is NengoDL's ``trainable`` flag, the flag decides NengoDL's own
  names (weights, encoders, biases) and a ``trainable_params`` default still
  decides the names only this package adds (``"synapse"``, ``"neuron_type"``,
  ``"gain"``), where they apply. NengoDL's ``Converter`` sets ``trainable`` on
  every object it makes, so ``configure_settings(trainable_params={"synapse"})``
  on ``converter.net`` trains the converted network's synapses, with weights and
  biases as the converter set them.
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

from nengo import Connection, Ensemble
from nengo.ensemble import Neurons
from nengo.neurons import Direct
from nengo_dl import compat

from nengo_dl_trainable.errors import TrainableParamsError

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

#: The names only this package adds (NengoDL never trains these attributes).
PACKAGE_NAMES = ("synapse", "neuron_type", "gain")

#: The name that stands for what NengoDL trains by default on each class.
STOCK = "stock"

#: What `STOCK` stands for on each class.
STOCK_NAMES = {
    Connection: ("weights",),
    Ensemble: ("encoders", "bias"),
    Neurons: ("bias",),
}


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


def names_for_each_type(value):
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


def has_attribute(obj, name):
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
        Output of `.resolution.selected_attributes`.
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
        Output of `.resolution.selected_attributes`.
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
