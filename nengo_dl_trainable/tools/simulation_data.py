"""``sim.data`` of an ensemble whose gain trains: the learned gain."""

import numpy as np
from nengo import Ensemble
from nengo.builder.ensemble import BuiltEnsemble

from nengo_dl_trainable._nengo_dl import provide, signal_values
from nengo_dl_trainable.builder.record import model_parameters
from nengo_dl_trainable.parameterizations.gain import GAIN


def gain_parameters(model):
    """The gain parameters of a model's ensembles.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A built model.

    Returns
    -------
    dict
        Maps each ensemble with a trainable gain to its `.TrainableParameter`.
    """
    return {p.obj: p for p in model_parameters(model) if p.name == GAIN}


def learned_gain_data(ens, built, factor):
    """``sim.data[ens]`` with the gain factor applied.

    Parameters
    ----------
    ens : `~nengo.Ensemble`
        The ensemble.
    built : `~nengo.builder.ensemble.BuiltEnsemble`
        What NengoDL reports (gain inferred from the trained scaled encoders).
    factor : array_like
        The trained gain factor :math:`m`, one per neuron.

    Returns
    -------
    `~nengo.builder.ensemble.BuiltEnsemble`
        With ``gain`` and ``scaled_encoders`` multiplied by :math:`m`, and
        ``max_rates`` and ``intercepts`` recomputed from the new gain.
    """
    factor = np.asarray(factor, dtype=np.float64)
    gain = built.gain * factor
    max_rates, intercepts = ens.neuron_type.max_rates_intercepts(gain, built.bias)
    return BuiltEnsemble(
        eval_points=built.eval_points,
        encoders=built.encoders,
        intercepts=intercepts,
        max_rates=max_rates,
        scaled_encoders=built.scaled_encoders * factor[:, None],
        gain=gain,
        bias=built.bias,
    )


@provide("simulation_data")
def simulation_data(sim, obj, built):
    """``sim.data[obj]``: for an ensemble with a trainable gain, the learned gain.

    NengoDL infers an ensemble's gain from its trained scaled encoders, which the
    separate gain factor leaves out.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator.
    obj : object
        The key of ``sim.data``.
    built : object
        What NengoDL reports for ``obj``.

    Returns
    -------
    object
        ``built`` unchanged, or for such an ensemble `learned_gain_data`.
    """
    parameter = (
        gain_parameters(sim.model).get(obj) if isinstance(obj, Ensemble) else None
    )
    if parameter is None:
        return built
    (factor,) = signal_values(sim, [parameter.signal])
    return learned_gain_data(obj, built, factor)
