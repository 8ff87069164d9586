"""Recover a double-exponential synapse, and read its time constants off the poles.

White noise drives a connection whose synapse is the double exponential
``1 / ((0.04 s + 1)(0.008 s + 1))``, simulated by core Nengo. A NengoDL copy starts
from the wrong time constants (0.015 s and 0.003 s) and trains the synapse's
numerator and denominator (``trainable_params = {"synapse"}``): a ``LinearFilter``
trained in stable second-order sections. After training, the learned filter's
time constants are ``-dt / log(pole)`` of its discrete poles
(`nengo_dl_trainable.time_constants`).

The script exits with an error if a time constant is not recovered within 1%.

Usage: ``python examples/recover_double_exponential.py [--plot PATH]``
"""

import argparse
import sys

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

import nengo_dl_trainable

DT = 0.001
TRUE_TAUS = (0.04, 0.008)
START_TAUS = (0.015, 0.003)


def double_exponential(tau1, tau2):
    return nengo.LinearFilter([1], [tau1 * tau2, tau1 + tau2, 1])


def network(synapse, trainable):
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=None, dtype="float64")
        stim = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=synapse)
        if trainable:
            net.config[conn].trainable_params = {"synapse"}
        probe = nengo.Probe(out)
    return net, stim, conn, probe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="recover_double_exponential.png")
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    x = rng.standard_normal((8, 200, 1))
    # the data: core Nengo with the true synapse
    net, stim, _, probe = network(double_exponential(*TRUE_TAUS), trainable=False)
    y = []
    for xi in x:
        stim.output = nengo.processes.PresentInput(xi, presentation_time=DT)
        with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
            sim.run_steps(len(xi))
        y.append(sim.data[probe])
    y = np.stack(y)

    net, stim, conn, probe = network(double_exponential(*START_TAUS), trainable=True)
    with nengo_dl.Simulator(net, dt=DT, minibatch_size=8, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.2), loss="mse")
        history = sim.fit({stim: x}, {probe: y}, epochs=300, verbose=0)
        sim.freeze_params(net)
    learned = nengo_dl_trainable.time_constants(conn.synapse, DT)
    print(f"true time constants:    {sorted(TRUE_TAUS)} s")
    print(f"start:                  {sorted(START_TAUS)} s")
    print(f"learned (from poles):   {np.round(learned, 6).tolist()} s")
    print(f"final MSE: {history.history['loss'][-1]:.3e}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        t = np.arange(1, 301) * DT
        impulse = np.zeros(300)
        impulse[0] = 1 / DT
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        for synapse, label, style in (
            (double_exponential(*TRUE_TAUS), "true", "k-"),
            (double_exponential(*START_TAUS), "start", ":"),
            (conn.synapse, "learned", "--"),
        ):
            # a column: Nengo 4.1's filt of a 1-D signal fails on numpy 2
            response = synapse.filt(impulse[:, None], dt=DT)[:, 0]
            axes[0].plot(t, response, style, label=label)
        axes[0].set_xlabel("time (s)")
        axes[0].set_ylabel("impulse response")
        axes[0].legend()
        axes[1].semilogy(history.history["loss"])
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("MSE")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")

    if not np.allclose(learned, sorted(TRUE_TAUS), rtol=0.01):
        sys.exit("time constants not recovered within 1%")


if __name__ == "__main__":
    main()
