"""The doors core Nengo's build does not offer, in one place.

Core Nengo's build functions call each other with fixed arguments, so three
pieces of build state cannot be passed as arguments and travel through the
model instead. Each has one owner (the function named) and is set and read only
here; ``tests/_nengo_dl/test_build_channels.py`` checks against the installed
Nengo that each door still leads where it is used.

Handing a decision to the synapse build (`handing_to_synapse`, `handed_to_synapse`)
    Core Nengo's ``build_connection`` builds the connection's synapse with
    ``model.build(conn.synapse, signal, mode="update")``: the synapse's build
    function never sees the connection. `.build_connection` decides what of the
    synapse trains and hands it over for the duration of the connection's build.
Redirecting an ensemble's neuron input (`neuron_input_redirected`)
    Core Nengo connects into an ensemble's neurons through
    ``model.sig[ens.neurons]["in"]``. A trainable gain
    (`nengo_dl_trainable.builder.gain`) points that entry at the current before
    the gain while a connection builds, and restores it.
Replacing an operator core Nengo built (`built_operator_index`)
    The neuron build and the ensemble build emit their operators
    (`~nengo.builder.neurons.SimNeurons`, the encoders'
    `~nengo.builder.operator.DotInc`) inside core Nengo's functions; this
    package finds them among the operators added since the build began and
    replaces them in place.

The model's record of what the package decided (`nengo_dl_trainable.builder.record`)
is an attribute of the model too (`model_attribute`), the one object every build
function receives.
"""

import contextlib

#: The model attribute holding what `handing_to_synapse` hands over.
_HANDED_ATTRIBUTE = "nengo_dl_trainable_handed_to_synapse"


def model_attribute(model, name, make):
    """The package's attribute ``name`` of ``model``, made by ``make()`` if absent.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        A model.
    name : str
        The attribute's name.
    make : callable
        Makes the value on first use.

    Returns
    -------
    object
    """
    value = getattr(model, name, None)
    if value is None:
        value = make()
        setattr(model, name, value)
    return value


@contextlib.contextmanager
def handing_to_synapse(model, value):
    """Hand ``value`` to the synapse build called while this context is open.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    value : object
        What the synapse's build function receives (`handed_to_synapse`); it
        must have a ``synapse`` attribute, the synapse it is meant for.
    """
    setattr(model, _HANDED_ATTRIBUTE, value)
    try:
        yield
    finally:
        setattr(model, _HANDED_ATTRIBUTE, None)


def handed_to_synapse(model, synapse):
    """Take what `handing_to_synapse` handed over for ``synapse``, once.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    synapse : `~nengo.synapses.Synapse`
        The synapse being built. Only the very object the value was handed for
        takes it: a learning rule built with the connection may build the same
        type of synapse, or the same synapse object, after it.

    Returns
    -------
    object or None
        The value, or None if nothing was handed for this synapse.
    """
    value = getattr(model, _HANDED_ATTRIBUTE, None)
    if value is None or value.synapse is not synapse:
        return None
    setattr(model, _HANDED_ATTRIBUTE, None)
    return value


@contextlib.contextmanager
def neuron_input_redirected(model, neurons, signal):
    """While open, core Nengo's connections into ``neurons`` increment ``signal``.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    neurons : `~nengo.ensemble.Neurons`
        The neurons (built).
    signal : `~nengo.builder.Signal`
        Of the neurons' input's shape.
    """
    signals = model.sig[neurons]
    neuron_input = signals["in"]
    signals["in"] = signal
    try:
        yield
    finally:
        signals["in"] = neuron_input


def built_operator_index(model, first, matches):
    """Find the operator a core Nengo build function just added, to replace it.

    Parameters
    ----------
    model : `~nengo.builder.Model`
        The model being built.
    first : int
        ``len(model.operators)`` before the object was built.
    matches : callable
        ``matches(op)`` is true for the operator wanted (and only for it among
        those built since ``first``).

    Returns
    -------
    int
        Its index in ``model.operators``.

    Raises
    ------
    RuntimeError
        If no operator built since ``first`` matches (core Nengo's build changed).
    """
    for index in range(first, len(model.operators)):
        if matches(model.operators[index]):
            return index
    raise RuntimeError(
        "no matching operator was built: core Nengo's build functions differ from "
        "those nengo_dl_trainable was written for"
    )
