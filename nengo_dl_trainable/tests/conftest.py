"""Fixtures of this package's tests (NengoDL's options: ``../conftest.py``).

Tests use NengoDL's ``Simulator`` fixture and pytest-rng's ``seed`` and ``rng``
fixtures, as NengoDL's own tests do.
"""

import pytest
import tensorflow as tf

import nengo_dl_trainable  # noqa: F401  (explicit import works with the hook off too)


def pytest_sessionfinish(session, exitstatus):
    # checkpoints garbage-collected at interpreter shutdown log "value in
    # checkpoint could not be found" through TensorFlow's logger after pytest has
    # closed its streams (TensorFlow 2.21), which prints logging tracebacks after
    # the test summary; those messages say nothing about the tests
    tf.get_logger().setLevel("ERROR")


@pytest.fixture(autouse=True)
def clear_keras_session():
    tf.keras.backend.clear_session()
