"""Registry of the parameter signals this package adds to a built model."""

import weakref
from dataclasses import dataclass

from nengo.builder import Signal


@dataclass(eq=False)
class TrainableParameter:
    """A parameter signal added to a model, and what it belongs to.

    Attributes
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object whose parameter this is.
    name : str
        The ``trainable_params`` name, e.g. ``"synapse.tau"``.
    signal : `~nengo.builder.Signal`
        Holds the parameter's unconstrained value (e.g. ``log(tau)``).
    trainable : bool
        Whether ``trainable_params`` selects it (``inference_only`` aside).
    parameterization : object
        Maps the values of all parameters of ``obj`` with the same prefix back to
        a Nengo object through its ``to_object(values)`` method (a
        `.FilterParameterization` or a `.NeuronParameterization`).
    """

    obj: object
    name: str
    signal: Signal
    trainable: bool
    parameterization: object


_parameters = weakref.WeakKeyDictionary()


def model_parameters(model):
    """The list of `.TrainableParameter` of a model (a live list, to append to).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model.

    Returns
    -------
    list of TrainableParameter
    """
    return _parameters.setdefault(model, [])
