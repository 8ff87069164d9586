"""Every wrap of NengoDL internals, at the edge of the package.

NengoDL 3.6.0 offers registries for new operators (`nengo_dl.builder.Builder`) and
for NengoDL-only build functions (`nengo_dl.builder.NengoBuilder`); this package
uses those as they are. A few behaviours have no extension point, and are wrapped
here, each as narrowly as possible:

``NengoBuilder.build``
    Objects of the classes this package builds (`.core.register_build_function`) go
    straight to its build function. NengoDL's own dispatch would, on any
    ``BuildError`` raised inside it, build the object a second time with core
    Nengo's function on top of the half-built first attempt (which, for one,
    drops a connection's learning rule with only a warning). This package's
    functions call core Nengo's themselves, so the retry could only do harm.
``TensorGraph.mark_signals``
    After NengoDL marks weights, encoders and biases, apply what the build
    decided for them from ``trainable_params`` (`.StockMark`) and mark this
    package's parameter signals; then warn once about what class or network
    defaults had to skip.
``TensorGraph.call``
    Give operator builders access to the parameter variables in ``build_pre``, so
    that coefficients depending only on parameters are computed once per run,
    outside the simulation loop (see `.parameter_value`).
``Simulator.get_nengo_params``
    Also return the learned ``synapse`` of connections and ``neuron_type`` and
    ``gain`` of ensembles, which makes the unchanged ``Simulator.freeze_params``
    write them back into the network.
``SimulationData.__getitem__``
    ``sim.data[ens]`` of an ensemble with a trainable gain reports the learned
    gain (NengoDL infers the gain from the scaled encoders, which the separate
    gain factor leaves out; see `nengo_dl_trainable.builder.gain`).
``Simulator.fit``
    Where the model has parameters of this package that train, add a callback
    that warns at the end of an epoch in which one of them stopped being finite,
    or a lowpass time constant fell into the passthrough range where it gets no
    gradient (see `.PASSTHROUGH_TAU`).
``graph_optimizer.transitive_planner``
    Refuse, with an error that says what to use instead, models with this
    package's operators: the planner's list of builder types is closed.
``Simulator.__init__``
    Restore Nengo's ``rc`` float precision when building fails. NengoDL sets it
    to the simulation's dtype for the build and restores it only on success, so a
    failed build (a ``trainable_params`` error, say) would leave later core Nengo
    simulators running in float32.
``TensorGraph.__init__``, ``TensorGraph.build_inputs``
    Under a ``tf.distribute`` strategy with several replicas, build the
    simulation for one replica's share of the minibatch, and declare the Keras
    inputs with the global minibatch (Keras divides an input's batch size among
    the replicas).
``callbacks.IsolateState``, ``Simulator.save_params``, ``Simulator.load_params``
    Under such a strategy, read and set the simulation state of all replicas
    (`.tf_distribute.read_saved_state`, `.tf_distribute.write_saved_state`),
    where NengoDL would read replica 0's share only and give it to every
    replica. ``save_params`` also writes the
    record of how this package's parameters are stored, and ``load_params``
    refuses a file whose record differs from the model's
    (`nengo_dl_trainable.tools.checkpoint`).
``nengo_dl.configure_settings``
    Accept ``trainable_params=...`` and ``tau_step_scale=...`` next to NengoDL's
    own settings.
``nengo_dl.trainable_params``, ``nengo_dl.L``, ``nengo_dl.S``
    The public API of this package, under NengoDL's name, and the inline markers
    where NengoDL issue #60 imports them (`expose`).
``nengo.params.Parameter.__set__`` (Nengo, not NengoDL)
    Every Nengo parameter value passes through it: a value marked with ``L(...)``
    or ``S(...)`` is replaced by the value it marks, and the mark recorded on the
    object (`nengo_dl_trainable.config.markers`).

The wraps live in one module per concern: `.core` (building, marking, reading
parameters, freezing, fitting and parameter files), `.tf_distribute` (one
simulation per replica) and `.fixes` (NengoDL bugs); `.wrapping` lists every
wrapped name with its signature (``wrapping.WRAPPED_SIGNATURES``). None of them
imports the package's domain modules: those register, at import, the functions
the wraps call (`.extension_points`); an empty point leaves NengoDL's behaviour
as it is.

`apply` is called once when the package is imported; calling it again does
nothing. It refuses to run against a NengoDL version other than the one whose
internals it was written against, or whose wrapped functions' signatures differ.
"""

import sys

import nengo_dl
from nengo.params import Parameter
from nengo_dl import callbacks, graph_optimizer
from nengo_dl import config as nengo_dl_config
from nengo_dl.builder import NengoBuilder
from nengo_dl.simulator import SimulationData, Simulator
from nengo_dl.tensor_graph import TensorGraph

from nengo_dl_trainable._nengo_dl import core, fixes, tf_distribute
from nengo_dl_trainable._nengo_dl.core import (
    BUILD_FUNCTIONS,
    RECORD_KEY,
    SignalReader,
    StockParametersLoaded,
    base_variable,
    configure_settings,
    parameter_value,
    register_build_function,
    signal_location,
    signal_values,
)
from nengo_dl_trainable._nengo_dl.extension_points import (
    provide,
    provide_setting,
)
from nengo_dl_trainable._nengo_dl.tf_distribute import (
    read_saved_state,
    write_saved_state,
)
from nengo_dl_trainable._nengo_dl.wrapping import (
    _ORIGINALS,
    SUPPORTED_NENGO_DL_VERSIONS,
    WRAPPED_SIGNATURES,
    check_nengo_dl_version,
    check_signatures,
    original,
    wrap,
)

__all__ = [
    "BUILD_FUNCTIONS",
    "RECORD_KEY",
    "SUPPORTED_NENGO_DL_VERSIONS",
    "SignalReader",
    "StockParametersLoaded",
    "WRAPPED_SIGNATURES",
    "_ORIGINALS",
    "apply",
    "base_variable",
    "check_nengo_dl_version",
    "check_signatures",
    "configure_settings",
    "original",
    "parameter_value",
    "provide",
    "provide_setting",
    "read_saved_state",
    "register_build_function",
    "signal_location",
    "signal_values",
    "write_saved_state",
]

#: Every wrap: (owner, name) -> the function that makes the wrapper.
WRAPS = {
    (NengoBuilder, "build"): core._builder_build,
    (graph_optimizer, "transitive_planner"): core._transitive_planner,
    (Simulator, "fit"): core._fit,
    (Simulator, "compile"): core._compile,
    (TensorGraph, "mark_signals"): core._mark_signals,
    (TensorGraph, "call"): core._call,
    (TensorGraph, "build"): core._tensor_graph_build,
    (Simulator, "get_nengo_params"): core._get_nengo_params,
    (SimulationData, "__getitem__"): core._simulation_data_getitem,
    (Simulator, "save_params"): core._save_params,
    (Simulator, "load_params"): core._load_params,
    (Simulator, "__init__"): fixes._simulator_init,
    (TensorGraph, "__init__"): tf_distribute._tensor_graph_init,
    (TensorGraph, "build_inputs"): tf_distribute._build_inputs,
    (callbacks.IsolateState, "__init__"): tf_distribute._isolate_state_init,
    (callbacks.IsolateState, "reset"): tf_distribute._isolate_state_reset,
    (Parameter, "__set__"): core._parameter_set,
}


def expose(package):
    """Make ``package`` NengoDL's ``trainable_params``, with its markers.

    ``nengo_dl.trainable_params`` is ``package`` (also importable under that
    name), and ``from nengo_dl import L, S`` imports its inline markers, as
    NengoDL issue #60 writes them.

    Parameters
    ----------
    package : module
        This package (``nengo_dl_trainable``), with its attributes ``L`` and ``S``.
    """
    nengo_dl.trainable_params = package
    nengo_dl.L, nengo_dl.S = package.L, package.S
    sys.modules.setdefault("nengo_dl.trainable_params", package)


def apply():
    """Apply every wrap (once; later calls do nothing)."""
    check_nengo_dl_version()
    check_signatures()
    for (owner, name), make_wrapper in WRAPS.items():
        wrap(owner, name, make_wrapper)
    if (nengo_dl_config, "configure_settings") not in _ORIGINALS:
        # a replacement, not a wrap: NengoDL's is called with its own settings
        _ORIGINALS[(nengo_dl_config, "configure_settings")] = (
            nengo_dl_config.configure_settings
        )
        nengo_dl_config.configure_settings = configure_settings
        nengo_dl.configure_settings = configure_settings
