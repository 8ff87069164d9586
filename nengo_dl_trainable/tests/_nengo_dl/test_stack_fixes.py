"""The fixes that make NengoDL 3.6.0 and Nengo run on each supported stack."""

import nengo
import nengo_dl  # noqa: F401  (importing NengoDL applies the fixes)
import numpy as np
import pytest


@pytest.mark.parametrize(
    "synapse",
    [nengo.Lowpass(0.1), nengo.Alpha(0.02), nengo.LinearFilter([1], [0.01, 1])],
)
@pytest.mark.parametrize("filtfilt", [False, True])
def test_filt_of_a_one_dimensional_signal_equals_a_column(synapse, filtfilt, rng):
    """Issue #60's target written the natural way (failed on Nengo 4.1, numpy 2)."""
    x = rng.uniform(-1, 1, 300)
    one_d = synapse.filt(x, y0=0, dt=0.001, filtfilt=filtfilt)
    column = synapse.filt(x[:, None], y0=0, dt=0.001, filtfilt=filtfilt)
    assert one_d.shape == x.shape
    assert np.array_equal(one_d, column[:, 0])
    # and the closed form of the lowpass's step response
    if type(synapse) is nengo.Lowpass and not filtfilt:
        step = synapse.filt(np.ones(1000), y0=0, dt=0.001)
        decay = np.exp(-0.001 / 0.1)
        assert np.allclose(step, 1 - decay ** np.arange(1, 1001), atol=1e-6)


def test_filt_in_place_of_a_one_dimensional_signal(rng):
    x = rng.uniform(-1, 1, 50).astype(nengo.rc.float_dtype)
    expected = nengo.Lowpass(0.01).filt(x[:, None], dt=0.001)[:, 0]
    out = nengo.Lowpass(0.01).filt(x, dt=0.001, copy=False)
    assert np.allclose(out, expected)
    assert np.allclose(x, expected)  # filtered where it was, as Nengo does
