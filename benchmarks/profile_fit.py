"""Where a ``fit`` epoch's time goes: TensorFlow op time by NengoDL builder.

Builds the variants of one network, runs one warm-up epoch each, then profiles
``--epochs`` epochs per variant, interleaved (one epoch of each variant in turn),
with TensorFlow's profiler. Each op's time is attributed to the NengoDL builder
whose name scope made it (``DotIncBuilder``, ``SimNeuronsBuilder``, this
package's ``TrainableNeuronsBuilder`` ...; ``other`` for the rest: the loop,
the optimizer, Keras) and to the forward or backward pass (a ``gradients``
scope). The profiler's ``Process`` and ``Run`` events, in ``other``, span the
ops they run, so ``other`` overlaps the builders' rows and is not to be added
to them; the builders' rows do not overlap each other. Printed per epoch: op
time (ms) and op count by builder and direction, then the op types whose time
differs most between the first variant and each other one, and the wall-clock
time of the training function.

Networks (``--network``):

- ``scaling``: the chain of ``benchmarks/scaling.py`` with ``--connections``
  connections (its variants: ``stock``, ``tau_rc``, ``double_exp_fixed``,
  ``double_exp`` ...);
- ``small``: the small network of ``benchmarks/cost.py`` (the digits task's
  shape; its variants: ``stock``, ``synapses``, ``tau_rc``, ``both``).

A single profiled epoch scatters by about 15%; compare variants within one run,
and take the ratios from ``scaling.py`` or ``cost.py``, not from here.

Usage: ``python benchmarks/profile_fit.py --network scaling --connections 1024
--variants stock tau_rc --epochs 4``
"""

import argparse
import collections
import shutil
import tempfile
from pathlib import Path

import tensorflow as tf

try:  # TensorFlow 2.12 to 2.15
    from tensorflow.tsl.profiler.protobuf import xplane_pb2
except ImportError:  # pragma: no cover (later TensorFlow)
    from tsl.profiler.protobuf import xplane_pb2


def scaling_network(args):
    """Networks, simulators, data and the fit call of ``scaling.py``."""
    import scaling

    x, y = scaling.data()
    nets = {v: scaling.build_network(args.connections, v) for v in args.variants}
    sims = {v: scaling.simulator(net) for v, net in nets.items()}
    return sims, lambda v: scaling.fit(sims[v], nets[v], x, y)


def small_network(args):
    """Networks, simulators, data and the fit call of ``cost.py --network small``."""
    import cost

    options = argparse.Namespace(
        network="small", synapse="lowpass", **cost.NETWORK_DEFAULTS["small"]
    )
    x, y = cost.data(options)
    nets = {v: cost.build_network(options, **cost.VARIANTS[v]) for v in args.variants}
    sims = {}
    for v, net in nets.items():
        sims[v] = cost.simulator(net, options)
        cost.compile_for_training(sims[v])
    return sims, lambda v: cost.fit(sims[v], nets[v], x, y)


def builder_of(op_name):
    """The NengoDL builder scope in an op's name (``other`` if none)."""
    for part in op_name.split("/"):
        if "Builder" in part:
            return part.split("_")[0]
    return "other"


def op_times(logdir):
    """(builder, direction, op type) -> [time in ms, count], from one profile."""
    (path,) = Path(logdir).rglob("*.xplane.pb")
    space = xplane_pb2.XSpace()
    space.ParseFromString(path.read_bytes())
    times = collections.defaultdict(lambda: [0.0, 0])
    for plane in space.planes:
        if "CPU" not in plane.name and "Host" not in plane.name:
            continue
        for line in plane.lines:
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                if ":" not in name:
                    continue
                op_name, op_type = name.rsplit(":", 1)
                direction = "backward" if "gradients" in op_name else "forward"
                entry = times[builder_of(op_name), direction, op_type.strip()]
                entry[0] += event.duration_ps / 1e9
                entry[1] += 1
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=("scaling", "small"), default="scaling")
    parser.add_argument("--connections", type=int, default=1024)
    parser.add_argument("--variants", nargs="+", default=["stock", "tau_rc"])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    sims, fit = (scaling_network if args.network == "scaling" else small_network)(args)
    for v in args.variants:
        fit(v)  # warm-up: tracing
    totals = {v: collections.defaultdict(lambda: [0.0, 0]) for v in args.variants}
    logdir = tempfile.mkdtemp()
    for _ in range(args.epochs):
        for v in args.variants:
            shutil.rmtree(logdir, ignore_errors=True)
            tf.profiler.experimental.start(logdir)
            fit(v)
            tf.profiler.experimental.stop()
            for key, (ms, count) in op_times(logdir).items():
                totals[v][key][0] += ms / args.epochs
                totals[v][key][1] += count / args.epochs
    shutil.rmtree(logdir, ignore_errors=True)
    for sim in sims.values():
        sim.close()

    names = args.variants
    header = "".join(f"{v:>24s}" for v in names)
    print(f"per epoch, mean over {args.epochs}: op time ms (op count)\n")
    print(f"{'builder, direction':42s}{header}")
    by_builder = collections.defaultdict(lambda: collections.defaultdict(float))
    counts = collections.defaultdict(lambda: collections.defaultdict(float))
    for v in names:
        for (builder, direction, op_type), (ms, count) in totals[v].items():
            if builder == "other" and "train_function" in op_type:
                continue  # the whole step, not an op
            by_builder[builder, direction][v] += ms
            counts[builder, direction][v] += count
    for key in sorted(by_builder, key=lambda k: -max(by_builder[k].values())):
        if key[0] == "other" and key[1] == "forward":
            label = "other (loop, optimizer, Keras)"
        else:
            label = f"{key[0]}, {key[1]}"
        row = "".join(
            f"{by_builder[key][v]:14.1f} ({counts[key][v]:6.0f})" for v in names
        )
        print(f"{label:42s}{row}")
    for v in names[1:]:
        print(f"\nop types that differ most, {v} against {names[0]}")
        keys = set(totals[v]) | set(totals[names[0]])
        keys = [k for k in keys if "train_function" not in k[2]]
        keys.sort(key=lambda k: -abs(totals[v][k][0] - totals[names[0]][k][0]))
        for key in keys[: args.top]:
            row = "".join(
                f"{totals[n][key][0]:14.1f} ({totals[n][key][1]:6.0f})"
                for n in (names[0], v)
            )
            print(f"{', '.join(key):60s}{row}")
    print("\ntraining function, wall-clock ms per epoch")
    for v in names:
        ms = sum(t for k, (t, _) in totals[v].items() if "train_function" in k[2])
        print(f"  {v:20s}{ms:10.1f}")


if __name__ == "__main__":
    main()
