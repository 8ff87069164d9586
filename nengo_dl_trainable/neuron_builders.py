"""NengoDL builders of this package's neuron operators (TensorFlow).

They are NengoDL's own neuron builders with two possible additions: after
NengoDL's ``build_pre`` sets the neuron parameters as constants, they are
replaced by tensors computed once per run from the parameter variables
(`TrainableParametersMixin`); and under ``spiking_aware_training`` the training
mode runs the spiking step forward with the rate approximation's gradient
backward (`SpikingAwareMixin`). Spiking dynamics, the rate approximation used
in training mode and ``lif_smoothing`` are otherwise exactly NengoDL's.
"""

import functools

import tensorflow as tf
from nengo.exceptions import BuildError
from nengo.neurons import AdaptiveLIF, AdaptiveLIFRate
from nengo_dl.builder import Builder, OpBuilder
from nengo_dl.neuron_builders import LIFBuilder, LIFRateBuilder, SimNeuronsBuilder
from tensorflow.python.framework import smart_cond

from nengo_dl_trainable._nengo_dl import parameter_value
from nengo_dl_trainable.builder.operators import (
    SimSpikingAwareNeurons,
    SimTrainableNeurons,
)
from nengo_dl_trainable.merged_rows import element_rows


def _adaptation_constants(builder, signals):
    sizes = [op.J.shape[0] for op in builder.ops]
    neurons = [op.neurons for op in builder.ops]
    builder.tau_n = signals.op_constant(neurons, sizes, "tau_n", signals.dtype)
    builder.inc_n = signals.op_constant(neurons, sizes, "inc_n", signals.dtype)


def _adapt(builder, adaptation, output, dt):
    r"""Nengo's update :math:`n \leftarrow n + (\Delta t / \tau_n)(c_n r - n)`."""
    return adaptation + (dt / builder.tau_n) * (builder.inc_n * output - adaptation)


class AdaptiveLIFRateBuilder(LIFRateBuilder):
    r"""Native TensorFlow `~nengo.AdaptiveLIFRate` (stock NengoDL runs numpy code).

    Used for the ensembles whose neuron parameters this package builds.

    The rate :math:`r` is the LIF rate of :math:`J - n`, and the adaptation
    :math:`n` relaxes to :math:`c_n r` (:math:`c_n` = ``inc_n``) with time constant
    :math:`\tau_n` (``tau_n``, seconds), with Nengo's forward-Euler update.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        _adaptation_constants(self, signals)

    def step(self, J, dt, adaptation):
        output = super().step(J - adaptation, dt)
        return output, _adapt(self, adaptation, output, dt)


class AdaptiveLIFBuilder(LIFBuilder):
    """Native TensorFlow `~nengo.AdaptiveLIF` (stock NengoDL runs numpy code).

    Used for the ensembles whose neuron parameters this package builds.

    Inference runs Nengo's spiking dynamics on :math:`J - n`. In training mode
    (NengoDL's rate approximation of LIF, honouring ``lif_smoothing``) the
    adaptation evolves with the approximate rate, so gradients reach ``tau_n``
    and ``inc_n``; voltage and refractory time are held, as NengoDL does for LIF.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        _adaptation_constants(self, signals)

    def step(self, J, dt, voltage, refractory_time, adaptation):
        output, voltage, refractory_time = super().step(
            J - adaptation, dt, voltage, refractory_time
        )
        return output, voltage, refractory_time, _adapt(self, adaptation, output, dt)

    def build_step(self, signals):
        J = signals.gather(self.J_data)
        state = {s: signals.gather(d) for s, d in self.state_data.items()}
        spiking = self.step(J, signals.dt, **state)

        def rates():
            n = state["adaptation"]
            output = self.training_step(J - n, signals.dt)
            held = (state["voltage"], state["refractory_time"])
            return (output, *held, _adapt(self, n, output, signals.dt))

        if self.config.inference_only:
            out = spiking
        else:
            out = smart_cond.smart_cond(
                self.config.training,
                true_fn=rates,
                # as NengoDL: keep NaNs of the unused branch out of the gradients
                false_fn=lambda: tuple(tf.stop_gradient(x) for x in spiking),
            )
        signals.scatter(self.output_data, out[0])
        for data, value in zip(self.state_data.values(), out[1:], strict=True):
            signals.scatter(data, value)

    def spiking_aware_step(self, J, dt, state, spiking):
        """Spikes forward, the rate's gradient backward (`.SpikingAwareMixin`).

        The adaptation follows the spikes forward, as in inference, and the
        rate approximation backward, so gradients still reach ``tau_n`` and
        ``inc_n``.
        """
        n = state["adaptation"]
        output = spikes_with_rate_gradient(spiking[0], self.training_step(J - n, dt))
        held = tuple(tf.stop_gradient(x) for x in spiking[1:3])
        return (output, *held, _adapt(self, n, output, dt))


#: Native builders for neuron types stock NengoDL runs as numpy code. They build
#: the ensembles this package builds (parameters selected, or `.PerNeuron`); other
#: ensembles run as stock NengoDL runs them (NengoDL's own tests pin that).
NATIVE_BUILDERS = {
    AdaptiveLIFRate: AdaptiveLIFRateBuilder,
    AdaptiveLIF: AdaptiveLIFBuilder,
}


class TrainableParametersMixin:
    """Replace a neuron builder's constant parameters with trained ones.

    After the neuron builder's ``build_pre`` sets its parameters as constants,
    each parameter with a signal is replaced by a tensor with one value per
    neuron, of shape ``(1, n_neurons)``, computed once per run.
    """

    def build_pre(self, signals, config):
        super().build_pre(signals, config)
        sizes = [op.J.shape[0] for op in self.ops]
        encodings = self.ops[0].parameterization.encodings
        for name in (*encodings, *(("alpha",) if "amplitude" in encodings else ())):
            # setting an attribute NengoDL's builder does not use would train
            # nothing, silently: refuse a NengoDL whose builders differ
            if not hasattr(self, name):
                raise BuildError(
                    f"{type(self).__name__} has no attribute {name!r} after "
                    "NengoDL's build_pre; this NengoDL's neuron builders differ from "
                    "those nengo_dl_trainable was written for"
                )
        for name, encoding in encodings.items():
            sigs = [op.parameters[name] for op in self.ops]
            value = encoding.decode(parameter_value(signals, signals.combine(sigs)), tf)
            # a shared value (one per op) repeats over the op's neurons
            index = element_rows(sizes, [sig.size for sig in sigs])
            setattr(self, name, tf.gather(value, index)[None, :])
        if "amplitude" in encodings:
            self.alpha = self.amplitude / signals.dt


def spikes_with_rate_gradient(spikes, rate):
    r"""``spikes`` forward, the gradient of ``rate`` backward (straight-through).

    The value is exactly ``spikes``; the gradient of anything computed from it
    flows to ``rate`` as if the value were ``rate``:
    :math:`\partial s / \partial x := \partial r / \partial x`. No gradient
    reaches the spiking computation (whose derivative is zero almost everywhere,
    and may be NaN where it is undefined).

    Parameters
    ----------
    spikes : ``tf.Tensor``
        The spiking output (amplitude / dt per spike).
    rate : ``tf.Tensor``
        The rate approximation of the same output, same shape.

    Returns
    -------
    ``tf.Tensor``
    """
    return _straight_through(tf.stop_gradient(spikes), rate)


@tf.custom_gradient
def _straight_through(spikes, rate):
    def gradient(upstream):
        return tf.zeros_like(upstream), upstream

    # identity rather than ``rate + (spikes - rate)``, which rounds
    return tf.identity(spikes), gradient


class SpikingAwareMixin:
    """Spiking-aware training for a NengoDL neuron builder of a spiking type.

    In training mode the builder's spiking ``step`` runs as in inference (its
    state evolving), and the output takes the gradient of the builder's
    ``training_step``, NengoDL's rate approximation (``lif_smoothing``
    included), through `spikes_with_rate_gradient`. The neuron state carries no
    gradient. Inference is NengoDL's. A builder may define its own
    ``spiking_aware_step`` (as `.AdaptiveLIFBuilder` does for its adaptation).
    """

    def build_step(self, signals):
        J = signals.gather(self.J_data)
        state = {s: signals.gather(d) for s, d in self.state_data.items()}
        spiking = tuple(tf.nest.flatten(self.step(J, signals.dt, **state)))
        if self.config.inference_only:
            out = spiking
        else:
            out = smart_cond.smart_cond(
                self.config.training,
                true_fn=lambda: self.spiking_aware_step(J, signals.dt, state, spiking),
                false_fn=lambda: tuple(tf.stop_gradient(x) for x in spiking),
            )
        signals.scatter(self.output_data, out[0])
        for data, value in zip(self.state_data.values(), out[1:], strict=True):
            signals.scatter(data, value)

    def spiking_aware_step(self, J, dt, state, spiking):
        """The training-mode outputs: the output, then each updated state.

        Parameters
        ----------
        J : ``tf.Tensor``
            The input current.
        dt : ``tf.Tensor``
            The timestep (seconds).
        state : dict of str: ``tf.Tensor``
            The neuron state before the step.
        spiking : tuple of ``tf.Tensor``
            What the spiking ``step`` returned: the output, then each state.

        Returns
        -------
        tuple of ``tf.Tensor``
        """
        own = getattr(super(), "spiking_aware_step", None)
        if own is not None:
            return own(J, dt, state, spiking)
        rate = self.training_step(J, dt, **state)
        held = tuple(tf.stop_gradient(x) for x in spiking[1:])
        return (spikes_with_rate_gradient(spiking[0], rate), *held)


def tf_neuron_builder(neuron_class):
    """The TensorFlow builder of a neuron type, or None where NengoDL has none.

    NengoDL's table (``SimNeuronsBuilder.TF_NEURON_IMPL``, read when called, so
    a builder registered later is found) and this package's `NATIVE_BUILDERS`.

    Parameters
    ----------
    neuron_class : type
        A neuron type's class.

    Returns
    -------
    type or None
    """
    return {**SimNeuronsBuilder.TF_NEURON_IMPL, **NATIVE_BUILDERS}.get(neuron_class)


@functools.cache
def neuron_implementation(builder, trainable_parameters, spiking_aware):
    """A NengoDL neuron builder class with this package's additions (made once).

    Parameters
    ----------
    builder : type
        A neuron builder (from `tf_neuron_builder`).
    trainable_parameters : bool
        Add `TrainableParametersMixin`.
    spiking_aware : bool
        Add `SpikingAwareMixin`.

    Returns
    -------
    type
        A subclass of ``builder`` and the mixins chosen.
    """
    mixins = ((SpikingAwareMixin,) if spiking_aware else ()) + (
        (TrainableParametersMixin,) if trainable_parameters else ()
    )
    what = " and ".join(
        (["spiking-aware training"] if spiking_aware else [])
        + (["trainable parameters"] if trainable_parameters else [])
    )
    prefix = ("SpikingAware" if spiking_aware else "") + (
        "Trainable" if trainable_parameters else ""
    )
    return type(
        f"{prefix}{builder.__name__}",
        (*mixins, builder),
        {"__doc__": f"{builder.__name__} with {what}."},
    )


class _NeuronsBuilder(OpBuilder):
    """Runs a group through NengoDL's builder for its neuron type, extended.

    The extension: `neuron_implementation` with the subclass's
    ``trainable_parameters`` and the operators' ``spiking_aware``.
    """

    trainable_parameters = False

    def __init__(self, ops, neuron_class):
        super().__init__(ops)
        builder = tf_neuron_builder(neuron_class)
        if builder is None:  # pragma: no cover (refused when configured)
            raise BuildError(
                f"no TensorFlow builder for neuron type {neuron_class.__name__}"
            )
        self.built_neurons = neuron_implementation(
            builder, self.trainable_parameters, ops[0].spiking_aware
        )(ops)

    def build_pre(self, signals, config):
        self.built_neurons.build_pre(signals, config)

    def build_step(self, signals):
        self.built_neurons.build_step(signals)


@Builder.register(SimTrainableNeurons)
class TrainableNeuronsBuilder(_NeuronsBuilder):
    """Build a group of `.SimTrainableNeurons` operators of one neuron type.

    Each group runs NengoDL's builder for the neuron type (or ours, for the
    adaptive types), with `TrainableParametersMixin`: spiking dynamics, the rate
    approximation used in training mode and ``lif_smoothing`` are NengoDL's,
    and gradients reach the parameters through the rate approximation.

    The builder for a neuron type is looked up in NengoDL's table when a model is
    built (so a builder NengoDL registers later is used), see
    `tf_neuron_builder`.
    """

    trainable_parameters = True

    def __init__(self, ops):
        super().__init__(ops, type(ops[0].parameterization.base_type))

    @staticmethod
    def mergeable(x, y):
        return (
            x.parameterization.signature == y.parameterization.signature
            and x.spiking_aware == y.spiking_aware
        )


@Builder.register(SimSpikingAwareNeurons)
class SpikingAwareNeuronsBuilder(_NeuronsBuilder):
    """Build a group of `.SimSpikingAwareNeurons` operators of one neuron type.

    NengoDL's builder for the neuron type (or this package's, for
    ``AdaptiveLIF``) with `SpikingAwareMixin`.
    """

    trainable_parameters = False

    def __init__(self, ops):
        super().__init__(ops, type(ops[0].neurons))

    @staticmethod
    def mergeable(x, y):
        return type(x.neurons) is type(y.neurons)
