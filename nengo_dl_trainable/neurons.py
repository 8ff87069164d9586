"""The neuron types this package knows, and `PerNeuron`.

`NEURON_PARAMETERS` lists the neuron types whose parameters can be trained (see
`nengo_dl_trainable.parameterizations.neurons` for how), `WRAPPER_TYPES` the spiking
wrappers around them. `PerNeuron` gives one of those types one value per neuron for some
of its parameters; it is an ordinary Nengo neuron type, which runs in core Nengo (numpy
steps here) and in NengoDL (the builders of `nengo_dl_trainable.neuron_builders`).
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

#: The parameters that are time constants (seconds). Trained as their log, they
#: also take the ensemble's ``tau_step_scale`` (see `.TauStepScaleParam`).
TIME_CONSTANTS = frozenset({"tau_rc", "tau_ref", "tau_n"})

#: Wrappers that turn a rate type into a spiking one; they train their own
#: ``amplitude`` and the parameters of their ``base_type``.
WRAPPER_TYPES = (RegularSpiking, StochasticSpiking, PoissonSpiking)

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


def constructor_kwargs(neuron_type):
    """The arguments that construct a copy of ``neuron_type`` (not `PerNeuron`).

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type of `NEURON_PARAMETERS` or `WRAPPER_TYPES`.

    Returns
    -------
    dict of str: object
        The value of each of its constructor's arguments.
    """
    return {
        name: getattr(neuron_type, name)
        for name in _CONSTRUCTOR_ARGS
        if hasattr(neuron_type, name)
    }


def copy_neuron_type(neuron_type, **changes):
    """A copy of ``neuron_type`` (not `PerNeuron`) with some arguments changed.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type of `NEURON_PARAMETERS` or `WRAPPER_TYPES`.
    **changes
        Constructor arguments to change; the neuron type validates them.

    Returns
    -------
    `~nengo.neurons.NeuronType`
    """
    return type(neuron_type)(**{**constructor_kwargs(neuron_type), **changes})


class PerNeuronValuesParam(Parameter):
    """Per-neuron values of some parameters of a `PerNeuron`'s ``base_type``.

    Given as a dict ``{name: values}`` (each a scalar, or one value per neuron),
    stored as a hashable tuple of ``(name, values)`` pairs sorted by name.
    Validated whenever it is set, also by copying and unpickling: each name must be
    a parameter of ``base_type`` (`NEURON_PARAMETERS`), each value finite and valid
    for ``base_type``.
    """

    equatable = True

    def equal(self, instance_a, instance_b):
        return self.__get__(instance_a, None) == self.__get__(instance_b, None)

    def coerce(self, instance, value):
        # a dict from PerNeuron's constructor, or the stored pairs when unpickling
        pairs = value.items() if isinstance(value, dict) else value
        base_type = instance.base_type
        names = NEURON_PARAMETERS[type(base_type)]
        coerced = []
        for name, values in sorted(pairs):
            if name not in names:
                raise ValidationError(
                    f"{type(base_type).__name__} has no per-neuron parameter "
                    f"{name!r}; valid: {', '.join(names)}",
                    attr=name,
                    obj=instance,
                )
            values = np.asarray(values, dtype=np.float64)
            if values.ndim > 1 or not np.all(np.isfinite(values)):
                raise ValidationError(
                    f"{name} must be a finite scalar or vector (one value per neuron)",
                    attr=name,
                    obj=instance,
                )
            for v in np.unique(values):
                copy_neuron_type(base_type, **{name: float(v)})  # raises if invalid
            coerced.append((name, tuple(float(v) for v in np.ravel(values))))
        return super().coerce(instance, tuple(coerced))


class SupportedNeuronTypeParam(NeuronTypeParam):
    """A neuron type of `NEURON_PARAMETERS` (exactly, not a subclass)."""

    def coerce(self, instance, neuron_type):
        neuron_type = super().coerce(instance, neuron_type)
        if type(neuron_type) not in NEURON_PARAMETERS:
            raise ValidationError(
                f"PerNeuron supports {', '.join(k.__name__ for k in NEURON_PARAMETERS)}"
                f"; got {neuron_type!r}",
                attr=self.name,
                obj=instance,
            )
        return neuron_type


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

    base_type = SupportedNeuronTypeParam("base_type", readonly=True)
    per_neuron_values = PerNeuronValuesParam("per_neuron_values", readonly=True)
    # the values are validated against the base type
    _param_init_order = ["base_type", "per_neuron_values"]

    def __init__(self, base_type, **values):
        super().__init__()
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
            attributes = constructor_kwargs(self.base_type)
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
                copy_neuron_type(self.base_type, **dict(zip(names, row, strict=True))),
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


# The steps below are those of Nengo's LIFRate, LIF and AdaptiveLIFRate/AdaptiveLIF
# (the same in Nengo 3.2.0 and 4.1.0), with per-neuron arrays where Nengo has one
# value; tests/test_neurons.py compares them with one Nengo ensemble per neuron.
# Check them against Nengo's when Nengo's change.


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
