"""Does learning time constants help real temporal models at a given step scale?

The suite that chooses the default ``tau_step_scale`` (issue 27). Every row trains
one model twice from the same seed, data and optimizer: once with its time constants
fixed (stock NengoDL: weights, encoders and biases only), once with its time
constants trained as well at each ``--scales`` value (``default``: no setting,
whatever the package's default is). It reports the held-out loss or accuracy of
both, mean and standard deviation over ``--seeds`` seeds, and the learned values.

The rows (``--tasks``):

``memory``
    The first model of NengoDL's example "Optimizing a cognitive model with temporal
    dynamics" (``docs/examples/spa-memory.ipynb`` of the NengoDL 3.6.0 sdist), built
    from its description: 32-D unit vectors presented for 10 ms, to be remembered
    for 40 more ms (target: the vector, ramped up over the presentation); 96
    ``RectifiedLinear`` neurons (gain 1, bias 0), input ``transform=tau / t_int``
    and a recurrent connection, both ``Lowpass(0.01)``; MSE on every step;
    minibatch 32, 1024 training examples, 30 epochs (960 steps). Test: 256
    vectors of another vocabulary seed. Learned: ``{"stock", "synapse"}`` (both
    synapses). Twice, with the notebook's RMSprop 1e-4 (``memory rmsprop 1e-4``)
    and with Adam 1e-3.
``digits``
    A temporal classifier: scikit-learn's 8x8 digits, one row of pixels per 10
    steps (80 steps), into 300 ``LIFRate`` neurons and out to 10 logits (Node ->
    neurons -> Node, Glorot-uniform weights, ``Lowpass(0.005)`` on both
    connections), cross-entropy on the last step, minibatch 100, 1400 training
    and 397 test images, Adam at 0.001, 0.005 and 0.01. Accuracy is read after 15
    epochs (210 steps, "short") and after 60 (840 steps, "long") of the same run.
    Learned: both synapses (``synapses``), or one ``tau_rc`` per neuron
    (``tau_rc``, ``PerNeuron(LIFRate())``).
``issue60``
    NengoDL issue #60: a ``Lowpass(0.005)`` connection learns to answer a step as
    ``Lowpass(0.1)`` does (one parameter, one step per epoch, Adam 0.01, 150
    epochs): a check, not the judge.

Usage::

    python benchmarks/time_constant_suite.py [--tasks memory digits issue60]
        [--scales default 1 20] [--seeds 3] [--threads N] [--output FILE]

``--replot FILE ...`` merges result files (e.g. runs split over processes) and
prints their table. Needs the ``benchmarks`` extra (scikit-learn).
"""

import argparse
import json
import time
from pathlib import Path

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _results import machine, write

import nengo_dl_trainable

DT = 0.001
TASKS = ("memory", "digits", "issue60")
MEMORY_OPTIMIZERS = (("rmsprop", 1e-4), ("adam", 1e-3), ("adam", 1e-4), ("sgd", 1.0))
DIGITS_OPTIMIZERS = (
    ("adam", 0.001),
    ("adam", 0.005),
    ("adam", 0.01),
    ("adam", 1e-4),
    ("sgd", 0.003),
)
DIGITS_KINDS = ("synapses", "tau_rc")
DIGITS_EPOCHS = (15, 60)
#: the values reported for the digits task's fixed time constants, per kind
FIXED = {"synapses": [0.005, 0.005], "tau_rc": [0.02, 0.02, 0.02]}


def optimizer(name, rate):
    return {
        "adam": tf.optimizers.Adam,
        "rmsprop": tf.optimizers.RMSprop,
        "sgd": tf.optimizers.SGD,
    }[name](rate)


def settings(learned, scale):
    """Keyword arguments of ``configure_settings`` for one variant."""
    kwargs = {"trainable_params": None}
    if learned and scale != "default":
        kwargs["tau_step_scale"] = float(scale)
    return kwargs


# --- the memory model of NengoDL's spa-memory example -----------------------------


def unit_vectors(n, dims, seed):
    vectors = np.random.RandomState(seed).normal(size=(n, dims))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def memory_data(n, dims, seed, t_int=0.01, t_mem=0.04):
    int_steps, n_steps = int(t_int / DT), int((t_int + t_mem) / DT)
    vectors = unit_vectors(n, dims, seed)
    inputs = np.zeros((n, n_steps, dims))
    inputs[:, :int_steps] = vectors[:, None]
    ramp = np.minimum(np.arange(n_steps) / int_steps, 1.0)
    return inputs, vectors[:, None] * ramp[None, :, None]


def memory_run(opt, rate, learned, scale, seed):
    dims, t_int, tau = 32, 0.01, 0.01
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(**settings(learned, scale))
        if learned:
            net.config[nengo.Connection].trainable_params = {"stock", "synapse"}
        net.config[nengo.Ensemble].neuron_type = nengo.RectifiedLinear()
        net.config[nengo.Ensemble].gain = nengo.dists.Choice([1])
        net.config[nengo.Ensemble].bias = nengo.dists.Choice([0])
        inp = nengo.Node(np.zeros(dims))
        memory = nengo.Ensemble(3 * dims, dims)
        into = nengo.Connection(inp, memory, transform=tau / t_int, synapse=tau)
        recurrent = nengo.Connection(memory, memory, transform=1, synapse=tau)
        probe = nengo.Probe(memory)
    x_train, y_train = memory_data(1024, dims, seed)
    x_test, y_test = memory_data(256, dims, 1000 + seed)
    with nengo_dl.Simulator(
        net, minibatch_size=32, seed=seed, progress_bar=False
    ) as sim:
        sim.compile(optimizer=optimizer(opt, rate), loss={probe: tf.losses.mse})
        sim.fit({inp: x_train}, {probe: y_train}, epochs=30, verbose=0)
        loss = sim.evaluate({inp: x_test}, {probe: y_test}, verbose=0)["loss"]
        params = sim.get_nengo_params([into, recurrent])
    taus = [
        p.get("synapse", c.synapse).tau
        for p, c in zip(params, (into, recurrent), strict=True)
    ]
    return [{"row": f"memory {opt} {rate:g}", "score": float(loss), "values": taus}]


# --- digits read row by row ------------------------------------------------------


def digits_data(seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.RandomState(seed).permutation(len(digits.images))
    x = np.repeat(digits.images[order] / 16.0, 10, axis=1)  # (n, 80, 8)
    y = digits.target[order]
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def glorot(rng, shape):
    limit = np.sqrt(6 / sum(shape))
    return rng.uniform(-limit, limit, size=shape)


def last_step_loss(y_true, y_pred):
    return tf.keras.losses.sparse_categorical_crossentropy(
        y_true[:, -1], y_pred[:, -1], from_logits=True
    )


def digits_network(kind, learned, seed, neuron_type, **config):
    """The digits network: Node -> 300 neurons -> Node, both synapses 5 ms.

    ``config``: ``configure_settings`` keywords. Returns the network, the input
    node, the ensemble, the two connections and the output probe.
    """
    n = 300
    rng = np.random.RandomState(seed)
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(**config, stateful=False)
        stim = nengo.Node(np.zeros(8))
        ens = nengo.Ensemble(n, 1, neuron_type=neuron_type)
        first = nengo.Connection(
            stim, ens.neurons, transform=glorot(rng, (n, 8)), synapse=0.005
        )
        out = nengo.Node(size_in=10)
        second = nengo.Connection(
            ens.neurons, out, transform=glorot(rng, (10, n)), synapse=0.005
        )
        if learned and kind == "synapses":
            net.config[nengo.Connection].trainable_params = {"stock", "synapse"}
        if learned and kind == "tau_rc":
            net.config[ens.neurons].trainable_params = {"stock", "neuron_type.tau_rc"}
        probe = nengo.Probe(out)
    return net, stim, ens, first, second, probe


def digits_run(kind, opt, rate, learned, scale, seed):
    n = 300
    neuron_type = nengo.LIFRate()
    if kind == "tau_rc":
        neuron_type = nengo_dl.trainable_params.PerNeuron(neuron_type)
    net, stim, ens, first, second, probe = digits_network(
        kind, learned, seed, neuron_type, **settings(learned, scale)
    )
    (x_train, y_train), (x_test, y_test) = digits_data(seed)
    targets = np.repeat(y_train[:, None, None], x_train.shape[1], axis=1)
    n_test = len(x_test) // 100 * 100
    rows, done = [], 0
    with nengo_dl.Simulator(
        net, minibatch_size=100, seed=seed, progress_bar=False
    ) as sim:
        sim.compile(optimizer=optimizer(opt, rate), loss={probe: last_step_loss})
        for epochs in DIGITS_EPOCHS:
            sim.fit({stim: x_train}, {probe: targets}, epochs=epochs - done, verbose=0)
            done = epochs
            output = sim.predict({stim: x_test[:n_test]}, verbose=0)[probe]
            accuracy = np.mean(np.argmax(output[:, -1], -1) == y_test[:n_test])
            if kind == "synapses":
                params = sim.get_nengo_params([first, second])
                values = [
                    p.get("synapse", c.synapse).tau
                    for p, c in zip(params, (first, second), strict=True)
                ]
            else:
                (params,) = sim.get_nengo_params([ens])
                nt = params.get("neuron_type", ens.neuron_type)
                tau_rc = nt.parameter("tau_rc", n) if learned else np.full(n, 0.02)
                values = [
                    float(np.median(tau_rc)),
                    float(tau_rc.min()),
                    float(tau_rc.max()),
                ]
            length = "short" if epochs == DIGITS_EPOCHS[0] else "long"
            # fixed, both kinds are the same network (a PerNeuron type whose
            # values do not train runs as its base type): one run serves both
            for row_kind in DIGITS_KINDS if not learned else (kind,):
                rows.append(
                    {
                        "row": f"digits {row_kind} {opt} {rate:g} {length} "
                        f"({epochs} ep)",
                        "score": float(accuracy),
                        "values": values if row_kind == kind else FIXED[row_kind],
                    }
                )
    return rows


# --- NengoDL issue #60 -------------------------------------------------------------


def issue60_run(learned, scale, seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(**settings(learned, scale))
        u = nengo.Node(1)
        x = nengo.Node(size_in=1)
        conn = nengo.Connection(u, x, synapse=0.005)
        net.config[conn].trainable_params = {"synapse"} if learned else set()
        probe = nengo.Probe(x)
    step = np.ones((1, 1000, 1))
    step[:, 0] = 0
    target = nengo.Lowpass(0.1).filt(step, dt=DT, axis=1)
    within = None  # the first epoch after which tau is within 1% of 0.1 s
    with nengo_dl.Simulator(net, progress_bar=False, seed=seed) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        for epoch in range(1, 151 if learned else 1):
            sim.fit(n_steps=1000, y={probe: target}, epochs=1, verbose=0)
            (params,) = sim.get_nengo_params([conn])
            tau = params.get("synapse", conn.synapse).tau
            if within is None and abs(tau - 0.1) <= 0.001:
                within = epoch
        loss = sim.evaluate(n_steps=1000, y={probe: target}, verbose=0)["loss"]
        (params,) = sim.get_nengo_params([conn])
    tau = params.get("synapse", conn.synapse).tau
    if learned:
        print(f"issue60: tau within 1% of 0.1 s after epoch {within}", flush=True)
    return [
        {
            "row": "issue60 adam 0.01 (150 ep)",
            "score": float(loss),
            "values": [tau],
            "epochs_to_1pct": within,
        }
    ]


# --- the suite ----------------------------------------------------------------------


def jobs(tasks, scales, digits_kinds=DIGITS_KINDS, optimizers=None):
    """Every (task arguments, learned, scale) of the suite, fixed runs once.

    ``optimizers``: names like ``"adam-0.001"`` to keep (None: all).
    """

    def kept(opt, rate):
        return optimizers is None or f"{opt}-{rate:g}" in optimizers

    variants = [(False, None)] + [(True, scale) for scale in scales]
    for learned, scale in variants:
        if "memory" in tasks:
            for opt, rate in MEMORY_OPTIMIZERS:
                if kept(opt, rate):
                    yield memory_run, (opt, rate), learned, scale
        if "digits" in tasks:
            # a fixed run gives the rows of both kinds (see digits_run)
            for kind in digits_kinds if learned else digits_kinds[:1]:
                for opt, rate in DIGITS_OPTIMIZERS:
                    if kept(opt, rate):
                        yield digits_run, (kind, opt, rate), learned, scale
        if "issue60" in tasks:
            yield issue60_run, (), learned, scale


HIGHER_IS_BETTER = ("digits",)


def table(runs):
    """Print one line per row and variant: mean, std, learned values, vs fixed."""
    rows = sorted({r["row"] for r in runs}, key=lambda r: [x for x in r.split()])
    variants = sorted(
        {r["variant"] for r in runs}, key=lambda v: (v != "fixed", v != "default", v)
    )
    print(
        f"{'row':40s} {'variant':>9s} {'mean':>8s} {'std':>7s} {'n':>2s} "
        f"{'vs fixed':>9s}  learned values (mean over seeds)"
    )
    verdicts = {}
    for row in rows:
        higher = row.split()[0] in HIGHER_IS_BETTER
        fixed_by_seed = {
            r["seed"]: r["score"]
            for r in runs
            if r["row"] == row and r["variant"] == "fixed"
        }
        for variant in variants:
            here = [r for r in runs if r["row"] == row and r["variant"] == variant]
            if not here:
                continue
            scores = np.array([r["score"] for r in here])
            values = np.mean([r["values"] for r in here], axis=0)
            # against fixed on the same seeds (same data split, initial weights)
            fixed = [
                fixed_by_seed[r["seed"]] for r in here if r["seed"] in fixed_by_seed
            ]
            diff = ""
            if variant != "fixed" and len(fixed) == len(here):
                gain = np.mean(scores) - np.mean(fixed)
                gain = gain if higher else -gain
                spread = max(np.std(scores), np.std(fixed))
                verdict = (
                    "better"
                    if gain > spread
                    else ("WORSE" if -gain > spread else "same")
                )
                verdicts.setdefault(variant, []).append(verdict)
                diff = f"{gain:+.4f}" if higher else f"{gain:+.5f}"
                diff = f"{diff} {verdict}"
            print(
                f"{row:40s} {variant:>9s} {np.mean(scores):8.4f} {np.std(scores):7.4f} "
                f"{len(scores):2d} {diff:>15s}  " + " ".join(f"{v:.4g}" for v in values)
            )
    print(
        "\n'vs fixed': learned minus fixed (accuracy), or fixed minus learned (loss), "
        "means over the same seeds: positive is a gain; better/WORSE where it "
        "exceeds the larger standard deviation over those seeds of the two, else "
        "same."
    )
    for variant, counts in verdicts.items():
        print(
            f"scale {variant}: "
            + ", ".join(f"{counts.count(v)} {v}" for v in ("better", "same", "WORSE"))
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--scales", nargs="+", default=["default"])
    parser.add_argument(
        "--digits-kinds", nargs="+", choices=DIGITS_KINDS, default=list(DIGITS_KINDS)
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        help="the memory and digits optimizers to run, as NAME-RATE (e.g. adam-0.001)",
    )
    parser.add_argument(
        "--relative-step",
        type=float,
        help="optimizer_step.RELATIVE_STEP for the default variant (to choose it)",
    )
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--skip-fixed", action="store_true", help="only the learned variants"
    )
    parser.add_argument(
        "--threads", type=int, default=0, help="TensorFlow threads (0: its choice)"
    )
    parser.add_argument("--output", default="results/time_constant_suite.json")
    parser.add_argument("--replot", nargs="+", metavar="FILE")
    args = parser.parse_args()
    if args.replot:
        runs = [r for f in args.replot for r in json.loads(Path(f).read_text())["runs"]]
        table(runs)
        return
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    if args.relative_step is not None:
        nengo_dl_trainable.tools.optimizer_step.RELATIVE_STEP = args.relative_step
    results = {"machine": machine(), "settings": vars(args), "runs": []}
    for function, task_args, learned, scale in jobs(
        args.tasks, args.scales, args.digits_kinds, args.optimizers
    ):
        if args.skip_fixed and not learned:
            continue
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            tf.keras.backend.clear_session()
            start = time.perf_counter()
            rows = function(*task_args, learned, scale, seed)
            seconds = time.perf_counter() - start
            for entry in rows:
                variant = "fixed" if not learned else str(scale)
                if learned and scale == "default" and args.relative_step:
                    variant = f"s={args.relative_step:g}"
                entry.update(
                    variant=variant,
                    seed=seed,
                    seconds=seconds,
                )
                results["runs"].append(entry)
                print(
                    f"{entry['row']:40s} {entry['variant']:>8s} seed {seed} "
                    f"{entry['score']:.4f}  values "
                    + " ".join(f"{v:.4g}" for v in entry["values"])
                    + f"  ({seconds:.0f} s)",
                    flush=True,
                )
            write(results, args.output)
    print()
    table(results["runs"])


if __name__ == "__main__":
    main()
