import math
import pickle
from fractions import Fraction

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError
from scipy import interpolate, signal

import nengo_dl_trainable
from nengo_dl_trainable import LegendreDelay, PadeDelay
from nengo_dl_trainable.builder.operators import SimTrainableLinearFilter
from nengo_dl_trainable.synapses import legendre_delay, pade_delay
from nengo_dl_trainable.tests.utils import run_core
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP

DT = 0.001
FILTERS = {"pade": PadeDelay, "legendre": LegendreDelay}


def _exact_pade_of_exp_minus(p, q):
    """The ``[p/q]`` Padé approximant of ``exp(-x)`` in exact rational arithmetic.

    Solved from its definition, ``den(x) exp(-x) - num(x) = O(x^(p+q+1))`` with
    ``den(0) = 1``, by Gaussian elimination on `~fractions.Fraction`, so it shares
    neither the closed form of `.pade_delay` nor any rounding.
    """
    taylor = [Fraction((-1) ** k, math.factorial(k)) for k in range(p + q + 1)]
    # unknowns den_1..den_q: the coefficients of x^(p+1)..x^(p+q) must vanish
    rows = [
        [taylor[i - j] if i >= j else Fraction(0) for j in range(1, q + 1)]
        + [-taylor[i]]
        for i in range(p + 1, p + q + 1)
    ]
    for col in range(q):
        pivot = next(r for r in range(col, q) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(q):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col] / rows[col][col]
                rows[r] = [
                    a - factor * b for a, b in zip(rows[r], rows[col], strict=True)
                ]
    den = [Fraction(1)] + [rows[j][q] / rows[j][j] for j in range(q)]
    num = [
        sum(den[j] * taylor[i - j] for j in range(min(i, q) + 1)) for i in range(p + 1)
    ]
    return num, den


@pytest.mark.parametrize("order", [1, 2, 3, 5, 7])
def test_pade_coefficients_match_exact_rationals(order):
    num, den = _exact_pade_of_exp_minus(order - 1, order)
    ours_num, ours_den = pade_delay(order)
    # highest power first and monic in s, as pade_delay returns them
    exact_num = np.array([float(c / den[-1]) for c in num[::-1]])
    exact_den = np.array([float(c / den[-1]) for c in den[::-1]])
    # each coefficient of pade_delay is a ratio of factorials below 2**53 (exact
    # in float64) divided twice: at most a few units in the last place
    assert np.allclose(ours_num, exact_num, rtol=8 * np.finfo(float).eps, atol=0)
    assert np.allclose(ours_den, exact_den, rtol=8 * np.finfo(float).eps, atol=0)


@pytest.mark.parametrize("order", [1, 2, 3, 5, 7])
def test_pade_coefficients_match_scipy(order):
    taylor = [(-1) ** k / math.factorial(k) for k in range(2 * order + 2)]
    num, den = interpolate.pade(taylor, order, order - 1)
    ours_num, ours_den = pade_delay(order)
    # scipy solves the Padé conditions as a linear system in floating point, so
    # its coefficients are good to about cond(system) * eps only (1e-15 at
    # order 2, 1e-9 at 5, 2e-4 at 7); their last digits depend on the BLAS
    # kernel. The tolerance is that bound.
    rtol = _pade_system_condition(taylor, order) * np.finfo(float).eps
    assert np.allclose(ours_num, num.coeffs / den.coeffs[0], rtol=rtol, atol=0)
    assert np.allclose(ours_den, den.coeffs / den.coeffs[0], rtol=rtol, atol=0)


def _pade_system_condition(taylor, order):
    """The condition number of the system `scipy.interpolate.pade` solves."""
    p, q = order - 1, order
    n = p + q + 1
    system = np.zeros((n, n))
    system[: p + 1, : p + 1] = np.eye(p + 1)
    for row in range(1, n):
        for j in range(min(row, q)):
            system[row, p + 1 + j] = -taylor[row - 1 - j]
    return np.linalg.cond(system)


@pytest.mark.parametrize("order", [1, 2, 4, 6])
def test_legendre_system_realizes_the_pade_approximant(order):
    num, den = legendre_delay(order)
    pade_num, pade_den = pade_delay(order)
    # np.poly of a Legendre matrix (eigenvector condition <= 260 at order 6):
    # measured 4e-15 relative; the tolerance leaves 1e5 of room
    assert np.allclose(num, pade_num, rtol=1e-9)
    assert np.allclose(den, pade_den, rtol=1e-9)


@pytest.mark.parametrize("kind", sorted(FILTERS))
@pytest.mark.parametrize("order", [1, 2, 3, 5])
def test_step_response_matches_closed_form_and_scipy(kind, order):
    theta, n_steps = 0.015, 80
    y = FILTERS[kind](theta, order).filt(np.ones((n_steps, 1)), dt=DT)[:, 0]
    # a zero-order hold is exact for a step: sample n is the response at (n + 1) dt
    t = (np.arange(n_steps) + 1) * DT
    if order == 1:
        expected = 1 - np.exp(-t / theta)  # [0/1] is 1 / (theta s + 1)
    else:
        num, den = pade_delay(order)
        rate = 1 / theta
        system = signal.lti(
            num * rate ** np.arange(order - len(num) + 1, order + 1),
            den * rate ** np.arange(order + 1),
        )
        _, expected = signal.step(system, T=np.concatenate([[0], t]))
        expected = expected[1:]
    # scipy's step response (a matrix exponential) and ours agree to 6e-15
    # (measured, orders 1 to 5); the tolerance leaves 1e5 of room
    assert np.allclose(y, expected, rtol=0, atol=1e-9)
    if order >= 5:  # close to a delayed step
        assert np.max(np.abs(y[: int(0.5 * theta / DT)])) < 0.15
        assert np.max(np.abs(y[int(2 * theta / DT) :] - 1)) < 0.05


def test_validation():
    with pytest.raises(ValidationError, match="theta"):
        PadeDelay(0, 3)
    with pytest.raises(ValidationError, match="order"):
        LegendreDelay(0.01, 0)
    synapse = PadeDelay(0.01, 3)
    assert pickle.loads(pickle.dumps(synapse)) == synapse
    assert synapse != PadeDelay(0.01, 4)
    assert repr(synapse) == "PadeDelay(theta=0.01, order=3)"


def delay_filter_net(synapse, d=2, trainable=("synapse",), dtype=None):
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        if dtype is not None:
            nengo_dl.configure_settings(dtype=dtype)
        stim = nengo.Node(np.zeros(d))
        out = nengo.Node(size_in=d)
        conn = nengo.Connection(stim, out, synapse=synapse)
        if trainable is not None:
            net.config[conn].trainable_params = set(trainable)
        probe = nengo.Probe(out)
    return net, stim, conn, probe


@pytest.mark.parametrize("kind", sorted(FILTERS))
@pytest.mark.parametrize(
    "dtype, order, minibatch_size, unroll",
    [("float32", 2, 1, 1), ("float64", 4, 3, 5), ("float32", 6, 2, 1)],
)
def test_trainable_filter_equals_core_nengo(
    Simulator, kind, dtype, order, minibatch_size, unroll, rng
):
    net, stim, conn, probe = delay_filter_net(
        FILTERS[kind](0.012, order), trainable=("synapse.theta",), dtype=dtype
    )
    x = rng.uniform(-1, 1, size=(minibatch_size, 40, 2))
    with Simulator(net, minibatch_size=minibatch_size, unroll_simulation=unroll) as sim:
        assert any(
            isinstance(op, SimTrainableLinearFilter) for op in sim.model.operators
        )
        y = sim.predict_on_batch({stim: x})[probe]
    atol = 1e-5 if dtype == "float32" else 1e-12
    for i in range(minibatch_size):
        assert np.allclose(y[i], run_core(net, stim, probe, x[i]), rtol=0, atol=atol)


def core_loss(kind, theta, order, x, target):
    net, stim, _, probe = delay_filter_net(
        FILTERS[kind](theta, order), d=1, trainable=None
    )
    return np.mean(
        [
            np.mean((run_core(net, stim, probe, xi) - ti) ** 2)
            for xi, ti in zip(x, target, strict=True)
        ]
    )


@pytest.mark.training
@pytest.mark.parametrize("kind, order", [("pade", 3), ("legendre", 5)])
def test_theta_gradient_matches_finite_differences(Simulator, kind, order, rng):
    """One SGD step in float64; ``theta`` is stored as ``log(theta)``."""
    theta, lr = 0.01, 1e-4
    x = rng.uniform(-1, 1, size=(2, 30, 1))
    target = rng.uniform(-1, 1, size=(2, 30, 1))
    net, stim, conn, probe = delay_filter_net(
        FILTERS[kind](theta, order), d=1, dtype="float64"
    )
    with Simulator(net, minibatch_size=2) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        stored = sim.tensor_graph.get_tensor(sim.model.sig[conn]["synapse.theta"])
        stored = float(np.ravel(stored.numpy())[0])
    gradient = (np.log(theta) - stored) / lr
    h = 1e-7
    numeric = (
        core_loss(kind, theta * np.exp(h), order, x, target)
        - core_loss(kind, theta * np.exp(-h), order, x, target)
    ) / (2 * h)
    assert abs(numeric) > 1e-4  # the test is not trivial
    assert gradient == pytest.approx(numeric, rel=1e-4)


@pytest.mark.training
@pytest.mark.parametrize("kind", sorted(FILTERS))
def test_frozen_filter_runs_in_core_nengo(Simulator, kind, rng):
    net, stim, conn, probe = delay_filter_net(FILTERS[kind](0.01, 4), d=1)
    x = rng.uniform(-1, 1, size=(2, 40, 1))
    target = np.roll(x, 15, axis=1)
    with Simulator(net, minibatch_size=2) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05, epsilon=1e-12), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        (info,) = nengo_dl_trainable.parameter_info(sim)
        y = sim.predict_on_batch({stim: x})[probe]
        sim.freeze_params(net)
    assert type(conn.synapse) is FILTERS[kind] and conn.synapse.order == 4
    assert np.allclose(conn.synapse.theta, info.value, rtol=1e-6)
    # Adam's first step moves log(theta) by the rate, times the multiplier that
    # makes it follow the rate (theta is stored as a time constant)
    assert abs(np.log(conn.synapse.theta / 0.01)) == pytest.approx(
        RELATIVE_STEP, rel=1e-4
    )
    for i in range(2):
        assert np.allclose(y[i], run_core(net, stim, probe, x[i]), atol=1e-5)
