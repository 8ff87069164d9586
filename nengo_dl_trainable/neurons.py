r"""Trainable neuron-model parameters: which, how they are trained, per-neuron values.

Trainable parameters and the value that is trained:

=======================================  ==============================  ===========
neuron type                              parameters                      trained as
=======================================  ==============================  ===========
`~nengo.RectifiedLinear`,                ``amplitude``                   log
`~nengo.SpikingRectifiedLinear`
`nengo_dl.neurons.LeakyReLU`,            ``amplitude``,                  log,
`nengo_dl.neurons.SpikingLeakyReLU`      ``negative_slope``              value
`~nengo.Sigmoid`, `~nengo.Tanh`          ``tau_ref`` (s)                 log
`~nengo.LIFRate`, `~nengo.LIF`           ``tau_rc``, ``tau_ref`` (s),    log
                                         ``amplitude``
`nengo_dl.neurons.SoftLIFRate`           as LIFRate, ``sigma``           log
`~nengo.AdaptiveLIFRate`,                as LIFRate, ``tau_n`` (s),      log
`~nengo.AdaptiveLIF`                     ``inc_n``
`~nengo.RegularSpiking`,                 ``amplitude``, and              log,
`~nengo.StochasticSpiking`,              ``base_type.<p>`` for each      as above
`~nengo.PoissonSpiking`                  parameter of the base type
=======================================  ==============================  ===========

A parameter trained as its logarithm :math:`\theta = \log p` stays positive for any
:math:`\theta` and its steps are relative; it must start positive (``tau_ref = 0``
or ``inc_n = 0`` can stay fixed, but cannot be trained: start from a small positive
value). ``negative_slope`` may take any real value and is trained as it is.

By default one value is shared by all neurons of an ensemble. `PerNeuron` gives a
neuron type one value per neuron; trained, each neuron learns its own value.
"""

from types import SimpleNamespace

import numpy as np
from nengo.exceptions import ValidationError
from nengo.neurons import (
    LIF,
    AdaptiveLIF,
    AdaptiveLIFRate,
    LIFRate,
    NeuronType,
    NeuronTypeParam,
    PoissonSpiking,
    RectifiedLinear,
    RegularSpiking,
    Sigmoid,
    SpikingRectifiedLinear,
    StochasticSpiking,
    Tanh,
)
from nengo.params import Parameter
from nengo_dl.neurons import LeakyReLU, SoftLIFRate, SpikingLeakyReLU

from nengo_dl_trainable.config import TrainableParamsError

_LIF = {"tau_rc": "log", "tau_ref": "log", "amplitude": "log"}
_ADAPTIVE = {**_LIF, "tau_n": "log", "inc_n": "log"}

#: Trainable parameters of each supported (non-wrapper) neuron type, and how each
#: is trained: ``"log"`` (positive parameters) or ``"value"`` (any real value).
NEURON_PARAMETERS = {
    RectifiedLinear: {"amplitude": "log"},
    SpikingRectifiedLinear: {"amplitude": "log"},
    LeakyReLU: {"amplitude": "log", "negative_slope": "value"},
    SpikingLeakyReLU: {"amplitude": "log", "negative_slope": "value"},
    Sigmoid: {"tau_ref": "log"},
    Tanh: {"tau_ref": "log"},
    LIFRate: _LIF,
    LIF: _LIF,
    SoftLIFRate: {**_LIF, "sigma": "log"},
    AdaptiveLIFRate: _ADAPTIVE,
    AdaptiveLIF: _ADAPTIVE,
}

#: Wrappers that turn a rate type into a spiking one; they train their own
#: ``amplitude`` and the parameters of their ``base_type``.
WRAPPER_TYPES = (RegularSpiking, StochasticSpiking, PoissonSpiking)
_WRAPPER_PARAMETERS = {"amplitude": "log"}

#: Constructor arguments that copy a neuron type (those it has).
_CONSTRUCTOR_ARGS = (
    "tau_rc",
    "tau_ref",
    "min_voltage",
    "amplitude",
    "sigma",
    "negative_slope",
    "tau_n",
    "inc_n",
    "base_type",
    "initial_state",
)

TRANSFORMS = {
    "log": (np.log, np.exp),
    "value": (np.asarray, np.asarray),
}


def _constructor_kwargs(neuron_type):
    """The arguments that construct a copy of ``neuron_type`` (not `PerNeuron`)."""
    return {
        name: getattr(neuron_type, name)
        for name in _CONSTRUCTOR_ARGS
        if hasattr(neuron_type, name)
    }


def _copy(neuron_type, **changes):
    """A copy of ``neuron_type`` (not `PerNeuron`) with some arguments changed."""
    return type(neuron_type)(**{**_constructor_kwargs(neuron_type), **changes})


def _leaf(neuron_type):
    """The neuron type whose parameters `PerNeuron` may vary, and its type."""
    base = neuron_type.base_type if type(neuron_type) is PerNeuron else neuron_type
    return base, type(base)


def is_wrapper(neuron_type):
    """Whether ``neuron_type`` is one of `WRAPPER_TYPES` (exactly, not a subclass).

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type.

    Returns
    -------
    bool
    """
    return type(neuron_type) in WRAPPER_TYPES


def has_per_neuron_values(neuron_type):
    """Whether a supported neuron type holds `PerNeuron` values (maybe wrapped).

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type.

    Returns
    -------
    bool
    """
    if is_wrapper(neuron_type):
        neuron_type = neuron_type.base_type
    return type(neuron_type) is PerNeuron


def trainable_parameters(neuron_type):
    """The names of the parameters of ``neuron_type`` that can be trained.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type.

    Returns
    -------
    tuple of str
        Names, as used after ``"neuron_type."`` in ``trainable_params``.

    Raises
    ------
    TrainableParamsError
        If the neuron type has no trainable parameters.
    """
    if is_wrapper(neuron_type):
        return ("amplitude",) + tuple(
            f"base_type.{name}" for name in trainable_parameters(neuron_type.base_type)
        )
    _, kind = _leaf(neuron_type)
    if kind not in NEURON_PARAMETERS:
        supported = [k.__name__ for k in (*NEURON_PARAMETERS, *WRAPPER_TYPES)]
        parents = [
            k.__name__
            for k in kind.__mro__[1:]
            if k in NEURON_PARAMETERS or k in WRAPPER_TYPES
        ]
        subclass = (
            f" (it subclasses {parents[0]}, but a subclass may change the "
            "dynamics, so only the supported classes themselves are trained)"
            if parents
            else ""
        )
        raise TrainableParamsError(
            f"cannot train the parameters of neuron type {neuron_type!r}{subclass}; "
            f"supported: {', '.join(supported)} (and PerNeuron of those)"
        )
    return tuple(NEURON_PARAMETERS[kind])


def _transform(neuron_type, name):
    """How parameter ``name`` of a supported neuron type is trained."""
    if is_wrapper(neuron_type):
        if name.startswith("base_type."):
            return _transform(neuron_type.base_type, name[len("base_type.") :])
        return _WRAPPER_PARAMETERS[name]
    return NEURON_PARAMETERS[_leaf(neuron_type)[1]][name]


def _start_values(neuron_type, name, n_neurons):
    """The current values of parameter ``name``, shape ``(n_neurons,)`` or ``(1,)``."""
    if name.startswith("base_type."):
        return _start_values(
            neuron_type.base_type, name[len("base_type.") :], n_neurons
        )
    if type(neuron_type) is PerNeuron:
        return neuron_type.parameter(name, n_neurons)
    return np.array([getattr(neuron_type, name)], dtype=np.float64)


def invalid_starts(neuron_type, n_neurons, selected):
    """The selected parameters that cannot train from where they start.

    A parameter trained as its logarithm must start positive.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A supported neuron type (see `trainable_parameters`).
    n_neurons : int
        The number of neurons.
    selected : tuple of str
        Names from `trainable_parameters`.

    Returns
    -------
    dict of str: str
        Each parameter that cannot train, with the reason.
    """
    invalid = {}
    for name in selected:
        value = _start_values(neuron_type, name, n_neurons)
        if _transform(neuron_type, name) == "log" and not np.all(value > 0):
            invalid[name] = (
                f"cannot train {name}={value.min():g} of {neuron_type!r}: it must "
                "start positive (trained as its log)"
            )
    return invalid


class _PerNeuronValuesParam(Parameter):
    """Per-neuron values, stored as a hashable tuple of ``(name, values)``."""

    equatable = True

    def equal(self, instance_a, instance_b):
        return self.__get__(instance_a, None) == self.__get__(instance_b, None)

    def coerce(self, instance, value):
        # a dict from PerNeuron's constructor, or the stored pairs when unpickling
        pairs = value.items() if isinstance(value, dict) else value
        return tuple(
            (name, tuple(float(v) for v in np.ravel(values)))
            for name, values in sorted(pairs)
        )


class PerNeuron(NeuronType):
    """A neuron type with one value per neuron for some of its parameters.

    Runs in core Nengo (a vectorized numpy ``step``) and in NengoDL (native
    TensorFlow). Trained through ``trainable_params``, each neuron learns its own
    values of the selected parameters (heterogeneous neurons; Perez-Nieves et al.
    2021, "Neural heterogeneity promotes robust learning"). Freezing a trained
    `PerNeuron` ensemble gives a `PerNeuron` with the learned values.

    Parameters
    ----------
    base_type : `~nengo.neurons.NeuronType`
        The neuron model, one of the non-wrapper types in `.NEURON_PARAMETERS`
        (wrap the rate type of a `~nengo.RegularSpiking` and the like, not the
        wrapper). It provides the value of every parameter not given here.
    **values : array_like
        Parameters of ``base_type`` (see `.NEURON_PARAMETERS`) with their
        per-neuron values, each of shape ``(n_neurons,)`` (or a scalar, repeated
        for every neuron). Each value must be valid for ``base_type``.

    Examples
    --------
    Membrane time constants spread over 10 to 50 ms, to be learned per neuron:

    >>> import nengo, numpy as np
    >>> lif = PerNeuron(nengo.LIF(), tau_rc=np.linspace(0.01, 0.05, 5))
    >>> with nengo.Network() as net:
    ...     ens = nengo.Ensemble(5, 1, neuron_type=lif)
    >>> ens.neuron_type.parameter("tau_rc", 5)
    array([0.01, 0.02, 0.03, 0.04, 0.05])
    """

    base_type = NeuronTypeParam("base_type", readonly=True)
    per_neuron_values = _PerNeuronValuesParam("per_neuron_values", readonly=True)

    def __init__(self, base_type, **values):
        super().__init__()
        if type(base_type) not in NEURON_PARAMETERS:
            raise ValidationError(
                f"PerNeuron supports {', '.join(k.__name__ for k in NEURON_PARAMETERS)}"
                f"; got {base_type!r}",
                attr="base_type",
                obj=self,
            )
        names = NEURON_PARAMETERS[type(base_type)]
        for name, value in values.items():
            if name not in names:
                raise ValidationError(
                    f"{type(base_type).__name__} has no per-neuron parameter "
                    f"{name!r}; valid: {', '.join(names)}",
                    attr=name,
                    obj=self,
                )
            value = np.asarray(value, dtype=np.float64)
            if value.ndim > 1 or not np.all(np.isfinite(value)):
                raise ValidationError(
                    f"{name} must be a finite scalar or vector (one value per neuron)",
                    attr=name,
                    obj=self,
                )
            for v in np.unique(value):
                _copy(base_type, **{name: float(v)})  # raises if out of range
        self.base_type = base_type
        self.per_neuron_values = values
        self._namespaces = {}

    @property
    def state(self):
        return self.base_type.state

    @property
    def spiking(self):
        return self.base_type.spiking

    @property
    def negative(self):
        return self.base_type.negative

    @property
    def probeable(self):
        return self.base_type.probeable

    @property
    def _argreprs(self):
        return [repr(self.base_type)] + [
            f"{name}=<{len(v)} values>" for name, v in self.per_neuron_values
        ]

    def parameter(self, name, n_neurons):
        """The value of one parameter for each neuron.

        Parameters
        ----------
        name : str
            A parameter of ``base_type``.
        n_neurons : int
            The number of neurons.

        Returns
        -------
        `~numpy.ndarray`
            Shape ``(n_neurons,)``.

        Raises
        ------
        ValidationError
            If the per-neuron values of ``name`` are not of length ``n_neurons``.
        """
        values = dict(self.per_neuron_values)
        if name not in values:
            return np.full(n_neurons, float(getattr(self.base_type, name)))
        value = np.asarray(values[name])
        if value.size == 1:
            return np.full(n_neurons, value[0])
        if value.size != n_neurons:
            raise ValidationError(
                f"{name} has {value.size} per-neuron values, for {n_neurons} neurons",
                attr=name,
                obj=self,
            )
        return value.copy()

    def _namespace(self, n_neurons):
        """The base type's attributes, with one value per neuron where trainable."""
        if n_neurons not in self._namespaces:
            attributes = _constructor_kwargs(self.base_type)
            for name in NEURON_PARAMETERS[type(self.base_type)]:
                attributes[name] = self.parameter(name, n_neurons)
            self._namespaces[n_neurons] = SimpleNamespace(**attributes)
        return self._namespaces[n_neurons]

    def make_state(self, n_neurons, rng=np.random, dtype=None):
        self._namespace(n_neurons)  # checks the number of values
        return self.base_type.make_state(n_neurons, rng=rng, dtype=dtype)

    def _groups(self, n_neurons):
        """Yield ``(neuron_type, index)`` per distinct set of parameter values.

        ``index`` selects the group's neurons: a boolean mask, or ``slice(None)``
        when all neurons share their values (a view, not a copy, of per-neuron
        arrays such as the rates at every eval point that Nengo's build solves
        decoders from).
        """
        names = NEURON_PARAMETERS[type(self.base_type)]
        table = np.stack([self.parameter(n, n_neurons) for n in names], axis=1)
        rows, which = np.unique(table, axis=0, return_inverse=True)
        for i, row in enumerate(rows):
            yield (
                _copy(self.base_type, **dict(zip(names, row, strict=True))),
                slice(None) if len(rows) == 1 else which == i,
            )

    def gain_bias(self, max_rates, intercepts):
        max_rates = np.array(max_rates, dtype=float, ndmin=1)
        intercepts = np.array(intercepts, dtype=float, ndmin=1)
        gain, bias = np.zeros_like(max_rates), np.zeros_like(max_rates)
        for neuron_type, index in self._groups(max_rates.size):
            gain[index], bias[index] = neuron_type.gain_bias(
                max_rates[index], intercepts[index]
            )
        return gain, bias

    def max_rates_intercepts(self, gain, bias):
        gain = np.array(gain, dtype=float, ndmin=1)
        bias = np.array(bias, dtype=float, ndmin=1)
        max_rates, intercepts = np.zeros_like(gain), np.zeros_like(gain)
        for neuron_type, index in self._groups(gain.size):
            max_rates[index], intercepts[index] = neuron_type.max_rates_intercepts(
                gain[index], bias[index]
            )
        return max_rates, intercepts

    def rates(self, x, gain, bias):
        gain = np.array(gain, dtype=float, ndmin=1)
        bias = np.array(bias, dtype=float, ndmin=1)
        x = np.array(x, dtype=float, ndmin=1)
        out = np.zeros(self.current(x, gain, bias).shape)
        for neuron_type, index in self._groups(gain.size):
            x_group = x[:, index] if x.ndim == 2 else x
            out[:, index] = neuron_type.rates(x_group, gain[index], bias[index])
        return out

    def step(self, dt, J, output, **state):
        """Run ``base_type``'s step with one parameter value per neuron."""
        values = self._namespace(J.shape[-1])
        step = _PER_NEURON_STEPS.get(type(self.base_type), type(self.base_type).step)
        step(values, dt, J, output, **state)


def _lif_rate_step(p, dt, J, output):
    """`~nengo.LIFRate` step where parameters are per-neuron arrays."""
    j = J - 1
    output[:] = 0
    active = j > 0
    output[active] = p.amplitude[active] / (
        p.tau_ref[active] + p.tau_rc[active] * np.log1p(1.0 / j[active])
    )


def _lif_step(p, dt, J, output, voltage, refractory_time):
    """`~nengo.LIF` step where parameters are per-neuron arrays."""
    refractory_time -= dt
    delta_t = np.clip(dt - refractory_time, 0, dt)
    voltage -= (J - voltage) * np.expm1(-delta_t / p.tau_rc)
    spiked = voltage > 1
    output[:] = spiked * (p.amplitude / dt)
    t_spike = dt + p.tau_rc[spiked] * np.log1p(-(voltage[spiked] - 1) / (J[spiked] - 1))
    voltage[voltage < p.min_voltage] = p.min_voltage
    voltage[spiked] = 0
    refractory_time[spiked] = p.tau_ref[spiked] + t_spike


def _adaptive(lif_step):
    """An adaptive step: the LIF step on ``J - n``, then ``n`` relaxes to the output."""

    def step(p, dt, J, output, adaptation, **state):
        lif_step(p, dt, J - adaptation, output, **state)
        adaptation += (dt / p.tau_n) * (p.inc_n * output - adaptation)

    return step


# the other supported types' own steps are elementwise, so they run as they are
_PER_NEURON_STEPS = {
    LIFRate: _lif_rate_step,
    LIF: _lif_step,
    AdaptiveLIFRate: _adaptive(_lif_rate_step),
    AdaptiveLIF: _adaptive(_lif_step),
}


class NeuronParameterization:
    """Maps trained values to a neuron type and back.

    Only the parameters that train, and, for `PerNeuron`, the per-neuron values,
    become parameter signals; the others stay the neuron type's constants.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type of `.NEURON_PARAMETERS`, a `PerNeuron`, or a wrapper
        (`.WRAPPER_TYPES`: then only its own ``amplitude``).
    n_neurons : int
        The number of neurons.
    selected : tuple of str
        The parameters to train.

    Attributes
    ----------
    parameters : tuple of str
        Names of the parameter signals.
    transforms : dict of str: str
        How each signal holds its parameter: ``"log"`` or ``"value"``.
    values : dict of str: `~numpy.ndarray`
        The starting value of each signal's parameter, shape ``(n_neurons,)``
        for `PerNeuron` and ``(1,)`` otherwise.
    base_type : `~nengo.neurons.NeuronType`
        The neuron type with scalar parameters (``neuron_type`` itself, or the
        `PerNeuron` base type).
    """

    def __init__(self, neuron_type, n_neurons, selected):
        self.neuron_type = neuron_type
        self.n_neurons = n_neurons
        self.base_type, kind = _leaf(neuron_type)
        self.per_neuron = type(neuron_type) is PerNeuron
        available = NEURON_PARAMETERS.get(kind, _WRAPPER_PARAMETERS)
        names = available if self.per_neuron else selected
        self.parameters = tuple(name for name in available if name in names)
        # untrained per-neuron values are held as they are (they may be 0)
        self.transforms = {
            name: available[name] if name in selected else "value"
            for name in self.parameters
        }
        self.values = {
            name: _start_values(neuron_type, name, n_neurons)
            for name in self.parameters
        }
        for reason in invalid_starts(neuron_type, n_neurons, selected).values():
            raise TrainableParamsError(reason)

    @property
    def signature(self):
        """Hashable description of the structure; equal signatures can be batched."""
        return type(self.base_type), tuple(self.transforms.items())

    @property
    def parts(self):
        """This parameterization, with the prefix of its names.

        As `.WrapperParameterization.parts`, for a neuron type built as one operator.
        """
        return ((self, ""),)

    def initial_values(self):
        """Return the trained values that reproduce ``neuron_type`` exactly.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            The transformed value of each signal, shape ``(n_neurons,)`` for
            `PerNeuron` and ``(1,)`` otherwise.
        """
        return {
            name: TRANSFORMS[transform][0](self.values[name])
            for name, transform in self.transforms.items()
        }

    def to_neuron_type(self, values):
        """Return a neuron type core Nengo runs, with the given trained values.

        Parameters
        ----------
        values : dict of str: array_like
            A trained value for some of the names in ``parameters``; the others
            keep the original neuron type's values exactly.

        Returns
        -------
        `~nengo.neurons.NeuronType`
            A copy of the original neuron type (a `PerNeuron` for `PerNeuron`)
            with the given values.
        """
        learned = {
            name: TRANSFORMS[self.transforms[name]][1](np.ravel(value))
            for name, value in values.items()
        }
        if self.per_neuron:
            per_neuron = dict(self.neuron_type.per_neuron_values)
            per_neuron.update(learned)
            return PerNeuron(self.base_type, **per_neuron)
        return _copy(self.neuron_type, **{k: float(v[0]) for k, v in learned.items()})

    def to_object(self, values):
        """The learned neuron type (`.to_neuron_type`), as used by freezing."""
        return self.to_neuron_type(values)

    def user_values(self, values):
        """The parameters in the neuron type's own units (seconds for times).

        Parameters
        ----------
        values : dict of str: array_like
            One value per name in ``parameters``, as trained.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            Shape ``(n_neurons,)`` for `PerNeuron`, ``(1,)`` otherwise.
        """
        return {
            name: TRANSFORMS[self.transforms[name]][1](np.ravel(value))
            for name, value in values.items()
        }


class WrapperParameterization:
    """The parameters of a `~nengo.RegularSpiking`-like wrapper and its base type.

    Parameters
    ----------
    neuron_type : `~nengo.RegularSpiking`, `~nengo.StochasticSpiking` or \
            `~nengo.PoissonSpiking`
        The wrapper.
    n_neurons : int
        The number of neurons.
    selected : tuple of str
        The parameters to train: ``"amplitude"`` and ``"base_type.<p>"``.

    Attributes
    ----------
    parts : tuple of (NeuronParameterization, str)
        The wrapper's and its base type's parameterizations, with the prefix of
        their names here (``""`` and ``"base_type."``).
    parameters : tuple of str
        Names of all the parameter signals.
    """

    def __init__(self, neuron_type, n_neurons, selected):
        self.neuron_type = neuron_type
        prefix = "base_type."
        own = NeuronParameterization(
            neuron_type, n_neurons, tuple(n for n in selected if n == "amplitude")
        )
        base = NeuronParameterization(
            neuron_type.base_type,
            n_neurons,
            tuple(n[len(prefix) :] for n in selected if n.startswith(prefix)),
        )
        self.parts = ((own, ""), (base, prefix))
        self.parameters = tuple(
            prefix + name for part, prefix in self.parts for name in part.parameters
        )

    def initial_values(self):
        """The trained values of all parts (see `.NeuronParameterization`)."""
        return {
            prefix + name: value
            for part, prefix in self.parts
            for name, value in part.initial_values().items()
        }

    def user_values(self, values):
        """The parameters of all parts (see `.NeuronParameterization.user_values`)."""
        return {
            prefix + name: value
            for part, prefix in self.parts
            for name, value in part.user_values(
                {
                    k[len(prefix) :]: v
                    for k, v in values.items()
                    if k.startswith(prefix) and (prefix or "." not in k)
                }
            ).items()
        }

    def to_object(self, values):
        """The wrapper with the learned values, around the learned base type."""
        (own, _), (base, prefix) = self.parts
        base_values = {
            k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)
        }
        own_values = {k: v for k, v in values.items() if not k.startswith(prefix)}
        return _copy(
            own.to_neuron_type(own_values), base_type=base.to_neuron_type(base_values)
        )


def neuron_parameterization(neuron_type, n_neurons, selected):
    """The parameterization of an ensemble's neuron type.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        The ensemble's neuron type.
    n_neurons : int
        The ensemble's number of neurons.
    selected : tuple of str
        The names of `trainable_parameters` to train.

    Returns
    -------
    `.NeuronParameterization` or `.WrapperParameterization`
    """
    if is_wrapper(neuron_type):
        return WrapperParameterization(neuron_type, n_neurons, selected)
    return NeuronParameterization(neuron_type, n_neurons, selected)
