"""Learn a synaptic time constant on several devices or machines (``tf.distribute``).

NengoDL issue #60's problem (a ``Lowpass(0.005)`` learned into ``Lowpass(0.1)``),
with a minibatch of 8 step inputs of different heights, trained data-parallel:

- on one machine, with ``tf.distribute.MirroredStrategy`` over ``--devices``
  devices (here logical CPU devices, so that it runs anywhere; on a machine with
  GPUs, leave out ``--devices`` and the strategy uses every GPU);
- on several machines, with ``tf.distribute.MultiWorkerMirroredStrategy``: run this
  script on every machine with ``TF_CONFIG`` describing the cluster (see the user
  guide). ``--local-workers N`` starts N workers on this machine, talking over
  loopback, to try it out.

The only change to ordinary NengoDL code is building the simulator inside
``strategy.scope()``. Each replica simulates ``minibatch_size / replicas``
examples; the result equals one device with the same minibatch. The script
checks that ``tau`` ends within 1% of 0.1 and plots the loss (the first worker
plots).

Usage: ``python examples/train_distributed.py [--devices N | --local-workers N]
[--epochs N] [--plot PATH]``
"""

import argparse
import json
import os
import subprocess
import sys


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--local-workers", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--plot", default="train_distributed.png")
    return parser.parse_args()


def launch_local_workers(args):
    """Run this script as ``args.local_workers`` workers of a cluster, locally."""
    from nengo_dl_trainable.integrations.distribute import local_tf_configs

    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--epochs",
                str(args.epochs),
                "--plot",
                args.plot,
            ],
            env=dict(os.environ, TF_CONFIG=tf_config),
        )
        for tf_config in local_tf_configs(args.local_workers)
    ]
    return max(worker.wait() for worker in workers)


def main(args):
    import tensorflow as tf

    if "TF_CONFIG" in os.environ:
        # one worker of a cluster: every worker runs this same code
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        first_worker = json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0
    else:
        if not tf.config.list_physical_devices("GPU"):
            # split the CPU into logical devices, before TensorFlow starts
            tf.config.set_logical_device_configuration(
                tf.config.list_physical_devices("CPU")[0],
                [tf.config.LogicalDeviceConfiguration()] * args.devices,
            )
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or [
            d.name for d in tf.config.list_logical_devices("CPU")
        ]
        strategy = tf.distribute.MirroredStrategy(devices)
        first_worker = True

    import nengo
    import nengo_dl
    import numpy as np

    print(f"{strategy.num_replicas_in_sync} replicas ({type(strategy).__name__})")
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        u = nengo.Node(np.zeros(1))
        x = nengo.Node(size_in=1)
        conn = nengo.Connection(u, x, synapse=0.005)
        net.config[conn].trainable_params = {"synapse"}
        probe = nengo.Probe(x)

    n_steps, minibatch = 1000, 8
    heights = np.linspace(0.5, 2, minibatch)[:, None, None]
    step = np.ones((minibatch, n_steps, 1)) * heights
    seen = step.copy()
    seen[:, 0] = 0  # the probe sees x one step after the filter
    target = nengo.Lowpass(0.1).filt(seen, dt=0.001, axis=1)

    with strategy.scope():  # the one change: build the simulator in the scope
        sim = nengo_dl.Simulator(net, minibatch_size=minibatch, progress_bar=False)
    with sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        history = sim.fit(
            {u: step}, {probe: target}, epochs=args.epochs, verbose=0
        ).history["loss"]
        tau = float(nengo_dl.trainable_params.parameter_info(sim)[0].value[0])
    print(f"tau: 0.005 -> {tau:.6f} s (target 0.1) after {args.epochs} epochs")

    if first_worker:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.semilogy(np.arange(1, len(history) + 1), history)
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss (MSE)")
        ax.set_title(
            f"tau 0.005 -> {tau:.4f} s, {strategy.num_replicas_in_sync} replicas"
        )
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
    if abs(tau - 0.1) > 0.001:
        print("FAILED: tau is not within 1% of 0.1")
        return 1
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.local_workers:
        sys.exit(launch_local_workers(arguments))
    sys.exit(main(arguments))
