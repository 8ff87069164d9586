"""A `~nengo.LinearFilter` trained in its coefficients, stable by construction."""

import numpy as np
import tensorflow as tf
from nengo.synapses import LinearFilter

from nengo_dl_trainable.errors import TrainableParamsError
from nengo_dl_trainable.parameterizations.filter import FilterParameterization
from nengo_dl_trainable.parameterizations.filter_maths import (
    polynomial_product,
    strip_leading_zeros,
)
from nengo_dl_trainable.parameterizations.registry import register_synapse


@register_synapse(LinearFilter)
class LinearFilterParameterization(FilterParameterization):
    """Any `~nengo.LinearFilter`, with its denominator in stable sections.

    See the module documentation for the maths.
    """

    has_time_constants = False

    def __init__(self, synapse, trained=(), step_scale=None):
        super().__init__(synapse, trained)
        self.select(trained, step_scale)  # refuses a step scale
        self.parameters = ("num", "den")
        # the coefficients' storage depends on no setting
        self.encodings = {"num": None, "den": None}
        den = strip_leading_zeros(synapse.den)
        if den[0] == 0:
            raise TrainableParamsError(f"cannot train {synapse}: denominator is zero")
        #: the leading denominator coefficient: frozen filters keep this scale
        self.scale = den[0]
        num = strip_leading_zeros(synapse.num) / den[0]
        den = den / den[0]
        if len(num) > len(den):
            raise TrainableParamsError(
                f"cannot train {synapse}: the numerator's order exceeds the "
                "denominator's (the filter is not causal)"
            )
        self.num = num
        self.den = den
        roots = np.roots(den)
        stable = np.all(roots.real < 0) if self.analog else np.all(np.abs(roots) < 1)
        if not stable:
            region = "the left half-plane" if self.analog else "the unit circle"
            raise TrainableParamsError(
                f"cannot train {synapse}: its poles {roots} are not all strictly "
                f"inside {region}, and a trainable filter must start stable"
            )
        self.sections = self._pair_roots(roots)
        if self.order == 0:
            # a pure gain: nothing in the denominator to train
            self.parameters = ("num",)

    @staticmethod
    def _pair_roots(roots):
        """Group roots into conjugate or real pairs (and one single real root)."""
        complex_roots = sorted(
            (r for r in roots if r.imag > 0), key=lambda r: (r.real, r.imag)
        )
        real_roots = sorted(r.real for r in roots if r.imag == 0)
        sections = [(r, np.conj(r)) for r in complex_roots]
        sections += [tuple(real_roots[i : i + 2]) for i in range(0, len(real_roots), 2)]
        return sections

    @property
    def order(self):
        return len(self.den) - 1

    @property
    def direct_term(self):
        proper = len(self.num) == len(self.den)
        return proper or (self.analog and self.method != "zoh" and self.order > 0)

    @property
    def fixed_numerator(self):
        """Whether the numerator's coefficients are held (only ``den`` trains)."""
        return "den" in self.trained and "num" not in self.trained

    @property
    def signature(self):
        return super().signature + (
            len(self.num),
            tuple(len(s) for s in self.sections),
            self.fixed_numerator,
        )

    def _numerator_scale(self, den):
        """``w^(n - m + i)`` for each numerator coefficient (see the module docs)."""
        n, m = self.order, len(self.num) - 1
        if not self.analog or n == 0 or self.fixed_numerator:
            return tf.ones((1, m + 1), dtype=den.dtype)
        w = den[:, -1:] ** (1.0 / n)
        return w ** tf.constant(np.arange(n - m, n + 1, dtype=np.float64), den.dtype)

    def initial_values(self):
        thetas = []
        for section in self.sections:
            poly = np.real(np.poly(section))  # [1, c1, c0] or [1, c0]
            if self.analog:
                thetas.extend(np.log(poly[1:]))
            elif len(section) == 1:
                thetas.append(np.arctanh(poly[1]))
            else:
                c1, c0 = poly[1:]
                thetas.extend([np.arctanh(c1 / (1 + c0)), np.arctanh(c0)])
        scale = np.asarray(self._numerator_scale(tf.constant(self.den[None])))[0]
        values = {"num": self.num / scale, "den": np.asarray(thetas, dtype=np.float64)}
        return {name: values[name] for name in self.parameters}

    def transfer_function(self, values):
        num = values["num"]
        one = tf.ones_like(num[:, :1])
        factors = [one]
        theta = values.get("den")
        i = 0
        for section in self.sections:
            if self.analog:
                coefficients = tf.exp(theta[:, i : i + len(section)])
            elif len(section) == 1:
                coefficients = tf.tanh(theta[:, i : i + 1])
            else:
                c0 = tf.tanh(theta[:, i + 1 : i + 2])
                coefficients = tf.concat(
                    [(1 + c0) * tf.tanh(theta[:, i : i + 1]), c0], axis=1
                )
            factors.append(tf.concat([one, coefficients], axis=1))
            i += len(section)
        den = polynomial_product(factors)
        return num * self._numerator_scale(den), den

    def to_synapse(self, values):
        num, den = self.transfer_function_numpy(values)
        return LinearFilter(
            num * self.scale,
            den * self.scale,
            analog=self.analog,
            **self._synapse_kwargs(),
        )

    def to_object(self, values):
        """The learned filter; untrained coefficients are exactly the original ones.

        Parameters
        ----------
        values : dict of str: array_like
            Trained values for some of the names in ``parameters``.

        Returns
        -------
        `~nengo.LinearFilter`
            In the scale of the original filter (same leading denominator
            coefficient).
        """
        learned = self.to_synapse({**self.initial_values(), **values})
        return LinearFilter(
            learned.num if "num" in values else self.synapse.num,
            learned.den if "den" in values else self.synapse.den,
            analog=self.analog,
            **self._synapse_kwargs(),
        )

    def user_values(self, values):
        synapse = self.to_synapse(values)
        coefficients = {"num": synapse.num, "den": synapse.den}
        return {name: np.asarray(coefficients[name]) for name in self.parameters}
