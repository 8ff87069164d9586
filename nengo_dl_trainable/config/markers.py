"""Inline markers: ``L(value)`` trains a value, ``S(value)`` keeps it fixed.

The rules and the maths are on the user guide page (``docs/user_guide.rst``), section
"Marking values inline: ``L`` and ``S``": written there once, so that page and code
cannot drift.
"""

import numbers

from nengo import Connection, Ensemble
from nengo.config import Config
from nengo.ensemble import Neurons
from nengo.exceptions import ValidationError
from nengo.neurons import NeuronType
from nengo.params import Default
from nengo.synapses import Synapse

from nengo_dl_trainable._nengo_dl import provide

#: Where an object records its marks: ``{parameter name: learned (bool)}``.
MARKS_ATTRIBUTE = "_nengo_dl_trainable_marks"


class Marker:
    """Base class of marked values; made by `L` and `S`.

    Attributes
    ----------
    value : object
        The value marked.
    learned : bool
        Whether it trains (`L`) or not (`S`).
    """

    def _init_marker(self, value, learned):
        self.value = value
        self.learned = learned

    def __repr__(self):
        return f"{'L' if self.learned else 'S'}({self.value!r})"


class _MarkedObject(Marker):
    def __init__(self, value, learned):
        self._init_marker(value, learned)


class _MarkedNumber(float, Marker):
    """A marked number, still a number.

    Constructors may compute with it: ``Lowpass(L(0.01))`` builds its denominator
    from ``tau`` before storing ``tau``.
    """

    def __new__(cls, value, learned):
        self = super().__new__(cls, value)
        self._init_marker(value, learned)
        return self

    __repr__ = Marker.__repr__

    def __reduce__(self):
        return _MarkedNumber, (self.value, self.learned)


def _mark(value, learned):
    if isinstance(value, Marker):
        name = "L" if learned else "S"
        raise TypeError(f"{name}({value!r}): a value is marked once")
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _MarkedNumber(value, learned)
    return _MarkedObject(value, learned)


def L(value):
    """Mark a value as learned: ``L(0.01)``; see `nengo_dl_trainable.config.markers`.

    Parameters
    ----------
    value : object
        A number (the result still behaves as a number), an array, a synapse, a
        neuron type, or `nengo.Default`.

    Returns
    -------
    Marker
    """
    return _mark(value, True)


def S(value):
    """Mark a value as fixed (static): ``S(1)``; see `.config.markers`.

    Parameters
    ----------
    value : object
        As for `L`.

    Returns
    -------
    Marker
    """
    return _mark(value, False)


#: Longer names for `L` and `S`.
learned = L
fixed = S


#: The attributes of Nengo objects that can be marked, and the name each stands
#: for (synapses and neuron types: any parameter, ``"<prefix>.<param>"``).
MARKABLE = {
    Connection: {"synapse": "synapse", "transform": "weights"},
    Ensemble: {
        "encoders": "encoders",
        "bias": "bias",
        "gain": "gain",
        "neuron_type": "neuron_type",
    },
}


def _check_markable(instance, name):
    if isinstance(instance, (Synapse, NeuronType)):
        return
    markable = next(
        (names for kind, names in MARKABLE.items() if isinstance(instance, kind)), {}
    )
    if name not in markable:
        where = "; ".join(
            f"{kind.__name__}: {', '.join(names)}" for kind, names in MARKABLE.items()
        )
        raise ValidationError(
            f"{name} cannot be marked L(...)/S(...); markable are {where}, and the "
            "parameters of synapses and neuron types",
            attr=name,
            obj=instance,
        )


def marks(obj):
    """The marks recorded on ``obj``.

    Parameters
    ----------
    obj : object
        A Nengo object, synapse or neuron type.

    Returns
    -------
    dict of str: bool
        For each marked parameter name, whether it was marked learned.
    """
    return getattr(obj, "__dict__", {}).get(MARKS_ATTRIBUTE, {})


def _parameter_marks(obj, prefix):
    """Marks on the parameters of a synapse or neuron type, as prefixed names."""
    names = {}
    for param, is_learned in marks(obj).items():
        if param == "base_type":  # a spiking wrapper's base type is not a value
            continue
        names[f"{prefix}.{param}"] = is_learned
    base_type = getattr(obj, "base_type", None)
    if isinstance(base_type, NeuronType):
        names.update(_parameter_marks(base_type, f"{prefix}.base_type"))
    return names


def marked_names(obj):
    """The ``trainable_params`` names the markers of ``obj`` stand for.

    Parameters
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object. A connection's markers include its synapse's; an ensemble's
        are its encoders' and gain's; its neurons' are its bias, neuron type and
        the neuron type's parameters.

    Returns
    -------
    dict of str: bool
        Each marked name, and whether it was marked learned.
    """
    if isinstance(obj, Connection):
        names = {
            MARKABLE[Connection][param]: is_learned
            for param, is_learned in marks(obj).items()
        }
        names.update(_parameter_marks(obj.synapse, "synapse"))
        return names
    if isinstance(obj, Ensemble):
        return {n: v for n, v in marks(obj).items() if n in ("encoders", "gain")}
    if isinstance(obj, Neurons):
        ens = obj.ensemble
        names = {n: v for n, v in marks(ens).items() if n in ("bias", "neuron_type")}
        names.update(_parameter_marks(ens.neuron_type, "neuron_type"))
        return names
    return {}


@provide("parameter_set")
def unmark(param, instance, value):
    """The value to set for ``value``; a marker's mark recorded on ``instance``.

    Called (through `nengo_dl_trainable._nengo_dl`) for every Nengo parameter value
    set; an unmarked value costs the extension point's lookup and one
    ``isinstance`` check.

    Parameters
    ----------
    param : `nengo.params.Parameter`
        The parameter being set.
    instance : object
        The object it is set on.
    value : object
        The value given, marked or not.

    Returns
    -------
    object
        ``value``, or the value a `Marker` marks.
    """
    if not isinstance(value, Marker):
        return value
    _check_markable(instance, param.name)
    # straight into __dict__: NengoObject.__setattr__ warns about new
    # attributes, and __dict__ is what Nengo pickles and copies
    instance.__dict__.setdefault(MARKS_ATTRIBUTE, {})[param.name] = value.learned
    if value.value is Default:
        # resolved as Nengo's SupportDefaultsMixin would have
        return Config.default(type(instance), param.name)
    return value.value
