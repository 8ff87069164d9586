"""The filter maths of trainable synapses, in TensorFlow.

Continuous filters are discretized exactly as Nengo does (`scipy`'s conventions):
zero-order hold (``method="zoh"``) through the matrix exponential of
``[[A, B], [0, 0]] dt``, and the generalized bilinear transform for
``"bilinear"`` (``alpha = 1/2``) and ``"backward_diff"`` (``alpha = 1``), all from
the controllable canonical realization of the transfer function.
``method="euler"`` is refused for trainable filters, because forward Euler maps
stable continuous poles outside the unit circle once ``dt`` is large compared with a
time constant, so stability could not be guaranteed.
"""

import numpy as np
import tensorflow as tf

#: Generalized bilinear transform weights of the supported implicit methods.
GBT_ALPHA = {"bilinear": 0.5, "backward_diff": 1.0}


def strip_leading_zeros(coefficients):
    """A polynomial's coefficients (highest power first) without leading zeros.

    Parameters
    ----------
    coefficients : array_like
        The coefficients.

    Returns
    -------
    `~numpy.ndarray`
        From the first nonzero coefficient on (the last one if all are zero).
    """
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
