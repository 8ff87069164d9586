"""Import paths of the flat layout the package had before its folders, kept working.

Until the package was arranged in folders (``config/``, ``parameterizations/``,
``builder/``, ``tools/``, ``integrations/``) every module sat at the top level.
`install` makes each old module name an alias of the module that now holds its
contents, so ``from nengo_dl_trainable.neuron_types import PerNeuron``, ``import
nengo_dl_trainable.distribute`` and networks pickled with the old layout (which
name ``nengo_dl_trainable.double_exp.DoubleExp`` and the like) keep working.

Two old names now name other modules, as in Nengo: ``synapses`` and ``neurons``
hold the synapse and neuron types (they held ``parameterization_for`` and the
neuron parameterizations, now in ``parameterizations.registry`` and
``parameterizations.neurons``). ``synapse_builders`` and ``neuron_builders`` keep
their names and hold NengoDL's op builders; their build functions are in
``builder.connection`` and ``builder.ensemble``.
"""

import importlib
import sys

#: Old module name (under ``nengo_dl_trainable.``) -> the module that holds it now.
MOVED = {
    "checkpoint": "tools.checkpoint",
    "converter": "integrations.converter",
    "delay": "synapses",
    "delay_builder": "synapse_builders",
    "delay_filters": "synapses",
    "delay_parameterization": "parameterizations.delay",
    "distribute": "integrations.distribute",
    "double_exp": "synapses",
    "double_exp_filter": "parameterizations.double_exp",
    "encoding": "parameterizations.encoding",
    "filter_maths": "parameterizations.filter_maths",
    "filter_parameterization": "parameterizations.filter",
    "freeze": "tools.freeze",
    "gain": "builder.gain",
    "grouped_parameters": "merged_rows",
    "linear_filter_coefficients": "parameterizations.linear_filter",
    "markers": "config.markers",
    "names": "config.names",
    "neuron_types": "neurons",
    "operators": "builder.operators",
    "optimizer_step": "tools.optimizer_step",
    "parameterization": "parameterizations.base",
    "parameters": "builder.record",
    "report": "tools.report",
    "resolution": "config.resolution",
    "settings": "config.settings",
    "time_constant_filters": "parameterizations.lowpass",
    "vector_synapses": "synapses",
}


def install(package):
    """Make every old module name an alias (in ``sys.modules``) of its new module.

    Parameters
    ----------
    package : str
        The package's name, ``"nengo_dl_trainable"``.
    """
    for old, new in MOVED.items():
        sys.modules.setdefault(
            f"{package}.{old}", importlib.import_module(f"{package}.{new}")
        )
