"""``tau_step_scale``: how far one optimizer step moves a synapse time constant."""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import DoubleExp, TrainableParamsError
from nengo_dl_trainable.synapses import TAU_STEP_SCALE
from nengo_dl_trainable.vector_synapses import VectorLowpass

LR = 0.01

# synapse, trainable_params, tau_step_scale on the connection (None: default),
# the step scale expected
CASES = {
    "lowpass default": (nengo.Lowpass(0.01), {"synapse"}, None, TAU_STEP_SCALE),
    "lowpass 5": (nengo.Lowpass(0.01), {"synapse"}, 5, 5),
    "lowpass 40": (nengo.Lowpass(0.01), {"synapse"}, 40, 40),
    "alpha 5": (nengo.Alpha(0.01), {"synapse"}, 5, 5),
    "vector default": (VectorLowpass([0.01, 0.02]), {"synapse"}, None, 1),
    "vector 10": (VectorLowpass([0.01, 0.02]), {"synapse"}, 10, 10),
    "double_exp tau1 5": (DoubleExp(0.01, 0.004), {"synapse.tau1"}, 5, 5),
}


def step_network(rng):
    """One connection per case, side by side in one network (so that NengoDL
    could merge their operators), each fitting a slower filter of white noise."""
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=set())
        stim = nengo.Node(np.zeros(2))
        conns, probes, targets = {}, {}, {}
        for name, (synapse, names, scale, _) in CASES.items():
            out = nengo.Node(size_in=2)
            conns[name] = nengo.Connection(stim, out, synapse=synapse)
            net.config[conns[name]].trainable_params = names
            if scale is not None:
                net.config[conns[name]].tau_step_scale = scale
            probes[name] = nengo.Probe(out)
            target = nengo.Node(size_in=2)
            nengo.Connection(stim, target, synapse=nengo.Lowpass(0.05))
            targets[name] = nengo.Probe(target)
    x = rng.standard_normal((4, 100, 2))
    return net, stim, conns, probes, targets, x


def time_constants(sim, conn):
    synapse = sim.get_nengo_params(conn)["synapse"]
    if isinstance(synapse, DoubleExp):
        return np.array([synapse.tau1])
    return np.atleast_1d(np.asarray(synapse.tau, dtype=np.float64))


def test_one_adam_step_moves_tau_by_step_scale_times_lr(rng):
    """Adam's first step is ``lr`` in each trained value (``m / sqrt(v) = +-1``),
    so it moves ``log(tau)`` by ``step_scale * lr``."""
    net, stim, conns, probes, targets, x = step_network(rng)
    with nengo_dl.Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        target = sim.predict({stim: x})
        before = {name: time_constants(sim, conn) for name, conn in conns.items()}
        sim.compile(optimizer=tf.optimizers.Adam(LR), loss="mse")
        sim.fit(
            {stim: x},
            {probes[n]: target[targets[n]] for n in CASES},
            epochs=1,
            verbose=0,
        )
        after = {name: time_constants(sim, conn) for name, conn in conns.items()}
    for name, (synapse, _, _, expected_scale) in CASES.items():
        original = getattr(synapse, "tau", None)
        if isinstance(synapse, DoubleExp):
            original = synapse.tau1
        # untrained, the time constants are the original ones
        assert np.allclose(before[name], original, rtol=1e-6), name
        moved = np.abs(np.log(after[name] / before[name]))
        assert moved == pytest.approx(expected_scale * LR, rel=1e-3), name


def test_step_scale_settings_resolve_like_trainable_params():
    with nengo.Network() as net:
        nengo_dl_trainable.configure_settings(trainable_params={"synapse"})
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        outer = nengo.Connection(a, b, synapse=0.01)
        with nengo.Network() as sub:
            nengo_dl_trainable.configure_settings(tau_step_scale=7)
            inner = nengo.Connection(a, b, synapse=0.01)
            own = nengo.Connection(a, b, synapse=0.01)
    sub.config[own].tau_step_scale = 3
    # a later default changes the default only
    with sub:
        nengo_dl_trainable.configure_settings(tau_step_scale=8)
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        scales = {
            conn: sim.model.sig[conn]["synapse.tau"].initial_value[0]
            for conn in (outer, inner, own)
        }
    # theta = log(tau) / scale
    assert scales[outer] == pytest.approx(np.log(0.01) / TAU_STEP_SCALE)
    assert scales[inner] == pytest.approx(np.log(0.01) / 8)
    assert scales[own] == pytest.approx(np.log(0.01) / 3)


@pytest.mark.parametrize("value", [0, -1, np.inf, np.nan, "fast"])
def test_invalid_step_scales_are_refused(value):
    with nengo.Network() as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        a = nengo.Node(np.zeros(1))
        conn = nengo.Connection(a, nengo.Node(size_in=1))
    with pytest.raises(ValidationError):
        net.config[conn].tau_step_scale = value
    with pytest.raises(ValidationError):
        with net:
            nengo_dl_trainable.configure_settings(tau_step_scale=value)


def test_step_scale_on_a_connection_must_apply():
    linear = nengo.LinearFilter([1], [0.01, 1])
    for synapse, names, match in [
        (nengo.Lowpass(0.01), {"weights"}, "none of its synapse's time constants"),
        (nengo.Lowpass(0.01), None, "none of its synapse's time constants"),
        (linear, {"synapse"}, "LinearFilter trains its coefficients"),
    ]:
        with nengo.Network() as net:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            a = nengo.Node(np.zeros(1))
            conn = nengo.Connection(
                a, nengo.Node(size_in=1), synapse=synapse, transform=2
            )
            if names is not None:
                net.config[conn].trainable_params = names
            net.config[conn].tau_step_scale = 5
        with pytest.raises(TrainableParamsError, match=match):
            nengo_dl.Simulator(net, progress_bar=False)


def test_step_scale_default_passes_over_linear_filters():
    with nengo.Network() as net:
        nengo_dl_trainable.configure_settings(
            trainable_params={"synapse"}, tau_step_scale=5
        )
        a = nengo.Node(np.zeros(1))
        nengo.Connection(
            a, nengo.Node(size_in=1), synapse=nengo.LinearFilter([1], [0.01, 1])
        )
        nengo.Connection(
            a, nengo.Node(size_in=1), synapse=nengo.Lowpass(0.01), transform=2
        )
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
    assert sorted(info.name for info in infos) == [
        "synapse.den",
        "synapse.num",
        "synapse.tau",
    ]
