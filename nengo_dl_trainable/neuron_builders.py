"""Build trainable neuron parameters: the Nengo build function and TF builders.

The build function, registered for NengoDL only, builds an ensemble as core Nengo
does and then, if ``trainable_params`` selects any of its neuron type's parameters
(through the ensemble or its neurons), replaces the ensemble's
`~nengo.builder.neurons.SimNeurons` with a `.SimTrainableNeurons` reading new
parameter signals.

The TensorFlow builders are NengoDL's own neuron builders with one change: after
NengoDL's ``build_pre`` sets the neuron parameters as constants, they are replaced
by tensors computed once per run from the parameter variables. Spiking dynamics,
the rate approximation used in training mode and ``lif_smoothing`` are exactly
NengoDL's, and gradients flow to the parameters through the rate approximation.
"""

import numpy as np
import tensorflow as tf
from nengo import Ensemble
from nengo import builder as nengo_builder
from nengo.builder.neurons import SimNeurons
from nengo.neurons import LIF, Direct, LIFRate
from nengo_dl.builder import Builder, NengoBuilder, OpBuilder
from nengo_dl.neuron_builders import LIFBuilder, LIFRateBuilder, SoftLIFRateBuilder
from nengo_dl.neurons import SoftLIFRate

from nengo_dl_trainable.config import (
    TrainableParamsError,
    names_with_prefix,
    network_configs,
    selected_parameters,
)
from nengo_dl_trainable.neurons import NeuronParameterization
from nengo_dl_trainable.operators import SimTrainableNeurons
from nengo_dl_trainable.parameters import add_parameters
from nengo_dl_trainable.synapse_builders import read_parameters


def build_ensemble(model, ens):
    """Build an ensemble, with trainable neuron parameters where configured.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    ens : `~nengo.Ensemble`
        The ensemble.
    """
    configs = network_configs(model)
    for obj in (ens, ens.neurons):
        names = configs.selected_attributes(obj) or ()
        if "bias" in names and isinstance(ens.neuron_type, Direct):
            raise TrainableParamsError(
                "'bias' is selected, but Direct neurons have no bias", obj=obj
            )
    first = len(model.operators)
    built = nengo_builder.Builder.build(model, ens)

    names = names_with_prefix(configs.selected_attributes(ens.neurons), "neuron_type")
    if not names:
        return built
    try:
        parameterization = NeuronParameterization(ens.neuron_type)
        selected = selected_parameters(
            names, "neuron_type", parameterization.parameters
        )
    except TrainableParamsError as e:
        raise TrainableParamsError(str(e), obj=ens.neurons) from None

    J = model.sig[ens.neurons]["in"]
    index = next(
        i
        for i in range(first, len(model.operators))
        if isinstance(model.operators[i], SimNeurons) and model.operators[i].J is J
    )
    old = model.operators[index]
    parameters = add_parameters(
        model, ens, ens.neurons, "neuron_type", parameterization, selected
    )
    model.operators[index] = SimTrainableNeurons(
        parameterization,
        parameters,
        old.J,
        old.output,
        state=old.state,
        tag=f"{ens}.trainable_neurons",
    )
    return built


def register_build_function():
    """Register the NengoDL-only Ensemble build function (idempotent)."""
    NengoBuilder.builders[Ensemble] = build_ensemble


class TrainableParametersMixin:
    """Replace a NengoDL neuron builder's constant parameters with trained ones."""

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        elements = np.repeat(
            np.arange(len(self.ops)), [op.J.shape[0] for op in self.ops]
        )
        for name in self.ops[0].parameter_names:
            log_value = read_parameters(
                signals, self.ops, lambda op, n=name: op.parameters[n]
            )[:, 0]
            # one value per neuron, with a leading axis for the minibatch
            setattr(self, name, tf.gather(tf.exp(log_value), elements)[None, :])
        self.alpha = self.amplitude / signals.dt


class TrainableLIFRateBuilder(TrainableParametersMixin, LIFRateBuilder):
    """`~nengo.LIFRate` with trainable ``tau_rc``, ``tau_ref``, ``amplitude``."""


class TrainableSoftLIFRateBuilder(TrainableParametersMixin, SoftLIFRateBuilder):
    """`.SoftLIFRate` with trainable LIF parameters and ``sigma``."""


class TrainableLIFBuilder(TrainableParametersMixin, LIFBuilder):
    """`~nengo.LIF` with trainable ``tau_rc``, ``tau_ref``, ``amplitude``."""


@Builder.register(SimTrainableNeurons)
class TrainableNeuronsBuilder(OpBuilder):
    """Build a group of `.SimTrainableNeurons` operators of one neuron type."""

    IMPLEMENTATIONS = {
        LIFRate: TrainableLIFRateBuilder,
        SoftLIFRate: TrainableSoftLIFRateBuilder,
        LIF: TrainableLIFBuilder,
    }

    def __init__(self, ops):
        super().__init__(ops)
        self.built_neurons = self.IMPLEMENTATIONS[type(ops[0].neurons)](ops)

    def build_pre(self, signals, config):
        self.built_neurons.build_pre(signals, config)

    def build_step(self, signals):
        self.built_neurons.build_step(signals)

    @staticmethod
    def mergeable(x, y):
        return type(x.neurons) is type(y.neurons)
