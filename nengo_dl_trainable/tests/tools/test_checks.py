"""The checks of ``fit`` and ``freeze_params``: non-finite values, passthrough taus."""

import warnings

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import SimulatorClosed

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.builder.record import model_parameters


def fit(sim, inp, probe, n_steps=5, epochs=2, lr=0.05, target=2.0):
    sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
    sim.fit(
        {inp: np.ones((sim.minibatch_size, n_steps, 1))},
        {probe: np.full((sim.minibatch_size, n_steps, probe.size_in), target)},
        epochs=epochs,
        verbose=0,
    )


@pytest.mark.training
def test_nonfinite_parameter_warns_in_fit_and_refuses_freeze(seed, Simulator):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=0.01)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    with Simulator(net) as sim:
        with pytest.warns(TrainableParamsWarning, match="after epoch 1.*not finite"):
            fit(sim, inp, probe, target=np.nan, epochs=1)
        with pytest.raises(
            TrainableParamsError, match="synapse.tau is not finite"
        ) as e:
            sim.freeze_params(net)
        assert str(conn) in str(e.value)
    assert conn.synapse == nengo.Lowpass(0.01)  # left as it was
    # a closed simulator still gives NengoDL's own error
    with pytest.raises(SimulatorClosed, match="Cannot call fit"):
        sim.fit(n_steps=5)


@pytest.mark.training
def test_passthrough_tau_warns(seed, Simulator):
    """A time constant trained to 0.03 dt or below gets no gradient: say so."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=0.001)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    # a set step scale (the step does not follow the rate): Adam(1.0) then
    # drives tau to 0 in a few steps
    net.config[conn].tau_step_scale = 1
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1.0), loss="mse")
        x = np.ones((1, 20, 1))
        with pytest.warns(TrainableParamsWarning, match="passes its input through"):
            # the target is the input itself: tau is driven to 0
            sim.fit({inp: x}, {probe: x}, epochs=12, verbose=0)
        (tau,) = [p.value for p in nengo_dl_trainable.parameter_info(sim)]
    assert tau[0] <= 0.03 * 0.001


@pytest.mark.training
@pytest.mark.parametrize(
    "synapse", [nengo.Alpha(0.001), nengo.Lowpass(0.001, method="bilinear")]
)
def test_passthrough_warning_only_for_zoh_lowpass(seed, Simulator, synapse):
    """Other filters have no passthrough case, so no such warning (issue 29)."""
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(inp, out, synapse=synapse)
        probe = nengo.Probe(out)
    net.config[conn].trainable_params = {"synapse"}
    # a set step scale (the step does not follow the rate): Adam(1.0) then
    # drives tau to 0 in a few steps
    net.config[conn].tau_step_scale = 1
    with Simulator(net) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(1.0), loss="mse")
        x = np.ones((1, 20, 1))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sim.fit({inp: x}, {probe: x}, epochs=12, verbose=0)
        (tau,) = [p.value for p in nengo_dl_trainable.parameter_info(sim)]
    # driven below the limit, as the lowpass of test_passthrough_tau_warns
    assert tau[0] <= 0.03 * 0.001
    assert not [w for w in caught if "passes its input through" in str(w.message)]


@pytest.mark.training
def test_epoch_check_locates_parameters_once(seed, Simulator, monkeypatch):
    """``fit``'s check finds where each parameter is stored once per simulator.

    Finding them again after every epoch was work that grew with the network
    (issue 38); the values read must still be the live ones.
    """
    from nengo_dl_trainable._nengo_dl import SignalReader

    located = []
    locate = SignalReader.__init__

    def counting(self, sim, signals):
        located.append(len(signals))
        locate(self, sim, signals)

    monkeypatch.setattr(SignalReader, "__init__", counting)
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        inp = nengo.Node([1])
        out = nengo.Node(size_in=1)
        conns = [nengo.Connection(inp, out, synapse=tau) for tau in (0.01, 0.02)]
        probe = nengo.Probe(out)
    for conn in conns:
        net.config[conn].trainable_params = {"synapse"}
    with Simulator(net) as sim:
        fit(sim, inp, probe, epochs=2, lr=1e-3)
        fit(sim, inp, probe, epochs=1, lr=1e-3)
        reported = [
            nengo_dl_trainable.find_parameter(sim, conn, "synapse.tau").value[0]
            for conn in conns
        ]
        # NengoDL's own read of each stored value, decoded
        expected = [
            p.parameterization.user_values(
                {"tau": sim.tensor_graph.get_tensor(p.signal).numpy()}
            )["tau"][0]
            for conn in conns
            for p in model_parameters(sim.model)
            if p.obj is conn
        ]
    assert located == [2]
    assert not np.allclose(reported, [0.01, 0.02], rtol=1e-6, atol=0)  # trained
    assert np.array_equal(reported, expected)
