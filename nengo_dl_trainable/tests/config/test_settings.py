"""Settings: ``configure_settings`` and the values the config parameters accept."""

import nengo
import nengo_dl
import pytest
from nengo.exceptions import (
    ConfigError,
    NetworkContextError,
)

import nengo_dl_trainable
from nengo_dl_trainable import TrainableParamsError
from nengo_dl_trainable.config.names import parse_trainable_params


def test_configure_settings_adds_param_to_all_kinds(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"bias", "synapse.tau"})
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
    # each class gets the names that apply to it
    assert net.config[nengo.Ensemble].trainable_params == {"bias"}
    assert net.config[nengo.ensemble.Neurons].trainable_params == {"bias"}
    assert net.config[ens].trainable_params == {"bias"}
    assert net.config[conn].trainable_params == {"synapse.tau"}
    # a name that applies to no class is an error
    with pytest.raises(TrainableParamsError, match="'baias'.*Did you mean 'bias'"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params={"baias"})
    with pytest.raises(TrainableParamsError, match="must be None, an attribute name"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params=True)
    # values set on objects are checked against their own class
    with pytest.raises(
        TrainableParamsError, match="'bias'.*valid names for Connection"
    ):
        net.config[conn].trainable_params = "bias"


def test_configure_settings_again_keeps_object_settings(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params={"bias"})
        ens = nengo.Ensemble(5, 1)
        conn = nengo.Connection(ens, ens)
    net.config[ens].trainable_params = {"gain"}
    with net:
        nengo_dl_trainable.configure_settings(trainable_params={"synapse"})
    assert net.config[ens].trainable_params == {"gain"}
    assert net.config[nengo.Ensemble].trainable_params == frozenset()
    assert net.config[conn].trainable_params == {"synapse"}
    with pytest.raises(TrainableParamsError, match="'baias'"):
        with net:
            nengo_dl_trainable.configure_settings(trainable_params={"baias"})
    assert net.config[conn].trainable_params == {"synapse"}


def test_configure_settings_through_nengo_dl(seed):
    with nengo.Network(seed=seed) as net:
        nengo_dl.configure_settings(trainable_params=None, trainable=False)
        ens = nengo.Ensemble(5, 1)
    net.config[ens].trainable_params = ["encoders"]
    assert net.config[ens].trainable_params == frozenset({"encoders"})
    assert net.config[ens].trainable is False
    # NengoDL's own settings still validate as before
    with pytest.raises(ConfigError, match="not a valid config parameter"):
        with net:
            nengo_dl.configure_settings(not_a_setting=1)


def test_configure_settings_needs_network():
    with pytest.raises(NetworkContextError):
        nengo_dl_trainable.configure_settings(trainable_params=None)


@pytest.mark.parametrize(
    "value, kind, match",
    [
        ({"synaps"}, nengo.Connection, "Did you mean 'synapse'"),
        ("weight", nengo.Connection, "Did you mean 'weights'"),
        ({"encoders"}, nengo.ensemble.Neurons, "valid names for Neurons"),
        ({"weights"}, nengo.Ensemble, "valid names for Ensemble"),
        ({"synapse."}, nengo.Connection, "unknown trainable attribute 'synapse.'"),
        ({"weights.x"}, nengo.Connection, "unknown trainable attribute 'weights.x'"),
        ({"synapse.tau.x"}, nengo.Connection, "unknown"),
        (True, nengo.Connection, "must be None, an attribute name or a collection"),
        (1, nengo.Ensemble, "must be None, an attribute name or a collection"),
        ({"bias": True}, nengo.Ensemble, "must be None, an attribute name"),
        ([1, 2], nengo.Ensemble, "attribute names must be strings"),
    ],
)
def test_bad_values_rejected_at_config_time(seed, value, kind, match):
    with nengo.Network(seed=seed) as net:
        nengo_dl_trainable.configure_settings(trainable_params=None)
        obj = {
            nengo.Connection: lambda: nengo.Connection(
                nengo.Node(1), nengo.Node(size_in=1)
            ),
            nengo.Ensemble: lambda: nengo.Ensemble(3, 1),
            nengo.ensemble.Neurons: lambda: nengo.Ensemble(3, 1).neurons,
        }[kind]()
    with pytest.raises(TrainableParamsError, match=match) as info:
        net.config[obj].trainable_params = value
    # the message names the object
    assert str(obj) in str(info.value)
    # and the class level validates the same way
    with pytest.raises(TrainableParamsError, match=match):
        net.config[kind].trainable_params = value


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, None),
        ("bias", {"bias"}),
        (["bias", "bias"], {"bias"}),
        (("neuron_type.tau_rc", "encoders"), {"neuron_type.tau_rc", "encoders"}),
        (set(), set()),
    ],
)
def test_good_values_parsed(value, expected):
    parsed = parse_trainable_params(value, nengo.Ensemble)
    assert parsed == (None if expected is None else frozenset(expected))
