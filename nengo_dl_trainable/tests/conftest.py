import nengo_dl
import pytest
import tensorflow as tf

import nengo_dl_trainable  # noqa: F401  (explicit import works with the hook off too)


@pytest.fixture(autouse=True)
def clear_keras_session():
    tf.keras.backend.clear_session()


@pytest.fixture
def Simulator():
    """NengoDL's simulator without progress bars."""

    def make(*args, **kwargs):
        kwargs.setdefault("progress_bar", False)
        return nengo_dl.Simulator(*args, **kwargs)

    return make
