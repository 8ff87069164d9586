"""Learning time constants: nengo-dl-trainable against KerasSpiking.

Two system-identification tasks, each solved by a NengoDL network with trainable
synapses and by a Keras model with KerasSpiking's trainable filter layers, on the
same input and with the same optimizer (Adam, for each learning rate of a small
grid), one example of 1000 steps per epoch:

- ``lowpass`` (NengoDL issue #60): a step through ``Lowpass(0.005)`` learns the
  step response of ``Lowpass(0.1)``;
- ``double_exp``: white noise through two lowpass filters in series (0.05 s and
  0.03 s, the double exponential of issue #60), learned from (0.005 s, 0.01 s). Both
  sides use two ``Lowpass`` filters in series.

Each side learns from targets made by its own simulator with the true time
constants (NengoDL's connection and Keras' layer differ by one step of delay). The
script reports, per task, package and learning rate: the epochs and wall time until
every time constant is within 1% of its true value, the median (min, max) time per
epoch, the final MSE and the learned time constants. Results go to
``results/keras_spiking_comparison.json`` and a plot of the time constants over
training to ``results/keras_spiking_comparison.png``.

Needs the ``benchmarks`` extra (KerasSpiking, matplotlib).

Usage: ``python benchmarks/keras_spiking_comparison.py [--epochs N] [--rates ...]``
"""

import argparse
import json
import os
from pathlib import Path

import keras_spiking
import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _learning import EpochRecorder, keras_lowpass_chain, keras_taus
from _results import machine, write

DT = 0.001
N_STEPS = 1000
TASKS = {
    "lowpass": {"true": (0.1,), "start": (0.005,)},
    "double_exp": {"true": (0.05, 0.03), "start": (0.005, 0.01)},
}


def task_input(task):
    if task == "lowpass":
        return np.ones((1, N_STEPS, 1))
    return np.random.RandomState(0).standard_normal((1, N_STEPS, 1))


def nengo_dl_network(taus, trainable):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        pre, conns = stim, []
        for tau in taus:
            post = nengo.Node(size_in=1)
            conns.append(nengo.Connection(pre, post, synapse=nengo.Lowpass(tau)))
            if trainable:
                net.config[conns[-1]].trainable_params = {"synapse"}
            pre = post
        probe = nengo.Probe(pre)
    return net, stim, conns, probe


def run_nengo_dl(task, x, learning_rate, epochs):
    net, stim, _, probe = nengo_dl_network(TASKS[task]["true"], trainable=False)
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        target = sim.predict({stim: x})[probe]
    net, stim, conns, probe = nengo_dl_network(TASKS[task]["start"], trainable=True)
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(learning_rate), loss="mse")
        recorder = EpochRecorder(
            lambda: [p["synapse"].tau for p in sim.get_nengo_params(conns)]
        )
        history = sim.fit(
            {stim: x}, {probe: target}, epochs=epochs, verbose=0, callbacks=[recorder]
        )
    return recorder, history.history["loss"]


def run_keras_spiking(task, x, learning_rate, epochs):
    model, _ = keras_lowpass_chain(TASKS[task]["true"], DT)
    target = model.predict(x, verbose=0)
    model, layers = keras_lowpass_chain(TASKS[task]["start"], DT)
    model.compile(optimizer=tf.optimizers.Adam(learning_rate), loss="mse")
    recorder = EpochRecorder(lambda: keras_taus(layers))
    history = model.fit(x, target, epochs=epochs, verbose=0, callbacks=[recorder])
    return recorder, history.history["loss"]


def summarize(task, recorder, losses):
    true = np.array(sorted(TASKS[task]["true"]))
    taus = np.sort(np.array(recorder.taus), axis=1)
    within = np.all(np.abs(taus - true) <= 0.01 * true, axis=1)
    first = int(np.argmax(within)) if within.any() else None
    epoch_times = np.diff([0.0] + recorder.times)
    return {
        "epochs_to_1pct": None if first is None else first + 1,
        "seconds_to_1pct": None if first is None else recorder.times[first],
        "epoch_s": [
            float(np.median(epoch_times[1:])),
            float(np.min(epoch_times[1:])),
            float(np.max(epoch_times[1:])),
        ],
        "final_mse": float(losses[-1]),
        "learned": taus[-1].tolist(),
        "history": taus.tolist(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.001, 0.01, 0.05])
    parser.add_argument("--output", default="results/keras_spiking_comparison.json")
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the plot from --output"
    )
    args = parser.parse_args()
    if args.replot:
        output = Path(args.output)
        plot(json.loads(output.read_text()), output.with_suffix(".png"))
        return

    runners = {"nengo-dl-trainable": run_nengo_dl, "keras-spiking": run_keras_spiking}
    results = {
        "machine": machine(keras_spiking=keras_spiking.__version__),
        "settings": vars(args),
        "runs": [],
    }
    print(
        f"{N_STEPS} steps per epoch, minibatch 1, up to {args.epochs} epochs of Adam, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'task':10s} {'package':19s} {'lr':>6s} {'epochs to 1%':>12s} "
        f"{'s to 1%':>8s} {'epoch s: median (min, max)':>28s} {'final MSE':>10s}  "
        "learned taus"
    )
    for task in TASKS:
        x = task_input(task)
        for rate in args.rates:
            for package, run in runners.items():
                tf.keras.backend.clear_session()
                recorder, losses = run(task, x, rate, args.epochs)
                entry = summarize(task, recorder, losses)
                entry.update(task=task, package=package, learning_rate=rate)
                results["runs"].append(entry)
                m, lo, hi = entry["epoch_s"]
                epochs = entry["epochs_to_1pct"]
                seconds = entry["seconds_to_1pct"]
                print(
                    f"{task:10s} {package:19s} {rate:6.3f} "
                    f"{'never' if epochs is None else epochs:>12} "
                    f"{'-' if seconds is None else f'{seconds:.1f}':>8s} "
                    f"{m:10.4f} ({lo:.4f}, {hi:.4f}) {entry['final_mse']:10.2e}  "
                    f"{np.round(entry['learned'], 4).tolist()}"
                )
    print(f"true taus: { {task: sorted(t['true']) for task, t in TASKS.items()} }")

    output = write(results, args.output)

    plot(results, output.with_suffix(".png"))


def plot(results, path):
    """Learned time constants over the epochs, one colour per package and rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = sorted({(r["package"], r["learning_rate"]) for r in results["runs"]})
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    # more (package, rate) pairs than colours would reuse colours
    colours = {key: cycle[i % len(cycle)] for i, key in enumerate(keys)}
    fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 4))
    for ax, task in zip(axes, TASKS, strict=True):
        for run in results["runs"]:
            if run["task"] != task:
                continue
            key = (run["package"], run["learning_rate"])
            style = "-" if run["package"] == "nengo-dl-trainable" else "--"
            lines = ax.semilogy(np.array(run["history"]), style, color=colours[key])
            lines[0].set_label(f"{key[0]}, lr {key[1]}")
        for tau in TASKS[task]["true"]:
            ax.axhline(tau, color="k", alpha=0.3)
        ax.set_title(f"{task} (grey: true time constants)")
        ax.set_xlabel("epoch")
        ax.set_ylabel("learned time constants (s)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
