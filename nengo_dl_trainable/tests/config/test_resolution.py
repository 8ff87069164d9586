"""Resolution: what the settings select for each object (explicit beats default,
defaults skip loudly)."""

from types import SimpleNamespace

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.builder.record import model_parameters
from nengo_dl_trainable.config.resolution import selected_attributes
from nengo_dl_trainable.tests.nengo_core_loader import make_test_sim
from nengo_dl_trainable.tests.utils import fit, mixed_network


def configs_of(*networks):
    return [net.config for net in networks]


def fit_and_compare(Simulator, net, objects, inference_only=False):
    """Train briefly; return which of the objects' parameters changed."""
    with Simulator(net, minibatch_size=2, seed=0) as sim:
        before = {
            (obj, attr): np.array(getattr(sim.data[obj], attr)) for obj, attr in objects
        }
        if not inference_only:
            sim.compile(optimizer=tf.optimizers.SGD(0.5), loss="mse")
            x = np.ones((2, 5, 1))
            sim.fit(x, np.ones((2, 5, 1)) * 3, epochs=2, verbose=0)
        after = {
            (obj, attr): np.array(getattr(sim.data[obj], attr)) for obj, attr in objects
        }
    return {key: not np.allclose(before[key], after[key]) for key in objects}


def make_ens_net(seed=0):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([0])
        ens = nengo.Ensemble(20, 1)
        nengo.Connection(inp, ens, synapse=None)
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out, synapse=None)
        nengo.Probe(out)
    return net, ens, conn


def trainable_names(sim):
    """Names of the Keras variables that train, and their values now."""
    return {w.name: w.numpy().copy() for w in sim.keras_model.trainable_weights}


def test_resolution_class_object_nested(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        net.config[nengo.Connection].trainable_params = {"weights"}
        a = nengo.Ensemble(5, 1)
        c_default = nengo.Connection(a, a)
        c_object = nengo.Connection(a, a)
        net.config[c_object].trainable_params = {"synapse"}
        with nengo.Network(seed=seed) as sub:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            c_sub_inherit = nengo.Connection(a, a)
            c_sub_class = nengo.Connection(a, a)
        with nengo.Network(seed=seed) as sub2:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            sub2.config[nengo.Connection].trainable_params = set()
            c_sub2 = nengo.Connection(a, a)
            with nengo.Network(seed=seed) as subsub:
                nengo_dl_trainable.configure_settings(trainable_params={"synapse.tau"})
                c_subsub = nengo.Connection(a, a)

    top = configs_of(net)
    assert selected_attributes(top, c_default) == {"weights"}
    assert selected_attributes(top, c_object) == {"synapse"}
    # a subnetwork that sets nothing inherits; the class setting of the top level
    # applies to every connection
    assert selected_attributes(configs_of(net, sub), c_sub_inherit) == {"weights"}
    assert selected_attributes(configs_of(net, sub), c_sub_class) == {"weights"}
    # a lower level overrides a higher one
    assert selected_attributes(configs_of(net, sub2), c_sub2) == set()
    assert selected_attributes(configs_of(net, sub2, subsub), c_subsub) == {
        "synapse.tau"
    }


def test_resolution_with_trainable_flag(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, trainable=None)
        a = nengo.Ensemble(5, 1)
        b = nengo.Ensemble(5, 1)
        c = nengo.Ensemble(5, 1)
        with nengo.Network(seed=seed) as sub:
            nengo_dl.configure_settings(trainable_params=None, trainable=None)
            d = nengo.Ensemble(5, 1)

    net.config[nengo.Ensemble].trainable_params = {"bias"}
    # object trainable beats class trainable_params at the same level
    net.config[b].trainable = False
    # object trainable_params beats object trainable
    net.config[c].trainable = False
    net.config[c].trainable_params = {"encoders"}
    # a lower level's trainable beats a higher level's trainable_params
    sub.config[d].trainable = True

    top = configs_of(net)
    assert selected_attributes(top, a) == {"bias"}
    assert selected_attributes(top, b) is None
    assert selected_attributes(top, c) == {"encoders"}
    assert selected_attributes(configs_of(net, sub), d) is None
    # neurons without a setting take the ensemble's (without "encoders")
    assert selected_attributes(top, a.neurons) == {"bias"}
    assert selected_attributes(top, c.neurons) == set()
    assert selected_attributes(top, b.neurons) is None


def test_object_flag_keeps_nengo_dl_names_default_adds_package_names(seed):
    """An object's ``trainable`` flag decides NengoDL's names only."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(
            trainable=None, trainable_params={"synapse", "neuron_type"}
        )
        a = nengo.Ensemble(5, 1, neuron_type=nengo.LIF())
        b = nengo.Ensemble(5, 1, neuron_type=nengo.LIF())
        conn = nengo.Connection(a, b)
        frozen = nengo.Connection(b, a)
    net.config[conn].trainable = True
    net.config[frozen].trainable = False
    net.config[a].trainable = True
    net.config[a.neurons].trainable = False
    top = configs_of(net)
    assert selected_attributes(top, conn) == {"weights", "synapse"}
    assert selected_attributes(top, frozen) == {"synapse"}
    assert selected_attributes(top, a) == {"encoders", "bias", "neuron_type"}
    assert selected_attributes(top, a.neurons) == {"neuron_type"}
    # names from a default stay a default's: they apply only where they can
    assert not selected_attributes(top, conn).explicit
    # without a trainable_params default, the flag alone decides, as in NengoDL
    net.config[nengo.Connection].trainable_params = None
    assert selected_attributes(top, conn) is None


def test_nothing_configured_resolves_to_stock(seed):
    with nengo.Network(seed=seed) as net:
        a = nengo.Ensemble(5, 1)
        conn = nengo.Connection(a, a)
    assert selected_attributes(configs_of(net), a) is None
    assert selected_attributes(configs_of(net), conn) is None


def test_class_defaults_skip_absent_attributes(seed, Simulator):
    """A default applies where the object has the attribute; no errors."""
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"weights", "synapse"})
        stim = nengo.Node([1])
        ens = nengo.Ensemble(5, 1)
        no_weights = nengo.Connection(stim, ens)  # NoTransform from a Node
        no_synapse = nengo.Connection(ens, nengo.Node(size_in=1), synapse=None)
        both = nengo.Connection(ens, nengo.Node(size_in=1))
    configs = configs_of(net)
    assert selected_attributes(configs, no_weights) == {"synapse"}
    assert selected_attributes(configs, no_synapse) == {"weights"}
    assert selected_attributes(configs, both) == {"weights", "synapse"}
    with Simulator(net) as sim:
        trainable = {
            conn: [
                name
                for name in ("weights", "synapse.tau")
                if sim.model.sig[conn].get(name) is not None
                and sim.model.sig[conn][name].trainable
            ]
            for conn in (no_weights, no_synapse, both)
        }
    assert trainable == {
        no_weights: ["synapse.tau"],
        no_synapse: ["weights"],
        both: ["weights", "synapse.tau"],
    }


def test_object_setting_beats_lower_network_default(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        with nengo.Network(seed=seed) as sub:
            nengo_dl.configure_settings(trainable=False, trainable_params=None)
            sub.config[nengo.Connection].trainable_params = set()
            a = nengo.Ensemble(5, 1)
            conn = nengo.Connection(a, a)
    net.config[conn].trainable_params = {"synapse"}
    configs = [net.config, sub.config]
    names = selected_attributes(configs, conn)
    assert names == {"synapse"} and names.explicit


def test_neurons_and_ensemble_settings_contradict(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None)
        ens = nengo.Ensemble(5, 1)
    net.config[ens].trainable_params = {"encoders", "neuron_type"}
    net.config[ens.neurons].trainable_params = {"bias"}
    with pytest.raises(TrainableParamsError, match="leaves it out") as info:
        Simulator(net)
    message = str(info.value)
    assert "neuron_type" in message and str(ens.neurons) in message

    # agreeing (or adding to it) is fine
    net.config[ens.neurons].trainable_params = {"bias", "neuron_type.tau_rc"}
    with pytest.raises(TrainableParamsError, match="neuron_type"):
        Simulator(net)  # "neuron_type" asks for all, the neurons give tau_rc only
    net.config[ens.neurons].trainable_params = {"bias", "neuron_type"}
    with Simulator(net):
        pass


@pytest.mark.training
@pytest.mark.parametrize("where", ["ensemble", "neurons"])
def test_freeze_everything_then_opt_in(Simulator, where):
    """``trainable=False`` as default must not silently beat an object setting."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(
            trainable=False, trainable_params=None, stateful=False
        )
        inp = nengo.Node([0])
        ens = nengo.Ensemble(10, 1, neuron_type=nengo.LIFRate())
        nengo.Connection(inp, ens)
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out)
        probe = nengo.Probe(out)
    obj = ens if where == "ensemble" else ens.neurons
    net.config[obj].trainable_params = {"neuron_type"}

    with Simulator(net, minibatch_size=2) as sim:
        variables = {id(w) for w in sim.keras_model.trainable_weights}
        signals = sim.tensor_graph.signals
        parameter_variables = {
            id(sim.tensor_graph.base_params[signals.sig_map[p.signal].key])
            for p in model_parameters(sim.model)
        }
        before = {
            "encoders": sim.data[ens].scaled_encoders.copy(),
            "bias": sim.data[ens].bias.copy(),
            "weights": sim.data[conn].weights.copy(),
        }
        fit(sim, inp, probe)
        after = {
            "encoders": sim.data[ens].scaled_encoders,
            "bias": sim.data[ens].bias,
            "weights": sim.data[conn].weights,
        }
        sim.freeze_params(net)
    # exactly the neuron parameters train: the variables holding them, no other
    assert len(model_parameters(sim.model)) == 3  # tau_rc, tau_ref, amplitude
    assert variables == parameter_variables
    for key in before:
        assert np.array_equal(before[key], after[key]), key
    lif = ens.neuron_type
    assert type(lif) is nengo.LIFRate
    assert lif.tau_rc != 0.02 and lif.tau_ref != 0.002 and lif.amplitude != 1


def test_stock_plus_synapse(Simulator):
    """``"stock"`` is what NengoDL trains by default; names add to it."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params={"stock", "synapse"})
        inp = nengo.Node([0])
        ens = nengo.Ensemble(10, 1)
        into = nengo.Connection(inp, ens)  # no weights: a Node's NoTransform
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out)
        nengo.Probe(out)
    with Simulator(net) as sim:
        sig = sim.model.sig
        marks = {
            "encoders": sig[ens]["encoders"].trainable,
            "bias": sig[ens.neurons]["bias"].trainable,
            "weights": sig[conn]["weights"].trainable,
            "into.synapse": sig[into]["synapse.tau"].trainable,
            "conn.synapse": sig[conn]["synapse.tau"].trainable,
        }
    assert marks == dict.fromkeys(marks, True)

    # "stock" alone on an object is exactly stock NengoDL's choice
    with nengo.Network(seed=0) as net2:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Ensemble(10, 1)
        c = nengo.Connection(a, nengo.Node(size_in=1))
        node_conn = nengo.Connection(nengo.Node([0]), a)
    for obj in (a, c, node_conn):
        net2.config[obj].trainable_params = {"stock"}
    with Simulator(net2) as sim:
        assert sim.model.sig[a]["encoders"].trainable
        assert sim.model.sig[a.neurons]["bias"].trainable
        assert sim.model.sig[c]["weights"].trainable


@pytest.mark.training
def test_default_skips_what_cannot_train_and_reports(Simulator):
    net, inp, probe, objects = mixed_network({"synapse", "neuron_type"})
    with pytest.warns(TrainableParamsWarning) as record:
        sim = Simulator(net)
    with sim:
        messages = [
            str(w.message) for w in record if w.category is TrainableParamsWarning
        ]
        assert len(messages) == 1  # once, in one place
        message = messages[0]
        for key in ("triangle", "integrator", "zero", "direct", "izhikevich"):
            assert (
                str(
                    objects[key].neurons
                    if key in ("direct", "izhikevich")
                    else objects[key]
                )
                in message
            ), key
        assert "tau_ref=0" in message and "neuron_type.tau_ref" in message
        assert "SpikingTanh" in message and "subclass" in message

        trains = {
            (p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim) if p.trains
        }
        lif, relu = objects["lif"], objects["relu"]
        assert (lif, "neuron_type.tau_rc") in trains
        assert (lif, "neuron_type.amplitude") in trains
        assert (lif, "neuron_type.tau_ref") not in trains
        assert (relu, "neuron_type.amplitude") in trains
        assert (objects["lowpass"], "synapse.tau") in trains
        assert (objects["subclass_conn"], "synapse.tau") in trains
        # and the five input connections' default Lowpass
        assert len(trains) == 10
        text = nengo_dl_trainable.summary(sim, print_fn=None)
        assert "skipped by defaults (" in text and "Triangle" in text
        before = trainable_names(sim)
        fit(sim, inp, probe, lr=0.01, epochs=1)
        after = trainable_names(sim)
        assert any(not np.allclose(before[k], after[k]) for k in before)


def test_default_names_a_parameter_some_types_lack(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params={"neuron_type.tau_rc"})
        lif = nengo.Ensemble(5, 1, neuron_type=nengo.LIFRate())
        relu = nengo.Ensemble(5, 1, neuron_type=nengo.RectifiedLinear())
    with pytest.warns(TrainableParamsWarning, match="neuron_type.tau_rc"):
        sim = Simulator(net)
    with sim:
        trains = {(p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim)}
    assert trains == {(lif, "neuron_type.tau_rc")}
    assert relu not in {obj for obj, _ in trains}


@pytest.mark.training
@pytest.mark.parametrize(
    "setting, expected",
    [
        (None, dict(encoders=True, bias=True, weights=True)),
        ({"ens": {"bias"}}, dict(encoders=False, bias=True, weights=True)),
        ({"ens": {"encoders"}}, dict(encoders=True, bias=False, weights=True)),
        ({"neurons": set()}, dict(encoders=True, bias=False, weights=True)),
        ({"conn": set()}, dict(encoders=True, bias=True, weights=False)),
        (
            {"ens": set(), "neurons": {"bias"}, "conn": {"weights"}},
            dict(encoders=False, bias=True, weights=True),
        ),
    ],
)
def test_per_attribute_training(Simulator, setting, expected):
    net, ens, conn = make_ens_net()
    for key, value in (setting or {}).items():
        obj = {"ens": ens, "neurons": ens.neurons, "conn": conn}[key]
        net.config[obj].trainable_params = value
    moved = fit_and_compare(
        Simulator,
        net,
        [(ens, "scaled_encoders"), (ens, "bias"), (conn, "weights")],
    )
    assert moved == {
        (ens, "scaled_encoders"): expected["encoders"],
        (ens, "bias"): expected["bias"],
        (conn, "weights"): expected["weights"],
    }


@pytest.mark.training
def test_inference_only_trains_nothing(Simulator):
    net, ens, conn = make_ens_net()
    net.config[ens].trainable_params = {"bias", "encoders"}
    with net:
        nengo_dl.configure_settings(inference_only=True)
    with Simulator(net) as sim:
        assert len(sim.keras_model.trainable_weights) == 0
        with pytest.raises(Exception, match="inference_only"):
            sim.compile(optimizer=tf.optimizers.SGD(0.5), loss="mse")
            sim.fit(np.ones((1, 5, 1)), np.ones((1, 5, 1)), epochs=1, verbose=0)


@pytest.mark.training
def test_converted_network_default_trains_synapses(Simulator, rng):
    """NengoDL's Converter sets ``trainable`` everywhere; the default still reaches
    the synapses, and the converter's flags still decide the weights."""
    inp = tf.keras.Input((4,))
    hidden = tf.keras.layers.Dense(8, activation=tf.nn.relu)(inp)
    out = tf.keras.layers.Dense(2)(hidden)
    converter = nengo_dl.Converter(
        tf.keras.Model(inp, out),
        swap_activations={tf.nn.relu: nengo.SpikingRectifiedLinear()},
        synapse=0.005,
    )
    with converter.net:
        nengo_dl.configure_settings(trainable_params={"synapse"})
    with Simulator(converter.net, progress_bar=False) as sim:
        infos = nengo_dl_trainable.parameter_info(sim)
        summary = nengo_dl_trainable.summary(sim, None)
    synapses = [i for i in infos if i.name == "synapse.tau"]
    assert synapses and all(i.trains for i in synapses)
    assert np.allclose([i.value for i in synapses], 0.005, rtol=1e-6)
    # the converter's weights train, as the converter set them
    assert " | weights | (8, 4) | - | yes" in summary
    assert "0 parameter(s)" not in summary


def test_core_suite_loader_selects_parameters(seed):
    """Mode ``default`` of scripts/nengo_core_suite.py is not vacuous."""
    options = {
        "--dtype": "float32",
        "--unroll-simulation": 1,
        "--device": None,
        "--inference-only": False,
    }
    request = SimpleNamespace(config=SimpleNamespace(getoption=options.get))
    TestSimulator = make_test_sim(request)
    with nengo.Network(seed=seed) as net:
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
        nengo.Connection(ens, ens, synapse=nengo.synapses.Triangle(0.01))
    with TestSimulator(net) as sim:
        trains = {(p.obj, p.name) for p in nengo_dl_trainable.parameter_info(sim)}
    assert trains == {
        (conn, "synapse.tau"),
        (ens, "neuron_type.tau_rc"),
        (ens, "neuron_type.tau_ref"),
        (ens, "neuron_type.amplitude"),
    }
