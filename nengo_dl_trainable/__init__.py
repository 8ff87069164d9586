"""Train synaptic and neuron-model parameters with NengoDL.

Installing this package extends NengoDL: ``import nengo_dl`` activates it (see
``_nengo_dl_trainable_hook``), and this package is also ``nengo_dl.trainable_params``.
A network selects what trains through the ``trainable_params`` config parameter::

    with nengo.Network() as net:
        nengo_dl.configure_settings(trainable_params=None)
        ...
        net.config[conn].trainable_params = {"synapse"}

Values can also be marked where they are given: ``synapse=L(0.01)``,
``nengo.LIF(tau_rc=L(0.02), tau_ref=S(0.002))`` (see
`nengo_dl_trainable.config.markers`).
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

from nengo_dl_trainable import _nengo_dl, _old_paths
from nengo_dl_trainable.version import version as __version__

_nengo_dl.check_nengo_dl_version()

# pylint: disable=wrong-import-position
# modules imported for what they register: build functions, NengoDL op builders,
# converters, and the functions wraps call at extension points
from nengo_dl_trainable import neuron_builders, synapse_builders  # noqa: F401
from nengo_dl_trainable._nengo_dl import configure_settings
from nengo_dl_trainable.builder import connection, ensemble
from nengo_dl_trainable.config.markers import L, S, fixed, learned
from nengo_dl_trainable.config.names import STOCK
from nengo_dl_trainable.config.settings import (
    SpikingAwareTrainingParam,
    TrainableParamsParam,
)
from nengo_dl_trainable.errors import (
    StockParametersLoaded,
    TrainableParamsError,
    TrainableParamsWarning,
)
from nengo_dl_trainable.integrations import converter
from nengo_dl_trainable.neurons import PerNeuron
from nengo_dl_trainable.synapses import (
    Delay,
    DelayedLowpass,
    DoubleExp,
    LegendreDelay,
    PadeDelay,
    VectorAlpha,
    VectorLowpass,
)
from nengo_dl_trainable.tools import (  # noqa: F401
    checkpoint,
    optimizer_step,
    simulation_data,
)
from nengo_dl_trainable.tools.freeze import filter_poles, time_constants
from nengo_dl_trainable.tools.report import (
    ParameterInfo,
    RecordParameters,
    find_parameter,
    parameter_info,
    summary,
)

connection.register_connection_build()
ensemble.register_ensemble_build()
converter.register_converter()
_nengo_dl.apply()
_old_paths.install(__name__)

# this package is also nengo_dl.trainable_params, with the inline markers
_nengo_dl.expose(sys.modules[__name__])

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
