"""The interface every parameterization implements.

A parameterization stands between one Nengo object's parameters (a synapse's time
constants or coefficients, a neuron type's ``tau_rc`` ...) and the unconstrained
values that are trained. The build creates one parameter signal per name in
``parameters``, starting at ``initial_values()``; NengoDL holds each as a Keras
variable; `.summary` shows ``user_values`` of the trained values, and
``Simulator.freeze_params`` writes ``to_object`` of them back into the network.

The implementations are `.FilterParameterization` (and its subclasses, one per
synapse type), `.NeuronParameterization` (one neuron type),
`.WrapperParameterization` (a spiking wrapper around a rate type) and
`.GainParameterization` (an ensemble's gain).
"""

import abc

from nengo_dl_trainable.parameterizations.encoding import is_scaled


class Parameterization(abc.ABC):
    """Maps the trained values of one object's parameters to the object and back.

    Attributes
    ----------
    parameters : tuple of str
        The names of the parameter signals, set by each implementation's
        constructor (``"tau"``, ``"base_type.tau_rc"``, ...): the
        ``trainable_params`` names without their prefix (``"synapse."`` or
        ``"neuron_type."``).
    encodings : dict of str: object
        How each parameter signal stores its value
        (`nengo_dl_trainable.parameterizations.encoding`), or None for values whose
        storage depends on no setting (a filter's coefficients). Checkpoints record them
        (`.parameters_record`): values saved under one encoding do not load under
        another.
    """

    parameters = ()
    encodings = {}
    #: whether the object has time constants (``tau_step_scale`` applies)
    has_time_constants = False
    #: whether ``user_values`` acts element by element and depends on nothing
    #: but ``signature``: then `.parameter_info` converts the values of all
    #: objects with equal signatures (and names) in one call, instead of one
    #: call per object
    elementwise_user_values = False

    @property
    def trained_time_constants(self):
        """The names of the trained parameters that are time constants.

        Those stored with the ``tau_step_scale`` (`.LogEncoding`, and a
        `.DoubleExp`'s `.SpreadEncoding`): where no ``tau_step_scale`` is set,
        their optimizer step follows the learning rate
        (`nengo_dl_trainable.tools.optimizer_step`).
        """
        if not self.has_time_constants:
            return ()
        trained = getattr(self, "trained", ())
        return tuple(
            name
            for name in self.parameters
            if name in trained and is_scaled(self.encodings.get(name))
        )

    @property
    @abc.abstractmethod
    def signature(self):
        """Hashable description of the structure; equal signatures can be batched.

        Operators whose parameterizations have equal signatures compute their
        parameters with the same TensorFlow code, so NengoDL may merge them.
        """

    @abc.abstractmethod
    def initial_values(self):
        """The trained values that reproduce the original object exactly.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            One array per name in ``parameters``.
        """

    @abc.abstractmethod
    def user_values(self, values):
        """The parameters in the units a user gives them (seconds for times).

        Parameters
        ----------
        values : dict of str: array_like
            One value per name in ``parameters``, as trained.

        Returns
        -------
        dict of str: `~numpy.ndarray`
            One array per name in ``parameters``.
        """

    @abc.abstractmethod
    def to_object(self, values):
        """The Nengo object with trained values, as written by freezing.

        Parameters
        ----------
        values : dict of str: array_like
            Trained values for some of the names in ``parameters``; the others
            keep the original object's values exactly.

        Returns
        -------
        object
            A synapse or neuron type that core Nengo (and any backend) runs.
        """
