"""Helpers shared by this package's tests."""

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf

#: The time step of the tests' simulations, in seconds (Nengo's default).
DT = 0.001


def run_core(net, stim, probes, x, model=None, dt=DT):
    """Run ``net`` in core Nengo's simulator with ``stim`` presenting ``x``.

    Parameters
    ----------
    net : `nengo.Network`
        The network (``stim``'s output is replaced).
    stim : `nengo.Node`
        The input node.
    probes : `nengo.Probe` or list of `nengo.Probe`
        What to return.
    x : array_like
        The input, one row per step (unbatched).
    model : `nengo.builder.Model`, optional
        A model to build into.
    dt : float, optional
        The time step in seconds.

    Returns
    -------
    `numpy.ndarray` or list of `numpy.ndarray`
        The data of ``probes`` (a list for a list).
    """
    stim.output = nengo.processes.PresentInput(x, presentation_time=dt)
    with nengo.Simulator(net, dt=dt, model=model, progress_bar=False) as sim:
        sim.run_steps(x.shape[0])
    if isinstance(probes, (list, tuple)):
        return [sim.data[p] for p in probes]
    return sim.data[probes]


def fit(sim, inp, probe, n_steps=5, epochs=2, lr=0.05, target=2.0):
    """Fit ``probe`` to ``target`` from a constant input, with SGD at ``lr``."""
    sim.compile(optimizer=tf.optimizers.SGD(lr), loss="mse")
    sim.fit(
        {inp: np.ones((sim.minibatch_size, n_steps, 1))},
        {probe: np.full((sim.minibatch_size, n_steps, probe.size_in), target)},
        epochs=epochs,
        verbose=0,
    )


class SpikingTanh(nengo.RegularSpiking):
    """A subclass of a supported type, as in Nengo's own test suite."""

    def __init__(self, tau_ref=0.0025, **kwargs):
        super().__init__(nengo.Tanh(tau_ref=tau_ref), **kwargs)


def mixed_network(default):
    """One object of each kind a default cannot (fully) train."""
    with nengo.Network(seed=0) as net:
        nengo_dl.configure_settings(trainable_params=default, stateful=False)
        inp = nengo.Node([0.5])
        objects = {
            "lif": nengo.Ensemble(10, 1, neuron_type=nengo.LIF(tau_ref=0)),
            "direct": nengo.Ensemble(1, 1, neuron_type=nengo.Direct()),
            "izhikevich": nengo.Ensemble(10, 1, neuron_type=nengo.Izhikevich()),
            "relu": nengo.Ensemble(10, 1, neuron_type=nengo.RectifiedLinear()),
            "subclass": nengo.Ensemble(10, 1, neuron_type=SpikingTanh()),
        }
        out = nengo.Node(size_in=1)
        for ens in objects.values():
            nengo.Connection(inp, ens)
        objects["lowpass"] = nengo.Connection(objects["lif"], out, synapse=0.01)
        objects["triangle"] = nengo.Connection(
            objects["relu"], out, synapse=nengo.synapses.Triangle(0.01)
        )
        objects["integrator"] = nengo.Connection(
            objects["direct"], out, synapse=nengo.LinearFilter([1], [1, 0])
        )
        objects["zero"] = nengo.Connection(objects["izhikevich"], out, synapse=0)
        objects["subclass_conn"] = nengo.Connection(objects["subclass"], out)
        probe = nengo.Probe(out)
    return net, inp, probe, objects
