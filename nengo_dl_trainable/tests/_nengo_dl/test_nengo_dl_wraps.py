import inspect
import os

import nengo_dl
import pytest
from nengo_dl import config as nengo_dl_config
from nengo_dl.builder import NengoBuilder
from nengo_dl.tensor_graph import TensorGraph

from nengo_dl_trainable import _nengo_dl
from nengo_dl_trainable._nengo_dl import extension_points
from nengo_dl_trainable._nengo_dl.extension_points import provide, provided


def test_refuses_unknown_nengo_dl_version():
    with pytest.raises(ImportError, match="NengoDL 3.5.0 is installed"):
        _nengo_dl.check_nengo_dl_version("3.5.0")
    _nengo_dl.check_nengo_dl_version(nengo_dl.__version__)


def test_signature_table_matches_installed_nengo_dl():
    _nengo_dl.check_signatures()
    # every wrap applied in apply() is in the table
    assert set(_nengo_dl._ORIGINALS) == set(_nengo_dl.WRAPPED_SIGNATURES)


def test_signature_table_refuses_a_changed_function(monkeypatch):
    """A NengoDL whose build_inputs takes another argument is refused, by name."""

    def build_inputs(self, extra):  # pragma: no cover (never called)
        pass

    monkeypatch.setitem(
        _nengo_dl._ORIGINALS, (TensorGraph, "build_inputs"), build_inputs
    )
    with pytest.raises(ImportError, match=r"TensorGraph\.build_inputs\(self, extra\)"):
        _nengo_dl.check_signatures()


@pytest.mark.parametrize(
    "key",
    list(_nengo_dl.WRAPPED_SIGNATURES),
    ids=lambda key: f"{getattr(key[0], '__name__', key[0])}.{key[1]}",
)
def test_every_wrap_applied_once(key):
    owner, name = key
    before = inspect.getattr_static(owner, name)
    _nengo_dl.apply()
    _nengo_dl.apply()
    function = inspect.getattr_static(owner, name)
    assert function is before
    original = _nengo_dl._ORIGINALS[key]
    if key == (nengo_dl_config, "configure_settings"):
        # replaced by this package's function, which calls the original
        assert function is _nengo_dl.configure_settings
        assert nengo_dl.configure_settings is _nengo_dl.configure_settings
        return
    if key == (NengoBuilder, "build"):
        # a classmethod: its function is wrapped
        function, original = function.__func__, original.__func__
    # wrapped exactly once: one level down is NengoDL's own function
    assert function.__wrapped__ is original
    package = os.path.dirname(_nengo_dl.__file__)
    assert os.path.dirname(function.__code__.co_filename) == package
    assert os.path.dirname(original.__code__.co_filename) != package


@pytest.mark.parametrize("register", [provide, provided])
def test_unknown_extension_point_is_refused(register):
    with pytest.raises(ValueError, match="unknown extension point 'synapses'"):
        register("synapses")


def test_every_extension_point_is_provided():
    """Each point the wraps consult is filled by a domain module at import."""
    assert set(extension_points.POINTS) == set(extension_points._NAMES)
    assert set(extension_points.SETTINGS) == {
        "trainable_params",
        "tau_step_scale",
        "spiking_aware_training",
    }
