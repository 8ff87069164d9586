"""Reading the parameters of a group of merged operators in a TensorFlow builder.

NengoDL merges operators of one type into a group and builds the group at once.
Each operator's parameter holds one set of values for all its elements (input
dimensions, or neurons), or one per element; these helpers read the group's
parameters once per run (in ``build_pre``) and say which set each element uses.
"""

import numpy as np
import tensorflow as tf

from nengo_dl_trainable._nengo_dl import parameter_value


def parameter_rows(signal):
    """The rows of a filter's parameter signal: one per dimension if 2-D, else one.

    Parameters
    ----------
    signal : `~nengo.builder.Signal`
        A parameter signal: 1-D (one set of values for all of an operator's
        elements) or 2-D (one row per element).

    Returns
    -------
    int
    """
    return signal.shape[0] if signal.ndim == 2 else 1


def read_grouped_parameter(signals, ops, get_signal):
    """Read one parameter of a group of operators in ``build_pre``, one row per set.

    Parameters
    ----------
    signals : `nengo_dl.signals.SignalDict`
        The builder's signals.
    ops : list of `~nengo.builder.Operator`
        The operators of a group (all with 1-D, or all with 2-D, parameters).
    get_signal : callable
        Returns an op's parameter signal: 1-D (one set of values for all the
        op's elements) or 2-D (one row per element).

    Returns
    -------
    ``tf.Tensor``
        The values, shape ``(rows, size)``.
    """
    sigs = [get_signal(op) for op in ops]
    value = parameter_value(signals, signals.combine(sigs))
    return tf.reshape(value, (sum(parameter_rows(sig) for sig in sigs), -1))


def element_rows(element_counts, row_counts):
    """The row of a parameter that each element of a group of operators uses.

    An operator whose parameter has one row repeats it over all its elements; one
    with a row per element (per dimension, or per neuron) uses its own rows.

    Parameters
    ----------
    element_counts : list of int
        The number of elements (input dimensions, or neurons) of each operator.
    row_counts : list of int
        The number of rows of each operator's parameter (see `read_grouped_parameter`).

    Returns
    -------
    `~numpy.ndarray`
        One row index per element of the operators' combined signals.
    """
    starts = np.cumsum([0, *row_counts])[:-1]
    return np.concatenate(
        [
            start + np.arange(n) * (rows > 1)
            for start, n, rows in zip(starts, element_counts, row_counts, strict=True)
        ]
    )
