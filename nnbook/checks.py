"""Friendly checks for the exercises.

Every failure says what was expected, what the learner's code produced, and where to look.
A failing check raises :class:`CheckFailed` (an ``AssertionError``, so nbgrader counts it as a
failed test) whose message is written for the learner.

Values are compared in plain Python, never with ``np.allclose`` or ``np.testing``: a submission
that replaces numpy's comparison helpers cannot make these checks pass.

In IPython (JupyterLab, nbclient) a failed check shows its message alone, at most
``MAX_FEEDBACK_LINES`` lines and no traceback through this package. Importing this module in a
notebook kernel also makes the other feedback short and specific (:func:`install_notebook_hooks`):
an exercise that still raises ``NotImplementedError`` says it is not finished, common NumPy and
PyTorch errors in the learner's own cells are explained in the book's terms, and a check whose
value is missing because the learner's cell raised says that this cell failed.
"""

from __future__ import annotations

import ast
import linecache
import math
import numbers
import os
import re
import sys
import textwrap

import numpy as np

__all__ = ["MAX_FEEDBACK_LINES", "CheckFailed", "answer", "call", "close", "equal", "explain",
           "install_notebook_hooks", "passed"]

#: The longest feedback a learner sees for one failure, in lines of at most FEEDBACK_WIDTH.
MAX_FEEDBACK_LINES = 8
FEEDBACK_WIDTH = 100
FAILED_MARK = "\u2718"
WHERE_MARKER = "\n    Where to look: "


def _wrapped(text: str) -> list[str]:
    lines: list[str] = []
    for raw in text.splitlines():
        indent = raw[:len(raw) - len(raw.lstrip())]
        lines += textwrap.wrap(raw, FEEDBACK_WIDTH, subsequent_indent=indent + "  ",
                               break_on_hyphens=False) or [""]
    return lines


def _feedback_lines(text: str) -> list[str]:
    """``text`` as a learner reads it: wrapped, at most ``MAX_FEEDBACK_LINES`` lines.

    A text too long is shortened with "...", the "Where to look" part last (three lines at
    most), the rest first.
    """
    head, marker, where = text.partition(WHERE_MARKER)
    head_lines = _wrapped(head)
    where_lines = _wrapped(marker.lstrip("\n") + where) if marker else []
    if len(head_lines) + len(where_lines) <= MAX_FEEDBACK_LINES:
        return head_lines + where_lines
    if len(where_lines) > 3:
        where_lines = where_lines[:2] + [where_lines[2][:FEEDBACK_WIDTH - 4].rstrip() + " ..."]
    room = MAX_FEEDBACK_LINES - len(where_lines)
    if len(head_lines) > room:
        head_lines = head_lines[:room - 1] + ["  ..."]
    return head_lines + where_lines


class CheckFailed(AssertionError):
    """A check that failed, with a message meant for the learner.

    IPython shows an exception through its ``_render_traceback_`` when it has one: a learner
    sees the message with a ✘, not a traceback through the checks.
    """

    def _render_traceback_(self) -> list[str]:
        return _feedback_lines(f"{FAILED_MARK} {self}")


def _fail(message: str, where: str | None) -> None:
    if where:
        message = f"{message}{WHERE_MARKER}{where}"
    raise CheckFailed(message)


def answer(name: str):
    """The value the learner stored in the notebook variable ``name``.

    Notebook code runs in ``__main__``; a missing name gets a message that tells the learner to
    run their cell or, when the cell that computes it raised, that this cell failed.
    """
    import __main__

    namespace = vars(__main__)
    if name not in namespace:
        failure = _failed_cell_for(name)
        if failure is not None:
            raise CheckFailed(failure)
        raise CheckFailed(
            f"`{name}` is not defined yet. Run the cell where you compute it "
            "(and the cells above it), then run this check again."
        )
    return namespace[name]


def call(name: str, *args, **kwargs):
    """Call the learner's function ``name``; turn its exceptions into feedback.

    A function that still raises ``NotImplementedError`` gets "replace the stub"; any other
    exception is reported with the learner's line that raised and, for the common NumPy and
    PyTorch errors, what it means (:func:`explain`). The traceback stays attached as the cause.
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
            f"{name}({shown}) raised {type(error).__name__}" + _learner_error_text(error)
        ) from error


# -- explaining errors raised by the learner's code ------------------------------------------
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(p) for p in (sys.prefix, sys.base_prefix,
                                                           sys.exec_prefix)}))


def _is_learner_file(filename: str) -> bool:
    """Code the learner wrote: a notebook cell or their own file, not this package or a library."""
    if filename.startswith("<"):
        return filename.startswith("<ipython-input")
    path = os.path.abspath(filename)
    if path.startswith(_PACKAGE_DIR + os.sep):
        return False
    return not any(path.startswith(folder + os.sep) for folder in _LIBRARY_DIRS)


def _learner_frame(error: BaseException):
    """The innermost frame of the learner's code in the traceback, and its line number."""
    found = None
    tb = error.__traceback__
    while tb is not None:
        if _is_learner_file(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _simple_expression(node: ast.AST) -> bool:
    """A name, an attribute or a constant subscript (``W1``, ``W1.T``, ``params['W1']``):
    safe to evaluate again to show its shape."""
    if isinstance(node, ast.Name):
        return True
    if isinstance(node, ast.Attribute):
        return _simple_expression(node.value)
    if isinstance(node, ast.Subscript):
        return _simple_expression(node.value) and isinstance(node.slice, ast.Constant)
    return False


def _product_operands(line: str) -> list[tuple[str, str]]:
    """Each matrix product in ``line``, as the source text of its two operands."""
    try:
        tree = ast.parse(line.strip())
    except SyntaxError:
        return []
    pairs = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            pairs.append((node.left, node.right))
        elif isinstance(node, ast.Call) and len(node.args) == 2 and (
                getattr(node.func, "attr", None) in ("dot", "matmul", "mm")
                or getattr(node.func, "id", None) in ("dot", "matmul")):
            pairs.append((node.args[0], node.args[1]))
    return [(ast.unparse(a), ast.unparse(b)) for a, b in pairs
            if _simple_expression(a) and _simple_expression(b)]


def _operand_shapes(frame, line: str) -> str | None:
    """``X`` has shape (10, 2) and ``W1`` has shape (3, 2)``, for the first product whose
    operands do not fit."""
    if frame is None:
        return None
    for left, right in _product_operands(line):
        try:
            a, b = (eval(text, frame.f_globals, frame.f_locals) for text in (left, right))
            shape_a, shape_b = tuple(a.shape), tuple(b.shape)
        except Exception:
            continue
        if shape_a and shape_b and shape_a[-1] != shape_b[0 if len(shape_b) == 1 else -2]:
            return f"`{left}` has shape {shape_a} and `{right}` has shape {shape_b}"
    return None


def _translation(error: BaseException, frame, line: str) -> str | None:
    """What a common NumPy / PyTorch error means in the book's terms, or None."""
    text = str(error)
    kind = type(error).__name__
    if ("matmul" in text and "mismatch in its core dimension" in text) or \
            "not aligned" in text or "cannot be multiplied" in text:
        shapes = _operand_shapes(frame, line) or "the shapes of the two operands"
        return (f"The shapes do not fit a matrix product: {shapes}. The number of columns on "
                "the left must equal the number of rows on the right: a transpose, or the "
                "operands in the wrong order?")
    match = re.search(r"broadcast together with shapes ([\d(), ]+?)(?:$| remapped)", text)
    if match or "must match the size of tensor" in text:
        shapes = f" ({match.group(1).strip()})" if match else ""
        return (f"Two arrays of different shapes{shapes} were combined entry by entry. NumPy "
                "stretches an axis only where its size is 1 (broadcasting): print both "
                "shapes; is one of them transposed, or the wrong array?")
    if "does not require grad" in text:
        return ("Autograd has nothing to differentiate: the tensors must be created with "
                "requires_grad=True, and the result computed from them with torch "
                "operations only (no .detach(), .item() or NumPy on the way).")
    if "leaf Variable that requires grad" in text:
        return ("A parameter was changed in place while autograd records it: do the update "
                "inside `with torch.no_grad():`.")
    if "numpy() on Tensor that requires grad" in text or (
            kind == "TypeError" and "numpy.ndarray" in text and "Tensor" in text):
        return ("NumPy and PyTorch were mixed: inside a torch function use torch operations "
                "(torch.exp, torch.maximum, ...) on tensors, so that autograd can follow "
                "them; turn NumPy arrays into tensors with torch.as_tensor.")
    if "expected scalar type" in text or "same dtype" in text:
        return ("Tensors of two different dtypes met (float32 and float64?): create them all "
                "with the same dtype.")
    if kind == "TypeError" and "'dict'" in text:
        return ("A dict was used where an array was expected: take the entry you need from "
                "it, by its key.")
    if kind == "IndexError" and "too many indices" in text:
        return ("More indices than the array has axes: print its shape (a 1-D array needs "
                "one index).")
    if kind == "KeyError":
        return (f"There is no key {text} in that dict: compare the key with the names the "
                "exercise asks for (spelling, capitals, layer number).")
    return None


def explain(error: BaseException) -> list[str]:
    """What went wrong in the learner's code, in at most four short lines.

    The learner's line that raised (the innermost frame of notebook code) and, for the common
    NumPy / PyTorch errors (shapes that do not fit a product, broadcasting, tensors without
    ``requires_grad``, NumPy inside a torch function, a dict used as an array), what it means.
    Other errors get their own first line of message.
    """
    found = _learner_frame(error)
    frame, lineno = found if found else (None, None)
    line = linecache.getline(frame.f_code.co_filename, lineno).strip() if frame else ""
    lines = [f"in your line:  {line[:FEEDBACK_WIDTH - 20]}"] if line else []
    meaning = _translation(error, frame, line)
    original = (str(error).strip().splitlines() or [""])[0]
    if len(original) > 160:
        original = original[:157] + "..."
    if meaning:
        lines.append(meaning)
        lines.append(f"({type(error).__name__}: {original})")
    else:
        lines.append(f"{type(error).__name__}: {original}")
    return lines


def _learner_error_text(error: BaseException) -> str:
    lines = explain(error)
    if lines and lines[0].startswith("in your line:"):
        first, rest = " " + lines[0], lines[1:]
    else:
        first, rest = ":", lines
    if rest and rest[-1].startswith(type(error).__name__ + ":"):  # no translation: say it once
        rest[-1] = rest[-1][len(type(error).__name__) + 2:]
    return first + "".join("\n    " + line for line in rest)


# -- the notebook kernel: unfinished exercises, failed cells ---------------------------------
#: The cells that raised, most recent last: (the cell's id or source, its source, the error).
_failed_cells: list[tuple[str, str, BaseException]] = []


def _remember_execution(result) -> None:
    """IPython's post_run_cell hook: keep the learner's cells that raised (not the checks)."""
    info = result.info
    source = info.raw_cell or ""
    key = getattr(info, "cell_id", None) or source
    _failed_cells[:] = [entry for entry in _failed_cells if entry[0] != key]
    error = result.error_before_exec or result.error_in_exec
    if error is not None and not isinstance(error, CheckFailed):
        _failed_cells.append((key, source, error))
        del _failed_cells[:-20]


def _assigning_line(source: str, name: str) -> str | None:
    """The first line of ``source`` that gives ``name`` a value (assignment, def, for, import,
    with ... as), or None when it does not."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell that does not even parse: its mention of the name will do
        return next((line.strip() for line in source.splitlines()
                     if re.search(rf"(?<![\w.]){re.escape(name)}\b", line)), None)
    lines = source.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
                node.name == name:
            return lines[node.lineno - 1].strip()
        if isinstance(node, ast.alias) and (node.asname or node.name).split(".")[0] == name:
            return lines[node.lineno - 1].strip()
        if isinstance(node, ast.Name) and node.id == name and \
                isinstance(node.ctx, ast.Store):
            return lines[node.lineno - 1].strip()
    return None


def _failed_cell_for(name: str) -> str | None:
    """Why ``name`` is missing when the last cell that gives it a value raised, else None."""
    for _, source, error in reversed(_failed_cells):
        line = _assigning_line(source, name)
        if line is None:
            continue
        if len(line) > 60:
            line = line[:57] + "..."
        if isinstance(error, NotImplementedError):
            return (f"`{name}` has no value: the cell that computes it (at `{line}`) stopped "
                    "with NotImplementedError, an exercise not finished yet. Finish it, run "
                    "that cell, then this one.")
        return (f"`{name}` has no value: the cell that computes it (at `{line}`) stopped with "
                f"{type(error).__name__}. Fix that cell (its message says what went wrong), "
                "run it, then this one.")
    return None


def _unfinished_text(error: NotImplementedError) -> str:
    """Which exercise is unfinished: the one in this cell, or one above that this cell uses."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        if _is_learner_file(tb.tb_frame.f_code.co_filename):
            frames.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    if not frames or frames[-1].co_name == "<module>":
        return (f"{FAILED_MARK} Not finished yet: this exercise still raises "
                "NotImplementedError.\n  Replace `raise NotImplementedError()` with your code "
                f"and run this cell again; the checks below show {FAILED_MARK} until then.")
    function = frames[-1].co_name
    if frames[-1].co_filename == frames[0].co_filename:  # defined in this very cell
        return (f"{FAILED_MARK} Not finished yet: `{function}` still raises "
                "NotImplementedError.\n  Replace `raise NotImplementedError()` with your code "
                f"and run this cell again; the checks below show {FAILED_MARK} until then.")
    return (f"{FAILED_MARK} `{function}` is not finished yet: this cell uses it, and it still "
            "raises NotImplementedError.\n  Finish that exercise above and run its cell; "
            "then this cell will run.")


def _show_learner_error(shell, etype, value, tb, tb_offset=None):
    """IPython's handler of exceptions in a cell: short feedback for what we can explain."""
    if isinstance(value, NotImplementedError):
        lines = _feedback_lines(_unfinished_text(value))
        value._render_traceback_ = lambda: lines
    elif isinstance(value, NameError) and getattr(value, "name", None) and \
            _failed_cell_for(value.name):
        # A worked example after an exercise whose cell raised: say which cell, not "run it".
        lines = _feedback_lines(f"{FAILED_MARK} NameError: {_failed_cell_for(value.name)}")
        value._render_traceback_ = lambda: lines
    elif not isinstance(value, CheckFailed) and not hasattr(value, "_render_traceback_"):
        explained = explain(value)
        if len(explained) > 2:  # a translation: the line, its meaning, the original message
            text = f"{FAILED_MARK} {etype.__name__} " + explained[0] + "".join(
                "\n  " + line for line in explained[1:])
            value._render_traceback_ = lambda: _feedback_lines(text)
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def install_notebook_hooks(shell=None) -> bool:
    """Make the kernel's feedback short and specific; done when a notebook imports this module.

    Registers :func:`_show_learner_error` for exceptions in cells and a ``post_run_cell`` hook
    that remembers which cells raised (see :func:`answer`). Returns False outside IPython.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    previous = getattr(shell, "_nnbook_post_run_cell", None)
    if previous is not None:  # imported again (importlib.reload): replace, do not add
        try:
            shell.events.unregister("post_run_cell", previous)
        except ValueError:
            pass
    shell.events.register("post_run_cell", _remember_execution)
    shell._nnbook_post_run_cell = _remember_execution
    shell.set_custom_exc((Exception,), _show_learner_error)
    return True


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_float_array(name: str, value, where: str | None) -> np.ndarray:
    if value is None:
        _fail(f"{name} is None: the exercise code has not produced a value yet.", where)
    if isinstance(value, dict):
        keys = ", ".join(repr(k) for k in list(value)[:6])
        _fail(f"{name} is a dict (keys {keys}), but an array was expected: is the whole dict "
              "returned or passed on where one of its entries belongs?", where)
    if not isinstance(value, np.ndarray) and hasattr(value, "detach") and \
            hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()  # a torch tensor, requires_grad or not
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{name} should be a number or an array of numbers, got {_short(value)}.", where)


#: Relative rounding error allowed per unit of a dtype's machine epsilon, measured against the
#: largest entry expected: a float32 computation of a few dozen operations stays within it.
ROUNDING_UNITS = 64


def _machine_epsilon(value) -> float:
    """The precision ``value`` was computed in: float32 and float16 answers are judged by
    their own precision, everything else by float64's."""
    dtype = getattr(value, "dtype", None)
    if dtype is None and isinstance(value, (list, tuple)) and value:
        dtype = getattr(value[0], "dtype", None)
    name = str(dtype).replace("torch.", "") if dtype is not None else "float64"
    if name in ("float32", "float16", "bfloat16", "complex64"):
        return {"float32": 2.0**-23, "complex64": 2.0**-23, "float16": 2.0**-10,
                "bfloat16": 2.0**-7}[name]
    return 2.0**-52
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


def _fmt_pair(expected: float, got: float) -> tuple[str, str]:
    """Both numbers with enough significant digits that their difference shows in the last two
    (6 at least, as many as float64 has at most)."""
    digits = 6
    difference = abs(got - expected)
    size = max(abs(got), abs(expected))
    if 0 < difference < size and math.isfinite(size):
        digits = min(17, max(6, math.ceil(math.log10(size / difference)) + 2))
    return f"{expected + 0.0:.{digits}g}", f"{got + 0.0:.{digits}g}"


def _is_near(value: float, target: float) -> bool:
    return abs(value - target) <= 1e-6 * max(abs(target), 1e-12)


def _factor_hint(c: float, learning_rate: float | None, subject: str) -> str:
    """What a common factor ``c`` between got and expected suggests."""
    if _is_near(c, -1.0):
        return f" {subject} has the opposite sign of the expected one: is a sign flipped?"
    if learning_rate:
        if _is_near(c, 1 / learning_rate):
            return (f" {subject} is 1/learning_rate ({_fmt(1 / learning_rate)}) times the "
                    "expected one: is the learning rate missing?")
        if _is_near(c, learning_rate):
            return (f" {subject} is learning_rate ({_fmt(learning_rate)}) times the "
                    "expected one: is the learning rate applied twice, or where it does not "
                    "belong?")
        if _is_near(c, -1 / learning_rate) or _is_near(c, -learning_rate):
            return (f" {subject} has the opposite sign and is off by the learning rate "
                    f"({_fmt(c)} times the expected one): look at the sign and the learning "
                    "rate.")
    return (f" {subject} is {_fmt(c)} times the expected value: is a factor such as 1/n, 1/2 "
            "or a sign missing or extra?")


def _common_factor(pairs: list[tuple[float, float]], telling=()) -> float | None:
    """The factor c when every got equals c * expected, else None.

    Reported only when it is telling: several entries share it, or it is a round factor such as
    10, 1/2 or -1 (a forgotten 1/n, 1/2 or sign), or one of ``telling`` (the learning rate),
    not the ratio of two unrelated numbers.
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
    if len(ratios) >= 2 or abs(whole - round(whole)) <= 1e-6 * whole or \
            any(_is_near(abs(c), abs(t)) for t in telling if t):
        return c
    return None


def close(name: str, got, expected, *, where: str | None = None,
          rtol: float = 1e-5, atol: float = 1e-8, before=None,
          learning_rate: float | None = None) -> None:
    """Check that ``got`` equals ``expected`` up to rounding, shape included.

    The message names the first wrong entry, e.g. ``Z1[0, 1]: expected 0.818, got 0.9``, with
    as many digits as it takes to see the difference. An entry passes within
    ``atol + rtol * |expected|`` plus the rounding error of the answer's own precision
    (``ROUNDING_UNITS`` machine epsilons of its dtype, times the largest entry expected), so a
    float32 answer right to float32 precision passes.

    ``before`` (the value before an update step) lets the message say "not updated" when got
    still equals it, and compare the step taken with the step expected; ``learning_rate``
    lets it recognise a step that is off by the learning rate.
    """
    epsilon = _machine_epsilon(got)
    got_arr = _as_float_array(name, got, where)
    exp_arr = np.array(expected, dtype=float)
    if got_arr.size == 1 and exp_arr.size == 1:
        got_arr, exp_arr = got_arr.reshape(()), exp_arr.reshape(())
    if got_arr.shape != exp_arr.shape:
        _fail(f"{name} has shape {got_arr.shape}, expected shape {exp_arr.shape}.", where)
    expected_flat = _flat(exp_arr)
    scale = max((abs(e) for e in expected_flat if not math.isnan(e)), default=0.0)
    rounding = ROUNDING_UNITS * epsilon * scale
    wrong = []
    for k, (g, e) in enumerate(zip(_flat(got_arr), expected_flat, strict=True)):
        if math.isnan(g) or abs(g - e) > atol + rtol * abs(e) + rounding:
            wrong.append((k, g, e))
    if not wrong:
        return
    k, g, e = wrong[0]
    shown_e, shown_g = _fmt_pair(e, g)
    message = f"{name}{_index(k, exp_arr.shape)}: expected {shown_e}, got {shown_g}"
    if abs(g - e) < 1e-4 * max(abs(g), abs(e)):  # nearly right: say by how much
        allowed = atol + rtol * abs(e) + rounding
        message += f" (off by {abs(g - e):.2g}; allowed {allowed:.2g})"
    if len(wrong) > 1:
        message += f" ({len(wrong)} of {exp_arr.size} entries are wrong)"
    message += "."
    message += _update_hint(name, got_arr, exp_arr, wrong, before, learning_rate, atol, rtol)
    _fail(message, where)


def _update_hint(name, got_arr, exp_arr, wrong, before, learning_rate, atol, rtol) -> str:
    """The common-factor hint: about the step when ``before`` is known, else about the value."""
    if before is not None:
        before_arr = np.array(before, dtype=float)
        if before_arr.shape == exp_arr.shape:
            previous = _flat(before_arr)
            got_flat = _flat(got_arr)
            if all(abs(g - b) <= atol + rtol * abs(b) for g, b in zip(got_flat, previous,
                                                                        strict=True)):
                return (f" {name} still equals its value before the step: it was not updated "
                        "(is the new value computed but not stored?).")
            steps = [(g - previous[k], e - previous[k]) for k, g, e in wrong]
            factor = _common_factor(steps, telling=(learning_rate,))
            if factor is not None:
                return _factor_hint(factor, learning_rate, "The step taken")
            return ""
    factor = _common_factor([(g, e) for _, g, e in wrong], telling=(learning_rate,))
    if factor is None:
        return ""
    if _is_near(factor, -1.0) or (learning_rate and any(
            _is_near(abs(factor), t) for t in (learning_rate, 1 / learning_rate))):
        return _factor_hint(factor, learning_rate, "Every wrong entry")
    return (f" Every wrong entry is {_fmt(factor)} times the expected value: is a factor such as "
            "1/n, 1/2 or a sign missing or extra?")


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


install_notebook_hooks()  # a no-op outside IPython (the grader, pytest, plain Python)
