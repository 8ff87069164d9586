import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ConfigError, NetworkContextError

import nengo_dl_trainable
from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.names import parse_trainable_params
from nengo_dl_trainable.resolution import selected_attributes


def configs_of(*networks):
    return [net.config for net in networks]


def test_configure_settings_adds_param_to_all_kinds(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"bias", "synapse.tau"})
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
    # each class gets the names that apply to it
    assert net.config[nengo.Ensemble].trainable_params == {"bias"}
    assert net.config[nengo.ensemble.Neurons].trainable_params == {"bias"}
    assert net.config[ens].trainable_params == {"bias"}
    assert net.config[conn].trainable_params == {"synapse.tau"}
    # a name that applies to no class is an error
    with pytest.raises(TrainableParamsError, match="'baias'.*Did you mean 'bias'"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params={"baias"})
    with pytest.raises(TrainableParamsError, match="must be None, an attribute name"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params=True)
    # values set on objects are checked against their own class
    with pytest.raises(
        TrainableParamsError, match="'bias'.*valid names for Connection"
    ):
        net.config[conn].trainable_params = "bias"


def test_configure_settings_again_keeps_object_settings(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"bias"})
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
    net.config[ens].trainable_params = {"gain"}
    with net:
        nengo_dl_trainable.configure_settings(trainable_params={"synapse"})
    assert net.config[ens].trainable_params == {"gain"}
    assert net.config[nengo.Ensemble].trainable_params == frozenset()
    assert net.config[conn].trainable_params == {"synapse"}
    with pytest.raises(TrainableParamsError, match="'baias'"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params={"baias"})
    assert net.config[conn].trainable_params == {"synapse"}


def test_configure_settings_through_nengo_dl(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, trainable=False)
        ens = nengo.Ensemble(5, 1)
    net.config[ens].trainable_params = ["encoders"]
    assert net.config[ens].trainable_params == frozenset({"encoders"})
    assert net.config[ens].trainable is False
    # NengoDL's own settings still validate as before
    with pytest.raises(ConfigError, match="not a valid config parameter"):
        with net:
            nengo_dl.configure_settings(not_a_setting=1)


def test_configure_settings_needs_network():
    with pytest.raises(NetworkContextError):
        nengo_dl_trainable.configure_settings(trainable_params=None)


@pytest.mark.parametrize(
    "value, kind, match",
    [
        ({"synaps"}, nengo.Connection, "Did you mean 'synapse'"),
        ("weight", nengo.Connection, "Did you mean 'weights'"),
        ({"encoders"}, nengo.ensemble.Neurons, "valid names for Neurons"),
        ({"weights"}, nengo.Ensemble, "valid names for Ensemble"),
        ({"synapse."}, nengo.Connection, "unknown trainable attribute 'synapse.'"),
        ({"weights.x"}, nengo.Connection, "unknown trainable attribute 'weights.x'"),
        ({"synapse.tau.x"}, nengo.Connection, "unknown"),
        (True, nengo.Connection, "must be None, an attribute name or a collection"),
        (1, nengo.Ensemble, "must be None, an attribute name or a collection"),
        ({"bias": True}, nengo.Ensemble, "must be None, an attribute name"),
        ([1, 2], nengo.Ensemble, "attribute names must be strings"),
    ],
)
def test_bad_values_rejected_at_config_time(seed, value, kind, match):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        obj = {
            nengo.Connection: lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1)
            ),
            nengo.Ensemble: lambda: nengo.Ensemble(3, 1),
            nengo.ensemble.Neurons: lambda: nengo.Ensemble(3, 1).neurons,
        }[kind]()
    with pytest.raises(TrainableParamsError, match=match) as info:
        net.config[obj].trainable_params = value
    # the message names the object
    assert str(obj) in str(info.value)
    # and the class level validates the same way
    with pytest.raises(TrainableParamsError, match=match):
        net.config[kind].trainable_params = value


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ("bias", {"bias"}),
        (["bias", "bias"], {"bias"}),
        (("neuron_type.tau_rc", "encoders"), {"neuron_type.tau_rc", "encoders"}),
        (set(), set()),
    ],
)
def test_good_values_parsed(value, expected):
    parsed = parse_trainable_params(value, nengo.Ensemble)
    assert parsed == (None if expected is None else frozenset(expected))


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


def test_nothing_configured_resolves_to_stock(seed):
    with nengo.Network(seed=seed) as net:
        a = nengo.Ensemble(5, 1)
        conn = nengo.Connection(a, a)
    assert selected_attributes(configs_of(net), a) is None
    assert selected_attributes(configs_of(net), conn) is None


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


def test_learning_rule_conflict_warns(Simulator):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        a = nengo.Ensemble(10, 1)
        b = nengo.Node(size_in=1)
        conn = nengo.Connection(a, b, learning_rule_type=nengo.PES())
        net.config[conn].trainable_params = {"weights"}
    with pytest.warns(
        UserWarning, match="learning rule and is also set to be trainable"
    ):
        with Simulator(net):
            pass


@pytest.mark.parametrize(
    "make, names, match",
    [
        (
            lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1), synapse=None
            ),
            {"synapse"},
            "no synapse",
        ),
        (
            lambda: nengo.Connection(nengo.Node(1), nengo.Node(size_in=1)),
            {"synapse.tau_rise"},
            "unknown trainable attribute 'synapse.tau_rise'.*'synapse.tau'",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.synapses.Triangle(0.01),
            ),
            {"synapse"},
            "cannot train synapse Triangle",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Direct()),
            {"bias"},
            "Direct neurons have no bias",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.RectifiedLinear()),
            {"neuron_type.tau_rc"},
            "unknown trainable attribute 'neuron_type.tau_rc'.*'neuron_type.amplitude'",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Izhikevich()),
            {"neuron_type"},
            "cannot train the parameters of neuron type Izhikevich.*supported: ",
        ),
        (
            lambda: nengo.Ensemble(
                3, 1, neuron_type=nengo.RegularSpiking(nengo.LIFRate())
            ),
            {"neuron_type.tau_rc"},
            "unknown .*'neuron_type.tau_rc'.*'neuron_type.base_type.tau_rc'",
        ),
        (
            lambda: nengo.Ensemble(
                3,
                1,
                neuron_type=nengo_dl_trainable.neuron_types.PerNeuron(
                    nengo.LIF(), tau_rc=[0.01, 0.02]
                ),
            ),
            None,
            "tau_rc has 2 per-neuron values, for 3 neurons",
        ),
        (
            lambda: (
                nengo.Ensemble(3, 1, neuron_type=nengo.AdaptiveLIF(inc_n=0)).neurons
            ),
            {"neuron_type.inc_n"},
            "cannot train inc_n=0 .*must start positive",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.Direct()),
            {"neuron_type"},
            "cannot train the parameters of neuron type Direct",
        ),
        (
            lambda: nengo.Ensemble(3, 1).neurons,
            {"neuron_type.tau_n"},
            "unknown trainable attribute 'neuron_type.tau_n'.*'neuron_type.tau_rc'",
        ),
        (
            lambda: nengo.Ensemble(3, 1, neuron_type=nengo.LIF(tau_ref=0)),
            {"neuron_type"},
            "must start positive",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1), synapse=nengo.Lowpass(0)
            ),
            {"synapse"},
            "tau must be positive",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.LinearFilter([1], [1, 0]),
            ),
            {"synapse.den"},
            "poles .* not all strictly inside the left half-plane",
        ),
        (
            lambda: nengo.Connection(
                nengo.Node(1),
                nengo.Node(size_in=1),
                synapse=nengo.LinearFilter([1], [0.01, 1], method="euler"),
            ),
            {"synapse"},
            "forward Euler",
        ),
    ],
)
def test_build_time_errors_name_object(seed, Simulator, make, names, match):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        obj = make()
    net.config[obj].trainable_params = names
    with pytest.raises(TrainableParamsError, match=match) as info:
        with Simulator(net):
            pass
    assert str(obj) in str(info.value)


def test_failed_build_restores_nengo_precision(seed, Simulator):
    """NengoDL alone would leave nengo.rc at 32 bits after a failed build."""
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        conn = nengo.Connection(nengo.Node(1), nengo.Node(size_in=1), synapse=None)
    net.config[conn].trainable_params = {"synapse"}
    bits = nengo.rc.get("precision", "bits")
    assert bits == "64"
    with pytest.raises(TrainableParamsError):
        with Simulator(net):
            pass
    assert nengo.rc.get("precision", "bits") == bits


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


def test_weights_without_weights_error(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        a = nengo.Ensemble(3, 1)
        conn = nengo.Connection(a.neurons, a.neurons, transform=None)
    net.config[conn].trainable_params = {"weights"}
    with pytest.raises(TrainableParamsError, match="no weights"):
        with Simulator(net):
            pass


def test_custom_process_synapse_error(seed, Simulator):
    class MySynapse(nengo.synapses.Synapse):
        def make_state(self, shape_in, shape_out, dt, dtype=None, y0=None):
            return {}

        def make_step(self, shape_in, shape_out, dt, rng, state):
            return lambda t, x: x

    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        conn = nengo.Connection(
            nengo.Node(1), nengo.Node(size_in=1), synapse=MySynapse()
        )
    net.config[conn].trainable_params = {"synapse"}
    with pytest.raises(TrainableParamsError, match="cannot train synapse.*MySynapse"):
        with Simulator(net):
            pass
