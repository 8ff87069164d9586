"""Training throughput with ``tf.distribute``: one device, two devices, two workers.

The digits task of ``temporal_task.py`` (variant ``synapse``: weights, biases and a
learned synaptic time constant; 100 LIF neurons, 40 steps per example, global
minibatch ``--minibatch``), trained for ``--epochs`` epochs in each configuration:

- ``single``: one device (TensorFlow's default, which uses every core);
- ``mirrored``: ``MirroredStrategy`` over two logical CPU devices;
- ``two_workers``: ``MultiWorkerMirroredStrategy``, two processes on this machine
  talking over loopback (one CPU device each).

Each configuration runs in fresh processes (logical devices must be set up before
TensorFlow starts), configurations interleaved over ``--rounds`` rounds; the first
epoch (graph building) is left out. Reports the median examples per second of the
other epochs and the ratio to ``single``. On a machine whose devices share the
same cores (logical CPU devices, or workers on one machine) this measures the
overhead of distributing, not a speed-up: real speed-ups need devices that add
compute (GPUs, or machines).

Needs the ``benchmarks`` extra and scikit-learn.

Usage: ``python benchmarks/distributed_throughput.py [--rounds N] [--epochs N]``
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

CONFIGS = ("single", "mirrored", "two_workers")


def measure(args):
    """One process of one configuration: train, print the epoch times as JSON."""
    import tensorflow as tf

    if args.config == "mirrored":
        tf.config.set_logical_device_configuration(
            tf.config.list_physical_devices("CPU")[0],
            [tf.config.LogicalDeviceConfiguration()] * 2,
        )
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        strategy = tf.distribute.MirroredStrategy(devices)
    elif args.config == "two_workers":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()

    import nengo_dl
    import numpy as np
    from temporal_task import dataset, last_step_loss, network

    (x_train, y_train), _ = dataset(0, row_steps=5)
    n_examples = len(x_train) // args.minibatch * args.minibatch
    x_train, y_train = x_train[:n_examples], y_train[:n_examples]
    net, stim, _, _, probe = network("synapse", 100, 0)

    class EpochTimes(tf.keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    timer = EpochTimes()
    with strategy.scope():
        sim = nengo_dl.Simulator(
            net, minibatch_size=args.minibatch, progress_bar=False, seed=0
        )
    with sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss={probe: last_step_loss})
        sim.fit(
            {stim: x_train},
            {probe: np.repeat(y_train[:, None, None], x_train.shape[1], axis=1)},
            epochs=args.epochs,
            verbose=0,
            callbacks=[timer],
        )
    print(json.dumps({"examples": n_examples, "epoch_seconds": timer.times}))


def run_config(config, args):
    """Run one configuration in fresh processes; return its epoch times."""
    command = [
        sys.executable,
        __file__,
        "--measure",
        config,
        "--epochs",
        str(args.epochs),
        "--minibatch",
        str(args.minibatch),
    ]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parent), env.get("PYTHONPATH", "")]
    )
    if config != "two_workers":
        output = subprocess.run(
            command, capture_output=True, text=True, env=env, check=True
        ).stdout
        return json.loads(output.strip().splitlines()[-1])
    from nengo_dl_trainable.integrations.distribute import local_tf_configs

    workers = [
        subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=dict(env, TF_CONFIG=tf_config),
        )
        for tf_config in local_tf_configs(2)
    ]
    outputs = [worker.communicate()[0] for worker in workers]
    if any(worker.returncode for worker in workers):
        raise RuntimeError("a worker failed")
    return json.loads(outputs[0].strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minibatch", type=int, default=100)
    parser.add_argument("--output", default="results/distributed_throughput.json")
    parser.add_argument("--measure", choices=CONFIGS, dest="config")
    args = parser.parse_args()
    if args.config:
        measure(args)
        return

    import numpy as np
    from _results import machine, write

    epochs = {config: [] for config in CONFIGS}
    examples = None
    for round_ in range(args.rounds):
        for config in CONFIGS:
            result = run_config(config, args)
            examples = result["examples"]
            epochs[config].extend(result["epoch_seconds"][1:])  # not the first
            print(
                f"round {round_} {config:12s} epochs (s): "
                + ", ".join(f"{t:.2f}" for t in result["epoch_seconds"])
            )
    rates = {c: examples / float(np.median(epochs[c])) for c in CONFIGS}
    print(
        f"\ndigits task, {examples} examples per epoch, global minibatch "
        f"{args.minibatch}, median of {len(epochs['single'])} epochs each:"
    )
    print(f"{'configuration':14s} {'examples/s':>11s} {'ratio':>6s}")
    for config in CONFIGS:
        print(
            f"{config:14s} {rates[config]:11.0f} {rates[config] / rates['single']:6.2f}"
        )
    write(
        {
            "machine": machine(),
            "settings": vars(args),
            "epoch_seconds": epochs,
            "examples_per_second": rates,
        },
        args.output,
    )


if __name__ == "__main__":
    main()
