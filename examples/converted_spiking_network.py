"""Learn the synapses of a converted spiking network, with spikes in training.

NengoDL's example "Converting a Keras model to a spiking neural network", on
scikit-learn's 8x8 digits: a small Keras convolutional network trained as a rate
network, converted with ``SpikingRectifiedLinear`` neurons and a 5 ms synapse on
every neuron output, and read as a spiking network on the last of 30 steps. Then
the converted network is fine-tuned with ``Simulator.fit``, its weights and
synapses together, with one added line::

    nengo_dl.configure_settings(trainable_params={"synapse"})

(the converter's ``trainable`` flags keep deciding the weights). Because this
package trains a synapse, the spiking neurons spike in training
(``spiking_aware_training``, on by default wherever this package trains
something): the synapses see the spike noise they are there to smooth, and grow.

The script exits with an error unless fine-tuning gains at least 5 points of
accuracy over the converted network and lengthens the synapses.

Usage: ``python examples/converted_spiking_network.py [--plot PATH]``
"""

import argparse
import sys

import nengo
import nengo_dl
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

N_STEPS = 30
SYNAPSE = 0.005


def digits(seed=0):
    data = load_digits()
    order = np.random.RandomState(seed).permutation(len(data.images))
    x = data.images[order, :, :, None].astype(np.float32) / 16
    y = data.target[order]
    return (x[:1400], y[:1400]), (x[1400:1700], y[1400:1700])


def keras_network(train):
    tf.keras.utils.set_random_seed(0)
    inp = tf.keras.Input((8, 8, 1))
    hidden = tf.keras.layers.Conv2D(16, 3, activation=tf.nn.relu)(inp)
    hidden = tf.keras.layers.Conv2D(32, 3, strides=2, activation=tf.nn.relu)(hidden)
    out = tf.keras.layers.Dense(10)(tf.keras.layers.Flatten()(hidden))
    model = tf.keras.Model(inp, out)
    model.compile(
        optimizer=tf.optimizers.Adam(1e-3),
        loss=tf.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(*train, epochs=30, batch_size=32, verbose=0)
    return model, inp, out


def presented(x):
    """Each image held for N_STEPS steps, flattened as the converter's input."""
    return np.repeat(x.reshape((len(x), 1, -1)), N_STEPS, axis=1)


def last_step_loss(y_true, y_pred):
    return tf.keras.losses.sparse_categorical_crossentropy(
        y_true[:, -1], y_pred[:, -1], from_logits=True
    )


def accuracy_by_step(sim, inp, out, test):
    x, y = test
    output = sim.predict({inp: presented(x)}, verbose=0)[out]
    return np.mean(np.argmax(output, axis=-1) == y[:, None], axis=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="converted_spiking_network.png")
    args = parser.parse_args()

    train, test = digits()
    model, inp, out = keras_network(train)
    converter = nengo_dl.Converter(
        model,
        swap_activations={tf.nn.relu: nengo.SpikingRectifiedLinear()},
        scale_firing_rates=20,
        synapse=SYNAPSE,
    )
    with converter.net:
        nengo_dl.configure_settings(stateful=False, trainable_params={"synapse"})
    c_inp, c_out = converter.inputs[inp], converter.outputs[out]

    x, y = train
    with nengo_dl.Simulator(converter.net, minibatch_size=50, seed=0) as sim:
        before = accuracy_by_step(sim, c_inp, c_out, test)
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss={c_out: last_step_loss})
        sim.fit(
            {c_inp: presented(x)},
            {c_out: np.repeat(y[:, None, None], N_STEPS, axis=1)},
            epochs=3,
            verbose=0,
        )
        after = accuracy_by_step(sim, c_inp, c_out, test)
        nengo_dl.trainable_params.summary(sim)
        taus = [i.value.item() for i in nengo_dl.trainable_params.parameter_info(sim)]
    print(
        f"spiking accuracy on step {N_STEPS}: converted {before[-1]:.3f}, "
        f"fine-tuned {after[-1]:.3f}; synapses {SYNAPSE * 1000:g} ms -> "
        + ", ".join(f"{tau * 1000:.1f} ms" for tau in taus)
    )

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        steps = np.arange(1, N_STEPS + 1)
        ax.plot(steps, before, label=f"converted ({SYNAPSE * 1000:g} ms synapses)")
        ax.plot(steps, after, label="weights and synapses fine-tuned")
        ax.set_xlabel("simulation step")
        ax.set_ylabel("spiking test accuracy")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"plot saved to {args.plot}")
    except ImportError:
        print("matplotlib not installed: no plot")

    if after[-1] < before[-1] + 0.05:
        sys.exit("fine-tuning gained less than 5 points")
    if min(taus) <= SYNAPSE:
        sys.exit("a synapse did not lengthen")


if __name__ == "__main__":
    main()
