import nengo_dl
import pytest
from nengo_dl.simulator import Simulator
from nengo_dl.tensor_graph import TensorGraph

from nengo_dl_trainable import _nengo_dl


def test_refuses_unknown_nengo_dl_version():
    with pytest.raises(ImportError, match="NengoDL 3.5.0 is installed"):
        _nengo_dl.check_nengo_dl_version("3.5.0")
    _nengo_dl.check_nengo_dl_version(nengo_dl.__version__)


def test_apply_is_idempotent():
    wrapped = {
        (owner, name): getattr(owner, name)
        for owner, name in [
            (TensorGraph, "mark_signals"),
            (TensorGraph, "call"),
            (Simulator, "get_nengo_params"),
            (Simulator, "__init__"),
        ]
    }
    _nengo_dl.apply()
    _nengo_dl.apply()
    for (owner, name), function in wrapped.items():
        assert getattr(owner, name) is function
        # wrapped exactly once: one level down is NengoDL's own function
        original = _nengo_dl.original(owner, name)
        assert function.__wrapped__ is original
        # ours is the outermost layer, and there is only one of ours
        assert function.__code__.co_filename == _nengo_dl.__file__
        assert original.__code__.co_filename != _nengo_dl.__file__
    assert nengo_dl.configure_settings is _nengo_dl.configure_settings
