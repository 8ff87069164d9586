"""The `.DoubleExp` synapse trained in its time constants (sum and spread)."""

import numpy as np
import tensorflow as tf

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.parameterizations.encoding import (
    LogEncoding,
    double_exp_encodings,
    double_exp_sum_and_spread,
    double_exp_time_constants,
)
from nengo_dl_trainable.parameterizations.filter import FilterParameterization
from nengo_dl_trainable.parameterizations.filter_maths import first_order_cascade
from nengo_dl_trainable.parameterizations.registry import register_synapse
from nengo_dl_trainable.synapses import DoubleExp


@register_synapse(DoubleExp)
class DoubleExpParameterization(FilterParameterization):
    """`.DoubleExp` ``1 / ((tau1 s + 1)(tau2 s + 1))``, trained in its time constants.

    One time constant trains as a lowpass's does (`.LogEncoding`). Where both
    train, the parameter signals named ``tau1`` and ``tau2`` hold their sum
    ``S = tau1 + tau2`` (`.LogEncoding`) and their spread
    ``q = (tau1 - tau2) / S`` (`.SpreadEncoding`, a quarter of the step), so that
    ``tau1 = S (1 + q) / 2`` and ``tau2 = S (1 - q) / 2``
    (`.double_exp_time_constants`) are both positive for any values, and equal at
    ``q = 0``. Why: the data fix the sum of the time constants far better than
    their spread (which shapes only the high frequencies), and these two values
    separate the two, where ``log`` of each time constant mixes them; Adam, which
    scales each value's step separately, then converges in tens of epochs instead
    of crawling along a diagonal valley (``benchmarks/double_exp_recovery.py``).

    A time constant of 0 is not a parameter. With rates ``r_k = 1 / tau_k`` the
    transfer function is ``r1 r2 / (s^2 + (r1 + r2) s + r1 r2)``.
    """

    elementwise_user_values = True

    def __init__(self, synapse, trained=(), step_scale=None):
        super().__init__(synapse, trained, step_scale)
        if not synapse.analog:
            raise TrainableParamsError(f"cannot train {synapse}: analog must be True")
        taus = {"tau1": synapse.tau1, "tau2": synapse.tau2}
        self.parameters = tuple(name for name, tau in taus.items() if tau > 0)
        self.unavailable = {
            f"synapse.{name}": (
                f"cannot train {name} of {synapse}: it is 0, and a time constant is "
                "trained as its logarithm (start it above 0 to learn it)"
            )
            for name, tau in taus.items()
            if tau == 0
        }
        if not self.parameters:
            raise TrainableParamsError(
                f"cannot train {synapse}: both time constants are 0 (a passthrough "
                "has no time constant to learn)"
            )
        self.select(trained, step_scale)

    def select(self, trained=(), step_scale=None):
        super().select(trained, step_scale)
        synapse = self.synapse
        #: whether both time constants train (as their sum and spread)
        self.sum_and_spread = {"tau1", "tau2"} <= set(self.trained)
        if self.sum_and_spread:
            self.encodings = dict(
                zip(
                    ("tau1", "tau2"), double_exp_encodings(self.step_scale), strict=True
                )
            )
        else:
            self.encodings = {
                name: LogEncoding(self.step_scale) for name in self.parameters
            }
        self.caveat = None
        if self.sum_and_spread and synapse.tau1 == synapse.tau2:
            self.caveat = (
                f"{synapse} starts with equal time constants, which training keeps "
                "equal: swapping them gives the same filter, so the gradient cannot "
                "tell them apart. Start them apart to learn two time constants."
            )

    @property
    def order(self):
        return len(self.parameters)

    @property
    def direct_term(self):
        return self.method != "zoh"

    @property
    def signature(self):
        return super().signature + (self.sum_and_spread,)

    def initial_values(self):
        s = self.synapse
        if self.sum_and_spread:
            stored = double_exp_sum_and_spread([s.tau1], [s.tau2])
        else:
            stored = [[getattr(s, name)] for name in self.parameters]
        return {
            name: self.encodings[name].encode(value)
            for name, value in zip(self.parameters, stored, strict=True)
        }

    def time_constants(self, values, ops=np):
        """The time constants (seconds) of trained values of some parameters.

        Parameters
        ----------
        values : dict of str: array_like or ``tf.Tensor``
            Stored values of some of the names in ``parameters`` (both, where
            they train as sum and spread).
        ops : module, optional
            ``numpy`` (default) or ``tensorflow``.

        Returns
        -------
        dict of str: array_like or ``tf.Tensor``
            ``tau1`` and/or ``tau2``, of the shape of the values.
        """
        decoded = {
            name: self.encodings[name].decode(value, ops)
            for name, value in values.items()
        }
        if self.sum_and_spread and decoded:
            return dict(
                zip(
                    ("tau1", "tau2"),
                    double_exp_time_constants(decoded["tau1"], decoded["tau2"]),
                    strict=True,
                )
            )
        return decoded

    def transfer_function(self, values):
        taus = self.time_constants(values, tf)
        return first_order_cascade([1 / taus[name] for name in self.parameters])

    def to_synapse(self, values):
        # time constants without a value (untrained, in to_object) stay exactly
        # the original ones
        taus = {
            name: float(np.ravel(tau)[0])
            for name, tau in self.time_constants(values).items()
        }
        s = self.synapse
        return DoubleExp(
            taus.get("tau1", s.tau1), taus.get("tau2", s.tau2), **self._synapse_kwargs()
        )

    def to_object(self, values):
        """The learned synapse; untrained time constants are exactly the original.

        Parameters
        ----------
        values : dict of str: array_like
            Trained values for some of the names in ``parameters``.

        Returns
        -------
        `.DoubleExp`
        """
        return self.to_synapse(values)

    def user_values(self, values):
        taus = self.time_constants(values)
        return {name: np.ravel(taus[name]) for name in self.parameters}
