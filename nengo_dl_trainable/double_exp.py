r"""The double-exponential synapse: two lowpass filters in series.

.. math::

   H(s) = \frac{1}{(\tau_1 s + 1)(\tau_2 s + 1)}

with impulse response :math:`(e^{-t/\tau_1} - e^{-t/\tau_2}) / (\tau_1 - \tau_2)`
for :math:`\tau_1 \ne \tau_2`, and :math:`t e^{-t/\tau} / \tau^2` (`~nengo.Alpha`)
for :math:`\tau_1 = \tau_2 = \tau`. It is the synapse NengoDL issue #60 is written
with (``nengolib.synapses.DoubleExp``). As a `~nengo.LinearFilter` subclass it runs
unchanged in core Nengo, NengoDL and other backends; what this package adds is that
``trainable_params = {"synapse"}`` trains its two time constants (as their sum and
spread, see `.DoubleExpParameterization`) rather than the coefficients of a
second-order filter, which can end with one very fast and one very slow pole when
the two time constants are close.
"""

import numpy as np
from nengo.params import NumberParam
from nengo.synapses import LinearFilter


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
