"""What trains, visibly: `summary` and `parameter_info`."""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf

import nengo_dl_trainable
from nengo_dl_trainable import PerNeuron, VectorLowpass


def make_net():
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([0.5, -0.5])
        ens = nengo.Ensemble(
            4,
            1,
            neuron_type=PerNeuron(nengo.LIFRate(), tau_rc=[0.01, 0.02, 0.03, 0.04]),
        )
        nengo.Connection(inp[0], ens)
        out = nengo.Node(size_in=2)
        lowpass = nengo.Connection(ens, out[0], synapse=0.005)
        vector = nengo.Connection(inp, out, synapse=VectorLowpass([0.01, 0.02]))
        linear = nengo.Connection(
            inp[1], out[1], synapse=nengo.LinearFilter([3.0], [2e-4, 0.03, 2.0])
        )
        probe = nengo.Probe(out)
    net.config[ens].trainable_params = {"neuron_type.tau_rc"}
    net.config[lowpass].trainable_params = {"synapse"}
    net.config[vector].trainable_params = {"synapse"}
    net.config[linear].trainable_params = {"synapse.num"}
    return net, inp, probe, ens, lowpass, vector, linear


def test_values_in_user_units_before_training(Simulator):
    net, _, _, ens, lowpass, vector, linear = make_net()
    with Simulator(net, progress_bar=False) as sim:
        infos = {(p.obj, p.name): p for p in nengo_dl_trainable.parameter_info(sim)}
    tau = infos[(lowpass, "synapse.tau")]
    assert tau.shape == "shared" and tau.trains
    assert np.allclose(tau.value, [0.005], rtol=1e-6)
    assert infos[(vector, "synapse.tau")].shape == "per dimension"
    assert np.allclose(infos[(vector, "synapse.tau")].value, [0.01, 0.02], rtol=1e-6)
    rc = infos[(ens, "neuron_type.tau_rc")]
    assert rc.shape == "per neuron" and rc.trains
    assert np.allclose(rc.value, [0.01, 0.02, 0.03, 0.04], rtol=1e-6)
    # PerNeuron holds its other parameters as (untrained) signals too
    assert not infos[(ens, "neuron_type.tau_ref")].trains
    # coefficients in the scale the user gave
    num, den = infos[(linear, "synapse.num")], infos[(linear, "synapse.den")]
    assert num.trains and not den.trains and num.shape == "coefficients"
    assert np.allclose(num.value, [3.0]) and np.allclose(den.value, [2e-4, 0.03, 2.0])


@pytest.mark.training
def test_values_follow_training_and_match_freezing(Simulator):
    net, inp, probe, ens, lowpass, vector, linear = make_net()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit(
            {inp: np.ones((2, 20, 2))},
            {probe: np.ones((2, 20, 2))},
            epochs=3,
            verbose=0,
        )
        infos = {
            (p.obj, p.name): p.value for p in nengo_dl_trainable.parameter_info(sim)
        }
        sim.freeze_params(net)
    assert not np.isclose(infos[(lowpass, "synapse.tau")][0], 0.005)
    assert np.isclose(lowpass.synapse.tau, infos[(lowpass, "synapse.tau")][0])
    assert np.allclose(vector.synapse.tau, infos[(vector, "synapse.tau")])
    assert np.allclose(
        ens.neuron_type.parameter("tau_rc", 4), infos[(ens, "neuron_type.tau_rc")]
    )
    assert np.allclose(linear.synapse.num, infos[(linear, "synapse.num")])


def test_values_under_inference_only(Simulator):
    """``get_nengo_params`` fails there (NengoDL); reading values must not."""
    net, *_, lowpass, _, _ = make_net()
    with net:
        nengo_dl.configure_settings(inference_only=True)
    with Simulator(net, progress_bar=False) as sim:
        infos = {(p.obj, p.name): p for p in nengo_dl_trainable.parameter_info(sim)}
        text = nengo_dl_trainable.summary(sim, print_fn=None)
    assert np.allclose(infos[(lowpass, "synapse.tau")].value, [0.005], rtol=1e-6)
    assert not any(p.trains for p in infos.values())
    assert "inference_only: nothing trains" in text


def test_summary_lists_everything(Simulator, capsys):
    net, _, _, ens, lowpass, _, _ = make_net()
    with Simulator(net, progress_bar=False) as sim:
        text = nengo_dl_trainable.summary(sim)
    assert capsys.readouterr().out.strip() == text
    rows = [row.split(" | ") for row in text.splitlines()[1:-1]]
    by_key = {(row[0], row[1]): row for row in rows}
    assert by_key[(str(lowpass), "synapse.tau")][2:] == ["shared", "[0.005]", "yes"]
    assert by_key[(str(ens), "neuron_type.tau_rc")][4] == "yes"
    # NengoDL's own attributes, with what trainable_params made of them
    assert by_key[(str(ens), "encoders")][4] == "no"
    assert by_key[(str(ens), "bias")][4] == "no"
    assert by_key[(str(lowpass), "weights")][4] == "no"
    # lowpass tau, vector tau, linear num, per-neuron tau_rc
    assert text.splitlines()[-1].startswith("4 parameter(s)")


def test_closed_simulator_reports_initial_values(Simulator):
    net, *_, lowpass, _, _ = make_net()
    with Simulator(net, progress_bar=False) as sim:
        pass
    with pytest.warns(UserWarning, match="closed"):
        infos = nengo_dl_trainable.parameter_info(sim)
    assert any(p.obj is lowpass and np.isclose(p.value[0], 0.005) for p in infos)


@pytest.mark.training
def test_record_parameters_equals_parameter_info_after_each_epoch(Simulator, rng):
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(3, 1, neuron_type=PerNeuron(nengo.LIFRate()))
        net.config[ens.neurons].trainable_params = {"neuron_type.tau_rc"}
        conn = nengo.Connection(stim, ens, synapse=0.01)
        net.config[conn].trainable_params = {"synapse"}
        probe = nengo.Probe(ens.neurons)
    x = rng.uniform(-1, 1, (2, 30, 1))
    y = rng.uniform(0, 50, (2, 30, 3))

    class AfterEachEpoch(tf.keras.callbacks.Callback):
        """parameter_info as an independent callback, run after the recorder."""

        def __init__(self):
            super().__init__()
            self.seen = []

        def on_epoch_end(self, epoch, logs=None):
            self.seen.append(
                {
                    info.name: info.value.copy()
                    for info in nengo_dl_trainable.parameter_info(sim)
                }
            )

    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        recorder = nengo_dl_trainable.RecordParameters(
            sim, {"tau": (conn, "synapse.tau"), "tau_rc": (ens, "neuron_type.tau_rc")}
        )
        check = AfterEachEpoch()
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        history = sim.fit(
            {stim: x}, {probe: y}, epochs=3, verbose=0, callbacks=[recorder, check]
        )
    assert len(history.history["tau"]) == 3
    for epoch in range(3):
        tau = history.history["tau"][epoch]
        assert isinstance(tau, float)
        assert tau == check.seen[epoch]["synapse.tau"][0]
        assert np.array_equal(
            history.history["tau_rc"][epoch], check.seen[epoch]["neuron_type.tau_rc"]
        )
        assert history.history["tau_rc"][epoch].shape == (3,)
    # the values moved from the start (so equality above is not trivial)
    assert history.history["tau"][0] != history.history["tau"][-1]
    assert recorder.values["tau"] == history.history["tau"]


def test_find_parameter_and_its_errors(Simulator, seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        a = nengo.Node(np.zeros(1))
        conn = nengo.Connection(a, nengo.Node(size_in=1), synapse=0.02)
        net.config[conn].trainable_params = {"synapse"}
        other = nengo.Connection(a, nengo.Node(size_in=1))
    with Simulator(net, progress_bar=False) as sim:
        info = nengo_dl_trainable.find_parameter(sim, conn, "synapse.tau")
        assert info.obj is conn
        assert info.value == pytest.approx([0.02])
        with pytest.raises(KeyError, match="it has 'synapse.tau'"):
            nengo_dl_trainable.find_parameter(sim, conn, "synapse.tau1")
        with pytest.raises(KeyError, match="no parameter 'synapse.tau'"):
            nengo_dl_trainable.find_parameter(sim, other, "synapse.tau")
        with pytest.raises(KeyError, match="no parameter"):
            nengo_dl_trainable.RecordParameters(sim, {"x": (other, "synapse.tau")})


@pytest.mark.training
def test_nengo_dl_and_keras_callbacks_in_fit(Simulator, tmp_path):
    """NengoDL's NengoSummaries and Keras' TensorBoard run (TensorBoard installed)."""
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        u = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(5, 1)
        nengo.Connection(u, ens)
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(ens, out, synapse=0.005)
        net.config[conn].trainable_params = {"stock", "synapse"}
        probe = nengo.Probe(out)
    x = np.ones((1, 10, 1))
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(0.01), loss="mse")
        sim.fit(
            {u: x},
            {probe: x},
            epochs=2,
            verbose=0,
            callbacks=[
                tf.keras.callbacks.TensorBoard(log_dir=str(tmp_path / "keras")),
                nengo_dl.callbacks.NengoSummaries(
                    str(tmp_path / "nengo"), sim, [ens, conn]
                ),
            ],
        )
    for name in ("keras", "nengo"):
        assert any(p.is_file() for p in (tmp_path / name).rglob("*tfevents*"))


def many_kinds_net():
    """Objects of every kind, several of a kind with equal signatures and not."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([0.5, -0.5])
        lif = [nengo.Ensemble(3, 1, neuron_type=nengo.LIF()) for _ in range(2)]
        per_neuron = nengo.Ensemble(
            2, 1, neuron_type=PerNeuron(nengo.LIFRate(), tau_rc=[0.01, 0.03])
        )
        adaptive = nengo.Ensemble(2, 1, neuron_type=nengo.AdaptiveLIF(tau_n=0.2))
        out = nengo.Node(size_in=2)
        synapses = [
            nengo.Lowpass(0.005),
            nengo.Lowpass(0.007),
            nengo.Lowpass(0.009),  # another step scale below
            nengo.Alpha(0.004),
            VectorLowpass([0.01, 0.02]),
            nengo_dl_trainable.DoubleExp(0.01, 0.003),
            nengo_dl_trainable.DoubleExp(0.02, 0.004),
            nengo_dl_trainable.DoubleExp(0.02, 0),
            nengo_dl_trainable.Delay(0.002, max_delay=0.01),
            nengo.LinearFilter([3.0], [2e-4, 0.03, 2.0]),
        ]
        conns = [nengo.Connection(inp, out, synapse=s) for s in synapses]
        for ens in (*lif, per_neuron, adaptive):
            nengo.Connection(inp[0], ens)
        probe = nengo.Probe(out)
    for conn in conns:
        net.config[conn].trainable_params = {"synapse"}
    net.config[conns[2]].tau_step_scale = 2.0
    for ens in lif:
        net.config[ens].trainable_params = {"neuron_type.tau_rc", "gain"}
    net.config[per_neuron].trainable_params = {"neuron_type.tau_rc"}
    net.config[adaptive].trainable_params = {"neuron_type.tau_n", "neuron_type.tau_rc"}
    return net, inp, probe


@pytest.mark.training
def test_values_converted_together_equal_each_object_alone(Simulator, monkeypatch):
    """``parameter_info`` converts objects of equal signatures in one call.

    Its values must equal each object's own conversion of what NengoDL stores
    (read with NengoDL's ``get_tensor``), in build order, after training moved
    them. A value is the same elementwise function of the same float64 input
    either way; vectorized and scalar NumPy loops may round differently in the
    last place, hence ``rtol`` of a few ulps.
    """
    from nengo_dl_trainable.builder.record import model_parameters
    from nengo_dl_trainable.parameterizations.lowpass import (
        TimeConstantParameterization,
    )

    calls = []
    convert = TimeConstantParameterization.user_values

    def counting(self, values):
        calls.append(type(self.synapse).__name__)
        return convert(self, values)

    monkeypatch.setattr(TimeConstantParameterization, "user_values", counting)
    net, inp, probe = many_kinds_net()
    with Simulator(net, minibatch_size=2, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({inp: np.ones((2, 10, 2))}, {probe: np.zeros((2, 10, 2))}, verbose=0)
        calls.clear()
        infos = nengo_dl_trainable.parameter_info(sim)
        converted = sorted(calls)
        objects = {}
        for p in model_parameters(sim.model):
            objects.setdefault((p.obj, p.prefix), []).append(p)
        expected = []
        for group in objects.values():
            stored = {
                p.short_name: sim.tensor_graph.get_tensor(p.signal).numpy()
                for p in group
            }
            by_name = {p.short_name: p for p in group}
            user = group[0].parameterization.user_values(stored)
            expected += [(by_name[n].obj, by_name[n].name, v) for n, v in user.items()]
    # one call for the Lowpass synapses of each step scale, one for the Alpha
    # and one for the VectorLowpass, not one per object
    assert converted == ["Alpha", "Lowpass", "Lowpass", "VectorLowpass"]
    assert [(i.obj, i.name) for i in infos] == [(o, n) for o, n, _ in expected]
    for info, (_, _, value) in zip(infos, expected, strict=True):
        assert np.allclose(info.value, value, rtol=1e-15, atol=0), info
    first = next(i for i in infos if i.name == "synapse.tau")
    assert not np.isclose(first.value[0], 0.005, rtol=1e-3)  # training moved it
