"""Cost of trainable synapses and neuron parameters against stock NengoDL.

The network: a chain of LIFRate ensembles with feed-forward and recurrent
connections, every connection with a synapse (Lowpass, Alpha or a
double-exponential LinearFilter). Variants, all built at once and measured in
interleaved rounds so that machine noise hits them alike:

- ``stock``: nothing configured (stock NengoDL);
- ``trainable``: with ``--train synapses`` every connection trains its weights and
  its synapse; with ``--train neurons`` every ensemble trains its encoders, biases
  and ``tau_rc``, ``tau_ref``, ``amplitude``; ``--train both`` does both;
- ``stock_inference`` / ``trainable_inference``: the same with
  ``inference_only=True``;
- ``frozen``: the trainable network after training and ``freeze_params``, built
  without ``trainable_params`` (what a user deploys).

For each variant the script reports the median (min, max) time of one ``fit``
epoch and of one ``predict`` call, and the ratio of medians to stock.
Results go to ``results/synapse_overhead.json``.

With ``--per-neuron`` the trainable (and frozen) networks use
`nengo_dl_trainable.PerNeuron` neuron types (one value per neuron); stock uses the
same neuron type with shared values.

Usage: ``python benchmarks/synapse_overhead.py [--synapse lowpass|alpha|double_exp]
[--train synapses|neurons|both] [--neuron-type lifrate|lif] [--per-neuron]
[--rounds N]``
"""

import argparse
import os
import time

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _results import machine, write

from nengo_dl_trainable import PerNeuron

SYNAPSES = {
    "lowpass": lambda i: nengo.Lowpass(0.005 + 0.001 * i),
    "alpha": lambda i: nengo.Alpha(0.005 + 0.001 * i),
    "double_exp": lambda i: nengo.LinearFilter(
        [1], [0.02 * (0.004 + 0.0005 * i), 0.024 + 0.0005 * i, 1]
    ),
}


NEURON_TYPES = {"lifrate": nengo.LIFRate, "lif": nengo.LIF}


def build_network(
    synapse, n_ensembles, n_neurons, trainable, inference_only, train, neuron_type
):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(
            trainable_params=None, inference_only=inference_only, stateful=False
        )
        net.config[nengo.Ensemble].neuron_type = neuron_type(trainable)
        stim = nengo.Node(np.zeros(4))
        ensembles = [nengo.Ensemble(n_neurons, 4) for _ in range(n_ensembles)]
        connections = [nengo.Connection(stim, ensembles[0], synapse=synapse(0))]
        for i, (pre, post) in enumerate(zip(ensembles, ensembles[1:], strict=False)):
            connections.append(nengo.Connection(pre, post, synapse=synapse(i + 1)))
            connections.append(nengo.Connection(pre, pre, synapse=synapse(i + 2)))
        out = nengo.Node(size_in=4)
        connections.append(nengo.Connection(ensembles[-1], out, synapse=synapse(0)))
        probe = nengo.Probe(out)
        if trainable and train in ("synapses", "both"):
            # weights (where they exist) and synapses for every connection
            net.config[nengo.Connection].trainable_params = {"weights", "synapse"}
        if trainable and train in ("neurons", "both"):
            # encoders and biases as stock, plus the neuron parameters
            net.config[nengo.Ensemble].trainable_params = {
                "encoders",
                "bias",
                "neuron_type",
            }
    return dict(net=net, stim=stim, probe=probe, conns=connections)


def build_simulator(variant, minibatch_size):
    start = time.perf_counter()
    variant["sim"] = nengo_dl.Simulator(
        variant["net"], minibatch_size=minibatch_size, progress_bar=False
    )
    variant["build"] = time.perf_counter() - start
    return variant


def median_min_max(values):
    return float(np.median(values)), float(np.min(values)), float(np.max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synapse", choices=sorted(SYNAPSES), default="lowpass")
    parser.add_argument(
        "--train", choices=("synapses", "neurons", "both"), default="synapses"
    )
    parser.add_argument(
        "--neuron-type", choices=sorted(NEURON_TYPES), default="lifrate"
    )
    parser.add_argument(
        "--per-neuron",
        action="store_true",
        help="trainable variants use PerNeuron (one value per neuron)",
    )
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--ensembles", type=int, default=6)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--minibatch", type=int, default=32)
    parser.add_argument("--output", default="results/synapse_overhead.json")
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, size=(args.minibatch * 2, args.steps, 4))
    y = rng.uniform(-1, 1, size=(args.minibatch * 2, args.steps, 4))

    def neuron_type(trainable):
        base = NEURON_TYPES[args.neuron_type]()
        return PerNeuron(base) if trainable and args.per_neuron else base

    def make(trainable, inference_only):
        variant = build_network(
            SYNAPSES[args.synapse],
            args.ensembles,
            args.neurons,
            trainable,
            inference_only,
            args.train,
            neuron_type,
        )
        return build_simulator(variant, args.minibatch)

    variants = {
        "stock": make(False, False),
        "trainable": make(True, False),
        "stock_inference": make(False, True),
        "trainable_inference": make(True, True),
    }

    # train a copy a little, freeze it, and build it as a user would deploy it
    frozen = make(True, False)
    frozen["sim"].compile(optimizer=tf.optimizers.Adam(1e-2), loss="mse")
    frozen["sim"].fit({frozen["stim"]: x}, {frozen["probe"]: y}, epochs=1, verbose=0)
    frozen["sim"].freeze_params(frozen["net"])
    frozen["sim"].close()
    frozen["net"].config[nengo.Connection].trainable_params = None
    frozen["net"].config[nengo.Ensemble].trainable_params = None
    variants["frozen"] = build_simulator(frozen, args.minibatch)

    for name, v in variants.items():
        if "inference" not in name:
            v["sim"].compile(optimizer=tf.optimizers.Adam(1e-3), loss="mse")
    fit_times = {name: [] for name in variants if "inference" not in name}
    predict_times = {name: [] for name in variants}
    # one warm-up round (graph construction), then interleaved measured rounds
    for rounds, record in ((1, False), (args.rounds, True)):
        for _ in range(rounds):
            for name, v in variants.items():
                sim, data = v["sim"], {v["stim"]: x}
                if name in fit_times:
                    start = time.perf_counter()
                    sim.fit(data, {v["probe"]: y}, epochs=1, verbose=0)
                    if record:
                        fit_times[name].append(time.perf_counter() - start)
                start = time.perf_counter()
                sim.predict(data, verbose=0)
                if record:
                    predict_times[name].append(time.perf_counter() - start)

    results = {
        "machine": machine(),
        "settings": vars(args),
        "variants": {},
    }
    print(
        f"{args.synapse}, training {args.train}: {2 * args.ensembles} connections, "
        f"{args.ensembles} x {args.neurons} {args.neuron_type}"
        f"{' (PerNeuron when trainable)' if args.per_neuron else ''}, "
        f"{args.steps} steps, "
        f"minibatch {args.minibatch}, {len(x)} examples, {args.rounds} rounds, "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"{'variant':20s} {'fit epoch s: median (min, max)':>31s} {'ratio':>6s} "
        f"{'predict s: median (min, max)':>31s} {'ratio':>6s} {'build s':>8s}"
    )
    base_fit = np.median(fit_times["stock"])
    for name, v in variants.items():
        base = "stock_inference" if "inference" in name else "stock"
        base_predict = np.median(predict_times[base])
        entry = {"build_s": v["build"]}
        row = f"{name:20s} "
        if name in fit_times:
            m, lo, hi = median_min_max(fit_times[name])
            entry.update(fit_s=[m, lo, hi], fit_ratio=m / base_fit)
            row += f"{m:13.4f} ({lo:.4f}, {hi:.4f}) {m / base_fit:6.3f} "
        else:
            row += f"{'-':>31s} {'-':>6s} "
        m, lo, hi = median_min_max(predict_times[name])
        entry.update(predict_s=[m, lo, hi], predict_ratio=m / base_predict)
        row += f"{m:13.4f} ({lo:.4f}, {hi:.4f}) {m / base_predict:6.3f} "
        row += f"{v['build']:8.2f}"
        print(row)
        results["variants"][name] = entry
    print(
        "ratios are medians against stock (inference variants against stock_inference)"
    )

    write(results, args.output)
    for v in variants.values():
        v["sim"].close()


if __name__ == "__main__":
    main()
