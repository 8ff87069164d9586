"""An ensemble's gain as the built gain times a trained factor.

The maths and the build are described in `nengo_dl_trainable.builder.gain`.
"""

import numpy as np

from nengo_dl_trainable.parameterizations.base import Parameterization

#: The ``trainable_params`` name of an ensemble's gain.
GAIN = "gain"


class GainParameterization(Parameterization):
    """An ensemble's gain as the built gain times a trained factor.

    Parameters
    ----------
    built_gain : array_like
        The gain core Nengo built for each neuron, :math:`g`.

    Notes
    -----
    The trained value is the factor :math:`m` (1 at the start); the gain is
    :math:`g m`.
    """

    parameters = (GAIN,)

    def __init__(self, built_gain):
        self.built_gain = np.asarray(built_gain, dtype=np.float64)

    @property
    def signature(self):
        return (type(self), self.built_gain.size)

    def initial_values(self):
        return {GAIN: np.ones(self.built_gain.shape)}

    def user_values(self, values):
        return {GAIN: self.built_gain * np.asarray(values[GAIN], dtype=np.float64)}

    def to_object(self, values):
        """The learned gain of each neuron (an array, written as ``ens.gain``)."""
        return self.user_values(values)[GAIN]
