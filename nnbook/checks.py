"""Friendly checks for the exercises.

Every failure says what was expected, what the learner's code produced, and where to look.
A failing check raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a
failed test) whose message is written for the learner.

Values are compared in plain Python, never with ``np.allclose`` or ``np.testing``: a submission
that replaces numpy's comparison helpers cannot make these checks pass.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["CheckFailed", "answer", "call", "close", "equal", "passed"]


class CheckFailed(AssertionError):
    """A check that failed, with a message meant for the learner."""


def _fail(message: str, where: str | None) -> None:
    if where:
        message = f"{message}\n    Where to look: {where}"
    raise CheckFailed(message)


def answer(name: str):
    """The value the learner stored in the notebook variable ``name``.

    Notebook code runs in ``__main__``; a missing name gets a message that tells the learner to
    run their cell, instead of a bare ``NameError``.
    """
    import __main__

    namespace = vars(__main__)
    if name not in namespace:
        raise CheckFailed(
            f"`{name}` is not defined yet. Run the cell where you compute it "
            "(and the cells above it), then run this check again."
        )
    return namespace[name]


def call(name: str, *args, **kwargs):
    """Call the learner's function ``name``; turn its exceptions into feedback.

    A function that still raises ``NotImplementedError`` gets "replace the stub"; any other
    exception is reported with the call that raised it (the traceback stays attached).
    """
    function = answer(name)
    if not callable(function):
        raise CheckFailed(f"`{name}` should be a function, but it is {type(function).__name__}.")
    shown = ", ".join([_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()])
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(
            f"{name} still raises NotImplementedError: replace the line "
            "`raise NotImplementedError()` with your code, run that cell, then this check."
        ) from None
    except Exception as error:
        raise CheckFailed(
            f"{name}({shown}) raised {type(error).__name__}: {error}"
        ) from error


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float_array(name: str, value, where: str | None) -> np.ndarray:
    if value is None:
        _fail(f"{name} is None: the exercise code has not produced a value yet.", where)
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{name} should be a number or an array of numbers, got {value!r}.", where)


def _flat(array: np.ndarray) -> list[float]:
    # Plain Python floats: the comparison below uses no numpy function at all.
    items = array.tolist()
    if not isinstance(items, list):
        return [items]
    out: list[float] = []
    stack = [items]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _index(flat_position: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    idx = []
    for size in reversed(shape):
        idx.append(flat_position % size)
        flat_position //= size
    return "[" + ", ".join(str(i) for i in reversed(idx)) + "]"


def _fmt(x: float) -> str:
    return f"{x + 0.0:.6g}"  # + 0.0 prints -0.0 as 0


def _common_factor(pairs: list[tuple[float, float]]) -> float | None:
    """The factor c when every got equals c * expected, else None.

    Reported only when it is telling: several entries share it, or it is a round factor such as
    10, 1/2 or -1 (a forgotten 1/n, 1/2 or sign), not the ratio of two unrelated numbers.
    """
    ratios = [g / e for g, e in pairs if e != 0 and not math.isnan(g)]
    if len(ratios) != len(pairs) or not ratios:
        return None
    c = ratios[0]
    if c == 0 or math.isinf(c) or abs(c - 1) <= 1e-3:
        return None
    if any(abs(r - c) > 1e-4 * abs(c) for r in ratios):
        return None
    whole = abs(c) if abs(c) >= 1 else 1 / abs(c)
    if len(ratios) >= 2 or abs(whole - round(whole)) <= 1e-6 * whole:
        return c
    return None


def close(name: str, got, expected, *, where: str | None = None,
          rtol: float = 1e-5, atol: float = 1e-8) -> None:
    """Check that ``got`` equals ``expected`` up to rounding, shape included.

    The message names the first wrong entry, e.g. ``Z1[0, 1]: expected 0.818, got 0.9``.
    """
    got_arr = _as_float_array(name, got, where)
    exp_arr = np.array(expected, dtype=float)
    if got_arr.size == 1 and exp_arr.size == 1:
        got_arr, exp_arr = got_arr.reshape(()), exp_arr.reshape(())
    if got_arr.shape != exp_arr.shape:
        _fail(f"{name} has shape {got_arr.shape}, expected shape {exp_arr.shape}.", where)
    wrong = []
    for k, (g, e) in enumerate(zip(_flat(got_arr), _flat(exp_arr), strict=True)):
        if math.isnan(g) or abs(g - e) > atol + rtol * abs(e):
            wrong.append((k, g, e))
    if wrong:
        k, g, e = wrong[0]
        message = f"{name}{_index(k, exp_arr.shape)}: expected {_fmt(e)}, got {_fmt(g)}"
        if len(wrong) > 1:
            message += f" ({len(wrong)} of {exp_arr.size} entries are wrong)"
        message += "."
        factor = _common_factor([(g, e) for _, g, e in wrong])
        if factor is not None:
            message += (f" Every wrong entry is {_fmt(factor)} times the expected value: is a "
                        "factor such as 1/n, 1/2 or a sign missing or extra?")
        _fail(message, where)


def _plain(got, expected):
    """``got`` with numpy integers made ints, so ``np.int64(3)`` counts as ``3``."""
    if isinstance(got, numbers.Integral) and not isinstance(got, bool) \
            and isinstance(expected, int) and not isinstance(expected, bool):
        return int(got)
    if isinstance(got, (tuple, list)) and isinstance(expected, (tuple, list)) \
            and len(got) == len(expected):
        return type(got)(_plain(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(got, dict) and isinstance(expected, dict):
        return {k: _plain(v, expected.get(k)) for k, v in got.items()}
    return got


def equal(name: str, got, expected, *, where: str | None = None) -> None:
    """Check an exact answer: an integer, a tuple such as a shape, a dict of shapes, a string."""
    got = _plain(got, expected)
    if isinstance(expected, dict) and isinstance(got, dict):
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            _fail(f"{name} should have the keys {list(expected)}; "
                  + (f"missing {missing}" if missing else "")
                  + ("; " if missing and extra else "")
                  + (f"unexpected {extra}" if extra else "") + ".", where)
        for key in expected:
            equal(f"{name}[{key!r}]", got[key], expected[key], where=where)
        return
    if type(got) is not type(expected) or got != expected:
        _fail(f"{name}: expected {expected!r}, got {got!r}.", where)


def passed(message: str) -> None:
    """Print the line a learner sees when a check passes."""
    print(f"\u2714 {message}")
