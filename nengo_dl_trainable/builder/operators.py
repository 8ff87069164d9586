"""Operators for trainable synapses and neurons.

Each operator states what it reads (its input and its parameter signals) and what
it updates (its output, and its state where it has one), and implements Nengo's
``make_step`` so that it runs in the reference simulator exactly like the synapse
it replaces. NengoDL runs them through the op builders in
`nengo_dl_trainable.synapse_builders` and `nengo_dl_trainable.neuron_builders`.
"""

import numpy as np
from nengo.builder.neurons import SimNeurons
from nengo.builder.operator import Operator

from nengo_dl_trainable._nengo_dl import provide


def _synapse_step(synapse, u, y, X, dt, rng):
    """Step core Nengo's own ``synapse`` from ``u`` into ``y``, its state in ``X``.

    ``X`` is a view of the operator's state signal (Nengo's state layout,
    ``(order, d)``), which Nengo's step updates in place.
    """
    step = synapse.make_step(u.shape, y.shape, dt, rng, {"X": X})

    def step_trainable_synapse():
        y[...] = step(None, u)  # linear filters do not depend on the time

    return step_trainable_synapse


class _SynapseOperator(Operator):
    """Base of the synapse operators: an input read first, an output updated first.

    Parameters
    ----------
    parameterization : object
        The synapse's parameterization.
    reads : list of Signal
        The input, then the parameter signals.
    updates : list of Signal
        The output, then the state signals.
    time : Signal, optional
        The simulation time (``model.time``), read last, as Nengo's
        `~nengo.builder.processes.SimProcess` reads it: NengoDL's planner then
        schedules these operators where it schedules the synapses they replace,
        after the time update, all in one group. Without it the synapses fed by
        nodes are ready earlier and form a group of their own, whose output
        NengoDL writes by scatter into a base array as large as the network
        every step (issue 38).
    tag : str, optional
        Label for debugging.
    """

    def __init__(self, parameterization, reads, updates, time=None, tag=None):
        super().__init__(tag=tag)
        self.parameterization = parameterization
        self.sets = []
        self.incs = []
        self.reads = reads + ([] if time is None else [time])
        self.updates = updates

    @property
    def input(self):
        """The synapse's input signal."""
        return self.reads[0]

    @property
    def output(self):
        """The synapse's output signal."""
        return self.updates[0]


class SimTrainableLowpass(_SynapseOperator):
    """Lowpass filter whose time constant is a signal.

    Implements ``y[t] = a y[t-1] + b u[t]`` with ``a = exp(-dt / tau)``,
    ``b = 1 - a`` and ``tau`` decoded from ``theta`` (`.LogEncoding`), the
    zero-order-hold discretization of ``1 / (tau s + 1)`` that Nengo uses. In
    NengoDL, like NengoDL's own builder, a filter with ``tau <= 0.03 dt``
    (`.PASSTHROUGH_TAU`) passes its input through (``a = 0``, ``b = 1``); in core
    Nengo it runs Nengo's own `~nengo.Lowpass` (or `.VectorLowpass`) step with the
    current ``tau``.

    Parameters
    ----------
    parameterization : `.TauParameterization` or `.VectorTauParameterization`
        The synapse's parameterization (a zero-order-hold lowpass, or vector
        lowpass).
    theta : Signal
        The stored value of the time constant (`.LogEncoding`; ``tau`` in seconds):
        shape ``(1,)``, or ``(d, 1)`` for one time constant per element of a
        ``d``-dimensional input.
    input : Signal
        The filter's input ``u``.
    output : Signal
        The filter's output ``y`` (also its state).
    tag : str, optional
        Label for debugging.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[]``
    3. reads ``[input, theta]`` (and ``time``, if given)
    4. updates ``[output]``
    """

    def __init__(self, parameterization, theta, input, output, time=None, tag=None):
        super().__init__(parameterization, [input, theta], [output], time, tag=tag)

    @property
    def theta(self):
        """The time constant's parameter signal (``theta``, see `.LogEncoding`)."""
        return self.reads[1]

    @property
    def step_scale(self):
        """``theta = log(tau) / step_scale`` (see `.FilterParameterization`)."""
        return self.parameterization.step_scale

    def make_step(self, signals, dt, rng):
        y = signals[self.output]
        synapse = self.parameterization.to_synapse({"tau": signals[self.theta]})
        # a lowpass filter's one state is its output
        return _synapse_step(synapse, signals[self.input], y, y[None, :], dt, rng)


class SimTrainableLinearFilter(_SynapseOperator):
    """Linear filter whose coefficients are computed from parameter signals.

    With ``(A, B, C, D)`` the discrete system of the filter (see
    `.FilterParameterization.discrete_system`), each element of the input is
    filtered independently. Following Nengo's conventions, a filter without direct
    term advances its input by a step::

        x[t] = A x[t-1] + B u[t],   y[t] = C x[t]

    and a filter with direct term computes::

        y[t] = C x[t] + D u[t],     x[t+1] = A x[t] + B u[t]

    In core Nengo it runs Nengo's own step of the synapse with the current values
    (`.FilterParameterization.to_synapse`).

    Parameters
    ----------
    parameterization : `.FilterParameterization`
        Maps the parameter signals to the filter.
    parameters : dict of str: Signal
        One signal per name in ``parameterization.parameters``.
    input : Signal
        The filter's input ``u``, shape ``(d,)``.
    output : Signal
        The filter's output ``y``, shape ``(d,)``.
    state : Signal or None
        The filter state ``x``, shape ``(d * order,)`` laid out element-major
        (``x.reshape(d, order)``); None for a filter of order 0.
    tag : str, optional
        Label for debugging.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[]``
    3. reads ``[input] + list(parameters.values())`` (and ``time``, if given)
    4. updates ``[output] + ([state] if state is not None else [])``
    """

    def __init__(
        self, parameterization, parameters, input, output, state, time=None, tag=None
    ):
        self.parameter_names = tuple(parameterization.parameters)
        super().__init__(
            parameterization,
            [input] + [parameters[name] for name in self.parameter_names],
            [output] + ([] if state is None else [state]),
            time,
            tag=tag,
        )

    @property
    def parameters(self):
        """The parameter signals, by name."""
        signals = self.reads[1 : 1 + len(self.parameter_names)]
        return dict(zip(self.parameter_names, signals, strict=True))

    @property
    def state(self):
        """The filter's state signal (None for order 0)."""
        return self.updates[1] if len(self.updates) > 1 else None

    def make_step(self, signals, dt, rng):
        values = {name: signals[sig] for name, sig in self.parameters.items()}
        synapse = self.parameterization.to_synapse(values)
        u = signals[self.input]
        order = self.parameterization.order
        X = (
            np.zeros((0, u.shape[0]))
            if self.state is None
            else signals[self.state].reshape(u.shape[0], order).T
        )
        return _synapse_step(synapse, u, signals[self.output], X, dt, rng)


class SimTrainableDelay(_SynapseOperator):
    """Delay line whose delays are a signal (`.Delay`).

    Each step shifts the input into the buffer and outputs the interpolation of
    the two buffered inputs around the delay (see `nengo_dl_trainable.synapses`);
    in core Nengo it runs `.Delay`'s own step with the current delays
    (`.DelayParameterization.to_synapse`).

    Parameters
    ----------
    parameterization : `.DelayParameterization`
        Maps the parameter signal to the delays.
    delay : Signal
        The stored delay: shape ``(1,)``, or ``(d, 1)`` for one delay per element.
    input : Signal
        The input ``u``, shape ``(d,)``.
    output : Signal
        The delayed output ``y``, shape ``(d,)``.
    buffer : Signal
        The delay line, shape ``(d * length,)`` laid out element-major
        (``buffer.reshape(d, length)``, the current input first), with ``length``
        from `.DelayLineParameterization.buffer_length`.
    tag : str, optional
        Label for debugging.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[]``
    3. reads ``[input, delay]`` (and ``time``, if given)
    4. updates ``[output, buffer]``
    """

    def __init__(
        self, parameterization, delay, input, output, buffer, time=None, tag=None
    ):
        super().__init__(
            parameterization, [input, delay], [output, buffer], time, tag=tag
        )

    @property
    def delay(self):
        """The delay parameter signal."""
        return self.reads[1]

    @property
    def buffer(self):
        """The delay line signal."""
        return self.updates[1]

    @property
    def length(self):
        """Steps in the delay line."""
        return self.buffer.shape[0] // self.input.shape[0]

    def stored_values(self, signals):
        """The parameter signals' values, by parameter name."""
        return {"delay": signals[self.delay]}

    def make_step(self, signals, dt, rng):
        synapse = self.parameterization.to_synapse(self.stored_values(signals))
        u = signals[self.input]
        y = signals[self.output]
        # Delay's own layout, (length, d), as a view of the element-major signal
        buffer = signals[self.buffer].reshape(u.shape[0], self.length).T
        # a DelayedLowpass's lowpass state is its output
        state = {"buffer": buffer, "X": y[None, :]}
        step = synapse.make_step(u.shape, y.shape, dt, rng, state)

        def step_trainable_delay():
            y[...] = step(None, u)

        return step_trainable_delay


class SimTrainableDelayedLowpass(SimTrainableDelay):
    """A delay line, then a lowpass filter, whose delays and ``tau`` are signals.

    Each step delays the input as `SimTrainableDelay` does, then filters the
    delayed value ``v`` as `SimTrainableLowpass` does: ``y[t] = a y[t-1] + b v[t]``
    (`.DelayedLowpass`). In core Nengo it runs `.DelayedLowpass`'s own step with
    the current values.

    Parameters
    ----------
    parameterization : `.DelayedLowpassParameterization`
        Maps the parameter signals to the synapse.
    delay : Signal
        The stored delay: shape ``(1,)``, or ``(d, 1)`` for one delay per element.
    tau : Signal
        The stored time constant (`.LogEncoding`), shape ``(1,)``.
    input, output, buffer : Signal
        As for `SimTrainableDelay`; the output is also the lowpass state.
    tag : str, optional
        Label for debugging.

    Notes
    -----
    1. sets ``[]``
    2. incs ``[]``
    3. reads ``[input, delay, tau]`` (and ``time``, if given)
    4. updates ``[output, buffer]``
    """

    def __init__(
        self, parameterization, delay, tau, input, output, buffer, time=None, tag=None
    ):
        _SynapseOperator.__init__(
            self,
            parameterization,
            [input, delay, tau],
            [output, buffer],
            time,
            tag=tag,
        )

    @property
    def tau(self):
        """The time constant's parameter signal."""
        return self.reads[2]

    def stored_values(self, signals):
        return {"delay": signals[self.delay], "tau": signals[self.tau]}


def filters_mergeable(x, y):
    """Whether two filter operators may share a group: only if their inputs match.

    This is the rule stock NengoDL follows for the synapses these operators
    replace (its lowpass filters' state signals have the input's size, and its
    linear filters check the size), so a network plans the same with trainable
    synapses as without. Merging filters of different sizes lets NengoDL put
    their inputs, which different operators set, in one base array, and it then
    writes them by scatter every step: that doubled the cost of training a small
    network (``benchmarks/cost.py --network small``).

    Parameters
    ----------
    x, y : `SimTrainableLowpass`, `SimTrainableLinearFilter`, `SimTrainableDelay`
        The operators (of one type; also `SimTrainableDelayedLowpass`).

    Returns
    -------
    bool
        True if their inputs have the same shape.
    """
    return x.input.shape == y.input.shape


class SimTrainableNeurons(SimNeurons):
    """Neurons whose model parameters are signals.

    Behaves as `~nengo.builder.neurons.SimNeurons` for the neuron type that
    ``parameterization`` makes from the parameter signals' values. Its
    ``neurons`` attribute is the neuron type with scalar parameters
    (``parameterization.base_type``), whose constants NengoDL's neuron builders
    read before the parameters replace them.

    Parameters
    ----------
    parameterization : `.NeuronParameterization`
        Maps the parameter signals to a neuron type.
    parameters : dict of str: Signal
        One signal per name in ``parameterization.parameters``.
    J : Signal
        The input current.
    output : Signal
        The neuron output.
    state : dict, optional
        The neuron type's state signals (and random state, for stochastic types).
    tag : str, optional
        Label for debugging.
    spiking_aware : bool, optional
        Whether the neurons spike in training mode (see `.SimSpikingAwareNeurons`).

    Notes
    -----
    1. sets ``[output] + state``
    2. incs ``[]``
    3. reads ``[J] + list(parameters.values())``
    4. updates ``[]``
    """

    def __init__(
        self,
        parameterization,
        parameters,
        J,
        output,
        state=None,
        tag=None,
        spiking_aware=False,
    ):
        super().__init__(parameterization.base_type, J, output, state=state, tag=tag)
        self.spiking_aware = spiking_aware
        self.parameterization = parameterization
        self.parameter_names = tuple(parameterization.parameters)
        self.reads = [J] + [parameters[name] for name in self.parameter_names]

    @property
    def parameters(self):
        """The parameter signals, by name."""
        return dict(zip(self.parameter_names, self.reads[1:], strict=True))

    def make_step(self, signals, dt, rng):
        values = {name: signals[sig] for name, sig in self.parameters.items()}
        neurons = self.parameterization.to_neuron_type(values)
        J = signals[self.J]
        output = signals[self.output]
        state = {name: signals[sig] for name, sig in self.state.items()}
        state.update(self.state_extra)

        def step_trainable_neurons():
            neurons.step(dt, J, output, **state)

        return step_trainable_neurons


class SimSpikingAwareNeurons(SimNeurons):
    """Spiking neurons that also spike in NengoDL's training mode.

    The same computation as `~nengo.builder.neurons.SimNeurons` (and so the same
    ``make_step``: core Nengo has no training mode). Its NengoDL builder,
    `.SpikingAwareNeuronsBuilder`, runs the spiking dynamics in training mode too,
    with the gradient of NengoDL's rate approximation; a separate operator type
    keeps these neurons out of the groups NengoDL merges stock neurons into.

    Parameters
    ----------
    neurons : `~nengo.neurons.NeuronType`
        The (spiking) neuron type.
    J : Signal
        The input current.
    output : Signal
        The neuron output.
    state : dict, optional
        The neuron type's state signals.
    tag : str, optional
        Label for debugging.

    Notes
    -----
    1. sets ``[output] + state``
    2. incs ``[]``
    3. reads ``[J]``
    4. updates ``[]``
    """

    #: Always, as `.SimTrainableNeurons` says per operator.
    spiking_aware = True


#: Every operator type of this package.
TRAINABLE_OPERATORS = (
    SimTrainableLowpass,
    SimTrainableLinearFilter,
    SimTrainableDelay,
    SimTrainableDelayedLowpass,
    SimTrainableNeurons,
    SimSpikingAwareNeurons,
)


@provide("operator_types")
def operator_types():
    """This package's operator types (`TRAINABLE_OPERATORS`).

    Returns
    -------
    tuple of type
    """
    return TRAINABLE_OPERATORS
