"""The base of every synapse parameterization: unconstrained values to a filter.

See `nengo_dl_trainable.parameterizations.registry` for the parameterization of
each synapse.
"""

import abc

import numpy as np
import tensorflow as tf
from nengo.synapses import Lowpass

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.parameterizations.base import Parameterization
from nengo_dl_trainable.parameterizations.encoding import (
    DEFAULT_STEP_SCALE,
    positive_step_scale,
)
from nengo_dl_trainable.parameterizations.filter_maths import (
    GBT_ALPHA,
    discretize,
    state_space,
)
from nengo_dl_trainable.synapses import VectorLowpass

#: A zero-order-hold lowpass with ``tau <= PASSTHROUGH_TAU * dt`` passes its input
#: through (Nengo's ``Lowpass`` and NengoDL's builder both do so). Its output no
#: longer depends on ``tau`` (``exp(-1 / 0.03)`` is about 3e-15), so it gets no
#: gradient: a time constant trained down there stays there.
PASSTHROUGH_TAU = 0.03


def zoh_lowpass_coefficients(tau, dt):
    """The step of a zero-order-hold lowpass, ``y[t] = a y[t-1] + b u[t]``.

    ``a = exp(-dt / tau)`` and ``b = 1 - a``; where ``tau <= PASSTHROUGH_TAU * dt``,
    ``a = 0`` and ``b = 1`` (a passthrough, as in NengoDL's own builder).

    Parameters
    ----------
    tau : ``tf.Tensor``
        Time constants in seconds, any shape.
    dt : float
        The time step in seconds.

    Returns
    -------
    a, b : ``tf.Tensor``
        The shape of ``tau``.
    """
    passthrough = tau <= PASSTHROUGH_TAU * dt
    # a time constant that underflows to 0 would give the unused branch an
    # infinite exponent, whose gradient (NaN) tf.where passes on
    tau = tf.where(passthrough, tf.ones_like(tau), tau)
    decay = tf.where(passthrough, tf.zeros_like(tau), tf.exp(-dt / tau))
    gain = tf.where(passthrough, tf.ones_like(tau), -tf.math.expm1(-dt / tau))
    return decay, gain


class FilterParameterization(Parameterization):
    """Base class: maps unconstrained trainable values to a linear filter.

    Parameters
    ----------
    synapse : `~nengo.LinearFilter`
        The synapse whose parameters become trainable.
    trained : tuple of str, optional
        The parameters that will train (the others are held at their initial
        values); some parameterizations depend on it. See `select`.
    step_scale : float, optional
        The connection's ``tau_step_scale`` (`.DEFAULT_STEP_SCALE` if None); only
        for synapses with time constants. See `select`.

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
        self.unavailable = {}
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

    def select(self, trained=(), step_scale=None):
        """Set which parameters train and how their time constants step.

        A subclass's constructor calls this last; the build calls it again once it
        knows what trains (``parameters`` and ``unavailable`` are known before),
        so that one parameterization serves from the question to the operator.

        Parameters
        ----------
        trained : tuple of str, optional
            The parameters that will train.
        step_scale : float, optional
            The ``tau_step_scale`` (`.DEFAULT_STEP_SCALE` if None).

        Raises
        ------
        TrainableParamsError
            If ``step_scale`` is given for a filter without time constants.
        """
        if step_scale is not None and not self.has_time_constants:
            raise TrainableParamsError(
                f"tau_step_scale does not apply to {self.synapse!r}: a "
                f"{type(self.synapse).__name__} trains its coefficients, not time "
                "constants"
            )
        self.trained = tuple(trained)
        self.step_scale = positive_step_scale(step_scale, DEFAULT_STEP_SCALE)

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
