"""Learning time constants: nengo-dl-trainable against KerasSpiking, on a grid.

Each cell of the grid is a system-identification problem, an input and an
optimizer. A NengoDL network with trainable synapses and a Keras model with
KerasSpiking's trainable filter layers start from the same wrong time constants
and learn, from the same input, the output their own simulator gives with the
true ones (NengoDL's connection and Keras' layer differ by one step of delay); one
example of 1000 steps (1 s) per epoch.

Problems (start -> true, seconds):

- ``lowpass 0.005->0.1`` (NengoDL issue #60), ``lowpass 0.1->0.005``,
  ``lowpass 0.002->0.02``, ``lowpass 0.05->0.5``: one ``Lowpass``;
- ``alpha 0.005->0.05``: one ``Alpha`` (KerasSpiking's ``Alpha`` layer);
- ``per-dimension``: 8 dimensions, each its own time constant, all starting at
  0.02 and learning ``geomspace(0.002, 0.2, 8)`` (``VectorLowpass``; a KerasSpiking
  ``Lowpass`` layer has one time constant per unit).

Inputs: a step (ones), and white noise (standard normal) for ``--seeds`` seeds.
Optimizers: Adam at 0.001, 0.01 and 0.05 (``tf.optimizers.Adam``'s defaults
otherwise), and SGD at 0.1 (a rate that suits the weights of a small network).

Measured per run: the epochs (and wall-clock seconds) to the first epoch at which
every time constant is within 1% of its true value ("first"), and to the start of
the run of epochs within 1% that lasts to the end ("settled"). A run stops after
``--settle`` epochs in a row within 1%, or at ``--epochs``. Results go to
``results/keras_spiking_comparison.json``; a plot of settled epochs per cell to
``results/keras_spiking_comparison.png``.

Needs the ``benchmarks`` extra (KerasSpiking, matplotlib).

``--tau-step-scale K`` trains nengo-dl-trainable's time constants with
``tau_step_scale = K`` instead of the package's default.

``--replot A.json B.json ...`` runs nothing: it merges the results of earlier runs
(the same ``tau_step_scale``, no cell twice), prints their summary and draws the
plot of them all, to ``--output`` and its ``.png``.

Usage: ``python benchmarks/keras_spiking_comparison.py [--epochs N] [--settle N]
[--seeds N] [--inputs ...] [--problems ...] [--optimizers ...]
[--tau-step-scale K] [--output PATH] [--replot [JSON ...]]``
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
from _learning import EpochRecorder, keras_taus
from _results import machine, write

import nengo_dl_trainable

DT = 0.001
N_STEPS = 1000
PER_DIMENSION = tuple(np.geomspace(0.002, 0.2, 8))
PROBLEMS = {
    "lowpass 0.005->0.1": ("lowpass", (0.005,), (0.1,)),
    "lowpass 0.1->0.005": ("lowpass", (0.1,), (0.005,)),
    "lowpass 0.002->0.02": ("lowpass", (0.002,), (0.02,)),
    "lowpass 0.05->0.5": ("lowpass", (0.05,), (0.5,)),
    "alpha 0.005->0.05": ("alpha", (0.005,), (0.05,)),
    "per-dimension": ("lowpass", (0.02,) * 8, PER_DIMENSION),
}
OPTIMIZERS = {
    "adam 0.001": lambda: tf.optimizers.Adam(0.001),
    "adam 0.01": lambda: tf.optimizers.Adam(0.01),
    "adam 0.05": lambda: tf.optimizers.Adam(0.05),
    "sgd 0.1": lambda: tf.optimizers.SGD(0.1),
}


def problem_input(problem, name):
    """One example: a step, or white noise of seed ``noise<k>``."""
    d = len(PROBLEMS[problem][1])
    if name == "step":
        return np.ones((1, N_STEPS, d))
    seed = int(name.removeprefix("noise"))
    return np.random.RandomState(seed).standard_normal((1, N_STEPS, d))


def nengo_dl_synapse(kind, taus):
    if len(taus) > 1:
        return nengo_dl_trainable.VectorLowpass(taus)
    return {"lowpass": nengo.Lowpass, "alpha": nengo.Alpha}[kind](taus[0])


def nengo_dl_taus(synapse):
    return list(np.atleast_1d(synapse.tau))


def run_nengo_dl(problem, x, optimizer, args):
    kind, start, true = PROBLEMS[problem]

    def network(taus):
        with nengo.Network(seed=0) as net:
            nengo_dl.configure_settings(trainable_params=None)
            stim = nengo.Node(np.zeros(len(taus)))
            out = nengo.Node(size_in=len(taus))
            conn = nengo.Connection(stim, out, synapse=nengo_dl_synapse(kind, taus))
            net.config[conn].trainable_params = {"synapse"}
            if args.tau_step_scale is not None:
                net.config[conn].tau_step_scale = args.tau_step_scale
            probe = nengo.Probe(out)
        return net, stim, conn, probe

    net, stim, _, probe = network(true)
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        target = sim.predict({stim: x}, verbose=0)[probe]
    net, stim, conn, probe = network(start)
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=optimizer, loss="mse")
        recorder = EpochRecorder(
            lambda: nengo_dl_taus(sim.get_nengo_params(conn)["synapse"]),
            stop_when=settled_stop(true, args.settle),
        )
        sim.fit(
            {stim: x},
            {probe: target},
            epochs=args.epochs,
            verbose=0,
            callbacks=[recorder],
        )
    return recorder


def keras_model(kind, taus):
    layer_type = {"lowpass": keras_spiking.Lowpass, "alpha": keras_spiking.Alpha}[kind]
    inp = tf.keras.Input((None, len(taus)))
    # as Nengo's filters, which start from zero
    layer = layer_type(
        tau_initializer=tf.constant_initializer(taus),
        dt=DT,
        initial_level_constraint=tf.zeros_like,
    )
    return tf.keras.Model(inp, layer(inp)), layer


def run_keras_spiking(problem, x, optimizer, args):
    kind, start, true = PROBLEMS[problem]
    model, _ = keras_model(kind, true)
    target = model.predict(x, verbose=0)
    model, layer = keras_model(kind, start)
    model.compile(optimizer=optimizer, loss="mse")
    recorder = EpochRecorder(
        lambda: keras_taus([layer]), stop_when=settled_stop(true, args.settle)
    )
    model.fit(x, target, epochs=args.epochs, verbose=0, callbacks=[recorder])
    return recorder


def within(taus, true):
    return bool(np.all(np.abs(np.asarray(taus) - true) <= 0.01 * np.asarray(true)))


def settled_stop(true, settle):
    """Stop after ``settle`` epochs in a row within 1%."""
    streak = []

    def stop(taus):
        streak.append(within(taus, true))
        return len(streak) >= settle and all(streak[-settle:])

    return stop


def summarize(problem, recorder):
    true = PROBLEMS[problem][2]
    hits = [within(taus, true) for taus in recorder.taus]
    first = hits.index(True) if any(hits) else None
    settled = None
    if hits and hits[-1]:
        misses = [i for i, hit in enumerate(hits) if not hit]
        settled = misses[-1] + 1 if misses else 0
    epoch_times = np.diff([0.0] + recorder.times)

    def at(i):
        return None if i is None else (i + 1, recorder.times[i])

    return {
        "first": at(first),
        "settled": at(settled),
        "epochs_run": len(hits),
        "epoch_s": float(np.median(epoch_times[1:])) if len(hits) > 1 else None,
        "learned": [float(t) for t in recorder.taus[-1]],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--settle", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--inputs",
        nargs="+",
        help="a subset of step, noise0, noise1, ... (default: all)",
    )
    parser.add_argument(
        "--problems", nargs="+", choices=list(PROBLEMS), default=list(PROBLEMS)
    )
    parser.add_argument(
        "--optimizers", nargs="+", choices=list(OPTIMIZERS), default=list(OPTIMIZERS)
    )
    parser.add_argument(
        "--tau-step-scale",
        type=float,
        help="the connections' tau_step_scale (default: the package's)",
    )
    parser.add_argument("--output", default="results/keras_spiking_comparison.json")
    parser.add_argument(
        "--replot",
        nargs="*",
        metavar="JSON",
        help="run nothing: merge these results (default: --output), summarize, plot",
    )
    args = parser.parse_args()
    if args.replot is not None:
        paths = args.replot or [args.output]
        try:
            results = merge([json.loads(Path(p).read_text()) for p in paths])
        except ValueError as error:
            parser.error(str(error))
        print_summary(results)
        output = Path(args.output)
        if args.replot:
            output = write(results, output)
        plot(results, output.with_suffix(".png"))
        return

    runners = {"nengo-dl-trainable": run_nengo_dl, "keras-spiking": run_keras_spiking}
    inputs = ["step"] + [f"noise{seed}" for seed in range(args.seeds)]
    if args.inputs:
        unknown = set(args.inputs) - set(inputs)
        if unknown:
            parser.error(
                f"unknown inputs {sorted(unknown)} (with --seeds {args.seeds})"
            )
        inputs = args.inputs
    results = {
        "machine": machine(keras_spiking=keras_spiking.__version__),
        "settings": vars(args),
        "tau_step_scale": args.tau_step_scale
        or nengo_dl_trainable.parameterizations.encoding.DEFAULT_STEP_SCALE,
        "runs": [],
    }
    print(
        f"{N_STEPS} steps per epoch, minibatch 1, up to {args.epochs} epochs, stop "
        f"after {args.settle} within 1%; {os.cpu_count()} CPUs"
    )
    print(
        f"{'problem':20s} {'input':7s} {'optimizer':11s} {'package':19s} "
        f"{'first':>6s} {'settled':>8s} {'s settled':>10s} {'epoch s':>8s}"
    )
    for problem in args.problems:
        for name in inputs:
            x = problem_input(problem, name)
            for optimizer in args.optimizers:
                for package, run in runners.items():
                    tf.keras.backend.clear_session()
                    recorder = run(problem, x, OPTIMIZERS[optimizer](), args)
                    entry = summarize(problem, recorder)
                    entry.update(
                        problem=problem,
                        input=name,
                        optimizer=optimizer,
                        package=package,
                    )
                    results["runs"].append(entry)
                    first, settled = entry["first"], entry["settled"]
                    print(
                        f"{problem:20s} {name:7s} {optimizer:11s} {package:19s} "
                        f"{'never' if first is None else first[0]:>6} "
                        f"{'never' if settled is None else settled[0]:>8} "
                        f"{'-' if settled is None else f'{settled[1]:.1f}':>10s} "
                        f"{entry['epoch_s'] or 0:8.4f}",
                        flush=True,
                    )
    print_summary(results)
    output = write(results, args.output)
    plot(results, output.with_suffix(".png"))


def merge(results_list):
    """One result from the results of several runs.

    Each run keeps its own epoch limit (``epoch_limit``); the merged settings'
    ``epochs`` is the largest. Raises ``ValueError`` for results with different
    ``tau_step_scale`` or a cell measured twice.
    """
    scales = {results["tau_step_scale"] for results in results_list}
    if len(scales) > 1:
        raise ValueError(f"results with different tau_step_scale: {sorted(scales)}")
    runs, seen = [], set()
    for results in results_list:
        for run in results["runs"]:
            key = (run["problem"], run["input"], run["optimizer"], run["package"])
            if key in seen:
                raise ValueError(f"cell measured twice: {key}")
            seen.add(key)
            runs.append({"epoch_limit": results["settings"]["epochs"], **run})
    return {
        "machine": results_list[0]["machine"],
        "settings": {"epochs": max(r["epoch_limit"] for r in runs)},
        "tau_step_scale": scales.pop(),
        "runs": runs,
    }


def cells(results):
    """(problem, input, optimizer) -> package -> run."""
    table = {}
    for run in results["runs"]:
        key = (run["problem"], run["input"], run["optimizer"])
        table.setdefault(key, {})[run["package"]] = run
    return table


def print_summary(results):
    """Where each package settles, and where ours is slower than KerasSpiking's."""
    ours, theirs = "nengo-dl-trainable", "keras-spiking"
    table = cells(results)
    for metric in ("first", "settled"):
        both = only_ours = only_theirs = slower = 0
        for runs in table.values():
            a, b = runs[ours][metric], runs[theirs][metric]
            both += a is not None and b is not None
            only_ours += a is not None and b is None
            only_theirs += a is None and b is not None
            slower += b is not None and (a is None or a[0] > b[0])
        print(
            f"{metric}: {len(table)} cells; both reach 1% in {both}, only "
            f"nengo-dl-trainable in {only_ours}, only KerasSpiking in {only_theirs}; "
            f"nengo-dl-trainable needs more epochs than KerasSpiking (or never "
            f"gets there) in {slower} of the {both + only_theirs} cells KerasSpiking "
            "reaches"
        )


def plot(results, path):
    """Settled epochs per cell, both packages, one panel per problem.

    Within an optimizer, the inputs are side by side (step, noise0, noise1, ...);
    cells never settled are drawn above the line at the epoch limit.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = cells(results)
    problems = [p for p in PROBLEMS if any(key[0] == p for key in table)]
    inputs = sorted({key[1] for key in table}, key=lambda name: (name != "step", name))
    optimizers = [o for o in OPTIMIZERS if any(key[2] == o for key in table)]
    limit = results["settings"]["epochs"]
    columns = min(3, len(problems))
    rows = -(-len(problems) // columns)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(3.6 * columns, 3.2 * rows),
        sharey=True,
        squeeze=False,
    )
    width = 0.6 / max(1, len(inputs) - 1)
    for ax, problem in zip(axes.flat, problems, strict=False):
        for package, marker in (("nengo-dl-trainable", "o"), ("keras-spiking", "x")):
            xs, ys = [], []
            for (p, name, optimizer), runs in table.items():
                if p != problem or package not in runs:
                    continue
                settled = runs[package]["settled"]
                offset = (inputs.index(name) - (len(inputs) - 1) / 2) * width
                xs.append(optimizers.index(optimizer) + offset)
                ys.append(limit * 1.3 if settled is None else settled[0])
            ax.scatter(xs, ys, marker=marker, label=package, alpha=0.8)
        ax.axhline(limit, color="k", alpha=0.3)
        ax.set_xticks(range(len(optimizers)), optimizers, fontsize=7)
        ax.set_yscale("log")
        ax.set_title(problem, fontsize=9)
    for ax in axes.flat[len(problems) :]:
        ax.set_visible(False)
    for row in axes:
        row[0].set_ylabel("epochs to settle within 1%")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(
        f"inputs left to right: {', '.join(inputs)}; above the line: never "
        f"(tau_step_scale {results['tau_step_scale']:g})",
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
