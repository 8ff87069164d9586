"""Recovering a double exponential from data: DoubleExp, LinearFilter, KerasSpiking.

The task (NengoDL issue #60's synapse): white noise through
``1 / ((0.05 s + 1)(0.03 s + 1))``, 1000 steps of 1 ms, one example per epoch;
learn the two time constants from a wrong start with Adam. Three ways:

- ``DoubleExp``: a `nengo_dl_trainable.DoubleExp` synapse trained in its time
  constants (their sum and spread; ``trainable_params = {"synapse"}``, and
  ``tau_step_scale`` from ``--tau-step-scale`` if given);
- ``LinearFilter``: the same filter as a second-order `~nengo.LinearFilter`,
  trained in its coefficients (numerator and denominator in stable sections,
  ``{"synapse"}``), time constants read off its poles;
- ``keras-spiking``: two KerasSpiking ``Lowpass`` layers in series.

Starts (the seed's time constants are close, which makes a coefficient fit
ill-conditioned): both 5x too small, both 5x too large, and each one 5x too
small with the other 5x too large. For each start, learning rate and input seed
the script reports the epochs and seconds until both time constants are within 1%
of the true ones (training stops there, or after ``--epochs``), and the learned
time constants. Results go to ``results/double_exp_recovery.json``.

Needs the ``benchmarks`` extra (KerasSpiking).

Usage: ``python benchmarks/double_exp_recovery.py [--epochs N] [--rates ...]
[--seeds ...] [--methods ...] [--tau-step-scale K]``
"""

import argparse

import keras_spiking
import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from _learning import EpochRecorder, keras_lowpass_chain, keras_taus
from _results import machine, write

import nengo_dl_trainable
from nengo_dl_trainable import DoubleExp

DT = 0.001
N_STEPS = 1000
TRUE = (0.05, 0.03)
STARTS = {
    "both 5x small": (0.01, 0.006),
    "both 5x large": (0.25, 0.15),
    "tau1 small, tau2 large": (0.01, 0.15),
    "tau1 large, tau2 small": (0.25, 0.006),
}


def within_1pct(taus):
    true = np.sort(TRUE)
    return taus is not None and bool(
        np.all(np.abs(np.sort(taus) - true) <= 0.01 * true)
    )


def synapse_for(method, taus):
    if method == "DoubleExp":
        return DoubleExp(*taus)
    tau1, tau2 = taus
    return nengo.LinearFilter([1], [tau1 * tau2, tau1 + tau2, 1])


def nengo_network(synapse, trainable, tau_step_scale=None):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=synapse)
        if trainable:
            net.config[conn].trainable_params = {"synapse"}
            if tau_step_scale is not None:
                net.config[conn].tau_step_scale = tau_step_scale
        probe = nengo.Probe(out)
    return net, stim, conn, probe


def learned_taus(synapse):
    if isinstance(synapse, DoubleExp):
        return [synapse.tau1, synapse.tau2]
    try:
        return nengo_dl_trainable.time_constants(synapse, DT).tolist()
    except ValueError:  # complex poles: no time constants
        return None


def run_nengo_dl(method, start, x, rate, epochs, tau_step_scale=None):
    net, stim, _, probe = nengo_network(DoubleExp(*TRUE), trainable=False)
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        target = sim.predict({stim: x}, verbose=0)[probe]
    net, stim, conn, probe = nengo_network(
        synapse_for(method, start), trainable=True, tau_step_scale=tau_step_scale
    )
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(rate), loss="mse")
        recorder = EpochRecorder(
            lambda: learned_taus(sim.get_nengo_params(conn)["synapse"]),
            stop_when=within_1pct,
        )
        history = sim.fit(
            {stim: x}, {probe: target}, epochs=epochs, verbose=0, callbacks=[recorder]
        )
    return recorder, history.history["loss"]


def run_keras_spiking(method, start, x, rate, epochs, tau_step_scale=None):
    model, _ = keras_lowpass_chain(TRUE, DT)
    target = model.predict(x, verbose=0)
    model, layers = keras_lowpass_chain(start, DT)
    model.compile(optimizer=tf.optimizers.Adam(rate), loss="mse")
    recorder = EpochRecorder(lambda: keras_taus(layers), stop_when=within_1pct)
    history = model.fit(x, target, epochs=epochs, verbose=0, callbacks=[recorder])
    return recorder, history.history["loss"]


RUNNERS = {
    "DoubleExp": run_nengo_dl,
    "LinearFilter": run_nengo_dl,
    "keras-spiking": run_keras_spiking,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.01, 0.05])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", choices=RUNNERS, default=list(RUNNERS))
    parser.add_argument(
        "--tau-step-scale",
        type=float,
        help="DoubleExp's tau_step_scale (default: the package's)",
    )
    parser.add_argument("--output", default="results/double_exp_recovery.json")
    args = parser.parse_args()

    results = {
        "machine": machine(keras_spiking=keras_spiking.__version__),
        "settings": vars(args),
        "runs": [],
    }
    print(
        f"true taus {TRUE}, {N_STEPS} steps of white noise per epoch, up to "
        f"{args.epochs} epochs of Adam; epochs (seconds) to within 1% of both"
    )
    for rate in args.rates:
        for start_name, start in STARTS.items():
            for method in args.methods:
                cells = []
                for seed in args.seeds:
                    x = np.random.RandomState(seed).standard_normal((1, N_STEPS, 1))
                    tf.keras.backend.clear_session()
                    recorder, losses = RUNNERS[method](
                        method,
                        start,
                        x,
                        rate,
                        args.epochs,
                        args.tau_step_scale if method == "DoubleExp" else None,
                    )
                    reached = within_1pct(recorder.taus[-1])
                    run = {
                        "method": method,
                        "start": start_name,
                        "learning_rate": rate,
                        "seed": seed,
                        "epochs_to_1pct": len(recorder.taus) if reached else None,
                        "seconds_to_1pct": recorder.times[-1] if reached else None,
                        "epochs_run": len(recorder.taus),
                        "final_mse": float(losses[-1]),
                        "learned": recorder.taus[-1],
                    }
                    results["runs"].append(run)
                    cells.append(
                        f"{run['epochs_to_1pct']} ({run['seconds_to_1pct']:.1f} s)"
                        if reached
                        else "never "
                        + (
                            "(complex poles)"
                            if run["learned"] is None
                            else str(np.round(sorted(run["learned"]), 4).tolist())
                        )
                    )
                print(
                    f"lr {rate:<5} {start_name:23s} {method:13s} " + ", ".join(cells),
                    flush=True,
                )
    write(results, args.output)


if __name__ == "__main__":
    main()
