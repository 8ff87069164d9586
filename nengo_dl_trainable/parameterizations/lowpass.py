"""Lowpass and Alpha synapses, scalar or per dimension, trained in ``tau``."""

import numpy as np
import tensorflow as tf
from nengo.synapses import Alpha, Lowpass

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.parameterizations.encoding import LogEncoding
from nengo_dl_trainable.parameterizations.filter import FilterParameterization
from nengo_dl_trainable.parameterizations.filter_maths import first_order_cascade
from nengo_dl_trainable.parameterizations.registry import register_synapse
from nengo_dl_trainable.synapses import VectorAlpha, VectorLowpass


class TimeConstantParameterization(FilterParameterization):
    """Base for filters ``1 / (tau s + 1)^power``, trained in ``tau`` (seconds).

    One time constant (`TauParameterization`) or one per dimension
    (`VectorTauParameterization`), trained as ``theta = log(tau) / step_scale``
    (`.LogEncoding`).

    Parameters
    ----------
    synapse : `~nengo.LinearFilter`
        The synapse.
    power : int
        1 for a lowpass, 2 for an alpha filter.
    trained, step_scale : optional
        As for `.FilterParameterization`.
    """

    elementwise_user_values = True

    def __init__(self, synapse, power, trained=(), step_scale=None):
        super().__init__(synapse, trained, step_scale)
        self.parameters = ("tau",)
        #: the filter is ``1 / (tau s + 1)^power``
        self.power = power
        self.select(trained, step_scale)

    def select(self, trained=(), step_scale=None):
        super().select(trained, step_scale)
        #: how ``tau`` is stored (`.LogEncoding`)
        self.encoding = LogEncoding(self.step_scale)
        self.encodings = {"tau": self.encoding}

    @property
    def order(self):
        return self.power

    def transfer_function(self, values):
        rate = self.encoding.reciprocal(values["tau"], tf)  # 1 / tau
        return first_order_cascade([rate] * self.power)

    def user_values(self, values):
        return {"tau": self.encoding.decode(np.ravel(values["tau"]))}


#: The power of each scalar time-constant synapse (see
#: `TimeConstantParameterization`).
TIME_CONSTANT_POWERS = {Lowpass: 1, Alpha: 2}


@register_synapse(Lowpass, Alpha)
class TauParameterization(TimeConstantParameterization):
    """`~nengo.Lowpass` ``1 / (tau s + 1)`` or `~nengo.Alpha` ``1 / (tau s + 1)^2``.

    Parameters
    ----------
    synapse : `~nengo.Lowpass` or `~nengo.Alpha`
        The synapse (exactly one of these classes).
    trained, step_scale : optional
        As for `.FilterParameterization`.
    """

    def __init__(self, synapse, trained=(), step_scale=None):
        super().__init__(
            synapse, TIME_CONSTANT_POWERS[type(synapse)], trained, step_scale
        )
        if not synapse.analog:
            raise TrainableParamsError(f"cannot train {synapse}: analog must be True")
        if not synapse.tau > 0:
            raise TrainableParamsError(
                f"cannot train {synapse}: tau must be positive (a filter with tau=0 "
                "is a passthrough and has no time constant to learn)"
            )

    @property
    def direct_term(self):
        return self.method != "zoh"

    def initial_values(self):
        return {"tau": self.encoding.encode([self.synapse.tau])}

    def to_synapse(self, values):
        return type(self.synapse)(
            float(self.encoding.decode(np.ravel(values["tau"])[0])),
            **self._synapse_kwargs(),
        )


@register_synapse(VectorLowpass, VectorAlpha)
class VectorTauParameterization(TimeConstantParameterization):
    """A `.VectorLowpass` or `.VectorAlpha`: one time constant per dimension.

    The parameter signal has one row per dimension (shape ``(d, 1)``); the
    transfer function of each row is that of the scalar synapse. Trained as
    ``log(tau_i)`` (``step_scale = 1``; see the module docstring for why).

    Parameters
    ----------
    synapse : `.VectorLowpass` or `.VectorAlpha`
        The synapse.
    trained, step_scale : optional
        As for `.FilterParameterization`.
    """

    def __init__(self, synapse, trained=(), step_scale=None):
        super().__init__(
            synapse, TIME_CONSTANT_POWERS[synapse.scalar_type], trained, step_scale
        )

    @property
    def direct_term(self):
        return False

    def initial_values(self):
        return {"tau": self.encoding.encode(self.synapse.tau)[:, None]}

    def to_synapse(self, values):
        return type(self.synapse)(self.encoding.decode(np.reshape(values["tau"], -1)))
