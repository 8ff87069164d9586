r"""Trainable neuron-model parameters: which there are, and how they are trained.

The rules and the maths are on the user guide page (``docs/user_guide.rst``), section
"Trainable neuron parameters": written there once, so that page and code cannot drift.
"""

import numpy as np

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.neurons import (
    NEURON_PARAMETERS,
    TIME_CONSTANTS,
    WRAPPER_TYPES,
    PerNeuron,
    copy_neuron_type,
)
from nengo_dl_trainable.parameterizations.base import Parameterization
from nengo_dl_trainable.parameterizations.encoding import (
    IDENTITY,
    LogEncoding,
    positive_step_scale,
)

#: How a wrapper's own parameters are trained.
_WRAPPER_PARAMETERS = {"amplitude": "log"}


def scalar_neuron_type(neuron_type):
    """The neuron type with one value per parameter: a `.PerNeuron`'s base type.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type (not a wrapper).

    Returns
    -------
    `~nengo.neurons.NeuronType`
        ``neuron_type.base_type`` for a `.PerNeuron`, else ``neuron_type``.
    """
    return neuron_type.base_type if type(neuron_type) is PerNeuron else neuron_type


def is_wrapper(neuron_type):
    """Whether ``neuron_type`` is one of `.WRAPPER_TYPES` (exactly, not a subclass).

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
    """Whether a supported neuron type holds `.PerNeuron` values (maybe wrapped).

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
    model_class = type(scalar_neuron_type(neuron_type))
    if model_class not in NEURON_PARAMETERS:
        supported = [k.__name__ for k in (*NEURON_PARAMETERS, *WRAPPER_TYPES)]
        parents = [
            k.__name__
            for k in model_class.__mro__[1:]
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
    return tuple(NEURON_PARAMETERS[model_class])


def _transform(neuron_type, name):
    """How parameter ``name`` of a supported neuron type is trained."""
    if is_wrapper(neuron_type):
        if name.startswith("base_type."):
            return _transform(neuron_type.base_type, name[len("base_type.") :])
        return _WRAPPER_PARAMETERS[name]
    return NEURON_PARAMETERS[type(scalar_neuron_type(neuron_type))][name]


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


class NeuronParameterization(Parameterization):
    """Maps trained values to a neuron type and back.

    Only the parameters that train, and, for `.PerNeuron`, the per-neuron values,
    become parameter signals; the others stay the neuron type's constants.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        A neuron type of `.NEURON_PARAMETERS`, a `.PerNeuron`, or a wrapper
        (`.WRAPPER_TYPES`: then only its own ``amplitude``).
    n_neurons : int
        The number of neurons.
    selected : tuple of str
        The parameters to train.
    step_scale : float, optional
        The ``tau_step_scale`` of the trained time constants (`.TIME_CONSTANTS`);
        None for `.DEFAULT_STEP_SCALE`.

    Attributes
    ----------
    parameters : tuple of str
        Names of the parameter signals.
    encodings : dict of str: object
        How each signal holds its parameter: a `.LogEncoding` (``step_scale``
        for trained time constants, 1 for other positive parameters) or
        `.IDENTITY` (parameters of any sign, and untrained per-neuron values,
        which may be 0).
    has_time_constants : bool
        Whether a time constant trains (so that ``step_scale`` applies).
    values : dict of str: `~numpy.ndarray`
        The starting value of each signal's parameter, shape ``(n_neurons,)``
        for `.PerNeuron` and ``(1,)`` otherwise.
    base_type : `~nengo.neurons.NeuronType`
        The neuron type with scalar parameters (``neuron_type`` itself, or the
        `.PerNeuron` base type).
    """

    elementwise_user_values = True

    def __init__(self, neuron_type, n_neurons, selected, step_scale=None):
        self.neuron_type = neuron_type
        self.n_neurons = n_neurons
        self.base_type = scalar_neuron_type(neuron_type)
        self.per_neuron = type(neuron_type) is PerNeuron
        available = NEURON_PARAMETERS.get(type(self.base_type), _WRAPPER_PARAMETERS)
        names = available if self.per_neuron else selected
        self.parameters = tuple(name for name in available if name in names)
        step_scale = positive_step_scale(step_scale)
        # trained time constants (untrained values are held as they are)
        scaled = [n for n in self.parameters if n in TIME_CONSTANTS and n in selected]
        self.has_time_constants = bool(scaled)
        self._trained_time_constants = tuple(scaled)
        self.encodings = {
            name: (
                IDENTITY
                # untrained per-neuron values are held as they are (they may be 0)
                if name not in selected or available[name] == "value"
                else LogEncoding(step_scale if name in scaled else 1.0)
            )
            for name in self.parameters
        }
        self.values = {
            name: _start_values(neuron_type, name, n_neurons)
            for name in self.parameters
        }
        for reason in invalid_starts(neuron_type, n_neurons, selected).values():
            raise TrainableParamsError(reason)

    @property
    def trained_time_constants(self):
        """The trained time constants (those of `.TIME_CONSTANTS` selected)."""
        return self._trained_time_constants

    @property
    def signature(self):
        """Hashable description of the structure; equal signatures can be batched."""
        return (type(self.base_type), tuple(self.encodings.items()))

    @property
    def parts(self):
        """This parameterization, with the prefix of its names.

        As the ``parts`` of `.WrapperParameterization`, for a neuron type built as one
        operator.
        """
        return ((self, ""),)

    def initial_values(self):
        """Return the trained values that reproduce ``neuron_type`` exactly.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            The transformed value of each signal, shape ``(n_neurons,)`` for
            `.PerNeuron` and ``(1,)`` otherwise.
        """
        return {
            name: encoding.encode(self.values[name])
            for name, encoding in self.encodings.items()
        }

    def _parameters(self, values):
        """The parameters (neuron type's units) of trained ``values``, flattened."""
        return {
            name: np.asarray(self.encodings[name].decode(np.ravel(value)))
            for name, value in values.items()
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
            A copy of the original neuron type (a `.PerNeuron` for `.PerNeuron`)
            with the given values.
        """
        learned = self._parameters(values)
        if self.per_neuron:
            per_neuron = dict(self.neuron_type.per_neuron_values)
            per_neuron.update(learned)
            return PerNeuron(self.base_type, **per_neuron)
        return copy_neuron_type(
            self.neuron_type, **{k: float(v[0]) for k, v in learned.items()}
        )

    def to_object(self, values):
        """The learned neuron type (`.to_neuron_type`), as used by freezing."""
        return self.to_neuron_type(values)

    def user_values(self, values):
        """`.Parameterization.user_values`: shape ``(n_neurons,)`` for `.PerNeuron`.

        ``(1,)`` otherwise; in the neuron type's own units (seconds for times).
        """
        return self._parameters(values)


class WrapperParameterization(Parameterization):
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
    step_scale : float, optional
        The ``tau_step_scale`` of the base type's time constants (see
        `.NeuronParameterization`).

    Attributes
    ----------
    parts : tuple of (NeuronParameterization, str)
        The wrapper's and its base type's parameterizations, with the prefix of
        their names here (``""`` and ``"base_type."``).
    parameters : tuple of str
        Names of all the parameter signals.
    has_time_constants : bool
        Whether a time constant of the base type trains.
    """

    def __init__(self, neuron_type, n_neurons, selected, step_scale=None):
        self.neuron_type = neuron_type
        prefix = "base_type."
        own = NeuronParameterization(
            neuron_type, n_neurons, tuple(n for n in selected if n == "amplitude")
        )
        base = NeuronParameterization(
            neuron_type.base_type,
            n_neurons,
            tuple(n[len(prefix) :] for n in selected if n.startswith(prefix)),
            step_scale,
        )
        self.parts = ((own, ""), (base, prefix))
        self.parameters = tuple(
            prefix + name for part, prefix in self.parts for name in part.parameters
        )
        self.has_time_constants = base.has_time_constants
        self._trained_time_constants = tuple(
            prefix + name for name in base.trained_time_constants
        )
        self.encodings = {
            prefix + name: encoding
            for part, prefix in self.parts
            for name, encoding in part.encodings.items()
        }

    @property
    def trained_time_constants(self):
        """The trained time constants (those of `.TIME_CONSTANTS` selected)."""
        return self._trained_time_constants

    @property
    def signature(self):
        """The signatures of the parts (each part is built as its own operator)."""
        return tuple(part.signature for part, _ in self.parts)

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
        return copy_neuron_type(
            own.to_neuron_type(own_values), base_type=base.to_neuron_type(base_values)
        )


def neuron_parameterization(neuron_type, n_neurons, selected, step_scale=None):
    """The parameterization of an ensemble's neuron type.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        The ensemble's neuron type.
    n_neurons : int
        The ensemble's number of neurons.
    selected : tuple of str
        The names of `trainable_parameters` to train.
    step_scale : float, optional
        The ``tau_step_scale`` of the trained time constants; None for
        `.DEFAULT_STEP_SCALE`.

    Returns
    -------
    `.NeuronParameterization` or `.WrapperParameterization`
    """
    if is_wrapper(neuron_type):
        return WrapperParameterization(neuron_type, n_neurons, selected, step_scale)
    return NeuronParameterization(neuron_type, n_neurons, selected, step_scale)
