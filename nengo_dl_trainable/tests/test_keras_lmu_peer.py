"""A peer check: keras-lmu's Legendre memory with trainable theta, against ours.

keras-lmu's ``LMUCell`` (``memory_d=1``, no hidden cell, no encoder, zero-order
hold) keeps the Legendre memory of its input over a window of ``theta`` steps and,
with ``trainable_theta=True``, trains ``1 / theta``, rediscretizing its ``A`` and
``B`` with ``tf.linalg.expm`` at every step. Its memory read out with ``C = ones``
is this package's `.LegendreDelay` of the same order and ``theta`` (seconds =
steps x dt). Both are written independently (keras-lmu's TensorFlow against this
package's NumPy maths, core Nengo and its NengoDL builder), so agreement is a
check neither can give itself.

Needs keras-lmu (0.9.0 supports TensorFlow 2.8 to 2.19: the test command installs
it on the pinned stack only); skipped where it is not installed.
"""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf

import nengo_dl_trainable
from nengo_dl_trainable import LegendreDelay

keras_lmu = pytest.importorskip("keras_lmu")

DT = 0.001
N_STEPS = 100


def smooth_input(seed):
    rng = np.random.RandomState(seed)
    return nengo.Lowpass(0.005).filt(rng.randn(N_STEPS, 1), dt=DT, y0=0)


def keras_memory(u, order, theta_steps, weights=None, trainable_theta=True):
    """keras-lmu's memory summed over its order (C = ones), and d loss / d(1/theta).

    The loss is ``sum_t weights[t] y[t]`` (linear, so its gradient does not
    depend on the output).
    """
    cell = keras_lmu.LMUCell(
        memory_d=1,
        order=order,
        theta=theta_steps,
        hidden_cell=None,
        trainable_theta=trainable_theta,
        hidden_to_memory=False,
        memory_to_memory=False,
        input_to_hidden=False,
        kernel_initializer=None,
        discretizer="zoh",
        dtype="float64",
    )
    rnn = tf.keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(rnn(tf.constant(u[None], dtype=tf.float64)), axis=-1)[0]
        loss = tf.reduce_sum(y * (0 if weights is None else weights))
    gradient = tape.gradient(loss, cell.theta_inv) if trainable_theta else None
    return y.numpy(), None if gradient is None else gradient.numpy(), cell


def nengo_net(order, theta, trainable=True):
    """Input node -> LegendreDelay connection -> node, float64."""
    with nengo.Network(seed=0) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        nengo_dl.configure_settings(dtype="float64")
        stim = nengo.Node(np.zeros(1))
        out = nengo.Node(size_in=1)
        conn = nengo.Connection(stim, out, synapse=LegendreDelay(theta, order))
        net.config[conn].trainable_params = {"synapse"} if trainable else set()
        probe = nengo.Probe(out)
    return net, stim, conn, probe


def linear_loss(y_true, y_pred):
    return tf.reduce_sum(y_true * y_pred, axis=(1, 2))


def for_nengo_dl(u, weights):
    """Align with NengoDL's probe, which sees the node one step later."""
    return (
        np.concatenate([u, np.zeros((1, 1))])[None],
        np.concatenate([[0.0], weights])[None, :, None],
    )


ORDERS_AND_THETAS = [(1, 8.0), (3, 20.0), (6, 20.0)]


@pytest.mark.parametrize("order, theta_steps", ORDERS_AND_THETAS)
def test_memory_equals_legendre_delay(Simulator, order, theta_steps, seed):
    u = smooth_input(seed)
    theirs, _, _ = keras_memory(u, order, theta_steps)
    assert np.abs(theirs).max() > 0.01
    # the same system discretized by two matrix exponentials (TensorFlow's and
    # scipy's) of well-scaled matrices, then the same recursion on O(1) values:
    # measured 1e-15 apart, so 1e-12 holds on any machine
    core = LegendreDelay(theta_steps * DT, order).filt(u, dt=DT, y0=0)[:, 0]
    assert np.allclose(core, theirs, rtol=0, atol=1e-12)
    net, stim, _, probe = nengo_net(order, theta_steps * DT)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        if sim.tensor_graph.dtype != tf.float64:
            pytest.skip("compared in float64")
        ours = sim.predict({stim: for_nengo_dl(u, np.zeros(N_STEPS))[0]})[probe]
    # NengoDL's probe sees the output node a step later
    assert np.allclose(ours[0, 1:, 0], theirs, rtol=0, atol=1e-12)


@pytest.mark.training
@pytest.mark.parametrize("order, theta_steps", ORDERS_AND_THETAS)
def test_theta_gradient_equals_keras_lmus(Simulator, order, theta_steps, seed):
    """d loss / d theta, through the change of variables of each.

    keras-lmu trains ``v = 1 / theta_steps``; this package ``s = log(theta)``
    (k = 1) with ``theta = theta_steps dt``, so
    ``dL/dtheta = (dL/ds) / theta = (dL/dv) (-1 / theta_steps^2) / dt``.
    Ours is read off one SGD step of size ``lr``: ``s`` moves by
    ``-lr dL/ds``.
    """
    u = smooth_input(seed)
    weights = np.random.RandomState(seed + 1).uniform(-1, 1, size=N_STEPS)
    _, d_inverse, _ = keras_memory(u, order, theta_steps, weights)
    theirs = d_inverse * (-1 / theta_steps**2) / DT

    theta = theta_steps * DT
    lr = 1e-7
    net, stim, conn, probe = nengo_net(order, theta)
    x, y = for_nengo_dl(u, weights)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.SGD(lr), loss={probe: linear_loss})
        sim.fit({stim: x}, {probe: y}, epochs=1, verbose=0)
        learned = nengo_dl_trainable.find_parameter(sim, conn, "synapse.theta")
        float64 = sim.tensor_graph.dtype == tf.float64
    ours = -np.log(learned.value.item() / theta) / lr / theta
    assert abs(theirs) > 1  # the loss depends on theta
    # a finite step: relative error ~ lr |dL/ds| (about 1e-7 here, measured
    # 5e-11 in float64); float32 rounds theta's step itself to ~1e-3
    assert ours == pytest.approx(theirs, rel=1e-6 if float64 else 0.05)


@pytest.mark.training
def test_one_adam_step_moves_theta_the_same_way(Simulator, seed):
    order, theta_steps = 3, 20.0
    u = smooth_input(seed)
    weights = np.random.RandomState(seed + 1).uniform(-1, 1, size=N_STEPS)
    _, d_inverse, cell = keras_memory(u, order, theta_steps, weights)
    # Adam's first step is lr * g / |g| (its moment estimates are g and g^2);
    # written out, as Keras' Adam of this TensorFlow rejects a float64 variable
    cell.theta_inv.assign_sub(0.01 * np.sign(d_inverse))
    keras_moved = cell.theta - theta_steps  # keras-lmu's theta property (steps)

    net, stim, conn, probe = nengo_net(order, theta_steps * DT)
    x, y = for_nengo_dl(u, weights)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss={probe: linear_loss})
        sim.fit({stim: x}, {probe: y}, epochs=1, verbose=0)
        theta = nengo_dl_trainable.find_parameter(sim, conn, "synapse.theta").value
    ours_moved = theta.item() - theta_steps * DT
    assert keras_moved != 0 and ours_moved != 0
    assert np.sign(ours_moved) == np.sign(keras_moved)


# keras-lmu's own theta tests (test_theta_update, test_theta_attribute), ported:
# theta moves only when trainable, the attribute reads the trained value, and
# saving and loading keep it


@pytest.mark.training
@pytest.mark.parametrize("trainable", [False, True])
def test_theta_updates_only_when_trainable(Simulator, trainable, seed):
    u = smooth_input(seed)
    weights = np.ones(N_STEPS)
    net, stim, conn, probe = nengo_net(3, 0.02, trainable=trainable)
    x, y = for_nengo_dl(u, weights)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss={probe: linear_loss})
        sim.fit({stim: x}, {probe: y}, epochs=2, verbose=0)
        sim.freeze_params(net)
    assert (conn.synapse.theta != 0.02) == trainable
    # keras-lmu likewise: without trainable_theta, theta is not a variable
    _, gradient, cell = keras_memory(u, 3, 20.0, weights, trainable_theta=False)
    assert gradient is None and cell.theta == 20.0


@pytest.mark.training
def test_theta_attribute_and_save_load(Simulator, tmp_path, seed):
    u = smooth_input(seed)
    weights = np.ones(N_STEPS)
    net, stim, conn, probe = nengo_net(3, 0.02)
    assert conn.synapse.theta == 0.02  # before build: the given value
    x, y = for_nengo_dl(u, weights)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss={probe: linear_loss})
        sim.fit({stim: x}, {probe: y}, epochs=3, verbose=0)
        trained = nengo_dl_trainable.find_parameter(sim, conn, "synapse.theta").value
        sim.save_params(tmp_path / "params")
    assert trained.item() != pytest.approx(0.02)
    with Simulator(net, dt=DT, progress_bar=False) as sim:
        sim.load_params(tmp_path / "params")
        loaded = nengo_dl_trainable.find_parameter(sim, conn, "synapse.theta").value
        sim.freeze_params(net)
    assert loaded.item() == trained.item()
    # after freezing: the trained value, as keras-lmu's theta property after fit
    assert conn.synapse.theta == pytest.approx(trained.item(), rel=1e-12)
