r"""Linear filters that approximate a pure delay of ``theta`` seconds.

A delay of :math:`\theta` has the transfer function :math:`e^{-\theta s}`, which no
finite linear filter realizes; these filters approximate it with :math:`q` state
variables, in the form Nengo users know from the NEF and the Legendre Memory Unit.
Each is :math:`H(\theta s)` for a fixed rational :math:`H` (the filter for
:math:`\theta = 1`): its poles are those of :math:`H` divided by :math:`\theta`, so
the filter is stable for every :math:`\theta > 0`, and training moves only
:math:`\theta` (``trainable_params = {"synapse"}`` or ``{"synapse.theta"}``;
`.DelayFilterParameterization`), which trains as a time constant does:
:math:`\log(\theta) / k` with :math:`k` the ``tau_step_scale``.

`PadeDelay`
    The Padé approximant of order :math:`[q - 1 / q]` of :math:`e^{-x}`,
    :math:`x = \theta s`:

    .. math::

       e^{-x} \approx \frac{\sum_{k=0}^{q-1} (-1)^k c_k x^k}{\sum_{k=0}^{q} d_k x^k},
       \quad c_k = \frac{(2q - 1 - k)! \, (q - 1)!}{(2q - 1)! \, k! \, (q - 1 - k)!},
       \quad d_k = \frac{(2q - 1 - k)! \, q!}{(2q - 1)! \, k! \, (q - k)!}.

`LegendreDelay`
    The Legendre Memory Unit's linear system (Voelker, Kajić and Eliasmith,
    NeurIPS 2019), :math:`\theta \dot m = A m + B u`, read out at the full delay:

    .. math::

       A_{ij} = (2i + 1) \begin{cases} -1 & i < j \\ (-1)^{i - j + 1} & i \ge j
       \end{cases}, \quad B_i = (2i + 1)(-1)^i, \quad C_i = \tilde P_i(1) = 1,

    :math:`i, j = 0 \dots q - 1`. Its transfer function is the same Padé
    approximant (the LMU realizes it); the class is there for users who think of
    the delay as an LMU's memory.

Both discretize like any `~nengo.LinearFilter` (zero-order hold by default).
"""

from math import factorial

import numpy as np
from nengo.params import IntParam, NumberParam
from nengo.synapses import LinearFilter


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
