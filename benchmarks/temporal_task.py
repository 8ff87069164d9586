"""Value on a temporal task: digits read one row at a time by a spiking network.

scikit-learn's 8x8 digits (shipped inside scikit-learn, no download) are presented
one row per ``--row-steps`` time steps, top to bottom, to an ensemble of LIF
neurons; the class is read from the network's output at the last time step only,
so the answer depends on how well the network integrates over time. The network:
input rows -> (trainable weights) -> LIF neurons -> synapse -> (trainable weights)
-> 10 outputs. Variants, each trained with the same data, optimizer and epochs:

- ``stock``: weights and biases only (stock NengoDL), synapse ``Lowpass(0.005)``;
- ``synapse``: also the synapse's time constant (one, shared);
- ``neurons``: also the neurons' ``tau_rc`` and ``tau_ref`` (shared);
- ``heterogeneous``: one ``tau_rc`` per neuron (``PerNeuron``) and one synaptic
  time constant per neuron (``VectorLowpass`` on the neurons' output).

Training runs at the package's default: in the variants that learn a time
constant the neurons spike in training (``spiking_aware_training``, with the
gradient of NengoDL's rate approximation of LIF), in ``stock`` they run that rate
approximation; test accuracy is measured with spiking neurons. For ``--seeds``
seeds (data split, initial weights), the script reports the mean and standard
deviation of test accuracy per variant, writes ``results/temporal_task.json`` and
a histogram of the learned time constants to ``results/temporal_task.png``.

Needs the ``benchmarks`` extra and scikit-learn.

``--neuron-tau-step-scale K`` sets the ensemble's ``tau_step_scale`` (how far a
step moves ``tau_rc`` and ``tau_ref``; default 1) in the ``neurons`` and
``heterogeneous`` variants; ``--variants`` runs only some variants.

Usage: ``python benchmarks/temporal_task.py [--seeds N] [--epochs N]
[--variants V ...] [--neuron-tau-step-scale K]``
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
from sklearn.datasets import load_digits

from nengo_dl_trainable import PerNeuron, VectorLowpass

DT = 0.001
VARIANTS = ("stock", "synapse", "neurons", "heterogeneous")


def dataset(seed, row_steps):
    digits = load_digits()
    images = digits.images / 16.0
    order = np.random.RandomState(seed).permutation(len(images))
    # one row per `row_steps` steps: (examples, 8 * row_steps, 8)
    x = np.repeat(images[order], row_steps, axis=1)
    y = digits.target[order]
    n_train = 1200
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def network(variant, n_neurons, seed, neuron_step_scale=None):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        net.config[nengo.Connection].trainable_params = {"weights"}
        net.config[nengo.Ensemble].trainable_params = {"bias"}
        neuron_type = nengo.LIF(amplitude=0.01)
        if variant == "heterogeneous":
            neuron_type = PerNeuron(neuron_type)
        rng = np.random.RandomState(seed)
        stim = nengo.Node(np.zeros(8))
        ens = nengo.Ensemble(
            n_neurons,
            1,
            neuron_type=neuron_type,
            gain=nengo.dists.Choice([1.0]),
            bias=nengo.dists.Choice([0.0]),
        )
        nengo.Connection(
            stim,
            ens.neurons,
            transform=rng.normal(0, 1 / np.sqrt(8), (n_neurons, 8)) * 10,
            synapse=None,
        )
        hidden = nengo.Node(size_in=n_neurons)
        synapse = (
            VectorLowpass([0.005] * n_neurons)
            if variant == "heterogeneous"
            else nengo.Lowpass(0.005)
        )
        filtered = nengo.Connection(ens.neurons, hidden, synapse=synapse)
        out = nengo.Node(size_in=10)
        nengo.Connection(
            hidden,
            out,
            transform=rng.normal(0, 1 / np.sqrt(n_neurons), (10, n_neurons)),
            synapse=None,
        )
        # the neurons -> synapse connection carries no trained weights, only the
        # synapse where the variant trains it
        net.config[filtered].trainable_params = (
            {"synapse"} if variant in ("synapse", "heterogeneous") else set()
        )
        if variant == "neurons":
            net.config[ens.neurons].trainable_params = {
                "bias",
                "neuron_type.tau_rc",
                "neuron_type.tau_ref",
            }
        if variant == "heterogeneous":
            net.config[ens.neurons].trainable_params = {"bias", "neuron_type.tau_rc"}
        if variant in ("neurons", "heterogeneous") and neuron_step_scale is not None:
            net.config[ens].tau_step_scale = neuron_step_scale
        probe = nengo.Probe(out)
    return net, stim, ens, filtered, probe


def last_step_loss(y_true, y_pred):
    return tf.keras.losses.sparse_categorical_crossentropy(
        y_true[:, -1], y_pred[:, -1], from_logits=True
    )


def run(variant, seed, args):
    (x_train, y_train), (x_test, y_test) = dataset(seed, args.row_steps)
    n_steps = x_train.shape[1]
    net, stim, ens, filtered, probe = network(
        variant, args.neurons, seed, args.neuron_tau_step_scale
    )
    start = time.perf_counter()
    with nengo_dl.Simulator(
        net, dt=DT, minibatch_size=args.minibatch, progress_bar=False, seed=seed
    ) as sim:
        sim.compile(
            optimizer=tf.optimizers.Adam(args.learning_rate),
            loss={probe: last_step_loss},
        )
        sim.fit(
            {stim: x_train},
            {probe: np.repeat(y_train[:, None, None], n_steps, axis=1)},
            epochs=args.epochs,
            verbose=0,
        )
        n_test = len(x_test) // args.minibatch * args.minibatch
        output = sim.predict({stim: x_test[:n_test]})[probe]
        params = sim.get_nengo_params([filtered, ens])
    accuracy = float(np.mean(np.argmax(output[:, -1], axis=-1) == y_test[:n_test]))
    # learned values where they trained, the originals elsewhere
    synapse = params[0].get("synapse", filtered.synapse)
    neuron_type = params[1].get("neuron_type", ens.neuron_type)
    taus = np.atleast_1d(synapse.tau).tolist()
    if isinstance(neuron_type, PerNeuron):
        tau_rc = neuron_type.parameter("tau_rc", args.neurons).tolist()
    else:
        tau_rc = [neuron_type.tau_rc]
    return {
        "variant": variant,
        "seed": seed,
        "test_accuracy": accuracy,
        "synapse_tau": taus,
        "tau_rc": tau_rc,
        "seconds": time.perf_counter() - start,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--row-steps", type=int, default=5)
    parser.add_argument("--minibatch", type=int, default=100)
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument(
        "--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS)
    )
    parser.add_argument(
        "--neuron-tau-step-scale",
        type=float,
        default=None,
        help="tau_step_scale of the ensemble (neurons, heterogeneous variants)",
    )
    parser.add_argument("--output", default="results/temporal_task.json")
    parser.add_argument(
        "--replot", action="store_true", help="only redraw the plot from --output"
    )
    args = parser.parse_args()
    if args.replot:
        output = Path(args.output)
        plot(json.loads(output.read_text()), output.with_suffix(".png"))
        return

    results = {
        "machine": machine(),
        "settings": vars(args),
        "runs": [],
    }
    for seed in range(args.seeds):
        for variant in args.variants:
            tf.keras.backend.clear_session()
            entry = run(variant, seed, args)
            results["runs"].append(entry)
            print(
                f"seed {seed} {variant:14s} test accuracy {entry['test_accuracy']:.3f}"
                f"  synapse tau median {np.median(entry['synapse_tau']):.4f} s"
                f"  tau_rc median {np.median(entry['tau_rc']):.4f} s"
                f"  ({entry['seconds']:.0f} s)"
            )

    print(
        f"\n{args.seeds} seeds, {args.epochs} epochs, {args.neurons} LIF neurons, "
        f"rows of 8 pixels for {args.row_steps} steps each, class read at the last "
        f"step; spiking test accuracy:"
    )
    print(f"{'variant':14s} {'mean':>6s} {'std':>6s} {'min':>6s} {'max':>6s}")
    summary = {}
    for variant in args.variants:
        acc = [r["test_accuracy"] for r in results["runs"] if r["variant"] == variant]
        summary[variant] = {
            "mean": float(np.mean(acc)),
            "std": float(np.std(acc)),
            "min": float(np.min(acc)),
            "max": float(np.max(acc)),
        }
        s = summary[variant]
        print(
            f"{variant:14s} {s['mean']:6.3f} {s['std']:6.3f} "
            f"{s['min']:6.3f} {s['max']:6.3f}"
        )
    results["summary"] = summary

    output = write(results, args.output)

    plot(results, output.with_suffix(".png"))


def plot(results, path):
    """Histograms of the learned time constants (shared ones as marks)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    for variant in VARIANTS[1:]:
        runs = [r for r in results["runs"] if r["variant"] == variant]
        if not runs:
            continue
        for ax, key, skip in (
            (axes[0], "synapse_tau", "neurons"),
            (axes[1], "tau_rc", "synapse"),
        ):
            if variant == skip:
                continue
            values = np.concatenate([r[key] for r in runs]) * 1e3
            if variant == "heterogeneous":
                ax.hist(values, bins=30, alpha=0.5, label=f"{variant} (per neuron)")
            else:
                # one shared value per seed
                ax.plot(
                    values,
                    np.zeros_like(values),
                    "|",
                    ms=40,
                    mew=2,
                    label=f"{variant} (shared, one per seed)",
                )
    axes[0].set_xlabel("learned synaptic time constant (ms); start 5 ms")
    axes[1].set_xlabel("learned tau_rc (ms); start 20 ms")
    for ax in axes:
        ax.set_ylabel("count (all seeds)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    main()
