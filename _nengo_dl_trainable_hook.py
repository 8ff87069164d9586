"""Activate ``nengo_dl_trainable`` whenever ``nengo_dl`` is imported.

This tiny module is imported at interpreter start-up by ``nengo_dl_trainable.pth``
(installed into site-packages with the package). It must stay cheap: it imports
nothing heavy and only installs a `sys.meta_path` finder. When (and only when) a
process imports ``nengo_dl``, the finder lets the real import run and then imports
``nengo_dl_trainable``, which registers its builders with NengoDL. Processes that
never import ``nengo_dl`` pay for one finder lookup per import and nothing else.

Set the environment variable ``NENGO_DL_TRAINABLE_DISABLE`` to ``1`` (or ``true``,
``yes``) to switch the activation off, e.g. to compare against stock NengoDL.
"""

import importlib
import importlib.abc
import os
import sys

DISABLE_ENV_VAR = "NENGO_DL_TRAINABLE_DISABLE"


def activation_disabled():
    """Return True if the user switched off the automatic activation."""
    return os.environ.get(DISABLE_ENV_VAR, "").strip().lower() in ("1", "true", "yes")


class _ActivatingLoader(importlib.abc.Loader):
    """Runs the real ``nengo_dl`` loader, then imports the extension."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        # from here on nengo_dl is imported (or failed to import): one shot
        uninstall()
        self._loader.exec_module(module)
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
    """Install the import hook (unless disabled or ``nengo_dl`` is already loaded)."""
    if activation_disabled():
        return
    if "nengo_dl" in sys.modules:
        importlib.import_module("nengo_dl_trainable")
        return
    if not any(isinstance(f, NengoDLImportHook) for f in sys.meta_path):
        sys.meta_path.insert(0, NengoDLImportHook())


def uninstall():
    """Remove the import hook from `sys.meta_path`."""
    sys.meta_path[:] = [
        f for f in sys.meta_path if not isinstance(f, NengoDLImportHook)
    ]
