r"""Synapse types this package adds: core Nengo runs them, NengoDL trains them.

`DoubleExp` (two time constants), `VectorLowpass` and `VectorAlpha` (one time
constant per dimension), `Delay` and `DelayedLowpass` (a delay that need not be
a multiple of ``dt``, optionally followed by a lowpass) and `PadeDelay` and
`LegendreDelay` (delays approximated by linear filters). Each is an ordinary
`nengo.synapses.Synapse`: it has ``make_state`` and ``make_step``, so core Nengo
simulates it, `~nengo.synapses.Synapse.filt` works and frozen networks keep it.
What trains, and how, is on the user guide's synapse pages.
"""

from math import factorial

import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import IntParam, NdarrayParam, NumberParam
from nengo.rc import rc
from nengo.synapses import Alpha, LinearFilter, Lowpass, Synapse

# Two time constants


class DoubleExp(LinearFilter):
    r"""Double-exponential synapse :math:`1 / ((\tau_1 s + 1)(\tau_2 s + 1))`.

    Parameters
    ----------
    tau1, tau2 : float
        The two time constants in seconds, each ``>= 0``. They may be equal (an
        `~nengo.Alpha` filter); ``tau2 = 0`` gives ``Lowpass(tau1)``.
    **kwargs
        Passed to `~nengo.LinearFilter` (``method``, ``default_size_in``, ...).

    Attributes
    ----------
    tau1, tau2 : float
        The time constants in seconds.

    Examples
    --------
    >>> import numpy as np
    >>> synapse = DoubleExp(0.05, 0.03)
    >>> synapse.den  # (tau1 s + 1)(tau2 s + 1)
    array([0.0015, 0.08  , 1.    ])
    >>> y = synapse.filt(np.ones((1000, 1)), dt=0.001)
    >>> round(float(y[-1, 0]), 3)  # unit DC gain, nearly settled after 1 s
    1.0
    """

    tau1 = NumberParam("tau1", low=0)
    tau2 = NumberParam("tau2", low=0)

    def __init__(self, tau1, tau2, **kwargs):
        # (tau1 s + 1)(tau2 s + 1), without the leading zero a zero tau leaves
        den = np.trim_zeros(np.polymul([tau1, 1.0], [tau2, 1.0]), "f")
        super().__init__([1.0], den, **kwargs)
        self.tau1 = tau1
        self.tau2 = tau2


# One time constant per dimension


class TimeConstantsParam(NdarrayParam):
    """A non-empty vector of positive time constants (seconds), one per dimension.

    Validated whenever it is set, also by copying and unpickling.
    """

    def __init__(self, name, readonly=True):
        super().__init__(name, shape=("*",), readonly=readonly)

    def coerce(self, instance, tau):
        tau = np.asarray(tau, dtype=np.float64)
        if tau.ndim != 1 or tau.size == 0:
            raise ValidationError(
                f"tau must be a non-empty vector (one time constant per dimension); "
                f"got shape {tau.shape}",
                attr=self.name,
                obj=instance,
            )
        if not np.all(tau > 0):
            raise ValidationError(
                "every time constant must be positive", attr=self.name, obj=instance
            )
        return super().coerce(instance, tau)


class VectorSynapse(Synapse):
    """Base class: one scalar filter of type ``scalar_type`` per dimension.

    Parameters
    ----------
    tau : array_like
        Time constant of each dimension, in seconds; shape ``(dimensions,)``, all
        positive.
    **kwargs
        Passed to `~nengo.synapses.Synapse` (``seed``, ``default_dt``).

    Attributes
    ----------
    scalar_type : type
        The scalar synapse applied to each dimension.
    """

    scalar_type = None
    tau = TimeConstantsParam("tau", readonly=True)
    #: Like the zero-order-hold scalar synapses (for the parameterizations).
    analog = True
    method = "zoh"

    def __init__(self, tau, **kwargs):
        kwargs.setdefault("default_size_in", np.size(tau))
        super().__init__(**kwargs)
        self.tau = tau

    @property
    def dimensions(self):
        """Number of dimensions (time constants)."""
        return self.tau.size

    @property
    def _argreprs(self):
        return [f"tau={self.tau.tolist()!r}"]

    def scalar_synapses(self):
        """The scalar synapse of each dimension.

        Returns
        -------
        list of `~nengo.LinearFilter`
        """
        return [self.scalar_type(float(tau)) for tau in self.tau]

    def _check_shape(self, shape_in, shape_out):
        if not (shape_in == shape_out == (self.dimensions,)):
            raise ValidationError(
                f"{type(self).__name__} has {self.dimensions} time constants, for a "
                f"signal of shape {shape_in} (input) and {shape_out} (output); the "
                f"signal must be a vector of {self.dimensions} dimensions",
                attr="tau",
                obj=self,
            )

    def discrete_systems(self, dt):
        """Each dimension's discrete system, as Nengo computes it.

        Parameters
        ----------
        dt : float
            Time step in seconds.

        Returns
        -------
        A, B, C, D : `~numpy.ndarray`
            Shapes ``(d, n, n)``, ``(d, n)``, ``(d, n)`` and ``(d,)`` for ``d``
            dimensions and filters of order ``n``.
        """
        systems = [synapse._get_ss(dt) for synapse in self.scalar_synapses()]
        A, B, C, D = (np.stack(x) for x in zip(*systems, strict=True))
        return A, B[:, :, 0], C[:, 0, :], D.reshape(-1)

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=0):
        self._check_shape(shape_in, shape_out)
        dtype = rc.float_dtype if dtype is None else np.dtype(dtype)
        y0 = np.broadcast_to(np.asarray(y0, dtype=np.float64), (self.dimensions,))
        states = [
            synapse.make_state((1,), (1,), dt, dtype=dtype, y0=y0[i])["X"]
            for i, synapse in enumerate(self.scalar_synapses())
        ]
        return {"X": np.concatenate(states, axis=1)}  # (order, dimensions)

    def make_step(self, shape_in, shape_out, dt, rng, state):
        self._check_shape(shape_in, shape_out)
        A, B, C, D = self.discrete_systems(dt)
        X = state["X"]
        if A.shape[1] == 1:
            # as Nengo's one-state step: the state is the output
            a, b = A[:, 0, 0], C[:, 0] * B[:, 0]

            def step_vector_one_state(t, signal):
                X[...] *= a
                X[...] += b * signal
                return X[0]

            return step_vector_one_state

        order = A.shape[1]
        A_columns = [A[:, :, k].T for k in range(order)]  # (n, d) each
        B, C = B.T, C.T  # (n, d)

        def matvec(columns, x):
            # sum over k in order, as numpy's dot does for these small sizes
            result = columns[0] * x[0]
            for k in range(1, order):
                result = result + columns[k] * x[k]
            return result

        def step_vector_synapse(t, signal):
            # x[t] = A x[t-1] + B u[t], y[t] = C x[t] (no direct term with zoh)
            X[...] = matvec(A_columns, X) + B * signal
            return matvec(C, X)

        return step_vector_synapse


class VectorLowpass(VectorSynapse):
    r"""`~nengo.Lowpass` with one time constant per dimension.

    Dimension :math:`i` is filtered by :math:`1 / (\tau_i s + 1)`, discretized
    with zero-order hold: :math:`y_i[t] = a_i y_i[t-1] + (1 - a_i) u_i[t]`,
    :math:`a_i = e^{-\Delta t / \tau_i}`.

    Parameters
    ----------
    tau : array_like
        Time constant of each dimension, in seconds; shape ``(dimensions,)``.
    **kwargs
        Passed to `~nengo.synapses.Synapse`.

    Examples
    --------
    >>> import numpy as np
    >>> synapse = VectorLowpass([0.005, 0.05])
    >>> y = synapse.filt(np.ones((100, 2)), dt=0.001)
    >>> np.round(y[-1], 3)  # the faster dimension has settled, the slower not yet
    array([1.   , 0.865])
    """

    scalar_type = Lowpass


class VectorAlpha(VectorSynapse):
    r"""`~nengo.Alpha` with one time constant per dimension.

    Dimension :math:`i` is filtered by :math:`1 / (\tau_i s + 1)^2`, discretized
    with zero-order hold as `~nengo.Alpha`.

    Parameters
    ----------
    tau : array_like
        Time constant of each dimension, in seconds; shape ``(dimensions,)``.
    **kwargs
        Passed to `~nengo.synapses.Synapse`.
    """

    scalar_type = Alpha


# Delays


class DelaysParam(NdarrayParam):
    """One delay (a scalar) or one per dimension (a non-empty vector), in seconds.

    Every delay must be finite and at least 0. Validated whenever it is set, also
    by copying and unpickling.
    """

    def __init__(self, name, readonly=True):
        super().__init__(name, shape=None, readonly=readonly)

    def coerce(self, instance, delay):
        delay = np.asarray(delay, dtype=np.float64)
        if delay.ndim > 1 or delay.size == 0:
            raise ValidationError(
                "delay must be a number or a non-empty vector (one delay per "
                f"dimension); got shape {delay.shape}",
                attr=self.name,
                obj=instance,
            )
        if not np.all(np.isfinite(delay) & (delay >= 0)):
            raise ValidationError(
                f"every delay must be finite and at least 0; got {delay.tolist()}",
                attr=self.name,
                obj=instance,
            )
        return super().coerce(instance, delay)


#: A delay within this many steps below a whole step counts as that step (a
#: fraction ``f`` just under 0): a delay of 2 steps computed in floating point as
#: 1.9999999 steps still gives the gradient from above, as a delay of exactly 2.
#: The output differs from the exact interpolation by at most this fraction of
#: one step's change of the input.
WHOLE_STEP_TOLERANCE = 1e-6


def buffer_length(max_delay, dt):
    """The number of past inputs a delay line of up to ``max_delay`` keeps.

    Parameters
    ----------
    max_delay : float
        The longest delay, in seconds.
    dt : float
        The time step, in seconds.

    Returns
    -------
    int
        ``floor(max_delay / dt) + 2``: the current input, and one more than the
        whole steps of the longest delay (its interpolation reads one step
        further back). A tolerance of ``1e-9`` steps keeps ``0.005 / 0.001`` five
        steps.
    """
    return int(np.floor(max_delay / dt + 1e-9)) + 2


def interpolation_weights(delay_steps, length):
    """The weight of each buffered input in the delayed output (NumPy).

    Parameters
    ----------
    delay_steps : array_like
        Delays in steps (``delay / dt``), any shape, each at most ``length - 2``
        (up to the tolerance of `buffer_length`).
    length : int
        The buffer length.

    Returns
    -------
    `~numpy.ndarray`
        Shape ``(length,) + delay_steps.shape``: ``1 - f`` at ``i`` and ``f`` at
        ``i + 1``, with ``i + f`` the delay in steps (see the module docstring;
        ``i`` is within `WHOLE_STEP_TOLERANCE` of the floor).
    """
    delay_steps = np.asarray(delay_steps, dtype=np.float64)
    whole = np.floor(delay_steps + WHOLE_STEP_TOLERANCE)
    whole = np.clip(whole, 0, length - 2).astype(int)
    fraction = delay_steps - whole
    steps = np.arange(length).reshape((length,) + (1,) * delay_steps.ndim)
    return (steps == whole) * (1 - fraction) + (steps == whole + 1) * fraction


class Delay(Synapse):
    r"""Delays its input by ``delay`` seconds, interpolating between steps.

    See the module docstring for the maths. Before ``delay`` has elapsed the
    output is the initial value (``y0`` of `~nengo.synapses.Synapse.filt`, 0 on a
    connection).

    Parameters
    ----------
    delay : float or array_like
        The delay in seconds, at least 0: one for every dimension, or a vector of
        one per dimension (then the synapse applies only to signals of that many
        dimensions).
    max_delay : float, optional
        The longest delay the synapse may have, in seconds (the delay line keeps
        ``floor(max_delay / dt) + 2`` steps): a trained delay stays strictly
        below it, and strictly above 0. Defaults to the largest ``delay``, which
        leaves a delay no room to train.
    **kwargs
        Passed to `~nengo.synapses.Synapse` (``seed``, ``default_dt``).

    Attributes
    ----------
    delay : `~numpy.ndarray`
        The delay (shape ``()``) or delays (shape ``(dimensions,)``), seconds.
    max_delay : float
        Seconds.

    Examples
    --------
    A step delayed by 2.5 steps: half of it arrives after two steps, all of it
    after three.

    >>> import numpy as np
    >>> Delay(0.0025).filt(np.ones((5, 1)), dt=0.001)[:, 0].tolist()
    [0.0, 0.0, 0.5, 1.0, 1.0]

    A connection whose delay, between 0 and 50 ms, trains::

        with nengo.Network() as net:
            nengo_dl.configure_settings(trainable_params=None)
            a, b = nengo.Node([1]), nengo.Node(size_in=1)
            conn = nengo.Connection(a, b, synapse=Delay(0.01, max_delay=0.05))
            net.config[conn].trainable_params = {"synapse.delay"}
    """

    delay = DelaysParam("delay", readonly=True)
    max_delay = NumberParam("max_delay", low=0, readonly=True)

    def __init__(self, delay, max_delay=None, **kwargs):
        if np.ndim(delay) == 1:
            kwargs.setdefault("default_size_in", np.size(delay))
        super().__init__(**kwargs)
        self.delay = delay
        largest = float(np.max(self.delay))
        if max_delay is None:
            max_delay = largest
        if not max_delay >= largest:
            raise ValidationError(
                f"max_delay ({max_delay}) must be at least the delay ({largest})",
                attr="max_delay",
                obj=self,
            )
        self.max_delay = max_delay

    @property
    def _argreprs(self):
        delay = self.delay.tolist()
        args = [f"delay={delay!r}"]
        if self.max_delay != np.max(self.delay):
            args.append(f"max_delay={self.max_delay!r}")
        return args

    def delays(self, dimensions):
        """The delay of each of ``dimensions`` dimensions, in seconds.

        Parameters
        ----------
        dimensions : int
            The signal's dimensions.

        Returns
        -------
        `~numpy.ndarray`
            Shape ``(dimensions,)``.

        Raises
        ------
        ValidationError
            If the synapse has one delay per dimension, for another number of
            dimensions.
        """
        if self.delay.ndim == 0:
            return np.full(dimensions, float(self.delay))
        if self.delay.size != dimensions:
            raise ValidationError(
                f"{self} has {self.delay.size} delays, for a signal of {dimensions} "
                "dimensions",
                attr="delay",
                obj=self,
            )
        return self.delay

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=0):
        """The delay line: ``buffer_length(max_delay, dt)`` past inputs.

        Every entry starts at ``y0``, the output until the delay has elapsed.
        """
        if shape_in != shape_out:
            raise ValidationError(
                f"input shape {shape_in} and output shape {shape_out} differ",
                attr="delay",
                obj=self,
            )
        if self.delay.ndim == 1:
            self.delays(int(np.prod(shape_in)) if len(shape_in) == 1 else -1)
        dtype = rc.float_dtype if dtype is None else np.dtype(dtype)
        buffer = np.empty((buffer_length(self.max_delay, dt),) + shape_in, dtype)
        buffer[...] = y0
        return {"buffer": buffer}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        """The step: shift the input into the delay line, read the delayed output."""
        buffer = state["buffer"]
        weights = interpolation_weights(self.delay / dt, buffer.shape[0])
        weights = weights.reshape(weights.shape + (1,) * (buffer.ndim - weights.ndim))
        weights = weights.astype(buffer.dtype)

        def step_delay(t, x):
            buffer[1:] = buffer[:-1].copy()
            buffer[0] = x
            return np.sum(weights * buffer, axis=0)

        return step_delay


class DelayedLowpass(Delay):
    r"""A `Delay` followed by a `~nengo.Lowpass`: ``e^{-d s} / (tau s + 1)``.

    The input is delayed by ``delay`` seconds as by `Delay` (interpolating
    between steps), then filtered by Nengo's own ``Lowpass(tau)`` (zero-order
    hold) in the same step, so that ``DelayedLowpass(tau, 0)`` is exactly
    ``Lowpass(tau)`` and, for a whole number of steps :math:`k`, the output is
    ``Lowpass(tau)``'s output :math:`k` steps late. Both parameters train
    (``"synapse.tau"`` as a time constant, ``"synapse.delay"`` within
    ``(0, max_delay)``; see `.DelayedLowpassParameterization`).

    Parameters
    ----------
    tau : float
        The lowpass time constant in seconds, greater than 0 (without a lowpass,
        use `Delay`).
    delay : float or array_like
        The delay in seconds, or one per dimension (see `Delay`).
    max_delay : float, optional
        The longest delay, in seconds (see `Delay`).
    **kwargs
        Passed to `~nengo.synapses.Synapse` (``seed``, ``default_dt``).

    Attributes
    ----------
    tau : float
        Seconds.
    delay, max_delay
        As for `Delay`.

    Examples
    --------
    A step delayed by two steps, then filtered with a time constant of one step:

    >>> import numpy as np
    >>> y = DelayedLowpass(0.001, 0.002).filt(np.ones((5, 1)), dt=0.001)
    >>> np.round(y[:, 0], 3).tolist()
    [0.0, 0.0, 0.632, 0.865, 0.95]
    """

    tau = NumberParam("tau", low=0, low_open=True, readonly=True)

    def __init__(self, tau, delay, max_delay=None, **kwargs):
        super().__init__(delay, max_delay=max_delay, **kwargs)
        self.tau = tau

    @property
    def _argreprs(self):
        return [f"tau={self.tau!r}"] + super()._argreprs

    @property
    def lowpass(self):
        """The `~nengo.Lowpass` that filters the delayed input."""
        return Lowpass(self.tau)

    def make_state(self, shape_in, shape_out, dt, dtype=None, y0=0):
        """The delay line (``"buffer"``) and the lowpass state (``"X"``).

        Both start at ``y0``, the output until the delay has elapsed.
        """
        state = super().make_state(shape_in, shape_out, dt, dtype=dtype, y0=y0)
        lowpass = self.lowpass.make_state(shape_in, shape_out, dt, dtype, y0=y0)
        return {**state, **lowpass}

    def make_step(self, shape_in, shape_out, dt, rng, state):
        """The step: `Delay`'s step, then `~nengo.Lowpass`'s, on its output."""
        step_delay = super().make_step(
            shape_in, shape_out, dt, rng, {"buffer": state["buffer"]}
        )
        lowpass_state = {k: v for k, v in state.items() if k != "buffer"}
        step_lowpass = self.lowpass.make_step(
            shape_in, shape_out, dt, rng, lowpass_state
        )

        def step_delayed_lowpass(t, x):
            return step_lowpass(t, step_delay(t, x))

        return step_delayed_lowpass


# Delays approximated by linear filters


def pade_delay(order):
    """The Padé approximant ``[order - 1 / order]`` of ``exp(-s)`` (a delay of 1 s).

    Parameters
    ----------
    order : int
        ``q``, at least 1.

    Returns
    -------
    num, den : `~numpy.ndarray`
        Coefficients, highest power first; ``den`` is monic.
    """
    p, q = order - 1, order
    num = [
        (-1) ** k
        * factorial(p + q - k)
        * factorial(p)
        / (factorial(k) * factorial(p - k))
        for k in range(p + 1)
    ]
    den = [
        factorial(p + q - k) * factorial(q) / (factorial(k) * factorial(q - k))
        for k in range(q + 1)
    ]
    # the common factor 1 / (p + q)! cancels; monic in s
    return np.array(num[::-1]) / den[-1], np.array(den[::-1]) / den[-1]


def legendre_delay_system(order):
    """The Legendre Memory Unit's ``(A, B, C)`` for a window of 1 s.

    Parameters
    ----------
    order : int
        ``q``, at least 1.

    Returns
    -------
    A, B, C : `~numpy.ndarray`
        Shapes ``(q, q)``, ``(q, 1)`` and ``(1, q)`` (see the module docstring).
    """
    i = np.arange(order)[:, None]
    j = np.arange(order)[None, :]
    A = (2 * i + 1) * np.where(i < j, -1.0, (-1.0) ** (i - j + 1))
    B = (2 * i + 1) * (-1.0) ** i
    return A, B, np.ones((1, order))


def legendre_delay(order):
    """The transfer function of `legendre_delay_system` (a delay of 1 s).

    Parameters
    ----------
    order : int
        ``q``, at least 1.

    Returns
    -------
    num, den : `~numpy.ndarray`
        Coefficients, highest power first; ``den`` is monic.
    """
    A, B, C = legendre_delay_system(order)
    den = np.poly(A)
    # det(sI - A + B C) = det(sI - A) (1 + C (sI - A)^-1 B)
    num = np.poly(A - B @ C) - den
    return np.trim_zeros(num, "f"), den


class _ScaledDelayFilter(LinearFilter):
    """Base: ``H(theta s)`` for the rational ``H`` of ``prototype(order)``."""

    theta = NumberParam("theta", low=0, low_open=True, readonly=True)
    order = IntParam("order", low=1, readonly=True)

    @staticmethod
    def prototype(order):  # pragma: no cover (abstract)
        raise NotImplementedError

    def __init__(self, theta, order, analog=True, method="zoh", **kwargs):
        self.theta = theta
        self.order = order
        num, den = self.prototype(order)
        rate = 1.0 / self.theta
        num = num * rate ** np.arange(order - len(num) + 1, order + 1)
        den = den * rate ** np.arange(order + 1)
        super().__init__(num, den, analog=analog, method=method, **kwargs)

    @property
    def _argreprs(self):
        return [f"theta={self.theta!r}", f"order={self.order!r}"]


class PadeDelay(_ScaledDelayFilter):
    """The Padé approximant of a delay of ``theta`` seconds, of order ``q``.

    See the module docstring for the maths.

    Parameters
    ----------
    theta : float
        The delay, seconds (positive).
    order : int
        ``q``: the number of state variables (at least 1; 1 is a lowpass with
        ``tau = theta``).
    **kwargs
        Passed to `~nengo.LinearFilter` (``method``, ...).

    Examples
    --------
    A step through a 20 ms delay of order 6: little before 20 ms, all after.

    >>> import numpy as np
    >>> y = PadeDelay(0.02, 6).filt(np.ones((60, 1)), dt=0.001)[:, 0]
    >>> bool(abs(y[10]) < 0.05 and abs(y[40] - 1) < 0.05)
    True
    """

    prototype = staticmethod(pade_delay)


class LegendreDelay(_ScaledDelayFilter):
    """The Legendre Memory Unit's delay of ``theta`` seconds, of order ``q``.

    See the module docstring for the maths.

    Parameters
    ----------
    theta : float
        The delay (the LMU's window), seconds (positive).
    order : int
        ``q``: the number of Legendre polynomials (at least 1).
    **kwargs
        Passed to `~nengo.LinearFilter` (``method``, ...).
    """

    prototype = staticmethod(legendre_delay)
