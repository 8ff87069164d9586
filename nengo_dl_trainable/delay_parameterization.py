r"""Delays as trained values: a `.Delay`'s delays, a delay filter's ``theta``.

A delay :math:`d` that trains is stored as :math:`\theta = \log(d / (u - d))` with
:math:`u` the synapse's ``max_delay`` (`.BoundedEncoding`): :math:`d = u \,
\sigma(\theta)` stays strictly between 0 and ``max_delay`` whatever the optimizer
does, so the delay line fixed at build time always holds it. A delay of exactly 0
or ``max_delay`` cannot be stored so; such a synapse is refused or skipped, like
any parameter that cannot train (`nengo_dl_trainable.names`). Delays are in
seconds, not time constants: ``tau_step_scale`` does not apply to them.

A `.Delay` that does not train runs through the same operator, with its delays
stored as they are (`DelayParameterization.fixed`).

The ``theta`` of a `.PadeDelay` or `.LegendreDelay` is a time like a time constant,
and trains as one (`DelayFilterParameterization`).
"""

import numpy as np
import tensorflow as tf

from nengo_dl_trainable.delay import Delay, buffer_length
from nengo_dl_trainable.delay_filters import legendre_delay_system
from nengo_dl_trainable.encoding import IDENTITY, BoundedEncoding, LogEncoding
from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.filter_maths import discretize
from nengo_dl_trainable.filter_parameterization import FilterParameterization
from nengo_dl_trainable.parameterization import Parameterization


class DelayParameterization(Parameterization):
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
        delay = np.ravel(synapse.delay)
        if not (np.all(delay > 0) and np.all(delay < synapse.max_delay)):
            raise TrainableParamsError(
                f"cannot train {synapse}: every delay must be strictly between 0 and "
                f"max_delay ({synapse.max_delay} s), the bounds a trained delay stays "
                "within; start it above 0 and give Delay(..., max_delay=...) the "
                "longest delay it may learn"
            )
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
        s = self.synapse
        return Delay(
            delay if self.vector else float(delay[0]),
            max_delay=s.max_delay,
            default_size_in=s.default_size_in,
            default_size_out=s.default_size_out,
            default_dt=s.default_dt,
            seed=s.seed,
        )

    def to_object(self, values):
        return self.to_synapse({**self.initial_values(), **values})


class DelayFilterParameterization(FilterParameterization):
    r"""A `.PadeDelay` or `.LegendreDelay`, trained in ``theta`` (seconds).

    The filter is :math:`H(\theta s)` for the fixed rational :math:`H` of its order
    (`nengo_dl_trainable.delay_filters`): with :math:`r = 1 / \theta`, the monic
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
