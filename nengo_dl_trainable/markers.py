"""Inline markers: ``L(value)`` trains a value, ``S(value)`` keeps it fixed.

Written where the value is given, as proposed in NengoDL issue #60::

    from nengo_dl import L, S  # or: from nengo_dl_trainable import L, S

    nengo.Connection(a, b, transform=S(1))  # weights fixed
    nengo.Connection(a, b, synapse=L(0.01))  # Lowpass(0.01), its tau trains
    nengo.Ensemble(
        10, 1, neuron_type=nengo.LIF(tau_rc=L(0.02), tau_ref=S(0.002))
    )  # tau_rc trains, tau_ref does not
    nengo.Ensemble(10, 1, neuron_type=L(nengo.Default), bias=S(nengo.Default))

A marker is equivalent to naming the attribute in the object's own
``trainable_params`` (`L`, also ``learned``) or leaving it out (`S`, also
``fixed``):

=========================================  =========================================
marked value                               name
=========================================  =========================================
a connection's ``synapse``                 ``"synapse"``
a connection's ``transform``               ``"weights"``
a parameter of a connection's synapse      ``"synapse.<param>"``
(``Lowpass(L(0.01))``)
an ensemble's ``encoders``, ``bias``,      ``"encoders"``, ``"bias"``, ``"gain"``,
``gain``, ``neuron_type``                  ``"neuron_type"``
a parameter of an ensemble's neuron type   ``"neuron_type.<param>"``
(``LIF(tau_rc=L(0.02))``)
=========================================  =========================================

Names not marked follow the object's settings as usual (see
`nengo_dl_trainable.names`); where the object has a ``trainable_params`` setting
of its own, every marker must agree with it, or the build raises an error naming
the object, the marker and the setting. A marked name must apply, as a name set
on the object must: ``L`` on a synapse that cannot train is an error.

Markers are transparent to Nengo: when a marked value is assigned to a Nengo
parameter, the value itself is stored (validated, and with ``Default`` resolved,
as Nengo does) and the mark is recorded on the object, in its ``__dict__``, so it
survives pickling and copying. A marked model runs unchanged in core Nengo, and
`~nengo_dl.Simulator.freeze_params` writes plain values. ``gain=L(...)`` trains
the gain apart from the encoders (see `nengo_dl_trainable.gain`).
"""

import numbers

from nengo import Connection, Ensemble
from nengo.config import Config
from nengo.ensemble import Neurons
from nengo.exceptions import ValidationError
from nengo.neurons import NeuronType
from nengo.params import Default, Parameter
from nengo.synapses import Synapse

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
    """Mark a value as learned: ``L(0.01)``; see `nengo_dl_trainable.markers`.

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
    """Mark a value as fixed (static): ``S(1)``; see `nengo_dl_trainable.markers`.

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


def _set_marked(set_value):
    def __set__(self, instance, value):
        if isinstance(value, Marker):
            _check_markable(instance, self.name)
            # straight into __dict__: NengoObject.__setattr__ warns about new
            # attributes, and __dict__ is what Nengo pickles and copies
            instance.__dict__.setdefault(MARKS_ATTRIBUTE, {})[self.name] = value.learned
            value = value.value
            if value is Default:
                # resolved as Nengo's SupportDefaultsMixin would have
                value = Config.default(type(instance), self.name)
        set_value(self, instance, value)

    __set__.wrapped = set_value
    return __set__


def install():
    """Let Nengo parameters accept marked values (idempotent).

    Wraps ``nengo.params.Parameter.__set__``, the one place every Nengo parameter
    value passes through; unmarked values cost one ``isinstance`` check.
    """
    if not hasattr(Parameter.__set__, "wrapped"):
        Parameter.__set__ = _set_marked(Parameter.__set__)
