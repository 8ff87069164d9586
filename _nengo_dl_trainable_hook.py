"""Activate ``nengo_dl_trainable`` whenever ``nengo_dl`` is imported.

This module is imported at interpreter start-up by ``nengo_dl_trainable.pth``
(installed into site-packages with the package). It must stay cheap: it imports
nothing heavy and only installs a `sys.meta_path` finder. When (and only when) a
process imports ``nengo_dl``, the finder lets the real import run and then imports
``nengo_dl_trainable``, which registers its builders with NengoDL. Processes that
never import ``nengo_dl`` pay for one finder lookup per import and nothing else.

Set the environment variable ``NENGO_DL_TRAINABLE_DISABLE`` to ``1`` (or ``true``,
``yes``) to switch the activation off, e.g. to compare against stock NengoDL.

It is also where NengoDL 3.6.0 is made to work on the current stack (TensorFlow
2.21 with tf-keras, Nengo 4.1, numpy 2): `keras_2_for_nengo_dl` around NengoDL's
import and `fix_nengo_dl` after it, whether the extension is switched on or off,
since NengoDL cannot run there without them. On the pinned stack (TensorFlow
2.12, Nengo 3.2) both do nothing.

It holds only what must run outside the package: the finder (before NengoDL is
imported) and these stack fixes (which apply with the extension switched off,
when the package is never imported, so they cannot use the package's wrapping
machinery and patch with plain closures). Every patch that only the extension
needs, of NengoDL or Nengo, lives in `nengo_dl_trainable._nengo_dl`.
"""

import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import re
import sys
import types

DISABLE_ENV_VAR = "NENGO_DL_TRAINABLE_DISABLE"


def activation_disabled():
    """Return True if the user switched off the automatic activation."""
    return os.environ.get(DISABLE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


#: ``TF_USE_LEGACY_KERAS`` values with which TensorFlow routes tf.keras to tf-keras.
LEGACY_KERAS_VALUES = ("true", "True", "1")

#: TensorFlow's lazily resolved Keras modules (``tf.keras``, ``tf.optimizers``, ...).
TF_KERAS_LOADERS = ("keras", "losses", "metrics", "optimizers", "initializers")


def keras_3_installed():
    """Whether the installed ``keras`` package is Keras 3 (TensorFlow >= 2.16).

    Returns
    -------
    bool
    """
    import importlib.metadata  # here, not at start-up: it is not free

    try:
        return importlib.metadata.version("keras").split(".")[0] == "3"
    except importlib.metadata.PackageNotFoundError:
        return False


def select_keras_2():
    """Route ``tf.keras`` to Keras 2 (tf-keras) where TensorFlow defaults to Keras 3.

    NengoDL 3.6.0 is Keras 2 code. From TensorFlow 2.16, ``tf.keras`` (and
    ``tf.optimizers``, ``tf.losses``, ...) resolve to Keras 3 at their first use,
    unless ``TF_USE_LEGACY_KERAS=1`` is set by then, which routes them to the
    tf-keras package. This sets it; if TensorFlow already resolved one of them to
    Keras 3, mixing the two would fail later in obscure ways, so it raises instead.
    Does nothing where Keras 3 is not installed (TensorFlow <= 2.15).

    Raises
    ------
    ImportError
        If tf-keras is missing, ``TF_USE_LEGACY_KERAS`` asks for Keras 3, or
        ``tf.keras`` was already resolved to Keras 3.
    """
    if not keras_3_installed():
        return
    if importlib.util.find_spec("tf_keras") is None:
        raise ImportError(
            "NengoDL 3.6.0 needs Keras 2, which TensorFlow >= 2.16 provides as the "
            "tf-keras package: pip install tf-keras (the version matching "
            "TensorFlow's)"
        )
    value = os.environ.get("TF_USE_LEGACY_KERAS")
    if value is not None and value not in LEGACY_KERAS_VALUES:
        raise ImportError(
            f"TF_USE_LEGACY_KERAS={value!r} selects Keras 3, but NengoDL 3.6.0 needs "
            "Keras 2 (tf-keras): unset it or set it to 1"
        )
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    keras_3 = [
        f"tf.{name}" for name in TF_KERAS_LOADERS if _is_keras_3(vars(tf).get(name))
    ]
    if _is_keras_3(sys.modules.get("tensorflow.keras")):
        keras_3.append("tensorflow.keras")
    if keras_3:
        raise ImportError(
            f"{', '.join(keras_3)} already resolved to Keras 3 before nengo_dl was "
            "imported, and NengoDL 3.6.0 needs Keras 2 (tf-keras). Either import "
            "nengo_dl before using tf.keras, or set the environment variable "
            "TF_USE_LEGACY_KERAS=1 before starting Python."
        )
    # TensorFlow was imported before the variable was set, so submodule imports
    # such as ``from tensorflow.keras.layers import ...`` (keras-spiking has one)
    # would still find Keras 3 first: put tf-keras's API first, as TensorFlow
    # itself does when the variable is set at its import
    api = importlib.util.find_spec("tf_keras.api._v2.keras").submodule_search_locations
    tf_keras_dir = os.path.dirname(list(api)[0])
    if tf.__path__[0] != tf_keras_dir:
        tf.__path__.insert(0, tf_keras_dir)


def _is_keras_3(module):
    """Whether a ``tf.keras``-like attribute already resolved to Keras 3."""
    if module is None:
        return False
    if "_tfll_initialized" in vars(module):
        # TensorFlow's lazy loader: read its state without resolving it
        return module._tfll_initialized and (
            vars(module).get("_tfll_keras_version") == "keras_3"
        )
    # a loaded module: Keras 3's live in the keras package, tf-keras's in tf_keras
    # (Keras 3's own tf.keras lives in keras/_tf_keras: compare whole components)
    where = getattr(module, "__file__", None) or getattr(module, "__name__", "")
    return "tf_keras" not in re.split(r"[\\/.]", where)


@contextlib.contextmanager
def keras_2_for_nengo_dl():
    """Select Keras 2, and let NengoDL's compat module find its Keras 2 names.

    NengoDL 3.6.0's ``compat`` imports ``keras.engine.functional`` (``Functional``,
    ``_build_map``) and ``keras.layers.BatchNormalizationV1/V2``: Keras 2's package
    layout, which the ``keras`` package no longer has from TensorFlow 2.16 on
    (Keras 3; the names live in tf-keras). While NengoDL is imported those module
    names point at tf-keras's own modules; afterwards they are removed again, so
    that ``keras`` stays Keras 3 for everyone else. Does nothing where Keras 3 is
    not installed.
    """
    select_keras_2()
    if not keras_3_installed():
        yield
        return
    from tf_keras.src.engine import functional
    from tf_keras.src.layers.normalization import (
        batch_normalization,
        batch_normalization_v1,
    )

    layers = types.ModuleType("keras.layers")
    layers.BatchNormalizationV1 = batch_normalization_v1.BatchNormalization
    layers.BatchNormalizationV2 = batch_normalization.BatchNormalization
    engine = types.ModuleType("keras.engine")
    engine.functional = functional
    aliases = {
        "keras.engine": engine,
        "keras.engine.functional": functional,
        "keras.layers": layers,
    }
    import keras  # Keras 3: its own modules are put back afterwards

    saved = {name: sys.modules.get(name) for name in aliases}
    saved_attributes = {n: vars(keras).get(n) for n in ("engine", "layers")}
    sys.modules.update(aliases)
    keras.engine, keras.layers = engine, layers
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        for name, value in saved_attributes.items():
            if value is None:
                vars(keras).pop(name, None)
            else:
                setattr(keras, name, value)


class _Nengo3FilterSteps:
    """A `~nengo.LinearFilter` whose steps have Nengo 3's 1-D direct term ``D``.

    Stands in for an operator's synapse while NengoDL's ``LinearFilterBuilder``
    reads the filter's matrices from its step objects (it only calls
    ``make_state`` and ``make_step``).
    """

    def __init__(self, synapse):
        self.synapse = synapse

    def make_state(self, *args, **kwargs):
        return self.synapse.make_state(*args, **kwargs)

    def make_step(self, *args, **kwargs):
        step = self.synapse.make_step(*args, **kwargs)
        step.D = step.D.reshape(-1)
        return step


def _nengo_3_filter_steps(build_pre):
    def build_pre_with_nengo_3_steps(self, signals, config):
        processes = [op.process for op in self.ops]
        for op in self.ops:
            op.process = _Nengo3FilterSteps(op.process)
        try:
            return build_pre(self, signals, config)
        finally:
            for op, process in zip(self.ops, processes, strict=True):
                op.process = process

    build_pre_with_nengo_3_steps.wrapped = build_pre
    return build_pre_with_nengo_3_steps


def _filt_one_dimensional(filt):
    def filt_as_column(self, x, dt=None, axis=0, y0=0, copy=True, filtfilt=False):
        import numpy as np  # (numpy is loaded by now; this module must not load it)

        signal = np.asarray(x)
        if signal.ndim != 1:
            return filt(self, x, dt=dt, axis=axis, y0=y0, copy=copy, filtfilt=filtfilt)
        # a column view: with copy=False Nengo filters in place, into x itself
        column = filt(
            self, signal[:, None], dt=dt, axis=0, y0=y0, copy=copy, filtfilt=filtfilt
        )
        return column[:, 0]

    filt_as_column.wrapped = filt
    filt_as_column.__doc__ = filt.__doc__
    return filt_as_column


def fix_nengo_dl():
    """Fix NengoDL 3.6.0 where the installed stack breaks it (idempotent).

    Applied when NengoDL is imported, whether the extension is on or off: NengoDL
    needs these to run on the stack at all, and they change nothing where it
    already works. Each fix names the version that needs it.

    - Nengo >= 4.0 gives a `~nengo.LinearFilter` step a 2-D direct term ``D``
      (shaped like the state); NengoDL's ``LinearFilterBuilder`` asserts Nengo 3's
      1-D one, so every filter with a direct term or no state (for example
      ``LinearFilter([2], [1])``) failed to build. Its ``build_pre`` is given
      steps with the 1-D ``D`` it expects.
    - numpy >= 2.0 removed ``np.find_common_type`` and ``np.in1d``, which the copy
      of SciPy's matrix exponential that Nengo vendors (``nengo._vendor.scipy``,
      Nengo 3.2 to 4.1) calls once a matrix is large enough for its norm to be
      estimated. ``nengo.utils.filter_design.cont2discrete`` (used to discretize a
      `~nengo.LinearFilter` of high order, and by ``nengo_dl.benchmarks.lmu``)
      raised ``AttributeError``; it is given SciPy's own ``scipy.linalg.expm``,
      the function Nengo's copy was taken from.
    - numpy >= 2.0 refuses to store a step's 1-element output array into one
      element of an array, which ``Synapse.filt`` of Nengo 4.1 does for a 1-D
      signal (``nengo.Lowpass(0.1).filt(np.ones(1000))`` raised ``ValueError:
      setting an array element with a sequence``). ``Synapse.filt`` filters a
      1-D signal as a column and returns it 1-D, as Nengo 3.2 with numpy 1 does.
    """
    import nengo
    import nengo.synapses
    import nengo.utils.filter_design
    import numpy as np
    from nengo_dl.process_builders import LinearFilterBuilder

    build_pre = LinearFilterBuilder.build_pre
    if int(nengo.__version__.split(".")[0]) >= 4 and not hasattr(build_pre, "wrapped"):
        LinearFilterBuilder.build_pre = _nengo_3_filter_steps(build_pre)

    if not (hasattr(np, "in1d") and hasattr(np, "find_common_type")):
        import scipy.linalg

        nengo.utils.filter_design.expm = scipy.linalg.expm

    filt = nengo.synapses.Synapse.filt
    if int(np.__version__.split(".")[0]) >= 2 and not hasattr(filt, "wrapped"):
        nengo.synapses.Synapse.filt = _filt_one_dimensional(filt)


class _ActivatingLoader(importlib.abc.Loader):
    """Runs the real ``nengo_dl`` loader, then imports the extension."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        # from here on nengo_dl is imported (or failed to import): one shot
        uninstall()
        with keras_2_for_nengo_dl():
            self._loader.exec_module(module)
        fix_nengo_dl()
        if not activation_disabled():
            importlib.import_module("nengo_dl_trainable")

    def __getattr__(self, name):
        # resource readers, ``get_filename`` etc. behave as the real loader's
        return getattr(self._loader, name)


class NengoDLImportHook(importlib.abc.MetaPathFinder):
    """A one-shot finder that wraps the loader of the ``nengo_dl`` package."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "nengo_dl":
            return None
        # stays installed until the module is executed: a lookup alone
        # (``importlib.util.find_spec``) must not disarm it
        for finder in sys.meta_path:
            if isinstance(finder, NengoDLImportHook):
                continue
            find_spec = getattr(finder, "find_spec", None)
            spec = None if find_spec is None else find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _ActivatingLoader(spec.loader)
                return spec
        return None


def install():
    """Install the import hook (unless ``nengo_dl`` is already loaded).

    With the activation switched off, the hook still makes NengoDL importable on
    the current stack (`keras_2_for_nengo_dl`), and does nothing else.
    """
    if "nengo_dl" in sys.modules:
        if not activation_disabled():
            importlib.import_module("nengo_dl_trainable")
        return
    if not any(isinstance(f, NengoDLImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, NengoDLImportHook())


def uninstall():
    """Remove the import hook from `sys.meta_path`."""
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, NengoDLImportHook)
    ]
