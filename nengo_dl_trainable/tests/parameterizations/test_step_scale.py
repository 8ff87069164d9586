"""``tau_step_scale``: how far one optimizer step moves a time constant."""

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import DoubleExp, PerNeuron, TrainableParamsError
from nengo_dl_trainable.parameterizations.encoding import DEFAULT_STEP_SCALE
from nengo_dl_trainable.synapses import VectorLowpass
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP

LR = 0.01
#: where no tau_step_scale is set, the step follows Adam's rate: one Adam step
#: moves log(tau) by RELATIVE_STEP, a step scale of RELATIVE_STEP / LR
FOLLOWING = RELATIVE_STEP / LR

# synapse, trainable_params, tau_step_scale on the connection (None: default),
# the step scale expected
CASES = {
    "lowpass default": (nengo.Lowpass(0.01), {"synapse"}, None, FOLLOWING),
    "lowpass 5": (nengo.Lowpass(0.01), {"synapse"}, 5, 5),
    "lowpass 40": (nengo.Lowpass(0.01), {"synapse"}, 40, 40),
    "alpha 5": (nengo.Alpha(0.01), {"synapse"}, 5, 5),
    "vector default": (
        VectorLowpass([0.01, 0.02]),
        {"synapse"},
        None,
        FOLLOWING,
    ),
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


@pytest.mark.training
def test_one_adam_step_moves_tau_by_step_scale_times_lr(Simulator, rng):
    """Adam's first step is ``lr`` in each trained value (``m / sqrt(v) = +-1``),
    so it moves ``log(tau)`` by ``step_scale * lr``."""
    net, stim, conns, probes, targets, x = step_network(rng)
    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
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


def test_step_scale_settings_resolve_like_trainable_params(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"synapse"})
        a = nengo.Node(np.zeros(1))
        b = nengo.Node(size_in=1)
        outer = nengo.Connection(a, b, synapse=0.01)
        with nengo.Network(seed=seed) as sub:
            nengo_dl_trainable.configure_settings(tau_step_scale=7)
            inner = nengo.Connection(a, b, synapse=0.01)
            own = nengo.Connection(a, b, synapse=0.01)
    sub.config[own].tau_step_scale = 3
    # a later default changes the default only
    with sub:
        nengo_dl_trainable.configure_settings(tau_step_scale=8)
    with Simulator(net, progress_bar=False) as sim:
        scales = {
            conn: sim.model.sig[conn]["synapse.tau"].initial_value[0]
            for conn in (outer, inner, own)
        }
    # theta = log(tau) / scale
    assert scales[outer] == pytest.approx(np.log(0.01) / DEFAULT_STEP_SCALE)
    assert scales[inner] == pytest.approx(np.log(0.01) / 8)
    assert scales[own] == pytest.approx(np.log(0.01) / 3)


@pytest.mark.parametrize("value", [0, -1, np.inf, np.nan, "fast"])
def test_invalid_step_scales_are_refused(seed, value):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        a = nengo.Node(np.zeros(1))
        conn = nengo.Connection(a, nengo.Node(size_in=1))
    with pytest.raises(ValidationError):
        net.config[conn].tau_step_scale = value
    with pytest.raises(ValidationError):
        with net:
            nengo_dl_trainable.configure_settings(tau_step_scale=value)


def test_step_scale_on_a_connection_must_apply(Simulator, seed):
    linear = nengo.LinearFilter([1], [0.01, 1])
    for synapse, names, match in [
        (nengo.Lowpass(0.01), {"weights"}, "none of its synapse's time constants"),
        (nengo.Lowpass(0.01), None, "none of its synapse's time constants"),
        (
            linear,
            {"synapse"},
            "none of its synapse's time constants .*LinearFilter trains its coeff",
        ),
    ]:
        with nengo.Network(seed=seed) as net:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            a = nengo.Node(np.zeros(1))
            conn = nengo.Connection(
                a, nengo.Node(size_in=1), synapse=synapse, transform=2
            )
            if names is not None:
                net.config[conn].trainable_params = names
            net.config[conn].tau_step_scale = 5
        with pytest.raises(TrainableParamsError, match=match):
            Simulator(net, progress_bar=False)


def test_step_scale_default_passes_over_linear_filters(Simulator, seed):
    with nengo.Network(seed=seed) as net:
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
    with Simulator(net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
    assert sorted(info.name for info in infos) == [
        "synapse.den",
        "synapse.num",
        "synapse.tau",
    ]


# neuron type, tau_step_scale on the ensemble (None: not set), the expected
# step scale of each parameter (the time constants take the ensemble's scale)
NEURON_CASES = {
    "lifrate default": (
        lambda: nengo.LIFRate(),
        None,
        {"tau_rc": FOLLOWING, "tau_ref": FOLLOWING, "amplitude": 1},
    ),
    "lifrate 10": (
        lambda: nengo.LIFRate(),
        10,
        {"tau_rc": 10, "tau_ref": 10, "amplitude": 1},
    ),
    "adaptive 5": (
        lambda: nengo.AdaptiveLIFRate(inc_n=0.1),
        5,
        {"tau_rc": 5, "tau_ref": 5, "tau_n": 5, "inc_n": 1, "amplitude": 1},
    ),
    "regular spiking 10": (
        lambda: nengo.RegularSpiking(nengo.LIFRate()),
        10,
        {
            "amplitude": 1,
            "base_type.tau_rc": 10,
            "base_type.tau_ref": 10,
            "base_type.amplitude": 1,
        },
    ),
    "per neuron 3": (
        lambda: PerNeuron(nengo.LIFRate(), tau_rc=np.linspace(0.01, 0.03, 6)),
        3,
        {"tau_rc": 3, "tau_ref": 3, "amplitude": 1},
    ),
}


@pytest.mark.training
def test_one_adam_step_moves_neuron_time_constants_by_step_scale(Simulator, rng):
    """As for synapses: Adam's first step moves ``log(p)`` by ``scale * lr``, with
    the ensemble's scale for time constants and 1 for the other parameters."""
    n_neurons = 6
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=set())
        stim = nengo.Node(np.zeros(1))
        ensembles, probes = {}, {}
        for name, (neuron_type, scale, _) in NEURON_CASES.items():
            ens = nengo.Ensemble(
                n_neurons,
                1,
                neuron_type=neuron_type(),
                gain=np.full(n_neurons, 2.0),
                bias=np.linspace(1.5, 3, n_neurons),  # every neuron active
                encoders=np.ones((n_neurons, 1)),
            )
            nengo.Connection(stim, ens, synapse=None)
            net.config[ens].trainable_params = {"neuron_type"}
            if scale is not None:
                net.config[ens].tau_step_scale = scale
            ensembles[name] = ens
            probes[name] = nengo.Probe(ens.neurons)
    x = rng.uniform(0, 1, size=(2, 10, 1))

    def values(sim):
        infos = nengo_dl_trainable.parameter_info(sim)
        return {
            (name, info.name[len("neuron_type.") :]): info.value
            for name, ens in ensembles.items()
            for info in infos
            if info.obj is ens
        }

    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        before = values(sim)
        sim.compile(optimizer=tf.optimizers.Adam(LR), loss="mse")
        # rates to 0: every parameter has a gradient
        sim.fit(
            {stim: x},
            {probe: np.zeros((2, 10, n_neurons)) for probe in probes.values()},
            epochs=1,
            verbose=0,
        )
        after = values(sim)
    expected = {
        (name, param): scale
        for name, (_, _, scales) in NEURON_CASES.items()
        for param, scale in scales.items()
    }
    assert sorted(after) == sorted(expected)
    for key, scale in expected.items():
        moved = np.abs(np.log(after[key] / before[key]))
        assert moved == pytest.approx(np.full(moved.shape, scale * LR), rel=1e-3), key


def test_step_scale_on_an_ensemble_must_apply(Simulator, seed):
    for neuron_type, names in [
        (nengo.LIFRate(), {"encoders"}),
        (nengo.LIFRate(), {"neuron_type.amplitude"}),
        (nengo.RectifiedLinear(), {"neuron_type"}),
        (nengo.LIFRate(), None),
    ]:
        with nengo.Network(seed=seed) as net:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            ens = nengo.Ensemble(3, 1, neuron_type=neuron_type)
            if names is not None:
                net.config[ens].trainable_params = names
            net.config[ens].tau_step_scale = 5
        with pytest.raises(TrainableParamsError, match="none of its neuron type's"):
            Simulator(net, progress_bar=False)


def test_step_scale_default_reaches_neurons_and_passes_over_others(Simulator, seed):
    """``configure_settings(tau_step_scale=...)`` is a default for connections
    and ensembles; a class default applies to its class only."""
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(
            trainable_params={"synapse", "neuron_type"}, tau_step_scale=5
        )
        relu = nengo.Ensemble(3, 1, neuron_type=nengo.RectifiedLinear())
        lif = nengo.Ensemble(3, 1, neuron_type=nengo.LIFRate())
        conn = nengo.Connection(relu, lif, synapse=0.01)
        with nengo.Network(seed=seed) as sub:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            sub.config[nengo.Connection].tau_step_scale = 8
            inner = nengo.Ensemble(3, 1, neuron_type=nengo.LIFRate())
            inner_conn = nengo.Connection(lif, inner, synapse=0.01)
    with Simulator(net, progress_bar=False) as sim:
        thetas = {
            key: sim.model.sig[obj][name].initial_value[0]
            for key, obj, name in [
                ("relu", relu.neurons, "neuron_type.amplitude"),
                ("lif", lif.neurons, "neuron_type.tau_rc"),
                ("conn", conn, "synapse.tau"),
                ("inner", inner.neurons, "neuron_type.tau_rc"),
                ("inner_conn", inner_conn, "synapse.tau"),
            ]
        }
    assert thetas["relu"] == pytest.approx(np.log(1.0))
    assert thetas["lif"] == pytest.approx(np.log(0.02) / 5)
    assert thetas["conn"] == pytest.approx(np.log(0.01) / 5)
    assert thetas["inner"] == pytest.approx(np.log(0.02) / 5)
    assert thetas["inner_conn"] == pytest.approx(np.log(0.01) / 8)
