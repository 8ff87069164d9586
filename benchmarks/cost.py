"""Cost of trainable synapses and neuron parameters against stock NengoDL.

Two networks (``--network``):

- ``chain`` (the default; the "realistic spiking network" of issue 2): a chain of
  three LIF ensembles of 500 neurons, each with a recurrent connection, fed by a
  node and read out by a node; every connection has a synapse (``Lowpass``,
  ``Alpha`` or a double-exponential ``LinearFilter``); 100 steps, minibatch 32, 64
  examples.
- ``small`` (the temporal digits task's shape, issue 16): one ensemble of 300
  ``LIFRate`` neurons, driven from an 8-D node straight into its neurons and read
  out from its neurons into a 10-D node, both connections with Glorot-initialized
  weights and a synapse; 80 steps, minibatch 100, 1400 examples (``--ensembles``
  and ``--dimensions`` do not apply).

The variants:

- ``stock``: nothing configured (stock NengoDL trains weights, encoders, biases);
- ``synapses``: every connection also trains its synapse;
- ``tau_rc``: every ensemble also trains its neurons' (shared) ``tau_rc``;
- ``both``: synapses and ``tau_rc``;
- ``per_neuron``: `nengo_dl_trainable.PerNeuron` LIF neurons, training
  ``tau_rc``, ``tau_ref`` and ``amplitude`` of every neuron;
- ``stock_inference`` and ``both_inference``: ``stock`` and ``both`` built with
  ``inference_only=True``;
- ``frozen`` and ``frozen_per_neuron``: ``both`` and ``per_neuron`` after one
  epoch of training and ``freeze_params``, built without ``trainable_params``
  (what a user deploys).

Time: all variants are built in one process and measured in interleaved rounds
(in a new random order each round, after one warm-up round), so that load from
other processes hits them alike. Reported per variant: median (min, max)
wall-clock time of one ``fit`` epoch and of one ``predict`` call, and the ratio to
stock, as the median over rounds of the ratio measured within each round
(inference variants against ``stock_inference``), both of wall-clock time and of
the process's CPU time (all threads). On a shared machine the CPU-time ratio is
the steadier measure of the work done: it does not count time spent waiting for
a core.

Build time and peak memory: each variant is built and run (one ``fit`` epoch,
one ``predict``) in a fresh Python process, ``--repeats`` times, interleaved.
Reported: median build time (``nengo_dl.Simulator(...)``) and median peak
resident memory of the process (``VmHWM``, Linux), with ratios of medians to stock,
and the peak memory above the process's memory after its imports. A further
variant measured this way, ``stock_extension_off``, is stock with the extension
switched off (``NENGO_DL_TRAINABLE_DISABLE=1``): NengoDL without this package.

Results go to ``results/cost.json``.

Usage: ``python benchmarks/cost.py [--network chain|small]
[--synapse lowpass|alpha|double_exp] [--neuron-type lif|lifrate] [--neurons N]
[--steps N] [--minibatch N] [--examples N] [--rounds N] [--repeats N]
[--variants ...]``
"""

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _results import machine, write

SYNAPSES = {
    "lowpass": lambda i: nengo.Lowpass(0.005 + 0.001 * i),
    "alpha": lambda i: nengo.Alpha(0.005 + 0.001 * i),
    "double_exp": lambda i: nengo.LinearFilter(
        [1], [0.02 * (0.004 + 0.0005 * i), 0.024 + 0.0005 * i, 1]
    ),
}
NEURON_TYPES = {"lifrate": nengo.LIFRate, "lif": nengo.LIF}
# the small network's input and output sizes (the digits task's)
SMALL_INPUT, SMALL_OUTPUT = 8, 10
# defaults that differ between the networks (the rest are shared)
NETWORK_DEFAULTS = {
    "chain": {"neuron_type": "lif", "neurons": 500, "steps": 100, "minibatch": 32},
    "small": {
        "neuron_type": "lifrate",
        "neurons": 300,
        "steps": 80,
        "minibatch": 100,
        "examples": 1400,
    },
}

# what each variant trains: synapses, neuron parameters (a ``trainable_params``
# name), PerNeuron neurons; built with inference_only; frozen copy of which variant
VARIANTS = {
    "stock": {},
    "synapses": {"synapses": True},
    "tau_rc": {"neurons": "neuron_type.tau_rc"},
    "both": {"synapses": True, "neurons": "neuron_type.tau_rc"},
    "per_neuron": {"neurons": "neuron_type", "per_neuron": True},
    "stock_inference": {"inference_only": True},
    "both_inference": {
        "synapses": True,
        "neurons": "neuron_type.tau_rc",
        "inference_only": True,
    },
    "frozen": {"frozen_from": "both"},
    "frozen_per_neuron": {"frozen_from": "per_neuron"},
}
# only in the build-and-memory processes (the extension cannot be switched off
# within one process)
EXTENSION_OFF = "stock_extension_off"


def reference(name):
    """The variant ``name`` is compared with."""
    return "stock_inference" if name.endswith("_inference") else "stock"


def build_network(args, synapses=False, neurons=None, per_neuron=False, **_):
    """The benchmark network, configured to train what a variant trains."""
    synapse = SYNAPSES[args.synapse]
    neuron_type = NEURON_TYPES[args.neuron_type]()
    if per_neuron:
        from nengo_dl_trainable import PerNeuron

        neuron_type = PerNeuron(neuron_type)
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(stateful=False)
        if synapses or neurons:
            nengo_dl.configure_settings(trainable_params=None)
        net.config[nengo.Ensemble].neuron_type = neuron_type
        if args.network == "small":
            add_small_network(args, synapse)
        else:
            add_chain_network(args, synapse)
        if synapses:
            net.config[nengo.Connection].trainable_params = {"weights", "synapse"}
        if neurons:
            net.config[nengo.Ensemble].trainable_params = {"encoders", "bias", neurons}
    return net


def add_small_network(args, synapse):
    """One ensemble between two nodes, connected to and from its neurons."""
    stim = nengo.Node(np.zeros(SMALL_INPUT))
    ens = nengo.Ensemble(args.neurons, 1)
    out = nengo.Node(size_in=SMALL_OUTPUT)
    glorot = nengo_dl.dists.Glorot()
    nengo.Connection(stim, ens.neurons, transform=glorot, synapse=synapse(0))
    nengo.Connection(ens.neurons, out, transform=glorot, synapse=synapse(0))
    nengo.Probe(out)


def add_chain_network(args, synapse):
    """A chain of recurrent ensembles between two nodes."""
    stim = nengo.Node(np.zeros(args.dimensions))
    ensembles = [
        nengo.Ensemble(args.neurons, args.dimensions) for _ in range(args.ensembles)
    ]
    nengo.Connection(stim, ensembles[0], synapse=synapse(0))
    for i, ens in enumerate(ensembles):
        nengo.Connection(ens, ens, synapse=synapse(2 * i + 1))
        if i + 1 < len(ensembles):
            nengo.Connection(ens, ensembles[i + 1], synapse=synapse(2 * i + 2))
    out = nengo.Node(size_in=args.dimensions)
    nengo.Connection(ensembles[-1], out, synapse=synapse(0))
    nengo.Probe(out)


def data(args):
    rng = np.random.RandomState(0)
    sizes = (
        (SMALL_INPUT, SMALL_OUTPUT)
        if args.network == "small"
        else (args.dimensions, args.dimensions)
    )
    x, y = (
        rng.uniform(-1, 1, size=(args.examples, args.steps, size)) for size in sizes
    )
    return x, y


def simulator(net, args, inference_only=False):
    with net:
        nengo_dl.configure_settings(inference_only=inference_only)
    return nengo_dl.Simulator(net, minibatch_size=args.minibatch, progress_bar=False)


def compile_for_training(sim):
    sim.compile(optimizer=tf.optimizers.Adam(1e-3), loss="mse")


def fit(sim, net, x, y):
    sim.fit({net.nodes[0]: x}, {net.probes[0]: y}, epochs=1, verbose=0)


def predict(sim, net, x):
    sim.predict({net.nodes[0]: x}, verbose=0)


def frozen_network(args, source, x, y):
    """Train variant ``source`` for one epoch, freeze it, return the network."""
    net = build_network(args, **VARIANTS[source])
    with simulator(net, args) as sim:
        compile_for_training(sim)
        fit(sim, net, x, y)
        sim.freeze_params(net)
    for kind in (nengo.Connection, nengo.Ensemble):
        net.config[kind].trainable_params = None
    for conn in net.all_connections:
        # stock NengoDL's freeze_params gives decoded connections a lambda that
        # returns zeros (only its output size matters); make it picklable
        if conn.function is not None:
            conn.function = Zeros(conn.size_mid)
    return net


class Zeros:
    """A picklable connection function returning ``size`` zeros."""

    def __init__(self, size):
        self.size = size

    def __call__(self, x):
        return np.zeros(self.size)


def median_min_max(values):
    return [float(np.median(values)), float(np.min(values)), float(np.max(values))]


def measure_times(args, names, frozen, x, y):
    """Interleaved rounds of one fit epoch and one predict per variant."""
    sims, nets = {}, {}
    for name in names:
        spec = VARIANTS[name]
        nets[name] = (
            frozen[name] if "frozen_from" in spec else build_network(args, **spec)
        )
        sims[name] = simulator(nets[name], args, spec.get("inference_only", False))
        if not spec.get("inference_only"):
            compile_for_training(sims[name])
    # (kind, clock) -> variant -> seconds per round
    times = {
        (kind, clock): {} for kind in ("fit", "predict") for clock in ("wall", "cpu")
    }
    order_rng = np.random.RandomState(1)
    for round_ in range(args.rounds + 1):  # round 0: warm-up
        for name in order_rng.permutation(names):
            calls = [("predict", predict)]
            if not VARIANTS[name].get("inference_only"):
                calls.insert(0, ("fit", lambda *a: fit(*a, y)))
            for kind, call in calls:
                wall, cpu = time.perf_counter(), time.process_time()
                call(sims[name], nets[name], x)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if round_ > 0:
                    times[kind, "wall"].setdefault(name, []).append(wall)
                    times[kind, "cpu"].setdefault(name, []).append(cpu)
    for sim in sims.values():
        sim.close()

    results = {name: {} for name in names}
    for (kind, clock), per_variant in times.items():
        for name, seconds in per_variant.items():
            ratios = np.divide(seconds, per_variant[reference(name)])
            results[name][f"{kind}_{clock}_s"] = median_min_max(seconds)
            results[name][f"{kind}_{clock}_ratio"] = median_min_max(ratios)
    return results


def measure_one(args):
    """Child process: build and run one variant, print build time and memory."""
    name = args.child
    x, y = data(args)
    after_imports_kib = memory_kib("VmRSS")
    spec = VARIANTS.get(name, {})  # EXTENSION_OFF builds stock
    if "frozen_from" in spec:
        net = pickle.loads(Path(args.frozen_dir, f"{name}.pkl").read_bytes())
    else:
        net = build_network(args, **spec)
    start = time.perf_counter()
    sim = simulator(net, args, spec.get("inference_only", False))
    build_s = time.perf_counter() - start
    if not spec.get("inference_only"):
        compile_for_training(sim)
        fit(sim, net, x, y)
    predict(sim, net, x)
    sim.close()
    print(
        json.dumps(
            {
                "build_s": build_s,
                "peak_kib": memory_kib("VmHWM"),
                "after_imports_kib": after_imports_kib,
                "extension_imported": "nengo_dl_trainable" in sys.modules,
            }
        )
    )


def memory_kib(field):
    """A memory figure of this process: ``VmRSS`` (now) or ``VmHWM`` (peak)."""
    # not ru_maxrss: Linux carries the forking parent's peak across exec into it
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def measure_builds(args, names, frozen_dir):
    """Build time and peak memory of each variant, each in fresh processes."""
    records = {name: [] for name in names}
    for _ in range(args.repeats):
        for name in names:
            env = dict(os.environ)
            if name == EXTENSION_OFF:
                env["NENGO_DL_TRAINABLE_DISABLE"] = "1"
            command = [sys.executable, __file__, "--child", name]
            command += ["--frozen-dir", frozen_dir] + network_arguments(args)
            result = subprocess.run(
                command, env=env, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise RuntimeError(f"{name} failed:\n{result.stderr[-3000:]}")
            record = json.loads(result.stdout.strip().splitlines()[-1])
            if record["extension_imported"] != (name != EXTENSION_OFF):
                raise RuntimeError(f"{name}: extension_imported is wrong: {record}")
            records[name].append(record)

    def median(name, key):
        return float(np.median([r[key] for r in records[name]]))

    results = {}
    for name in names:
        ref = "stock" if name == EXTENSION_OFF else reference(name)
        above = [r["peak_kib"] - r["after_imports_kib"] for r in records[name]]
        ref_above = [r["peak_kib"] - r["after_imports_kib"] for r in records[ref]]
        results[name] = {
            "build_s": median_min_max([r["build_s"] for r in records[name]]),
            "build_ratio": median(name, "build_s") / median(ref, "build_s"),
            "peak_mib": median_min_max([r["peak_kib"] / 1024 for r in records[name]]),
            "peak_ratio": median(name, "peak_kib") / median(ref, "peak_kib"),
            "peak_above_imports_mib": float(np.median(above)) / 1024,
            "peak_above_imports_ratio": float(np.median(above) / np.median(ref_above)),
        }
    return results


NETWORK_OPTIONS = (
    "network",
    "examples",
    "synapse",
    "neuron_type",
    "ensembles",
    "neurons",
    "dimensions",
    "steps",
    "minibatch",
)


def network_arguments(args):
    """The command-line options that define the network, for a child process."""
    options = []
    for option in NETWORK_OPTIONS:
        options += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
    return options


def describe(args):
    """One line describing the network and the measurement."""
    if args.network == "small":
        network = (
            f"small network: {args.neurons} {args.neuron_type}, {SMALL_INPUT}-D in, "
            f"{SMALL_OUTPUT}-D out, 2 {args.synapse} connections"
        )
    else:
        network = (
            f"chain: {args.ensembles} x {args.neurons} {args.neuron_type}, "
            f"{args.dimensions}-D, {2 * args.ensembles + 1} {args.synapse} connections"
        )
    return (
        f"{network}, {args.steps} steps, minibatch {args.minibatch}, "
        f"{args.examples} examples; {args.rounds} timing rounds, {args.repeats} "
        f"build processes per variant; {os.cpu_count()} CPUs"
    )


def print_table(args, times, builds):
    print(describe(args))
    print(
        f"{'variant':20s} {'fit epoch s (min, max)':>24s} {'wall':>6s} {'CPU':>6s} "
        f"{'predict s (min, max)':>24s} {'wall':>6s} {'CPU':>6s}"
    )
    for name, entry in times.items():
        row = f"{name:20s} "
        for kind in ("fit", "predict"):
            if f"{kind}_wall_s" in entry:
                m, lo, hi = entry[f"{kind}_wall_s"]
                row += f"{m:7.3f} ({lo:.3f}, {hi:.3f}) "
                row += f"{entry[f'{kind}_wall_ratio'][0]:6.3f} "
                row += f"{entry[f'{kind}_cpu_ratio'][0]:6.3f} "
            else:
                row += f"{'-':>24s} {'-':>6s} {'-':>6s} "
        print(row)
    print(
        "seconds: wall-clock medians; ratios: median over rounds of the ratio within "
        "a round, of wall-clock and of process CPU time, against stock (inference "
        "variants against stock_inference)"
    )
    if not builds:
        return
    print(
        f"\n{'variant':20s} {'build s (min, max)':>20s} {'ratio':>6s} "
        f"{'peak MiB (min, max)':>20s} {'ratio':>6s} {'above imports':>14s} "
        f"{'ratio':>6s}"
    )
    for name, b in builds.items():
        m, lo, hi = b["build_s"]
        row = f"{name:20s} {m:6.2f} ({lo:.2f}, {hi:.2f}) {b['build_ratio']:6.3f} "
        m, lo, hi = b["peak_mib"]
        row += f"{m:6.0f} ({lo:4.0f}, {hi:4.0f}) {b['peak_ratio']:6.3f} "
        row += f"{b['peak_above_imports_mib']:14.0f} "
        row += f"{b['peak_above_imports_ratio']:6.3f}"
        print(row)
    print(
        "medians over fresh processes, ratios of medians, against stock (inference "
        "variants against stock_inference); above imports: peak minus the "
        "process's memory after its imports"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=sorted(NETWORK_DEFAULTS), default="chain")
    parser.add_argument("--synapse", choices=sorted(SYNAPSES), default="lowpass")
    parser.add_argument("--neuron-type", choices=sorted(NEURON_TYPES))
    parser.add_argument("--ensembles", type=int, default=3)
    parser.add_argument("--neurons", type=int)
    parser.add_argument("--dimensions", type=int, default=4)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--minibatch", type=int)
    parser.add_argument(
        "--examples", type=int, help="examples per epoch (chain: 2 minibatches)"
    )
    parser.add_argument("--rounds", type=int, default=15, help="timing rounds")
    parser.add_argument(
        "--repeats", type=int, default=3, help="build processes per variant (0: none)"
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=sorted(VARIANTS),
        default=list(VARIANTS),
        help="variants to measure (stock and stock_inference are always added)",
    )
    parser.add_argument("--output", default="results/cost.json")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--frozen-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for option, value in NETWORK_DEFAULTS[args.network].items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    if args.examples is None:
        args.examples = 2 * args.minibatch
    if args.child:
        measure_one(args)
        return

    names = list(dict.fromkeys(["stock", "stock_inference", *args.variants]))
    x, y = data(args)
    with tempfile.TemporaryDirectory() as frozen_dir:
        frozen = {}
        for name in names:
            source = VARIANTS[name].get("frozen_from")
            if source is not None:
                frozen[name] = frozen_network(args, source, x, y)
                Path(frozen_dir, f"{name}.pkl").write_bytes(pickle.dumps(frozen[name]))
        times = measure_times(args, names, frozen, x, y)
        builds = {}
        if args.repeats > 0:
            builds = measure_builds(args, [*names, EXTENSION_OFF], frozen_dir)
    print_table(args, times, builds)
    write(
        {
            "machine": machine(),
            "settings": vars(args),
            "times": times,
            "builds": builds,
        },
        args.output,
    )


if __name__ == "__main__":
    main()
