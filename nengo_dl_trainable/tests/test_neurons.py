import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo_dl.builder import NengoBuilder, NengoModel
from nengo_dl.neurons import SoftLIFRate

import nengo_dl_trainable
from nengo_dl_trainable.operators import SimTrainableNeurons

DT = 0.001
N_NEURONS = 8

NEURON_TYPES = {
    "lifrate": lambda: nengo.LIFRate(tau_rc=0.02, tau_ref=0.002),
    "lifrate_amplitude": lambda: nengo.LIFRate(tau_rc=0.03, amplitude=0.5),
    "lif": lambda: nengo.LIF(tau_rc=0.02, tau_ref=0.002),
    "lif_min_voltage": lambda: nengo.LIF(tau_rc=0.01, min_voltage=-1, amplitude=2),
    "softlifrate": lambda: SoftLIFRate(sigma=0.5, tau_rc=0.025),
}


def neuron_net(neuron_type, trainable=("neuron_type",), seed=0):
    """Input node -> ensemble with fixed gains and biases; probe the neurons."""
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(
            N_NEURONS,
            1,
            neuron_type=neuron_type,
            gain=rng.uniform(1, 3, size=N_NEURONS),
            bias=rng.uniform(0.5, 2, size=N_NEURONS),
            encoders=rng.choice([-1, 1], size=(N_NEURONS, 1)),
        )
        nengo.Connection(stim, ens, synapse=None)
        if trainable is not None:
            net.config[ens.neurons].trainable_params = set(trainable)
        probe = nengo.Probe(ens.neurons)
    return net, stim, ens, probe


def inputs(rng, n_steps, batch=None):
    shape = (n_steps, 1) if batch is None else (batch, n_steps, 1)
    return rng.uniform(-1, 1, size=shape)


def run_nengo_dl(net, stim, probe, x, training=False, **sim_kwargs):
    with net:
        nengo_dl.configure_settings(learning_phase=training)
    with nengo_dl.Simulator(net, progress_bar=False, **sim_kwargs) as sim:
        return sim.predict({stim: x})[probe]


def run_core(net, stim, probe, x, model=None):
    stim.output = nengo.processes.PresentInput(x, presentation_time=DT)
    with nengo.Simulator(net, dt=DT, model=model, progress_bar=False) as sim:
        sim.run_steps(x.shape[0])
    return sim.data[probe]


@pytest.mark.parametrize("name", sorted(NEURON_TYPES))
@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("lif_smoothing", [None, 0.1])
@pytest.mark.parametrize(
    "dtype, minibatch_size, unroll", [("float32", 1, 1), ("float64", 3, 4)]
)
def test_untrained_matches_stock_nengo_dl(
    name, training, lif_smoothing, dtype, minibatch_size, unroll, rng, allclose
):
    x = inputs(rng, 40, batch=minibatch_size)
    outputs = {}
    for trainable in (("neuron_type",), None):
        net, stim, _, probe = neuron_net(NEURON_TYPES[name](), trainable=trainable)
        with net:
            nengo_dl.configure_settings(dtype=dtype, lif_smoothing=lif_smoothing)
        outputs[trainable] = run_nengo_dl(
            net,
            stim,
            probe,
            x,
            training=training,
            minibatch_size=minibatch_size,
            unroll_simulation=unroll,
        )
    assert np.abs(outputs[None]).max() > 1  # the neurons are active
    atol = 1e-4 if dtype == "float32" else 1e-9
    assert allclose(outputs[("neuron_type",)], outputs[None], atol=atol, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(NEURON_TYPES))
def test_untrained_matches_core_nengo(name, rng, allclose):
    x = inputs(rng, 60)
    net, stim, _, probe = neuron_net(NEURON_TYPES[name]())
    with net:
        nengo_dl.configure_settings(dtype="float64")
    ours = run_nengo_dl(net, stim, probe, x[None])[0]
    net, stim, _, probe = neuron_net(NEURON_TYPES[name](), trainable=None)
    core = run_core(net, stim, probe, x)
    assert allclose(ours, core, atol=1e-8)


@pytest.mark.parametrize("name", sorted(NEURON_TYPES))
def test_operator_in_reference_simulator(name, rng, allclose):
    x = inputs(rng, 60)
    net, stim, _, probe = neuron_net(NEURON_TYPES[name]())
    model = NengoModel(dt=DT, builder=NengoBuilder(), fail_fast=False)
    ours = run_core(net, stim, probe, x, model=model)
    assert any(isinstance(op, SimTrainableNeurons) for op in model.operators)
    net, stim, _, probe = neuron_net(NEURON_TYPES[name](), trainable=None)
    assert allclose(ours, run_core(net, stim, probe, x), atol=1e-12)


def core_rate_loss(neuron_type, x, target):
    net, stim, _, probe = neuron_net(neuron_type, trainable=None)
    return np.mean((run_core(net, stim, probe, x) - target) ** 2)


@pytest.mark.parametrize(
    "name, param",
    [
        ("lifrate", "tau_rc"),
        ("lifrate", "tau_ref"),
        ("lifrate_amplitude", "amplitude"),
        ("softlifrate", "tau_rc"),
        ("softlifrate", "sigma"),
    ],
)
def test_gradients_match_core_nengo_finite_differences(name, param, rng):
    n_steps, lr = 20, 1e-6
    x = inputs(rng, n_steps)
    neuron_type = NEURON_TYPES[name]()
    net, stim, ens, probe = neuron_net(neuron_type, trainable=(f"neuron_type.{param}",))
    target = rng.uniform(0, 200, size=(n_steps, N_NEURONS))
    with net:
        nengo_dl.configure_settings(dtype="float64")
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x[None]}, {probe: target[None]}, epochs=1, verbose=0)
        signal = sim.model.sig[ens.neurons][f"neuron_type.{param}"]
        after = sim.tensor_graph.get_tensor(signal).numpy()[0]
    before = np.log(getattr(neuron_type, param))
    gradient = (before - after) / lr

    eps = 1e-6
    losses = []
    for sign in (1, -1):
        kwargs = {param: float(np.exp(before + sign * eps))}
        shifted = nengo_dl_trainable.neurons.NeuronParameterization(
            neuron_type
        ).to_neuron_type({k: np.log([v]) for k, v in kwargs.items()})
        losses.append(core_rate_loss(shifted, x, target))
    numeric = (losses[0] - losses[1]) / (2 * eps)
    assert abs(numeric) > 1e-3
    assert gradient == pytest.approx(numeric, rel=1e-4)


@pytest.mark.parametrize(
    "param, true_value, start",
    [("tau_rc", 0.03, 0.01), ("tau_ref", 0.004, 0.0015)],
)
def test_system_identification(param, true_value, start, rng):
    """Rates generated by core Nengo with a known parameter; fit from a wrong one."""
    n_steps, batch = 50, 4
    x = inputs(rng, n_steps, batch=batch)
    net, stim, _, probe = neuron_net(nengo.LIFRate(**{param: true_value}), None)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    net, stim, ens, probe = neuron_net(
        nengo.LIFRate(**{param: start}), trainable=(f"neuron_type.{param}",)
    )
    with nengo_dl.Simulator(net, minibatch_size=batch, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.1), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=200, verbose=0)
        learned = sim.get_nengo_params(ens)["neuron_type"]
    # tolerance: 1% of the true value
    assert getattr(learned, param) == pytest.approx(true_value, rel=0.01)


def test_tau_rc_trains_while_tau_ref_stays(rng):
    x = inputs(rng, 30, batch=2)
    net, stim, ens, probe = neuron_net(
        nengo.LIFRate(), trainable=("bias", "neuron_type.tau_rc")
    )
    with nengo_dl.Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        bias_before = np.array(sim.data[ens].bias)
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit(
            {stim: x}, {probe: np.full((2, 30, N_NEURONS), 50.0)}, epochs=5, verbose=0
        )
        learned = sim.get_nengo_params(ens)["neuron_type"]
        bias_after = np.array(sim.data[ens].bias)
    assert learned.tau_rc != pytest.approx(0.02, rel=1e-3)
    assert learned.tau_ref == 0.002
    assert learned.amplitude == 1
    assert not np.allclose(bias_before, bias_after)


@pytest.mark.parametrize("name", ["lif", "lifrate", "softlifrate"])
def test_freeze_runs_in_core_nengo(name, rng, allclose):
    """Train in rate mode; the frozen network matches NengoDL's inference output."""
    x = inputs(rng, 60)
    net, stim, ens, probe = neuron_net(NEURON_TYPES[name]())
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.1), loss="mse")
        sim.fit(
            {stim: x[None]},
            {probe: np.full((1, 60, N_NEURONS), 30.0)},
            epochs=10,
            verbose=0,
        )
        trained = sim.predict({stim: x[None]})[probe][0]
        sim.freeze_params(net)
    assert type(ens.neuron_type) is type(NEURON_TYPES[name]())
    assert ens.neuron_type.tau_rc != NEURON_TYPES[name]().tau_rc
    core = run_core(net, stim, probe, x)
    assert allclose(core, trained, atol=1e-3, rtol=1e-4)


def test_spiking_training_uses_rate_gradient(rng):
    """A LIF ensemble trains tau_rc through the rate approximation."""
    x = inputs(rng, 30)
    net, stim, ens, probe = neuron_net(nengo.LIF(), trainable=("neuron_type.tau_rc",))
    with nengo_dl.Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(1e-6), loss="mse")
        history = sim.fit(
            {stim: x[None]},
            {probe: np.full((1, 30, N_NEURONS), 10.0)},
            epochs=3,
            verbose=0,
        )
        tau_rc = sim.get_nengo_params(ens)["neuron_type"].tau_rc
    assert np.all(np.isfinite(history.history["loss"]))
    # the rates are too high for the target, so tau_rc grows
    assert tau_rc > 0.02
