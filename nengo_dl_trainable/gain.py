r"""A trainable ensemble gain, separate from the encoders.

Core Nengo rolls an ensemble's gain into its encoders (the scaled encoders
:math:`\tilde{e}_i = g_i e_i / r`) and into the weights of connections to its
neurons (:math:`g_i w_{ij}`), so NengoDL can train the encoders but not the gain on
its own. With ``"gain"`` selected (``trainable_params`` or ``gain=L(...)``) the
input current of neuron :math:`i` becomes

.. math::

   J_i = m_i \left( \tilde{e}_i \cdot x + \sum_j g_i w_{ij} a_j \right)
         + b_i + \eta_i

where :math:`m_i` is a trained gain factor that starts at 1, so the learned gain is
:math:`g_i m_i` (:math:`g_i` the built gain, :math:`b_i` the bias, :math:`\eta_i`
the ensemble's noise, which the gain does not scale, as in Nengo). Training the
factor rather than :math:`g_i` itself makes an optimizer step a relative change of
the gain, whatever its size (built gains range over orders of magnitude).
Untrained, :math:`m_i = 1` and the currents equal stock NengoDL's up to float
rounding (the same terms, summed in another order).

The build adds a signal ``<ensemble>.gain_input`` that collects the encoded input
and every connection into the neurons; one `~nengo.builder.operator.ElementwiseInc`
adds :math:`m \odot` it to the neurons' input. These are core Nengo operators,
built and differentiated by NengoDL's own builders. Freezing writes the learned
gain :math:`g m` as the ensemble's ``gain`` (encoders unchanged), and
``sim.data[ens]`` reports it (with ``scaled_encoders`` scaled by :math:`m`).
"""

import contextlib

import numpy as np
from nengo import Ensemble
from nengo.builder import Signal
from nengo.builder.ensemble import BuiltEnsemble
from nengo.builder.operator import DotInc, ElementwiseInc, Reset
from nengo.ensemble import Neurons

from nengo_dl_trainable._nengo_dl import provide
from nengo_dl_trainable.operators import built_operator_index
from nengo_dl_trainable.parameterization import Parameterization
from nengo_dl_trainable.parameters import add_parameters, model_parameters
from nengo_dl_trainable.report import read_signal_values

#: The ``trainable_params`` name of an ensemble's gain.
GAIN = "gain"

#: Where the build stores the signal collecting the current before the gain.
GAIN_INPUT_KEY = "gain_input"


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


def build_gain(model, ens, first):
    """Route the ensemble's input through a trainable gain factor.

    Called by the ensemble build function after core Nengo has built ``ens``.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    ens : `~nengo.Ensemble`
        The ensemble (not ``Direct``).
    first : int
        ``len(model.operators)`` before the ensemble was built.
    """
    parameterization = GainParameterization(model.params[ens].gain)
    (factor,) = add_parameters(
        model, ens, ens, None, parameterization, (GAIN,)
    ).values()

    neuron_input = model.sig[ens.neurons]["in"]
    gain_input = Signal(shape=neuron_input.shape, name=f"{ens}.{GAIN_INPUT_KEY}")
    model.sig[ens.neurons][GAIN_INPUT_KEY] = gain_input
    encoders = model.sig[ens]["encoders"]
    index = built_operator_index(
        model, first, lambda op: isinstance(op, DotInc) and op.A is encoders
    )
    encoding = model.operators[index]
    model.operators[index] = DotInc(
        encoding.A, encoding.X, gain_input, tag=encoding.tag
    )
    model.add_op(Reset(gain_input))
    model.add_op(ElementwiseInc(factor, gain_input, neuron_input, tag=f"{ens}.{GAIN}"))


def _gain_ensemble(model, obj):
    """The ensemble whose trainable gain ``obj`` (a connection's post) feeds."""
    ens = obj.ensemble if isinstance(obj, Neurons) else obj
    # .get: model.sig is a defaultdict, and an entry made here would change
    # Nengo's "not in the model" error for an unbuilt post
    if isinstance(ens, Ensemble) and GAIN_INPUT_KEY in model.sig.get(ens.neurons, {}):
        return ens
    return None


@contextlib.contextmanager
def input_before_gain(model, conn):
    """While ``conn`` builds, its post's neuron input is the current before the gain.

    Core Nengo connects into an ensemble's neurons (connections to ``ens.neurons``,
    and decoded connections solved for full weights) through
    ``model.sig[ens.neurons]["in"]``; pointing that at the gain input for the
    duration of the build makes the trained gain scale them, as Nengo's gain
    does. The entry is restored afterwards, so probes of the neurons' input see
    the neurons' real input current.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    conn : `~nengo.Connection`
        The connection about to be built.
    """
    ens = _gain_ensemble(model, conn.post_obj)
    if ens is None:
        yield
        return
    signals = model.sig[ens.neurons]
    neuron_input = signals["in"]
    signals["in"] = signals[GAIN_INPUT_KEY]
    try:
        yield
    finally:
        signals["in"] = neuron_input


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
    (factor,) = read_signal_values(sim, [parameter.signal])
    return learned_gain_data(obj, built, factor)
