"""Parameter files keep the values they saved, or are refused with the reason."""

import json

import nengo
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulationError

import nengo_dl_trainable
from nengo_dl_trainable import PerNeuron
from nengo_dl_trainable._nengo_dl.core import RECORD_KEY


def lowpass_net(tau_step_scale=None, trainable=("synapse",), label="filtered"):
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(
            trainable_params=None, tau_step_scale=tau_step_scale
        )
        u = nengo.Node(np.zeros(1))
        x = nengo.Node(size_in=1)
        conn = nengo.Connection(u, x, synapse=0.005, label=label)
        net.config[conn].trainable_params = set(trainable)
        probe = nengo.Probe(x)
    return net, u, conn, probe


def train_lowpass(Simulator, path, tau_step_scale=None):
    """Issue #60's problem, trained part of the way; returns the learned tau."""
    net, u, conn, probe = lowpass_net(tau_step_scale)
    step = np.ones((1, 300, 1))
    target = nengo.Lowpass(0.1).filt(step, dt=0.001, axis=1)
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({u: step}, {probe: target}, epochs=20, verbose=0)
        tau = sim.get_nengo_params(conn)["synapse"].tau
        sim.save_params(path)
    return tau


@pytest.mark.training
def test_checkpoint_refused_under_another_step_scale(Simulator, tmp_path):
    """The measured case: saved at the default scale, loaded at 200, was 4.7e-15 s."""
    path = tmp_path / "params"
    learned = train_lowpass(Simulator, path)
    # it trained: 20 Adam steps of about 3% each (the default step) from 0.005
    assert learned > 0.0075

    net, _, conn, _ = lowpass_net(tau_step_scale=200)
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(SimulationError, match="filtered") as error:
            sim.load_params(path)
        # both encodings, named
        assert "LogEncoding(step_scale=1.0)" in str(error.value)
        assert "LogEncoding(step_scale=200.0)" in str(error.value)
        # nothing was set
        assert sim.get_nengo_params(conn)["synapse"].tau == pytest.approx(0.005)

    net, _, conn, _ = lowpass_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.load_params(path)
        assert sim.get_nengo_params(conn)["synapse"].tau == pytest.approx(learned)


@pytest.mark.training
@pytest.mark.parametrize("scale", [None, 5.0])
def test_checkpoint_round_trips_at_the_same_scale(Simulator, tmp_path, scale):
    path = tmp_path / "params"
    learned = train_lowpass(Simulator, path, tau_step_scale=scale)
    net, _, conn, _ = lowpass_net(tau_step_scale=scale)
    with Simulator(net, progress_bar=False) as sim:
        sim.load_params(path)
        assert sim.get_nengo_params(conn)["synapse"].tau == pytest.approx(learned)


def test_checkpoint_of_neurons_and_double_exp_records_every_encoding(
    Simulator, tmp_path
):
    """Neuron time constants and a DoubleExp's spread are checked alike."""

    def net_with(scale):
        with nengo.Network(seed=1) as net:
            nengo_dl_trainable.configure_settings(
                trainable_params=None, tau_step_scale=scale
            )
            u = nengo.Node(np.zeros(1))
            ens = nengo.Ensemble(4, 1, neuron_type=PerNeuron(nengo.LIFRate()))
            net.config[ens.neurons].trainable_params = {"neuron_type.tau_rc"}
            conn = nengo.Connection(
                u, ens, synapse=nengo_dl_trainable.DoubleExp(0.01, 0.003)
            )
            net.config[conn].trainable_params = {"synapse"}
        return net

    path = tmp_path / "params"
    with Simulator(net_with(None), progress_bar=False) as sim:
        sim.save_params(path)
    with np.load(str(path) + ".npz") as saved:
        assert RECORD_KEY in saved.files
        record = str(saved[RECORD_KEY])
    assert "SpreadEncoding(step_scale=1.0)" in record
    assert "neuron_type.tau_rc" in record

    with Simulator(net_with(3.0), progress_bar=False) as sim:
        with pytest.raises(SimulationError, match="3 parameter") as error:
            sim.load_params(path)
    message = str(error.value)
    assert "SpreadEncoding(step_scale=3.0)" in message
    assert "neuron_type.tau_rc" in message


def test_stock_file_loads_as_nengo_dl(Simulator, tmp_path):
    path = tmp_path / "stock"
    net, *_ = lowpass_net(trainable=())
    with Simulator(net, progress_bar=False) as sim:
        sim.save_params(path)
    with np.load(str(path) + ".npz") as saved:
        # nothing of ours to record: the file is exactly NengoDL's
        assert RECORD_KEY not in saved.files
    # and loads as in NengoDL into the same network
    with Simulator(net, progress_bar=False) as sim:
        sim.load_params(path)


def two_layer_net(package_parameters, seed=0):
    """Input -> LIF -> LIF -> output; optionally synapses and tau_rc trainable."""
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        u = nengo.Node(np.zeros(1))
        a = nengo.Ensemble(20, 1, neuron_type=nengo.LIF())
        b = nengo.Ensemble(12, 1, neuron_type=nengo.LIF(tau_rc=0.03))
        conns = [
            nengo.Connection(u, a),
            nengo.Connection(a, b, synapse=0.005),
            nengo.Connection(b, (out := nengo.Node(size_in=1)), synapse=0.01),
        ]
        if package_parameters:
            net.config[nengo.Connection].trainable_params = {"stock", "synapse"}
            net.config[b.neurons].trainable_params = {"stock", "neuron_type.tau_rc"}
            net.config[b].spiking_aware_training = True
        probe = nengo.Probe(out)
    return net, u, probe, (a, b, *conns)


def trained_values(sim, objs):
    """Every trained stock value, by object: weights, encoders, bias."""
    values = []
    for obj in objs:
        built = sim.data[obj]
        for name in ("weights", "scaled_encoders", "bias"):
            if hasattr(built, name) and getattr(built, name) is not None:
                values.append(np.array(getattr(built, name)))
    return values


@pytest.mark.training
def test_stock_file_loads_into_model_with_parameters(Simulator, tmp_path, seed):
    """Train weights, save, select synapses and tau_rc, load the weights."""
    path = tmp_path / "weights"
    net, u, probe, objs = two_layer_net(False, seed)
    x = np.random.RandomState(seed).uniform(-1, 1, size=(2, 30, 1))
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        initial = trained_values(sim, objs)
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        sim.fit({u: x}, {probe: 0.5 * x}, epochs=3, verbose=0)
        stock = trained_values(sim, objs)
        sim.save_params(path)
    # training moved every stock value, so equality below is not the start
    for before, after in zip(initial, stock, strict=True):
        assert not np.allclose(before, after)

    net, u, probe, objs = two_layer_net(True, seed)
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        with pytest.warns(
            nengo_dl_trainable.StockParametersLoaded, match="4 nengo_dl_trainable"
        ):
            sim.load_params(path)
        # loaded from the file, not rounded: the same float32 values
        for saved, loaded in zip(stock, trained_values(sim, objs), strict=True):
            assert np.array_equal(saved, loaded)
        # the package's parameters keep their configured values
        params = sim.get_nengo_params(list(objs))
        assert params[1]["neuron_type"].tau_rc == pytest.approx(0.03, rel=1e-6)
        assert params[3]["synapse"].tau == pytest.approx(0.005, rel=1e-6)
        assert params[4]["synapse"].tau == pytest.approx(0.01, rel=1e-6)
        # the state differs (the package's synapses keep their own): refused
        with pytest.raises(SimulationError, match="include_state=False"):
            sim.load_params(path, include_state=True)


def test_stock_file_of_another_network_refused(Simulator, tmp_path):
    path = tmp_path / "weights"
    net, *_ = two_layer_net(False)
    with Simulator(net, progress_bar=False) as sim:
        sim.save_params(path)
    net, *_, objs = two_layer_net(True)
    with net:
        nengo.Ensemble(5, 1)  # one more bias: another layout
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(SimulationError, match="the networks differ"):
            sim.load_params(path)


@pytest.mark.training
def test_file_with_record_refused_by_model_without_parameters(Simulator, tmp_path):
    path = tmp_path / "params"
    train_lowpass(Simulator, path)
    net, *_ = lowpass_net(trainable=())
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(SimulationError, match="holds 1 parameter"):
            sim.load_params(path)


@pytest.mark.parametrize("include_state", [False, True])
def test_record_leaves_state_and_count_checks_as_nengo_dl(
    Simulator, tmp_path, include_state
):
    path = tmp_path / "params"
    net, u, conn, probe = lowpass_net()
    x = np.ones((1, 20, 1))
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(20, data={u: x})
        state = sim.tensor_graph.saved_state
        saved_state = tf.keras.backend.batch_get_value(list(state.values()))
        sim.save_params(path, include_state=include_state)
    with Simulator(net, progress_bar=False) as sim:
        sim.load_params(path, include_state=include_state)
        loaded = tf.keras.backend.batch_get_value(
            list(sim.tensor_graph.saved_state.values())
        )
        for before, after in zip(saved_state, loaded, strict=True):
            # the saved state where it was saved, a fresh (zero) state otherwise
            assert np.array_equal(after, before if include_state else 0 * before)
        assert any(np.any(v != 0) for v in saved_state)
        # a file read with the other include_state: NengoDL's count error, in
        # both directions (a state file without state, a stateless file with)
        with pytest.raises(SimulationError, match="Number of saved parameters"):
            sim.load_params(path, include_state=not include_state)


@pytest.mark.parametrize("file_format", ["h5", "tf"])
def test_keras_weights_round_trip_with_every_kind(Simulator, tmp_path, file_format):
    """Keras checkpoints of a model whose variables NengoDL names alike."""
    path = str(tmp_path / ("weights.h5" if file_format == "h5" else "weights"))

    def network():
        with nengo.Network(seed=0) as net:
            nengo_dl_trainable.configure_settings(trainable_params=None)
            u = nengo.Node(np.zeros(1))
            a = nengo.Ensemble(10, 1, neuron_type=nengo.LIF())
            nengo.Connection(u, a)
            out = nengo.Node(size_in=1)
            conns = [
                nengo.Connection(a, out, synapse=0.01),
                nengo.Connection(
                    u, out, synapse=nengo_dl_trainable.DoubleExp(0.01, 0.003)
                ),
                nengo.Connection(
                    u, out, synapse=nengo_dl_trainable.Delay(0.002, max_delay=0.01)
                ),
            ]
            for conn in conns:
                net.config[conn].trainable_params = {"stock", "synapse"}
            net.config[a.neurons].trainable_params = {"stock", "neuron_type.tau_rc"}
            net.config[a].trainable_params = {"stock", "gain"}
        return net

    with Simulator(network(), progress_bar=False) as sim:
        names = [w.name for w in sim.keras_model.weights]
        assert len(set(names)) == len(names)
        # each variable holding the package's parameters names them; NengoDL's
        # own variables keep NengoDL's names
        labels = sorted(name.partition("__")[2] for name in names if "__" in name)
        assert labels == [
            "gain:0",
            "neuron_type.tau_rc:0",
            "synapse.delay:0",
            "synapse.tau1:0",
            "synapse.tau2:0",
            "synapse.tau:0",
        ]
        # values unlike the starting ones, so that a load that does nothing fails
        variables = sim.keras_model.weights
        saved = [
            np.random.RandomState(i).uniform(0.1, 0.2, size=v.shape)
            for i, v in enumerate(variables)
        ]
        tf.keras.backend.batch_set_value(list(zip(variables, saved, strict=True)))
        sim.keras_model.save_weights(path)
    with Simulator(network(), progress_bar=False) as sim:
        sim.keras_model.load_weights(path)
        loaded = tf.keras.backend.batch_get_value(sim.keras_model.weights)
    for before, after in zip(saved, loaded, strict=True):
        assert np.allclose(before, after, rtol=1e-6)


@pytest.mark.parametrize(
    "synapse, size, match",
    [
        (
            nengo.Alpha(0.005),
            1,
            "saved for a Lowpass on an object of size 1.*built "
            "here for a Alpha on an object of size 1",
        ),
        (
            nengo.Lowpass(0.005),
            2,
            "size 1.*built here for a Lowpass on an object of size 2",
        ),
    ],
)
def test_file_of_another_kind_or_size_refused(
    Simulator, tmp_path, synapse, size, match
):
    """A Lowpass's file never loads silently into an Alpha or a 2-D connection."""
    path = tmp_path / "params"
    net, *_ = lowpass_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.save_params(path)
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        u = nengo.Node(np.zeros(size))
        x = nengo.Node(size_in=size)
        conn = nengo.Connection(u, x, synapse=synapse, label="filtered")
        net.config[conn].trainable_params = {"synapse"}
    with Simulator(net, progress_bar=False) as sim:
        with pytest.raises(SimulationError, match=match):
            sim.load_params(path)


def test_format_1_file_loads(Simulator, tmp_path):
    """Files of the record's first format (no kind, size or shape) still load."""
    path = tmp_path / "params"
    net, u, conn, probe = lowpass_net()
    with Simulator(net, progress_bar=False) as sim:
        sim.save_params(path)
    with np.load(str(path) + ".npz") as saved:
        arrays = {name: saved[name] for name in saved.files}
    record = json.loads(str(arrays[RECORD_KEY]))
    assert record["format"] == 2
    record = {
        "format": 1,
        "parameters": [
            {k: e[k] for k in ("object", "name", "encoding")}
            for e in record["parameters"]
        ],
    }
    arrays[RECORD_KEY] = np.array(json.dumps(record))
    np.savez_compressed(str(path) + ".npz", **arrays)
    with Simulator(net, progress_bar=False) as sim:
        sim.load_params(path)
        assert sim.get_nengo_params(conn)["synapse"].tau == pytest.approx(0.005)
