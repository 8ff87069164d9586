"""The encodings: round trips, NumPy and TensorFlow alike, one meaning of the scale."""

import numpy as np
import pytest
import tensorflow as tf

from nengo_dl_trainable.parameterizations.encoding import (
    DEFAULT_STEP_SCALE,
    IDENTITY,
    SPREAD_STEP_FRACTION,
    BoundedEncoding,
    LogEncoding,
    SpreadEncoding,
    double_exp_encodings,
    double_exp_sum_and_spread,
    double_exp_time_constants,
)

ENCODINGS = [
    LogEncoding(),
    LogEncoding(7.0),
    SpreadEncoding(),
    SpreadEncoding(3.0),
    BoundedEncoding(0.05),
]


def sample(encoding, rng, n=20):
    if isinstance(encoding, SpreadEncoding):
        return rng.uniform(-0.99, 0.99, n)
    if isinstance(encoding, BoundedEncoding):
        return rng.uniform(0.001, 0.999, n) * encoding.upper
    return np.exp(rng.uniform(np.log(1e-4), np.log(10.0), n))


@pytest.mark.parametrize("encoding", ENCODINGS, ids=repr)
def test_round_trip(encoding, rng):
    value = sample(encoding, rng)
    # log/exp (or logit and its inverse) of values within a few decades: a few
    # eps relative, on any machine (elementwise, no BLAS)
    assert np.allclose(encoding.decode(encoding.encode(value)), value, rtol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("encoding", [*ENCODINGS, IDENTITY], ids=repr)
def test_tensorflow_equals_numpy(encoding, dtype, rng):
    theta = rng.uniform(-2, 2, 20)
    numpy = encoding.decode(theta)
    tensor = encoding.decode(tf.constant(theta, dtype=dtype), tf).numpy()
    assert tensor.dtype == np.dtype(dtype)
    rtol = 1e-6 if dtype == "float32" else 1e-14
    assert np.allclose(tensor, numpy, rtol=rtol, atol=0)


def test_log_encoding_closed_form(rng):
    """theta = log(tau) / k, and one step delta scales tau by exp(k delta)."""
    tau = sample(LogEncoding(), rng)
    for k in (1.0, 4.0, 0.5):
        encoding = LogEncoding(k)
        assert np.allclose(encoding.encode(tau), np.log(tau) / k)
        moved = encoding.decode(encoding.encode(tau) + 0.01)
        assert np.allclose(moved / tau, np.exp(k * 0.01))
        assert np.allclose(encoding.reciprocal(encoding.encode(tau)), 1 / tau)
        assert np.allclose(encoding.log_value(encoding.encode(tau)), np.log(tau))


def test_spread_steps_a_fraction_of_the_sum():
    total, spread = double_exp_encodings(6.0)
    assert total == LogEncoding(6.0)
    assert spread.spread_scale == pytest.approx(6.0 * SPREAD_STEP_FRACTION)
    # q = tanh(s theta)
    assert spread.decode(0.5) == pytest.approx(np.tanh(6.0 * SPREAD_STEP_FRACTION / 2))


def test_double_exp_sum_and_spread_round_trip(rng):
    tau1 = sample(LogEncoding(), rng)
    tau2 = sample(LogEncoding(), rng)
    total, spread = double_exp_sum_and_spread(tau1, tau2)
    assert np.allclose(total, tau1 + tau2)
    assert np.all(np.abs(spread) < 1)
    back = double_exp_time_constants(total, spread)
    # the two roots of the time constants' quadratic: conditioned by
    # (tau1 + tau2) / |tau1 - tau2| (< 100 here), so ~1e-14 relative
    assert np.allclose(back, (tau1, tau2), rtol=1e-10)
    tensors = double_exp_time_constants(tf.constant(total), tf.constant(spread))
    assert np.allclose([t.numpy() for t in tensors], (tau1, tau2), rtol=1e-10)


def test_equal_encodings_compare_and_hash_equal():
    assert LogEncoding() == LogEncoding(DEFAULT_STEP_SCALE)
    assert hash(LogEncoding(2)) == hash(LogEncoding(2.0))
    assert LogEncoding(2) != LogEncoding(3)
    assert LogEncoding(2) != SpreadEncoding(2)
    assert repr(LogEncoding(2)) == "LogEncoding(step_scale=2.0)"


@pytest.mark.parametrize("scale", [0, -1.0, np.nan])
def test_step_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match="must be positive"):
        LogEncoding(scale)
    with pytest.raises(ValueError, match="must be positive"):
        SpreadEncoding(scale)


def test_bounded_encoding_closed_form_and_bounds():
    encoding = BoundedEncoding(0.02)
    # the logistic function: theta = 0 is the middle, +-log(3) a quarter from a bound
    assert encoding.decode(0.0) == 0.01
    assert np.allclose(encoding.decode(np.log([3.0, 1 / 3])), [0.015, 0.005])
    # any stored value, however large, decodes within the bounds
    extreme = encoding.decode(np.array([-800.0, 800.0]))
    assert extreme[0] >= 0 and extreme[1] <= 0.02
    assert repr(encoding) == "BoundedEncoding(upper=0.02)"
    assert encoding != BoundedEncoding(0.03)
    with pytest.raises(ValueError, match="positive"):
        BoundedEncoding(0)
