r"""A trainable ensemble gain, separate from the encoders.

The rules and the maths are on the user guide page (``docs/user_guide.rst``), section
"The gain, apart from the encoders": written there once, so that page and code cannot
drift.
"""

import contextlib

from nengo import Ensemble
from nengo.builder import Signal
from nengo.builder.operator import DotInc, ElementwiseInc, Reset
from nengo.ensemble import Neurons

from nengo_dl_trainable._nengo_dl.build_channels import (
    built_operator_index,
    neuron_input_redirected,
)
from nengo_dl_trainable.builder.record import add_parameters
from nengo_dl_trainable.parameterizations.gain import GAIN, GainParameterization

#: Where the build stores the signal collecting the current before the gain.
GAIN_INPUT_KEY = "gain_input"


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
    gain_input = model.sig[ens.neurons][GAIN_INPUT_KEY]
    with neuron_input_redirected(model, ens.neurons, gain_input):
        yield
