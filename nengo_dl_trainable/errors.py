"""The errors and warnings of ``trainable_params`` settings."""

from nengo.exceptions import ValidationError

# defined with the load_params wrap that issues it
from nengo_dl_trainable._nengo_dl import StockParametersLoaded

__all__ = ["StockParametersLoaded", "TrainableParamsError", "TrainableParamsWarning"]


class TrainableParamsError(ValidationError):
    """A ``trainable_params`` setting that cannot be honoured.

    Raised at config time for names that are not valid for the class, and at build
    time for names that are not valid for the particular object (a connection
    without a synapse, a parameter that the synapse or neuron type does not have).
    """

    def __init__(self, msg, obj=None):
        # the config parameter's name (`.names.PARAM_NAME`)
        super().__init__(msg, attr="trainable_params", obj=obj)

    def __str__(self):
        return self.args[0] if self.obj is None else f"{self.obj}: {self.args[0]}"


class TrainableParamsWarning(UserWarning):
    """Names given as a class or network default that some objects cannot train.

    Issued once per simulator build, listing every object and attribute skipped
    and why (`nengo_dl_trainable.summary` lists them too).
    """
