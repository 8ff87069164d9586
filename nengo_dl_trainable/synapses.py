"""Stable parameterizations of trainable synapses, and their discretization.

Every trainable synapse is a linear filter. What is trained is a vector of
unconstrained values that maps onto a filter which is valid (``tau > 0``) and
stable (every pole in the stable region) for *any* value, so no step of gradient
descent can produce an invalid filter and no clipping is needed.

Time constants (seconds) train as ``theta = log(tau) / k`` (`.LogEncoding`),
with ``k`` the connection's ``tau_step_scale`` (1 unless set, for every kind of
time constant): a step in ``theta`` is a relative change of ``tau``, the same at
1 ms as at 1 s, and ``tau`` stays positive. Optimizers such as Adam move each
value by about the learning rate per step, so a step changes ``tau`` by a
factor of about ``exp(k lr)``; where ``k`` is not set, the step follows the
learning rate (`nengo_dl_trainable.optimizer_step`).

`~nengo.Lowpass` (``"tau"``)
    The filter ``1 / (tau s + 1)``.
`~nengo.Alpha` (``"tau"``)
    The filter ``1 / (tau s + 1)^2``.
`.VectorLowpass`, `.VectorAlpha` (``"tau"``)
    One ``theta_i = log(tau_i) / k`` for each dimension ``i``.
`.DoubleExp` (``"tau1"``, ``"tau2"``)
    The filter ``1 / ((tau1 s + 1)(tau2 s + 1))``. One time constant trains as
    above; both together as their sum ``tau1 + tau2`` (as above) and their spread
    ``(tau1 - tau2) / (tau1 + tau2)``, which steps a quarter as far
    (`.SpreadEncoding`, `.DoubleExpParameterization`).
    A time constant of 0 (a ``DoubleExp`` that is a lowpass) is not a parameter
    and stays 0.
`.Delay` (``"delay"``)
    A delay in seconds between 0 and the synapse's ``max_delay``, or one per
    dimension (`.DelayParameterization`); not a linear filter, and not a time
    constant (``tau_step_scale`` does not apply).
`.DelayedLowpass` (``"tau"``, ``"delay"``)
    A `.Delay`'s delays and a `~nengo.Lowpass`'s ``tau``, each as above
    (`.DelayedLowpassParameterization`); a delay of 0 or ``max_delay`` does not
    train, ``tau`` still does.
`.PadeDelay`, `.LegendreDelay` (``"theta"``)
    ``H(theta s)`` for a fixed stable ``H``, trained in ``theta`` as a time constant
    (`.DelayFilterParameterization`).
`~nengo.LinearFilter` (``"num"``, ``"den"``)
    The denominator is normalized to a leading coefficient of 1 and factored into
    sections of order two (and one of order one for an odd order). For continuous
    filters (``analog=True``) a section ``s^2 + c1 s + c0`` has both roots in the
    left half-plane exactly when ``c1 > 0`` and ``c0 > 0``, so the trained values
    are ``log c1`` and ``log c0`` (``log c0`` for a section ``s + c0``). For
    discrete filters (``analog=False``) a section ``z^2 + c1 z + c0`` has both roots
    inside the unit circle exactly when ``|c0| < 1`` and ``|c1| < 1 + c0`` (the
    stability triangle), so ``c0 = tanh(theta0)`` and
    ``c1 = (1 + c0) tanh(theta1)`` (``c0 = tanh(theta0)`` for ``z + c0``). A pair
    of real poles may become a complex pair during training and back.

    The numerator ``b0 x^m + ... + bm`` (divided by the denominator's leading
    coefficient) is trained in frequency-normalized units, so that its values are
    of order one and move together with the poles: for a continuous filter of order
    ``n`` with denominator constant term ``an``, ``w = an^(1/n)`` (the geometric
    mean of the poles' magnitudes, in 1/s) and ``bi = beta_i w^(n - m + i)``; the
    trained values are the ``beta_i`` (``beta_m`` is the DC gain). Discrete filters
    train the ``bi`` directly (``w = 1``). Leading zeros of the numerator stay zero,
    so a strictly proper filter stays strictly proper. Where only ``"synapse.den"``
    is selected, the numerator's coefficients ``bi`` themselves are held fixed
    (``w`` is then the initial filter's), so untrained coefficients stay exactly
    as they were; a frozen filter is returned in the scale of the original one
    (its denominator's leading coefficient unchanged).

The filter maths is in `nengo_dl_trainable.filter_maths`; each parameterization has
its own module, and `parameterization_for` picks one.
"""

from nengo.synapses import LinearFilter

from nengo_dl_trainable.delay import Delay, DelayedLowpass
from nengo_dl_trainable.delay_filters import LegendreDelay, PadeDelay
from nengo_dl_trainable.delay_parameterization import (
    DelayedLowpassParameterization,
    DelayFilterParameterization,
    DelayParameterization,
)
from nengo_dl_trainable.double_exp import DoubleExp
from nengo_dl_trainable.double_exp_filter import DoubleExpParameterization
from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.linear_filter_coefficients import LinearFilterParameterization
from nengo_dl_trainable.time_constant_filters import (
    TIME_CONSTANT_POWERS,
    TauParameterization,
    VectorTauParameterization,
)
from nengo_dl_trainable.vector_synapses import VectorSynapse


def parameterization_for(synapse, trained=(), step_scale=None):
    """Return the parameterization that trains ``synapse``.

    Parameters
    ----------
    synapse : `~nengo.synapses.Synapse`
        A connection's synapse.
    trained : tuple of str, optional
        The names of its parameters that will train.
    step_scale : float, optional
        Time constants train as ``log(tau) / step_scale``; None for the
        parameterization's own (see the module docstring).

    Returns
    -------
    `.FilterParameterization` or `.DelayParameterization`

    Raises
    ------
    TrainableParamsError
        If the synapse cannot be trained (not a `~nengo.LinearFilter`, or a filter
        that is unstable or uses an unsupported discretization), or
        ``step_scale`` is given for a `~nengo.LinearFilter`.
    """
    if type(synapse) in TIME_CONSTANT_POWERS:
        return TauParameterization(synapse, trained, step_scale)
    if isinstance(synapse, VectorSynapse):
        return VectorTauParameterization(synapse, trained, step_scale)
    if type(synapse) is DoubleExp:
        return DoubleExpParameterization(synapse, trained, step_scale)
    if type(synapse) is Delay:
        return DelayParameterization(synapse, trained, step_scale)
    if type(synapse) is DelayedLowpass:
        return DelayedLowpassParameterization(synapse, trained, step_scale)
    if type(synapse) in (PadeDelay, LegendreDelay):
        return DelayFilterParameterization(synapse, trained, step_scale)
    if type(synapse) is LinearFilter:
        parameterization = LinearFilterParameterization(synapse, trained)
        # refuses a step scale
        parameterization.select(trained, step_scale)
        return parameterization
    subclass = (
        " (a subclass may change how it filters, so only the classes themselves "
        "are trained)"
        if isinstance(synapse, LinearFilter)
        else ""
    )
    raise TrainableParamsError(
        f"cannot train synapse {synapse!r} ({type(synapse).__name__}): only "
        "Lowpass, Alpha, DoubleExp, LinearFilter, VectorLowpass, VectorAlpha, "
        f"Delay, DelayedLowpass, PadeDelay and LegendreDelay synapses have trainable "
        f"parameters{subclass}"
    )
