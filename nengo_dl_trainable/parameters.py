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


def add_parameters(model, obj, sig_obj, prefix, parameterization, selected):
    """Create and register the parameter signals of one object.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object the parameters belong to.
    sig_obj : object
        Where the signals are also stored in ``model.sig`` (``obj``, or an
        ensemble's neurons), under ``"<prefix>.<name>"``.
    prefix : str
        ``"synapse"`` or ``"neuron_type"``.
    parameterization : object
        Provides ``parameters``, ``initial_values()`` and ``to_object(values)``.
    selected : tuple of str
        The names ``trainable_params`` selects.

    Returns
    -------
    dict of str: `~nengo.builder.Signal`
        One signal per name in ``parameterization.parameters``.
    """
    initial = parameterization.initial_values()
    signals = {}
    for name in parameterization.parameters:
        key = f"{prefix}.{name}"
        signals[name] = Signal(initial[name], name=f"{obj}.{key}")
        model_parameters(model).append(
            TrainableParameter(
                obj,
                key,
                signals[name],
                trainable=name in selected,
                parameterization=parameterization,
            )
        )
        model.sig[sig_obj][key] = signals[name]
    return signals


def claim_parameters(model, signals, obj, sig_obj, selected):
    """Give registered parameter signals to ``obj``, training those ``selected``.

    For parameters created before their owner was known (a vector synapse's,
    built by its own build function, then claimed by its connection).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    signals : list of `~nengo.builder.Signal`
        Parameter signals registered with `add_parameters`.
    obj, sig_obj : object
        As for `add_parameters`.
    selected : tuple of str
        The names (without prefix) ``trainable_params`` selects.
    """
    ids = {id(signal) for signal in signals}
    for parameter in model_parameters(model):
        if id(parameter.signal) in ids:
            parameter.obj = obj
            parameter.trainable = parameter.name.partition(".")[2] in selected
            model.sig[sig_obj][parameter.name] = parameter.signal
