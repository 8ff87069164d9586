"""A fast model of learning one time constant, to compare parameterizations.

Neither NengoDL nor Keras: NumPy runs a zero-order-hold lowpass filter
``y[t] = a y[t-1] + (1 - a) u[t]`` (``a = exp(-dt / tau)``; two in series for the
alpha filter), the exact gradient of the mean squared error against the filter
with the true time constant (forward-mode, alongside the filter), and Adam
(``tf.optimizers.Adam``'s defaults) or SGD, for every cell of issue 16's grid at
once. One 1000-step example per epoch, as in ``keras_spiking_comparison.py``,
whose first cell it reproduces (KerasSpiking at Adam 0.01: first within 1% at epoch
43, settled at 84; this package at ``tau_step_scale = 20``: 25 and 97).

Parameterizations of ``tau`` (seconds) by the trained value ``theta``:

- ``linear``: ``tau = max(theta, 1e-8)`` (KerasSpiking's ``Lowpass``);
- ``log*S``: ``tau = exp(S theta)`` (this package with ``tau_step_scale = S``:
  the default is ``S = 1``; it was 20 for shared synaptic time constants from
  issue 16 to issue 27).

Reported per cell: epochs until the time constant is within 1% of the true one and
stays there to the end ("settled"), and a summary per parameterization against
``linear``. The per-dimension problem of the grid is left out (with Adam each
dimension learns independently, like the one-dimensional problems).

``--adam-products`` asks instead which scale suits each Adam rate. Adam's step
does not depend on the size of the gradient, so with ``tau = exp(S theta)`` at rate
``lr`` only the product ``lr S`` matters (up to Adam's epsilon). For each product
given, ``log*1`` runs at that rate; then, for each of the grid's Adam rates and
each scale ``S = product / lr``, it counts the cells where ``linear`` at that rate
settles and ``log*S`` settles later or never, and the cells where only ``log*S``
settles. Last, per cell where ``linear`` settles, the product that settles soonest:
where even that one is later, no scale can match ``linear`` there.

Usage: ``python benchmarks/step_scale_model.py [--scales 1 20] [--epochs N]
[--sgd-rate R] [--adam-products 0.05 0.2 1]``
"""

import argparse
import itertools

import numpy as np

DT, N_STEPS = 0.001, 1000
PROBLEMS = [  # (filters in series, start, true)
    (1, 0.005, 0.1),
    (1, 0.1, 0.005),
    (1, 0.002, 0.02),
    (1, 0.05, 0.5),
    (2, 0.005, 0.05),
]


def filter_and_derivative(u, a, n_filters):
    """Filter each column of ``u`` with its ``a``; also ``d output / d a``."""
    x, dx = u, np.zeros_like(u)
    for _ in range(n_filters):
        y, dy = np.zeros_like(u), np.zeros_like(u)
        y_prev, dy_prev = np.zeros(u.shape[1]), np.zeros(u.shape[1])
        for t in range(u.shape[0]):
            y[t] = a * y_prev + (1 - a) * x[t]
            dy[t] = y_prev + a * dy_prev - x[t] + (1 - a) * dx[t]
            y_prev, dy_prev = y[t], dy[t]
        x, dx = y, dy
    return x, dx


def parameterizations(scales):
    """name -> (theta from tau, tau from theta, d tau / d theta)."""
    result = {
        "linear": (
            lambda tau: tau,
            lambda theta: np.maximum(theta, 1e-8),
            lambda theta: (theta > 1e-8) * 1.0,
        )
    }
    for s in scales:
        result[f"log*{s:g}"] = (
            lambda tau, s=s: np.log(tau) / s,
            lambda theta, s=s: np.exp(s * theta),
            lambda theta, s=s: s * np.exp(s * theta),
        )
    return result


def settled_epochs(u, problem, optimizers, params, epochs):
    """Settled epoch (or None) for every (parameterization, optimizer)."""
    n_filters, start, true = problem
    cells = list(itertools.product(params, optimizers))
    target, _ = filter_and_derivative(u[:, None], np.exp(-DT / true), n_filters)
    theta = np.array([params[p][0](start) for p, _ in cells], dtype=float)
    adam = np.array([kind == "adam" for _, (kind, _) in cells])
    rate = np.array([r for _, (_, r) in cells])
    m, v = np.zeros(len(cells)), np.zeros(len(cells))
    last_outside = np.zeros(len(cells), dtype=int)
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            tau = np.array(
                [params[p][1](th) for (p, _), th in zip(cells, theta, strict=True)]
            )
            slope = np.array(
                [params[p][2](th) for (p, _), th in zip(cells, theta, strict=True)]
            )
            passthrough = tau <= 0.03 * DT
            a = np.where(passthrough, 0.0, np.exp(-DT / tau))
            y, dy = filter_and_derivative(
                np.repeat(u[:, None], len(cells), axis=1), a, n_filters
            )
            d_loss_d_a = 2 * np.mean((y - target) * dy, axis=0)
            grad = np.where(passthrough, 0.0, d_loss_d_a * a * DT / tau**2 * slope)
            grad = np.nan_to_num(grad)
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            adam_step = (m / (1 - 0.9**epoch)) / (
                np.sqrt(v / (1 - 0.999**epoch)) + 1e-7
            )
            theta = theta - rate * np.where(adam, adam_step, grad)
            tau = np.array(
                [params[p][1](th) for (p, _), th in zip(cells, theta, strict=True)]
            )
            outside = ~(np.abs(tau / true - 1) < 0.01)
            last_outside[outside] = epoch
    return {
        cell: None if last == epochs else int(last) + 1
        for cell, last in zip(cells, last_outside, strict=True)
    }


ADAM_RATES = (0.001, 0.01, 0.05)


def label_of(problem):
    """The problem's name in the tables, e.g. ``lowpass 0.005->0.1``."""
    n_filters, start, true = problem
    return f"{'alpha' if n_filters == 2 else 'lowpass'} {start}->{true}"


def against_linear(pairs):
    """Count ``(linear, other)`` settled epochs (None: never) over some cells.

    Returns the cells where ``linear`` settles, those of them where the other
    settles later or never, and the cells where only the other settles.
    """
    pairs = list(pairs)
    settles = [(a, b) for a, b in pairs if a is not None]
    later = sum(b is None or b > a for a, b in settles)
    only = sum(a is None and b is not None for a, b in pairs)
    return len(settles), later, only


def compare_adam_products(inputs, products, epochs):
    """Which ``tau_step_scale`` suits each Adam rate (see the module docstring)."""
    products = sorted(products)
    optimizers = [("adam", r) for r in sorted(set(ADAM_RATES) | set(products))]
    params = parameterizations([1])
    linear, ours = {}, {}
    for problem, (name, u) in itertools.product(PROBLEMS, inputs.items()):
        result = settled_epochs(u, problem, optimizers, params, epochs)
        for rate in ADAM_RATES:
            linear[(label_of(problem), name, rate)] = result[("linear", ("adam", rate))]
        ours[(label_of(problem), name)] = [
            result[("log*1", ("adam", p))] for p in products
        ]
    print(f"Adam, settled within {epochs} epochs: log*S at rate lr against linear")
    print(f"{'lr':>7s} {'S':>8s}  slower or never / linear settles   only log*S")
    for rate in ADAM_RATES:
        for i, product in enumerate(products):
            settles, slower, only = against_linear(
                (epoch, ours[cell[:2]][i])
                for cell, epoch in linear.items()
                if cell[2] == rate
            )
            print(
                f"{rate:7g} {product / rate:8g}  {slower:3d} / {settles:<3d}"
                f"{'':26s}{only:3d}"
            )
    print("cells where linear settles: linear, then the soonest log*S (lr S)")
    for cell, epoch in linear.items():
        if epoch is None:
            continue
        settled = [(e, p) for e, p in zip(ours[cell[:2]], products, strict=True) if e]
        best = min(settled, default=None)
        mark = "" if best and best[0] <= epoch else "  (no product matches)"
        print(
            f"{cell[0]:24s} {cell[1]:7s} adam {cell[2]:<6g} {epoch:4d}  "
            f"{'never' if best is None else f'{best[0]:4d} ({best[1]:g})'}{mark}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 20])
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--sgd-rate", type=float, default=0.1)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--adam-products",
        type=float,
        nargs="+",
        help="Adam rate x scale products to scan, instead of --scales",
    )
    args = parser.parse_args()
    inputs = {"step": np.ones(N_STEPS)}
    for seed in range(args.seeds):
        inputs[f"noise{seed}"] = np.random.RandomState(seed).standard_normal(N_STEPS)
    if args.adam_products:
        compare_adam_products(inputs, args.adam_products, args.epochs)
        return
    params = parameterizations(args.scales)
    optimizers = [("adam", r) for r in ADAM_RATES]
    optimizers.append(("sgd", args.sgd_rate))
    table = {}
    print(f"settled epochs (within 1% to the end of {args.epochs}; '-' never)")
    print(f"{'problem':24s} {'input':7s} {'optimizer':11s}", *params)
    for problem, (name, u) in itertools.product(PROBLEMS, inputs.items()):
        result = settled_epochs(u, problem, optimizers, params, args.epochs)
        label = label_of(problem)
        for kind, rate in optimizers:
            row = [result[(p, (kind, rate))] for p in params]
            table[(label, name, kind, rate)] = dict(zip(params, row, strict=True))
            cells = " ".join(f"{'-' if r is None else r:>8}" for r in row)
            print(f"{label:24s} {name:7s} {kind} {rate:<7g} {cells}")
    for p in params:
        if p == "linear":
            continue
        settles, slower, extra = against_linear(
            (c["linear"], c[p]) for c in table.values()
        )
        print(
            f"{p}: of the {settles} cells 'linear' settles in, slower or never in "
            f"{slower}; settles in {extra} cells where 'linear' never does "
            f"({len(table)} cells)"
        )


if __name__ == "__main__":
    main()
