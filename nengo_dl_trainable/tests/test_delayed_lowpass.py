import pickle
import warnings

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import (
    DelayedLowpass,
    L,
    TrainableParamsError,
    TrainableParamsWarning,
)
from nengo_dl_trainable.builder.operators import SimTrainableDelayedLowpass
from nengo_dl_trainable.tests.utils import run_core
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP

DT = 0.001


def shifted(x, steps):
    """``x`` (time on axis 0) delayed by a whole number of steps, 0 before."""
    out = np.zeros_like(x)
    out[steps:] = x[: len(x) - steps]
    return out


def lowpass(x, tau):
    """Core Nengo's own ``Lowpass(tau)`` applied to ``x`` (time on axis 0)."""
    return nengo.Lowpass(tau).filt(x, dt=DT, y0=0)


def delayed_lowpass_net(synapse, d=2, trainable=("synapse",), dtype=None):
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
    """Sinusoids of 5 to 30 Hz: the output depends on the delay's fraction."""
    t = np.arange(n_steps) * DT
    freq = rng.uniform(5, 30, (batch, 1, d))
    return np.sin(2 * np.pi * freq * t[:, None] + rng.uniform(0, 1, (batch, 1, d)))


@pytest.mark.parametrize("steps", [0, 1, 4])
def test_whole_steps_delay_nengos_lowpass(steps, rng):
    x = rng.uniform(-1, 1, size=(50, 3))
    y = DelayedLowpass(0.004, steps * DT).filt(x, dt=DT)
    # exact shifts of one float64 recursion on O(1) values: ulps
    assert np.allclose(y, shifted(lowpass(x, 0.004), steps), rtol=0, atol=1e-12)


@pytest.mark.parametrize("delay_steps", [0.5, 2.25])
def test_fractional_delays_interpolate_neighbours(delay_steps, rng):
    """The lowpass is linear: the interpolation of two whole-step outputs."""
    x = rng.uniform(-1, 1, size=(50, 2))
    whole, fraction = int(np.floor(delay_steps)), delay_steps % 1
    filtered = lowpass(x, 0.003)
    expected = (1 - fraction) * shifted(filtered, whole) + fraction * shifted(
        filtered, whole + 1
    )
    y = DelayedLowpass(0.003, delay_steps * DT).filt(x, dt=DT)
    # one interpolation of two exact shifts, O(1) values: ulps
    assert np.allclose(y, expected, rtol=0, atol=1e-12)


def test_one_delay_per_dimension(rng):
    delays = np.array([0.0, 1.5, 4.0]) * DT
    x = rng.uniform(-1, 1, size=(40, 3))
    y = DelayedLowpass(0.002, delays, max_delay=5 * DT).filt(x, dt=DT)
    for i, delay in enumerate(delays):
        column = DelayedLowpass(0.002, delay).filt(x[:, i : i + 1], dt=DT)
        assert np.array_equal(y[:, i : i + 1], column)


def test_validation_repr_and_pickle():
    with pytest.raises(ValidationError, match="tau"):
        DelayedLowpass(0.0, 0.001)
    with pytest.raises(ValidationError, match="max_delay"):
        DelayedLowpass(0.005, 0.002, max_delay=0.001)
    synapse = DelayedLowpass(0.005, [0.001, 0.002], max_delay=0.01)
    assert repr(synapse) == (
        "DelayedLowpass(tau=0.005, delay=[0.001, 0.002], max_delay=0.01)"
    )
    copy = pickle.loads(pickle.dumps(synapse))
    assert copy.tau == 0.005 and copy.max_delay == 0.01
    assert np.array_equal(copy.delay, [0.001, 0.002])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "tau, delay, trainable, minibatch_size, unroll",
    [
        (0.004, 0.0, None, 1, 1),
        (0.002, 0.0025, ("synapse",), 1, 4),
        (0.01, 0.0037, ("synapse.tau",), 3, 1),
        (0.003, [0.001, 0.0062], ("synapse",), 2, 5),
        (0.00002, 0.002, ("synapse.delay",), 2, 1),  # a passthrough lowpass
    ],
)
def test_nengo_dl_equals_core_nengo(
    Simulator, tau, delay, trainable, minibatch_size, unroll, dtype, rng
):
    n_steps, d = 40, 2
    net, stim, conn, probe = delayed_lowpass_net(
        DelayedLowpass(tau, delay, max_delay=0.01),
        d=d,
        trainable=trainable,
        dtype=dtype,
    )
    x = rng.uniform(-1, 1, size=(minibatch_size, n_steps, d))
    with Simulator(net, minibatch_size=minibatch_size, unroll_simulation=unroll) as sim:
        assert any(
            isinstance(op, SimTrainableDelayedLowpass) for op in sim.model.operators
        )
        # two runs: the delay line and the lowpass state carry over
        first = sim.predict_on_batch({stim: x[:, :20]}, stateful=True)[probe]
        second = sim.predict_on_batch({stim: x[:, 20:]}, stateful=True)[probe]
    y = np.concatenate([first, second], axis=1)
    atol = 1e-6 if dtype == "float32" else 1e-12
    for i in range(minibatch_size):
        assert np.allclose(y[i], run_core(net, stim, probe, x[i]), rtol=0, atol=atol)


def core_loss(tau, delay, x, target):
    """Core Nengo's mean squared error with a fixed synapse."""
    net, stim, _, probe = delayed_lowpass_net(
        DelayedLowpass(tau, delay, max_delay=0.01), d=1, trainable=None
    )
    return np.mean(
        [
            np.mean((run_core(net, stim, probe, xi) - ti) ** 2)
            for xi, ti in zip(x, target, strict=True)
        ]
    )


@pytest.mark.training
@pytest.mark.parametrize("minibatch_size, unroll", [(1, 1), (2, 5)])
def test_gradients_match_finite_differences(Simulator, minibatch_size, unroll, rng):
    """One SGD step in float64 gives both gradients; core Nengo gives differences.

    ``tau`` is stored as ``log(tau)`` (``dL/dtheta = tau dL/dtau``), the delay ``d``
    as ``log(d / (u - d))`` with ``u = max_delay`` (``dL/dtheta = dL/dd d (u - d) /
    u``).
    """
    n_steps, lr, max_delay, tau, delay = 30, 1e-4, 0.01, 0.004, 0.0033
    x = slow_sines(rng, minibatch_size, n_steps, 1)
    target = rng.uniform(-1, 1, size=(minibatch_size, n_steps, 1))
    net, stim, conn, probe = delayed_lowpass_net(
        DelayedLowpass(tau, delay, max_delay=max_delay), d=1, dtype="float64"
    )
    with Simulator(net, minibatch_size=minibatch_size, unroll_simulation=unroll) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        stored = {
            name: float(
                np.ravel(sim.tensor_graph.get_tensor(sim.model.sig[conn][name]))[0]
            )
            for name in ("synapse.tau", "synapse.delay")
        }
    gradient_tau = (np.log(tau) - stored["synapse.tau"]) / lr
    gradient_delay = (
        np.log(delay / (max_delay - delay)) - stored["synapse.delay"]
    ) / lr

    h = 1e-7  # the loss is smooth in tau, and linear in the delay within a step
    numeric_tau = (
        (core_loss(tau + h, delay, x, target) - core_loss(tau - h, delay, x, target))
        / (2 * h)
        * tau
    )
    numeric_delay = (
        (core_loss(tau, delay + h, x, target) - core_loss(tau, delay - h, x, target))
        / (2 * h)
        * delay
        * (max_delay - delay)
        / max_delay
    )
    assert abs(numeric_tau) > 1e-3 and abs(numeric_delay) > 1e-3
    assert gradient_tau == pytest.approx(numeric_tau, rel=1e-4)
    assert gradient_delay == pytest.approx(numeric_delay, rel=1e-5)


def train(Simulator, net, stim, probe, x, target, optimizer, epochs):
    with Simulator(net, minibatch_size=x.shape[0]) as sim:
        sim.compile(optimizer=optimizer, loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=epochs, verbose=0)
        infos = nengo_dl_trainable.parameter_info(sim)
        out = sim.predict_on_batch({stim: x})[probe]
        sim.freeze_params(net)
    return infos, out


@pytest.mark.training
@pytest.mark.parametrize("step_scale", [None, 2.0])
def test_one_adam_step_and_frozen_network_in_core_nengo(Simulator, step_scale, rng):
    """Adam's first step moves each stored value by the rate (``tau`` by ``k``
    times it in ``log tau``, ``k = RELATIVE_STEP / lr`` where no scale is set:
    the time constant follows the rate, the delay does not); the frozen
    DelayedLowpass runs in core Nengo."""
    n_steps, lr, max_delay = 40, 0.05, 0.012
    x = slow_sines(rng, 2, n_steps, 2)
    # longer delays and a slower lowpass than the synapse has: both grow
    target = np.stack([shifted(lowpass(xi, 0.01), 6) for xi in x])
    net, stim, conn, probe = delayed_lowpass_net(
        DelayedLowpass(0.002, [0.002, 0.003], max_delay=max_delay)
    )
    if step_scale is not None:
        with net:
            net.config[conn].tau_step_scale = step_scale
    infos, out = train(
        Simulator, net, stim, probe, x, target, tf.optimizers.Adam(lr, epsilon=1e-12), 1
    )
    by_name = {info.name: info for info in infos}
    assert set(by_name) == {"synapse.tau", "synapse.delay"}
    assert all(info.trains for info in infos)
    synapse = conn.synapse
    assert type(synapse) is DelayedLowpass and synapse.max_delay == max_delay
    assert np.allclose(synapse.tau, by_name["synapse.tau"].value, rtol=1e-6, atol=0)
    assert np.allclose(synapse.delay, by_name["synapse.delay"].value, rtol=1e-6, atol=0)
    k = RELATIVE_STEP / lr if step_scale is None else step_scale
    assert np.log(synapse.tau / 0.002) == pytest.approx(k * lr, rel=1e-4)
    delays0 = np.array([0.002, 0.003])
    theta = np.log(synapse.delay / (max_delay - synapse.delay))
    theta0 = np.log(delays0 / (max_delay - delays0))
    assert np.allclose(theta - theta0, lr, rtol=1e-4)
    for i in range(2):
        assert np.allclose(out[i], run_core(net, stim, probe, x[i]), atol=1e-6)


@pytest.mark.parametrize("delay", [0.0, 0.005])  # max_delay = delay for the second
def test_delay_at_a_bound_holds_while_tau_trains(Simulator, delay):
    net, _, conn, _ = delayed_lowpass_net(DelayedLowpass(0.004, delay), d=1)
    with Simulator(net) as sim:
        infos = {i.name: i for i in nengo_dl_trainable.parameter_info(sim)}
    assert infos["synapse.tau"].trains
    assert not infos["synapse.delay"].trains
    assert np.allclose(infos["synapse.delay"].value, [delay], rtol=1e-7, atol=0)

    explicit, *_ = delayed_lowpass_net(
        DelayedLowpass(0.004, delay), d=1, trainable=("synapse.delay",)
    )
    with pytest.raises(TrainableParamsError, match="strictly between 0 and max_delay"):
        Simulator(explicit)


def test_delay_at_a_bound_is_skipped_by_a_default(Simulator):
    net, *_ = delayed_lowpass_net(DelayedLowpass(0.004, 0.0), d=1, trainable=None)
    with net:
        nengo_dl.configure_settings(trainable_params={"synapse.delay"})
    with pytest.warns(TrainableParamsWarning, match="strictly between 0 and max_delay"):
        with Simulator(net) as sim:
            infos = nengo_dl_trainable.parameter_info(sim)
    assert not any(info.trains for info in infos)


@pytest.mark.training
def test_marker_save_and_load(Simulator, tmp_path, rng):
    x = slow_sines(rng, 1, 30, 1)
    target = np.stack([shifted(lowpass(xi, 0.01), 5) for xi in x])
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(
            stim, out, synapse=L(DelayedLowpass(0.003, 0.002, max_delay=0.01))
        )
        probe = nengo.Probe(out)
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.2), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=3, verbose=0)
        expected = sim.predict_on_batch({stim: x})[probe]
        learned = {i.name: i.value for i in nengo_dl_trainable.parameter_info(sim)}
        sim.save_params(tmp_path / "delayed")
    assert learned["synapse.tau"][0] > 0.003 and learned["synapse.delay"][0] > 0.002
    with Simulator(net) as sim:
        assert not np.allclose(sim.predict_on_batch({stim: x})[probe], expected)
        sim.load_params(tmp_path / "delayed")
        assert np.allclose(sim.predict_on_batch({stim: x})[probe], expected)
    assert conn.synapse.tau == 0.003  # not frozen: the network is unchanged


def test_synapses_of_a_size_merge_into_one_group(Simulator):
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(3))
        for tau, delay in ((0.002, 0.001), (0.005, 0.0025), (0.01, 0.004)):
            conn = nengo.Connection(
                stim,
                nengo.Node(size_in=3),
                synapse=DelayedLowpass(tau, delay, max_delay=0.005),
            )
            net.config[conn].trainable_params = {"synapse"}
    with Simulator(net) as sim:
        groups = [
            ops
            for ops in sim.tensor_graph.plan
            if isinstance(ops[0], SimTrainableDelayedLowpass)
        ]
    assert [len(ops) for ops in groups] == [3]


@pytest.mark.training
def test_passthrough_warning_names_tau_not_the_delay(Simulator):
    """Both driven to 0 (the target is the input): only tau gets the warning."""
    net, stim, conn, probe = delayed_lowpass_net(
        DelayedLowpass(0.001, 0.002, max_delay=0.01), d=1
    )
    with net:
        # a set step scale (the step does not follow the rate): Adam(1.0) then
        # drives tau to 0 in a few steps
        net.config[conn].tau_step_scale = 1
    x = np.ones((1, 20, 1))
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1.0), loss="mse")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sim.fit({stim: x}, {probe: x}, epochs=12, verbose=0)
        values = {i.name: i.value for i in nengo_dl_trainable.parameter_info(sim)}
    assert values["synapse.tau"][0] <= 0.03 * DT
    assert values["synapse.delay"][0] <= 0.03 * DT
    messages = [
        str(w.message) for w in caught if "passes its input through" in str(w.message)
    ]
    assert len(messages) == 1 and "synapse.tau reached" in messages[0]


@pytest.mark.training
def test_parameter_marker_trains_only_the_delay(Simulator, rng):
    x = slow_sines(rng, 1, 30, 1)
    target = np.stack([shifted(lowpass(xi, 0.003), 5) for xi in x])
    with nengo.Network(seed=0) as net:
        stim = nengo.Node([0])
        out = nengo.Node(size_in=1)
        nengo.Connection(
            stim, out, synapse=DelayedLowpass(0.003, L(0.002), max_delay=0.01)
        )
        probe = nengo.Probe(out)
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.1, epsilon=1e-12), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        infos = {i.name: i for i in nengo_dl_trainable.parameter_info(sim)}
    assert infos["synapse.delay"].trains
    assert "synapse.tau" not in infos or not infos["synapse.tau"].trains
    (delay,) = infos["synapse.delay"].value
    # Adam's first step: theta by the rate, towards the target's 5 steps
    assert np.log(delay / (0.01 - delay)) - np.log(0.002 / 0.008) == pytest.approx(
        0.1, rel=1e-4
    )
