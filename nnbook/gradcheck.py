"""Numerical gradients by central differences, to check backpropagation.

For every parameter entry ``p``, ``(J(p + eps) - J(p - eps)) / (2 eps)`` approximates
``dJ/dp`` with an error of order ``eps**2``; with ``eps = 1e-5`` in float64 a correct analytic
gradient agrees to about seven significant digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

EPSILON = 1e-5

#: Relative errors below ``RIGHT`` mean the gradient is right; above ``WRONG`` it is wrong;
#: in between it deserves a closer look (a kink of ReLU crossed by the step, float32, ...).
RIGHT, WRONG = 1e-7, 1e-4


def numerical_gradient(cost: Callable[[], float], param: np.ndarray,
                       epsilon: float = EPSILON) -> np.ndarray:
    """Central-difference gradient of ``cost()`` with respect to the array ``param``.

    ``param`` is changed in place one entry at a time and always restored, so ``cost`` can
    read it from wherever the model keeps it.
    """
    if not isinstance(param, np.ndarray) or param.dtype.kind != "f":
        raise ValueError("param must be a NumPy array of floats (it is nudged in place); "
                         f"got {type(param).__name__}"
                         + (f" of dtype {param.dtype}" if isinstance(param, np.ndarray) else ""))
    grad = np.zeros_like(param, dtype=float)
    for index in np.ndindex(param.shape):
        original = param[index]
        try:
            param[index] = original + epsilon
            plus = float(cost())
            param[index] = original - epsilon
            minus = float(cost())
        finally:
            param[index] = original
        grad[index] = (plus - minus) / (2 * epsilon)
    return grad


def numerical_gradients(cost: Callable[[], float], params: Mapping[str, np.ndarray],
                        epsilon: float = EPSILON) -> dict[str, np.ndarray]:
    """``{'dW1': ..., 'db1': ...}`` for every array in ``params`` (keys ``W1``, ``b1``, ...)."""
    return {f"d{name}": numerical_gradient(cost, value, epsilon)
            for name, value in params.items()}


def relative_error(analytic, numerical) -> float:
    """``|a - n| / (|a| + |n|)`` with Euclidean norms: 0 when equal, 1 when opposite.

    Norms of the whole array, not entry by entry, so entries that are zero up to rounding
    (both about 1e-13) do not count as 100% wrong.
    """
    a = np.asarray(analytic, dtype=float)
    n = np.asarray(numerical, dtype=float)
    if a.shape != n.shape:
        raise ValueError(f"shapes differ: analytic {a.shape}, numerical {n.shape}")
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    if scale == 0.0:
        return 0.0
    return float(np.linalg.norm(a - n) / scale)


def verdict(error: float) -> str:
    """'right', 'suspicious' or 'wrong' for a relative error."""
    if error < RIGHT:
        return "right"
    if error < WRONG:
        return "suspicious"
    return "wrong"
