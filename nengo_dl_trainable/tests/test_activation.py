"""Activation on ``import nengo_dl``, tested in fresh interpreters."""

import json
import math
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from _nengo_dl_trainable_hook import DISABLE_ENV_VAR, keras_3_installed


def run_python(code, disable=False, timeout=300, legacy_keras=None):
    env = dict(os.environ)
    env.pop(DISABLE_ENV_VAR, None)
    if disable:
        env[DISABLE_ENV_VAR] = "1"
    # importing nengo_dl here set it (on the current stack); start without it
    env.pop("TF_USE_LEGACY_KERAS", None)
    if legacy_keras is not None:
        env["TF_USE_LEGACY_KERAS"] = legacy_keras
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_pth_file_installed():
    dirs = site.getsitepackages() + [site.getusersitepackages()]
    found = [Path(d) / "nengo_dl_trainable.pth" for d in dirs]
    assert any(f.exists() for f in found), dirs
    content = next(f for f in found if f.exists()).read_text()
    assert content.startswith("import _nengo_dl_trainable_hook")


def test_plain_import_nengo_dl_activates():
    state = run_python(
        """
        import json, sys
        import nengo_dl
        from nengo_dl import trainable_params
        import nengo_dl.trainable_params as by_module_path
        import nengo_dl_trainable
        from nengo_dl.builder import Builder
        from nengo_dl_trainable._nengo_dl import BUILD_FUNCTIONS
        from nengo_dl_trainable.builder.operators import SimTrainableLowpass
        import nengo
        print(json.dumps({
            "alias": trainable_params is nengo_dl_trainable,
            "module_path": by_module_path is nengo_dl_trainable,
            "builder": SimTrainableLowpass in Builder.builders,
            "build_function": nengo.Connection in BUILD_FUNCTIONS,
            "wrapped": (
                nengo_dl.configure_settings is nengo_dl_trainable.configure_settings
            ),
        }))
        """
    )
    assert state == dict.fromkeys(state, True)
    assert len(state) == 5


def test_find_spec_before_import_keeps_hook():
    """Looking nengo_dl up (as tools and plugins do) must not disarm the hook."""
    state = run_python(
        """
        import importlib.util, json, sys
        spec = importlib.util.find_spec("nengo_dl")
        import nengo_dl
        print(json.dumps({
            "found": spec is not None,
            "loaded": "nengo_dl_trainable" in sys.modules,
            "attribute": hasattr(nengo_dl, "trainable_params"),
        }))
        """
    )
    assert state == {"found": True, "loaded": True, "attribute": True}


def test_no_cost_without_nengo_dl():
    state = run_python(
        """
        import json, sys
        import nengo
        print(json.dumps({
            "hook": "_nengo_dl_trainable_hook" in sys.modules,
            "tensorflow": "tensorflow" in sys.modules,
            "ours": "nengo_dl_trainable" in sys.modules,
        }))
        """
    )
    assert state == {"hook": True, "tensorflow": False, "ours": False}


@pytest.mark.parametrize("disable", [False, True])
def test_off_switch(disable):
    state = run_python(
        """
        import json, sys
        import nengo, nengo_dl
        from nengo.exceptions import ConfigError
        try:
            with nengo.Network():
                nengo_dl.configure_settings(trainable_params=None)
            accepted = True
        except ConfigError:
            accepted = False
        print(json.dumps({
            "loaded": "nengo_dl_trainable" in sys.modules,
            "attribute": hasattr(nengo_dl, "trainable_params"),
            "accepted": accepted,
        }))
        """,
        disable=disable,
    )
    assert state == dict.fromkeys(state, not disable)


@pytest.mark.parametrize("disable", [False, True])
@pytest.mark.parametrize(
    "imports",
    ["import nengo_dl_trainable, nengo_dl", "import nengo_dl, nengo_dl_trainable"],
)
def test_explicit_import_either_order(imports, disable):
    state = run_python(
        f"""
        import json
        {imports}
        print(json.dumps({{
            "attribute": nengo_dl.trainable_params is nengo_dl_trainable,
            "wrapped": nengo_dl.configure_settings
            is nengo_dl_trainable.configure_settings,
        }}))
        """,
        disable=disable,
    )
    assert state == {"attribute": True, "wrapped": True}


@pytest.mark.training
def test_issue_60_with_only_nengo_dl_imports():
    """The README scenario, in a script that never names this package."""
    state = run_python(
        """
        import json
        import nengo, nengo_dl, numpy as np, tensorflow as tf

        with nengo.Network() as net:
            nengo_dl.configure_settings(trainable_params=None)
            u = nengo.Node(1)
            x = nengo.Node(size_in=1)
            conn = nengo.Connection(u, x, synapse=0.005)
            net.config[conn].trainable_params = {"synapse"}
            probe = nengo.Probe(x)

        target = nengo.Lowpass(0.1).filt(np.ones((200, 1)), dt=0.001)
        with nengo_dl.Simulator(net, progress_bar=False) as sim:
            sim.compile(optimizer=tf.optimizers.Adam(0.01), loss="mse")
            sim.fit(n_steps=200, y={probe: target[None]}, epochs=10, verbose=0)
            sim.freeze_params(net)
        synapse = conn.synapse
        print(json.dumps({"type": type(synapse).__name__, "tau": synapse.tau}))
        """
    )
    assert state["type"] == "Lowpass"
    # 10 Adam steps, each moving log(tau) by about RELATIVE_STEP (the step
    # follows the rate; the gradient keeps its sign, so each is close to the
    # full step) from 0.005: about e^0.3 (1.35x); at most that, and more than
    # the 1% per step of the step scale 1 that does not follow the rate
    assert 0.005 * math.exp(0.2) < state["tau"] < 0.005 * math.exp(0.3) * 1.02


TOUCH_BEFORE_NENGO_DL = """
    import json
    import tensorflow as tf
    {touch}
    try:
        import nengo_dl
        state = {{"imported": True, "message": ""}}
        state["keras"] = type(tf.keras.layers.Dense(1)).__module__.split(".")[0]
    except ImportError as e:
        state = {{"imported": False, "message": str(e)}}
    print(json.dumps(state))
"""


@pytest.mark.parametrize(
    "touch", ["", "tf.keras.backend.floatx()", "tf.optimizers.Adam(0.01)"]
)
def test_tensorflow_imported_before_nengo_dl(touch):
    """Keras 3 (TensorFlow >= 2.16) must not be mixed in silently."""
    state = run_python(TOUCH_BEFORE_NENGO_DL.format(touch=touch))
    if not keras_3_installed():
        # the pinned stack: tf.keras is Keras 2 whatever the order
        assert state["imported"] and state["keras"] == "keras"
    elif touch:
        # tf.keras already resolved to Keras 3: refused at once, saying what to do
        assert not state["imported"]
        assert "already resolved to Keras 3" in state["message"]
        assert "TF_USE_LEGACY_KERAS=1" in state["message"]
    else:
        # tensorflow imported, tf.keras not yet used: Keras 2 is still selected
        assert state["imported"] and state["keras"] == "tf_keras"


def test_legacy_keras_set_by_user():
    state = run_python(
        TOUCH_BEFORE_NENGO_DL.format(touch="tf.keras.backend.floatx()"),
        legacy_keras="1",
    )
    assert state["imported"]
    assert state["keras"] == ("tf_keras" if keras_3_installed() else "keras")


def test_keras_3_asked_for_explicitly():
    state = run_python(TOUCH_BEFORE_NENGO_DL.format(touch=""), legacy_keras="0")
    if keras_3_installed():
        assert not state["imported"] and "selects Keras 3" in state["message"]
    else:
        # TensorFlow 2.12 ignores the variable: tf.keras is Keras 2 anyway
        assert state["imported"]
