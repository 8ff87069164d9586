r"""A synapse that delays its input by a time that need not be a multiple of ``dt``.

`Delay` outputs its input :math:`d` seconds late. With :math:`d / \Delta t = i + f`
(:math:`i` whole steps, :math:`0 \le f < 1`) the output at step :math:`n` is the
linear interpolation of the inputs :math:`i` and :math:`i + 1` steps back:

.. math::

   y[n] = (1 - f) \, u[n - i] + f \, u[n - i - 1],

so the output is a continuous, piecewise linear function of :math:`d`, and its
derivative with respect to :math:`d` is :math:`(u[n - i - 1] - u[n - i]) / \Delta t`
(taken from above at whole steps, where the two one-sided derivatives differ,
also for delays a rounding error below a whole step: `WHOLE_STEP_TOLERANCE`).
A delay of 0 passes the input through; as for every Nengo synapse, the step at
which the output is read adds Nengo's own one-step update delay on a connection.

The inputs are kept in a buffer of ``buffer_length(max_delay, dt)`` steps, fixed
when the simulation is built: ``max_delay`` is the longest delay the synapse can
have, and the bound a trained delay stays under
(`.DelayParameterization`). A `Delay` runs in core Nengo (its own ``make_state``
and ``make_step``, also for `~nengo.synapses.Synapse.filt` and probes) and in
NengoDL (`.TrainableDelayBuilder`), where its delays train through ``fit`` with
``trainable_params = {"synapse"}`` (or ``"synapse.delay"``).

`DelayedLowpass` is a `Delay` followed by a `~nengo.Lowpass` in one synapse, so
that one connection can learn both its delay and its time constant.
"""

import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import NdarrayParam, NumberParam
from nengo.rc import rc
from nengo.synapses import Lowpass, Synapse


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
