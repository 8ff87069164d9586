"""Learn a synaptic time constant with NengoDL (NengoDL issue #60).

A ``Node(1)`` drives a ``Node(size_in=1)`` through a ``Lowpass(0.005)`` synapse. The
target is the step response of ``Lowpass(0.1)``. Stock NengoDL cannot reduce the
error, because the one parameter that matters, the synapse's time constant, is
frozen. With nengo-dl-trainable installed, two config lines make it trainable and
the unchanged ``compile``/``fit`` learn ``tau = 0.1``.

This script imports only nengo, nengo_dl, numpy and tensorflow (and matplotlib for
the plot): installing the package is what extends NengoDL.

The script exits with an error if ``tau`` is not learned within 1%, or if core
Nengo's output with the frozen synapse differs from NengoDL's.

Usage: ``python examples/learn_lowpass_tau.py [--plot PATH]``
"""

import argparse
import sys
import time

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

DT = 0.001
N_STEPS = 1000
TRUE_TAU = 0.1
START_TAU = 0.005
# one parameter, one optimizer step per epoch. With no tau_step_scale set, each
# Adam step moves tau by about 3% of itself at any rate from 1e-4 up (the user
# guide's rule), so log(0.1 / 0.005) = 3 takes at least 100 steps
LEARNING_RATE = 0.01
EPOCHS = 150


def build_network():
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None)  # adds the config parameter
        u = nengo.Node(1)
        x = nengo.Node(size_in=1)
        conn = nengo.Connection(u, x, synapse=nengo.Lowpass(START_TAU))
        net.config[conn].trainable_params = {"synapse"}  # train only the synapse
        probe = nengo.Probe(x)
    return net, conn, probe


def step_response(tau):
    """The target, simulated by core Nengo."""
    with nengo.Network() as net:
        u = nengo.Node(1)
        x = nengo.Node(size_in=1)
        nengo.Connection(u, x, synapse=nengo.Lowpass(tau))
        probe = nengo.Probe(x)
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run_steps(N_STEPS)
    return sim.data[probe]


def main():
    parser = argparse.ArgumentParser(description="Learn Lowpass(0.005) -> 0.1")
    parser.add_argument("--plot", default="learn_lowpass_tau.png")
    args = parser.parse_args()

    target = step_response(TRUE_TAU)
    net, conn, probe = build_network()
    start = time.time()
    with nengo_dl.Simulator(net, dt=DT, progress_bar=False) as sim:
        before = sim.predict(n_steps=N_STEPS)[probe][0]
        print(
            f"before: tau = {conn.synapse.tau:.6f} s, "
            f"MSE = {np.mean((before - target) ** 2):.3e}"
        )

        sim.compile(optimizer=tf.optimizers.Adam(LEARNING_RATE), loss="mse")
        # the learned tau after every epoch, in the fit history
        recorder = nengo_dl.trainable_params.RecordParameters(
            sim, {"tau": (conn, "synapse.tau")}
        )
        history = sim.fit(
            n_steps=N_STEPS,
            y={probe: target[None]},
            epochs=EPOCHS,
            verbose=0,
            callbacks=[recorder],
        )
        after = sim.predict(n_steps=N_STEPS)[probe][0]
        nengo_dl.trainable_params.summary(sim)  # what trained, tau in seconds
        sim.freeze_params(net)  # writes the learned Lowpass into the network
    elapsed = time.time() - start

    mse = np.mean((after - target) ** 2)
    errors = np.abs(np.array(history.history["tau"]) - TRUE_TAU) / TRUE_TAU
    within = np.flatnonzero(errors < 0.01)
    print(
        f"after:  tau = {conn.synapse.tau:.6f} s, MSE = {mse:.3e}  "
        f"({EPOCHS} epochs of Adam({LEARNING_RATE}), {elapsed:.1f} s)"
    )
    print(
        "epochs to reach 1% of the true tau: "
        + (str(within[0] + 1) if len(within) else f"not within {EPOCHS}")
    )

    # the frozen network runs in core Nengo with the same output
    with nengo.Simulator(net, dt=DT, progress_bar=False) as core:
        core.run_steps(N_STEPS)
    difference = np.max(np.abs(core.data[probe] - after))
    print(
        f"core Nengo with the frozen synapse {conn.synapse}: max |difference| "
        f"from NengoDL = {difference:.2e}"
    )
    if abs(conn.synapse.tau - TRUE_TAU) > 0.01 * TRUE_TAU:
        sys.exit(f"tau not learned within 1% of {TRUE_TAU}")
    if difference > 1e-5:
        sys.exit("core Nengo's output differs from NengoDL's")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot")
        return
    t = np.arange(1, N_STEPS + 1) * DT
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    axes[0].plot(t, target, "k", lw=3, alpha=0.4, label=f"ideal: Lowpass({TRUE_TAU})")
    axes[0].plot(t, before, label=f"before: Lowpass({START_TAU})")
    axes[0].plot(t, after, "--", label=f"after: Lowpass({conn.synapse.tau:.4f})")
    axes[0].set_xlabel("time (s)")
    axes[0].set_ylabel("output")
    axes[0].legend()
    axes[1].semilogy(np.arange(1, EPOCHS + 1), history.history["tau"])
    axes[1].axhline(TRUE_TAU, color="k", alpha=0.4)
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("learned tau (s)")
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot saved to {args.plot}")


if __name__ == "__main__":
    main()
