"""What trains in a simulator, with current values in the units users give them.

`.parameter_info` reads every parameter this package added to a simulator's model, at
any time (before, during and after training, also with ``inference_only``),
without freezing anything: time constants in seconds, filter coefficients, neuron
parameters in the neuron type's own units. `.summary` prints them together with
the weights, encoders and biases NengoDL trains, as Keras' ``model.summary()``
does for layers, and lists what class or network defaults had to skip.

`.find_parameter` looks one parameter up by object and name, and
`RecordParameters` is a Keras callback that records chosen parameters after every
epoch into the history ``fit`` returns.

`ParameterCheck` is the callback that ``Simulator.fit`` gets for models with
parameters of this package (see `nengo_dl_trainable._nengo_dl`): it warns as soon
as an epoch leaves a parameter non-finite, or a lowpass time constant in the
passthrough range, where it gets no gradient and cannot recover.
"""

import warnings
import weakref
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from nengo_dl import compat

from nengo_dl_trainable._nengo_dl import SignalReader, provide
from nengo_dl_trainable.builder.record import model_parameters, model_record
from nengo_dl_trainable.errors import TrainableParamsWarning
from nengo_dl_trainable.parameterizations.filter import PASSTHROUGH_TAU
from nengo_dl_trainable.tools.optimizer_step import followed_step


@dataclass(frozen=True)
class ParameterInfo:
    """One trainable attribute of one object, as `.parameter_info` reports it.

    Attributes
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object.
    name : str
        The ``trainable_params`` name of the value (e.g. ``"synapse.tau"``,
        ``"neuron_type.tau_rc"``, ``"synapse.num"``).
    value : `~numpy.ndarray`
        The current value in user units: seconds for time constants, the
        coefficients of a `~nengo.LinearFilter` (in the scale of the original
        filter), the neuron type's own units for neuron parameters.
    shape : str
        ``"shared"`` (one value), ``"per neuron"``, ``"per dimension"`` or
        ``"coefficients"``.
    trains : bool
        Whether the simulator trains it.
    """

    obj: object
    name: str
    value: np.ndarray
    shape: str
    trains: bool


def _shape_kind(name, value):
    if name.rpartition(".")[2] in ("num", "den"):
        return "coefficients"
    if value.size == 1:
        return "shared"
    return "per dimension" if name.startswith("synapse") else "per neuron"


class _ParameterReader:
    """Reads `.parameter_info` of one simulator; what does not change is found once.

    The parameters, their groups and where NengoDL stores each (a
    `.SignalReader`) are fixed once the simulator is built; ``fit``'s
    `ParameterCheck` reads them after every epoch, so finding them again each
    time would cost, per epoch, work that grows with the network. For the same
    reason, objects whose parameterizations convert element by element
    (``elementwise_user_values``) and have equal signatures are converted to
    user units in one call per signature, on their values end to end.
    """

    def __init__(self, sim):
        self.tensor_graph = _tensor_graph(sim)
        params = model_parameters(sim.model)
        self.read = SignalReader(sim, [p.signal for p in params])
        self.names = [p.short_name for p in params]
        groups = defaultdict(list)
        for position, p in enumerate(params):
            groups[(p.obj, p.prefix)].append((position, p))
        self.groups = list(groups.values())
        # conversions: (parameterization, [index of group, ...]); one group
        # each, unless the parameterization converts element by element
        conversions = defaultdict(list)
        for index, group in enumerate(self.groups):
            parameterization = group[0][1].parameterization
            key = index
            if parameterization.elementwise_user_values:
                names = tuple(self.names[position] for position, _ in group)
                key = (parameterization.signature, names)
            conversions[key].append(index)
        self.conversions = [
            (self.groups[indices[0]][0][1].parameterization, indices)
            for indices in conversions.values()
        ]

    def __call__(self):
        raw = self.read()
        values = [None] * len(self.groups)  # per group: name -> user value
        for parameterization, indices in self.conversions:
            if len(indices) == 1:
                (index,) = indices
                values[index] = parameterization.user_values(
                    {
                        self.names[position]: raw[position]
                        for position, _ in self.groups[index]
                    }
                )
                continue
            # each name's values, object after object, converted in one call
            stacked = defaultdict(list)
            for index in indices:
                for position, _ in self.groups[index]:
                    stacked[self.names[position]].append(np.ravel(raw[position]))
            converted = parameterization.user_values(
                {name: np.concatenate(parts) for name, parts in stacked.items()}
            )
            for index in indices:
                values[index] = {}
            for name, value in converted.items():
                value = np.asarray(value)
                start = 0
                for index, part in zip(indices, stacked[name], strict=True):
                    values[index][name] = value[start : start + len(part)]
                    start += len(part)
        infos = []
        for group, group_values in zip(self.groups, values, strict=True):
            by_name = {self.names[position]: p for position, p in group}
            for name, value in group_values.items():
                p = by_name[name]
                value = np.asarray(value, dtype=np.float64)
                infos.append(
                    ParameterInfo(
                        p.obj,
                        p.name,
                        value,
                        _shape_kind(p.name, value),
                        p.signal.trainable,
                    )
                )
        return infos


def _tensor_graph(sim):
    # NengoDL refuses to give a closed simulator's graph
    return None if sim.closed else sim.tensor_graph


#: simulator -> its `_ParameterReader` (dropped with the simulator)
_READERS = weakref.WeakKeyDictionary()


def parameter_info(sim):
    """The parameters this package added to a simulator, with current values.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        A simulator (open, for live values).

    Returns
    -------
    list of `.ParameterInfo`
        One per parameter, in build order. Values are read from the simulator
        now: during training (for example in a Keras callback) they are the
        values learned so far.
    """
    reader = _READERS.get(sim)
    if reader is None or reader.tensor_graph is not _tensor_graph(sim):
        reader = _READERS[sim] = _ParameterReader(sim)
    return reader()


def find_parameter(sim, obj, name):
    """The `.ParameterInfo` of one parameter, by its object and name.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator (open, for live values).
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object the parameter belongs to (an ensemble also for its neuron
        type's parameters).
    name : str
        Its ``trainable_params`` name, e.g. ``"synapse.tau"``.

    Returns
    -------
    `.ParameterInfo`

    Raises
    ------
    KeyError
        If the simulator has no such parameter (the message lists the object's
        parameters, if it has any).
    """
    infos = parameter_info(sim)
    for info in infos:
        if info.obj is obj and info.name == name:
            return info
    names = sorted(info.name for info in infos if info.obj is obj)
    raise KeyError(
        f"{obj} has no parameter {name!r} of nengo_dl_trainable in this simulator"
        + (f"; it has {', '.join(map(repr, names))}" if names else "")
    )


class RecordParameters(tf.keras.callbacks.Callback):
    """Record chosen parameters after every epoch into the ``fit`` history.

    After each epoch, the current value of each chosen parameter (as
    `.parameter_info` reports it: seconds for time constants) is added to the
    epoch's logs under its key, so ``sim.fit(..., callbacks=[recorder])``
    returns it in ``history.history[key]``, one entry per epoch: a float for a
    single value, an array for per-neuron or per-dimension values. The values
    are also kept in ``recorder.values[key]``.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator that trains.
    parameters : dict of str: (object, str)
        For each key, the object and ``trainable_params`` name of a parameter
        (see `.find_parameter`), e.g. ``{"tau": (conn, "synapse.tau")}``.

    Raises
    ------
    KeyError
        At once, if the simulator has no such parameter.
    """

    def __init__(self, sim, parameters):
        super().__init__()
        self.sim = sim
        self.parameters = dict(parameters)
        for obj, name in self.parameters.values():
            find_parameter(sim, obj, name)  # refuse unknown parameters now
        self.values = {key: [] for key in self.parameters}

    def on_epoch_end(self, epoch, logs=None):
        """Read the chosen parameters and add them to the logs.

        Parameters
        ----------
        epoch : int
            The epoch that ended (from 0).
        logs : dict, optional
            Keras' logs of the epoch, which the history records.
        """
        infos = {(id(info.obj), info.name): info for info in parameter_info(self.sim)}
        for key, (obj, name) in self.parameters.items():
            value = infos[id(obj), name].value
            value = float(value[0]) if value.size == 1 else value.copy()
            self.values[key].append(value)
            if logs is not None:
                logs[key] = value


def _stock_rows(sim):
    """(object, name, shape, trains) of the weights, encoders and biases."""
    rows = []
    toplevel = sim.model.toplevel
    if toplevel is None:
        return rows
    for ens in toplevel.all_ensembles:
        for obj, key, name in (
            (ens, "encoders", "encoders"),
            (ens.neurons, "bias", "bias"),
        ):
            signal = sim.model.sig[obj].get(key)
            if signal is not None:
                rows.append((ens, name, signal.shape, bool(signal.trainable)))
    for conn in toplevel.all_connections:
        signal = sim.model.sig[conn].get("weights")
        if signal is not None and compat.conn_has_weights(conn):
            rows.append((conn, "weights", signal.shape, bool(signal.trainable)))
    return rows


def _format_value(value):
    if value.size <= 4:
        return np.array2string(value, precision=6, separator=", ")
    return f"{value.size} values in [{value.min():.6g}, {value.max():.6g}]"


def summary(sim, print_fn=print):
    """Print what trains in a simulator, with current values.

    One row per object attribute: this package's parameters with their current
    values in user units (seconds for time constants), then the weights, encoders
    and biases NengoDL trains (with their shapes), then, after ``compile``, how
    the time constants' step follows the optimizer's learning rate
    (`nengo_dl_trainable.tools.optimizer_step`), then the ensembles that spike in
    training (``spiking_aware_training``), then whatever class or network
    defaults named but had to skip, and why.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator.
    print_fn : callable, optional
        Called with the text (``print`` by default; ``None`` to only return it).

    Returns
    -------
    str
        The text.
    """
    infos = parameter_info(sim)
    lines = ["object | attribute | shape | value | trains"]
    for info in infos:
        lines.append(
            f"{info.obj} | {info.name} | {info.shape} | "
            f"{_format_value(info.value)} | {'yes' if info.trains else 'no'}"
        )
    for obj, name, shape, trains in _stock_rows(sim):
        lines.append(f"{obj} | {name} | {shape} | - | {'yes' if trains else 'no'}")
    trained = sum(info.trains for info in infos)
    lines.append(
        f"{trained} parameter(s) of nengo_dl_trainable train"
        + (
            " (inference_only: nothing trains)"
            if sim.tensor_graph.inference_only
            else ""
        )
    )
    step = followed_step(sim)
    if step is not None:
        lines.append(
            f"time-constant step ({step.parameters} parameter(s) without a "
            "tau_step_scale): "
            + (
                f"follows {step.optimizer}'s learning rate {step.learning_rate:.3g}, "
                f"step x{step.multiplier:.3g} (about "
                f"{step.multiplier * step.learning_rate:.2%} of each value per step)"
                if step.follows
                else f"{step.optimizer} is not followed, step scale 1"
            )
        )
    spiking_aware = model_record(sim.model).spiking_aware
    if spiking_aware:
        lines.append(
            f"spiking in training (spiking_aware_training, {len(spiking_aware)}): "
            + ", ".join(str(ens) for ens in spiking_aware)
        )
    skipped = model_record(sim.model).skipped
    if skipped:
        lines.append(f"skipped by defaults ({len(skipped)}):")
        lines.extend(f"  {s.obj} | {s.name} | {s.reason}" for s in skipped)
    text = "\n".join(lines)
    if print_fn is not None:
        print_fn(text)
    return text


def check_values(infos):
    """Describe the parameters that are not usable any more.

    Parameters
    ----------
    infos : list of ParameterInfo
        From `.parameter_info`.

    Returns
    -------
    list of (ParameterInfo, str)
        Each parameter that is not finite, or a lowpass time constant at or
        below the passthrough limit, with what is wrong.
    """
    if not infos or np.isfinite(np.concatenate([i.value for i in infos])).all():
        return []  # the usual case, in one test (fit checks after every epoch)
    problems = []
    for info in infos:
        if not np.all(np.isfinite(info.value)):
            problems.append(
                (
                    info,
                    f"{info.name} is not finite ({_format_value(info.value)}); "
                    "training diverged (try a lower learning rate)",
                )
            )
    return problems


def passthrough_taus(sim, infos):
    """The lowpass time constants trained into the passthrough range.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator (for ``dt``).
    infos : list of ParameterInfo
        From `.parameter_info`.

    Returns
    -------
    list of (ParameterInfo, str)
        Each trainable time constant of a zero-order-hold lowpass (see
        `.FilterParameterization.zoh_lowpass`) with an element at or below
        ``PASSTHROUGH_TAU * dt``, with a message.
    """
    limit = PASSTHROUGH_TAU * sim.dt
    # only zero-order-hold lowpass filters pass their input through (and only
    # their time constant: a DelayedLowpass's delays can be 0)
    lowpass = {
        (id(p.obj), p.name)
        for p in model_parameters(sim.model)
        if getattr(p.parameterization, "zoh_lowpass", False) and p.name == "synapse.tau"
    }
    taus = [i for i in infos if i.trains and (id(i.obj), i.name) in lowpass]
    if not taus or not (np.concatenate([i.value for i in taus]) <= limit).any():
        return []  # the usual case, in one comparison
    return [
        (
            info,
            f"synapse.tau reached {np.min(info.value):.3g} s "
            f"<= {PASSTHROUGH_TAU} * dt; "
            "the filter now passes its input through, gets no gradient, and will "
            "not recover (try a lower learning rate, or start from a larger tau)",
        )
        for info in taus
        if np.any(info.value <= limit)
    ]


class ParameterCheck(tf.keras.callbacks.Callback):
    """Warn when an epoch leaves a trained parameter unusable (once per parameter).

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator being trained.
    """

    def __init__(self, sim):
        super().__init__()
        self.sim = sim
        self.warned = set()

    def on_epoch_end(self, epoch, logs=None):
        """Read the trained parameters and warn about new problems.

        Parameters
        ----------
        epoch : int
            The epoch that ended (from 0).
        logs : dict, optional
            Keras' logs (unused).
        """
        infos = [info for info in parameter_info(self.sim) if info.trains]
        for info, message in check_values(infos) + passthrough_taus(self.sim, infos):
            key = (info.obj, info.name)
            if key not in self.warned:
                self.warned.add(key)
                warnings.warn(
                    TrainableParamsWarning(
                        f"{info.obj}: after epoch {epoch + 1}: {message}"
                    )
                )


@provide("fit_callbacks")
def fit_callbacks(sim):
    """The callbacks ``Simulator.fit`` adds: a `ParameterCheck` where parameters train.

    Parameters
    ----------
    sim : `nengo_dl.Simulator`
        The simulator about to be trained.

    Returns
    -------
    list of ``tf.keras.callbacks.Callback``
    """
    if any(p.signal.trainable for p in model_parameters(sim.model)):
        return [ParameterCheck(sim)]
    return []
