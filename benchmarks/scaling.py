"""Cost against network size: training and inference with learned parameters.

The network of issue 38, as a new user would build it: a chain of N ensembles (40
LIF neurons, 2-D), each fed from the input node and from the previous ensemble,
the last read out by a node; 2N connections, each with its own synapse (time
constants all different); weights, encoders and biases train in every variant;
50 steps, minibatch 16, two minibatches per ``fit`` epoch.

Variants, each against its reference (the same network with nothing of this
package training):

- ``synapses``: every ``Lowpass`` trains (against ``stock``);
- ``tau_rc``: every ensemble's ``tau_rc`` trains (against ``stock``);
- ``both``: synapses and ``tau_rc`` (against ``stock``);
- ``both_spiking``: ``both`` with ``spiking_aware_training=True`` (reported
  apart: spikes in training cost a spiking step in each training step);
- ``delays``: every synapse a ``DelayedLowpass`` that trains its delay and time
  constant (against ``delays_fixed``, the same synapses untrained);
- ``double_exp``: every synapse a ``DoubleExp`` that trains (against
  ``double_exp_fixed``, stock NengoDL's ``LinearFilter`` builder).

All variants but ``both_spiking`` set ``spiking_aware_training=False``: the rate
approximation in training, as stock NengoDL.

Each network size runs in a fresh process, which builds every variant and then
measures interleaved rounds (a new random order each round, after one warm-up
round) of one ``fit`` epoch and one ``predict`` call per variant. Reported: the
median over rounds of the per-round ratio of process CPU time (all threads) to the
reference's, with its interquartile range; and with ``--memory``, at the
largest size, the peak resident memory (``VmHWM``) of a fresh process that
builds one variant and runs one epoch, against its reference's.

Results go to ``results/scaling.json``; ``--plot FILE`` draws the fit ratios
against the number of connections.

Usage: ``python benchmarks/scaling.py [--connections 16 256 1024] [--rounds 9]
[--variants ...] [--memory] [--plot FILE]``
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _results import machine, write

NEURONS, DIMENSIONS, STEPS, MINIBATCH, EXAMPLES = 40, 2, 50, 16, 32

#: variant -> (synapse kind, what trains, spiking-aware training, reference)
VARIANTS = {
    "stock": ("lowpass", (), False, None),
    "synapses": ("lowpass", ("synapse",), False, "stock"),
    "tau_rc": ("lowpass", ("neuron_type.tau_rc",), False, "stock"),
    "both": ("lowpass", ("synapse", "neuron_type.tau_rc"), False, "stock"),
    "both_spiking": ("lowpass", ("synapse", "neuron_type.tau_rc"), True, "stock"),
    "delays_fixed": ("delayed_lowpass", (), False, None),
    "delays": ("delayed_lowpass", ("synapse",), False, "delays_fixed"),
    "double_exp_fixed": ("double_exp", (), False, None),
    "double_exp": ("double_exp", ("synapse",), False, "double_exp_fixed"),
}


def synapse(kind, index, count):
    """The synapse of connection ``index`` of ``count``: time constants differ."""
    from nengo_dl_trainable import DelayedLowpass, DoubleExp

    tau = 0.005 + 0.02 * index / count
    if kind == "delayed_lowpass":
        return DelayedLowpass(tau, 0.002 + 0.003 * index / count, max_delay=0.01)
    if kind == "double_exp":
        return DoubleExp(tau, 0.002)
    return nengo.Lowpass(tau)


def build_network(connections, variant):
    """The chain with ``connections`` connections, configured for ``variant``."""
    kind, trained, spiking_aware, _ = VARIANTS[variant]
    n_ensembles = connections // 2
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(stateful=False)
        if trained:
            nengo_dl.configure_settings(
                trainable_params=None, spiking_aware_training=spiking_aware
            )
            conn_names = {"weights"} | {n for n in trained if n == "synapse"}
            ens_names = {"encoders", "bias"} | {n for n in trained if n != "synapse"}
            net.config[nengo.Connection].trainable_params = conn_names
            net.config[nengo.Ensemble].trainable_params = ens_names
        net.config[nengo.Ensemble].neuron_type = nengo.LIF()
        stim = nengo.Node(np.zeros(DIMENSIONS))
        ensembles = [nengo.Ensemble(NEURONS, DIMENSIONS) for _ in range(n_ensembles)]
        pairs = [(stim, ens) for ens in ensembles]
        pairs += list(zip(ensembles[:-1], ensembles[1:], strict=True))
        out = nengo.Node(size_in=DIMENSIONS)
        pairs.append((ensembles[-1], out))
        for index, (pre, post) in enumerate(pairs):
            nengo.Connection(pre, post, synapse=synapse(kind, index, len(pairs)))
        nengo.Probe(out)
    assert len(net.all_connections) == connections
    return net


def data():
    rng = np.random.RandomState(0)
    return (
        rng.uniform(-1, 1, size=(EXAMPLES, STEPS, DIMENSIONS)),
        rng.uniform(-1, 1, size=(EXAMPLES, STEPS, DIMENSIONS)),
    )


def simulator(net):
    sim = nengo_dl.Simulator(net, minibatch_size=MINIBATCH, progress_bar=False)
    sim.compile(optimizer=tf.optimizers.Adam(1e-3), loss="mse")
    return sim


def fit(sim, net, x, y):
    sim.fit({net.nodes[0]: x}, {net.probes[0]: y}, epochs=1, verbose=0)


def predict(sim, net, x, y):
    sim.predict({net.nodes[0]: x}, verbose=0)


def quartiles(values):
    return [float(q) for q in np.percentile(values, [25, 50, 75])]


def measure_size(connections, names, rounds):
    """Child process: interleaved rounds of every variant at one network size."""
    x, y = data()
    nets = {name: build_network(connections, name) for name in names}
    sims, build_s = {}, {}
    for name in names:
        start = time.perf_counter()
        sims[name] = simulator(nets[name])
        build_s[name] = time.perf_counter() - start
    cpu = {(kind, name): [] for kind in ("fit", "predict") for name in names}
    order_rng = np.random.RandomState(1)
    for round_ in range(rounds + 1):  # round 0: warm-up
        for name in order_rng.permutation(names):
            for kind, call in (("fit", fit), ("predict", predict)):
                start = time.process_time()
                call(sims[name], nets[name], x, y)
                if round_ > 0:
                    cpu[kind, name].append(time.process_time() - start)
    for sim in sims.values():
        sim.close()
    results = {}
    for name in names:
        reference = VARIANTS[name][3]
        entry = {"build_s": build_s[name]}
        for kind in ("fit", "predict"):
            entry[f"{kind}_cpu_s"] = quartiles(cpu[kind, name])
            if reference is not None:
                ratios = np.divide(cpu[kind, name], cpu[kind, reference])
                entry[f"{kind}_ratio"] = quartiles(ratios)
        results[name] = entry
    return results


def memory_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_memory(connections, name):
    """Child process: peak memory of building one variant and one fit epoch."""
    x, y = data()
    sim = simulator(build_network(connections, name))
    fit(sim, sim.model.toplevel, x, y)
    sim.close()
    return {"peak_kib": memory_kib("VmHWM")}


def child(arguments):
    """Run this script in a fresh process and return its JSON result."""
    result = subprocess.run(
        [sys.executable, __file__, *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_table(results, names):
    print(
        f"chain of 40-neuron LIF ensembles ({DIMENSIONS}-D), {STEPS} steps, "
        f"minibatch {MINIBATCH}, {EXAMPLES} examples per epoch; per-round ratio "
        "of process CPU time to the reference: median [25%, 75%]"
    )
    header = f"{'variant':18s}" + "".join(f"{n + ' conns':>26s}" for n in results)
    for kind in ("fit", "predict"):
        print(f"\n{kind}\n{header}")
        for name in names:
            if VARIANTS[name][3] is None:
                continue
            row = f"{name:18s}"
            for size in results.values():
                lo, med, hi = size["times"][name][f"{kind}_ratio"]
                row += f"{med:10.3f} [{lo:.3f}, {hi:.3f}]"
            print(row)
    if any("memory" in size for size in results.values()):
        print(f"\npeak memory (VmHWM) ratio to the reference\n{header}")
        for name in names:
            if VARIANTS[name][3] is None:
                continue
            row = f"{name:18s}"
            for size in results.values():
                memory = size.get("memory", {})
                reference = memory.get(VARIANTS[name][3], {}).get("peak_kib")
                own = memory.get(name, {}).get("peak_kib")
                row += (
                    f"{own / reference:26.3f}" if own and reference else f"{'-':>26s}"
                )
            print(row)


def plot(results, names, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [int(n) for n in results]
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in names:
        if VARIANTS[name][3] is None:
            continue
        quarts = np.array([results[n]["times"][name]["fit_ratio"] for n in results])
        ax.errorbar(
            sizes,
            quarts[:, 1],
            yerr=[quarts[:, 1] - quarts[:, 0], quarts[:, 2] - quarts[:, 1]],
            marker="o",
            capsize=3,
            label=name,
        )
    ax.axhline(1.05, color="grey", linestyle="--", linewidth=1, label="1.05")
    ax.set_xscale("log")
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(s) for s in sizes])
    ax.set_xlabel("connections")
    ax.set_ylabel("fit CPU time / reference (median, IQR)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 256, 1024])
    parser.add_argument("--rounds", type=int, default=9, help="timing rounds")
    parser.add_argument(
        "--variants", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS)
    )
    parser.add_argument(
        "--memory", action="store_true", help="also peak memory (largest size)"
    )
    parser.add_argument("--plot", help="draw the fit ratios into this file")
    parser.add_argument("--output", default="results/scaling.json")
    parser.add_argument("--child-times", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-memory", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = list(
        dict.fromkeys(
            v
            for name in args.variants
            for v in (VARIANTS[name][3], name)
            if v is not None
        )
    )
    if args.child_times:
        print(json.dumps(measure_size(args.child_times, names, args.rounds)))
        return
    if args.child_memory:
        size, name = args.child_memory
        print(json.dumps(measure_memory(int(size), name)))
        return

    results = {}
    for size in args.connections:
        if size % 2:
            parser.error("--connections must be even (two per ensemble)")
        print(f"measuring {size} connections ...", flush=True)
        times = child(
            ["--child-times", str(size), "--rounds", str(args.rounds), "--variants"]
            + names
        )
        results[str(size)] = {"times": times}
        if args.memory and size == max(args.connections):
            results[str(size)]["memory"] = {
                name: child(["--child-memory", str(size), name]) for name in names
            }
    print_table(results, names)
    write(
        {"machine": machine(), "rounds": args.rounds, "results": results},
        args.output,
    )
    if args.plot:
        plot(results, names, args.plot)


if __name__ == "__main__":
    main()
