"""Helpers for training with ``tf.distribute`` (see the user guide).

Under a ``tf.distribute`` strategy, building the simulator in the strategy's scope
is all a user changes (`nengo_dl_trainable._nengo_dl` makes NengoDL's simulation
work per replica). This module holds what trying it out needs besides.
"""

import json
import socket


def local_tf_configs(n_workers):
    """``TF_CONFIG`` values for a cluster of workers on this machine (loopback).

    For trying ``tf.distribute.MultiWorkerMirroredStrategy`` on one machine: start
    one process per value, each with its value in the environment variable
    ``TF_CONFIG``. On several machines, list each machine's ``host:port`` instead
    (see the user guide).

    Parameters
    ----------
    n_workers : int
        The number of workers.

    Returns
    -------
    list of str
        One JSON ``TF_CONFIG`` per worker, in task order: the same cluster (free
        ports on 127.0.0.1, found now) and the worker's own index.
    """
    sockets = [socket.socket() for _ in range(n_workers)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        cluster = {"worker": [f"127.0.0.1:{s.getsockname()[1]}" for s in sockets]}
    finally:
        for s in sockets:
            s.close()
    return [
        json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
        for i in range(n_workers)
    ]
