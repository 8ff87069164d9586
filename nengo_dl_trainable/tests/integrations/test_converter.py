"""KerasSpiking layers through nengo_dl.Converter (needs the keras-spiking extra)."""

import nengo
import nengo_dl
import numpy as np
import pytest
import tensorflow as tf

from nengo_dl_trainable import VectorAlpha, VectorLowpass

# the keras-spiking extra; without it these tests are skipped, not failed
keras_spiking = pytest.importorskip("keras_spiking")

DT = 0.001
TAUS = np.array([0.002, 0.006, 0.02, 0.05])
SYNAPSES = {
    "lowpass": (VectorLowpass, nengo.Lowpass),
    "alpha": (VectorAlpha, nengo.Alpha),
}
LAYERS = {"lowpass": keras_spiking.Lowpass, "alpha": keras_spiking.Alpha}


def keras_model(kind, taus, trainable):
    inp = tf.keras.Input((None, len(taus)))
    layer = LAYERS[kind](
        tau_initializer=0.01,
        trainable=trainable,
        # Nengo filters start from zero: keep the initial level there in training
        initial_level_constraint=tf.zeros_like,
    )
    out = layer(inp)
    tau = layer.layer.cell.tau
    tf.keras.backend.set_value(tau, np.reshape(taus, tau.shape))
    return tf.keras.Model(inp, out), layer, out


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("equal", [False, True])
def test_converted_keras_spiking_matches_keras(Simulator, kind, equal, rng, allclose):
    taus = np.full(len(TAUS), 0.01) if equal else TAUS
    model, _, out = keras_model(kind, taus, trainable=False)
    conv = nengo_dl.Converter(model, temporal_model=True, allow_fallback=False)
    (conn,) = conv.net.all_connections
    if equal:
        assert type(conn.synapse) is SYNAPSES[kind][1]
    else:
        assert type(conn.synapse) is SYNAPSES[kind][0]
        assert allclose(conn.synapse.tau, taus, rtol=1e-7)  # float32 in Keras
    x = rng.uniform(0, 2, size=(4, 60, len(taus)))
    with Simulator(conv.net, minibatch_size=4, progress_bar=False) as sim:
        converted = sim.predict(x)[conv.outputs[out]]
    expected = model.predict(x, verbose=0)
    # as in NengoDL's own converter tests: the Nengo network lags by one step
    assert allclose(converted[:, 1:], expected[:, :-1], atol=5e-6)


@pytest.mark.training
@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_trained_keras_time_constants_carry_over_and_keep_training(
    Simulator, kind, rng, allclose
):
    model, layer, out = keras_model(kind, np.full(3, 0.01), trainable=True)
    x = rng.uniform(0, 2, size=(8, 40, 3))
    target = np.stack([VectorLowpass([0.003, 0.01, 0.03]).filt(xi, dt=DT) for xi in x])
    model.compile(optimizer=tf.optimizers.Adam(0.001), loss="mse")
    model.fit(x, target, epochs=3, verbose=0)
    keras_taus = np.ravel(tf.keras.backend.get_value(layer.layer.cell.tau))
    assert np.ptp(keras_taus) > 1e-4  # training made them differ

    conv = nengo_dl.Converter(model, temporal_model=True, allow_fallback=False)
    (conn,) = conv.net.all_connections
    assert allclose(conn.synapse.tau, keras_taus, rtol=1e-7)
    with Simulator(conv.net, minibatch_size=8, progress_bar=False) as sim:
        sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
        sim.fit(x, target, epochs=2, verbose=0)
        learned = sim.get_nengo_params(conn)["synapse"]
    assert not allclose(learned.tau, keras_taus, rtol=1e-4)  # still training


def test_nonzero_initial_level_not_convertible():
    model, layer, _ = keras_model("lowpass", TAUS, trainable=False)
    level = layer.layer.cell.initial_level
    tf.keras.backend.set_value(level, np.ones(level.shape))
    with pytest.raises(TypeError, match="initial_level != 0"):
        nengo_dl.Converter(model, temporal_model=True, allow_fallback=False)
