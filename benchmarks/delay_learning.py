"""Learning synaptic delays: recovery, a task where timing matters, and the cost.

Three measurements, each printed and written to ``results/delay_learning.json``:

``recovery``
    A smooth random signal (sinusoids up to 8 Hz) through a ``Delay`` of 20 ms,
    made by core Nengo; a trainable ``Delay(0.005, max_delay=0.05)`` learns it
    with Adam at 0.01 from 64 examples of 300 steps (minibatch 16). Reports the
    epochs until the learned delay is within one ``dt`` (1 ms) of 20 ms, and the
    delay after ``--recovery-epochs``.
``task``
    Delayed recall: the output of a network must be its input 25 ms ago. Input
    (smooth random, 2 dimensions) -> ``Delay`` -> a passthrough node -> ``Lowpass``
    -> 100 LIF-rate neurons (``amplitude=0.01``) -> decoded output. Weights,
    encoders and biases train in every condition (stock NengoDL); five conditions:
    ``fixed`` (delays 10 ms, tau 5 ms, neither trains), ``time constants`` (tau
    trains), ``delays`` (the delays train, one per dimension), ``both``, and ``both,
    one synapse``: a ``DelayedLowpass`` from the input in place of the ``Delay`` and
    the ``Lowpass``, its delays and tau trained (it has one synapse update, one
    step, fewer, so its delays start at 11 ms: the same network at the start). Adam
    at each of ``--rates`` (1e-3 and 1e-2), minibatch 32, 1024 training examples of
    120 steps, ``--epochs`` epochs (32 steps each: 320 in all by default); the loss
    and the test MSE (256 new examples) leave out the first 40 steps (before 25 ms
    the target is the initial 0); over ``--seeds`` seeds. (With amplitude 1 the
    decoders' Adam steps were too large: training the weights alone made the test
    error worse, at 1e-3 as at 1e-2.)
``cost``
    Seconds per training epoch of the task's network with a trainable ``Delay``,
    and with a trainable ``DelayedLowpass`` (none on the next connection),
    against the same network with a trainable ``Lowpass`` in its place, the three
    alternated epoch by epoch in one process; medians and their ratios.

``--recovery-inputs smooth noise`` also learns from white noise through
``Lowpass(0.01)`` (``--plot FILE`` draws the learned delay against epochs).

Usage: ``python benchmarks/delay_learning.py [--parts recovery task cost]
[--seeds 0 1 2] [--epochs N] [--rates 1e-3 1e-2] [--conditions ...]
[--recovery-epochs N] [--recovery-inputs smooth noise] [--plot FILE]``
"""

import argparse
import time

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _results import machine, write

import nengo_dl_trainable
from nengo_dl_trainable import Delay, DelayedLowpass

DT = 0.001
LAG = 0.025  # the task's delay, seconds
SKIP = 40  # steps left out of the task's test error
TASK_STEPS = 120


def smooth_signals(rng, n, n_steps, d, max_hz=8.0, n_terms=6):
    """Sums of random sinusoids below ``max_hz``, shape ``(n, n_steps, d)``."""
    t = np.arange(n_steps) * DT
    freq = rng.uniform(0.5, max_hz, (n, 1, d, n_terms))
    phase = rng.uniform(0, 2 * np.pi, (n, 1, d, n_terms))
    amp = rng.uniform(0.2, 1, (n, 1, d, n_terms))
    x = np.sum(amp * np.sin(2 * np.pi * freq * t[None, :, None, None] + phase), -1)
    return x / np.max(np.abs(x), axis=1, keepdims=True)


def delayed(x, seconds):
    """``x`` (batch, time, d) delayed by whole steps, zeros before."""
    steps = int(round(seconds / DT))
    out = np.zeros_like(x)
    out[:, steps:] = x[:, : x.shape[1] - steps]
    return out


def noise_signals(rng, n, n_steps, d, tau=0.01):
    """White noise through ``Lowpass(tau)``, scaled to peak 1, ``(n, n_steps, d)``."""
    x = nengo.Lowpass(tau).filt(rng.standard_normal((n, n_steps, d)), dt=DT, axis=1)
    return x / np.max(np.abs(x), axis=1, keepdims=True)


#: The inputs ``recovery`` can learn from.
RECOVERY_INPUTS = {"smooth": smooth_signals, "noise": noise_signals}


def recovery(epochs, seed, inputs="smooth"):
    rng = np.random.default_rng(seed)
    x = RECOVERY_INPUTS[inputs](rng, 64, 300, 1)
    with nengo.Network() as truth:
        stim = nengo.Node(nengo.processes.PresentInput(x[0], DT))
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, out, synapse=Delay(0.020))
        probe = nengo.Probe(out)
    targets = []
    for xi in x:
        stim.output = nengo.processes.PresentInput(xi, DT)
        with nengo.Simulator(truth, dt=DT, progress_bar=False) as sim:
            sim.run_steps(x.shape[1])
        targets.append(sim.data[probe])
    y = np.stack(targets)

    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=Delay(0.005, max_delay=0.05))
        net.config[conn].trainable_params = {"synapse"}
        probe = nengo.Probe(out)
    history = []
    with nengo_dl.Simulator(net, minibatch_size=16, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        for _ in range(epochs):
            sim.fit({stim: x}, {probe: y}, epochs=1, verbose=0)
            (info,) = nengo_dl_trainable.parameter_info(sim)
            history.append(float(info.value[0]))
    within = [i + 1 for i, d in enumerate(history) if abs(d - 0.020) <= DT]
    return {
        "true delay": 0.020,
        "start": 0.005,
        "learned": history[-1],
        "epochs to within one dt": within[0] if within else None,
        "history": history,
    }


#: The ``task`` condition where one `DelayedLowpass` learns its delays and tau.
ONE_SYNAPSE = "both, one synapse"
CONDITIONS = ("fixed", "time constants", "delays", "both", ONE_SYNAPSE)


def task_network(condition, seed, first="Delay"):
    """The delayed-recall network under ``condition``.

    ``first`` is the synapse from the input: ``"Delay"``, ``"Lowpass"`` (for the
    cost) or ``"DelayedLowpass"`` (``ONE_SYNAPSE``: then the connection into the
    ensemble has no synapse).
    """
    if condition == ONE_SYNAPSE:
        first = "DelayedLowpass"
    train_first = condition in ("delays", "both", ONE_SYNAPSE)
    train_tau = condition in ("time constants", "both")
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        net.config[nengo.Ensemble].neuron_type = nengo.LIFRate(amplitude=0.01)
        stim = nengo.Node(np.zeros(2))
        mid = nengo.Node(size_in=2)
        ens = nengo.Ensemble(100, 2)
        out = nengo.Node(size_in=2)
        first_synapse = {
            "Delay": Delay([0.01, 0.01], max_delay=0.05),
            "Lowpass": nengo.Lowpass(0.005),
            # one synapse update (one step) fewer than Delay + Lowpass: a step
            # more of delay gives the same network at the start
            "DelayedLowpass": DelayedLowpass(0.005, [0.011, 0.011], max_delay=0.05),
        }[first]
        second = None if first == "DelayedLowpass" else nengo.Lowpass(0.005)
        c_first = nengo.Connection(stim, mid, synapse=first_synapse)
        c_tau = nengo.Connection(mid, ens, synapse=second)
        c_out = nengo.Connection(ens, out, synapse=None)
        net.config[c_out].trainable_params = {"weights"}
        if train_first:
            net.config[c_first].trainable_params = {"synapse"}
        if train_tau:
            net.config[c_tau].trainable_params = {"synapse"}
        probe = nengo.Probe(out)
    return net, stim, probe


def after_skip_mse(y_true, y_pred):
    """Mean squared error from step ``SKIP`` on."""
    return tf.reduce_mean(tf.square(y_true - y_pred)[:, SKIP:])


def task(condition, seed, epochs, rate):
    rng = np.random.default_rng(seed)
    x_train = smooth_signals(rng, 1024, TASK_STEPS, 2)
    x_test = smooth_signals(rng, 256, TASK_STEPS, 2)
    net, stim, probe = task_network(condition, seed)
    with nengo_dl.Simulator(net, minibatch_size=32, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(rate), loss=after_skip_mse)
        start = time.perf_counter()
        sim.fit(
            {stim: x_train}, {probe: delayed(x_train, LAG)}, epochs=epochs, verbose=0
        )
        seconds = time.perf_counter() - start
        out = sim.predict({stim: x_test}, verbose=0)[probe]
        learned = {
            f"{info.name}": np.round(info.value, 5).tolist()
            for info in nengo_dl_trainable.parameter_info(sim)
        }
    error = np.mean((out - delayed(x_test, LAG))[:, SKIP:] ** 2)
    return {"test mse": float(error), "learned": learned, "train seconds": seconds}


def cost(epochs, seed):
    rng = np.random.default_rng(seed)
    x = smooth_signals(rng, 256, TASK_STEPS, 2)
    y = delayed(x, LAG)
    sims = {}
    for name in ("Delay", "Lowpass", "DelayedLowpass"):
        net, stim, probe = task_network("delays", seed, first=name)
        sim = nengo_dl.Simulator(net, minibatch_size=32, progress_bar=False)
        sim.compile(optimizer=tf.optimizers.Adam(0.001), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=1, verbose=0)  # traced and warm
        sims[name] = (sim, stim, probe)
    times = {name: [] for name in sims}
    for _ in range(epochs):
        for name, (sim, stim, probe) in sims.items():
            start = time.perf_counter()
            sim.fit({stim: x}, {probe: y}, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    for sim, _, _ in sims.values():
        sim.close()
    medians = {name: float(np.median(t)) for name, t in times.items()}
    return {
        "seconds per epoch (median)": medians,
        "Delay / Lowpass": medians["Delay"] / medians["Lowpass"],
        "DelayedLowpass / Lowpass": medians["DelayedLowpass"] / medians["Lowpass"],
        "epochs": epochs,
    }


def plot_recovery(results, inputs, path):
    """The learned delay against epochs, one line per input."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    labels = {
        "smooth": "sinusoids up to 8 Hz",
        "noise": "white noise through Lowpass(0.01)",
    }
    for name in inputs:
        key = "recovery" if name == "smooth" else f"recovery ({name})"
        history = np.array(results[key]["history"]) * 1e3
        ax.plot(np.arange(1, len(history) + 1), history, label=labels[name])
    ax.axhline(20, color="k", linestyle=":", label="true delay")
    ax.set_xlabel("epoch (4 Adam 0.01 steps each)")
    ax.set_ylabel("learned delay (ms)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--parts",
        nargs="+",
        default=["recovery", "task", "cost"],
        choices=["recovery", "task", "cost"],
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rates", nargs="+", type=float, default=[1e-3, 1e-2])
    parser.add_argument(
        "--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS
    )
    parser.add_argument("--recovery-epochs", type=int, default=60)
    parser.add_argument(
        "--recovery-inputs",
        nargs="+",
        default=["smooth"],
        choices=sorted(RECOVERY_INPUTS),
        help="smooth: sinusoids up to 8 Hz; noise: white noise through Lowpass(0.01)",
    )
    parser.add_argument("--plot", default=None, help="the recovery figure (PNG)")
    parser.add_argument("--cost-epochs", type=int, default=7)
    args = parser.parse_args()
    results = {"machine": machine()}
    if "recovery" in args.parts:
        for inputs in args.recovery_inputs:
            key = "recovery" if inputs == "smooth" else f"recovery ({inputs})"
            results[key] = recovery(args.recovery_epochs, args.seeds[0], inputs)
            r = results[key]
            print(
                f"{key}: 5 ms -> {r['learned'] * 1e3:.2f} ms (true 20 ms); within "
                f"1 ms after {r['epochs to within one dt']} epoch(s)"
            )
        if args.plot:
            plot_recovery(results, args.recovery_inputs, args.plot)
    if "task" in args.parts:
        rows = {}
        for rate in args.rates:
            for condition in args.conditions:
                runs = [task(condition, seed, args.epochs, rate) for seed in args.seeds]
                errors = [run["test mse"] for run in runs]
                rows[f"{condition}, Adam {rate:g}"] = {"runs": runs, "test mse": errors}
                print(
                    f"task Adam {rate:g} {condition:>14}: test mse median "
                    f"{np.median(errors):.4f} (seeds "
                    f"{', '.join(f'{e:.4f}' for e in errors)}); learned "
                    f"{runs[0]['learned']}",
                    flush=True,
                )
        results["task"] = rows
    if "cost" in args.parts:
        results["cost"] = cost(args.cost_epochs, args.seeds[0])
        c = results["cost"]
        print(
            "cost: seconds per epoch "
            + ", ".join(
                f"{k} {v:.3f}" for k, v in c["seconds per epoch (median)"].items()
            )
            + f"; ratios Delay / Lowpass {c['Delay / Lowpass']:.2f}, "
            f"DelayedLowpass / Lowpass {c['DelayedLowpass / Lowpass']:.2f}"
        )
    write(results, "results/delay_learning.json")


if __name__ == "__main__":
    main()
