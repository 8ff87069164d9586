"""Stored values and the Nengo objects they stand for.

A *parameterization* maps one synapse's or neuron type's trained values to its
parameters and back (`nengo_dl_trainable.parameterizations.base`), through an
*encoding* (`nengo_dl_trainable.parameterizations.encoding`). Each synapse kind
registers its parameterization in `nengo_dl_trainable.parameterizations.registry`.
"""

# each synapse kind registers its parameterization when its module is imported
# (`nengo_dl_trainable.parameterizations.registry`); a new kind adds one line here
from nengo_dl_trainable.parameterizations import (  # noqa: F401
    delay,
    double_exp,
    linear_filter,
    lowpass,
)
