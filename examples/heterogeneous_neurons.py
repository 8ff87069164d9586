"""Heterogeneous neurons: learn one membrane time constant per neuron.

An ensemble whose neurons have membrane time constants spread from 10 to 60 ms
(``PerNeuron(nengo.LIFRate(), tau_rc=...)``) is simulated in core Nengo. A NengoDL
copy starts with every neuron at 20 ms and trains ``tau_rc`` per neuron: wrapping
the neuron type in `nengo_dl_trainable.PerNeuron` is what asks for one value per
neuron. Freezing writes a ``PerNeuron`` with the learned values, which core Nengo
runs.

The script exits with an error if a neuron's time constant is off by more than
2%, or the frozen network's output differs from NengoDL's.

Usage: ``python examples/heterogeneous_neurons.py [--plot PATH]``
"""

import argparse
import sys

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

from nengo_dl_trainable import PerNeuron

DT = 0.001
N_NEURONS = 16


def network(neuron_type, trainable):
    with nengo.Network(seed=2) as net:
        nengo_dl.configure_settings(trainable_params=None)
        stim = nengo.Node(np.zeros(1))
        # gains and biases given: Nengo would otherwise derive them from each
        # neuron's tau_rc, and the two networks would differ in more than tau_rc
        rng = np.random.RandomState(2)
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
        probe = nengo.Probe(ens.neurons)
    return net, stim, ens, probe


def run_core(net, stim, probe, x):
    stim.output = nengo.processes.PresentInput(x, presentation_time=DT)
    with nengo.Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.run_steps(len(x))
    return sim.data[probe]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="heterogeneous_neurons.png")
    args = parser.parse_args()

    rng = np.random.RandomState(0)
    true_taus = rng.uniform(0.01, 0.06, N_NEURONS)
    x = rng.uniform(-1, 1, size=(8, 60, 1))
    net, stim, ens, probe = network(PerNeuron(nengo.LIFRate(), tau_rc=true_taus), False)
    y = np.stack([run_core(net, stim, probe, xi) for xi in x])

    net, stim, ens, probe = network(PerNeuron(nengo.LIFRate()), True)
    with nengo_dl.Simulator(net, dt=DT, minibatch_size=8, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.05), loss="mse")
        sim.fit({stim: x}, {probe: y}, epochs=600, verbose=0)
        trained = sim.predict({stim: x})[probe]
        sim.freeze_params(net)
    learned = ens.neuron_type.parameter("tau_rc", N_NEURONS)
    errors = np.abs(learned - true_taus) / true_taus
    print(f"frozen neuron type: {ens.neuron_type}")
    print(f"per-neuron relative error of tau_rc: max {errors.max():.2%}")
    core = np.stack([run_core(net, stim, probe, xi) for xi in x])
    difference = np.max(np.abs(core - trained))
    print(
        f"core Nengo vs NengoDL after freezing: max |difference| = {difference:.2e} Hz"
    )

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 4))
        ax.plot(true_taus * 1e3, learned * 1e3, "o")
        ax.plot([10, 60], [10, 60], "k", alpha=0.3)
        ax.axhline(20, ls=":", color="gray", label="start (all neurons)")
        ax.set_xlabel("true tau_rc (ms)")
        ax.set_ylabel("learned tau_rc (ms)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")

    if errors.max() > 0.02:
        sys.exit("per-neuron time constants not recovered within 2%")
    if difference > 1e-2:
        sys.exit("frozen network differs from NengoDL")


if __name__ == "__main__":
    main()
