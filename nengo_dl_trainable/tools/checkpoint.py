"""A parameter file's record of how this package's parameters are stored.

NengoDL's ``Simulator.save_params`` writes the values of the model's variables, and
``load_params`` sets them back by position. A parameter of this package is stored as an
encoded value (`nengo_dl_trainable.parameterizations.encoding`): a time constant as
``log(tau) / tau_step_scale``. The same number means another time constant under another
``tau_step_scale``, so a file saved at one scale and loaded where another applies would
silently give other time constants (a ``Lowpass`` trained to 0.037 s came back as
4.7e-15 s at a scale ten times larger).

So ``Simulator.save_params`` also writes, beside NengoDL's arrays, one record per
parameter of this package (`parameters_record`): its object, its
``trainable_params`` name and its encoding. ``Simulator.load_params`` compares it
with the parameters of the model it loads into (`check_parameters_record`) and
refuses a file whose parameters are stored otherwise, naming each object and both
encodings, before anything is set. A file with no record (saved by stock NengoDL,
or by a model without this package's parameters) loads as in NengoDL where the
model has no parameters of this package. Where the model has some, the file's
arrays go, in order, to the model's NengoDL variables (those holding none of this
package's parameters: NengoDL's own variables, in NengoDL's order, each shape
checked), and this package's parameters keep their configured values, with a
`~nengo_dl_trainable.errors.StockParametersLoaded` warning saying so. That is the
natural order of work: train the weights, save them, then select synapses or
neuron parameters and load the weights to fine-tune.
"""

import json

from nengo.exceptions import SimulationError

from nengo_dl_trainable._nengo_dl import RECORD_KEY, provide
from nengo_dl_trainable.builder.record import model_parameters

__all__ = ["FORMAT", "RECORD_KEY", "check_parameters_record", "parameters_record"]

#: How many differences an error lists.
MAX_LISTED = 10


#: The record's format: 2 adds each parameter's kind, its object's size and its
#: stored shape to format 1's object, name and encoding; files of format 1 still
#: load (without those checks).
FORMAT = 2


def _entries(model):
    return [
        {
            "object": str(p.obj),
            "name": p.name,
            "encoding": _describe(p.parameterization.encodings.get(p.short_name)),
            "kind": _kind(p),
            "size": _size(p.obj),
            "shape": list(p.signal.shape),
        }
        for p in model_parameters(model)
    ]


def _size(obj):
    """A connection's dimensions or an ensemble's neurons."""
    return int(getattr(obj, "size_out", None) or obj.n_neurons)


def _kind(parameter):
    """The class of what a parameter belongs to (its synapse or neuron type)."""
    if parameter.prefix == "synapse":
        return type(parameter.obj.synapse).__name__
    if parameter.prefix == "neuron_type":
        return type(parameter.obj.neuron_type).__name__
    return parameter.prefix  # the gain


def _describe(encoding):
    # e.g. "LogEncoding(step_scale=1.0)"; None where the storage depends on no
    # setting
    return None if encoding is None else repr(encoding)


@provide("checkpoint_record")
def parameters_record(model):
    """The record of a model's parameters, as written into a parameter file.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A built model.

    Returns
    -------
    str or None
        JSON: one entry per parameter of this package, in build order, with
        ``object`` (its string), ``name``, ``encoding``, ``kind`` (the class of
        its synapse or neuron type), ``size`` (the connection's dimensions or
        the ensemble's neurons) and ``shape`` (of its stored value); and
        ``format`` (`FORMAT`). None if the model has no parameters of this
        package.
    """
    entries = _entries(model)
    return json.dumps({"format": FORMAT, "parameters": entries}) if entries else None


def _what(entry):
    return (
        f"{entry['kind']} on an object of size {entry['size']}, stored with shape "
        f"{tuple(entry['shape'])}"
    )


@provide("check_checkpoint_record")
def check_parameters_record(model, record, path):
    """Refuse a parameter file whose parameters are stored otherwise than here.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model the file is loaded into.
    record : str or None
        The file's record (`parameters_record`), or None if it has none.
    path : str
        The file (named in errors).

    Returns
    -------
    list of `~nengo.builder.Signal` or None
        For a file without a record loaded into a model with parameters of this
        package: their signals, which keep their values (the file holds
        NengoDL's variables only). None otherwise (the file loads as it is).

    Raises
    ------
    `~nengo.exceptions.SimulationError`
        If the file has a record with a different number of parameters, or one
        of another kind (synapse or neuron type class), size or shape, stored with
        another encoding (another ``tau_step_scale``), or under another name.
    """
    current = _entries(model)
    if record is None:
        return [p.signal for p in model_parameters(model)] if current else None
    saved = json.loads(record)["parameters"]
    if len(saved) != len(current):
        raise SimulationError(
            f"cannot load {path}: it holds {len(saved)} parameter(s) of "
            f"nengo_dl_trainable, this model has {len(current)} (the networks differ "
            "in what trains)"
        )
    kinds = [
        f"  {now['object']} {now['name']}: saved for a {_what(then)}, built here "
        f"for a {_what(now)}"
        for then, now in zip(saved, current, strict=True)
        # format 1 recorded none of these
        if "kind" in then and _what(then) != _what(now)
    ]
    if kinds:
        raise SimulationError(
            f"cannot load {path}: {len(kinds)} parameter(s) belong to another "
            "kind of synapse or neuron type, or have another shape, than in this "
            "model:\n" + "\n".join(kinds[:MAX_LISTED])
        )
    differences = [
        f"  {now['object']} {now['name']}: "
        + (
            f"saved as {then['name']!r}"
            if then["name"] != now["name"]
            else f"saved as {then['encoding']}, built here as {now['encoding']}"
        )
        for then, now in zip(saved, current, strict=True)
        if (then["name"], then["encoding"]) != (now["name"], now["encoding"])
    ]
    if differences:
        more = len(differences) - MAX_LISTED
        raise SimulationError(
            f"cannot load {path}: {len(differences)} parameter(s) are stored "
            "otherwise than in this model, so their saved values would mean other "
            "values here (LogEncoding(k) holds log(tau) / k, with k the "
            "tau_step_scale that applies; BoundedEncoding(u) holds a delay d as "
            "log(d / (u - d)), with u the max_delay):\n"
            + "\n".join(differences[:MAX_LISTED])
            + (f"\n  ... and {more} more" if more > 0 else "")
            + "\nBuild the network with the settings it was saved with (for "
            "example the same tau_step_scale or max_delay) to load it; "
            "freeze_params then gives the learned values in seconds, whatever the "
            "settings."
        )
