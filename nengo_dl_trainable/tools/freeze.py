"""Learned values back into ordinary Nengo objects, and filter analysis.

`learned_objects` is what makes the unchanged `nengo_dl.Simulator.freeze_params`
(through ``get_nengo_params``) write learned synapses, neuron types and gains into
a network, as ordinary `~nengo.Lowpass`, `~nengo.Alpha`, `~nengo.LinearFilter` or
neuron-type objects that core Nengo and every other backend run.
"""

from collections import defaultdict

import numpy as np
from nengo.synapses import LinearFilter
from nengo.utils.filter_design import cont2discrete, tf2ss

from nengo_dl_trainable._nengo_dl import provide, signal_values
from nengo_dl_trainable.builder.record import model_parameters
from nengo_dl_trainable.errors import TrainableParamsError


def learned_objects(sim, objs, prefix):
    """Return the learned synapse, neuron type or gain of each object that trained one.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator holding the learned values.
    objs : list of `~nengo.Connection` or `~nengo.Ensemble`
        Objects to look up.
    prefix : str
        ``"synapse"`` (connections), ``"neuron_type"`` or ``"gain"`` (ensembles).

    Returns
    -------
    dict
        Maps each object with at least one parameter under ``prefix`` that was
        trainable in ``sim`` to an ordinary Nengo synapse or neuron type holding
        the learned values (for ``"gain"``, the array of learned gains).

    Raises
    ------
    TrainableParamsError
        If a trained value is not finite (naming the object and parameter).
    """
    wanted = set(objs)
    groups = defaultdict(list)
    for parameter in model_parameters(sim.model):
        if parameter.obj in wanted and parameter.prefix == prefix:
            groups[parameter.obj].append(parameter)
    groups = {
        obj: params
        for obj, params in groups.items()
        if any(p.signal.trainable for p in params)
    }
    if not groups:
        return {}

    flat = [p for params in groups.values() for p in params]
    values = signal_values(sim, [p.signal for p in flat])
    value_of = {
        id(p): np.asarray(v, dtype=np.float64)
        for p, v in zip(flat, values, strict=True)
    }
    for p in flat:
        if p.signal.trainable and not np.all(np.isfinite(value_of[id(p)])):
            raise TrainableParamsError(
                f"{p.name} is not finite ({value_of[id(p)]}), so there is no "
                "learned value to write back; training diverged (try a lower "
                "learning rate, and restore the parameters with load_params)",
                obj=p.obj,
            )

    # only the trained values: the rest stay exactly as in the original object
    return {
        obj: params[0].parameterization.to_object(
            {p.short_name: value_of[id(p)] for p in params if p.signal.trainable}
        )
        for obj, params in groups.items()
    }


#: What `learned_nengo_params` reports, by the prefix of the parameters' names.
LEARNED_KEYS = ("synapse", "neuron_type", "gain")


@provide("learned_nengo_params")
def learned_nengo_params(sim, objs):
    """The learned ``synapse``, ``neuron_type`` and ``gain`` of each object.

    What ``Simulator.get_nengo_params`` (and so ``freeze_params``) adds to
    NengoDL's own parameters.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator holding the learned values.
    objs : list of `~nengo.Connection` or `~nengo.Ensemble`
        Objects to look up.

    Returns
    -------
    dict
        Maps each object that trained a parameter to ``{key: value}`` for the
        keys in `LEARNED_KEYS` it trained (see `learned_objects`).
    """
    learned = {}
    for key in LEARNED_KEYS:
        for obj, value in learned_objects(sim, objs, key).items():
            learned.setdefault(obj, {})[key] = value
    return learned


def filter_poles(synapse, dt=0.001):
    """Poles of a linear filter's discrete transfer function.

    Continuous filters (``analog=True``) are discretized with their own ``method``
    by Nengo's `~nengo.utils.filter_design.cont2discrete`, as the simulator does.

    Parameters
    ----------
    synapse : `~nengo.LinearFilter`
        The filter.
    dt : float
        Time step in seconds.

    Returns
    -------
    `~numpy.ndarray`
        The poles (complex), sorted by magnitude.
    """
    if not isinstance(synapse, LinearFilter):
        raise TypeError(f"{synapse!r} is not a LinearFilter")
    A, B, C, D = tf2ss(synapse.num, synapse.den)
    if synapse.analog and A.size > 0:
        A, *_ = cont2discrete((A, B, C, D), dt, method=synapse.method)
    poles = np.linalg.eigvals(A) if A.size else np.zeros(0, dtype=complex)
    return poles[np.argsort(np.abs(poles))].astype(complex)


def time_constants(synapse, dt=0.001):
    """Time constants of a linear filter with real positive discrete poles.

    Each discrete pole ``p`` in ``(0, 1)`` decays like ``exp(-t / tau)`` with
    ``tau = -dt / log(p)`` (seconds).

    Parameters
    ----------
    synapse : `~nengo.LinearFilter`
        The filter.
    dt : float
        Time step in seconds.

    Returns
    -------
    `~numpy.ndarray`
        The time constants in seconds, ascending.

    Raises
    ------
    ValueError
        If a pole is complex, or real but not in ``(0, 1)``; such poles have no
        time constant (use `.filter_poles`).
    """
    poles = filter_poles(synapse, dt)
    real = np.abs(poles.imag) <= 1e-12 * np.maximum(1, np.abs(poles))
    if not np.all(real & (poles.real > 0) & (poles.real < 1)):
        raise ValueError(
            f"{synapse} has poles {poles} that are not all real in (0, 1), so they "
            "have no time constants; use filter_poles to inspect them"
        )
    return np.sort(-dt / np.log(poles.real))
