"""The grader's half-way point inside a kernel being graded.

The grader sends this file's text into the kernel (it is not imported from the package there)
and then asks, one request at a time: "call this function of the notebook on these arguments",
"give me the value of this name", "make this object", "set this attribute". Arguments arrive
and results leave as JSON: numbers, strings, lists, dicts and arrays, nothing executable. The
grader never trusts what comes back: it only compares it with what its own reference computes.

While a request runs, a notebook function can be replaced by a *callback*: a stand-in that asks
the grader (over the kernel's stdin channel) to compute the value, so a learner's function can
be graded with correct helpers without any reference code entering the kernel. A callback in
PyTorch mode joins autograd: its backward pass is asked of the grader too.
"""

import builtins
import json
import sys
import traceback

import numpy as np

PROMPT = "\x00nnbook-callback:"
_objects = {}
_result = [""]
_MAX_DEPTH = 30


def _torch():
    return sys.modules.get("torch")


def _array(a):
    if a.dtype.kind not in "biuf":
        return None
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.ravel().tolist()}


def encode(value, depth=0):
    if depth > _MAX_DEPTH:
        return {"$other": "too deeply nested", "repr": ""}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"$scalar": value.item(), "dtype": value.dtype.name}
    if value is None or isinstance(value, (bool, str, int, float)):
        if type(value) not in (bool, str, int, float, type(None)):
            if isinstance(value, str):
                return str(value)
            return {"$other": type(value).__name__, "repr": ""}
        return value
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        data = _array(value.detach().cpu().numpy())
        if data is None:
            return {"$other": "Tensor", "repr": str(value.dtype)}
        return {"$array": data, "type": "Tensor", "requires_grad": bool(value.requires_grad)}
    if isinstance(value, np.ndarray):
        data = _array(value)
        if data is None:
            return {"$other": "ndarray", "repr": f"dtype {value.dtype}"}
        return {"$array": data, "type": "ndarray"}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode(k, depth + 1), encode(v, depth + 1)]
                          for k, v in value.items()]}
    try:
        shown = repr(value)[:200]
    except Exception:
        shown = ""
    return {"$other": type(value).__name__, "repr": shown}


def _main():
    return vars(sys.modules["__main__"])


def decode(value):
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$array" in value:
        spec = value["$array"]
        array = np.array(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])
        if value.get("type") == "Tensor":
            torch = _torch()
            if torch is None:
                import torch
            return torch.tensor(array, requires_grad=bool(value.get("requires_grad")))
        return array
    if "$tuple" in value:
        return tuple(decode(v) for v in value["$tuple"])
    if "$dict" in value:
        return {decode(k): decode(v) for k, v in value["$dict"]}
    if "$name" in value:
        name = value["$name"]
        if name not in _main():
            raise _Missing(name)
        return _main()[name]
    if "$obj" in value:
        return _objects[value["$obj"]]
    if "$attr" in value:
        base, name = value["$attr"]
        return getattr(decode(base), name)
    if "$callback" in value:
        return _torch_callback(value["$callback"]) if value.get("torch") else \
            _callback(value["$callback"])
    raise ValueError(f"unknown value {sorted(value)}")


class _Missing(Exception):
    pass


def _ask(callback_id, payload):
    reply = builtins.input(PROMPT + json.dumps({"callback": callback_id, **payload}))
    data = json.loads(reply)
    if "error" in data:
        raise TypeError(data["error"])
    return decode(data["ok"])


def _callback(callback_id):
    def stand_in(*args, **kwargs):
        return _ask(callback_id, {"args": encode(list(args)), "kwargs": encode(kwargs)})
    return stand_in


def _torch_callback(callback_id):
    torch = _torch()

    def stand_in(*args, **kwargs):
        leaves = []

        def strip(value):
            if isinstance(value, torch.Tensor):
                leaves.append(value)
                return {"$leaf": len(leaves) - 1}
            if isinstance(value, (list, tuple)):
                return [strip(v) for v in value]
            if isinstance(value, dict):
                return {"$dict": [[k, strip(v)] for k, v in value.items()]}
            return encode(value)

        skeleton = strip([list(args), kwargs])

        class Remote(torch.autograd.Function):
            @staticmethod
            def forward(ctx, *tensors):
                ctx.save_for_backward(*tensors)
                out = _ask(callback_id, {"mode": "forward", "skeleton": skeleton,
                                         "leaves": [encode(t) for t in tensors]})
                return torch.as_tensor(np.asarray(out), dtype=tensors[0].dtype)

            @staticmethod
            def backward(ctx, grad):
                tensors = ctx.saved_tensors
                grads = _ask(callback_id, {"mode": "vjp", "skeleton": skeleton,
                                           "leaves": [encode(t) for t in tensors],
                                           "grad": encode(grad)})
                return tuple(None if g is None else torch.as_tensor(np.asarray(g),
                                                                     dtype=t.dtype)
                             for g, t in zip(grads, tensors, strict=True))

        return Remote.apply(*leaves)
    return stand_in


def _learner_line(error):
    """The last line of notebook code in the traceback: the learner's line that raised."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        name = frame.filename
        if name.startswith("<ipython-input") or "/ipykernel_" in name:
            found = {"line": frame.lineno, "code": (frame.line or "")[:200]}
    return found


def _run(request):
    op = request["op"]
    if op == "get":
        return {"ok": encode(decode(request["target"]))}
    if op == "has":
        return {"ok": request["name"] in _main()}
    if op == "set":
        setattr(decode(request["target"]), request["name"], decode(request["value"]))
        return {"ok": None}
    if op == "call":
        function = decode(request["target"])
        args = decode(request.get("args", []))
        kwargs = decode(request.get("kwargs", {}))
        namespace = _main()
        forbidden = []
        for module_name, name in request.get("forbid", []):
            package_function = getattr(__import__(module_name, fromlist=[name]), name)
            forbidden.append((package_function, package_function.__code__))
            package_function.__code__ = _refuse.__code__
        saved = {}
        for name, stand_in in request.get("patch", {}).items():
            saved[name] = namespace.get(name, _missing)
            namespace[name] = decode(stand_in)
        try:
            value = function(*args, **kwargs)
        finally:
            for package_function, code in forbidden:
                package_function.__code__ = code
            for name, old in saved.items():
                if old is _missing:
                    namespace.pop(name, None)
                else:
                    namespace[name] = old
        reply = {"ok": encode(value)}
        if request.get("keep"):
            handle = len(_objects) + 1
            _objects[handle] = value
            reply["handle"] = handle
        if request.get("echo_args"):
            reply["args"] = encode(list(args))
            reply["kwargs"] = encode(kwargs)
        return reply
    raise ValueError(f"unknown request {op!r}")


_missing = object()


def _refuse(*args, **kwargs):
    # Runs with the globals of the module whose function it replaces: builtins only.
    raise AssertionError("This exercise asks for your own code, but your answer calls the book's "
                         "package (nnbook) for it instead. Write the computation yourself.")


def run(text):
    try:
        reply = _run(json.loads(text))
    except _Missing as missing:
        reply = {"missing": str(missing.args[0])}
    except BaseException as error:  # the learner's code raised: report, never re-raise
        if isinstance(error, KeyboardInterrupt):
            reply = {"interrupted": True}
        else:
            try:
                message = str(error)[:600]
            except Exception:
                message = ""
            reply = {"error": {"type": type(error).__name__[:60], "message": message,
                               "where": _learner_line(error)}}
    try:
        _result[0] = json.dumps(reply)
    except (TypeError, ValueError) as error:
        _result[0] = json.dumps({"error": {"type": "EncodingError", "message": str(error)[:200],
                                           "where": None}})


def result():
    return _result[0]
