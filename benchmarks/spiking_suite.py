"""Do learned time constants help spiking networks, and with which training mode?

The spiking rows of the real-task suite (issue 35). Every row compares, on the same
seeds, data and optimizer, the network with its time constants fixed against the
same network with them learned in NengoDL's rate mode (``spiking_aware_training =
False``: in ``fit`` spiking neurons run their rate approximation) and with spikes
in training (``spiking_aware_training = True``: spikes forward, the rate
approximation's gradient backward). Scores are read as NengoDL's users read a
spiking network: in inference (spikes), on the output after a few tens of steps.

The rows (``--tasks``):

``converted``
    NengoDL's example "Converting a Keras model to a spiking neural network"
    (``docs/examples/keras-to-snn.ipynb`` of the NengoDL 3.6.0 sdist), built from
    its description on scikit-learn's 8x8 digits (1400 training, 397 test
    images): a Keras model ``Conv2D(16, 3, relu) -> Conv2D(32, 3, strides 2,
    relu) -> Dense(10)`` trained as a rate network (Adam 1e-3, 30 epochs,
    minibatch 32; its seed varies with the row's seed), converted with
    ``swap_activations={relu: SpikingRectifiedLinear()}``,
    ``scale_firing_rates=20`` and a ``synapse`` on every neuron output. Each
    image is presented for 30 steps; the score is the accuracy of the output on
    the last step. Hand-tuned: the synapse of a grid (1 to 20 ms) that scores best
    on the test set (an optimistic baseline: it is chosen on the test set).
    Fine-tuned from 5 ms with ``fit`` on the training images (the loss is the
    cross-entropy on the last step; Adam ``--rate`` for ``--epochs`` epochs,
    minibatch 50): ``weights`` (stock NengoDL's fine-tuning; the time constants
    fixed), ``synapses`` (weights, biases and encoders fixed:
    ``trainable_params={"synapse"}`` on every object) and ``weights+synapses``
    (``configure_settings(trainable_params={"synapse"})`` on the converted network:
    the converter's ``trainable`` flags keep deciding the weights). It also
    reports the fewest steps at which each network reaches the accuracy the best
    hand-tuned synapse has at step 30 (latency).
``temporal``
    The suite's temporal digits task (``time_constant_suite.py``, one row of an
    8x8 digit per 10 steps, 80 steps) with 300 spiking ``LIF`` neurons: Adam 0.005,
    60 epochs, weights trained in every variant; learned: both synapses
    (``synapses``) or the ensemble's ``tau_rc`` (``tau_rc``). Accuracy read in
    inference on the last step.
``cost``
    Not a row: the CPU time of one training epoch of the ``converted`` network
    (weights and synapses) with spikes in training over that in rate mode,
    alternated in one process, the median of ``--repeats`` per-round ratios.

Usage::

    python benchmarks/spiking_suite.py [--tasks converted temporal cost] [--seeds 3]
        [--first-seed 0] [--threads N] [--output FILE]
    python benchmarks/spiking_suite.py --replot FILE [FILE ...]

Needs the ``benchmarks`` extra (scikit-learn).
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
from time_constant_suite import digits_data, digits_network, last_step_loss

DT = 0.001
N_STEPS = 30
GRID = (0.001, 0.002, 0.005, 0.01, 0.02)
START = 0.005
MODES = {"rate mode": False, "spiking-aware": True}


def digit_images(seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.RandomState(seed).permutation(len(digits.images))
    x = digits.images[order, :, :, None].astype(np.float32) / 16.0
    y = digits.target[order]
    return (x[:1400], y[:1400]), (x[1400:], y[1400:])


def keras_model(seed, train):
    """The keras-to-snn model, trained as a rate network."""
    tf.keras.utils.set_random_seed(seed)
    inp = tf.keras.Input((8, 8, 1))
    conv0 = tf.keras.layers.Conv2D(16, 3, activation=tf.nn.relu)(inp)
    conv1 = tf.keras.layers.Conv2D(32, 3, strides=2, activation=tf.nn.relu)(conv0)
    out = tf.keras.layers.Dense(10)(tf.keras.layers.Flatten()(conv1))
    model = tf.keras.Model(inp, out)
    model.compile(
        optimizer=tf.optimizers.Adam(1e-3),
        loss=tf.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    x, y = train
    model.fit(x, y, epochs=30, batch_size=32, verbose=0)
    return model, inp, out


def convert(model, inp, out, synapse):
    converter = nengo_dl.Converter(
        model,
        swap_activations={tf.nn.relu: nengo.SpikingRectifiedLinear()},
        scale_firing_rates=20,
        synapse=synapse,
    )
    return converter, converter.inputs[inp], converter.outputs[out]


def select(converter, what, spiking_aware):
    """Configure what fine-tuning trains on a converted network."""
    net = converter.net
    with net:
        nengo_dl.configure_settings(
            stateful=False,
            trainable_params={"synapse"} if what == "weights+synapses" else None,
            spiking_aware_training=spiking_aware,
        )
    if what == "synapses":
        for conn in net.all_connections:
            net.config[conn].trainable_params = (
                {"synapse"} if conn.synapse is not None else set()
            )
        for ens in net.all_ensembles:
            net.config[ens].trainable_params = set()
            net.config[ens.neurons].trainable_params = set()


def presented(x, n_steps):
    return np.repeat(x.reshape((len(x), 1, -1)), n_steps, axis=1)


def accuracy_by_step(sim, inp, probe, test, n_steps):
    x, y = test
    n = len(x) // 50 * 50
    output = sim.predict({inp: presented(x[:n], n_steps)}, verbose=0)[probe]
    return np.mean(np.argmax(output, axis=-1) == y[:n, None], axis=0)


def synapse_values(sim, converter):
    conns = [c for c in converter.net.all_connections if c.synapse is not None]
    params = sim.get_nengo_params(conns)
    return [
        float(p.get("synapse", c.synapse).tau)
        for p, c in zip(params, conns, strict=True)
    ]


def converted_run(seed, rate, epochs):
    """Every variant of one seed: the grid, then each fine-tuning."""
    train, test = digit_images(seed)
    model, inp, out = keras_model(seed, train)
    rows = []
    curves = {}
    for synapse in GRID:
        converter, c_inp, c_out = convert(model, inp, out, synapse)
        with converter.net:
            nengo_dl.configure_settings(stateful=False)
        with nengo_dl.Simulator(
            converter.net, minibatch_size=50, seed=seed, progress_bar=False
        ) as sim:
            curves[synapse] = accuracy_by_step(sim, c_inp, c_out, test, 2 * N_STEPS)
        rows.append(
            {
                "row": "converted hand-tuned",
                "variant": f"{synapse * 1000:g} ms",
                "score": float(curves[synapse][N_STEPS - 1]),
                "values": [synapse],
            }
        )
    best = max(GRID, key=lambda s: curves[s][N_STEPS - 1])
    best_score = curves[best][N_STEPS - 1]
    rows.append(
        {
            "row": "converted hand-tuned",
            "variant": "best",
            "score": float(best_score),
            "values": [best],
            "latency": latency(curves[best], best_score),
        }
    )
    x, y = train
    targets = np.repeat(y[:, None, None], N_STEPS, axis=1)
    for what in ("weights", "synapses", "weights+synapses"):
        for mode, spiking_aware in MODES.items():
            converter, c_inp, c_out = convert(model, inp, out, START)
            select(converter, what, spiking_aware)
            with nengo_dl.Simulator(
                converter.net, minibatch_size=50, seed=seed, progress_bar=False
            ) as sim:
                sim.compile(
                    optimizer=tf.optimizers.Adam(rate),
                    loss={c_out: last_step_loss},
                )
                sim.fit(
                    {c_inp: presented(x, N_STEPS)},
                    {c_out: targets},
                    epochs=epochs,
                    verbose=0,
                )
                curve = accuracy_by_step(sim, c_inp, c_out, test, 2 * N_STEPS)
                values = synapse_values(sim, converter)
            rows.append(
                {
                    "row": f"converted {what}",
                    "variant": mode,
                    "score": float(curve[N_STEPS - 1]),
                    "values": values,
                    "latency": latency(curve, best_score),
                }
            )
    return rows


def latency(curve, target):
    """The fewest steps at which ``curve`` reaches ``target`` (None: never in 60)."""
    reached = np.flatnonzero(curve >= target)
    return int(reached[0]) + 1 if len(reached) else None


def cost_run(seed, repeats):
    """CPU seconds per training epoch, rate mode against spiking-aware.

    The converted network fine-tuned in weights and synapses (as in the
    ``converted`` row), one epoch per round, the two modes alternated in one
    process; returns the per-round ratios.
    """
    train, _ = digit_images(seed)
    model, inp, out = keras_model(seed, train)
    x, y = train
    targets = np.repeat(y[:, None, None], N_STEPS, axis=1)
    sims = {}
    for mode, spiking_aware in MODES.items():
        converter, c_inp, c_out = convert(model, inp, out, START)
        select(converter, "weights+synapses", spiking_aware)
        sim = nengo_dl.Simulator(
            converter.net, minibatch_size=50, seed=seed, progress_bar=False
        )
        sim.compile(optimizer=tf.optimizers.Adam(1e-3), loss={c_out: last_step_loss})
        data = ({c_inp: presented(x, N_STEPS)}, {c_out: targets})
        sim.fit(*data, epochs=1, verbose=0)  # trace and warm up
        sims[mode] = (sim, data)
    seconds = {mode: [] for mode in MODES}
    for _ in range(repeats):
        for mode, (sim, data) in sims.items():
            start = time.process_time()
            sim.fit(*data, epochs=1, verbose=0)
            seconds[mode].append(time.process_time() - start)
    for sim, _ in sims.values():
        sim.close()
    ratios = np.array(seconds["spiking-aware"]) / np.array(seconds["rate mode"])
    q1, median, q3 = np.percentile(ratios, [25, 50, 75])
    print(
        f"fit CPU s per epoch, medians of {repeats}: rate mode "
        f"{np.median(seconds['rate mode']):.2f}, spiking-aware "
        f"{np.median(seconds['spiking-aware']):.2f}; per-round ratio median "
        f"{median:.3f} (IQR {q1:.3f} to {q3:.3f})"
    )
    return [
        {
            "row": "cost: spiking-aware / rate mode",
            "variant": "fit CPU time per epoch",
            "score": float(median),
            "values": [],
            "seconds": seconds,
        }
    ]


def temporal_run(kind, learned, spiking_aware, seed, rate=0.005, epochs=60):
    net, stim, ens, first, second, probe = digits_network(
        kind,
        learned,
        seed,
        nengo.LIF(),
        trainable_params=None,
        spiking_aware_training=spiking_aware,
    )
    (x_train, y_train), (x_test, y_test) = digits_data(seed)
    targets = np.repeat(y_train[:, None, None], x_train.shape[1], axis=1)
    n_test = len(x_test) // 100 * 100
    with nengo_dl.Simulator(
        net, minibatch_size=100, seed=seed, progress_bar=False
    ) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(rate), loss={probe: last_step_loss})
        sim.fit({stim: x_train}, {probe: targets}, epochs=epochs, verbose=0)
        output = sim.predict({stim: x_test[:n_test]}, verbose=0)[probe]
        accuracy = np.mean(np.argmax(output[:, -1], -1) == y_test[:n_test])
        if kind == "synapses":
            params = sim.get_nengo_params([first, second])
            values = [
                float(p.get("synapse", c.synapse).tau)
                for p, c in zip(params, (first, second), strict=True)
            ]
        else:
            (params,) = sim.get_nengo_params([ens])
            values = [float(params.get("neuron_type", ens.neuron_type).tau_rc)]
    variant = ("learned, " if learned else "fixed, ") + (
        "spiking-aware" if spiking_aware else "rate mode"
    )
    return [
        {
            "row": f"temporal {kind} adam {rate:g} ({epochs} ep)",
            "variant": variant,
            "score": float(accuracy),
            "values": values,
        }
    ]


def temporal_jobs(kinds=("synapses", "tau_rc")):
    for spiking_aware in (False, True):
        yield ("synapses", False, spiking_aware)  # fixed: both kinds' baseline
        for kind in kinds:
            yield (kind, True, spiking_aware)


def table(runs):
    """Mean, standard deviation and learned values per row and variant."""
    groups = {}
    for r in runs:
        groups.setdefault((r["row"], r["variant"]), []).append(r)
    print(
        f"{'row':34s} {'variant':>14s} {'mean':>6s} {'std':>6s} {'n':>2s} "
        f"{'latency':>8s}  values (mean)"
    )
    for (row, variant), rs in sorted(groups.items()):
        scores = [r["score"] for r in rs]
        values = np.mean([r["values"] for r in rs], axis=0)
        latencies = [r.get("latency") for r in rs if "latency" in r]
        lat = (
            "/".join("-" if v is None else str(v) for v in latencies)
            if latencies
            else ""
        )
        print(
            f"{row:34s} {variant:>14s} {np.mean(scores):6.3f} {np.std(scores):6.3f} "
            f"{len(scores):2d} {lat:>8s}  "
            + " ".join(f"{v * 1000:.2f}ms" for v in values)
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["converted", "temporal"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=9, help="rounds of 'cost'")
    parser.add_argument("--temporal-kinds", nargs="+", default=["synapses", "tau_rc"])
    parser.add_argument(
        "--threads", type=int, default=0, help="TensorFlow threads (0: its choice)"
    )
    parser.add_argument("--output", default=None)
    parser.add_argument("--replot", nargs="+", default=None)
    args = parser.parse_args()
    if args.replot:
        runs = [r for f in args.replot for r in json.loads(Path(f).read_text())["runs"]]
        table(runs)
        return
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    runs = []
    start = time.time()
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        if "converted" in args.tasks:
            for r in converted_run(seed, args.rate, args.epochs):
                runs.append({**r, "seed": seed})
            print(f"converted seed {seed} done, {time.time() - start:.0f} s")
        if "cost" in args.tasks:
            for r in cost_run(seed, args.repeats):
                runs.append({**r, "seed": seed})
        if "temporal" in args.tasks:
            for kind, learned, spiking_aware in temporal_jobs(args.temporal_kinds):
                for r in temporal_run(kind, learned, spiking_aware, seed):
                    runs.append({**r, "seed": seed, "spiking_aware": spiking_aware})
            print(f"temporal seed {seed} done, {time.time() - start:.0f} s")
        if args.output:
            write({"machine": machine(), "args": vars(args), "runs": runs}, args.output)
    table(runs)


if __name__ == "__main__":
    main()
