"""Train synaptic and neuron-model parameters with NengoDL.

Installing this package extends NengoDL: ``import nengo_dl`` activates it (see
``_nengo_dl_trainable_hook``), and this package is also ``nengo_dl.trainable_params``.
A network selects what trains through the ``trainable_params`` config parameter::

    with nengo.Network() as net:
        nengo_dl.configure_settings(trainable_params=None)
        ...
        net.config[conn].trainable_params = {"synapse"}

Values can also be marked where they are given: ``synapse=L(0.01)``,
``nengo.LIF(tau_rc=L(0.02), tau_ref=S(0.002))`` (see `nengo_dl_trainable.markers`).
Training (`nengo_dl.Simulator.fit`), saving (``save_params``/``load_params``) and
freezing (``freeze_params``) work unchanged; frozen networks run in core Nengo.
`summary` (and `parameter_info`) show what trains and its current values.
"""

# the package imports NengoDL (under the hook's fixes) before its own modules
# ruff: noqa: E402

import sys

import _nengo_dl_trainable_hook

# NengoDL needs Keras 2 (selected, on the current stack) when it is first imported,
# and a fix on Nengo 4 (see the hook module; both do nothing on the pinned stack)
with _nengo_dl_trainable_hook.keras_2_for_nengo_dl():
    import nengo_dl  # noqa: F401
_nengo_dl_trainable_hook.fix_nengo_dl()

from nengo_dl_trainable import _nengo_dl
from nengo_dl_trainable.version import version as __version__

_nengo_dl.check_nengo_dl_version()

# pylint: disable=wrong-import-position
from nengo_dl_trainable import (
    checkpoint,  # noqa: F401  (registers save_params' record)
    converter,
    markers,
    neuron_builders,
    optimizer_step,  # noqa: F401  (registers the step that follows the rate)
    synapse_builders,
)
from nengo_dl_trainable._nengo_dl import configure_settings
from nengo_dl_trainable.delay import Delay, DelayedLowpass
from nengo_dl_trainable.delay_filters import LegendreDelay, PadeDelay
from nengo_dl_trainable.double_exp import DoubleExp
from nengo_dl_trainable.errors import (
    StockParametersLoaded,
    TrainableParamsError,
    TrainableParamsWarning,
)
from nengo_dl_trainable.freeze import filter_poles, time_constants
from nengo_dl_trainable.markers import L, S, fixed, learned
from nengo_dl_trainable.names import STOCK
from nengo_dl_trainable.neuron_types import PerNeuron
from nengo_dl_trainable.report import (
    ParameterInfo,
    RecordParameters,
    find_parameter,
    parameter_info,
    summary,
)
from nengo_dl_trainable.settings import (
    SpikingAwareTrainingParam,
    TrainableParamsParam,
)
from nengo_dl_trainable.vector_synapses import VectorAlpha, VectorLowpass

markers.install()
synapse_builders.register_build_function()
neuron_builders.register_build_function()
converter.register_converter()
_nengo_dl.apply()

# this package is also nengo_dl.trainable_params, and the inline markers are
# importable as NengoDL issue #60 writes them: from nengo_dl import L, S
nengo_dl.trainable_params = sys.modules[__name__]
nengo_dl.L, nengo_dl.S = L, S
sys.modules.setdefault("nengo_dl.trainable_params", sys.modules[__name__])

__all__ = [
    "__version__",
    "configure_settings",
    "STOCK",
    "StockParametersLoaded",
    "TrainableParamsError",
    "TrainableParamsParam",
    "TrainableParamsWarning",
    "Delay",
    "DelayedLowpass",
    "DoubleExp",
    "filter_poles",
    "find_parameter",
    "fixed",
    "L",
    "LegendreDelay",
    "learned",
    "PadeDelay",
    "ParameterInfo",
    "parameter_info",
    "PerNeuron",
    "RecordParameters",
    "S",
    "SpikingAwareTrainingParam",
    "summary",
    "VectorAlpha",
    "VectorLowpass",
    "time_constants",
]
