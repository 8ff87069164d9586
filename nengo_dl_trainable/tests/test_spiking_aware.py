"""``spiking_aware_training``: spikes forward in training, the rate gradient back."""

import warnings

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import L
from nengo_dl_trainable.builder.operators import (
    SimSpikingAwareNeurons,
    SimTrainableNeurons,
)
from nengo_dl_trainable.neuron_builders import (
    SpikingAwareNeuronsBuilder,
    TrainableNeuronsBuilder,
    spikes_with_rate_gradient,
)
from nengo_dl_trainable.tests.test_neurons import (
    NEURON_TYPES,
    STOCHASTIC_TYPES,
    inputs,
    neuron_net,
    run_nengo_dl,
)

SPIKING = sorted(
    name
    for name, make in NEURON_TYPES.items()
    if make().spiking and not name.startswith("per_neuron")
)
PER_NEURON_SPIKING = sorted(
    name
    for name, make in NEURON_TYPES.items()
    if make().spiking and name.startswith("per_neuron")
)
#: Types whose state feeds back into their output (AdaptiveLIF's adaptation):
#: there spikes and rates in training differ in the input current too.
ADAPTIVE = ("adaptive_lif", "per_neuron_adaptive_lif")


def spiking_aware_net(name, trainable, spiking_aware=True, make_types=NEURON_TYPES):
    return neuron_net(
        make_types[name](), trainable=trainable, spiking_aware=spiking_aware
    )


def test_spikes_with_rate_gradient():
    spikes = tf.constant([0.0, 1000.0, 0.0])
    rate = tf.Variable([10.0, 20.0, 30.0])
    with tf.GradientTape() as tape:
        out = spikes_with_rate_gradient(spikes, rate)
        loss = tf.reduce_sum(out * tf.constant([1.0, 2.0, 3.0]))
    assert np.array_equal(out.numpy(), spikes.numpy())  # exactly the spikes
    assert np.array_equal(tape.gradient(loss, rate).numpy(), [1, 2, 3])


@pytest.mark.parametrize(
    "name, trainable",
    # stock ensembles (None) and ensembles whose parameters train; PerNeuron types
    # only exist in this package, so only with parameters
    [(name, None) for name in SPIKING]
    + [(name, ("neuron_type",)) for name in SPIKING + PER_NEURON_SPIKING],
)
@pytest.mark.parametrize(
    "dtype, minibatch_size, unroll", [("float32", 1, 1), ("float64", 3, 4)]
)
def test_training_forward_equals_inference(
    Simulator, name, trainable, dtype, minibatch_size, unroll, rng, allclose
):
    """Under the setting, training mode runs the spiking dynamics step for step."""
    x = inputs(rng, 48, batch=minibatch_size)
    outputs = {}
    for spiking_aware, training in ((True, True), (True, False), (False, True)):
        net, stim, _, probe = spiking_aware_net(name, trainable, spiking_aware)
        with net:
            nengo_dl.configure_settings(dtype=dtype)
        outputs[spiking_aware, training] = run_nengo_dl(
            Simulator,
            net,
            stim,
            probe,
            x,
            training=training,
            minibatch_size=minibatch_size,
            unroll_simulation=unroll,
        )
    inference = outputs[True, False]
    assert np.abs(inference).max() > 1  # the neurons spike
    # a spike moved by one step changes a value by amplitude / dt (>= 500
    # here); the same operations on the same inputs agree to rounding
    assert allclose(outputs[True, True], inference, atol=1e-6, rtol=0)
    if name == "adaptive_lif" and trainable is None:
        return  # stock NengoDL runs it as NumPy code: spiking in training too
    # NengoDL's rate mode gives something else (so the comparison can fail)
    assert not np.allclose(outputs[False, True], inference, atol=1)


@pytest.mark.parametrize("name", sorted(STOCHASTIC_TYPES))
def test_stochastic_training_forward_is_spiking(Simulator, name, rng):
    """Random spike counts: integer multiples of amplitude / dt, rate on average.

    The draws of two runs differ, so the output is checked for what spikes
    are: whole spikes (never the rate's fractions), averaging to the rate.
    """
    x = np.full((1, 2000, 1), 0.8)
    net, stim, ens, probe = spiking_aware_net(name, None, make_types=STOCHASTIC_TYPES)
    spikes = run_nengo_dl(Simulator, net, stim, probe, x, training=True)[0]
    amplitude = ens.neuron_type.amplitude
    counts = spikes * DT / amplitude
    assert np.allclose(counts, np.round(counts), atol=1e-4)
    assert counts.max() >= 1
    net, stim, ens, probe = spiking_aware_net(
        name, None, False, make_types=STOCHASTIC_TYPES
    )
    rates = run_nengo_dl(Simulator, net, stim, probe, x, training=True)[0]
    assert not np.allclose(rates * DT / amplitude, np.round(rates * DT / amplitude))
    # the spike count over 2 s is Poisson-like: its mean within 5 standard
    # deviations of the rate's (sqrt(count) each neuron, summed)
    expected = rates.sum(axis=0) * DT / amplitude
    assert np.all(np.abs(counts.sum(axis=0) - expected) < 5 * np.sqrt(expected) + 1)


DT = 0.001


def linear_loss(y_true, y_pred):
    """A loss whose gradient with respect to the output does not depend on it."""
    return tf.reduce_sum(y_true * y_pred)


def one_sgd_step(Simulator, name, spiking_aware, x, weights, dtype):
    """Every trained value after one SGD step, by name."""
    net, stim, ens, probe = spiking_aware_net(
        name, ("stock", "neuron_type"), spiking_aware
    )
    with net:
        nengo_dl.configure_settings(dtype=dtype)
    with Simulator(net, minibatch_size=x.shape[0], progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(1e-4), loss={probe: linear_loss})
        sim.fit({stim: x}, {probe: weights}, epochs=1, verbose=0)
        values = {
            "bias": sim.data[ens].bias,
            "encoders": sim.data[ens].scaled_encoders,
        }
        neuron_type = sim.get_nengo_params(ens)["neuron_type"]
        for info in nengo_dl_trainable.parameter_info(sim):
            values[info.name] = np.asarray(info.value)
    return values, neuron_type


@pytest.mark.training
@pytest.mark.parametrize(
    "name", [n for n in SPIKING + PER_NEURON_SPIKING if n not in ADAPTIVE]
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_is_the_rate_approximations(Simulator, name, dtype, rng, allclose):
    """One SGD step moves every value as NengoDL's rate-mode training does.

    With a loss linear in the output, the gradient reaching the neurons does not
    depend on their (spiking or rate) output, so the step is the gradient of the
    rate approximation in both modes, for a feed-forward ensemble.
    """
    x = inputs(rng, 30, batch=2)
    weights = rng.uniform(-1, 1, size=(2, 30, 8))
    before, _ = one_sgd_step(Simulator, name, None, x, 0 * weights, dtype)
    rate, _ = one_sgd_step(Simulator, name, False, x, weights, dtype)
    aware, _ = one_sgd_step(Simulator, name, True, x, weights, dtype)
    assert set(aware) == set(rate)
    moved = 0
    for key, value in rate.items():
        # float32 sums over 60 steps and 8 neurons in another order
        tolerance = {"rtol": 1e-5, "atol": 1e-7} if dtype == "float32" else {}
        assert allclose(aware[key], value, **tolerance), key
        moved += not np.allclose(value, before[key], rtol=0, atol=0)
    assert moved >= 2  # the step moved the bias and a neuron parameter at least


@pytest.mark.training
@pytest.mark.parametrize("name", ADAPTIVE)
def test_gradient_reaches_adaptation(Simulator, name, rng):
    """Adaptation follows the spikes forward and the rate backward."""
    x = inputs(rng, 60, batch=2) + 1
    weights = np.ones((2, 60, 8))
    before, start = one_sgd_step(Simulator, name, True, x, 0 * weights, "float64")
    after, moved = one_sgd_step(Simulator, name, True, x, weights, "float64")
    for param in ("tau_n", "inc_n"):
        name_ = f"neuron_type.{param}"
        if name_ in after:
            assert not np.allclose(after[name_], before[name_], rtol=1e-12, atol=0)


def filtered_spikes_net(seed):
    """A noise-limited task: a constant read out of few spiking neurons."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(
            10, 1, neuron_type=nengo.SpikingRectifiedLinear(), max_rates=[40] * 10
        )
        nengo.Connection(stim, ens, synapse=None)
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out, synapse=0.005)
        net.config[conn].trainable_params = {"synapse"}
        probe = nengo.Probe(out)
    return net, stim, ens, conn, probe


@pytest.mark.training
@pytest.mark.parametrize("minibatch_size", [1, 4])
def test_synapse_after_spikes_learns_to_smooth(Simulator, minibatch_size, seed):
    """Rate-mode training shortens the synapse; spiking-aware training smooths.

    The target is the constant the ensemble decodes. In rate mode the output
    has no spike noise, so the synapse only adds lag and shrinks; with spikes
    in training, a longer synapse averages more spikes and wins.
    """
    x = np.full((minibatch_size, 300, 1), 0.5)
    learned = {}
    for spiking_aware in (False, True):
        net, stim, ens, conn, probe = filtered_spikes_net(seed)
        net.config[ens].spiking_aware_training = spiking_aware
        with Simulator(net, minibatch_size=minibatch_size, progress_bar=False) as sim:
            sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
            sim.fit({stim: x}, {probe: x}, epochs=30, verbose=0)
            learned[spiking_aware] = sim.get_nengo_params(conn)["synapse"].tau
    assert learned[False] < 0.005 < learned[True]


def build_plan(net, **sim_kwargs):
    with nengo_dl.Simulator(net, progress_bar=False, **sim_kwargs) as sim:
        builders = sim.tensor_graph.op_builder.op_builds
        return sim.tensor_graph.plan, builders, nengo_dl_trainable.summary(sim, None)


def mixed_net(default=None):
    """Two spiking ensembles, one rate ensemble, one Izhikevich ensemble."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        if default is not None:
            nengo_dl.configure_settings(spiking_aware_training=default)
        stim = nengo.Node(np.zeros(1))
        ensembles = {
            "lif_a": nengo.Ensemble(5, 1, neuron_type=nengo.LIF(), label="lif_a"),
            "lif_b": nengo.Ensemble(6, 1, neuron_type=nengo.LIF(), label="lif_b"),
            "rate": nengo.Ensemble(7, 1, neuron_type=nengo.LIFRate(), label="rate"),
        }
        for ens in ensembles.values():
            nengo.Connection(stim, ens)
    return net, ensembles


def neuron_groups(plan):
    """The (operator type, neuron type, size) of each group of neuron operators."""
    return sorted(
        (type(ops[0]).__name__, type(ops[0].neurons).__name__, len(ops))
        for ops in plan
        if hasattr(ops[0], "neurons")
    )


def test_nothing_configured_builds_stock_neurons():
    net, _ = mixed_net()
    plan, _, summary = build_plan(net)
    assert neuron_groups(plan) == [
        ("SimNeurons", "LIF", 2),
        ("SimNeurons", "LIFRate", 1),
    ]
    assert "spiking in training" not in summary


@pytest.mark.parametrize(
    "select, expected",
    [
        # nothing of this package selected: stock NengoDL training
        (lambda net, ens, conn: None, False),
        (lambda net, ens, conn: setattr(net.config[conn], "trainable", False), False),
        (
            lambda net, ens, conn: setattr(
                net.config[ens], "trainable_params", {"encoders", "bias"}
            ),
            False,
        ),
        # a synapse, a neuron parameter or a gain selected anywhere: spikes
        (
            lambda net, ens, conn: setattr(
                net.config[conn], "trainable_params", {"synapse"}
            ),
            True,
        ),
        (
            lambda net, ens, conn: setattr(
                net.config[ens.neurons], "trainable_params", {"neuron_type.tau_rc"}
            ),
            True,
        ),
        (
            lambda net, ens, conn: setattr(
                net.config[ens], "trainable_params", {"stock", "gain"}
            ),
            True,
        ),
        (lambda net, ens, conn: setattr(conn, "synapse", L(0.01)), True),
    ],
)
def test_default_follows_what_the_network_trains(select, expected):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, trainable=None)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(5, 1, neuron_type=nengo.LIF())
        other = nengo.Ensemble(5, 1, neuron_type=nengo.LIF())
        nengo.Connection(stim, ens)
        conn = nengo.Connection(ens, other)
    select(net, ens, conn)
    plan, _, summary = build_plan(net)
    neuron_ops = [op for ops in plan for op in ops if hasattr(op, "neurons")]
    assert len(neuron_ops) == 2
    for op in neuron_ops:
        aware = isinstance(op, SimSpikingAwareNeurons) or getattr(
            op, "spiking_aware", False
        )
        assert aware == expected
    assert ("spiking in training (spiking_aware_training, 2)" in summary) == expected


def test_network_default_applies_to_spiking_ensembles_only():
    net, ensembles = mixed_net(default=True)
    plan, builders, summary = build_plan(net)
    # both LIF ensembles in one group of their own; the rate ensemble stock
    assert neuron_groups(plan) == [
        ("SimNeurons", "LIFRate", 1),
        ("SimSpikingAwareNeurons", "LIF", 2),
    ]
    assert any(isinstance(b, SpikingAwareNeuronsBuilder) for b in builders.values())
    assert "spiking in training (spiking_aware_training, 2)" in summary
    assert "lif_a" in summary and "lif_b" in summary


def test_object_setting_beats_default():
    net, ensembles = mixed_net(default=True)
    net.config[ensembles["lif_b"]].spiking_aware_training = False
    plan, _, _ = build_plan(net)
    assert neuron_groups(plan) == [
        ("SimNeurons", "LIF", 1),
        ("SimNeurons", "LIFRate", 1),
        ("SimSpikingAwareNeurons", "LIF", 1),
    ]


def test_trainable_parameters_group_apart_from_stock_rate_training():
    net, ensembles = mixed_net()
    for label in ("lif_a", "lif_b"):
        net.config[ensembles[label].neurons].trainable_params = {"neuron_type"}
    net.config[ensembles["lif_a"]].spiking_aware_training = True
    net.config[ensembles["lif_b"]].spiking_aware_training = False
    plan, builders, _ = build_plan(net)
    groups = [ops for ops in plan if isinstance(ops[0], SimTrainableNeurons)]
    assert sorted((len(ops), ops[0].spiking_aware) for ops in groups) == [
        (1, False),
        (1, True),
    ]
    assert sum(isinstance(b, TrainableNeuronsBuilder) for b in builders.values()) == 2


def test_explicit_setting_on_rate_neurons_refused():
    net, ensembles = mixed_net()
    net.config[ensembles["rate"]].spiking_aware_training = True
    with pytest.raises(ValidationError, match="LIFRate.* does not spike"):
        build_plan(net)


def test_numpy_neuron_types_warn():
    """Izhikevich runs as NumPy code in NengoDL: the setting cannot change it."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, spiking_aware_training=True)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(4, 1, neuron_type=nengo.Izhikevich(), label="izh")
        nengo.Connection(stim, ens)
    with pytest.warns(
        nengo_dl_trainable.TrainableParamsWarning, match="izh.*Izhikevich.*NumPy"
    ):
        plan, _, summary = build_plan(net)
    assert "spiking in training" not in summary


def test_adaptive_lif_gets_a_tensorflow_builder(Simulator, rng, allclose):
    """Stock NengoDL runs AdaptiveLIF as NumPy code; under the setting it is ours."""
    x = inputs(rng, 50, batch=1)
    net, stim, ens, probe = spiking_aware_net("adaptive_lif", None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", nengo_dl_trainable.TrainableParamsWarning)
        plan, _, _ = build_plan(net)
    assert ("SimSpikingAwareNeurons", "AdaptiveLIF", 1) in neuron_groups(plan)
    ours = run_nengo_dl(Simulator, net, stim, probe, x)
    net, stim, ens, probe = neuron_net(NEURON_TYPES["adaptive_lif"](), trainable=None)
    stock = run_nengo_dl(Simulator, net, stim, probe, x)  # NengoDL's NumPy code
    # float32 LIF rates near threshold are ill-conditioned (log1p(1 / j))
    assert allclose(ours, stock, atol=1e-6, rtol=1e-4)


def test_setting_values_validated():
    with nengo.Network():
        nengo_dl.configure_settings(trainable_params=None)
        ens = nengo.Ensemble(2, 1)
        with pytest.raises(ValidationError):
            nengo.Network.context[-1].config[ens].spiking_aware_training = "yes"
