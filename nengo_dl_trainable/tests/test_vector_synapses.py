import pickle

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf
from nengo.exceptions import ValidationError

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError, VectorAlpha, VectorLowpass
from nengo_dl_trainable.builder.operators import (
    SimTrainableLinearFilter,
    SimTrainableLowpass,
)
from nengo_dl_trainable.tests.utils import run_core

DT = 0.001
TAUS = np.array([0.002, 0.006, 0.02, 0.05])
VECTOR_TYPES = {
    "lowpass": (VectorLowpass, nengo.Lowpass),
    "alpha": (VectorAlpha, nengo.Alpha),
}


def per_dimension_reference(scalar_type, taus, x, y0=0):
    """Each column filtered by its own scalar synapse (core Nengo)."""
    y0 = np.broadcast_to(y0, (len(taus),))
    # one column at a time, 2-D: Nengo 4.1's filt of a 1-D signal fails on numpy 2
    return np.concatenate(
        [
            scalar_type(tau).filt(x[:, [i]], dt=DT, y0=y0[i])
            for i, tau in enumerate(taus)
        ],
        axis=1,
    )


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
@pytest.mark.parametrize("y0", [0, [0.5, -1, 2, 0.1]])
def test_filt_equals_scalar_synapses(kind, y0, rng):
    vector_type, scalar_type = VECTOR_TYPES[kind]
    x = rng.uniform(-1, 1, size=(300, len(TAUS)))
    filtered = vector_type(TAUS).filt(x, dt=DT, y0=y0)
    reference = per_dimension_reference(scalar_type, TAUS, x, y0=y0)
    if kind == "lowpass":
        assert np.array_equal(filtered, reference)
    else:
        # element-wise sums versus numpy's dot: last-bit differences
        assert np.allclose(filtered, reference, rtol=1e-14, atol=1e-15)


def test_validation():
    with pytest.raises(ValidationError, match="every time constant must be positive"):
        VectorLowpass([0.01, 0])
    with pytest.raises(ValidationError, match="non-empty vector"):
        VectorAlpha([[0.01, 0.02]])
    with pytest.raises(ValidationError, match="2 time constants, for a signal"):
        VectorLowpass([0.01, 0.02]).filt(np.zeros((10, 3)))
    assert VectorLowpass([0.01, 0.02]) == VectorLowpass(np.array([0.01, 0.02]))
    assert VectorLowpass([0.01, 0.02]) != VectorAlpha([0.01, 0.02])


def network(synapse, x, trainable=None, separate=False):
    """Node -> node through ``synapse``, or through one scalar synapse per dimension."""
    d = x.shape[-1]
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(d))
        out = nengo.Node(size_in=d)
        if separate:
            for i, tau in enumerate(synapse.tau):
                nengo.Connection(
                    stim[i], out[i], synapse=synapse.scalar_type(float(tau))
                )
            conn = None
        else:
            conn = nengo.Connection(stim, out, synapse=synapse)
            if trainable is not None:
                net.config[conn].trainable_params = trainable
        probe = nengo.Probe(out)
    return net, stim, conn, probe


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
@pytest.mark.parametrize(
    "tau, match", [([0.01, -0.02], "positive"), ([[0.01]], "non-empty vector")]
)
def test_validates_when_unpickled(kind, tau, match):
    """``tau`` is validated as a Nengo parameter: when unpickled, as when made."""
    synapse_type, _ = VECTOR_TYPES[kind]
    state = synapse_type([0.01, 0.02]).__getstate__()
    restored = synapse_type.__new__(synapse_type)
    restored.__setstate__(dict(state))  # the valid state restores
    assert restored.tau.tolist() == [0.01, 0.02]
    with pytest.raises(ValidationError, match=match):
        synapse_type.__new__(synapse_type).__setstate__({**state, "tau": tau})


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
def test_connection_equals_scalar_connections_core_nengo(kind, rng, allclose):
    x = rng.uniform(-1, 1, size=(100, len(TAUS)))
    synapse = VECTOR_TYPES[kind][0](TAUS)
    net, stim, _, probe = network(synapse, x)
    vector = run_core(net, stim, probe, x)
    net, stim, _, probe = network(synapse, x, separate=True)
    separate = run_core(net, stim, probe, x)
    assert np.abs(separate).max() > 0.1
    # the same elementwise recursion per dimension on O(1) values: ulps
    assert allclose(vector, separate, atol=1e-14)


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
@pytest.mark.parametrize("trainable", [None, {"synapse"}])
@pytest.mark.parametrize(
    "dtype, minibatch_size, unroll", [("float32", 1, 1), ("float64", 3, 4)]
)
def test_nengo_dl_equals_scalar_synapses(
    Simulator, kind, trainable, dtype, minibatch_size, unroll, rng, allclose
):
    """Native NengoDL build = per-dimension scalar synapses, trainable or not."""
    x = rng.uniform(-1, 1, size=(minibatch_size, 60, len(TAUS)))
    synapse = VECTOR_TYPES[kind][0](TAUS)
    outputs = []
    for separate in (False, True):
        net, stim, conn, probe = network(synapse, x, trainable, separate=separate)
        with net:
            nengo_dl.configure_settings(dtype=dtype)
        with Simulator(
            net, minibatch_size=minibatch_size, unroll_simulation=unroll
        ) as sim:
            outputs.append(sim.predict({stim: x})[probe])
            if not separate:
                kinds = {type(op) for op in sim.model.operators}
                assert kinds & {SimTrainableLowpass, SimTrainableLinearFilter}
    assert np.abs(outputs[1]).max() > 0.1
    atol = 1e-5 if dtype == "float32" else 1e-12
    assert allclose(outputs[0], outputs[1], atol=atol)


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
def test_probe_with_vector_synapse(Simulator, seed, kind, rng, allclose):
    x = rng.uniform(-1, 1, size=(50, 2))
    with nengo.Network(seed=seed) as net:
        stim = nengo.Node(nengo.processes.PresentInput(x, presentation_time=DT))
        probe = nengo.Probe(stim, synapse=VECTOR_TYPES[kind][0]([0.003, 0.02]))
    with nengo.Simulator(net, progress_bar=False) as sim:
        sim.run_steps(50)
    core = sim.data[probe]
    with Simulator(net, progress_bar=False) as sim:
        sim.run_steps(50)
    assert allclose(sim.data[probe], core, atol=1e-6)
    reference = per_dimension_reference(VECTOR_TYPES[kind][1], [0.003, 0.02], x)
    # the probe sees the node's output of the previous step
    # float64 recursions of O(1) values summed in another order: ~1e-15
    assert allclose(core[1:], reference[:-1], atol=1e-12)


def test_wrong_length_names_connection(Simulator):
    x = np.zeros((1, 10, 3))
    net, _, conn, _ = network(VectorLowpass([0.01, 0.02]), x)
    with pytest.raises(TrainableParamsError, match="2 time constants, for a conn"):
        with Simulator(net):
            pass


@pytest.mark.training
@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
def test_gradients_match_finite_differences(Simulator, kind, rng):
    """Per-dimension gradient of the loss with respect to log(tau_i)."""
    vector_type, _ = VECTOR_TYPES[kind]
    x = rng.uniform(-1, 1, size=(1, 40, len(TAUS)))
    target = rng.uniform(-1, 1, size=(1, 40, len(TAUS)))
    net, stim, conn, probe = network(vector_type(TAUS), x, {"synapse"})
    with net:
        nengo_dl.configure_settings(dtype="float64")
    lr = 1e-6
    with Simulator(net, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
        sim.fit({stim: x}, {probe: target}, epochs=1, verbose=0)
        signal = sim.model.sig[conn]["synapse.tau"]
        after = sim.tensor_graph.get_tensor(signal).numpy()[:, 0]
    gradients = (np.log(TAUS) - after) / lr

    def loss(taus):
        net, stim, _, probe = network(vector_type(taus), x)
        return np.mean((run_core(net, stim, probe, x[0]) - target[0]) ** 2)

    eps = 1e-6
    for i in range(len(TAUS)):
        step = np.zeros(len(TAUS))
        step[i] = eps
        numeric = (loss(TAUS * np.exp(step)) - loss(TAUS * np.exp(-step))) / (2 * eps)
        assert abs(numeric) > 1e-8
        assert gradients[i] == pytest.approx(numeric, rel=1e-4)


@pytest.mark.training
@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
def test_learning_and_freeze_round_trip(Simulator, kind, rng, allclose):
    """Recover per-dimension time constants; the frozen network runs in core Nengo."""
    vector_type, _ = VECTOR_TYPES[kind]
    true_taus = np.array([0.004, 0.01, 0.03])
    x = rng.uniform(-1, 1, size=(4, 100, 3))
    net, stim, _, probe = network(vector_type(true_taus), x)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    net, stim, conn, probe = network(vector_type([0.01] * 3), x, {"synapse"})
    with Simulator(net, minibatch_size=4, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=150, verbose=0)
        trained = sim.predict({stim: x})[probe]
        sim.freeze_params(net)
    assert type(conn.synapse) is vector_type
    assert allclose(conn.synapse.tau, true_taus, rtol=0.01)
    core = np.stack([run_core(net, stim, probe, xi) for xi in x])
    assert allclose(core, trained, atol=1e-5)


@pytest.mark.parametrize("kind", sorted(VECTOR_TYPES))
@pytest.mark.parametrize("how", ["pickle", "copy"])
def test_pickle_and_copy(kind, how, rng, allclose):
    """Networks with vector synapses survive pickling and ``Network.copy``."""
    x = rng.uniform(-1, 1, size=(60, len(TAUS)))
    net, stim, _, probe = network(VECTOR_TYPES[kind][0](TAUS), x, {"synapse"})
    copied = pickle.loads(pickle.dumps(net)) if how == "pickle" else net.copy()
    conn = copied.all_connections[0]
    assert conn.synapse == VECTOR_TYPES[kind][0](TAUS)
    assert copied.config[conn].trainable_params == {"synapse"}
    assert allclose(
        run_core(copied, copied.all_nodes[0], copied.all_probes[0], x),
        run_core(net, stim, probe, x),
    )
