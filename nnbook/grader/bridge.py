"""The grader's narrow channel into a kernel being graded.

A hidden test (``autograder/hidden_tests/<chapter>.py``) gets a :class:`Kernel` and asks it for
values (``kernel.value("Z1")``) or to call the learner's functions on arguments it chose
(``kernel.call("forward", X, W1, b1, ...)``). Requests and answers are JSON made of numbers,
strings, lists, dicts and arrays; answers are decoded here without pickle or ``eval`` and
checked for type and size. Nothing the grader computes, and no line of test code, is sent into
the kernel: the comparison, the score and the message are made here.
"""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from typing import Any

import numpy as np
from jupyter_client import BlockingKernelClient

from nnbook.checks import CheckFailed

KERNEL_SIDE = (Path(__file__).with_name("kernel_side.py")).read_text(encoding="utf-8")
PROMPT = "\x00nnbook-callback:"
#: The largest answer accepted from a kernel (characters of JSON).
MAX_REPLY = 64 * 2**20
#: Arrays with more entries than this are refused.
MAX_ENTRIES = 20_000_000
DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64",
          "uint32", "uint16", "uint8", "bool"}


class KernelGone(Exception):
    """The kernel stopped (or stopped answering) while a hidden test was using it."""


class LearnerError(CheckFailed):
    """The learner's code raised while a hidden test called it."""

    def __init__(self, message: str, type_name: str):
        super().__init__(message)
        self.type_name = type_name


class Tensor(np.ndarray):
    """A PyTorch tensor, as an array here; ``type(t).__name__`` is ``"Tensor"``."""

    requires_grad = False


class Other:
    """A value of a type that does not cross the channel (a module, a function, ...)."""

    def __init__(self, type_name: str, shown: str):
        self.type_name, self.shown = type_name, shown

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.shown}>".strip()


class Ref:
    """A name of the notebook, passed as an argument (the learner's ``relu``, say)."""

    def __init__(self, name: str):
        self.name = name


class Callback:
    """A grader function that the kernel may call back while a request runs.

    Once sent, a callback stays valid for the kernel's life: a stand-in set on an object
    (``net.set("forward_pass", kernel.callback(f))``) keeps working in later requests.
    """

    def __init__(self, function: Callable, torch: bool = False):
        self.function, self.torch = function, torch


class Remote:
    """An object that lives in the kernel (a learner's ``NN``), by its handle."""

    def __init__(self, kernel: Kernel, handle: int, type_name: str):
        self.kernel, self.handle, self.type_name = kernel, handle, type_name

    def attr(self, name: str) -> dict:
        return {"$attr": [{"$obj": self.handle}, name]}

    def call(self, method: str, *args, **kwargs):
        return self.kernel.run(self.attr(method), args, kwargs, label=method).value

    def run(self, method: str, args=(), kwargs=None, **options) -> Reply:
        return self.kernel.run(self.attr(method), args, kwargs, label=method, **options)

    def get(self, name: str):
        return self.kernel._get(self.attr(name), f"{self.type_name}.{name}")

    def set(self, name: str, value) -> None:
        self.kernel._request({"op": "set", "target": {"$obj": self.handle}, "name": name,
                              "value": self.kernel.encode(value)}, label=name)


class Reply:
    def __init__(self, value, args=None, kwargs=None, remote: Remote | None = None):
        self.value, self.args, self.kwargs, self.remote = value, args, kwargs, remote


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    if isinstance(value, Remote):
        return f"<your {value.type_name}>"
    if isinstance(value, (Ref, Callback)):
        return getattr(value, "name", "<function>")
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Kernel:
    """Requests to one kernel. ``interrupt`` is called when a request overruns its time."""

    def __init__(self, connection_info: dict, *, call_timeout: float = 10.0,
                 interrupt: Callable[[], None] | None = None, is_alive=None, log=None,
                 timed_out: set[str] | None = None):
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection_info)
        self.client.start_channels()
        self.call_timeout = call_timeout
        self._interrupt, self._is_alive, self.log = interrupt, is_alive, log
        self._callbacks: dict[int, Callback] = {}
        # Functions that overran once are not run again (shared across a notebook's kernels).
        self.timed_out: set[str] = set() if timed_out is None else timed_out
        self.gone = False
        self._install()

    def close(self) -> None:
        self.client.stop_channels()

    # -- the wire ------------------------------------------------------------------------
    def _execute(self, code: str, timeout: float, label: str) -> dict:
        if self.gone:
            raise KernelGone("the kernel had already stopped")
        msg_id = self.client.execute(code, silent=True, store_history=False, allow_stdin=True,
                                     user_expressions={"r": "__import__('_nnbook_bridge')."
                                                            "result()"})
        deadline, interrupted = time.monotonic() + timeout, False
        while True:
            self._drain_iopub()
            try:
                request = self.client.get_stdin_msg(timeout=0.005)
            except Empty:
                pass
            except ValueError:  # a message cut short by an interrupt: the channel is broken
                self.gone = True
                raise KernelGone("the kernel's messages could not be read") from None
            else:
                self._answer(request, late=interrupted or time.monotonic() > deadline)
                continue
            try:
                reply = self.client.get_shell_msg(timeout=0.02)
            except ValueError:
                self.gone = True
                raise KernelGone("the kernel's messages could not be read") from None
            except Empty:
                if self._is_alive is not None and not self._is_alive():
                    self.gone = True
                    raise KernelGone("the kernel stopped") from None
                if time.monotonic() > deadline:
                    if interrupted:
                        self.gone = True
                        raise KernelGone(f"{label} did not stop when interrupted") from None
                    interrupted = True
                    self.timed_out.add(label)
                    self.interrupt()
                    deadline = time.monotonic() + 5
                continue
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if interrupted:
                raise CheckFailed(
                    f"{label} did not finish within {self.call_timeout:g} s, so it was stopped "
                    "(a loop that never ends?). It is not run again in the checks that follow.")
            return reply["content"]

    def interrupt(self) -> None:
        """Ask the kernel to interrupt what it runs (a signal would stop at the sandbox)."""
        if self._interrupt is not None:
            self._interrupt()
            return
        self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))

    def _drain_iopub(self) -> None:
        while True:
            try:
                self.client.get_iopub_msg(timeout=0)
            except Empty:
                return

    def _answer(self, request: dict, late: bool = False) -> None:
        prompt = request.get("content", {}).get("prompt", "")
        try:
            if late:  # past its time: refuse, so the call stops without an interrupt
                raise TimeoutError("the call has run out of time")
            if not prompt.startswith(PROMPT):
                raise ValueError("the grader does not answer input() while grading")
            asked = json.loads(prompt[len(PROMPT):])
            callback = self._callbacks[int(asked["callback"])]
            value = self._run_callback(callback, asked)
            answer = json.dumps({"ok": self.encode(value)})
        except Exception as error:  # noqa: BLE001 (the kernel gets the reason, as data)
            answer = json.dumps({"error": f"{type(error).__name__}: {error}"[:300]})
        self.client.input(answer)

    def _run_callback(self, callback: Callback, asked: dict):
        if not callback.torch:
            args = decode(asked["args"])
            kwargs = decode(asked["kwargs"])
            return callback.function(*args, **kwargs)
        import torch

        leaves = [torch.tensor(np.asarray(decode(leaf)), requires_grad=True)
                  for leaf in asked["leaves"]]

        def fill(value):
            if isinstance(value, dict) and "$leaf" in value:
                return leaves[int(value["$leaf"])]
            if isinstance(value, dict) and "$dict" in value:
                return {k: fill(v) for k, v in value["$dict"]}
            if isinstance(value, list):
                return [fill(v) for v in value]
            return decode(value)

        args, kwargs = fill(asked["skeleton"])
        out = callback.function(*args, **kwargs)
        if asked.get("mode") == "vjp":
            grad = torch.tensor(np.asarray(decode(asked["grad"])), dtype=out.dtype)
            grads = torch.autograd.grad(out, leaves, grad_outputs=grad, allow_unused=True)
            return [None if g is None else g.detach().numpy() for g in grads]
        return out.detach().numpy()

    def _install(self) -> None:
        code = ("exec(\"import sys, types\\nm = types.ModuleType('_nnbook_bridge')\\n"
                "exec(SRC, m.__dict__)\\nsys.modules['_nnbook_bridge'] = m\", "
                f"{{'SRC': {KERNEL_SIDE!r}}})")
        content = self._execute(code, 60, "the grader's setup")
        if content.get("status") != "ok":
            raise KernelGone("the grader could not set up its channel in the kernel")

    def _request(self, request: dict, *, label: str, timeout: float | None = None) -> dict:
        code = f"__import__('_nnbook_bridge').run({json.dumps(request)!r})"
        content = self._execute(code, timeout or self.call_timeout, label)
        text = (content.get("user_expressions", {}).get("r", {}).get("data", {})
                .get("text/plain", ""))
        if not isinstance(text, str) or len(text) > MAX_REPLY or text[:1] not in "'\"":
            raise CheckFailed(f"{label}: the kernel's answer could not be read (was the "
                              "notebook's Python changed?).")
        try:
            reply = json.loads(ast.literal_eval(text))
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            raise CheckFailed(f"{label}: the kernel's answer could not be read.") from None
        if not isinstance(reply, dict):
            raise CheckFailed(f"{label}: the kernel's answer could not be read.")
        return reply

    # -- values ----------------------------------------------------------------------------
    def encode(self, value, depth: int = 0):
        if depth > 30:
            raise ValueError("value nested too deeply to send")
        if isinstance(value, Ref):
            return {"$name": value.name}
        if isinstance(value, Remote):
            return {"$obj": value.handle}
        if isinstance(value, Callback):
            key = len(self._callbacks) + 1
            self._callbacks[key] = value
            return {"$callback": key, "torch": value.torch}
        if isinstance(value, dict) and ("$attr" in value or "$obj" in value):
            return value
        if isinstance(value, Tensor) or getattr(value, "_send_as_tensor", False):
            array = np.asarray(value)
            return {"$array": _array_spec(array), "type": "Tensor",
                    "requires_grad": bool(getattr(value, "requires_grad", False))}
        if isinstance(value, np.ndarray):
            return {"$array": _array_spec(value), "type": "ndarray"}
        if isinstance(value, np.generic):
            return value.item()
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, list):
            return [self.encode(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)]
                              for k, v in value.items()]}
        raise TypeError(f"cannot send a {type(value).__name__} to the kernel")

    @staticmethod
    def ref(name: str) -> Ref:
        return Ref(name)

    @staticmethod
    def callback(function: Callable, torch: bool = False) -> Callback:
        return Callback(function, torch)

    @staticmethod
    def tensor(array, requires_grad: bool = False) -> Tensor:
        out = np.array(array, dtype=float).view(Tensor)
        out.requires_grad = requires_grad
        return out

    def defined(self, name: str) -> bool:
        return bool(self._request({"op": "has", "name": name}, label=name).get("ok"))

    def value(self, name: str):
        """The notebook's variable ``name``, as plain data."""
        return self._get(_target(name), name)

    def _get(self, target: dict, label: str):
        reply = self._request({"op": "get", "target": target}, label=label)
        if "missing" in reply:
            raise CheckFailed(f"`{reply['missing']}` is not defined: run the cell where you "
                              "compute it (and the cells above it).")
        if "error" in reply:
            raise self._learner_error(label, "", reply["error"])
        return decode(reply.get("ok"))

    def call(self, function: str, *args, **kwargs):
        """The learner's ``function(*args, **kwargs)``, run in the kernel; its result as data."""
        return self.run(function, args, kwargs).value

    def new(self, class_name: str, *args, **kwargs) -> Remote:
        """An object made in the kernel by the learner's class; use it through its handle."""
        return self.run(class_name, args, kwargs, keep=True).remote

    def run(self, target, args=(), kwargs=None, *, helpers: dict | None = None,
            echo_args: bool = False, keep: bool = False, label: str | None = None,
            timeout: float | None = None, forbid: tuple[str, ...] = ()) -> Reply:
        """Call ``target`` (a notebook name or a remote method) with more options.

        ``helpers`` maps notebook names to grader functions (wrap them with
        :meth:`callback`) that stand in for the learner's while the call runs; ``echo_args``
        returns the arguments as they are after the call (to see what it changed in place);
        ``keep`` keeps the result in the kernel and returns a :class:`Remote`; ``forbid``
        names package functions (``"nnbook.gradcheck.numerical_gradient"``) that fail while
        the call runs, for exercises that ask for the learner's own version of them.
        """
        kwargs = kwargs or {}
        label = label or (target if isinstance(target, str) else "the function")
        shown = ", ".join([_describe(a) for a in args]
                          + [f"{k}={_describe(v)}" for k, v in kwargs.items()])
        if label in self.timed_out:
            raise CheckFailed(f"{label}({shown}) was not run: it did not finish within "
                              f"{self.call_timeout:g} s in an earlier check.")
        request = {"op": "call", "target": _target(target),
                   "args": self.encode(list(args)), "kwargs": self.encode(kwargs),
                   "patch": {k: self.encode(v if isinstance(v, Callback) else Callback(v))
                             for k, v in (helpers or {}).items()},
                   "keep": keep, "echo_args": echo_args,
                   "forbid": [name.rsplit(".", 1) for name in forbid]}
        reply = self._request(request, label=label, timeout=timeout)
        if "missing" in reply:
            raise CheckFailed(f"`{reply['missing']}` is not defined: run the cell where you "
                              "define it (and the cells above it).")
        if "interrupted" in reply:
            raise CheckFailed(f"{label}({shown}) was interrupted.")
        if "error" in reply:
            raise self._learner_error(label, shown, reply["error"])
        value = decode(reply.get("ok"))
        remote = None
        if keep:
            remote = Remote(self, int(reply["handle"]), getattr(value, "type_name", label))
        return Reply(value, decode(reply["args"]) if echo_args else None,
                     decode(reply["kwargs"]) if echo_args else None, remote)

    @staticmethod
    def _learner_error(label: str, shown: str, error: dict) -> LearnerError:
        type_name = str(error.get("type", "Exception"))[:60]
        if type_name == "NotImplementedError":
            return LearnerError(
                f"{label} still raises NotImplementedError: replace the line "
                "`raise NotImplementedError()` with your code.", type_name)
        message = f"{label}({shown}) raised {type_name}: {str(error.get('message', ''))[:300]}"
        where = error.get("where")
        if isinstance(where, dict) and where.get("code"):
            message += f"\n    in your line {where.get('line')}: {str(where['code'])[:160]}"
        return LearnerError(message, type_name)


def _target(target) -> dict:
    """``"forward"`` or ``"NN.with_weights"`` (a name, then attributes) as a request target."""
    if not isinstance(target, str):
        return target
    first, *attributes = target.split(".")
    expression = {"$name": first}
    for name in attributes:
        expression = {"$attr": [expression, name]}
    return expression


def _array_spec(array: np.ndarray) -> dict:
    if array.dtype.kind not in "biuf":
        raise TypeError(f"cannot send an array of {array.dtype}")
    return {"dtype": array.dtype.name, "shape": list(array.shape),
            "data": array.ravel().tolist()}


def decode(value, depth: int = 0) -> Any:
    """Plain data from the kernel's JSON: arrays, numbers, strings, lists, tuples, dicts."""
    if depth > 40:
        raise CheckFailed("the kernel's answer is nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode(v, depth + 1) for v in value]
    if not isinstance(value, dict):
        raise CheckFailed("the kernel's answer could not be read")
    if "$array" in value:
        spec = value["$array"]
        dtype, shape = spec.get("dtype"), spec.get("shape")
        if dtype not in DTYPES or not isinstance(shape, list) or \
                not all(isinstance(n, int) and n >= 0 for n in shape):
            raise CheckFailed("the kernel's answer holds an array that could not be read")
        size = int(np.prod(shape)) if shape else 1
        data = spec.get("data")
        if size > MAX_ENTRIES or not isinstance(data, list) or len(data) != size or \
                not all(isinstance(x, (int, float, bool)) for x in data):
            raise CheckFailed("the kernel's answer holds an array that could not be read")
        array = np.array(data, dtype=dtype).reshape(shape)
        if value.get("type") == "Tensor":
            array = array.view(Tensor)
            array.requires_grad = bool(value.get("requires_grad"))
        return array
    if "$scalar" in value:
        dtype = value.get("dtype")
        if dtype not in DTYPES or not isinstance(value["$scalar"], (int, float, bool)):
            raise CheckFailed("the kernel's answer holds a number that could not be read")
        return np.dtype(dtype).type(value["$scalar"])
    if "$tuple" in value:
        return tuple(decode(v, depth + 1) for v in value["$tuple"])
    if "$dict" in value:
        out = {}
        for pair in value["$dict"]:
            key = decode(pair[0], depth + 1)
            try:
                hash(key)
            except TypeError:
                key = repr(key)
            out[key] = decode(pair[1], depth + 1)
        return out
    if "$other" in value:
        return Other(str(value["$other"])[:60], str(value.get("repr", ""))[:200])
    raise CheckFailed("the kernel's answer could not be read")
