r"""How far an optimizer step moves a time constant: a step that follows the rate.

A time constant :math:`\tau` (seconds) trains as :math:`\theta = \log(\tau) / k`
(`.LogEncoding`, :math:`k` the ``tau_step_scale``). Adam, RMSprop and the other
optimizers whose step does not depend on the scale of the gradient move each
:math:`\theta` by about their learning rate :math:`\eta` per step, so
:math:`\tau` by a factor of about :math:`e^{k \eta}`: at one fixed :math:`k`
time constants crawl at the rates people train weights with (Adam 1e-3,
RMSprop 1e-4) or lurch at large ones.

Where no ``tau_step_scale`` is set, `Simulator.compile` therefore resolves,
from the optimizer's learning rate :math:`\eta` (a schedule's rate at step 0),
the step multiplier

.. math::

   m = \frac{s}{\max(\eta, \eta_{min})}

with :math:`s` = `RELATIVE_STEP` and :math:`\eta_{min}` =
`LOWEST_FOLLOWED_RATE`, and every optimizer step of those time constants'
stored values is multiplied by :math:`m` (see the user guide for the rule as
users read it). With the optimizers of `FOLLOWING_OPTIMIZERS` this is the same
as training :math:`\theta = \log(\tau) / (k m)`, a step scale of :math:`k m`:
a time constant changes by about :math:`s` of itself per step whatever the
learning rate, down to :math:`\eta_{min}`; below it (a rate chosen to
fine-tune, or to train slowly) in proportion to the rate. The stored values are
not re-encoded, so files, checkpoints, ``predict``, ``load_params`` and
``freeze_params`` see :math:`\log(\tau) / k` whatever the optimizer.

- Only trained time constants follow (`.Parameterization.trained_time_constants`:
  synaptic and neuronal, shared, per dimension or per neuron, a `.DoubleExp`'s
  sum and spread, a `.DelayedLowpass`'s ``tau``, a `.PadeDelay`'s ``theta``);
  delays, gains and filter coefficients keep their step.
- A ``tau_step_scale`` set on an object or as a default is the user's word:
  those time constants keep the step scale it gives.
- Other optimizers (SGD, whose step grows with the gradient, and any optimizer
  not listed) keep the step scale 1: nothing about their step is scale-free to
  follow.
- ``compile`` again resolves :math:`m` again, for the new optimizer.
- A learning-rate schedule: :math:`m` comes from its rate at step 0, and the
  schedule then shrinks or grows the time constants' steps as it does the
  weights'.
- ``tf.distribute``: the multiplied step is written to every replica's copy.
"""

import weakref
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from nengo_dl_trainable._nengo_dl import base_variable, provide, signal_location
from nengo_dl_trainable.builder.record import model_parameters

#: How far one optimizer step moves a time constant that follows the learning
#: rate, relative to itself (Adam-like optimizers; see the module docstring).
#: Chosen on ``benchmarks/time_constant_suite.py`` (the Benchmarks page): the
#: best constant step scale of its grid sat where ``k * lr`` is 0.015 to 0.03 at
#: every learning rate.
RELATIVE_STEP = 0.03

#: Below this learning rate the step no longer follows: a time constant moves by
#: ``RELATIVE_STEP * lr / LOWEST_FOLLOWED_RATE`` of itself per step, so a rate
#: below Keras' default (1e-3) moves it less, in proportion. Chosen on
#: ``benchmarks/time_constant_suite.py``: followed down to 1e-4 (a step scale of
#: 300 there), the digits task's synapses ran to 0.6 ms and 4 s at Adam 1e-4
#: while its weights had barely trained (0.19 accuracy against 0.45 fixed).
LOWEST_FOLLOWED_RATE = 1e-3

#: The optimizers whose step is about their learning rate whatever the gradient's
#: scale (matched by class name, so that the legacy and ``tf_keras`` classes of
#: the same name follow too).
FOLLOWING_OPTIMIZERS = (
    "Adam",
    "AdamW",
    "Adamax",
    "Nadam",
    "RMSprop",
    "Adagrad",
    "Lion",
)


@dataclass(frozen=True)
class FollowedStep:
    """How the time constants' step was resolved when a simulator compiled.

    Attributes
    ----------
    optimizer : str
        The optimizer's class name.
    learning_rate : float or None
        Its learning rate at step 0, or None if it does not follow.
    multiplier : float
        :math:`m`: 1 where the step does not follow.
    parameters : int
        How many trained parameter signals follow it.
    """

    optimizer: str
    learning_rate: float
    multiplier: float
    parameters: int

    @property
    def follows(self):
        """Whether the time constants' step follows the learning rate."""
        return self.learning_rate is not None


_RESOLVED = weakref.WeakKeyDictionary()


def followed_step(sim):
    """The `FollowedStep` resolved when ``sim`` last compiled, or None.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator.

    Returns
    -------
    `FollowedStep` or None
        None before ``compile``, or where no time constant trains without a
        ``tau_step_scale``.
    """
    return _RESOLVED.get(sim)


def follows_learning_rate(optimizer):
    """Whether ``optimizer``'s step is about its learning rate (`FOLLOWING_OPTIMIZERS`).

    Parameters
    ----------
    optimizer : object
        A Keras optimizer.

    Returns
    -------
    bool
    """
    return any(cls.__name__ in FOLLOWING_OPTIMIZERS for cls in type(optimizer).__mro__)


def initial_learning_rate(optimizer):
    """The optimizer's learning rate at step 0 (a schedule's first rate).

    Parameters
    ----------
    optimizer : object
        A Keras optimizer.

    Returns
    -------
    float
    """
    rate = optimizer.learning_rate
    if isinstance(rate, tf.keras.optimizers.schedules.LearningRateSchedule):
        rate = rate(0)
    elif callable(rate) and not isinstance(rate, tf.Variable):
        rate = rate()
    return float(tf.keras.backend.get_value(rate))


def step_multiplier(learning_rate):
    r""":math:`m = s / \max(\eta, \eta_{min})` (see the module docstring).

    Parameters
    ----------
    learning_rate : float
        :math:`\eta`, positive.

    Returns
    -------
    float
    """
    if not learning_rate > 0:
        raise ValueError(f"a learning rate must be positive, not {learning_rate}")
    return RELATIVE_STEP / max(learning_rate, LOWEST_FOLLOWED_RATE)


@provide("compiled")
def follow_learning_rate(sim):
    """Make the optimizer ``sim`` just compiled multiply its time-constant steps.

    Called after ``Simulator.compile``. Replaces the optimizer's
    ``apply_gradients`` by one that multiplies the step of every element of a
    variable holding a following time constant by `step_multiplier` (and
    restores NengoDL's where an earlier ``compile`` replaced it).

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator.
    """
    optimizer = sim.keras_model.optimizer
    _restore(optimizer)
    following = [
        p
        for p in model_parameters(sim.tensor_graph.model)
        if p.follows_learning_rate
        and p.signal.trainable
        and signal_location(sim.tensor_graph, p.signal) is not None
    ]
    if not following:
        _RESOLVED.pop(sim, None)
        return
    name = type(optimizer).__name__
    if not follows_learning_rate(optimizer):
        _RESOLVED[sim] = FollowedStep(name, None, 1.0, len(following))
        return
    rate = initial_learning_rate(optimizer)
    multiplier = step_multiplier(rate)
    _RESOLVED[sim] = FollowedStep(name, rate, multiplier, len(following))

    factors = {}
    graph = sim.tensor_graph
    for parameter in following:
        key, slices = signal_location(graph, parameter.signal)
        if key not in factors:
            variable = base_variable(graph, key)
            factors[key] = (variable, np.ones(variable.shape[0]))
        for start, stop in slices:
            factors[key][1][start:stop] = multiplier
    scaled = []
    for variable, factor in factors.values():
        if np.all(factor == multiplier):
            factor = multiplier  # the usual case: a variable of time constants only
        else:
            factor = factor.reshape((-1,) + (1,) * (len(variable.shape) - 1))
        scaled.append((variable, factor))
    original = optimizer.apply_gradients
    # an instance attribute: Keras' minimize calls self.apply_gradients
    optimizer.apply_gradients = _multiplied_steps(original, scaled)
    optimizer._nengo_dl_trainable_original = original


def _restore(optimizer):
    original = getattr(optimizer, "_nengo_dl_trainable_original", None)
    if original is not None:
        optimizer.apply_gradients = original
        del optimizer._nengo_dl_trainable_original


def _multiplied_steps(apply_gradients, scaled):
    """``apply_gradients`` with the step of each ``(variable, factor)`` multiplied."""

    def wrapper(grads_and_vars, *args, **kwargs):
        grads_and_vars = list(grads_and_vars)
        updated = [v for _, v in grads_and_vars]
        here = [(v, f) for v, f in scaled if any(v is u for u in updated)]
        before = [tf.identity(v) for v, _ in here]
        result = apply_gradients(grads_and_vars, *args, **kwargs)
        new = [
            before[i] + tf.cast(factor, variable.dtype) * (variable - before[i])
            for i, (variable, factor) in enumerate(here)
        ]
        _assign([v for v, _ in here], new)
        return result

    return wrapper


def _assign(variables, values):
    """``variable.assign(value)`` for each pair, on every replica's copy."""
    # indexed loops: this runs in code that AutoGraph converts, which does
    # not know zip's strict argument
    if not tf.distribute.has_strategy():
        for i, variable in enumerate(variables):
            variable.assign(values[i])
        return

    def update(strategy, variables, values):
        for i, variable in enumerate(variables):
            strategy.extended.update(variable, _assign_one, args=(values[i],))

    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context
        update(tf.distribute.get_strategy(), variables, values)
    else:
        context.merge_call(update, args=(variables, values))


def _assign_one(variable, value):
    return variable.assign(value)
