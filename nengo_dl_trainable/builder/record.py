"""What this package records about one built model, attached to the model.

One `ModelRecord` per `~nengo.builder.Model` (`model_record`) holds the parameter
signals this package adds, what a class or network default named but could not
train (reported once, `report_skipped`), the network configs the build reads
(`network_configs`), and whether each stock weight, encoder and bias signal
trains. The build functions decide all of it, once per object; what NengoDL does
later (marking signals trainable, `.summary`, ``Simulator.freeze_params``) reads it.
"""

import warnings
from dataclasses import dataclass, field

import numpy as np
from nengo.builder import Signal

from nengo_dl_trainable._nengo_dl import provide, signal_location
from nengo_dl_trainable._nengo_dl.build_channels import model_attribute
from nengo_dl_trainable.config.resolution import NetworkConfigs
from nengo_dl_trainable.errors import TrainableParamsError, TrainableParamsWarning


@dataclass(eq=False)
class TrainableParameter:
    """A parameter signal added to a model, and what it belongs to.

    Attributes
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object whose parameter this is.
    name : str
        The ``trainable_params`` name, e.g. ``"synapse.tau"`` or ``"gain"``.
    signal : `~nengo.builder.Signal`
        Holds the parameter's unconstrained value (e.g. ``log(tau)``).
    trainable : bool
        Whether ``trainable_params`` selects it (``inference_only`` aside).
    parameterization : object
        Maps the values of all parameters of ``obj`` with the same prefix back to
        a Nengo object through its ``to_object(values)`` method (a
        `.Parameterization`).
    follows_learning_rate : bool
        Whether its optimizer step follows the learning rate: a trained time
        constant of an object with no ``tau_step_scale`` set
        (`nengo_dl_trainable.tools.optimizer_step`).
    """

    obj: object
    name: str
    signal: Signal
    trainable: bool
    parameterization: object
    follows_learning_rate: bool = False

    @property
    def prefix(self):
        """What it belongs to: ``"synapse"``, ``"neuron_type"`` or ``"gain"``."""
        return self.name.partition(".")[0]

    @property
    def short_name(self):
        """The name in its parameterization's ``parameters`` (``"tau"``, ``"gain"``)."""
        return self.name.partition(".")[2] or self.name


@dataclass(frozen=True)
class SkippedAttribute:
    """An attribute a class or network default named, which could not train.

    Attributes
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object.
    name : str
        The ``trainable_params`` name (e.g. ``"neuron_type.tau_ref"``).
    reason : str
        Why it cannot train.
    """

    obj: object
    name: str
    reason: str


@dataclass(frozen=True)
class StockMark:
    """Whether a stock NengoDL parameter signal (weights, encoders, bias) trains.

    Attributes
    ----------
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object.
    signal : `~nengo.builder.Signal`
        Its ``weights``, ``encoders`` or ``bias`` signal.
    trainable : bool
        Whether ``trainable_params`` selects it.
    """

    obj: object
    signal: Signal
    trainable: bool


@dataclass
class ModelRecord:
    """What this package records about one built model.

    Attributes
    ----------
    parameters : list of TrainableParameter
        The parameter signals.
    skipped : list of SkippedAttribute
        What defaults named but could not train.
    stock_marks : list of StockMark
        Whether each stock parameter signal of a configured object trains.
    configs : `.NetworkConfigs` or None
        The network configs above each object (see `network_configs`).
    spiking_aware : list of `~nengo.Ensemble`
        The ensembles whose neurons spike in training mode
        (``spiking_aware_training``).
    """

    parameters: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    stock_marks: list = field(default_factory=list)
    configs: NetworkConfigs = None
    spiking_aware: list = field(default_factory=list)


#: The model attribute that holds its `ModelRecord`.
RECORD_ATTRIBUTE = "nengo_dl_trainable"


def model_record(model):
    """The `.ModelRecord` of a model (created empty and attached on first use).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model.

    Returns
    -------
    ModelRecord
    """
    return model_attribute(model, RECORD_ATTRIBUTE, ModelRecord)


def network_configs(model):
    """The `.NetworkConfigs` of a model's top-level network (computed once).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model being built (its ``toplevel`` network is set).

    Returns
    -------
    NetworkConfigs
    """
    record = model_record(model)
    if record.configs is None or record.configs.toplevel is not model.toplevel:
        record.configs = NetworkConfigs(model.toplevel)
    return record.configs


def mark_stock_signal(model, obj, key, names):
    """Record whether a stock parameter signal trains (applied by NengoDL's marking).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built (``obj`` already built).
    obj : `~nengo.Connection` or `~nengo.Ensemble` or `~nengo.ensemble.Neurons`
        The object whose signal ``model.sig[obj][key]`` it is.
    key : str
        ``"weights"``, ``"encoders"`` or ``"bias"``.
    names : `.SelectedNames` or None
        The object's ``trainable_params`` selection; None (not configured by
        this package) leaves the signal as NengoDL marks it.
    """
    if names is not None:
        model_record(model).stock_marks.append(
            StockMark(obj, model.sig[obj][key], key in names)
        )


def model_parameters(model):
    """The list of `.TrainableParameter` of a model (a live list, to append to).

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model.

    Returns
    -------
    list of TrainableParameter
    """
    return model_record(model).parameters


def refuse_or_skip(model, obj, names, name, reason):
    """Handle a selected name that cannot train: raise if explicit, else record it.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    obj : object
        The object the name was selected for (named in the error).
    names : `.SelectedNames`
        The object's selection; ``names.is_explicit(name)`` decides.
    name : str
        The name that cannot train.
    reason : str
        Why.

    Raises
    ------
    TrainableParamsError
        If the name was set on the object itself.
    """
    if names.is_explicit(name):
        raise TrainableParamsError(reason, obj=obj)
    model_record(model).skipped.append(SkippedAttribute(obj, name, reason))


def refuse_unused_step_scale(model, obj, time_constants, remedy):
    """Raise if a ``tau_step_scale`` set on ``obj`` itself has nothing to apply to.

    Called where none of ``obj``'s time constants trains; a value from a class
    or network default passes over such objects.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object (named in the error).
    time_constants : str
        What the scale would apply to, for the message.
    remedy : str
        How to make them train, for the message.

    Raises
    ------
    TrainableParamsError
        If ``tau_step_scale`` is set on ``obj`` itself.
    """
    step_scale, on_object = network_configs(model).tau_step_scale(obj)
    if on_object:
        raise TrainableParamsError(
            f"tau_step_scale={step_scale} is set on this "
            f"{type(obj).__name__.lower()}, but none of {time_constants} trains "
            f"({remedy})",
            obj=obj,
        )


#: How many skipped attributes the warning lists (the summary lists them all).
MAX_LISTED = 20


def report_skipped(model):
    """Warn once about everything defaults named but could not train.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A built model.
    """
    skipped = model_record(model).skipped
    if not skipped:
        return
    lines = [f"  {s.obj}: {s.name!r}: {s.reason}" for s in skipped[:MAX_LISTED]]
    if len(skipped) > MAX_LISTED:
        lines.append(f"  ... and {len(skipped) - MAX_LISTED} more")
    warnings.warn(
        TrainableParamsWarning(
            f"trainable_params defaults skipped {len(skipped)} attribute(s) that "
            "cannot train (set on an object itself, each would be an error):\n"
            + "\n".join(lines)
            + "\nnengo_dl_trainable.summary(sim) lists what trains."
        ),
        stacklevel=2,
    )


@provide("mark_signals")
def mark_signals(tensor_graph):
    """Mark the model's signals for training, after NengoDL has marked its own.

    Applies what the build decided for weights, encoders and biases from
    ``trainable_params`` (`StockMark`), marks this package's parameter signals
    (trainable unless inference-only; never minibatched), and warns once about
    what class or network defaults had to skip (`report_skipped`).

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        The graph whose ``mark_signals`` NengoDL has just run.
    """
    record = model_record(tensor_graph.model)
    changed = set()
    if not tensor_graph.inference_only:
        changed = _apply_stock_marks(record.stock_marks)
    for parameter in record.parameters:
        parameter.signal.trainable = (
            parameter.trainable and not tensor_graph.inference_only
        )
        parameter.signal.minibatched = False
    if changed:
        # views were given their base's marks before we changed them
        for op in tensor_graph.model.operators:
            for sig in op.all_signals:
                if sig.base in changed:
                    sig.trainable = sig.base.trainable
    report_skipped(tensor_graph.model)


@provide("variable_labels")
def variable_labels(tensor_graph):
    """Labels for NengoDL's base-parameter variables that hold package parameters.

    NengoDL merges the signals of one dtype, shape and trainability into one
    variable, so one variable can hold several objects' parameters (and stock
    biases). Its label lists the ``trainable_params`` names it holds, sorted and
    joined by ``__``, for example ``"neuron_type.tau_rc__synapse.tau"``.

    Parameters
    ----------
    tensor_graph : `nengo_dl.tensor_graph.TensorGraph`
        The graph whose variables are being created.

    Returns
    -------
    dict
        Base-array key -> label, for the keys holding package parameters.
    """
    names = {}
    for parameter in model_record(tensor_graph.model).parameters:
        location = signal_location(tensor_graph, parameter.signal)
        if location is not None:  # None: no operator reads an unused gain's
            names.setdefault(location[0], set()).add(parameter.name)
    return {key: "__".join(sorted(group)) for key, group in names.items()}


def _apply_stock_marks(stock_marks):
    """Mark the weights, encoders and biases as the build decided (`StockMark`).

    Returns
    -------
    set of `~nengo.builder.Signal`
        The signals whose mark changed.
    """
    changed = set()
    for mark in stock_marks:
        if mark.trainable and mark.signal.minibatched:
            # NengoDL makes signals targeted by a learning rule minibatched
            warnings.warn(
                f"{mark.obj} has a learning rule and is also set to be trainable; "
                "this is likely to produce strange training behaviour."
            )
        if mark.signal.trainable != mark.trainable:
            mark.signal.trainable = mark.trainable
            changed.add(mark.signal)
    return changed


def add_parameters(model, obj, sig_obj, prefix, parameterization, selected):
    """Create and register the parameter signals of one object.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    obj : `~nengo.Connection` or `~nengo.Ensemble`
        The object the parameters belong to.
    sig_obj : object
        Where the signals are also stored in ``model.sig`` (``obj``, or an
        ensemble's neurons), under ``"<prefix>.<name>"``.
    prefix : str or None
        ``"synapse"`` or ``"neuron_type"``; None where the parameter's name is
        the whole ``trainable_params`` name (``"gain"``).
    parameterization : object
        Provides ``parameters``, ``initial_values()`` and ``to_object(values)``.
    selected : tuple of str
        The names ``trainable_params`` selects.

    Returns
    -------
    dict of str: `~nengo.builder.Signal`
        One signal per name in ``parameterization.parameters``.
    """
    initial = parameterization.initial_values()
    step_scale_set = network_configs(model).tau_step_scale(obj)[0] is not None
    signals = {}
    for name in parameterization.parameters:
        key = name if prefix is None else f"{prefix}.{name}"
        if name in selected and not np.all(np.isfinite(initial[name])):
            starts = ", ".join(
                f"{n} = {_starting_value(obj, prefix, n)}" for n in selected
            )
            raise TrainableParamsError(
                f"{key} cannot train from the starting values ({starts}): its "
                f"stored form ({_stored_form(parameterization, name)}) is not "
                "finite. Start at finite values inside the domain (a time "
                "constant: positive and finite), or leave it fixed",
                obj=obj,
            )
        signals[name] = Signal(initial[name], name=f"{obj}.{key}")
        model_parameters(model).append(
            TrainableParameter(
                obj,
                key,
                signals[name],
                trainable=name in selected,
                parameterization=parameterization,
                follows_learning_rate=(
                    not step_scale_set
                    and name in parameterization.trained_time_constants
                ),
            )
        )
        model.sig[sig_obj][key] = signals[name]
    return signals


def _starting_value(obj, prefix, name):
    """The object's own value of a parameter, for messages."""
    owner = {"synapse": "synapse", "neuron_type": "neuron_type"}.get(prefix)
    target = getattr(obj, owner) if owner else obj
    value = getattr(target, name, None)
    return "(not given)" if value is None else repr(value)


def _stored_form(parameterization, name):
    encoding = getattr(parameterization, "encodings", {}).get(name)
    return repr(encoding) if encoding is not None else "its value"
