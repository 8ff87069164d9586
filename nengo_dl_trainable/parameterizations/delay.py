r"""Delays as trained values: a `.Delay`'s delays, a delay filter's ``theta``.

A delay :math:`d` that trains is stored as :math:`\theta = \log(d / (u - d))` with
:math:`u` the synapse's ``max_delay`` (`.BoundedEncoding`): :math:`d = u \,
\sigma(\theta)` stays strictly between 0 and ``max_delay`` whatever the optimizer
does, so the delay line fixed at build time always holds it. A delay of exactly 0
or ``max_delay`` cannot be stored so; such a synapse is refused or skipped, like
any parameter that cannot train (`nengo_dl_trainable.config.names`). Delays are in
seconds, not time constants: ``tau_step_scale`` does not apply to them.

A `.Delay` that does not train runs through the same operator, with its delays
stored as they are (`DelayParameterization.fixed`).

A `.DelayedLowpass` has both: its delays as a `.Delay`'s, its ``tau`` as a
`~nengo.Lowpass`'s (`DelayedLowpassParameterization`).

The ``theta`` of a `.PadeDelay` or `.LegendreDelay` is a time like a time constant,
and trains as one (`DelayFilterParameterization`).
"""

import numpy as np
import tensorflow as tf

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.parameterizations.base import Parameterization
from nengo_dl_trainable.parameterizations.encoding import (
    IDENTITY,
    BoundedEncoding,
    LogEncoding,
)
from nengo_dl_trainable.parameterizations.filter import FilterParameterization
from nengo_dl_trainable.parameterizations.filter_maths import discretize
from nengo_dl_trainable.parameterizations.lowpass import TauParameterization
from nengo_dl_trainable.parameterizations.registry import register_synapse
from nengo_dl_trainable.synapses import (
    Delay,
    DelayedLowpass,
    LegendreDelay,
    PadeDelay,
    buffer_length,
    legendre_delay_system,
)


def untrainable_delay_reason(synapse):
    """Why the delays of ``synapse`` cannot train, or None if they can.

    Parameters
    ----------
    synapse : `.Delay`
        The synapse.

    Returns
    -------
    str or None
        A message if a delay is not strictly between 0 and ``max_delay`` (it
        cannot be stored inside the bounds a trained delay stays within).
    """
    delay = np.ravel(synapse.delay)
    if np.all(delay > 0) and np.all(delay < synapse.max_delay):
        return None
    return (
        f"cannot train the delay of {synapse}: every delay must be strictly between "
        f"0 and max_delay ({synapse.max_delay} s), the bounds a trained delay stays "
        f"within; start it above 0 and give {type(synapse).__name__}(..., "
        "max_delay=...) the longest delay it may learn"
    )


class DelayLineParameterization(Parameterization):
    """Base of the parameterizations of synapses with a delay line (`.Delay`).

    Their operators are made by `.delay_operator`; the synapse is a `.Delay` or a
    subclass.
    """

    @property
    def vector(self):
        """Whether the synapse has one delay per dimension."""
        return self.synapse.delay.ndim == 1

    def buffer_length(self, dt):
        """Steps in the delay line (`.buffer_length` of ``max_delay``).

        Parameters
        ----------
        dt : float
            Time step in seconds.

        Returns
        -------
        int
        """
        return buffer_length(self.synapse.max_delay, dt)

    def to_object(self, values):
        return self.to_synapse({**self.initial_values(), **values})

    def _synapse_kwargs(self):
        """The original synapse's ``max_delay`` and Nengo synapse arguments."""
        s = self.synapse
        return dict(
            max_delay=s.max_delay,
            default_size_in=s.default_size_in,
            default_size_out=s.default_size_out,
            default_dt=s.default_dt,
            seed=s.seed,
        )


@register_synapse(Delay)
class DelayParameterization(DelayLineParameterization):
    """A `.Delay`'s delay (``"delay"``), one or one per dimension, in seconds.

    Parameters
    ----------
    synapse : `.Delay`
        The synapse.
    trained : tuple of str, optional
        The parameters that will train (``()`` or ``("delay",)``).
    step_scale : float, optional
        Must be None: delays are not time constants.

    Raises
    ------
    TrainableParamsError
        If a delay is 0 or ``max_delay`` (it cannot be stored inside the bounds),
        or ``step_scale`` is given.

    Attributes
    ----------
    encoding : `.BoundedEncoding` or `.IdentityEncoding`
        How the delays are stored.
    """

    caveat = None
    #: delays are not time constants (``tau_step_scale`` does not apply)
    has_time_constants = False
    #: not a lowpass (no passthrough case; see `.FilterParameterization`)
    zoh_lowpass = False

    def __init__(self, synapse, trained=(), step_scale=None):
        if type(synapse) is not Delay:
            raise TrainableParamsError(f"{synapse!r} is not a Delay")
        self.synapse = synapse
        self.parameters = ("delay",)
        self.unavailable = {}
        reason = untrainable_delay_reason(synapse)
        if reason is not None:
            raise TrainableParamsError(reason)
        self.encoding = BoundedEncoding(synapse.max_delay)
        self.select(trained, step_scale)

    @classmethod
    def fixed(cls, synapse):
        """The parameterization of a `.Delay` that does not train.

        Its delays (any in ``[0, max_delay]``) are stored as they are, in seconds.

        Parameters
        ----------
        synapse : `.Delay`
            The synapse.

        Returns
        -------
        DelayParameterization
        """
        self = cls.__new__(cls)
        self.synapse = synapse
        self.parameters = ("delay",)
        self.unavailable = {}
        self.encoding = IDENTITY
        self.select()
        return self

    def select(self, trained=(), step_scale=None):
        """Set which parameters train.

        Parameters
        ----------
        trained : tuple of str, optional
            ``()`` or ``("delay",)``.
        step_scale : float, optional
            Must be None.

        Raises
        ------
        TrainableParamsError
            If ``step_scale`` is given.
        """
        if step_scale is not None:
            raise TrainableParamsError(
                f"tau_step_scale does not apply to {self.synapse!r}: a delay is not a "
                "time constant"
            )
        self.trained = tuple(trained)
        self.encodings = {"delay": self.encoding}

    @property
    def signature(self):
        return (type(self), self.encoding, self.vector)

    def initial_values(self):
        delay = self.encoding.encode(self.synapse.delay)
        return {"delay": delay[:, None] if self.vector else delay.reshape(1)}

    def user_values(self, values):
        return {"delay": self.encoding.decode(np.ravel(values["delay"]))}

    def to_synapse(self, values):
        """A `.Delay` with the delays that ``values`` store.

        Parameters
        ----------
        values : dict of str: array_like
            ``{"delay": stored values}``.

        Returns
        -------
        `.Delay`
            With the original ``max_delay``.
        """
        # u (1 + tanh(theta / 2)) / 2 is within [0, u] in floating point too
        delay = self.user_values(values)["delay"]
        return Delay(
            delay if self.vector else float(delay[0]), **self._synapse_kwargs()
        )


@register_synapse(DelayedLowpass)
class DelayedLowpassParameterization(DelayLineParameterization):
    """A `.DelayedLowpass`: ``"tau"`` as a `~nengo.Lowpass`, ``"delay"`` as a `.Delay`.

    The time constant is stored as ``log(tau) / k`` (`.LogEncoding`, ``k`` the
    ``tau_step_scale``) and the delays within ``(0, max_delay)``
    (`.BoundedEncoding`). A delay of 0 or ``max_delay`` cannot train
    (``unavailable``) and is stored as it is; ``tau`` still trains.

    Parameters
    ----------
    synapse : `.DelayedLowpass`
        The synapse.
    trained : tuple of str, optional
        The parameters that will train (of ``"tau"`` and ``"delay"``).
    step_scale : float, optional
        The ``tau_step_scale`` for ``tau``.

    Attributes
    ----------
    lowpass_part : `.TauParameterization`
        The lowpass (``"tau"``).
    delay_part : `DelayParameterization`
        The delay line (``"delay"``).
    """

    caveat = None
    #: ``tau`` is a time constant (``tau_step_scale`` applies to it)
    has_time_constants = True
    #: the lowpass passes its input through where ``tau <= PASSTHROUGH_TAU * dt``
    zoh_lowpass = True

    def __init__(self, synapse, trained=(), step_scale=None):
        if type(synapse) is not DelayedLowpass:
            raise TrainableParamsError(f"{synapse!r} is not a DelayedLowpass")
        self.synapse = synapse
        self.parameters = ("tau", "delay")
        self.lowpass_part = TauParameterization(synapse.lowpass)
        delay = Delay(synapse.delay, max_delay=synapse.max_delay)
        reason = untrainable_delay_reason(synapse)
        self.unavailable = {} if reason is None else {"synapse.delay": reason}
        self.delay_part = (
            DelayParameterization(delay)
            if reason is None
            else DelayParameterization.fixed(delay)
        )
        self.select(trained, step_scale)

    def select(self, trained=(), step_scale=None):
        """Set which parameters train, and how ``tau`` steps.

        Parameters
        ----------
        trained : tuple of str, optional
            Of ``"tau"`` and ``"delay"``.
        step_scale : float, optional
            The ``tau_step_scale`` (`.DEFAULT_STEP_SCALE` if None).

        Raises
        ------
        TrainableParamsError
            If ``"delay"`` is selected but cannot train.
        """
        if "delay" in trained and "synapse.delay" in self.unavailable:
            raise TrainableParamsError(self.unavailable["synapse.delay"])
        self.trained = tuple(trained)
        self.lowpass_part.select(("tau",) if "tau" in trained else (), step_scale)
        self.delay_part.select(("delay",) if "delay" in trained else ())
        #: ``theta = log(tau) / step_scale``
        self.step_scale = self.lowpass_part.step_scale
        self.encodings = {**self.lowpass_part.encodings, **self.delay_part.encodings}

    @property
    def signature(self):
        return (type(self), self.lowpass_part.signature, self.delay_part.signature)

    def initial_values(self):
        return {
            **self.lowpass_part.initial_values(),
            **self.delay_part.initial_values(),
        }

    def user_values(self, values):
        return {
            **self.lowpass_part.user_values({"tau": values["tau"]}),
            **self.delay_part.user_values({"delay": values["delay"]}),
        }

    def to_synapse(self, values):
        """A `.DelayedLowpass` with the time constant and delays ``values`` store.

        Parameters
        ----------
        values : dict of str: array_like
            ``{"tau": stored value, "delay": stored values}``.

        Returns
        -------
        `.DelayedLowpass`
            With the original ``max_delay``.
        """
        tau = self.lowpass_part.to_synapse({"tau": values["tau"]}).tau
        delay = self.delay_part.to_synapse({"delay": values["delay"]}).delay
        return DelayedLowpass(
            tau, delay if self.vector else float(delay), **self._synapse_kwargs()
        )


@register_synapse(PadeDelay, LegendreDelay)
class DelayFilterParameterization(FilterParameterization):
    r"""A `.PadeDelay` or `.LegendreDelay`, trained in ``theta`` (seconds).

    The filter is :math:`H(\theta s)` for the fixed rational :math:`H` of its order
    (`nengo_dl_trainable.synapses`): with :math:`r = 1 / \theta`, the monic
    denominator's coefficient of :math:`s^{q - j}` is :math:`d_j r^j` and the
    numerator's coefficient of :math:`s^{m - j}` is :math:`n_j r^{q - m + j}`.
    Every :math:`\theta > 0` gives a stable filter; ``theta`` is stored as
    :math:`\log(\theta) / k` (`.LogEncoding`, :math:`k` the ``tau_step_scale``).

    Parameters
    ----------
    synapse : `.PadeDelay` or `.LegendreDelay`
        The synapse.
    trained, step_scale : optional
        As for `.FilterParameterization`.
    """

    def __init__(self, synapse, trained=(), step_scale=None):
        super().__init__(synapse, trained, step_scale)
        self.parameters = ("theta",)
        num, den = synapse.prototype(synapse.order)
        #: the filter's coefficients for ``theta = 1``, highest power first
        self.prototype_num, self.prototype_den = num, den
        self.select(trained, step_scale)

    def select(self, trained=(), step_scale=None):
        super().select(trained, step_scale)
        #: how ``theta`` is stored (`.LogEncoding`)
        self.encoding = LogEncoding(self.step_scale)
        self.encodings = {"theta": self.encoding}

    @property
    def order(self):
        return self.synapse.order

    @property
    def direct_term(self):
        proper = len(self.prototype_num) == len(self.prototype_den)
        return proper or self.method != "zoh"

    @property
    def signature(self):
        return super().signature + (type(self.synapse),)

    def transfer_function(self, values):
        rate = self.encoding.reciprocal(values["theta"], tf)  # 1 / theta, (batch, 1)
        q, m = self.order, len(self.prototype_num) - 1
        num_powers = tf.constant(np.arange(q - m, q + 1), rate.dtype)
        den_powers = tf.constant(np.arange(q + 1), rate.dtype)
        num = tf.constant(self.prototype_num, rate.dtype) * rate**num_powers
        den = tf.constant(self.prototype_den, rate.dtype) * rate**den_powers
        return num, den

    def discrete_system(self, values, dt):
        """The discrete system, from the Legendre realization of the filter.

        Both filters have the transfer function that `.legendre_delay_system`
        realizes, with entries of order ``2 q + 1`` (scaled by ``1 / theta``): the
        controllable canonical form of the same filter has coefficients up to
        ``theta^-q`` (about 1e11 at order 6 and 12 ms), whose matrix exponential
        lost two digits of the output in float64. The state differs from core
        Nengo's realization of the frozen filter; the output does not.

        Parameters
        ----------
        values : dict of str: ``tf.Tensor``
            ``{"theta": stored values}``, shape ``(batch, 1)``.
        dt : float
            Time step in seconds.

        Returns
        -------
        A, B, C, D : ``tf.Tensor``
            See `.discretize`.
        """
        rate = self.encoding.reciprocal(values["theta"], tf)[:, :, None]
        A, B, C = (
            tf.constant(x, rate.dtype) for x in legendre_delay_system(self.order)
        )
        batch = tf.shape(rate)[0]
        A = A * rate
        B = B * rate
        C = tf.broadcast_to(C, (batch, 1, self.order))
        D = tf.zeros((batch,), rate.dtype)
        return discretize(A, B, C, D, dt, self.method)

    def initial_values(self):
        return {"theta": self.encoding.encode([self.synapse.theta])}

    def user_values(self, values):
        return {"theta": self.encoding.decode(np.ravel(values["theta"]))}

    def to_synapse(self, values):
        theta = float(self.encoding.decode(np.ravel(values["theta"])[0]))
        return type(self.synapse)(theta, self.synapse.order, **self._synapse_kwargs())
