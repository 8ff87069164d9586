"""Parameterizations of trainable neuron-model parameters.

Every trainable neuron parameter is positive, and is trained as its logarithm, so it
stays positive for any value of the trained variable and steps are relative:

===========  ==================================  ==============================
neuron type  parameters                          trained value
===========  ==================================  ==============================
LIF          ``tau_rc``, ``tau_ref`` (seconds),  the logarithm of each
             ``amplitude``
LIFRate      as LIF                              the logarithm of each
SoftLIFRate  as LIF, and ``sigma``               the logarithm of each
===========  ==================================  ==============================

(`~nengo.LIF`, `~nengo.LIFRate`, `nengo_dl.neurons.SoftLIFRate`.)

One value is shared by all neurons of an ensemble. ``tau_ref = 0`` cannot be
represented and is refused as a starting value (start from a small positive value).
"""

import numpy as np
from nengo.neurons import LIF, LIFRate
from nengo_dl.neurons import SoftLIFRate

from nengo_dl_trainable.config import TrainableParamsError

#: The trainable parameters of each supported neuron type.
NEURON_PARAMETERS = {
    LIFRate: ("tau_rc", "tau_ref", "amplitude"),
    LIF: ("tau_rc", "tau_ref", "amplitude"),
    SoftLIFRate: ("tau_rc", "tau_ref", "amplitude", "sigma"),
}


class NeuronParameterization:
    """Maps trained values (logarithms) to a neuron type and back.

    Parameters
    ----------
    neuron_type : `~nengo.neurons.NeuronType`
        The ensemble's neuron type.

    Attributes
    ----------
    parameters : tuple of str
        Names of the trainable parameters (``"neuron_type.<name>"`` in config).
    """

    def __init__(self, neuron_type):
        kind = type(neuron_type)
        if kind not in NEURON_PARAMETERS:
            raise TrainableParamsError(
                f"cannot train neuron type {neuron_type!r}: trainable neuron "
                f"parameters are supported for "
                f"{', '.join(k.__name__ for k in NEURON_PARAMETERS)} so far"
            )
        self.neuron_type = neuron_type
        self.parameters = NEURON_PARAMETERS[kind]
        for name in self.parameters:
            if not getattr(neuron_type, name) > 0:
                raise TrainableParamsError(
                    f"cannot train {name}={getattr(neuron_type, name)} of "
                    f"{neuron_type!r}: it must start positive (trained as its log)"
                )

    @property
    def signature(self):
        """Hashable description of the structure; equal signatures can be batched."""
        return type(self.neuron_type)

    def initial_values(self):
        """Return the trained values that reproduce ``neuron_type`` exactly.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            ``log`` of each parameter, shape ``(1,)``.
        """
        return {
            name: np.log([getattr(self.neuron_type, name)]) for name in self.parameters
        }

    def to_neuron_type(self, values):
        """Return a neuron type core Nengo runs, with the given trained values.

        Parameters
        ----------
        values : dict of str: array_like
            A trained value (a log) for some of the names in ``parameters``; the
            others keep the original neuron type's values exactly.

        Returns
        -------
        `~nengo.neurons.NeuronType`
            A copy of the original neuron type with the learned parameters.
        """
        kwargs = {
            name: getattr(self.neuron_type, name)
            for name in ("tau_rc", "tau_ref", "min_voltage", "amplitude", "sigma")
            if hasattr(self.neuron_type, name)
        }
        kwargs.update(
            {name: float(np.exp(np.ravel(v)[0])) for name, v in values.items()}
        )
        if hasattr(self.neuron_type, "initial_state"):
            kwargs["initial_state"] = self.neuron_type.initial_state
        return type(self.neuron_type)(**kwargs)

    def to_object(self, values):
        """The learned neuron type (`.to_neuron_type`), as used by freezing."""
        return self.to_neuron_type(values)
