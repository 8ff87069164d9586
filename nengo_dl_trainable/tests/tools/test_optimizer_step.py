"""The time constants' step that follows the optimizer's learning rate.

Adam's first step is exactly ``lr`` in each trained value (``m / sqrt(v) = +-1``
up to its ``epsilon``, 1e-7 against gradients of order 1e-3 or more here), so
with the step multiplied by ``m`` it moves ``log(tau)`` by ``m * lr``: a closed
form each test compares with.
"""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError

import nengo_dl_trainable
from nengo_dl_trainable.tools.optimizer_step import (
    LOWEST_FOLLOWED_RATE,
    RELATIVE_STEP,
    followed_step,
    initial_learning_rate,
    step_multiplier,
)

#: Adam's first step is lr * g / (|g| + epsilon): relative error epsilon / |g|,
#: under 1e-4 for the gradients here
RTOL = 1e-4


def step_rtol(rate, dtype="float32", tau=0.01):
    """The relative error of one multiplied step, from its conditioning.

    The multiplied step is ``m * (v - b)``, with ``v`` the variable after the
    optimizer's step ``rate`` from ``b = log(tau)``: ``v`` is rounded to half a
    unit in the last place of ``|log(tau)|``, an error the multiplier scales
    with the step, so relative to it ``spacing / (2 * rate)`` (2.4e-3 in
    float32 at a rate of 1e-4), plus Adam's own `RTOL`.
    """
    spacing = np.spacing(np.asarray(abs(np.log(tau)), dtype=dtype))
    return RTOL + float(spacing) / (2 * rate)


def network(
    scale=None, neurons=False, explicit_other=False, dtype="float32", **settings
):
    """A connection (or an ensemble's tau_rc) learning from white noise.

    ``explicit_other``: a second connection with ``tau_step_scale=1`` set.
    """
    with nengo.Network(seed=0) as net:
        settings.update(trainable_params=set(), dtype=dtype)
        if scale is not None:
            settings["tau_step_scale"] = scale
        nengo_dl_trainable.configure_settings(**settings)
        stim = nengo.Node(np.zeros(2))
        out = nengo.Node(size_in=2)
        objs = []
        if neurons:
            ens = nengo.Ensemble(
                6,
                2,
                neuron_type=nengo.LIFRate(),
                gain=np.full(6, 2.0),
                bias=np.linspace(1.5, 3, 6),  # every neuron active
            )
            nengo.Connection(stim, ens, synapse=None)
            nengo.Connection(ens, out, synapse=None)
            net.config[ens.neurons].trainable_params = {"neuron_type.tau_rc"}
            objs.append(ens)
        else:
            conn = nengo.Connection(stim, out, synapse=0.01)
            net.config[conn].trainable_params = {"synapse"}
            objs.append(conn)
        if explicit_other:
            other = nengo.Connection(stim, out, synapse=0.02)
            net.config[other].trainable_params = {"synapse"}
            net.config[other].tau_step_scale = 1
            objs.append(other)
        probe = nengo.Probe(out)
    return net, stim, objs, probe


def values(sim, obj):
    (info,) = [i for i in nengo_dl_trainable.parameter_info(sim) if i.obj is obj]
    return np.asarray(info.value, dtype=np.float64)


def one_step(Simulator, optimizer, x, compile_first=(), **kwargs):
    """The relative move of each object's time constant(s) in one fit step on
    inputs ``x``."""
    net, stim, objs, probe = network(**kwargs)
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        before = [values(sim, obj) for obj in objs]
        for earlier in compile_first:
            sim.compile(optimizer=earlier, loss="mse")
        sim.compile(optimizer=optimizer, loss="mse")
        compiled = [values(sim, obj) for obj in objs]
        # a target far from the output: every time constant has a gradient
        sim.fit({stim: x}, {probe: 3 * np.ones((2, 20, 2))}, epochs=1, verbose=0)
        after = [values(sim, obj) for obj in objs]
        resolved = followed_step(sim)
    for b, c in zip(before, compiled, strict=True):
        np.testing.assert_array_equal(b, c)  # compile changes no value
    moves = [np.abs(np.log(a / b)) for a, b in zip(after, before, strict=True)]
    return moves, resolved


@pytest.mark.training
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("neurons", [False, True])
def test_relative_step_is_the_same_at_every_rate(Simulator, rng, dtype, neurons):
    """One Adam step moves a time constant by RELATIVE_STEP of itself at any rate
    from LOWEST_FOLLOWED_RATE up (the issue: within 1% across rates)."""
    x = rng.standard_normal((2, 20, 2))
    for rate in (0.05, 0.01, 3e-3, LOWEST_FOLLOWED_RATE):
        (move,), resolved = one_step(
            Simulator, tf.optimizers.Adam(rate), x, neurons=neurons, dtype=dtype
        )
        rtol = step_rtol(rate, dtype, tau=0.02 if neurons else 0.01)
        assert move == pytest.approx(np.full(move.shape, RELATIVE_STEP), rel=rtol)
        assert resolved.follows and resolved.multiplier == pytest.approx(
            RELATIVE_STEP / rate
        )


@pytest.mark.training
def test_below_the_lowest_followed_rate_steps_shrink_with_the_rate(Simulator, rng):
    """A fine-tuning rate moves time constants in proportion to the rate."""
    x = rng.standard_normal((2, 20, 2))
    rate = LOWEST_FOLLOWED_RATE / 10
    (move,), _ = one_step(Simulator, tf.optimizers.Adam(rate), x)
    assert move == pytest.approx(RELATIVE_STEP / 10, rel=step_rtol(rate))


@pytest.mark.training
def test_explicit_step_scale_is_kept(Simulator, rng):
    """A tau_step_scale set (here as a default, and on one connection) keeps its
    one meaning: one Adam step moves log(tau) by scale * lr, whatever the rate."""
    x = rng.standard_normal((2, 20, 2))
    for rate in (0.01, 1e-3):
        (move,), resolved = one_step(Simulator, tf.optimizers.Adam(rate), x, scale=5)
        assert move == pytest.approx(5 * rate, rel=step_rtol(1e-3))
        assert resolved is None  # nothing follows the rate
    # one variable may hold a following and a set time constant side by side
    (following, kept), resolved = one_step(
        Simulator, tf.optimizers.Adam(1e-3), x, explicit_other=True
    )
    assert following == pytest.approx(RELATIVE_STEP, rel=step_rtol(1e-3))
    assert kept == pytest.approx(1e-3, rel=step_rtol(1e-3))
    assert resolved.parameters == 1


@pytest.mark.training
def test_sgd_keeps_step_scale_one(Simulator, rng):
    """SGD's step grows with the gradient: it does not follow its rate, and
    moves the time constants exactly as with tau_step_scale=1."""
    x = rng.standard_normal((2, 20, 2))
    (move,), resolved = one_step(Simulator, tf.optimizers.SGD(0.01), x)
    (explicit,), _ = one_step(Simulator, tf.optimizers.SGD(0.01), x, scale=1)
    assert move > 0
    np.testing.assert_allclose(move, explicit, rtol=1e-6)
    assert not resolved.follows and resolved.multiplier == 1


@pytest.mark.training
def test_schedule_uses_its_first_rate(Simulator, rng):
    x = rng.standard_normal((2, 20, 2))
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(
        0.01, decay_steps=1, decay_rate=0.5
    )
    assert initial_learning_rate(tf.optimizers.Adam(schedule)) == pytest.approx(0.01)
    (move,), resolved = one_step(Simulator, tf.optimizers.Adam(schedule), x)
    assert move == pytest.approx(RELATIVE_STEP, rel=step_rtol(1e-3))
    assert resolved.learning_rate == pytest.approx(0.01)


@pytest.mark.training
def test_compile_again_resolves_again(Simulator, rng):
    """The last compile decides; an earlier one's multiplier is not applied twice,
    and an optimizer compiled twice is multiplied once."""
    x = rng.standard_normal((2, 20, 2))
    (move,), resolved = one_step(
        Simulator, tf.optimizers.Adam(1e-3), x, compile_first=[tf.optimizers.SGD(1)]
    )
    assert move == pytest.approx(RELATIVE_STEP, rel=step_rtol(1e-3))
    adam = tf.optimizers.Adam(1e-3)
    (move,), _ = one_step(Simulator, adam, x, compile_first=[adam])
    assert move == pytest.approx(RELATIVE_STEP, rel=step_rtol(1e-3))
    (move,), resolved = one_step(
        Simulator, tf.optimizers.SGD(0.01), x, compile_first=[tf.optimizers.Adam(1)]
    )
    (explicit,), _ = one_step(Simulator, tf.optimizers.SGD(0.01), x, scale=1)
    np.testing.assert_allclose(move, explicit, rtol=1e-6)
    assert not resolved.follows


@pytest.mark.training
def test_checkpoints_across_learning_rates(Simulator, rng, tmp_path):
    """Saved at one rate, loaded into a model compiled at another: the saved time
    constants (stored values do not depend on the rate); saved under an explicit
    scale and loaded without one: refused, never another time constant."""
    x = rng.standard_normal((2, 20, 2))
    net, stim, (conn,), probe = network()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        sim.fit({stim: x}, {probe: 3 * np.ones((2, 20, 2))}, epochs=3, verbose=0)
        saved = values(sim, conn)
        sim.save_params(tmp_path / "at_0.01")
    assert not np.allclose(saved, 0.01)
    net, stim, (conn,), probe = network()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1e-4), loss="mse")
        sim.load_params(tmp_path / "at_0.01")
        np.testing.assert_allclose(values(sim, conn), saved, rtol=1e-6)
        assert sim.get_nengo_params(conn)["synapse"].tau == pytest.approx(
            saved.item(), rel=1e-6
        )
    net, stim, (conn,), probe = network(scale=20)
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.save_params(tmp_path / "scale_20")
    net, stim, (conn,), probe = network()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1e-3), loss="mse")
        with pytest.raises(
            SimulationError, match=r"saved as LogEncoding\(step_scale=20"
        ):
            sim.load_params(tmp_path / "scale_20")


def test_step_multiplier():
    assert step_multiplier(0.01) == pytest.approx(RELATIVE_STEP / 0.01)
    low = step_multiplier(LOWEST_FOLLOWED_RATE)
    assert step_multiplier(LOWEST_FOLLOWED_RATE / 100) == low
    with pytest.raises(ValueError, match="positive"):
        step_multiplier(0)


@pytest.mark.training
def test_nothing_follows_without_compile_or_package_time_constants(Simulator, rng):
    net, stim, (conn,), probe = network(scale=3)
    with Simulator(net, progress_bar=False) as sim:
        assert followed_step(sim) is None
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        assert followed_step(sim) is None
    net, stim, (conn,), probe = network(inference_only=True)
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        assert followed_step(sim) is None


def test_summary_says_how_the_step_was_resolved(Simulator):
    net, stim, (conn,), probe = network()
    with Simulator(net, progress_bar=False) as sim:
        assert "time-constant step" not in nengo_dl_trainable.summary(sim, None)
        sim.compile(optimizer=tf.optimizers.Adam(1e-3), loss="mse")
        text = nengo_dl_trainable.summary(sim, None)
        multiplier = f"{RELATIVE_STEP / 1e-3:.3g}"
        assert f"follows Adam's learning rate 0.001, step x{multiplier}" in text
        assert f"about {RELATIVE_STEP:.2%} of each value per step" in text
        sim.compile(optimizer=tf.optimizers.SGD(1e-3), loss="mse")
        text = nengo_dl_trainable.summary(sim, None)
        assert "SGD is not followed, step scale 1" in text
