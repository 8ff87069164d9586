"""Run one training scenario under a ``tf.distribute`` strategy; save the results.

Used by ``test_distribute.py`` in subprocesses: logical devices can only be set up
before TensorFlow initializes its runtime, which the rest of the suite has done,
and each worker of a multi-worker run is a process of its own.

Usage: ``python -m nengo_dl_trainable.tests.integrations.distributed_run SCENARIO DTYPE
OUT [MODE]``, with SCENARIO one of `SCENARIOS`. Writes ``OUT`` (``.npz``) with each
result under ``"<run>/<name>"``. MODE:

``mirrored`` (default)
    Two logical CPU devices: the scenario with ``MirroredStrategy`` (run
    ``mirrored``) and on one device (run ``single``), same global minibatch.
``multiworker``
    One worker of a ``MultiWorkerMirroredStrategy`` cluster (``TF_CONFIG`` set by
    the caller); run ``worker<task index>``.
``single``
    One device, run ``single``.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import tensorflow as tf

MODE = sys.argv[4] if len(sys.argv) > 4 else "mirrored"
if MODE == "mirrored":
    # two logical CPU devices, before anything initializes the runtime
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0],
        [tf.config.LogicalDeviceConfiguration()] * 2,
    )

import nengo  # noqa: E402
import nengo_dl  # noqa: E402
import numpy as np  # noqa: E402

import nengo_dl_trainable  # noqa: E402
from nengo_dl_trainable._nengo_dl import read_saved_state  # noqa: E402

MINIBATCH = 4
N_STEPS = 15


def make_net(dtype):
    """Weights, encoders, biases, synapses and per-neuron ``tau_rc`` all train."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, dtype=dtype)
        stim = nengo.Node(np.zeros(2), label="stim")
        ens = nengo.Ensemble(
            12,
            2,
            neuron_type=nengo_dl_trainable.PerNeuron(
                nengo.LIFRate(), tau_rc=np.linspace(0.01, 0.03, 12)
            ),
            label="ens",
        )
        nengo.Connection(stim, ens, synapse=None)
        out = nengo.Node(size_in=2, label="out")
        conn = nengo.Connection(ens, out, synapse=nengo.Lowpass(0.01))
        net.config[ens].trainable_params = {"encoders", "bias", "neuron_type"}
        net.config[conn].trainable_params = {"weights", "synapse"}
        # and one tau_rc shared by all neurons of an ensemble
        shared = nengo.Ensemble(8, 2, neuron_type=nengo.LIFRate(), label="shared")
        nengo.Connection(stim, shared, synapse=None)
        nengo.Connection(shared, out, synapse=None)
        net.config[shared.neurons].trainable_params = {"bias", "neuron_type.tau_rc"}
        # a delay per dimension, whose delay line is simulation state
        delayed = nengo.Connection(
            stim,
            out,
            synapse=nengo_dl_trainable.Delay([0.002, 0.0035], max_delay=0.008),
            label="delayed",
        )
        net.config[delayed].trainable_params = {"synapse"}
        probe = nengo.Probe(out)
    return net, stim, ens, conn, probe


def data(seed, batch=2 * MINIBATCH, n_steps=N_STEPS):
    return np.random.RandomState(seed).uniform(-1, 1, (batch, n_steps, 2))


def parameters(sim):
    """Every trained value: Keras weights and this package's parameters."""
    values = {f"weight{i}": w for i, w in enumerate(sim.keras_model.get_weights())}
    for info in nengo_dl_trainable.parameter_info(sim):
        values[f"{info.obj.label or 'conn'}.{info.name}"] = info.value
    return values


def fit(sim, objects):
    """Train a few epochs (every trained value moves)."""
    _, stim, _, _, probe = objects
    x = data(1)
    start = parameters(sim)
    sim.compile(optimizer=tf.optimizers.Adam(0.02), loss="mse")
    sim.fit({stim: x}, {probe: np.sin(3 * x)}, epochs=4, verbose=0, shuffle=False)
    results = parameters(sim)
    # how far each value moved, relative to its size (delays are milliseconds):
    # the comparison means something only if they did
    results["moved"] = np.array(
        [
            np.max(np.abs(results[k] - start[k])) / max(np.max(np.abs(start[k])), 1e-3)
            for k in sorted(start)
        ]
    )
    results["evaluate"] = np.array(
        sim.evaluate({stim: x}, {probe: np.sin(3 * x)}, verbose=0)["loss"]
    )
    results["predict"] = sim.predict({stim: x}, verbose=0)[probe]
    return results


def stateful(sim, objects):
    """State carries across run_steps, through a fit, save and load."""
    _, stim, _, _, probe = objects
    sim.compile(optimizer=tf.optimizers.SGD(1e-4), loss="mse")
    sim.run_steps(10, data={stim: data(2, MINIBATCH, 10)})
    sim.run_steps(10, data={stim: data(3, MINIBATCH, 10)})
    results = {
        "state_after_runs": np.concatenate(
            [s.ravel() for s in read_saved_state(sim.tensor_graph)]
        )
    }
    # fit with stateful=False must leave the state as it was
    x = data(4, MINIBATCH)
    sim.fit({stim: x}, {probe: x}, epochs=2, verbose=0)
    results["state_after_fit"] = np.concatenate(
        [s.ravel() for s in read_saved_state(sim.tensor_graph)]
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "params")
        sim.save_params(path, include_state=True)
        sim.run_steps(5, data={stim: data(5, MINIBATCH, 5)})
        sim.load_params(path, include_state=True)
    sim.run_steps(10, data={stim: data(6, MINIBATCH, 10)})
    results["probe"] = sim.data[probe]
    results.update(parameters(sim))
    return results


def freeze(sim, objects):
    """Freezing writes the learned values into the network."""
    fitted = fit(sim, objects)
    _, _, ens, conn, _ = objects
    sim.freeze_params(conn)
    sim.freeze_params(ens)
    return {
        "frozen_tau": np.array(conn.synapse.tau),
        "frozen_tau_rc": ens.neuron_type.parameter("tau_rc", ens.n_neurons),
        "loss": fitted["evaluate"],
    }


def run_steps(sim, objects):
    """Two run_steps calls, the second continuing from the first."""
    _, stim, _, _, probe = objects
    sim.run_steps(10, data={stim: data(2, MINIBATCH, 10)})
    sim.run_steps(10, data={stim: data(3, MINIBATCH, 10)})
    return {"probe": sim.data[probe]}


SCENARIOS = {"fit": fit, "stateful": stateful, "freeze": freeze, "run_steps": run_steps}


def minibatch_error(strategy):
    """Whether a minibatch that the replicas cannot share is refused, and how."""
    try:
        with strategy.scope():
            nengo_dl.Simulator(make_net("float32")[0], minibatch_size=3).close()
    except nengo.exceptions.ValidationError as e:
        return str(e)
    return ""


def run(scenario, dtype, strategy):
    if scenario == "minibatch_error":
        return {"message": minibatch_error(strategy)}
    objects = make_net(dtype)
    with strategy.scope():
        sim = nengo_dl.Simulator(
            objects[0], minibatch_size=MINIBATCH, progress_bar=False
        )
    with sim:
        return SCENARIOS[scenario](sim, objects)


def main(scenario, dtype, out, mode="mirrored"):
    if mode == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        strategies = {"mirrored": tf.distribute.MirroredStrategy(devices)}
        assert strategies["mirrored"].num_replicas_in_sync == 2
        strategies["single"] = tf.distribute.get_strategy()
    elif mode == "multiworker":
        tf_config = json.loads(os.environ["TF_CONFIG"])
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        assert strategy.num_replicas_in_sync == len(tf_config["cluster"]["worker"])
        strategies = {f"worker{tf_config['task']['index']}": strategy}
    else:
        strategies = {"single": tf.distribute.get_strategy()}
    results = {}
    for name, strategy in strategies.items():
        for key, value in run(scenario, dtype, strategy).items():
            results[f"{name}/{key}"] = np.asarray(value)
    np.savez(out, **results)


if __name__ == "__main__":
    main(*sys.argv[1:])
