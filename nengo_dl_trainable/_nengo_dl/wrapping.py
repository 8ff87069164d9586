"""The wrapping machinery: the NengoDL versions and signatures the wraps are for.

`WRAPPED_SIGNATURES` lists every wrapped NengoDL function with the signature its
wrap is written for; `check_signatures` compares them with the installed NengoDL,
and `wrap` replaces a function once, keeping the original (`original`).
"""

import functools
import inspect

import nengo_dl
from nengo.params import Parameter
from nengo_dl import callbacks, graph_optimizer
from nengo_dl import config as nengo_dl_config
from nengo_dl.builder import NengoBuilder
from nengo_dl.simulator import SimulationData, Simulator
from nengo_dl.tensor_graph import TensorGraph

#: The NengoDL releases whose internals this module knows.
SUPPORTED_NENGO_DL_VERSIONS = ("3.6.0",)

#: The unwrapped NengoDL functions, as stored (a classmethod stays one).
_ORIGINALS = {}


def check_nengo_dl_version(version=None):
    """Raise ImportError unless NengoDL is a version this module knows.

    Parameters
    ----------
    version : str, optional
        The version to check (defaults to the installed NengoDL's).
    """
    version = nengo_dl.__version__ if version is None else version
    if version not in SUPPORTED_NENGO_DL_VERSIONS:
        raise ImportError(
            f"nengo_dl_trainable wraps internals of NengoDL "
            f"{', '.join(SUPPORTED_NENGO_DL_VERSIONS)}, but NengoDL {version} is "
            "installed. Install a supported NengoDL, or set "
            "NENGO_DL_TRAINABLE_DISABLE=1 to run NengoDL without the extension."
        )


#: Every NengoDL function wrapped here, with the signature its wrap is written
#: for. `check_signatures` compares them with the installed NengoDL before
#: anything is wrapped: a second guard, beside the version check, against a
#: NengoDL whose functions differ from those the wraps call and imitate.
WRAPPED_SIGNATURES = {
    (NengoBuilder, "build"): "(cls, model, obj, *args, **kwargs)",
    (graph_optimizer, "transitive_planner"): "(op_list)",
    (
        Simulator,
        "fit",
    ): "(self, x=None, y=None, n_steps=None, stateful=False, **kwargs)",
    (
        Simulator,
        "compile",
    ): "(self, *args, loss=None, metrics=None, loss_weights=None, **kwargs)",
    (TensorGraph, "mark_signals"): "(self)",
    (
        TensorGraph,
        "call",
    ): "(self, inputs, training=None, progress=None, stateful=False)",
    (Simulator, "get_nengo_params"): "(self, nengo_objs, as_dict=False)",
    (SimulationData, "__getitem__"): "(self, obj)",
    (Simulator, "__init__"): (
        "(self, network, dt=0.001, seed=None, model=None, device=None, "
        "unroll_simulation=1, minibatch_size=None, progress_bar=True)"
    ),
    (TensorGraph, "__init__"): (
        "(self, model, dt, unroll_simulation, minibatch_size, device, progress, seed)"
    ),
    (TensorGraph, "build_inputs"): "(self)",
    (TensorGraph, "build"): "(self, input_shape=None)",
    (callbacks.IsolateState, "__init__"): "(self, sim)",
    (callbacks.IsolateState, "reset"): "(self)",
    (Simulator, "save_params"): (
        "(self, path, include_state=False, include_non_trainable=None)"
    ),
    (Simulator, "load_params"): (
        "(self, path, include_state=False, include_non_trainable=None)"
    ),
    (nengo_dl_config, "configure_settings"): "(**kwargs)",
    (Parameter, "__set__"): "(self, instance, value)",
}


def _signature(function):
    # a classmethod (NengoBuilder.build) as its function; decorators that
    # set __wrapped__ (NengoDL's require_open) are looked through
    return str(inspect.signature(getattr(function, "__func__", function)))


def _unwrapped(owner, name):
    # as stored (a classmethod stays one), before or after apply()
    return _ORIGINALS.get((owner, name)) or inspect.getattr_static(owner, name)


def check_signatures():
    """Raise ImportError if a wrapped NengoDL function's signature differs.

    Compares the signature of every (unwrapped) NengoDL function in
    `WRAPPED_SIGNATURES` with the one listed there.
    """
    differ = [
        f"  {getattr(owner, '__name__', owner)}.{name}{_signature(found)}, "
        f"expected {expected}"
        for (owner, name), expected in WRAPPED_SIGNATURES.items()
        if _signature(found := _unwrapped(owner, name)) != expected
    ]
    if differ:
        raise ImportError(
            "nengo_dl_trainable wraps NengoDL functions whose signatures differ "
            "from those it was written for:\n"
            + "\n".join(differ)
            + "\nSet NENGO_DL_TRAINABLE_DISABLE=1 to run NengoDL without the "
            "extension."
        )


def wrap(owner, name, make_wrapper):
    """Replace ``owner.name`` by ``make_wrapper(original)``, once.

    Later calls for the same name do nothing.

    Parameters
    ----------
    owner : class or module
        Where the NengoDL function lives.
    name : str
        Its name (listed in `WRAPPED_SIGNATURES`).
    make_wrapper : callable
        ``make_wrapper(original)`` returns the replacement.
    """
    key = (owner, name)
    if key in _ORIGINALS:
        return
    stored = inspect.getattr_static(owner, name)
    _ORIGINALS[key] = stored
    if isinstance(stored, classmethod):
        # wrap the function, re-bind as classmethod
        setattr(
            owner,
            name,
            classmethod(functools.wraps(stored.__func__)(make_wrapper(stored))),
        )
    else:
        setattr(owner, name, functools.wraps(stored)(make_wrapper(stored)))


def original(owner, name):
    """Return the unwrapped NengoDL function ``owner.name``.

    Parameters
    ----------
    owner : class or module
        Where the function lives.
    name : str
        Its name.

    Returns
    -------
    callable
    """
    return _ORIGINALS.get((owner, name), getattr(owner, name))
