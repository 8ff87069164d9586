"""Train synapses and neuron parameters, save, freeze, and run in core Nengo.

A spiking network (input -> LIF ensemble -> output) learns to report a smoothed
version of its input (``Lowpass(0.05)``): the output synapse's time constant and the
neurons' ``tau_rc`` train together (``trainable_params``), while the decoders stay
as Nengo solved them. The learned parameters
are saved and loaded like any NengoDL parameters, then ``freeze_params`` writes them
back into the network as ordinary Nengo objects (a ``Lowpass`` with the learned
time constant, an ``LIF`` with the learned ``tau_rc``), and ``nengo.Simulator``
runs the result.

The script exits with an error if the loaded parameters do not reproduce the
trained output, or core Nengo's output differs from NengoDL's by more than the
spike noise allows.

Usage: ``python examples/freeze_and_run_in_nengo.py [--plot PATH]``
"""

import argparse
import os
import sys
import tempfile

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

DT = 0.001
N_STEPS = 500


def network():
    with nengo.Network(seed=3) as net:
        nengo_dl.configure_settings(trainable_params=None, stateful=False)
        stim = nengo.Node(np.zeros(1))
        ens = nengo.Ensemble(100, 1, neuron_type=nengo.LIF())
        out = nengo.Node(size_in=1)
        nengo.Connection(stim, ens, synapse=None)
        conn = nengo.Connection(ens, out, synapse=nengo.Lowpass(0.005))
        net.config[conn].trainable_params = {"synapse"}
        net.config[ens.neurons].trainable_params = {"neuron_type.tau_rc"}
        probe = nengo.Probe(out)
    return net, stim, ens, conn, probe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="freeze_and_run_in_nengo.png")
    args = parser.parse_args()

    process = nengo.processes.WhiteSignal(N_STEPS * DT, high=5, rms=0.5, seed=0)
    x = np.stack(
        [
            process.run_steps(N_STEPS, dt=DT, rng=np.random.RandomState(i))
            for i in range(16)
        ]
    )
    target = np.stack([nengo.Lowpass(0.05).filt(xi, dt=DT) for xi in x])

    net, stim, ens, conn, probe = network()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "params")
        with nengo_dl.Simulator(
            net, dt=DT, minibatch_size=16, progress_bar=False
        ) as sim:
            before = sim.predict({stim: x})[probe]
            sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
            # one step per epoch; each moves the time constants by about 3%
            # (the default step, at any Adam rate), and 5 ms -> 50 ms is
            # log(10) = 2.3: at least 77 steps
            sim.fit({stim: x}, {probe: target}, epochs=100, verbose=0)
            trained = sim.predict({stim: x})[probe]
            sim.save_params(path)
        # a fresh simulator loads the learned synapse and neuron parameters too
        with nengo_dl.Simulator(
            net, dt=DT, minibatch_size=16, progress_bar=False
        ) as sim:
            sim.load_params(path)
            loaded = sim.predict({stim: x})[probe]
            sim.freeze_params(net)
    print(f"learned synapse: {conn.synapse}, neuron type: {ens.neuron_type}")
    mse_before = np.mean((before - target) ** 2)
    mse = np.mean((trained - target) ** 2)
    print(f"NengoDL MSE to the target: {mse_before:.4f} before, {mse:.4f} after")
    print(
        f"reloaded parameters: max |difference| = {np.abs(loaded - trained).max():.2e}"
    )

    # core Nengo runs the frozen network (spiking: compare with NengoDL's output)
    stim.output = nengo.processes.PresentInput(x[0], presentation_time=DT)
    with nengo.Simulator(net, dt=DT, progress_bar=False) as core:
        core.run_steps(N_STEPS)
    core_error = np.sqrt(np.mean((core.data[probe] - trained[0]) ** 2))
    print(f"core Nengo vs NengoDL, example 0: RMS difference {core_error:.4f}")

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        t = np.arange(1, N_STEPS + 1) * DT
        fig, ax = plt.subplots(figsize=(8, 3.5))
        ax.plot(t, target[0], "k", lw=3, alpha=0.3, label="target")
        ax.plot(t, trained[0], label="NengoDL (trained)")
        ax.plot(t, core.data[probe], "--", label="core Nengo (frozen)")
        ax.set_xlabel("time (s)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")

    if not mse < mse_before / 5:
        sys.exit("training did not reduce the error five-fold")
    if not np.allclose(loaded, trained, atol=1e-5):
        sys.exit("loaded parameters do not reproduce the trained output")
    if core_error > 0.05:
        sys.exit("core Nengo's output differs from NengoDL's")


if __name__ == "__main__":
    main()
