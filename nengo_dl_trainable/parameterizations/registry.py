"""Which parameterization trains which synapse type: one registry.

Each synapse kind registers its parameterization where the parameterization is
defined, with `register_synapse`; `parameterization_for` looks the synapse's
exact type up, and its error lists the registered types. The kinds, their
trained values and the maths are in the user guide ("Synapses").
"""

from nengo_dl_trainable.errors import TrainableParamsError

#: Synapse type -> the parameterization class that trains it, in registration
#: order. Exact types: a subclass may change how it filters, so it trains only if
#: registered itself.
SYNAPSE_PARAMETERIZATIONS = {}


def register_synapse(*synapse_types):
    """Register the decorated parameterization class for ``synapse_types``.

    The class is constructed as ``cls(synapse, trained, step_scale)``.

    Parameters
    ----------
    *synapse_types : type
        The `~nengo.synapses.Synapse` subclasses it trains (exact types).

    Returns
    -------
    callable
        The class decorator.

    Raises
    ------
    ValueError
        If a type is registered already (two kinds claiming one synapse type).
    """

    def register(parameterization_class):
        for synapse_type in synapse_types:
            known = SYNAPSE_PARAMETERIZATIONS.get(synapse_type)
            if known is not None and known is not parameterization_class:
                raise ValueError(
                    f"{synapse_type.__name__} is trained by {known.__name__} "
                    f"already; cannot register {parameterization_class.__name__}"
                )
            SYNAPSE_PARAMETERIZATIONS[synapse_type] = parameterization_class
        return parameterization_class

    return register


def supported_synapse_types():
    """The names of the synapse types that can train, in registration order.

    Returns
    -------
    list of str
    """
    return [synapse_type.__name__ for synapse_type in SYNAPSE_PARAMETERIZATIONS]


def parameterization_for(synapse, trained=(), step_scale=None):
    """Return the parameterization that trains ``synapse``.

    Parameters
    ----------
    synapse : `~nengo.synapses.Synapse`
        A connection's synapse.
    trained : tuple of str, optional
        The names of its parameters that will train.
    step_scale : float, optional
        Time constants train as ``log(tau) / step_scale``; None for the
        parameterization's own.

    Returns
    -------
    `.FilterParameterization` or `.DelayParameterization`

    Raises
    ------
    TrainableParamsError
        If no parameterization is registered for the synapse's type, or the
        parameterization refuses the synapse (an unstable filter, an unsupported
        discretization) or ``step_scale`` (a `~nengo.LinearFilter`).
    """
    parameterization_class = SYNAPSE_PARAMETERIZATIONS.get(type(synapse))
    if parameterization_class is not None:
        return parameterization_class(synapse, trained, step_scale)
    subclass = (
        " (a subclass may change how it filters, so only the registered classes "
        "themselves are trained)"
        if any(isinstance(synapse, t) for t in SYNAPSE_PARAMETERIZATIONS)
        else ""
    )
    *others, last = supported_synapse_types()
    raise TrainableParamsError(
        f"cannot train synapse {synapse!r} ({type(synapse).__name__}): only "
        f"{', '.join(others)} and {last} synapses have trainable "
        f"parameters{subclass}"
    )
