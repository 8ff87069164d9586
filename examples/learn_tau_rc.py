"""Learn LIF ``tau_rc`` while ``tau_ref`` stays fixed.

Firing rates of an ensemble of LIF neurons with ``tau_rc = 0.05 s`` are recorded in
core Nengo. A NengoDL copy with the default ``tau_rc = 0.02 s`` trains only
``tau_rc`` (``trainable_params = {"neuron_type.tau_rc"}``): encoders, biases and
``tau_ref`` stay as they are. The data are rates, so training compares them with
NengoDL's LIF rate approximation (``spiking_aware_training = False``; by default
spiking neurons spike in training wherever this package trains something), and the
gradient reaches ``tau_rc`` through it; the spiking network then runs with the
learned value, in NengoDL and, after freezing, in core Nengo.

The script exits with an error if ``tau_rc`` is not recovered within 1% or
``tau_ref`` changed.

Usage: ``python examples/learn_tau_rc.py [--plot PATH]``
"""

import argparse
import sys

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

DT = 0.001
TRUE_TAU_RC = 0.05
N_NEURONS = 20


def network(neuron_type, trainable):
    with nengo.Network(seed=1) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        # gains and biases given: Nengo would otherwise derive them from tau_rc,
        # and the two networks would differ in more than tau_rc
        rng = np.random.RandomState(1)
        ens = nengo.Ensemble(
            N_NEURONS,
            1,
            neuron_type=neuron_type,
            gain=rng.uniform(1, 3, N_NEURONS),
            bias=rng.uniform(1.2, 2.5, N_NEURONS),
        )
        nengo.Connection(stim, ens, synapse=None)
        if trainable:
            net.config[ens.neurons].trainable_params = {"neuron_type.tau_rc"}
            # the data are firing rates, one input value per step: compare them
            # with the rate approximation, not with single steps of spikes
            net.config[ens].spiking_aware_training = False
        probe = nengo.Probe(ens.neurons)
    return net, stim, ens, probe


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="learn_tau_rc.png")
    args = parser.parse_args()

    x = np.linspace(-1, 1, 50)[None, :, None] * np.ones((4, 1, 1))
    # the data: the ensemble's rates at 50 input values, from core Nengo
    net, stim, ens, probe = network(nengo.LIFRate(tau_rc=TRUE_TAU_RC), False)
    stim.output = nengo.processes.PresentInput(x[0], presentation_time=DT)
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run_steps(x.shape[1])
    rates = sim.data[probe]
    target = np.broadcast_to(rates, (4,) + rates.shape)

    net, stim, ens, probe = network(nengo.LIF(), True)
    with nengo_dl.Simulator(net, dt=DT, minibatch_size=4, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        history = sim.fit({stim: x}, {probe: target}, epochs=200, verbose=0)
        sim.freeze_params(net)
    learned = ens.neuron_type
    print(f"learned {learned}: tau_rc = {learned.tau_rc:.5f} s (true {TRUE_TAU_RC})")

    # the frozen spiking network in core Nengo: rates over 1 s at a fixed input
    stim.output = 0.5
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run(1.0)
    spiking_rates = sim.data[probe].mean(axis=0)
    data = sim.data[ens]
    ideal = nengo.LIFRate(tau_rc=TRUE_TAU_RC).rates(
        0.5 * data.encoders[:, 0][None, :], data.gain, data.bias
    )[0]
    print(
        "core Nengo, spiking, input 0.5: mean |rate - true rate| = "
        f"{np.mean(np.abs(spiking_rates - ideal)):.2f} Hz "
        f"(rates up to {ideal.max():.0f} Hz)"
    )

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
        axes[0].plot(x[0, :, 0], rates[:, :5], "k", alpha=0.4)
        start = nengo.LIFRate().rates(
            x[0, :, 0:1] * data.encoders[:, 0][None, :], data.gain, data.bias
        )
        axes[0].plot(x[0, :, 0], start[:, :5], ":")
        axes[0].set_xlabel("input")
        axes[0].set_ylabel("rate (Hz): true (grey), start (dotted)")
        axes[1].semilogy(history.history["loss"])
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("MSE")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")

    if abs(learned.tau_rc - TRUE_TAU_RC) > 0.01 * TRUE_TAU_RC:
        sys.exit("tau_rc not recovered within 1%")
    if learned.tau_ref != nengo.LIF().tau_ref:
        sys.exit("tau_ref changed")


if __name__ == "__main__":
    main()
