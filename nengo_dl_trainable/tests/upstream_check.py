"""Pytest plugin for the upstream NengoDL suite: prove the extension is active.

Loaded with ``-p nengo_dl_trainable.tests.upstream_check`` by
``scripts/upstream_suite.py``. It does not import ``nengo_dl_trainable`` itself,
so the suite only sees the extension if ``import nengo_dl`` activated it.
"""

import sys


def pytest_sessionstart(session):
    import nengo_dl

    if "nengo_dl_trainable" not in sys.modules or not hasattr(
        nengo_dl, "trainable_params"
    ):
        raise RuntimeError(
            "nengo_dl_trainable was not activated by `import nengo_dl`; the upstream "
            "suite would run against stock NengoDL"
        )


def pytest_report_header(config):
    import nengo_dl

    return (
        f"nengo_dl_trainable {nengo_dl.trainable_params.__version__} active "
        f"(nengo_dl {nengo_dl.__version__} from {nengo_dl.__file__})"
    )
