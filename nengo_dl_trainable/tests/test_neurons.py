import pickle

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.dists import Choice
from nengo.exceptions import ValidationError
from nengo_dl.builder import NengoBuilder, NengoModel
from nengo_dl.neurons import LeakyReLU, SoftLIFRate, SpikingLeakyReLU

import nengo_dl_trainable
from nengo_dl_trainable.builder.operators import SimTrainableNeurons
from nengo_dl_trainable.neurons import PerNeuron
from nengo_dl_trainable.parameterizations.neurons import NeuronParameterization
from nengo_dl_trainable.tests.utils import run_core
from nengo_dl_trainable.tools.optimizer_step import RELATIVE_STEP

DT = 0.001
N_NEURONS = 8
SPREAD = np.linspace(0.6, 1.4, N_NEURONS)  # per-neuron factors

NEURON_TYPES = {
    "relu": lambda: nengo.RectifiedLinear(amplitude=0.5),
    "spiking_relu": lambda: nengo.SpikingRectifiedLinear(amplitude=2),
    "leaky_relu": lambda: LeakyReLU(negative_slope=0.2, amplitude=0.7),
    "spiking_leaky_relu": lambda: SpikingLeakyReLU(negative_slope=0.2, amplitude=1.5),
    "sigmoid": lambda: nengo.Sigmoid(tau_ref=0.004),
    "tanh": lambda: nengo.Tanh(tau_ref=0.004),
    "lifrate": lambda: nengo.LIFRate(tau_rc=0.02, tau_ref=0.002),
    "lifrate_amplitude": lambda: nengo.LIFRate(tau_rc=0.03, amplitude=0.5),
    "lif": lambda: nengo.LIF(tau_rc=0.02, tau_ref=0.002),
    "lif_min_voltage": lambda: nengo.LIF(tau_rc=0.01, min_voltage=-1, amplitude=2),
    "softlifrate": lambda: SoftLIFRate(sigma=0.5, tau_rc=0.025),
    "adaptive_lifrate": lambda: nengo.AdaptiveLIFRate(tau_n=0.05, inc_n=0.02),
    "adaptive_lif": lambda: nengo.AdaptiveLIF(tau_n=0.05, inc_n=0.02),
    "regular_spiking": lambda: nengo.RegularSpiking(
        nengo.LIFRate(tau_rc=0.03), amplitude=0.5
    ),
    "per_neuron_lifrate": lambda: PerNeuron(
        nengo.LIFRate(), tau_rc=0.02 * SPREAD, tau_ref=0.002 * SPREAD[::-1]
    ),
    "per_neuron_lif": lambda: PerNeuron(nengo.LIF(), tau_rc=0.02 * SPREAD),
    "per_neuron_adaptive_lif": lambda: PerNeuron(
        nengo.AdaptiveLIF(inc_n=0.02), tau_n=0.05 * SPREAD, amplitude=SPREAD
    ),
    "per_neuron_leaky_relu": lambda: PerNeuron(LeakyReLU(), negative_slope=SPREAD - 1),
    "per_neuron_tanh": lambda: PerNeuron(nengo.Tanh(), tau_ref=0.004 * SPREAD),
    "regular_spiking_per_neuron": lambda: nengo.RegularSpiking(
        PerNeuron(nengo.LIFRate(), tau_rc=0.02 * SPREAD)
    ),
}
# random spikes: stock and trainable agree in training mode (the rates) only
STOCHASTIC_TYPES = {
    "stochastic_spiking": lambda: nengo.StochasticSpiking(nengo.LIFRate()),
    "poisson_spiking": lambda: nengo.PoissonSpiking(nengo.LIFRate(), amplitude=0.5),
}


def neuron_net(
    neuron_type,
    trainable=("neuron_type",),
    seed=0,
    step_scale=None,
    spiking_aware=False,
):
    """Input node -> ensemble with fixed gains and biases; probe the neurons.

    ``step_scale``: the ensemble's ``tau_step_scale`` (None: not set).
    ``spiking_aware``: its ``spiking_aware_training`` (these tests compare with
    NengoDL's rate-mode training unless they say otherwise; None: not set).
    """
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
        if step_scale is not None:
            net.config[ens].tau_step_scale = step_scale
        if spiking_aware is not None:
            net.config[ens].spiking_aware_training = spiking_aware
        probe = nengo.Probe(ens.neurons)
    return net, stim, ens, probe


def inputs(rng, n_steps, batch=None):
    shape = (n_steps, 1) if batch is None else (batch, n_steps, 1)
    return rng.uniform(-1, 1, size=shape)


def run_nengo_dl(Simulator, net, stim, probe, x, training=False, **sim_kwargs):
    with net:
        nengo_dl.configure_settings(learning_phase=training)
    with Simulator(net, progress_bar=False, **sim_kwargs) as sim:
        return sim.predict({stim: x})[probe]


@pytest.mark.parametrize(
    "name, training, lif_smoothing",
    [(name, training, None) for name in NEURON_TYPES for training in (False, True)]
    # lif_smoothing changes only the training-mode rates of spiking LIF types
    # (stock NengoDL has no training-mode rates for AdaptiveLIF to compare with)
    + [(name, True, 0.1) for name in ("lif", "per_neuron_lif")],
)
@pytest.mark.parametrize(
    "dtype, minibatch_size, unroll", [("float32", 1, 1), ("float64", 3, 4)]
)
def test_untrained_matches_stock_nengo_dl(
    Simulator,
    name,
    training,
    lif_smoothing,
    dtype,
    minibatch_size,
    unroll,
    rng,
    allclose,
):
    """Selected but untrained parameters change nothing.

    For the adaptive types the reference is stock NengoDL's numpy fallback, which
    tests our native builders; it runs AdaptiveLIF spiking in training mode too, so
    there the reference is its rate counterpart, AdaptiveLIFRate (NengoDL's LIF
    rate approximation without ``lif_smoothing`` is LIFRate).

    For `PerNeuron` types, which stock NengoDL cannot run, the reference is the
    same type with no parameter selected (held as plain values);
    `test_uniform_per_neuron_equals_stock_nengo_dl` ties those to stock NengoDL.
    """
    x = inputs(rng, 40, batch=minibatch_size)
    outputs = {}
    for trainable in (("neuron_type",), None):
        neuron_type = NEURON_TYPES[name]()
        if name == "adaptive_lif" and training and trainable is None:
            neuron_type = nengo.AdaptiveLIFRate(tau_n=0.05, inc_n=0.02)
        net, stim, _, probe = neuron_net(neuron_type, trainable=trainable)
        with net:
            nengo_dl.configure_settings(dtype=dtype, lif_smoothing=lif_smoothing)
        outputs[trainable] = run_nengo_dl(
            Simulator,
            net,
            stim,
            probe,
            x,
            training=training,
            minibatch_size=minibatch_size,
            unroll_simulation=unroll,
        )
    assert np.abs(outputs[None]).max() > 1  # the neurons are active
    tolerance = {"atol": 1e-4, "rtol": 1e-5} if dtype == "float32" else {"atol": 1e-9}
    if dtype == "float32" and name.startswith("adaptive"):
        # our TensorFlow builder against stock NengoDL's numpy fallback: float32
        # rates just above threshold are ill-conditioned (log1p(1 / j), j ~ 0)
        tolerance["rtol"] = 1e-3
    assert allclose(outputs[("neuron_type",)], outputs[None], **tolerance)


@pytest.mark.parametrize("name", sorted(NEURON_TYPES))
def test_untrained_matches_core_nengo(Simulator, name, rng, allclose):
    x = inputs(rng, 60)
    net, stim, _, probe = neuron_net(NEURON_TYPES[name]())
    with net:
        nengo_dl.configure_settings(dtype="float64")
    ours = run_nengo_dl(Simulator, net, stim, probe, x[None])[0]
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
    # the same float64 elementwise neuron maths on outputs up to 1 / dt = 1000:
    # ulps of the largest value, so relative as well as absolute (numpy may
    # take SIMD or scalar paths for log/exp, a few ulps apart)
    assert allclose(ours, run_core(net, stim, probe, x), atol=1e-12, rtol=1e-12)


def core_rate_loss(neuron_type, x, target):
    net, stim, _, probe = neuron_net(neuron_type, trainable=None)
    return np.mean((run_core(net, stim, probe, x) - target) ** 2)


def get_attribute(neuron_type, path):
    """The value of a dotted parameter name, per neuron for `PerNeuron`."""
    *parents, name = path.split(".")
    for parent in parents:
        neuron_type = getattr(neuron_type, parent)
    if isinstance(neuron_type, PerNeuron):
        return neuron_type.parameter(name, N_NEURONS)
    return getattr(neuron_type, name)


def shifted(neuron_type, param, delta, neuron=None, step_scale=None):
    """``neuron_type`` with the trained value of ``param`` moved by ``delta``."""
    parameterization = NeuronParameterization(
        neuron_type, N_NEURONS, (param,), step_scale
    )
    value = parameterization.initial_values()[param].copy()
    if neuron is None:
        value += delta
    else:
        value[neuron] += delta
    return parameterization.to_neuron_type({param: value})


@pytest.mark.training
@pytest.mark.parametrize(
    "name, param, step_scale",
    [
        ("relu", "amplitude", None),
        ("leaky_relu", "amplitude", None),
        ("leaky_relu", "negative_slope", None),
        ("sigmoid", "tau_ref", None),
        ("tanh", "tau_ref", None),
        ("lifrate", "tau_rc", None),
        ("lifrate", "tau_ref", None),
        ("lifrate_amplitude", "amplitude", None),
        ("softlifrate", "tau_rc", None),
        ("softlifrate", "sigma", None),
        ("adaptive_lifrate", "tau_rc", None),
        ("adaptive_lifrate", "tau_n", None),
        ("adaptive_lifrate", "inc_n", None),
        ("per_neuron_lifrate", "tau_rc", None),
        ("per_neuron_lifrate", "tau_ref", None),
        ("per_neuron_leaky_relu", "negative_slope", None),
        ("per_neuron_tanh", "tau_ref", None),
        # theta = log(tau) / tau_step_scale
        ("lifrate", "tau_rc", 7),
        ("adaptive_lifrate", "tau_n", 7),
        ("per_neuron_lifrate", "tau_ref", 7),
        # the scale leaves parameters that are not time constants alone
        ("lifrate_amplitude", "amplitude", 7),
    ],
)
def test_gradients_match_core_nengo_finite_differences(
    Simulator, name, param, step_scale, rng
):
    """The gradient NengoDL applies equals core Nengo's finite differences."""
    n_steps, lr = 20, 1e-6
    x = inputs(rng, n_steps)
    neuron_type = NEURON_TYPES[name]()
    per_neuron = isinstance(neuron_type, PerNeuron)
    trainable = (f"neuron_type.{param}",)
    if param == "amplitude" and step_scale is not None:
        # the scale must apply to some trained time constant
        trainable += ("neuron_type.tau_rc",)
    net, stim, ens, probe = neuron_net(neuron_type, trainable, step_scale=step_scale)
    scale = 1 if name in ("relu", "leaky_relu", "per_neuron_leaky_relu") else 200
    target = rng.uniform(0, scale, size=(n_steps, N_NEURONS))
    with net:
        nengo_dl.configure_settings(dtype="float64")
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x[None]}, {probe: target[None]}, epochs=1, verbose=0)
        signal = sim.model.sig[ens.neurons][f"neuron_type.{param}"]
        after = sim.tensor_graph.get_tensor(signal).numpy()
    before = signal.initial_value
    gradients = (before - after) / lr
    assert gradients.shape == ((N_NEURONS,) if per_neuron else (1,))

    eps = 1e-6
    for neuron in (2, 5) if per_neuron else (None,):
        losses = [
            core_rate_loss(
                shifted(neuron_type, param, sign * eps, neuron, step_scale), x, target
            )
            for sign in (1, -1)
        ]
        numeric = (losses[0] - losses[1]) / (2 * eps)
        assert abs(numeric) > 1e-6
        assert gradients[neuron or 0] == pytest.approx(numeric, rel=1e-4)


@pytest.mark.training
@pytest.mark.parametrize(
    "param, true_value, start",
    [("tau_rc", 0.03, 0.01), ("tau_ref", 0.004, 0.0015)],
)
def test_system_identification(Simulator, param, true_value, start, rng):
    """Rates generated by core Nengo with a known parameter; fit from a wrong one."""
    n_steps, batch = 50, 4
    x = inputs(rng, n_steps, batch=batch)
    net, stim, _, probe = neuron_net(nengo.LIFRate(**{param: true_value}), None)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    # system identification, one parameter: the step the user guide's rule
    # gives (set, so that it does not follow the rate), as measured
    net, stim, ens, probe = neuron_net(
        nengo.LIFRate(**{param: start}),
        trainable=(f"neuron_type.{param}",),
        step_scale=1,
    )
    with Simulator(net, minibatch_size=batch, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.1), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=200, verbose=0)
        learned = sim.get_nengo_params(ens)["neuron_type"]
    # tolerance: 1% of the true value
    assert getattr(learned, param) == pytest.approx(true_value, rel=0.01)


@pytest.mark.training
def test_step_scale_is_adam_at_a_scaled_rate(Simulator, rng):
    """Adam at rate lr / 10 with ``tau_step_scale = 10`` takes the path of Adam at
    lr with the scale 1, when the time constant trains alone; at lr / 10 with
    the scale 1 it is still far from the true value. Where no scale is set, the
    step follows the rate: Adam at lr and at lr / 10 take the same path."""
    n_steps, batch, true_value = 50, 4, 0.03
    x = inputs(rng, n_steps, batch=batch)
    net, stim, _, probe = neuron_net(nengo.LIFRate(tau_rc=true_value), None)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    paths = {}
    for lr, step_scale in [(0.1, 1), (0.01, 10), (0.01, 1), (0.1, None), (0.01, None)]:
        net, stim, ens, probe = neuron_net(
            nengo.LIFRate(tau_rc=0.01), ("neuron_type.tau_rc",), step_scale=step_scale
        )
        net.config[ens].trainable_params = set()  # encoders fixed
        with Simulator(net, minibatch_size=batch, progress_bar=False) as sim:
            sim.compile(optimizer=tf.optimizers.Adam(lr), loss="mse")
            path = []
            for _ in range(4):
                sim.fit({stim: x}, {probe: y}, epochs=25, verbose=0)
                path.append(sim.get_nengo_params(ens)["neuron_type"].tau_rc)
        paths[lr, step_scale] = np.array(path)
    assert paths[0.01, 10] == pytest.approx(paths[0.1, 1], rel=1e-4)
    assert paths[0.01, 10][-1] == pytest.approx(true_value, rel=0.01)
    assert paths[0.01, 1][-1] < 0.9 * true_value
    # float32 rounding of each multiplied step: relative 2.4e-5 per step at
    # 0.01 (see test_optimizer_step.step_rtol), over 100 steps
    assert paths[0.01, None] == pytest.approx(paths[0.1, None], rel=1e-3)
    assert paths[0.1, None][-1] == pytest.approx(true_value, rel=0.01)


@pytest.mark.training
def test_tau_rc_trains_while_tau_ref_stays(Simulator, rng):
    x = inputs(rng, 30, batch=2)
    net, stim, ens, probe = neuron_net(
        nengo.LIFRate(), trainable=("bias", "neuron_type.tau_rc")
    )
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        bias_before = np.array(sim.data[ens].bias)
        sim.compile(optimizer=tf.optimizers.Adam(0.05, epsilon=1e-12), loss="mse")
        sim.fit(
            {stim: x}, {probe: np.full((2, 30, N_NEURONS), 50.0)}, epochs=1, verbose=0
        )
        learned = sim.get_nengo_params(ens)["neuron_type"]
        bias_after = np.array(sim.data[ens].bias)
    # Adam's first step (epsilon negligible): each bias by the rate, log(tau_rc)
    # by the rate times the multiplier that makes it follow the rate
    assert abs(np.log(learned.tau_rc / 0.02)) == pytest.approx(RELATIVE_STEP, rel=1e-4)
    assert learned.tau_ref == 0.002
    assert learned.amplitude == 1
    assert np.abs(bias_after - bias_before) == pytest.approx(0.05, rel=1e-4)


@pytest.mark.training
@pytest.mark.parametrize("name", ["lif", "lifrate", "softlifrate"])
def test_freeze_runs_in_core_nengo(Simulator, name, rng, allclose):
    """Train in rate mode; the frozen network matches NengoDL's inference output."""
    x = inputs(rng, 60)
    net, stim, ens, probe = neuron_net(NEURON_TYPES[name]())
    with Simulator(net, progress_bar=False) as sim:
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


@pytest.mark.training
def test_spiking_training_uses_rate_gradient(Simulator, rng):
    """A LIF ensemble trains tau_rc through the rate approximation."""
    x = inputs(rng, 30)
    net, stim, ens, probe = neuron_net(nengo.LIF(), trainable=("neuron_type.tau_rc",))
    with Simulator(net, progress_bar=False) as sim:
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


@pytest.mark.parametrize("name", sorted(STOCHASTIC_TYPES))
@pytest.mark.parametrize("training", [False, True])
def test_untrained_stochastic_types_match_stock_nengo_dl(
    Simulator, name, training, rng, allclose
):
    x = inputs(rng, 40, batch=2)
    outputs = {}
    for trainable in (("neuron_type",), None):
        net, stim, _, probe = neuron_net(STOCHASTIC_TYPES[name](), trainable=trainable)
        outputs[trainable] = run_nengo_dl(
            Simulator, net, stim, probe, x, training=training, minibatch_size=2, seed=3
        )
    assert np.abs(outputs[None]).max() > 1
    assert allclose(outputs[("neuron_type",)], outputs[None], atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(
    "base_type, values",
    [
        (nengo.LIFRate(), {"tau_rc": 0.02 * SPREAD, "tau_ref": 0.002 * SPREAD[::-1]}),
        (nengo.LIF(initial_state={"voltage": Choice([0])}), {"tau_rc": 0.02 * SPREAD}),
        (
            nengo.AdaptiveLIF(inc_n=0.02, initial_state={"voltage": Choice([0])}),
            {"tau_n": 0.05 * SPREAD, "amplitude": SPREAD},
        ),
    ],
)
def test_per_neuron_matches_one_ensemble_per_neuron(base_type, values, rng, allclose):
    """Core Nengo: a PerNeuron ensemble equals one single-neuron ensemble per neuron."""
    x = inputs(rng, 80)
    net, stim, ens, probe = neuron_net(PerNeuron(base_type, **values), trainable=None)
    heterogeneous = run_core(net, stim, probe, x)

    neuron_type = ens.neuron_type
    with nengo.Network(seed=0) as separate:
        stim2 = nengo.Node(nengo.processes.PresentInput(x, presentation_time=DT))
        probes = []
        for i in range(N_NEURONS):
            values = {
                name: neuron_type.parameter(name, N_NEURONS)[i]
                for name, _ in neuron_type.per_neuron_values
            }
            single = nengo.Ensemble(
                1,
                1,
                neuron_type=nengo_dl_trainable.neurons.copy_neuron_type(
                    neuron_type.base_type, **values
                ),
                gain=ens.gain[i : i + 1],
                bias=ens.bias[i : i + 1],
                encoders=ens.encoders[i : i + 1],
            )
            nengo.Connection(stim2, single, synapse=None)
            probes.append(nengo.Probe(single.neurons))
    with nengo.Simulator(separate, dt=DT, progress_bar=False) as sim:
        sim.run_steps(x.shape[0])
    reference = np.hstack([sim.data[p] for p in probes])
    assert np.abs(reference).max() > 1
    # as above: one ensemble against single-neuron ones (other array lengths,
    # so possibly other SIMD paths), outputs up to 1000
    assert allclose(heterogeneous, reference, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("name", ["lifrate", "lif", "adaptive_lif", "leaky_relu"])
def test_uniform_per_neuron_equals_stock_nengo_dl(Simulator, name, rng, allclose):
    x = inputs(rng, 40, batch=2)
    stock_type = NEURON_TYPES[name]()
    names = nengo_dl_trainable.parameterizations.neurons.trainable_parameters(
        stock_type
    )
    uniform = PerNeuron(
        stock_type, **{n: np.full(N_NEURONS, getattr(stock_type, n)) for n in names}
    )
    outputs = []
    for neuron_type in (stock_type, uniform):
        net, stim, _, probe = neuron_net(neuron_type, trainable=None)
        outputs.append(run_nengo_dl(Simulator, net, stim, probe, x, minibatch_size=2))
    assert np.abs(outputs[0]).max() > 1
    assert allclose(outputs[1], outputs[0], atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize(
    "change, match",
    [
        ({"per_neuron_values": (("tau_rc", (0.01, -0.02)),)}, "tau_rc"),
        ({"per_neuron_values": (("sigma", (1.0,)),)}, "no per-neuron parameter"),
        ({"base_type": nengo.Izhikevich()}, "PerNeuron supports"),
    ],
)
def test_per_neuron_validates_when_unpickled(change, match):
    """Values are validated as Nengo parameters: when unpickled, as when made."""
    state = PerNeuron(nengo.LIF(), tau_rc=[0.01, 0.02]).__getstate__()
    restored = PerNeuron.__new__(PerNeuron)
    restored.__setstate__(dict(state))  # the valid state restores
    assert restored.parameter("tau_rc", 2).tolist() == [0.01, 0.02]
    with pytest.raises(ValidationError, match=match):
        PerNeuron.__new__(PerNeuron).__setstate__({**state, **change})


def test_per_neuron_type_validation():
    with pytest.raises(ValidationError, match="no per-neuron parameter 'sigma'"):
        PerNeuron(nengo.LIF(), sigma=[1.0])
    with pytest.raises(ValidationError, match="tau_rc"):
        PerNeuron(nengo.LIF(), tau_rc=[0.02, -0.01])
    with pytest.raises(ValidationError, match="finite scalar or vector"):
        PerNeuron(nengo.LIF(), tau_rc=[[0.02]])
    with pytest.raises(ValidationError, match="PerNeuron supports"):
        PerNeuron(nengo.RegularSpiking(nengo.LIFRate()))
    a = PerNeuron(nengo.LIF(), tau_rc=[0.01, 0.02])
    assert a == PerNeuron(nengo.LIF(), tau_rc=np.array([0.01, 0.02]))
    assert a != PerNeuron(nengo.LIF(), tau_rc=[0.01, 0.03])
    assert hash(a) == hash(PerNeuron(nengo.LIF(), tau_rc=[0.01, 0.02]))
    assert a.spiking and a.probeable == nengo.LIF().probeable


def test_per_neuron_tuning_matches_base_type(rng, allclose):
    """gain_bias, max_rates_intercepts and rates use each neuron's own values."""
    taus = np.array([0.01, 0.02, 0.02, 0.05])
    per_neuron = PerNeuron(nengo.LIFRate(), tau_rc=taus)
    max_rates, intercepts = rng.uniform(100, 200, 4), rng.uniform(-0.5, 0.5, 4)
    gain, bias = per_neuron.gain_bias(max_rates, intercepts)
    x = np.linspace(-1, 1, 7)
    rates = per_neuron.rates(x, gain, bias)
    for i, tau in enumerate(taus):
        single = nengo.LIFRate(tau_rc=tau)
        g, b = single.gain_bias(max_rates[i : i + 1], intercepts[i : i + 1])
        assert allclose([gain[i], bias[i]], [g[0], b[0]])
        assert allclose(rates[:, i], single.rates(x, g, b)[:, 0])
    max_rates_intercepts = per_neuron.max_rates_intercepts(gain, bias)
    assert allclose(max_rates_intercepts, (max_rates, intercepts))


@pytest.mark.training
def test_tau_ref_zero_stays_fixed_while_tau_rc_trains(Simulator, rng):
    x = inputs(rng, 30)
    net, stim, ens, probe = neuron_net(
        nengo.LIFRate(tau_ref=0), trainable=("neuron_type.tau_rc",)
    )
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05, epsilon=1e-12), loss="mse")
        sim.fit({stim: x[None]}, {probe: np.full((1, 30, N_NEURONS), 50.0)}, verbose=0)
        learned = sim.get_nengo_params(ens)["neuron_type"]
    assert learned.tau_ref == 0
    # Adam's first step (epsilon negligible): log(tau_rc) moves by RELATIVE_STEP
    assert abs(np.log(learned.tau_rc / 0.02)) == pytest.approx(RELATIVE_STEP, rel=1e-4)


@pytest.mark.training
def test_adaptation_trains_in_spiking_adaptive_lif(Simulator, rng):
    """In training mode adaptation evolves with the rate, so tau_n gets a gradient."""
    x = inputs(rng, 60)
    net, stim, ens, probe = neuron_net(
        nengo.AdaptiveLIF(tau_n=0.05, inc_n=0.05), trainable=("neuron_type.tau_n",)
    )
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(1e-7), loss="mse")
        sim.fit({stim: x[None]}, {probe: np.full((1, 60, N_NEURONS), 300.0)}, verbose=0)
        tau_n = sim.get_nengo_params(ens)["neuron_type"].tau_n
    # too little activity for the target: weaker adaptation (larger tau_n) helps
    assert tau_n > 0.05 * (1 + 1e-6)


@pytest.mark.training
def test_adaptive_system_identification(Simulator, rng):
    """Recover tau_n of AdaptiveLIFRate from rates generated by core Nengo."""
    n_steps, batch, true_value = 100, 4, 0.04
    x = inputs(rng, n_steps, batch=batch)
    make = lambda tau_n: nengo.AdaptiveLIFRate(tau_n=tau_n, inc_n=0.05)  # noqa: E731
    net, stim, _, probe = neuron_net(make(true_value), None)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])
    net, stim, ens, probe = neuron_net(make(0.15), trainable=("neuron_type.tau_n",))
    with Simulator(net, minibatch_size=batch, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=150, verbose=0)
        learned = sim.get_nengo_params(ens)["neuron_type"]
    assert learned.tau_n == pytest.approx(true_value, rel=0.01)


@pytest.mark.training
def test_per_neuron_learning_and_freezing(Simulator, rng, allclose):
    """Each neuron recovers its own tau_rc; the frozen model runs in core Nengo."""
    n_steps, batch = 50, 4
    x = inputs(rng, n_steps, batch=batch)
    true_taus = 0.02 * SPREAD
    net, stim, _, probe = neuron_net(PerNeuron(nengo.LIFRate(), tau_rc=true_taus), None)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    start = PerNeuron(nengo.LIFRate(), tau_rc=np.full(N_NEURONS, 0.02))
    # system identification: the step set (it does not follow the rate), as
    # measured
    net, stim, ens, probe = neuron_net(
        start, trainable=("neuron_type.tau_rc",), step_scale=1
    )
    with Simulator(net, minibatch_size=batch, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        # the least active neurons converge slowest (measured: 1% after 400 epochs)
        sim.fit({stim: x}, {probe: y}, epochs=400, verbose=0)
        trained = sim.predict({stim: x})[probe]
        sim.freeze_params(net)
    learned = ens.neuron_type
    assert isinstance(learned, PerNeuron)
    assert allclose(learned.parameter("tau_rc", N_NEURONS), true_taus, rtol=0.015)
    assert learned.parameter("tau_ref", N_NEURONS) == pytest.approx(0.002)
    core = np.stack([run_core(net, stim, probe, xi) for xi in x])
    assert allclose(core, trained, atol=1e-3, rtol=1e-4)


@pytest.mark.training
@pytest.mark.parametrize(
    "name, param",
    [
        ("regular_spiking", "base_type.tau_rc"),
        ("regular_spiking", "amplitude"),
        ("regular_spiking_per_neuron", "base_type.tau_rc"),
        ("per_neuron_adaptive_lif", "tau_n"),
        ("spiking_leaky_relu", "negative_slope"),
    ],
)
def test_freeze_wrappers_and_per_neuron(Simulator, name, param, rng, allclose):
    """Freezing writes the learned values into the same kind of neuron type."""
    x = inputs(rng, 60)
    net, stim, ens, probe = neuron_net(NEURON_TYPES[name](), (f"neuron_type.{param}",))
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.1), loss="mse")
        sim.fit({stim: x[None]}, {probe: np.full((1, 60, N_NEURONS), 30.0)}, verbose=0)
        trained = sim.predict({stim: x[None]})[probe][0]
        sim.freeze_params(net)
    original = NEURON_TYPES[name]()
    assert type(ens.neuron_type) is type(original)
    assert get_attribute(ens.neuron_type, param) != pytest.approx(
        get_attribute(original, param)
    )
    assert allclose(run_core(net, stim, probe, x), trained, atol=1e-3, rtol=1e-4)


@pytest.mark.parametrize(
    "name", ["per_neuron_lif", "per_neuron_adaptive_lif", "regular_spiking_per_neuron"]
)
@pytest.mark.parametrize("how", ["pickle", "copy"])
def test_per_neuron_pickle_and_copy(name, how, rng, allclose):
    """Networks with PerNeuron types survive pickling and ``Network.copy``."""
    x = inputs(rng, 40)
    net, stim, _, probe = neuron_net(NEURON_TYPES[name]())
    copied = pickle.loads(pickle.dumps(net)) if how == "pickle" else net.copy()
    copy_stim, copy_ens = copied.all_nodes[0], copied.all_ensembles[0]
    assert copy_ens.neuron_type == NEURON_TYPES[name]()
    assert copied.config[copy_ens.neurons].trainable_params == {"neuron_type"}
    assert allclose(
        run_core(copied, copy_stim, copied.all_probes[0], x),
        run_core(net, stim, probe, x),
    )
