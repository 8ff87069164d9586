"""The ``trainable_params`` config parameter: which attributes of an object train.

The rules and the maths are on the user guide page (``docs/user_guide.rst``), section
"Selecting what trains": written there once, so that page and code cannot drift.
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
