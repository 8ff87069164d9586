"""Build trainable neuron parameters: the ensemble build function.

The build function, registered for NengoDL only, builds an ensemble as core Nengo
does and then, if ``trainable_params`` selects any of its neuron type's parameters
(through the ensemble or its neurons), replaces the ensemble's
`~nengo.builder.neurons.SimNeurons` with a `.SimTrainableNeurons` reading new
parameter signals. Their TensorFlow builders are in
`nengo_dl_trainable.neuron_builders`.
"""

import warnings

from nengo import Ensemble
from nengo import builder as nengo_builder
from nengo.builder.neurons import SimNeurons
from nengo.exceptions import ValidationError
from nengo.neurons import Direct

from nengo_dl_trainable._nengo_dl import register_build_function
from nengo_dl_trainable._nengo_dl.build_channels import built_operator_index
from nengo_dl_trainable.builder.gain import build_gain
from nengo_dl_trainable.builder.operators import (
    SimSpikingAwareNeurons,
    SimTrainableNeurons,
)
from nengo_dl_trainable.builder.record import (
    add_parameters,
    mark_stock_signal,
    model_record,
    network_configs,
    refuse_or_skip,
    refuse_unused_step_scale,
)
from nengo_dl_trainable.config.names import names_with_prefix, selected_parameters
from nengo_dl_trainable.config.settings import SPIKING_AWARE_NAME
from nengo_dl_trainable.errors import TrainableParamsError, TrainableParamsWarning
from nengo_dl_trainable.neuron_builders import tf_neuron_builder
from nengo_dl_trainable.neurons import TIME_CONSTANTS, PerNeuron
from nengo_dl_trainable.parameterizations.gain import GAIN
from nengo_dl_trainable.parameterizations.neurons import (
    has_per_neuron_values,
    invalid_starts,
    neuron_parameterization,
    trainable_parameters,
)


def _check_direct(configs, ens):
    """Explicit names must apply: ``Direct`` neurons have no bias and no gain."""
    if not isinstance(ens.neuron_type, Direct):
        return
    for obj in (ens, ens.neurons):
        for name in ("bias", GAIN):
            if name in (configs.selected_attributes(obj) or ()):
                raise TrainableParamsError(
                    f"{name!r} is selected, but Direct neurons have no {name}",
                    obj=obj,
                )


def _selected_neuron_parameters(model, ens, names):
    """The neuron-type parameters to train (what cannot train is refused/skipped)."""
    try:
        available = trainable_parameters(ens.neuron_type)
    except TrainableParamsError as e:
        refuse_or_skip(model, ens.neurons, names, "neuron_type", e.args[0])
        return ()
    selected, unknown = selected_parameters(names, "neuron_type", available)
    for name, reason in unknown.items():
        refuse_or_skip(model, ens.neurons, names, name, reason)
    invalid = invalid_starts(ens.neuron_type, ens.n_neurons, selected)
    for name, reason in invalid.items():
        refuse_or_skip(model, ens.neurons, names, f"neuron_type.{name}", reason)
    return tuple(name for name in selected if name not in invalid)


def _neuron_parameterization(model, ens, names, step_scale):
    """The parameterization of the ensemble's neuron type, or None to build stock.

    ``step_scale`` is the ensemble's ``tau_step_scale`` (None: the package's).

    Returns
    -------
    parameterization, selected
        The parameterization (None if no parameter trains and no values are per
        neuron) and the names that train.
    """
    selected = ()
    if names_with_prefix(names, "neuron_type"):
        selected = _selected_neuron_parameters(model, ens, names)
    if not selected and not has_per_neuron_values(ens.neuron_type):
        return None, selected
    try:
        parameterization = neuron_parameterization(
            ens.neuron_type, ens.n_neurons, selected, step_scale
        )
    except (TrainableParamsError, ValidationError) as e:
        raise TrainableParamsError(str(e), obj=ens.neurons) from None
    return parameterization, selected


def _check_unused_step_scale(model, ens, parameterization):
    """A ``tau_step_scale`` set on an ensemble must apply to it."""
    if parameterization is None or not parameterization.has_time_constants:
        refuse_unused_step_scale(
            model,
            ens,
            f"its neuron type's time constants ({', '.join(sorted(TIME_CONSTANTS))})",
            "select 'neuron_type' in the trainable_params of the ensemble or its "
            "neurons, or mark the neuron type L(...)",
        )


def _mark_stock_signals(model, configs, ens):
    """Record whether the ensemble's encoders and bias train."""
    mark_stock_signal(model, ens, "encoders", configs.selected_attributes(ens))
    if not isinstance(ens.neuron_type, Direct):
        mark_stock_signal(
            model, ens.neurons, "bias", configs.selected_attributes(ens.neurons)
        )


def _replace_neuron_operators(model, ens, first, parameterization, selected):
    """Give the ensemble's neurons parameter signals, one operator per part."""
    signals = add_parameters(
        model, ens, ens.neurons, "neuron_type", parameterization, selected
    )
    for part, prefix in parameterization.parts:
        if not part.parameters:
            continue
        index = built_operator_index(
            model,
            first,
            lambda op, part=part: (
                isinstance(op, SimNeurons) and op.neurons is part.neuron_type
            ),
        )
        old = model.operators[index]
        model.operators[index] = SimTrainableNeurons(
            part,
            {name: signals[prefix + name] for name in part.parameters},
            old.J,
            old.output,
            state={**old.state, **old.state_extra},
            tag=f"{ens}.trainable_neurons",
        )


def build_ensemble(model, ens):
    """Build an ensemble, with trainable neuron parameters and gain where configured.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    ens : `~nengo.Ensemble`
        The ensemble.
    """
    configs = network_configs(model)
    _check_direct(configs, ens)
    parameterization, selected = _neuron_parameterization(
        model,
        ens,
        configs.selected_attributes(ens.neurons),
        configs.tau_step_scale(ens)[0],
    )
    _check_unused_step_scale(model, ens, parameterization)
    spiking_aware = _spiking_aware(configs, ens)
    first = len(model.operators)
    built = nengo_builder.Builder.build(model, ens)
    _mark_stock_signals(model, configs, ens)
    if parameterization is not None:
        _replace_neuron_operators(model, ens, first, parameterization, selected)
    if spiking_aware:
        _make_spiking_aware(model, ens, first)
    if GAIN in (configs.selected_attributes(ens) or ()):
        build_gain(model, ens, first)
    return built


def _spiking_aware(configs, ens):
    """Whether ``ens`` trains spiking-aware (an explicit value must apply)."""
    value, on_object = configs.spiking_aware_training(ens)
    if value is None:
        return spiking_aware_default(configs, ens) and _spiking_in_tensorflow(ens)
    if not value:
        return False
    if not getattr(ens.neuron_type, "spiking", False):
        if on_object:
            raise ValidationError(
                f"is set, but the neuron type {ens.neuron_type} does not spike",
                attr=SPIKING_AWARE_NAME,
                obj=ens,
            )
        return False  # a default applies to the spiking ensembles only
    return True


def spiking_aware_default(configs, ens):
    """The ``spiking_aware_training`` of an ensemble that sets none.

    True wherever the network selects any parameter only this package trains (a
    synapse, neuron-type or gain parameter: see
    `.NetworkConfigs.selects_package_parameters`), False otherwise, so that a
    network that configures nothing of this package trains exactly as in stock
    NengoDL. Chosen
    on the spiking rows of the real-task suite (``benchmarks/spiking_suite.py``,
    the Benchmarks page): synapses learned in NengoDL's rate mode shrink and make
    a converted spiking network worse than the synapse they started from, while
    with spikes in training they grow and win; where a synapse's job is memory,
    both modes gain alike.

    Parameters
    ----------
    configs : `.NetworkConfigs`
        The network's configs.
    ens : `~nengo.Ensemble`
        The ensemble.

    Returns
    -------
    bool
    """
    return configs.selects_package_parameters()


def _spiking_in_tensorflow(ens):
    """Whether the ensemble's neurons spike and have a TensorFlow builder."""
    neuron_type = ens.neuron_type
    if isinstance(neuron_type, PerNeuron):
        neuron_type = neuron_type.base_type  # built as its base type
    return (
        getattr(neuron_type, "spiking", False)
        and tf_neuron_builder(type(neuron_type)) is not None
    )


def _make_spiking_aware(model, ens, first):
    """Make the ensemble's spiking neuron operators spike in training mode."""
    changed = False
    for index in range(first, len(model.operators)):
        op = model.operators[index]
        if not isinstance(op, SimNeurons):
            continue
        builder = tf_neuron_builder(type(op.neurons))
        if builder is None:
            warnings.warn(
                f"{ens}: spiking_aware_training does not change "
                f"{type(op.neurons).__name__} neurons, which NengoDL runs as NumPy "
                "code: they spike in training as in inference, and pass no "
                "gradient to anything before them",
                TrainableParamsWarning,
            )
        elif not builder.spiking:
            continue
        elif isinstance(op, SimTrainableNeurons):
            op.spiking_aware = changed = True
        else:
            model.operators[index] = SimSpikingAwareNeurons(
                op.neurons,
                op.J,
                op.output,
                state={**op.state, **op.state_extra},
                tag=f"{ens}.spiking_aware_neurons",
            )
            changed = True
    if changed:
        model_record(model).spiking_aware.append(ens)


def register_ensemble_build():
    """Register the NengoDL-only Ensemble build function (idempotent)."""
    register_build_function(Ensemble, build_ensemble)
