"""Fixes of NengoDL bugs that the package's own errors would expose.

(The fixes of the dependency stack that must apply with the extension switched off
live in ``_nengo_dl_trainable_hook``.)
"""

from nengo.rc import rc as nengo_rc


def _simulator_init(init):
    def wrapper(self, *args, **kwargs):
        precision = nengo_rc.get("precision", "bits")
        try:
            init(self, *args, **kwargs)
        except BaseException:
            nengo_rc.set("precision", "bits", precision)
            raise

    return wrapper
