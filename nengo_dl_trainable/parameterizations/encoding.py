r"""How parameters are stored as trained values: the one place that encodes them.

A parameter signal holds an unconstrained value :math:`\theta`; the optimizer moves
:math:`\theta`, and the model uses the parameter it encodes. Every module that needs
a parameter from its signal (the TensorFlow builders, the reference-simulator
operators, the parameterizations, `.summary`, freezing, the checkpoint check) asks
one of the encodings here, in NumPy or in TensorFlow (the ``ops`` argument: ``np``
or ``tf``), so the two forms are one piece of code.

`LogEncoding`
    A positive parameter :math:`p` (a time constant in seconds, an amplitude ...)
    stored as :math:`\theta = \log(p) / k`, so :math:`p = e^{k \theta}` stays
    positive for any :math:`\theta`, and a step :math:`\delta` in :math:`\theta`
    changes :math:`p` by the factor :math:`e^{k \delta}`, whatever its size. For
    time constants :math:`k` is the ``tau_step_scale`` that applies
    (`DEFAULT_STEP_SCALE` unless set); every other positive parameter has
    :math:`k = 1`.
`SpreadEncoding`
    The spread :math:`q = (\tau_1 - \tau_2) / (\tau_1 + \tau_2) \in (-1, 1)` of a
    `.DoubleExp` whose two time constants both train, stored as
    :math:`\theta = \operatorname{artanh}(q) / (k / 4)`: the same ``tau_step_scale``
    :math:`k` as its sum, a quarter of the step (`SPREAD_STEP_FRACTION`).
`BoundedEncoding`
    A parameter :math:`p` between 0 and a bound :math:`u` (a delay, at most its
    ``max_delay``) stored as :math:`\theta = \log(p / (u - p))`.
`IDENTITY`
    A parameter that may take any real value, stored as it is.

The step scale :math:`k` is the one knob over how far an optimizer step moves a time
constant, with one meaning for every kind: shared or per dimension or per neuron,
synaptic or neuronal. Adam and RMSprop move each :math:`\theta` by about their
learning rate :math:`\eta` per step, so a time constant moves by a factor of about
:math:`e^{k \eta}` per step, and by at most :math:`e^{k \eta n}` in :math:`n` steps.
Where no ``tau_step_scale`` is set, the step follows the learning rate instead
(`nengo_dl_trainable.tools.optimizer_step`).
"""

import numpy as np

#: The ``tau_step_scale`` of every time constant unless one is set: 1, time constants
#: are stored as ``log(tau)``. Where none is set, the optimizer's step of those values
#: follows its learning rate (`nengo_dl_trainable.tools.optimizer_step`), which is the
#: same as a step scale ``RELATIVE_STEP / lr`` in training, with the stored values
#: (files, checkpoints) still ``log(tau)``.
DEFAULT_STEP_SCALE = 1.0

#: A `.DoubleExp`'s spread steps this fraction of its sum's step. The data fix the
#: spread (the high frequencies) far less well than the sum, and with full-size
#: steps Adam at 0.05 drove the spread into saturation from the (0.01, 0.006)
#: start of ``benchmarks/double_exp_recovery.py``: one time constant fell to 0 and
#: stayed there (3 of 3 seeds). With a quarter, every start and seed reached 1%.
SPREAD_STEP_FRACTION = 0.25


def positive_step_scale(step_scale, default=DEFAULT_STEP_SCALE):
    """The step scale to use: ``step_scale``, or ``default`` where it is None.

    Parameters
    ----------
    step_scale : float or None
        The ``tau_step_scale`` that applies, or None.
    default : float, optional
        The step scale where none is set.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the step scale is not positive (the config parameter refuses such
        values already; this guards encodings made directly).
    """
    value = default if step_scale is None else step_scale
    if not value > 0:
        raise ValueError(f"a step scale must be positive, not {value}")
    return float(value)


class _Encoding:
    """Equal encodings store equal values alike (they may share TensorFlow code)."""

    def _fields(self):
        return {}

    def _key(self):
        return tuple(self._fields().items())

    def __eq__(self, other):
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self):
        return hash((type(self), self._key()))

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self._fields().items())
        return f"{type(self).__name__}({fields})"


class _ScaledEncoding(_Encoding):
    """An encoding whose step is scaled by a ``tau_step_scale``."""

    def __init__(self, step_scale=None):
        self.step_scale = positive_step_scale(step_scale)

    def _fields(self):
        return {"step_scale": self.step_scale}


def is_scaled(encoding):
    """Whether ``encoding`` steps by a ``tau_step_scale``.

    That is, whether it is a `.LogEncoding` or a `.SpreadEncoding`.

    Parameters
    ----------
    encoding : object
        An encoding, or None.

    Returns
    -------
    bool
    """
    return isinstance(encoding, _ScaledEncoding)


class LogEncoding(_ScaledEncoding):
    r"""A positive parameter :math:`p` stored as :math:`\theta = \log(p) / k`.

    Parameters
    ----------
    step_scale : float, optional
        :math:`k`: a step :math:`\delta` in :math:`\theta` scales :math:`p` by
        :math:`e^{k \delta}`. `DEFAULT_STEP_SCALE` if None.

    Attributes
    ----------
    step_scale : float
        :math:`k`.
    """

    def encode(self, value):
        r""":math:`\theta = \log(p) / k` of positive values (NumPy, float64).

        Parameters
        ----------
        value : array_like
            :math:`p` (seconds for a time constant), positive.

        Returns
        -------
        `~numpy.ndarray`
        """
        return np.log(np.asarray(value, dtype=np.float64)) / self.step_scale

    def log_value(self, theta):
        r""":math:`\log p = k \theta`, for arrays or tensors.

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.

        Returns
        -------
        array_like or ``tf.Tensor``
        """
        return self.step_scale * theta

    def decode(self, theta, ops=np):
        r""":math:`p = e^{k \theta}`.

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.
        ops : module, optional
            ``numpy`` (default) or ``tensorflow``.

        Returns
        -------
        array_like or ``tf.Tensor``
            :math:`p` (seconds for a time constant).
        """
        return ops.exp(self.step_scale * theta)

    def reciprocal(self, theta, ops=np):
        r""":math:`1 / p = e^{-k \theta}` (a rate in 1/s for a time constant).

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.
        ops : module, optional
            ``numpy`` (default) or ``tensorflow``.

        Returns
        -------
        array_like or ``tf.Tensor``
        """
        return ops.exp(-self.step_scale * theta)


class SpreadEncoding(_ScaledEncoding):
    r"""A ratio :math:`q \in (-1, 1)` stored as :math:`\operatorname{artanh}(q) / s`.

    With :math:`s = k \cdot` `SPREAD_STEP_FRACTION` for a ``tau_step_scale`` of
    :math:`k` (see `double_exp_time_constants`).

    Parameters
    ----------
    step_scale : float, optional
        :math:`k`, the ``tau_step_scale`` of the time constants (`DEFAULT_STEP_SCALE`
        if None).

    Attributes
    ----------
    step_scale : float
        :math:`k`.
    """

    @property
    def spread_scale(self):
        r""":math:`s = k \cdot` `SPREAD_STEP_FRACTION`."""
        return SPREAD_STEP_FRACTION * self.step_scale

    def encode(self, value):
        r""":math:`\theta = \operatorname{artanh}(q) / s` (NumPy, float64).

        Parameters
        ----------
        value : array_like
            :math:`q`, strictly between -1 and 1.

        Returns
        -------
        `~numpy.ndarray`
        """
        return np.arctanh(np.asarray(value, dtype=np.float64)) / self.spread_scale

    def decode(self, theta, ops=np):
        r""":math:`q = \tanh(s \theta)`.

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.
        ops : module, optional
            ``numpy`` (default) or ``tensorflow``.

        Returns
        -------
        array_like or ``tf.Tensor``
        """
        return ops.tanh(self.spread_scale * theta)


class BoundedEncoding(_Encoding):
    r"""A parameter :math:`p \in (0, u)` stored as :math:`\theta = \log(p / (u - p))`.

    So :math:`p = u \, \sigma(\theta)` with :math:`\sigma` the logistic function:
    :math:`p` stays strictly inside its bounds for any :math:`\theta`, and near
    either bound a step :math:`\delta` in :math:`\theta` changes the distance to
    that bound by the factor :math:`e^{\pm\delta}` (the behaviour of `LogEncoding`
    at both ends). Used for synaptic delays (:math:`u` the ``max_delay``).

    Parameters
    ----------
    upper : float
        :math:`u`, positive (seconds for a delay).

    Attributes
    ----------
    upper : float
        :math:`u`.
    """

    def __init__(self, upper):
        if not upper > 0:
            raise ValueError(f"the upper bound must be positive, not {upper}")
        self.upper = float(upper)

    def _fields(self):
        return {"upper": self.upper}

    def encode(self, value):
        r""":math:`\theta = \log(p / (u - p))` (NumPy, float64).

        Parameters
        ----------
        value : array_like
            :math:`p`, strictly between 0 and :math:`u`.

        Returns
        -------
        `~numpy.ndarray`
        """
        value = np.asarray(value, dtype=np.float64)
        return np.log(value) - np.log(self.upper - value)

    def decode(self, theta, ops=np):
        r""":math:`p = u \, \sigma(\theta) = u / (1 + e^{-\theta})`.

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.
        ops : module, optional
            ``numpy`` (default) or ``tensorflow``.

        Returns
        -------
        array_like or ``tf.Tensor``
            :math:`p` (seconds for a delay).
        """
        # sigma(theta) = (1 + tanh(theta / 2)) / 2: no overflow for any theta (the
        # form u / (1 + exp(-theta)) gives inf / inf = NaN gradients below -88 in
        # float32)
        return 0.5 * self.upper * (1 + ops.tanh(0.5 * theta))


class IdentityEncoding(_Encoding):
    """A real parameter stored as it is (``negative_slope``, filter coefficients)."""

    def encode(self, value):
        """The value itself (NumPy, float64).

        Parameters
        ----------
        value : array_like
            The parameter.

        Returns
        -------
        `~numpy.ndarray`
        """
        return np.asarray(value, dtype=np.float64)

    def decode(self, theta, ops=np):
        """The stored value itself.

        Parameters
        ----------
        theta : array_like or ``tf.Tensor``
            Stored values.
        ops : module, optional
            Unused (any value is its own parameter).

        Returns
        -------
        array_like or ``tf.Tensor``
        """
        return theta


#: The encoding of parameters stored as they are.
IDENTITY = IdentityEncoding()


def double_exp_encodings(step_scale=None):
    r"""The encodings of a `.DoubleExp`'s sum and spread (both time constants train).

    Parameters
    ----------
    step_scale : float, optional
        The ``tau_step_scale`` :math:`k` (`DEFAULT_STEP_SCALE` if None).

    Returns
    -------
    total : LogEncoding
        Of :math:`S = \tau_1 + \tau_2` (seconds).
    spread : SpreadEncoding
        Of :math:`q = (\tau_1 - \tau_2) / S`.
    """
    return LogEncoding(step_scale), SpreadEncoding(step_scale)


def double_exp_time_constants(total, spread):
    r"""The two time constants of a sum and a spread, for arrays or tensors.

    :math:`\tau_1 = S (1 + q) / 2` and :math:`\tau_2 = S (1 - q) / 2`: both
    positive for :math:`S > 0` and :math:`|q| < 1`.

    Parameters
    ----------
    total : array_like or ``tf.Tensor``
        :math:`S = \tau_1 + \tau_2` (seconds).
    spread : array_like or ``tf.Tensor``
        :math:`q = (\tau_1 - \tau_2) / S`.

    Returns
    -------
    tau1, tau2 : array_like or ``tf.Tensor``
        Seconds.
    """
    return total * (1 + spread) / 2, total * (1 - spread) / 2


def double_exp_sum_and_spread(tau1, tau2):
    r"""The inverse of `double_exp_time_constants` (NumPy).

    Parameters
    ----------
    tau1, tau2 : array_like
        Positive time constants (seconds).

    Returns
    -------
    total, spread : `~numpy.ndarray`
        :math:`S = \tau_1 + \tau_2` and :math:`q = (\tau_1 - \tau_2) / S`.
    """
    tau1, tau2 = np.asarray(tau1, np.float64), np.asarray(tau2, np.float64)
    return tau1 + tau2, (tau1 - tau2) / (tau1 + tau2)
