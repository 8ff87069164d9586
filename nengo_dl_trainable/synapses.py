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
factor of about ``exp(k lr)``. Why 1: see `.DEFAULT_STEP_SCALE`.

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
    (`.SpreadEncoding`, `DoubleExpParameterization`).
    A time constant of 0 (a ``DoubleExp`` that is a lowpass) is not a parameter
    and stays 0.
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

Continuous filters are discretized exactly as Nengo does (`scipy`'s conventions):
zero-order hold (``method="zoh"``) through the matrix exponential of
``[[A, B], [0, 0]] dt``, and the generalized bilinear transform for
``"bilinear"`` (``alpha = 1/2``) and ``"backward_diff"`` (``alpha = 1``), all from
the controllable canonical realization of the transfer function.
``method="euler"`` is refused for trainable filters, because forward Euler maps
stable continuous poles outside the unit circle once ``dt`` is large compared with a
time constant, so stability could not be guaranteed.
"""

import abc

import numpy as np
import tensorflow as tf
from nengo.synapses import Alpha, LinearFilter, Lowpass

from nengo_dl_trainable.config import TrainableParamsError
from nengo_dl_trainable.double_exp import DoubleExp
from nengo_dl_trainable.encoding import (
    DEFAULT_STEP_SCALE,
    LogEncoding,
    double_exp_encodings,
    double_exp_sum_and_spread,
    double_exp_time_constants,
    positive_step_scale,
)
from nengo_dl_trainable.parameterization import Parameterization
from nengo_dl_trainable.vector_synapses import VectorLowpass, VectorSynapse

#: Generalized bilinear transform weights of the supported implicit methods.
GBT_ALPHA = {"bilinear": 0.5, "backward_diff": 1.0}

#: A zero-order-hold lowpass with ``tau <= PASSTHROUGH_TAU * dt`` passes its input
#: through (Nengo's ``Lowpass`` and NengoDL's builder both do so). Its output no
#: longer depends on ``tau`` (``exp(-1 / 0.03)`` is about 3e-15), so it gets no
#: gradient: a time constant trained down there stays there.
PASSTHROUGH_TAU = 0.03


def _strip_leading_zeros(coefficients):
    coefficients = np.atleast_1d(np.asarray(coefficients, dtype=np.float64))
    nonzero = np.flatnonzero(coefficients)
    return coefficients[nonzero[0] :] if len(nonzero) else coefficients[-1:]


def polynomial_product(factors):
    """Multiply polynomials (highest power first), batched along the first axis.

    Parameters
    ----------
    factors : list of ``tf.Tensor``
        Coefficient tensors of shape ``(batch, order + 1)``.

    Returns
    -------
    ``tf.Tensor``
        The product's coefficients, shape ``(batch, sum of orders + 1)``.
    """
    product = factors[0]
    for factor in factors[1:]:
        n, m = product.shape[1], factor.shape[1]
        terms = [[] for _ in range(n + m - 1)]
        for i in range(n):
            for j in range(m):
                terms[i + j].append(product[:, i] * factor[:, j])
        product = tf.stack([tf.add_n(t) for t in terms], axis=1)
    return product


def state_space(num, den):
    """Controllable canonical realization of a batch of transfer functions.

    For ``H = (b0 x^n + ... + bn) / (x^n + a1 x^(n-1) + ... + an)`` (``x`` is ``s``
    or ``z``) this returns the same realization as `scipy.signal.tf2ss`:
    ``A`` with first row ``-a1 ... -an`` and ones below the diagonal,
    ``B = e1``, ``C = [b1 - b0 a1, ..., bn - b0 an]`` and ``D = b0``.

    Parameters
    ----------
    num : ``tf.Tensor``
        Numerator coefficients, shape ``(batch, m + 1)`` with ``m <= n``.
    den : ``tf.Tensor``
        Monic denominator coefficients, shape ``(batch, n + 1)``.

    Returns
    -------
    A, B, C, D : ``tf.Tensor``
        Shapes ``(batch, n, n)``, ``(batch, n, 1)``, ``(batch, 1, n)``, ``(batch,)``.
    """
    batch = tf.shape(den)[0]
    order = den.shape[1] - 1
    pad = order + 1 - num.shape[1]
    b = tf.pad(num, [[0, 0], [pad, 0]]) if pad else num
    D = b[:, 0]
    if order == 0:
        empty = tf.zeros((batch, 0, 0), dtype=den.dtype)
        return empty, empty, empty, D
    # (x[:, None] loses the new axis in graph mode here: use expand_dims)
    first_row = -tf.expand_dims(den[:, 1:], 1)
    lower = tf.constant(np.eye(order - 1, order), den.dtype)
    A = tf.concat(
        [first_row, tf.broadcast_to(lower, (batch, order - 1, order))], axis=1
    )
    B = tf.broadcast_to(tf.constant(np.eye(order, 1), den.dtype), (batch, order, 1))
    C = tf.expand_dims(b[:, 1:] - b[:, :1] * den[:, 1:], 1)
    return A, B, C, D


def discretize(A, B, C, D, dt, method):
    """Discretize a batch of continuous state-space systems as Nengo does.

    Parameters
    ----------
    A, B, C, D : ``tf.Tensor``
        Output of `.state_space`.
    dt : float
        Time step in seconds.
    method : str
        ``"zoh"``, ``"bilinear"`` or ``"backward_diff"``.

    Returns
    -------
    A, B, C, D : ``tf.Tensor``
        The discrete system ``x[k+1] = A x[k] + B u[k]``, ``y[k] = C x[k] + D u[k]``.
    """
    order = A.shape[1]
    if method == "zoh":
        batch = tf.shape(A)[0]
        top = tf.concat([A, B], axis=2)
        bottom = tf.zeros((batch, 1, order + 1), dtype=A.dtype)
        expm = tf.linalg.expm(tf.concat([top, bottom], axis=1) * dt)
        return expm[:, :order, :order], expm[:, :order, order:], C, D
    alpha = GBT_ALPHA[method]
    eye = tf.eye(order, dtype=A.dtype)
    implicit = eye - alpha * dt * A
    Ad = tf.linalg.solve(implicit, eye + (1 - alpha) * dt * A)
    Bd = tf.linalg.solve(implicit, dt * B)
    Cd = tf.linalg.matrix_transpose(
        tf.linalg.solve(
            tf.linalg.matrix_transpose(implicit), tf.linalg.matrix_transpose(C)
        )
    )
    Dd = D + alpha * tf.reshape(tf.matmul(C, Bd), tf.shape(D))
    return Ad, Bd, Cd, Dd


class FilterParameterization(Parameterization):
    """Base class: maps unconstrained trainable values to a linear filter.

    Parameters
    ----------
    synapse : `~nengo.LinearFilter`
        The synapse whose parameters become trainable.
    trained : tuple of str, optional
        The parameters that will train (the others are held at their initial
        values); some parameterizations depend on it.
    step_scale : float, optional
        The connection's ``tau_step_scale`` (`.DEFAULT_STEP_SCALE` if None); only
        for synapses with time constants.

    Attributes
    ----------
    parameters : tuple of str
        Names of the trainable parameters (``"synapse.<name>"`` in config).
    unavailable : dict of str: str
        Parameters this synapse has but cannot train, each with the reason.
    caveat : str or None
        Why training may not do what a user expects, warned about at build time.
    step_scale : float
        Time constants train as ``log(tau) / step_scale`` (see the module
        docstring).
    """

    caveat = None
    #: whether the synapse has time constants (``step_scale`` applies)
    has_time_constants = True

    def __init__(self, synapse, trained=(), step_scale=None):
        self.synapse = synapse
        self.trained = tuple(trained)
        self.unavailable = {}
        self.step_scale = positive_step_scale(step_scale, DEFAULT_STEP_SCALE)
        self.analog = synapse.analog
        self.method = synapse.method
        if self.analog and self.method == "euler":
            raise TrainableParamsError(
                f"cannot train {synapse}: method='euler' (forward Euler) can make a "
                "stable filter unstable; use 'zoh', 'bilinear' or 'backward_diff'"
            )
        if self.analog and self.method not in ("zoh",) + tuple(GBT_ALPHA):
            raise TrainableParamsError(
                f"cannot train {synapse}: discretization method {self.method!r} is "
                "not supported; use 'zoh', 'bilinear' or 'backward_diff'"
            )

    @property
    def zoh_lowpass(self):
        """Whether the filter is a zero-order-hold lowpass, shared or per dimension.

        Such a filter runs as NengoDL's own lowpass step does, and like it passes
        its input through where ``tau <= PASSTHROUGH_TAU * dt``; every other
        filter runs as a general linear filter, without that case.
        """
        s = self.synapse
        return (type(s) is Lowpass and s.method == "zoh") or type(s) is VectorLowpass

    @property
    @abc.abstractmethod
    def order(self):
        """Number of state variables of the filter."""

    @property
    @abc.abstractmethod
    def direct_term(self):
        """Whether the discrete filter has a direct term (``D != 0``)."""

    @property
    def signature(self):
        """Hashable description of the structure; equal signatures can be batched."""
        return (
            type(self),
            self.order,
            self.direct_term,
            self.analog,
            self.method,
            self.step_scale,
        )

    @abc.abstractmethod
    def initial_values(self):
        """Return the trainable values that reproduce ``synapse`` exactly.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            One 1-D array per name in ``parameters``.
        """

    @abc.abstractmethod
    def transfer_function(self, values):
        """Return the filter's transfer function for a batch of trainable values.

        Parameters
        ----------
        values : dict of str: ``tf.Tensor``
            One tensor of shape ``(batch, n_values)`` per name in ``parameters``.

        Returns
        -------
        num, den : ``tf.Tensor``
            Numerator and monic denominator coefficients (highest power first) in
            ``s`` (``analog=True``) or ``z``, shapes ``(batch, m + 1)`` and
            ``(batch, order + 1)``.
        """

    def discrete_system(self, values, dt):
        """Return the discrete state-space system for a batch of trainable values.

        Parameters
        ----------
        values : dict of str: ``tf.Tensor``
            As for `.transfer_function`.
        dt : float
            Time step in seconds.

        Returns
        -------
        A, B, C, D : ``tf.Tensor``
            See `.discretize`.
        """
        A, B, C, D = state_space(*self.transfer_function(values))
        if self.analog and self.order > 0:
            A, B, C, D = discretize(A, B, C, D, dt, self.method)
        return A, B, C, D

    def transfer_function_numpy(self, values):
        """`.transfer_function` for one set of values, in float64 numpy.

        Parameters
        ----------
        values : dict of str: array_like
            One 1-D array per name in ``parameters``.

        Returns
        -------
        num, den : `~numpy.ndarray`
            Numerator and monic denominator coefficients.
        """
        batch_of_one = {
            name: tf.constant(np.asarray(value, dtype=np.float64).reshape(1, -1))
            for name, value in values.items()
        }
        num, den = self.transfer_function(batch_of_one)
        return np.asarray(num)[0], np.asarray(den)[0]

    @abc.abstractmethod
    def to_synapse(self, values):
        """Return an ordinary Nengo synapse for the given trainable values.

        Parameters
        ----------
        values : dict of str: array_like
            One 1-D array per name in ``parameters``.

        Returns
        -------
        `~nengo.LinearFilter`
            A synapse core Nengo (and any backend) can run.
        """

    def to_object(self, values):
        """The learned synapse, as used by freezing.

        Parameters
        ----------
        values : dict of str: array_like
            Trained values for some of the names in ``parameters``; the others
            keep their initial values.

        Returns
        -------
        `~nengo.LinearFilter`
        """
        return self.to_synapse({**self.initial_values(), **values})

    def _synapse_kwargs(self):
        s = self.synapse
        return dict(
            method=s.method,
            default_size_in=s.default_size_in,
            default_size_out=s.default_size_out,
            default_dt=s.default_dt,
            seed=s.seed,
        )


def first_order_cascade(rates):
    """Transfer function of first-order lowpass sections in series.

    ``prod_k r_k / (s + r_k)``, which is ``prod_k 1 / (tau_k s + 1)`` for rates
    ``r_k = 1 / tau_k`` (1/s).

    Parameters
    ----------
    rates : list of ``tf.Tensor``
        The rate of each section, shape ``(batch, 1)``.

    Returns
    -------
    num, den : ``tf.Tensor``
        Numerator ``(batch, 1)`` and monic denominator ``(batch, len(rates) + 1)``,
        highest power first.
    """
    one = tf.ones_like(rates[0])
    den = polynomial_product([one] + [tf.concat([one, rate], axis=1) for rate in rates])
    return tf.reduce_prod(tf.concat(rates, axis=1), axis=1, keepdims=True), den


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
        As for `FilterParameterization`.
    """

    def __init__(self, synapse, power, trained=(), step_scale=None):
        super().__init__(synapse, trained, step_scale)
        self.parameters = ("tau",)
        #: the filter is ``1 / (tau s + 1)^power``
        self.power = power
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


class TauParameterization(TimeConstantParameterization):
    """`~nengo.Lowpass` ``1 / (tau s + 1)`` or `~nengo.Alpha` ``1 / (tau s + 1)^2``.

    Parameters
    ----------
    synapse : `~nengo.Lowpass` or `~nengo.Alpha`
        The synapse (exactly one of these classes).
    trained, step_scale : optional
        As for `FilterParameterization`.
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


class LinearFilterParameterization(FilterParameterization):
    """Any `~nengo.LinearFilter`, with its denominator in stable sections.

    See the module documentation for the maths.
    """

    has_time_constants = False

    def __init__(self, synapse, trained=()):
        super().__init__(synapse, trained)
        self.parameters = ("num", "den")
        # the coefficients' storage depends on no setting
        self.encodings = {"num": None, "den": None}
        den = _strip_leading_zeros(synapse.den)
        if den[0] == 0:
            raise TrainableParamsError(f"cannot train {synapse}: denominator is zero")
        #: the leading denominator coefficient: frozen filters keep this scale
        self.scale = den[0]
        num = _strip_leading_zeros(synapse.num) / den[0]
        den = den / den[0]
        if len(num) > len(den):
            raise TrainableParamsError(
                f"cannot train {synapse}: the numerator's order exceeds the "
                "denominator's (the filter is not causal)"
            )
        self.num = num
        self.den = den
        roots = np.roots(den)
        stable = np.all(roots.real < 0) if self.analog else np.all(np.abs(roots) < 1)
        if not stable:
            region = "the left half-plane" if self.analog else "the unit circle"
            raise TrainableParamsError(
                f"cannot train {synapse}: its poles {roots} are not all strictly "
                f"inside {region}, and a trainable filter must start stable"
            )
        self.sections = self._pair_roots(roots)
        if self.order == 0:
            # a pure gain: nothing in the denominator to train
            self.parameters = ("num",)

    @staticmethod
    def _pair_roots(roots):
        """Group roots into conjugate or real pairs (and one single real root)."""
        complex_roots = sorted(
            (r for r in roots if r.imag > 0), key=lambda r: (r.real, r.imag)
        )
        real_roots = sorted(r.real for r in roots if r.imag == 0)
        sections = [(r, np.conj(r)) for r in complex_roots]
        sections += [tuple(real_roots[i : i + 2]) for i in range(0, len(real_roots), 2)]
        return sections

    @property
    def order(self):
        return len(self.den) - 1

    @property
    def direct_term(self):
        proper = len(self.num) == len(self.den)
        return proper or (self.analog and self.method != "zoh" and self.order > 0)

    @property
    def fixed_numerator(self):
        """Whether the numerator's coefficients are held (only ``den`` trains)."""
        return "den" in self.trained and "num" not in self.trained

    @property
    def signature(self):
        return super().signature + (
            len(self.num),
            tuple(len(s) for s in self.sections),
            self.fixed_numerator,
        )

    def _numerator_scale(self, den):
        """``w^(n - m + i)`` for each numerator coefficient (see the module docs)."""
        n, m = self.order, len(self.num) - 1
        if not self.analog or n == 0 or self.fixed_numerator:
            return tf.ones((1, m + 1), dtype=den.dtype)
        w = den[:, -1:] ** (1.0 / n)
        return w ** tf.constant(np.arange(n - m, n + 1, dtype=np.float64), den.dtype)

    def initial_values(self):
        thetas = []
        for section in self.sections:
            poly = np.real(np.poly(section))  # [1, c1, c0] or [1, c0]
            if self.analog:
                thetas.extend(np.log(poly[1:]))
            elif len(section) == 1:
                thetas.append(np.arctanh(poly[1]))
            else:
                c1, c0 = poly[1:]
                thetas.extend([np.arctanh(c1 / (1 + c0)), np.arctanh(c0)])
        scale = np.asarray(self._numerator_scale(tf.constant(self.den[None])))[0]
        values = {"num": self.num / scale, "den": np.asarray(thetas, dtype=np.float64)}
        return {name: values[name] for name in self.parameters}

    def transfer_function(self, values):
        num = values["num"]
        one = tf.ones_like(num[:, :1])
        factors = [one]
        theta = values.get("den")
        i = 0
        for section in self.sections:
            if self.analog:
                coefficients = tf.exp(theta[:, i : i + len(section)])
            elif len(section) == 1:
                coefficients = tf.tanh(theta[:, i : i + 1])
            else:
                c0 = tf.tanh(theta[:, i + 1 : i + 2])
                coefficients = tf.concat(
                    [(1 + c0) * tf.tanh(theta[:, i : i + 1]), c0], axis=1
                )
            factors.append(tf.concat([one, coefficients], axis=1))
            i += len(section)
        den = polynomial_product(factors)
        return num * self._numerator_scale(den), den

    def to_synapse(self, values):
        num, den = self.transfer_function_numpy(values)
        return LinearFilter(
            num * self.scale,
            den * self.scale,
            analog=self.analog,
            **self._synapse_kwargs(),
        )

    def to_object(self, values):
        """The learned filter; untrained coefficients are exactly the original ones.

        Parameters
        ----------
        values : dict of str: array_like
            Trained values for some of the names in ``parameters``.

        Returns
        -------
        `~nengo.LinearFilter`
            In the scale of the original filter (same leading denominator
            coefficient).
        """
        learned = self.to_synapse({**self.initial_values(), **values})
        return LinearFilter(
            learned.num if "num" in values else self.synapse.num,
            learned.den if "den" in values else self.synapse.den,
            analog=self.analog,
            **self._synapse_kwargs(),
        )

    def user_values(self, values):
        synapse = self.to_synapse(values)
        coefficients = {"num": synapse.num, "den": synapse.den}
        return {name: np.asarray(coefficients[name]) for name in self.parameters}


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
        As for `FilterParameterization`.
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
    FilterParameterization

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
    if type(synapse) is LinearFilter:
        if step_scale is not None:
            raise TrainableParamsError(
                f"tau_step_scale does not apply to {synapse!r}: a LinearFilter "
                "trains its coefficients, not time constants"
            )
        return LinearFilterParameterization(synapse, trained)
    subclass = (
        " (a subclass may change how it filters, so only the classes themselves "
        "are trained)"
        if isinstance(synapse, LinearFilter)
        else ""
    )
    raise TrainableParamsError(
        f"cannot train synapse {synapse!r} ({type(synapse).__name__}): only "
        "Lowpass, Alpha, DoubleExp, LinearFilter, VectorLowpass and VectorAlpha "
        f"synapses have trainable parameters{subclass}"
    )
