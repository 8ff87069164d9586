"""The config parameters of this package and their ``configure_settings`` keywords.

The parameters are ``trainable_params``, ``tau_step_scale`` and
``spiking_aware_training``; `configure_trainable_params`, `configure_tau_step_scale` and
`configure_spiking_aware_training` are what ``configure_settings(
trainable_params=...)``, ``configure_settings(tau_step_scale=...)`` and
``configure_settings(spiking_aware_training=...)`` do (registered with the
NengoDL wraps at import).
"""

import numbers

import numpy as np
from nengo import Connection, Ensemble, Network
from nengo.exceptions import ConfigError, NetworkContextError, ValidationError
from nengo.params import BoolParam, NumberParam, Parameter

from nengo_dl_trainable._nengo_dl import provide_setting
from nengo_dl_trainable.config.names import (
    PARAM_NAME,
    VALID_NAMES,
    names_for_each_type,
    parse_trainable_params,
)


class TrainableParamsParam(Parameter):
    """Config parameter holding the set of attribute names to train.

    Values are validated when they are set: see `.parse_trainable_params`.

    Parameters
    ----------
    obj_type : type
        The class the parameter is added to (`~nengo.Connection`,
        `~nengo.Ensemble` or `~nengo.ensemble.Neurons`).
    default : str or iterable of str or None
        Value for objects that do not set one.
    """

    equatable = True

    def __init__(self, obj_type, default=None):
        self.obj_type = obj_type
        super().__init__(
            PARAM_NAME, default=parse_trainable_params(default, obj_type), optional=True
        )

    def coerce(self, instance, value):
        value = super().coerce(instance, value)
        return parse_trainable_params(
            value, self.obj_type, obj=getattr(instance, "_configures", instance)
        )


def configure_trainable_params(value=None):
    """Add the ``trainable_params`` parameter to the current network's config.

    This is what ``configure_settings(trainable_params=value)`` does. Like NengoDL's
    ``trainable`` setting, it configures the innermost network being built, so that
    settings in a subnetwork need a call inside that subnetwork.

    Parameters
    ----------
    value : str or iterable of str or None
        Default for every Ensemble, Neurons and Connection in the network: each
        class gets the names that apply to it, so ``{"synapse"}`` trains exactly
        the synapses (and no weights, encoders or biases). Every name must apply
        to some class. ``None`` leaves the decision to higher networks and to
        ``trainable``. Calling it again changes these defaults and keeps the
        values set on objects.

    It also adds the ``tau_step_scale`` parameter to Connections and Ensembles,
    and ``spiking_aware_training`` to Ensembles (without changing their
    defaults), so that each object can set its own.
    """
    names = names_for_each_type(value)
    for obj_type in VALID_NAMES:
        _set_class_default(
            obj_type,
            PARAM_NAME,
            names[obj_type],
            lambda t=obj_type: TrainableParamsParam(t),
        )
    # so that objects can set their own ``tau_step_scale`` (default unchanged)
    for obj_type in STEP_SCALE_TYPES:
        _class_params(obj_type, STEP_SCALE_NAME, TauStepScaleParam)
    _class_params(Ensemble, SPIKING_AWARE_NAME, SpikingAwareTrainingParam)


def _class_params(obj_type, name, make_param):
    """``obj_type``'s config in the innermost network being built.

    With config parameter ``name``, added as ``make_param()`` if not there yet.
    """
    if len(Network.context) == 0:
        raise NetworkContextError(
            "`configure_settings` must be called within a Network context "
            "(`with nengo.Network(): ...`)"
        )
    config = Network.context[-1].config
    try:
        params = config[obj_type]
    except ConfigError:
        config.configures(obj_type)
        params = config[obj_type]
    if name not in params.params:
        params.set_param(name, make_param())
    return params


def _set_class_default(obj_type, name, value, make_param):
    """Set ``name``'s default for ``obj_type`` in the innermost network built.

    The config parameter is added (``make_param()``) if needed.
    """
    # setting the default, not replacing the parameter: a new parameter would
    # silently drop every value already set on an object
    setattr(_class_params(obj_type, name, make_param), name, value)


#: The config parameter setting how fast time constants train.
STEP_SCALE_NAME = "tau_step_scale"

#: The objects with a ``tau_step_scale``: a connection's applies to its synapse,
#: an ensemble's to its neuron type.
STEP_SCALE_TYPES = (Connection, Ensemble)


class TauStepScaleParam(NumberParam):
    """Config parameter: the step scale of an object's time constants (unitless).

    On a connection it applies to the synapse's time constants, on an ensemble
    to the neuron type's (``tau_rc``, ``tau_ref``, ``tau_n``; not to
    ``amplitude`` and the other parameters), with one meaning for every kind of
    time constant (shared, per dimension, per neuron, a `.DoubleExp`'s): a time
    constant trains as ``theta = log(tau) / tau_step_scale``
    (`.LogEncoding`), so an optimizer step of size ``lr`` in ``theta`` changes
    ``tau`` by a factor of about ``exp(tau_step_scale * lr)``, at most
    ``exp(tau_step_scale * lr * n)`` in ``n`` steps, whatever the optimizer.
    ``None`` (the default) stores them with `.DEFAULT_STEP_SCALE` (1) and makes
    their step follow the optimizer's learning rate
    (`nengo_dl_trainable.tools.optimizer_step`). Parameters saved with
    ``Simulator.save_params`` load only where the same scale applies (see
    `.check_parameters_record`).
    """

    def __init__(self):
        super().__init__(
            STEP_SCALE_NAME, default=None, low=0, low_open=True, optional=True
        )

    def coerce(self, instance, value):
        if isinstance(value, numbers.Real) and not np.isfinite(value):
            # checked first: Nengo's own check cannot compare NaN
            raise ValidationError(
                f"must be a positive finite number or None, not {value}",
                attr=self.name,
                obj=instance,
            )
        value = super().coerce(instance, value)
        return value if value is None else float(value)


def configure_tau_step_scale(value=None):
    """Set the default ``tau_step_scale`` of the connections and ensembles here.

    This is what ``configure_settings(tau_step_scale=value)`` does. Like
    ``trainable_params``, it configures the innermost network being built; a
    value set on an object (``net.config[conn].tau_step_scale = 5``) beats it,
    and among defaults the innermost network's wins. To set it for one class
    only, set that class's default: ``net.config[nengo.Connection].tau_step_scale
    = 10`` (after a ``configure_settings`` call has added the parameter).

    Parameters
    ----------
    value : float or None
        The step scale (positive); ``None`` for `.DEFAULT_STEP_SCALE`.
    """
    for obj_type in STEP_SCALE_TYPES:
        _set_class_default(obj_type, STEP_SCALE_NAME, value, TauStepScaleParam)


#: The config parameter choosing how spiking neurons run in training mode.
SPIKING_AWARE_NAME = "spiking_aware_training"


class SpikingAwareTrainingParam(BoolParam):
    r"""Config parameter: whether an ensemble's spiking neurons spike in training.

    On an `~nengo.Ensemble`. ``True``: in training mode (``Simulator.fit``) the
    neurons run their spiking dynamics forward, their state evolving as in
    inference, while the gradient is that of NengoDL's rate approximation
    (straight-through: :math:`\partial s / \partial J := \partial r(J) /
    \partial J`). ``False``: NengoDL's rule, the rate approximation forward and
    backward, the neuron state held. ``None`` (the default): see
    `.spiking_aware_default`. It changes only spiking neuron types with a
    TensorFlow builder, and only in training mode; the user guide's section
    "Spiking networks" says what it does to each neuron type.
    """

    def __init__(self):
        super().__init__(SPIKING_AWARE_NAME, default=None, optional=True)


def configure_spiking_aware_training(value=None):
    """Set the default ``spiking_aware_training`` of the ensembles here.

    This is what ``configure_settings(spiking_aware_training=value)`` does. It
    configures the innermost network being built; a value set on an ensemble
    (``net.config[ens].spiking_aware_training = False``) beats it, and among
    defaults the innermost network's wins.

    Parameters
    ----------
    value : bool or None
        The default (see `.SpikingAwareTrainingParam`); ``None`` for the
        package's choice.
    """
    _set_class_default(Ensemble, SPIKING_AWARE_NAME, value, SpikingAwareTrainingParam)


provide_setting("trainable_params", configure_trainable_params)
provide_setting("tau_step_scale", configure_tau_step_scale)
provide_setting("spiking_aware_training", configure_spiking_aware_training)
