"""The wraps for ``tf.distribute``: one simulation per replica, state of all replicas.

Under a strategy with several replicas, NengoDL would build the simulation for the
global minibatch on every replica and read or set replica 0's share of the state
only. These wraps build each replica's share and gather or scatter the state
(`read_saved_state`, `write_saved_state`).
"""

import inspect

import numpy as np
import tensorflow as tf
from nengo.exceptions import ValidationError


def _replicas():
    """The number of replicas of the ``tf.distribute`` strategy in scope (1 if none)."""
    return tf.distribute.get_strategy().num_replicas_in_sync


def _tensor_graph_init(init):
    signature = inspect.signature(init)

    def wrapper(self, *args, **kwargs):
        replicas = _replicas()
        if replicas == 1:
            return init(self, *args, **kwargs)
        arguments = signature.bind(self, *args, **kwargs).arguments
        minibatch_size = arguments["minibatch_size"]
        if minibatch_size is None or minibatch_size % replicas != 0:
            raise ValidationError(
                f"minibatch_size ({minibatch_size}) must be a multiple of the number "
                f"of replicas of the tf.distribute strategy ({replicas}): each "
                "replica simulates an equal share of the minibatch",
                attr="minibatch_size",
            )
        # each replica runs the graph on its share of the global minibatch
        arguments["minibatch_size"] = minibatch_size // replicas
        return init(**arguments)

    return wrapper


def _build_inputs(build_inputs):
    def wrapper(self):
        # Keras divides an Input's batch size among the replicas of the strategy in
        # scope, so the inputs are declared with the global minibatch
        per_replica = self.minibatch_size
        self.minibatch_size = per_replica * _replicas()
        try:
            return build_inputs(self)
        finally:
            self.minibatch_size = per_replica

    return wrapper


def _read_state_variable(variable, minibatched):
    if not isinstance(variable, tf.distribute.DistributedValues):
        return variable.numpy()
    strategy = variable.distribute_strategy
    # each replica's own copy (in replica context), joined in replica order; a
    # collective, so every worker of a multi-worker cluster takes part
    local = strategy.run(tf.function(lambda: tf.identity(variable)))
    if minibatched:
        return strategy.gather(local, axis=0).numpy()
    return strategy.experimental_local_results(local)[0].numpy()


def _write_state_variable(variable, minibatched, value):
    if not isinstance(variable, tf.distribute.DistributedValues):
        variable.assign(value)
        return
    value = tf.constant(value, dtype=variable.dtype)

    def assign_share():
        context = tf.distribute.get_replica_context()
        if minibatched:
            size = value.shape[0] // context.num_replicas_in_sync
            start = context.replica_id_in_sync_group * size
            variable.assign(value[start : start + size])
        else:
            variable.assign(value)

    variable.distribute_strategy.run(tf.function(assign_share))


def read_saved_state(tensor_graph):
    """The simulation state, as one array per state variable.

    Under a ``tf.distribute`` strategy each replica holds the state of its share
    of the minibatch (replica ``i`` simulates examples ``i k`` to ``(i + 1) k - 1``
    of a global minibatch, ``k`` per replica); the arrays join them, so that they
    are what one device simulating the whole minibatch would hold. With several
    workers, every worker must call this (it gathers from all of them).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built tensor graph.

    Returns
    -------
    list of `~numpy.ndarray`
        One per ``tensor_graph.saved_state`` variable, in order.
    """
    return [
        _read_state_variable(variable, tensor_graph.base_arrays_init["state"][key][-1])
        for key, variable in tensor_graph.saved_state.items()
    ]


def write_saved_state(tensor_graph, values):
    """Set the simulation state (the inverse of `read_saved_state`).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        A built tensor graph.
    values : list of array_like
        One per ``tensor_graph.saved_state`` variable, as `read_saved_state`
        returns them.
    """
    items = list(tensor_graph.saved_state.items())
    for (key, variable), value in zip(items, values, strict=True):
        minibatched = tensor_graph.base_arrays_init["state"][key][-1]
        _write_state_variable(variable, minibatched, np.asarray(value))


def replicated(sim):
    """Whether an open simulator's state is held by several replicas."""
    # a closed simulator: NengoDL's own method raises the right error
    return not sim.closed and any(
        isinstance(v, tf.distribute.DistributedValues)
        for v in sim.tensor_graph.saved_state.values()
    )


def _isolate_state_init(init):
    def wrapper(self, sim):
        init(self, sim)
        if self.saved_state is not None and replicated(sim):
            # NengoDL's read gives replica 0's share only
            self.saved_state = read_saved_state(sim.tensor_graph)

    return wrapper


def _isolate_state_reset(reset):
    def wrapper(self):
        if self.saved_state is None or not replicated(self.sim):
            return reset(self)
        write_saved_state(self.sim.tensor_graph, self.saved_state)
        self.sim._update_steps()
        return None

    return wrapper
