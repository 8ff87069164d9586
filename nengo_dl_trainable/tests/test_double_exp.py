"""The DoubleExp synapse: as a Nengo synapse, and trained in its time constants.

Its filtering in NengoDL (untrained and trainable), gradients and recovery from
data are tested with the other synapses in ``test_synapses.py``.
"""

import copy
import pickle
import warnings

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import DoubleExp, TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP

DT = 0.001


def filt(synapse, x):
    # columns: Nengo 4.1's filt of a 1-D signal fails under numpy 2
    return synapse.filt(x[:, None], dt=DT, y0=0)[:, 0]


@pytest.mark.parametrize("tau1, tau2", [(0.05, 0.03), (0.003, 0.04), (0.01, 0.01)])
def test_step_response_is_closed_form(tau1, tau2, allclose):
    """Zero-order hold samples the continuous step response exactly."""
    n_steps = 300
    y = filt(DoubleExp(tau1, tau2), np.ones(n_steps))
    # output k is the state after input k: time (k + 1) dt after the step began
    t = DT * (np.arange(n_steps) + 1)
    if tau1 == tau2:
        expected = 1 - (1 + t / tau1) * np.exp(-t / tau1)
    else:
        expected = 1 - (tau1 * np.exp(-t / tau1) - tau2 * np.exp(-t / tau2)) / (
            tau1 - tau2
        )
    # zero-order hold is exact for a step: the recursion and the closed form
    # differ by rounding over 200 steps of O(1) values, ~1e-15
    assert allclose(y, expected, atol=1e-12)


@pytest.mark.parametrize(
    "synapse, same",
    [
        (DoubleExp(0.05, 0.03), nengo.LinearFilter([1], [0.05 * 0.03, 0.08, 1])),
        (DoubleExp(0.02, 0.02), nengo.Alpha(0.02)),
        (DoubleExp(0.02, 0), nengo.Lowpass(0.02)),
        (DoubleExp(0, 0.02), nengo.Lowpass(0.02)),
        (DoubleExp(0, 0), nengo.LinearFilter([1], [1])),
        (
            DoubleExp(0.05, 0.01, method="bilinear"),
            nengo.LinearFilter([1], [0.05 * 0.01, 0.06, 1], method="bilinear"),
        ),
    ],
)
def test_same_filter_as_nengo_synapses(synapse, same, rng, allclose):
    x = rng.uniform(-1, 1, size=200)
    # the same discrete filter from two parameterizations, O(1) values: ulps
    assert allclose(filt(synapse, x), filt(same, x), atol=1e-12)


def test_is_a_nengo_synapse():
    synapse = DoubleExp(0.05, 0.03)
    assert isinstance(synapse, nengo.LinearFilter)
    assert repr(synapse) == "DoubleExp(tau1=0.05, tau2=0.03)"
    assert synapse == DoubleExp(0.05, 0.03)
    assert hash(synapse) == hash(DoubleExp(0.05, 0.03))
    assert synapse != DoubleExp(0.05, 0.02)
    assert pickle.loads(pickle.dumps(synapse)) == synapse
    assert copy.deepcopy(synapse) == synapse
    with pytest.raises(ValidationError, match="tau1"):
        DoubleExp(-0.01, 0.03)
    with pytest.raises(ValidationError, match="tau2"):
        DoubleExp(0.01, -0.03)
    with pytest.raises(ValidationError, match="read-only"):
        synapse.tau1 = 0.1


def test_time_constants_read_back():
    taus = nengo_dl_trainable.time_constants(DoubleExp(0.05, 0.03), dt=DT)
    # tau = -dt / log(pole) with pole = exp(-dt / tau): relative error about
    # eps / (dt / tau) <= 1e-13
    assert np.allclose(taus, [0.03, 0.05], rtol=1e-10)


def network(synapse, names):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=synapse)
        if names is not None:
            net.config[conn].trainable_params = names
        probe = nengo.Probe(out)
    return net, stim, conn, probe


def train(Simulator, net, stim, probe, rng, epochs=5):
    x = rng.standard_normal((4, 50, 1))
    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        # epsilon small enough that Adam's first step is the learning rate
        sim.compile(optimizer=tf.optimizers.Adam(0.1, epsilon=1e-12), loss="mse")
        sim.fit({stim: x}, {probe: 0.5 * x}, epochs=epochs, verbose=0)
        sim.freeze_params(net)


@pytest.mark.training
@pytest.mark.parametrize("trained", ["tau1", "tau2"])
def test_one_time_constant_trains_the_other_stays_exact(Simulator, trained, rng):
    net, stim, conn, probe = network(DoubleExp(0.05, 0.03), {f"synapse.{trained}"})
    train(Simulator, net, stim, probe, rng, epochs=1)
    fixed = "tau2" if trained == "tau1" else "tau1"
    start = DoubleExp(0.05, 0.03)
    assert type(conn.synapse) is DoubleExp
    assert getattr(conn.synapse, fixed) == getattr(start, fixed)
    # Adam's first step moves log(tau) by the learning rate times the multiplier
    # that makes it follow the rate: RELATIVE_STEP
    step = np.log(getattr(conn.synapse, trained) / getattr(start, trained))
    assert abs(step) == pytest.approx(RELATIVE_STEP, rel=1e-4)


@pytest.mark.training
def test_zero_time_constant_stays_zero(Simulator, rng):
    net, stim, conn, probe = network(DoubleExp(0.05, 0), {"synapse"})
    train(Simulator, net, stim, probe, rng, epochs=1)
    assert conn.synapse.tau2 == 0
    # Adam's first step moves log(tau1) by RELATIVE_STEP (the step follows the rate)
    assert abs(np.log(conn.synapse.tau1 / 0.05)) == pytest.approx(
        RELATIVE_STEP, rel=1e-4
    )


def test_zero_time_constant_selected_is_an_error(Simulator):
    net, *_ = network(DoubleExp(0.05, 0), {"synapse.tau2"})
    with pytest.raises(TrainableParamsError, match="tau2 of DoubleExp.* it is 0"):
        Simulator(net, progress_bar=False)
    net, *_ = network(DoubleExp(0, 0), {"synapse"})
    with pytest.raises(TrainableParamsError, match="both time constants are 0"):
        Simulator(net, progress_bar=False)


def test_zero_time_constant_skipped_by_a_default(Simulator):
    net, _, conn, _ = network(DoubleExp(0, 0), None)
    with net:
        nengo_dl.configure_settings(trainable_params={"stock", "synapse.tau2"})
    with pytest.warns(TrainableParamsWarning, match="both time constants are 0"):
        with Simulator(net, progress_bar=False) as sim:
            names = [info.name for info in nengo_dl_trainable.parameter_info(sim)]
    assert "synapse.tau2" not in names


def test_untrained_double_exp_is_stock(Simulator):
    """Not selected, a DoubleExp is built by NengoDL as any LinearFilter."""
    net, *_ = network(DoubleExp(0.05, 0.03), None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainableParamsWarning)
        with Simulator(net, progress_bar=False) as sim:
            assert nengo_dl_trainable.parameter_info(sim) == []


@pytest.mark.training
def test_equal_time_constants_stay_equal_and_warn(Simulator, rng):
    """Swapping the time constants gives the same filter: no gradient separates them."""
    net, stim, conn, probe = network(DoubleExp(0.02, 0.02), {"synapse"})
    with pytest.warns(TrainableParamsWarning, match="equal time constants"):
        train(Simulator, net, stim, probe, rng, epochs=1)
    assert conn.synapse.tau1 == conn.synapse.tau2
    # the sum trains as log(tau1 + tau2): Adam's first step moves it by the
    # rate times the multiplier (RELATIVE_STEP in all)
    total = conn.synapse.tau1 + conn.synapse.tau2
    assert abs(np.log(total / 0.04)) == pytest.approx(RELATIVE_STEP, rel=1e-4)
