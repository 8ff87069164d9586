import pickle

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import Delay, L, TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.builder.operators import SimTrainableDelay
from nengo_dl_trainable.synapses import buffer_length
from nengo_dl_trainable.tests.utils import run_core

DT = 0.001


def shifted(x, steps, y0=0.0):
    """``x`` (time on axis 0) delayed by a whole number of steps, ``y0`` before."""
    out = np.full_like(x, y0)
    out[steps:] = x[: len(x) - steps]
    return out


def delay_net(synapse, d=2, trainable=("synapse",), dtype=None):
    """An input node, then ``synapse`` on a connection to an output node."""
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        if dtype is not None:
            nengo_dl.configure_settings(dtype=dtype)
        stim = nengo.Node(np.zeros(d), label="stim")
        out = nengo.Node(size_in=d, label="out")
        conn = nengo.Connection(stim, out, synapse=synapse)
        if trainable is not None:
            net.config[conn].trainable_params = set(trainable)
        probe = nengo.Probe(out)
    return net, stim, conn, probe


def slow_sines(rng, batch, n_steps, d):
    """Sinusoids of 2 to 5 Hz: over tens of steps, the later the further away."""
    t = np.arange(n_steps) * DT
    freq = rng.uniform(2, 5, (batch, 1, d))
    return np.sin(2 * np.pi * freq * t[:, None] + rng.uniform(0, 1, (batch, 1, d)))


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_whole_steps_shift_the_input(steps, rng):
    x = rng.uniform(-1, 1, size=(50, 3))
    assert np.array_equal(Delay(steps * DT).filt(x, dt=DT), shifted(x, steps))


@pytest.mark.parametrize("delay_steps", [0.5, 2.25, 3.9])
def test_fractional_delays_interpolate_neighbours(delay_steps, rng):
    x = rng.uniform(-1, 1, size=(50, 2))
    whole, fraction = int(np.floor(delay_steps)), delay_steps % 1
    expected = (1 - fraction) * shifted(x, whole) + fraction * shifted(x, whole + 1)
    y = Delay(delay_steps * DT).filt(x, dt=DT)
    # one interpolation of two exact shifts, O(1) values: ulps
    assert np.allclose(y, expected, rtol=0, atol=1e-12)


def test_initial_value_until_the_delay_has_elapsed(rng):
    x = rng.uniform(-1, 1, size=(20, 1))
    y = Delay(3 * DT).filt(x, dt=DT, y0=0.7)
    assert np.array_equal(y, shifted(x, 3, y0=0.7))


def test_one_delay_per_dimension(rng):
    delays = np.array([0.0, 1.5, 4.0]) * DT
    x = rng.uniform(-1, 1, size=(40, 3))
    y = Delay(delays, max_delay=5 * DT).filt(x, dt=DT)
    for i, delay in enumerate(delays):
        assert np.allclose(y[:, i], Delay(delay).filt(x[:, [i]], dt=DT)[:, 0])


def test_validation():
    with pytest.raises(ValidationError, match="finite and at least 0"):
        Delay(-0.001)
    with pytest.raises(ValidationError, match="finite and at least 0"):
        Delay([0.001, np.nan])
    with pytest.raises(ValidationError, match="non-empty vector"):
        Delay([[0.001]])
    with pytest.raises(ValidationError, match="must be at least the delay"):
        Delay([0.001, 0.004], max_delay=0.002)
    with pytest.raises(ValidationError, match="2 delays, for a signal of 3"):
        Delay([0.001, 0.002]).filt(np.zeros((10, 3)))
    synapse = Delay([0.001, 0.002], max_delay=0.01)
    assert pickle.loads(pickle.dumps(synapse)) == synapse
    assert synapse != Delay([0.001, 0.002])
    assert buffer_length(0.005, 0.001) == 7  # not 6 from 0.005 / 0.001 < 5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "delay, trainable, minibatch_size, unroll",
    [
        (0.0, None, 1, 1),
        (0.004, None, 3, 1),
        (0.0025, ("synapse",), 1, 4),
        (0.0037, ("synapse.delay",), 3, 1),
        ([0.001, 0.0062], ("synapse",), 2, 5),
        ([0.0, 0.01], None, 2, 1),
    ],
)
def test_nengo_dl_equals_core_nengo(
    Simulator, delay, trainable, minibatch_size, unroll, dtype, rng
):
    n_steps, d = 40, 2
    net, stim, conn, probe = delay_net(
        Delay(delay, max_delay=0.01), d=d, trainable=trainable, dtype=dtype
    )
    x = rng.uniform(-1, 1, size=(minibatch_size, n_steps, d))
    with Simulator(net, minibatch_size=minibatch_size, unroll_simulation=unroll) as sim:
        assert any(isinstance(op, SimTrainableDelay) for op in sim.model.operators)
        # two runs: the delay line is simulation state that carries over
        first = sim.predict_on_batch({stim: x[:, :20]}, stateful=True)[probe]
        second = sim.predict_on_batch({stim: x[:, 20:]}, stateful=True)[probe]
    y = np.concatenate([first, second], axis=1)
    atol = 1e-6 if dtype == "float32" else 1e-12
    for i in range(minibatch_size):
        assert np.allclose(y[i], run_core(net, stim, probe, x[i]), rtol=0, atol=atol)


def loss_with_delay(delay, x, target):
    """Core Nengo's mean squared error with a fixed delay (seconds)."""
    net, stim, _, probe = delay_net(Delay(delay, max_delay=0.01), d=1, trainable=None)
    return np.mean(
        [
            np.mean((run_core(net, stim, probe, xi) - ti) ** 2)
            for xi, ti in zip(x, target, strict=True)
        ]
    )


@pytest.mark.training
@pytest.mark.parametrize(
    "delay, minibatch_size, unroll", [(0.0033, 1, 1), (0.0071, 2, 5)]
)
def test_gradient_matches_finite_differences(
    Simulator, delay, minibatch_size, unroll, rng
):
    """One SGD step in float64 gives the gradient; core Nengo gives differences.

    The stored value is ``theta = log(d / (u - d))`` with ``u = max_delay``, so
    ``dL/dtheta = dL/dd * d * (u - d) / u``.
    """
    n_steps, lr, max_delay = 30, 1e-4, 0.01
    # smooth inputs, so that the output depends on the delay's fraction
    t = np.arange(n_steps) * DT
    x = np.sin(2 * np.pi * rng.uniform(5, 30, (minibatch_size, 1, 1)) * t[:, None])
    target = rng.uniform(-1, 1, size=(minibatch_size, n_steps, 1))
    net, stim, conn, probe = delay_net(
        Delay(delay, max_delay=max_delay), d=1, dtype="float64"
    )
    with Simulator(net, minibatch_size=minibatch_size, unroll_simulation=unroll) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        theta = sim.tensor_graph.get_tensor(sim.model.sig[conn]["synapse.delay"])
        theta = float(np.ravel(theta.numpy())[0])
    theta0 = np.log(delay / (max_delay - delay))
    gradient = (theta0 - theta) / lr

    # the loss is linear in the delay between whole steps: a central difference
    # inside one step is exact up to rounding
    h = 1e-7
    numeric = (
        loss_with_delay(delay + h, x, target) - loss_with_delay(delay - h, x, target)
    ) / (2 * h)
    numeric *= delay * (max_delay - delay) / max_delay
    assert abs(numeric) > 1e-3  # the test is not trivial
    assert gradient == pytest.approx(numeric, rel=1e-5)


def train(Simulator, net, stim, probe, x, target, optimizer, epochs):
    with Simulator(net, minibatch_size=x.shape[0]) as sim:
        sim.compile(optimizer=optimizer, loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=epochs, verbose=0)
        infos = nengo_dl_trainable.parameter_info(sim)
        out = sim.predict_on_batch({stim: x})[probe]
        sim.freeze_params(net)
    return infos, out


@pytest.mark.training
def test_one_adam_step_and_frozen_network_in_core_nengo(Simulator, rng):
    """Adam's first step moves theta by the rate; the frozen Delay runs in Nengo."""
    n_steps, lr = 40, 0.05
    x = slow_sines(rng, 2, n_steps, 2)
    target = shifted(x.transpose(1, 0, 2), 6).transpose(1, 0, 2)
    net, stim, conn, probe = delay_net(Delay([0.002, 0.003], max_delay=0.012))
    infos, out = train(
        Simulator, net, stim, probe, x, target, tf.optimizers.Adam(lr, epsilon=1e-12), 1
    )
    (info,) = infos
    assert info.name == "synapse.delay" and info.shape == "per dimension"
    delays = conn.synapse.delay
    assert type(conn.synapse) is Delay and conn.synapse.max_delay == 0.012
    assert np.allclose(delays, info.value, rtol=1e-6, atol=0)
    theta = np.log(delays / (0.012 - delays))
    theta0 = np.log(np.array([0.002, 0.003]) / (0.012 - np.array([0.002, 0.003])))
    # towards the target's 6 steps, from whole steps (the gradient from above)
    assert np.allclose(theta - theta0, lr, rtol=1e-4)
    for i in range(2):
        assert np.allclose(out[i], run_core(net, stim, probe, x[i]), atol=1e-6)


@pytest.mark.training
def test_delay_pushed_to_its_bounds_stays_inside(Simulator, rng):
    """Ramps whose targets lie beyond either bound: delays reach them, stay valid.

    On a ramp the loss falls monotonically towards the target's delay: 30 steps
    (beyond max_delay) for the first dimension, 0 for the second.
    """
    n_steps, max_delay = 60, 0.008
    ramp = np.linspace(0, 1, n_steps)[None, :, None] * rng.uniform(0.5, 1, (4, 1, 2))
    xt = ramp.transpose(1, 0, 2)
    target = np.stack([shifted(xt[..., 0], 30), xt[..., 1]], axis=-1)
    net, stim, conn, probe = delay_net(Delay([0.004, 0.004], max_delay=max_delay))
    _, out = train(
        Simulator,
        net,
        stim,
        probe,
        ramp,
        target.transpose(1, 0, 2),
        tf.optimizers.Adam(1.0),
        50,
    )
    delays = conn.synapse.delay
    assert np.all(np.isfinite(out))
    assert 0.99 * max_delay < delays[0] <= max_delay
    assert 0 <= delays[1] < 0.01 * max_delay
    for i in range(ramp.shape[0]):
        assert np.allclose(out[i], run_core(net, stim, probe, ramp[i]), atol=1e-5)


@pytest.mark.parametrize(
    "synapse, match",
    [
        (Delay(0.0, max_delay=0.01), "strictly between 0 and max_delay"),
        (Delay(0.005), "strictly between 0 and max_delay"),  # max_delay = delay
        (Delay([0.002, 0.0], max_delay=0.01), "strictly between 0 and max_delay"),
    ],
)
def test_delay_that_cannot_train_is_refused_when_selected(Simulator, synapse, match):
    net, *_ = delay_net(synapse)
    with pytest.raises(TrainableParamsError, match=match):
        Simulator(net)


def test_delay_that_cannot_train_is_skipped_by_a_default(Simulator):
    net, _, conn, _ = delay_net(Delay(0.0, max_delay=0.01), trainable=None)
    with net:
        nengo_dl.configure_settings(trainable_params={"stock", "synapse"})
    with pytest.warns(TrainableParamsWarning, match="strictly between 0 and max_delay"):
        with Simulator(net) as sim:
            (info,) = nengo_dl_trainable.parameter_info(sim)
    # held as an untrained parameter of the synapse, as every untrained Delay
    assert info.obj is conn.synapse and not info.trains


def test_step_scale_does_not_apply_to_delays(Simulator):
    net, _, conn, _ = delay_net(Delay(0.002, max_delay=0.01))
    with net:
        net.config[conn].tau_step_scale = 3
    with pytest.raises(TrainableParamsError, match="not time constants"):
        Simulator(net)


def test_vector_delay_must_match_the_connection(Simulator):
    net, *_ = delay_net(Delay([0.001, 0.002, 0.003], max_delay=0.01), d=2)
    with pytest.raises(TrainableParamsError, match="3 delays, for a connection of 2"):
        Simulator(net)


@pytest.mark.training
def test_marker_trains_delay(Simulator, rng):
    x = slow_sines(rng, 2, 30, 1)
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=L(Delay(0.003, max_delay=0.01)))
        probe = nengo.Probe(out)
    target = shifted(x.transpose(1, 0, 2), 5).transpose(1, 0, 2)
    train(
        Simulator,
        net,
        stim,
        probe,
        x,
        target,
        tf.optimizers.Adam(0.1, epsilon=1e-12),
        1,
    )
    # Adam's first step: theta by the rate, towards the target's 5 steps
    theta = np.log(conn.synapse.delay / (0.01 - conn.synapse.delay))
    assert theta - np.log(0.003 / 0.007) == pytest.approx(0.1, rel=1e-4)


@pytest.mark.training
def test_save_and_load_params(Simulator, tmp_path, rng):
    net, stim, conn, probe = delay_net(Delay(0.003, max_delay=0.01), d=1)
    x = rng.uniform(-1, 1, size=(1, 20, 1))
    target = shifted(x[0], 6)[None]
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.2), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=3, verbose=0)
        expected = sim.predict_on_batch({stim: x})[probe]
        sim.save_params(tmp_path / "delay")
    with Simulator(net) as sim:
        assert not np.allclose(sim.predict_on_batch({stim: x})[probe], expected)
        sim.load_params(tmp_path / "delay")
        assert np.allclose(sim.predict_on_batch({stim: x})[probe], expected)
    # stored as log(d / (u - d)) with u = max_delay: refused under another
    other, *_ = delay_net(Delay(0.003, max_delay=0.02), d=1)
    with Simulator(other) as sim:
        with pytest.raises(nengo.exceptions.SimulationError, match="max_delay"):
            sim.load_params(tmp_path / "delay")


def test_delays_of_a_size_merge_into_one_group(Simulator):
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(3))
        for delay in (0.001, 0.0025, 0.004):
            conn = nengo.Connection(
                stim, nengo.Node(size_in=3), synapse=Delay(delay, max_delay=0.005)
            )
            net.config[conn].trainable_params = {"synapse"}
    with Simulator(net) as sim:
        groups = [
            ops
            for ops in sim.tensor_graph.plan
            if isinstance(ops[0], SimTrainableDelay)
        ]
    assert [len(ops) for ops in groups] == [3]
