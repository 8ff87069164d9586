r"""Synapses with one time constant per dimension.

A Nengo synapse applies one filter to every dimension of a signal. `VectorLowpass`
and `VectorAlpha` apply to dimension :math:`i` the filter

.. math::

   H_i(s) = \frac{1}{\tau_i s + 1} \quad \text{(VectorLowpass)}, \qquad
   H_i(s) = \frac{1}{(\tau_i s + 1)^2} \quad \text{(VectorAlpha)},

discretized with zero-order hold, exactly as `~nengo.Lowpass` and `~nengo.Alpha`
(the discrete systems are Nengo's own), so each dimension gives exactly what a
scalar synapse with the same time constant gives. They run in core Nengo (a
vectorized numpy step, also for `~nengo.synapses.Synapse.filt` and probes) and,
on connections, in NengoDL's native TensorFlow filter builders. On connections,
``trainable_params = {"synapse"}`` trains one time constant per dimension.

These are what KerasSpiking's ``Lowpass`` and ``Alpha`` layers convert to when
their time constants differ between elements (see `nengo_dl_trainable.converter`).
"""

import numpy as np
from nengo.exceptions import ValidationError
from nengo.params import NdarrayParam
from nengo.rc import rc
from nengo.synapses import Alpha, Lowpass, Synapse


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
