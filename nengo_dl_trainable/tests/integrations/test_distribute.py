"""Training with ``tf.distribute`` strategies equals training on one device.

Each case runs `distributed_run` in subprocesses (two logical CPU devices must be
set up before TensorFlow starts, which the rest of the suite has done; each worker
of a multi-worker cluster is a process), with two replicas and on one device with
the same global minibatch, and compares every trained value and output. Measured
differences (Python 3.11, TF 2.12 and Python 3.12, TF 2.21): at most ~1e-14
relative in float64 and ~2e-5 in float32 (the all-reduce sums the replicas'
gradients in another order).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from nengo_dl_trainable.integrations.distribute import local_tf_configs

TOLERANCES = {
    "float64": {"rtol": 1e-10, "atol": 1e-12},
    "float32": {"rtol": 1e-4, "atol": 1e-5},
}


def start(scenario, dtype, out, mode, **env):
    """Start `distributed_run` in a subprocess."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nengo_dl_trainable.tests.integrations.distributed_run",
            scenario,
            dtype,
            str(out),
            mode,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env),
    )


def finish(process):
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]


def load(*paths):
    results = {}
    for path in paths:
        with np.load(path) as saved:
            results.update({k: saved[k] for k in saved.files})
    return results


def run_scenario(scenario, dtype, tmp_path):
    out = tmp_path / f"{scenario}.npz"
    finish(start(scenario, dtype, out, "mirrored"))
    results = load(out)
    names = sorted(k.partition("/")[2] for k in results if k.startswith("single/"))
    assert names == sorted(
        k.partition("/")[2] for k in results if k.startswith("mirrored/")
    )
    return names, results


def assert_replicas_equal_single(names, results, dtype):
    for name in names:
        np.testing.assert_allclose(
            results[f"mirrored/{name}"],
            results[f"single/{name}"],
            err_msg=name,
            **TOLERANCES[dtype],
        )


@pytest.mark.training
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_fit_two_replicas_equals_one_device(dtype, tmp_path):
    """Weights, encoders, biases, a synapse's tau, delays, shared and per-neuron
    tau_rc."""
    names, results = run_scenario("fit", dtype, tmp_path)
    assert {
        "conn.synapse.tau",
        "delayed.synapse.delay",
        "ens.neuron_type.tau_rc",
        "shared.neuron_type.tau_rc",
        "weight0",
    } <= set(names)
    assert np.all(results["single/moved"] > 1e-4)  # every trained value moved
    assert_replicas_equal_single(names, results, dtype)


@pytest.mark.training
def test_stateful_runs_two_replicas_equal_one_device(tmp_path):
    """State across run_steps, kept through fit, save_params and load_params."""
    names, results = run_scenario("stateful", "float64", tmp_path)
    for which in ("mirrored", "single"):
        # fit (stateful=False) leaves the state as it found it
        np.testing.assert_array_equal(
            results[f"{which}/state_after_fit"], results[f"{which}/state_after_runs"]
        )
    assert np.ptp(results["single/state_after_runs"]) > 0
    assert_replicas_equal_single(names, results, "float64")


@pytest.mark.training
def test_freeze_two_replicas_equals_one_device(tmp_path):
    names, results = run_scenario("freeze", "float64", tmp_path)
    assert results["single/frozen_tau"] != 0.01  # the synapse learned
    assert_replicas_equal_single(names, results, "float64")


def test_minibatch_must_divide_among_replicas(tmp_path):
    _, results = run_scenario("minibatch_error", "float32", tmp_path)
    assert str(results["single/message"]) == ""  # one device: any minibatch
    assert "must be a multiple of the number of replicas" in str(
        results["mirrored/message"]
    )


@pytest.mark.training
@pytest.mark.parametrize("scenario", ["fit", "stateful"])
def test_two_workers_equal_one_process(scenario, tmp_path):
    """MultiWorkerMirroredStrategy: two processes over loopback, one CPU each."""
    workers = [
        start(
            scenario,
            "float64",
            tmp_path / f"worker{i}.npz",
            "multiworker",
            TF_CONFIG=tf_config,
        )
        for i, tf_config in enumerate(local_tf_configs(2))
    ]
    single = start(scenario, "float64", tmp_path / "single.npz", "single")
    for process in [*workers, single]:
        finish(process)
    results = load(*(tmp_path / f"{n}.npz" for n in ("worker0", "worker1", "single")))
    names = sorted(k.partition("/")[2] for k in results if k.startswith("single/"))
    assert "probe" in names or "predict" in names
    for worker in ("worker0", "worker1"):
        for name in names:
            np.testing.assert_allclose(
                results[f"{worker}/{name}"],
                results[f"single/{name}"],
                err_msg=f"{worker}: {name}",
                **TOLERANCES["float64"],
            )


def test_local_tf_configs():
    configs = [json.loads(c) for c in local_tf_configs(3)]
    assert [c["task"] for c in configs] == [
        {"type": "worker", "index": i} for i in range(3)
    ]
    workers = configs[0]["cluster"]["worker"]
    assert all(c["cluster"]["worker"] == workers for c in configs)
    assert len(set(workers)) == 3 and all(w.startswith("127.0.0.1:") for w in workers)
