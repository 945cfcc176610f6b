"""Feedback on a learner's backpropagation, from a comparison with numerical gradients.

:func:`check_gradients` takes the gradients a ``backward_pass`` returned and the numerical ones
of :mod:`nnbook.gradcheck` (both dictionaries with the keys ``dW1, db1, dW2, ...``). It walks
the layers from the output back to the input, the order in which backpropagation computes
them, and stops at the first gradient that disagrees: an error in the delta of one layer
spoils every layer below it, so the first disagreement is where the bug is. The
:class:`~nnbook.checks.CheckFailed` it raises says which gradient, how far off, and what to
look at, for example::

    dW2 disagrees with the numerical gradient (max relative error 0.48): check the delta of
    layer 2, the activation derivative: ...

:func:`gradient_table` shows the same comparison as a table, one row per gradient with the
wrong ones marked, and never raises: it is for looking, not for grading. The messages describe
the equations to look at in words; they never spell out the code of an answer.

Nothing here computes a gradient: the module only compares and explains, so it holds no
solution to an exercise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from nnbook.checks import CheckFailed
from nnbook.gradcheck import WRONG, relative_error, verdict

__all__ = ["Comparison", "check_gradients", "compare_gradients", "gradient_table",
           "max_relative_error"]

_KEY = re.compile(r"^d([Wb])(\d+)$")


@dataclass(frozen=True)
class Comparison:
    """One gradient compared with its numerical estimate."""

    name: str            # 'dW2'
    error: float         # relative error of the whole array (nnbook.gradcheck.relative_error)
    max_error: float     # largest relative error of a single entry
    verdict: str         # 'right', 'suspicious' or 'wrong'


def _order(numerical: Mapping) -> list[str]:
    """Gradient names from the output layer back to the input: dW3, db3, dW2, db2, ..."""
    names = []
    for name in numerical:
        match = _KEY.match(name)
        if not match:
            raise ValueError(f"gradient names look like 'dW2' or 'db2', got {name!r}")
        names.append((-int(match.group(2)), match.group(1) == "b", name))
    return [name for *_, name in sorted(names)]


def _layer(name: str) -> int:
    return int(_KEY.match(name).group(2))


def max_relative_error(analytic, numerical) -> float:
    """The largest ``|a - n| / max(|a|, |n|)`` over the entries.

    Entries far smaller than the largest one of the array are measured against a floor of
    1e-3 times the array's largest entry, so that rounding noise in entries that should be zero
    does not count as a 100% error.
    """
    a = np.asarray(analytic, dtype=float).ravel().tolist()
    n = np.asarray(numerical, dtype=float).ravel().tolist()
    if len(a) != len(n):
        raise ValueError(f"sizes differ: analytic {len(a)}, numerical {len(n)}")
    scale = max([abs(v) for v in a + n], default=0.0)
    if scale == 0.0:
        return 0.0
    floor = 1e-3 * scale
    worst = 0.0
    for x, y in zip(a, n, strict=True):
        if math.isnan(x) or math.isinf(x):
            return math.inf
        worst = max(worst, abs(x - y) / max(abs(x), abs(y), floor))
    return worst


def _index(position: int, shape: tuple[int, ...]) -> str:
    idx = []
    for size in reversed(shape):
        idx.append(position % size)
        position //= size
    return "[" + ", ".join(str(i) for i in reversed(idx)) + "]"


def _as_array(name: str, value, expected_shape: tuple[int, ...], where: str | None
              ) -> np.ndarray:
    if value is None:
        _fail(f"{name} is None: backward_pass must store an array under the key {name!r}.",
              where)
    try:
        array = np.array(value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{name} should be an array of numbers, got {type(value).__name__}.", where)
    if array.shape != expected_shape:
        message = (f"{name} has shape {array.shape}, but {name[1:]} has shape "
                   f"{expected_shape}: every gradient has the shape of its parameter.")
        layer = _layer(name)
        if name.startswith("dW") and array.shape == expected_shape[::-1]:
            message += (f" Yours is transposed: dW{layer}, like W{layer}, has one row per "
                        f"neuron of layer {layer - 1} and one column per neuron of layer "
                        f"{layer}.")
        elif name.startswith("db") and array.size == int(np.prod(expected_shape)):
            message += (f" Sum delta{layer} over the samples with axis=0 and keepdims=True "
                        "to keep it a row.")
        elif name.startswith("db"):
            message += (f" db{layer} is the sum of delta{layer} over the samples (the rows), "
                        "one number per neuron of the layer.")
        _fail(message, where)
    if not all(math.isfinite(v) for v in array.ravel().tolist()):
        _fail(f"{name} contains nan or inf: look for a division by zero or an overflow in "
              "your backward_pass.", where)
    return array


def _fail(message: str, where: str | None) -> None:
    if where:
        message = f"{message}\n    Where to look: {where}"
    raise CheckFailed(message)


def compare_gradients(analytic: Mapping, numerical: Mapping) -> list[Comparison]:
    """Every gradient of ``numerical`` compared with ``analytic``, output layer first.

    Both dictionaries must hold arrays of the same shapes under the same keys; use
    :func:`check_gradients` for learner-facing messages about missing keys or wrong shapes.
    """
    out = []
    for name in _order(numerical):
        error = relative_error(analytic[name], numerical[name])
        out.append(Comparison(name, error, max_relative_error(analytic[name], numerical[name]),
                              verdict(error)))
    return out


def _factor_hint(a: np.ndarray, n: np.ndarray, n_samples: int | None) -> str:
    """What a constant factor between yours and the numerical gradient suggests, if any."""
    if not np.any(a):
        return " Yours is zero everywhere, but the numerical gradient is not."
    nn = float(np.sum(n * n))
    if nn == 0.0:
        return " The numerical gradient is zero everywhere, but yours is not."
    factor = float(np.sum(a * n)) / nn
    if relative_error(a, factor * n) > 1e-6:
        return ""
    if abs(factor + 1) < 1e-3:
        return (" Yours is exactly minus the numerical gradient: a sign is flipped "
                "somewhere (for example y - yhat instead of yhat - y).")
    if n_samples and n_samples > 1 and abs(factor - n_samples) < 1e-3 * n_samples:
        return (f" Yours is n = {n_samples} times too large (n is the number of samples): the "
                "cost averages over the samples, and the cost's derivative already divides by "
                "n; do not undo that.")
    if n_samples and n_samples > 1 and abs(factor * n_samples - 1) < 1e-3:
        return (f" Yours is n = {n_samples} times too small (n is the number of samples): the "
                "cost's derivative already divides by n, so do not divide (or average) again.")
    return f" Yours is {factor:.4g} times the numerical gradient."


def _hint(name: str, wrong: set[str], top: int) -> str:
    layer = _layer(name)
    weight_wrong = f"dW{layer}" in wrong
    bias_wrong = f"db{layer}" in wrong
    if weight_wrong and not bias_wrong:
        return (f"db{layer} is right, so delta{layer} is right: check dW{layer}, the product "
                f"of the neurons x{layer - 1} of layer {layer - 1} (not the receptors "
                f"z{layer - 1}), transposed, with delta{layer}")
    if bias_wrong and not weight_wrong:
        return (f"dW{layer} is right, so delta{layer} is right: check db{layer}, the sum of "
                f"delta{layer} over the samples (the rows), kept as a row with one number per "
                f"neuron of layer {layer}")
    if layer == top:
        return (f"check the delta of the output layer {layer}: the cost's derivative at "
                f"x{layer} times the derivative of the output activation at z{layer}")
    return (f"check the delta of layer {layer}, the activation derivative: delta{layer} "
            f"comes from delta{layer + 1} through the weights of layer {layer + 1}, transposed, "
            f"and is then multiplied, entry by entry, by the derivative of layer {layer}'s own "
            f"activation (self.a[{layer}]) at its receptors z{layer}")


def check_gradients(analytic, numerical: Mapping, *, where: str | None = None,
                    n_samples: int | None = None, tolerance: float = WRONG) -> list[Comparison]:
    """Raise :class:`~nnbook.checks.CheckFailed` at the first wrong gradient, output layer first.

    ``analytic`` is what the learner's ``backward_pass`` returned (extra keys such as ``dZ2``
    are ignored); ``numerical`` holds the central differences (``dW1``, ``db1``, ...). A
    gradient is wrong when its relative error (:func:`nnbook.gradcheck.relative_error`) is above
    ``tolerance``. ``n_samples``, when given, lets the message recognise a gradient that is off
    by a factor of the number of samples. Returns the comparisons when everything agrees.
    """
    if not isinstance(analytic, Mapping):
        _fail(f"backward_pass should return a dictionary of gradients, got "
              f"{type(analytic).__name__}" + (" (is `return derivatives` still there?)"
                                                if analytic is None else "") + ".", where)
    order = _order(numerical)
    missing = [name for name in order if name not in analytic]
    if missing:
        _fail(f"backward_pass returned no {missing[0]!r}: the dictionary must hold "
              f"{', '.join(sorted(order, key=lambda k: (_layer(k), k[1] == 'b')))}; "
              f"it holds {sorted(analytic) or 'nothing'}.", where)
    arrays = {name: _as_array(name, analytic[name], np.shape(numerical[name]), where)
              for name in order}
    comparisons = compare_gradients(arrays, numerical)
    wrong = {c.name for c in comparisons if c.error > tolerance}
    if not wrong:
        return comparisons
    top = max(_layer(name) for name in order)
    first = next(c for c in comparisons if c.name in wrong)
    a, n = arrays[first.name], np.asarray(numerical[first.name], dtype=float)
    difference = np.abs(a - n).ravel()
    worst = int(np.argmax(difference))
    index = _index(worst, a.shape)
    message = (f"{first.name} disagrees with the numerical gradient (max relative error "
               f"{first.max_error:.2g}): {_hint(first.name, wrong, top)}.")
    message += _factor_hint(a, n, n_samples)
    message += (f"\n    Largest difference: {first.name}{index} is {a.ravel()[worst]:.6g} in "
                f"yours, {n.ravel()[worst]:.6g} numerically.")
    layer = _layer(first.name)
    if layer < top:
        above = ", ".join(f"dW{k}, db{k}" for k in range(top, layer, -1))
        message += f"\n    The gradients of the layers above agree ({above})."
    _fail(message, where)
    return comparisons  # not reached


def gradient_table(analytic, numerical: Mapping, *, tolerance: float = WRONG) -> str:
    """Every gradient's relative error as a table, output layer first, the wrong ones marked.

    For display, not for grading: unlike :func:`check_gradients` it never raises because a
    gradient is wrong. A gradient that is missing, has the wrong shape or is not made of numbers
    gets a row that says so. A line after the table names the first wrong gradient, where
    backpropagation goes wrong (a wrong delta spoils every layer below it).
    """
    order = _order(numerical)
    if not isinstance(analytic, Mapping):
        return (f"backward_pass returned {type(analytic).__name__}, not a dictionary of "
                "gradients" + (" (is `return derivatives` still there?)" if analytic is None
                               else "") + ".")
    lines = [f"{'gradient':<10}{'relative error':>15}   verdict"]
    wrong = []
    for name in order:
        expected_shape = np.shape(numerical[name])
        problem = None
        if name not in analytic:
            problem = "missing from the dictionary"
        else:
            try:
                array = np.array(analytic[name], dtype=float)
            except (TypeError, ValueError):
                problem = "not an array of numbers"
            else:
                if array.shape != expected_shape:
                    problem = f"shape {array.shape}, expected {expected_shape}"
        if problem is not None:
            wrong.append(name)
            lines.append(f"{name:<10}{'-':>15}   \u2718 {problem}")
            continue
        error = relative_error(array, numerical[name])
        if not error <= tolerance:  # nan counts as wrong
            wrong.append(name)
            mark = "\u2718 wrong"
        else:
            mark = "\u2714 right" if verdict(error) == "right" else "? suspicious"
        lines.append(f"{name:<10}{error:>15.1e}   {mark}")
    if not wrong:
        if all(line.endswith("right") for line in lines[1:]):
            lines.append("Every gradient agrees with its numerical estimate.")
        else:
            lines.append("No gradient is wrong, but ? marks one that agrees less closely than "
                         "expected: a receptor of a ReLU close to its kink at 0 can do that.")
        return "\n".join(lines)
    first = wrong[0]
    layer, top = _layer(first), max(_layer(name) for name in order)
    # Not at the start of the line: a line that starts with the cross reports a failed check.
    summary = (f"The gradients marked \u2718 disagree with the numerical ones. The first, "
               f"{first}, is where your backpropagation goes wrong")
    if layer < top:
        summary += f": the gradients of the layer{'s' * (top - layer > 1)} above it agree"
    lines.append(summary + ".")
    return "\n".join(lines)
