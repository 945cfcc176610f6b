"""Hidden tests of chapter 6, PyTorch (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, then runs the learner's
function on other architectures, data and weights and compares with the references below.
Models are made in the kernel by the notebook's own ``Net`` and kept there; the grader sets
their parameters to values it chose and reads them back through the channel, so no PyTorch
seed matters and no reference code enters the kernel. ``autograd_gradients`` is graded with a
correct ``forward_torch``: a stand-in whose forward value and backward pass are computed here.
"""

import itertools

import numpy as np
import torch

from nnbook.checks import CheckFailed, close, equal
from nnbook.example import example_weights, make_data
from nnbook.grader.bridge import Kernel, Other
from nnbook.grader.hidden import grades

X, _y = make_data()
Y = _y.reshape(-1, 1)
SHAPES = {"W1": (2, 3), "b1": (1, 3), "W2": (3, 2), "b2": (1, 2), "W3": (2, 1), "b3": (1, 1)}
tensor = Kernel.tensor
#: The attribute the grader sets on kernel objects to tell whether two handles are one object.
MARK = "_nnbook_grader_mark"
_tokens = itertools.count(1)


# -- references ------------------------------------------------------------------------------
def reference_layers(Xr, params):
    """The receptors Z[l] and neurons A[l] (A[0] = Xr): ReLU hidden layers, identity output."""
    layers = len(params) // 2
    Z, A = {}, {0: Xr}
    for l in range(1, layers + 1):
        Z[l] = A[l - 1] @ params[f"W{l}"] + params[f"b{l}"]
        A[l] = Z[l] if l == layers else np.where(Z[l] > 0, Z[l], 0.0)
    return Z, A


def reference_output(Xr, params):
    return reference_layers(Xr, params)[1][len(params) // 2]


def reference_forward_torch(Xr, params):
    """forward_torch in torch operations (the stand-in's value and backward pass)."""
    layers = len(params) // 2
    A = Xr
    for l in range(1, layers + 1):
        Z = A @ params[f"W{l}"] + params[f"b{l}"]
        A = Z if l == layers else torch.clamp(Z, min=0.0)
    return A


def reference_gradients(Xr, Yr, params):
    """dW1, db1, ... of J = 1/(2n) sum (yhat - y)^2, by the delta recursion."""
    layers = len(params) // 2
    Z, A = reference_layers(Xr, params)
    delta = (A[layers] - Yr) / len(Xr)
    out = {}
    for l in range(layers, 0, -1):
        out[f"dW{l}"] = A[l - 1].T @ delta
        out[f"db{l}"] = delta.sum(axis=0, keepdims=True)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * (Z[l - 1] > 0)
    return out


def reference_training(Xr, Yr, params, steps, eta):
    """Full-batch gradient descent on J: the cost before each step, and the final params."""
    params = {k: v.copy() for k, v in params.items()}
    costs = []
    for _ in range(steps):
        costs.append(float(np.sum((reference_output(Xr, params) - Yr) ** 2) / (2 * len(Xr))))
        grads = reference_gradients(Xr, Yr, params)
        params = {k: v - eta * grads["d" + k] for k, v in params.items()}
    return costs, params


# -- data ------------------------------------------------------------------------------------
def random_params(rng, dims, bias_scale=1.0):
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l - 1], dims[l]))
        params[f"b{l}"] = rng.normal(size=(1, dims[l])) * bias_scale
    return params


def torch_like_params(rng, dims):
    """Weights and biases uniform in +-1/sqrt(n(l-1)), like a new nn.Linear's."""
    params = {}
    for l in range(1, len(dims)):
        bound = 1 / np.sqrt(dims[l - 1])
        params[f"W{l}"] = rng.uniform(-bound, bound, size=(dims[l - 1], dims[l]))
        params[f"b{l}"] = rng.uniform(-bound, bound, size=(1, dims[l]))
    return params


def counting_params():
    """The 20 parameters of a 2-3-2-1 Net, in order, hold 0.00, 0.01, ..., 0.19."""
    values, params, start = np.arange(20) / 100, {}, 0
    for l, (n_in, n_out) in enumerate(((2, 3), (3, 2), (2, 1)), start=1):
        params[f"W{l}"] = values[start:start + n_in * n_out].reshape(n_out, n_in).T
        start += n_in * n_out
        params[f"b{l}"] = values[start:start + n_out].reshape(1, n_out)
        start += n_out
    return params


def type_name(value):
    """The type's name of a value from the kernel (an object that does not cross: its own)."""
    return value.type_name if isinstance(value, Other) else type(value).__name__


def dims_of(params):
    layers = len(params) // 2
    return [params["W1"].shape[0]] + [params[f"W{l}"].shape[1] for l in range(1, layers + 1)]


# -- the kernel's objects --------------------------------------------------------------------
def path(base, *names):
    """The expression ``base.name.name...`` (a ModuleList's item by its index as a name)."""
    expression = {"$obj": base.handle} if hasattr(base, "handle") else base
    for name in names:
        expression = {"$attr": [expression, str(name)]}
    return expression


def parameter(model, l, kind):
    """The expression of ``model.layers[l - 1].weight`` (or ``.bias``)."""
    return path(model, "layers", l - 1, kind)


def set_attribute(kernel, target, name, value):
    kernel._request({"op": "set", "target": target, "name": name,
                     "value": kernel.encode(value)}, label=name)


def change_parameters(kernel, model, layers, method, value):
    """``p.data.<method>(value)`` for the weight and bias of each given layer (no recording)."""
    for l in layers:
        for kind in ("weight", "bias"):
            kernel.run(path(parameter(model, l, kind), "data", method), (value,),
                       label=f"model.layers[{l - 1}].{kind}.data.{method}")


def new_net(kernel, params):
    """A ``Net`` made in the kernel, holding ``params`` (our convention)."""
    model = kernel.new("Net", dims_of(params))
    for l in range(1, len(params) // 2 + 1):
        for kind, value in (("weight", params[f"W{l}"].T), ("bias", params[f"b{l}"].ravel())):
            kernel.run(path(parameter(model, l, kind), "data", "copy_"),
                       (tensor(value),), label="setting the model's parameters")
    return model


def layer_values(kernel, model, layers):
    """{(l, "weight"): array, (l, "bias"): array} as the model holds them now."""
    return {(l, kind): kernel._get(parameter(model, l, kind), f"model.layers[{l - 1}].{kind}")
            for l in range(1, layers + 1) for kind in ("weight", "bias")}


def mark(kernel, target):
    token = next(_tokens)
    set_attribute(kernel, target, MARK, token)
    return token


def marked(kernel, target, token):
    try:
        return kernel._get(path(target, MARK), "a mark") == token
    except CheckFailed:
        return False


def same_object(kernel, a, b):
    """Whether the handles ``a`` and ``b`` name one object of the kernel."""
    return marked(kernel, b, mark(kernel, {"$obj": a.handle}))


def kept_in_kernel(kernel, value):
    """``value`` as an object that stays in the kernel (a dict: the caller's dictionary)."""
    remote = kernel.new("__builtins__.dict", value)
    remote.type_name = "dict"  # how messages show it
    return remote


def tensors(params, requires_grad=False):
    """The parameters as float64 tensors, when sent to the kernel."""
    return {k: tensor(v, requires_grad) for k, v in params.items()}


# -- Exercise 12 -----------------------------------------------------------------------------
def forward_tracked(kernel, Xr, params):
    """forward_torch(Xr, params as tensors that record history), kept in the kernel.

    Returns its output, and whether ``output.sum().backward()`` gives W1 a gradient.
    """
    leaves = kept_in_kernel(kernel, tensors(params, requires_grad=True))
    reply = kernel.run("forward_torch", (tensor(Xr), leaves), keep=True)
    try:
        total = kernel.run(reply.remote.attr("sum"), keep=True, label="output.sum").remote
        kernel.run(total.attr("backward"), label="output.sum().backward")
        W1 = kernel.run(leaves.attr("__getitem__"), ("W1",), keep=True, label="W1").remote
        reached = W1.get("grad") is not None
    except CheckFailed:
        reached = False
    return reply.value, reached


@grades("check_forward_torch")
def forward_torch(kernel):
    where = ("Exercise 12: the forward pass of chapter 2, layer by layer for l = 1, ..., L: "
             "receptors Z(l) = X(l-1) W(l) + b(l), of shape (n, n(l)); ReLU in the hidden "
             "layers only, the output layer is the identity. The result stays a float64 tensor.")
    autograd = where + " Autograd follows torch operations only: no NumPy inside the function."
    params = example_weights()
    out = kernel.call("forward_torch", tensor(X), tensors(params))
    equal("type of forward_torch(Xt, params_t)", type_name(out), "Tensor", where=where)
    equal("forward_torch(Xt, params_t).shape", np.shape(out), (10, 1), where=where)
    equal("forward_torch(Xt, params_t).dtype", f"torch.{out.dtype}", "torch.float64",
          where=where)
    close("forward_torch(Xt, params_t)[0, 0]", out[0, 0], 0.0017178, where=where)
    close("sum of forward_torch(Xt, params_t)", np.sum(out), 0.0126966, where=where)
    out = kernel.call("forward_torch", tensor(X),
                      tensors(dict(params, W3=-params["W3"])))
    negative = (where + " With W3 negated every output is negative, and the output layer has "
                "no activation: nothing may cut the negative values off.")
    equal("type of forward_torch(Xt, params_t with W3 negated)", type_name(out), "Tensor",
          where=where)
    equal("forward_torch(Xt, params_t with W3 negated).shape", np.shape(out), (10, 1),
          where=where)
    close("forward_torch(Xt, params_t with W3 negated)[0, 0]", out[0, 0], -0.0017178,
          where=negative)
    close("sum of forward_torch(Xt, params_t with W3 negated)", np.sum(out), -0.0126966,
          where=negative)
    _, reached = forward_tracked(kernel, X, params)
    equal("does autograd reach W1 through forward_torch", reached, True, where=autograd)

    rng = np.random.default_rng(61)
    for dims in ([2, 3, 2, 1], [3, 5, 1], [4, 1], [1, 4, 3, 2, 2], [5, 2, 6, 3]):
        n = int(rng.integers(1, 12))
        Xr = rng.normal(size=(n, dims[0])) * 2
        pr = random_params(rng, dims)
        out, reached = forward_tracked(kernel, Xr, pr)
        label = f"for layers {dims} and {n} samples"
        equal(f"{label}, the type of the output", type_name(out), "Tensor", where=where)
        equal(f"{label}, does autograd reach W1 through forward_torch", reached, True,
              where=autograd)
        close(f"{label}, the output", out, reference_output(Xr, pr), where=where)
    return ("Exercise 12: forward_torch reproduces the forward pass of chapter 2, with an "
            "identity output layer.")


# -- Exercise 13 -----------------------------------------------------------------------------
@grades("check_autograd_gradients")
def autograd_gradients(kernel):
    where = ("Exercise 13: autograd differentiates the averaged cost "
             "J = 1/(2n) sum_i (yhat_i - y_i)^2 with respect to tensors made from the "
             "parameters; return, for every parameter, its "
             "gradient under the key 'd' + its name, as a NumPy array of the parameter's shape.")
    not_tensor = where + " Each gradient must be a NumPy array, not a tensor."
    untouched = where + " Make new tensors; leave the arrays in params as they were."
    # Graded on its own: while it runs, forward_torch is a correct one computed by the grader.
    helpers = {"forward_torch": kernel.callback(reference_forward_torch, torch=True)}

    reply = kernel.run("autograd_gradients", (X, Y, example_weights()), helpers=helpers,
                       echo_args=True)
    got = reply.value
    equal("type of autograd_gradients(X, Y, params)", type_name(got), "dict", where=where)
    equal("shapes of the gradients", {k: tuple(np.shape(v)) for k, v in got.items()},
          {"d" + k: v for k, v in SHAPES.items()}, where=where)
    for k, v in got.items():
        equal(f"type of {k}", type_name(v), "ndarray", where=not_tensor)
    close("dW3", got["dW3"], [[0.0], [-1.37244]], where=where)
    close("db3", got["db3"], [[-70.9987]], where=where)
    close("dW2[1, 1]", got["dW2"][1, 1], -3.18472038, where=where)
    close("dW1[:, 1]", got["dW1"][:, 1], [-0.84897339, -0.9820268], where=where)
    close("params['W1'] after the call", reply.args[2].get("W1"), example_weights()["W1"],
          where=untouched)

    cases = [("the example network", X, Y, example_weights())]
    rng = np.random.default_rng(62)
    for dims in ([3, 4, 1], [2, 5, 3, 1], [4, 1], [1, 3, 3, 2, 1], [2, 3, 2, 1]):
        n = int(rng.integers(1, 15))
        Xr = rng.normal(size=(n, dims[0])) * 2
        Yr = rng.normal(size=(n, 1)) * 5
        cases.append((f"layers {dims} and {n} samples", Xr, Yr,
                      random_params(rng, dims, bias_scale=0.5)))
    for name, Xr, Yr, pr in cases:
        reply = kernel.run("autograd_gradients", (Xr, Yr, pr), helpers=helpers, echo_args=True)
        got, ref = reply.value, reference_gradients(Xr, Yr, pr)
        label = f"for {name}"
        equal(f"{label}, type of the result", type_name(got), "dict", where=where)
        equal(f"{label}, shapes of the gradients",
              {k: tuple(np.shape(v)) for k, v in got.items()},
              {k: v.shape for k, v in ref.items()}, where=where)
        for k in ref:
            equal(f"{label}, type of {k}", type_name(got[k]), "ndarray", where=not_tensor)
            close(f"{label}, {k}", got[k], ref[k], where=where, rtol=1e-7, atol=1e-10)
        after = reply.args[2]
        for k in pr:
            close(f"{label}, params[{k!r}] after the call", after.get(k), pr[k], where=untouched)
    return "Exercise 13: autograd reproduces the averaged gradients of chapter 4."


# -- Exercise 14 -----------------------------------------------------------------------------
def load_into_new_net(kernel, params, where, prefix=""):
    """load_params on a new Net; checks that it returns the model and keeps its parameters.

    Returns the model, the dictionary passed (both kept in the kernel) and the model's values.
    """
    layers = len(params) // 2
    model = kernel.new("Net", dims_of(params))
    tokens = {(l, kind): mark(kernel, parameter(model, l, kind))
              for l in range(1, layers + 1) for kind in ("weight", "bias")}
    passed_in = kept_in_kernel(kernel, params)
    returned = kernel.run("load_params", (model, passed_in), keep=True)
    equal(f"{prefix}load_params(model, params) returns the model",
          same_object(kernel, returned.remote, model), True, where=where)
    equal(f"{prefix}the model keeps its parameter objects (copy in place)",
          all(marked(kernel, parameter(model, l, kind), token)
              for (l, kind), token in tokens.items()), True, where=where)
    return model, passed_in, layer_values(kernel, model, layers)


@grades("check_load_params")
def load_params(kernel):
    where = ("Exercise 14, load_params: layer l is model.layers[l - 1]; nn.Linear keeps its "
             "weight as (out, in), the transpose of our W(l), and its bias as a flat vector of "
             "n(l) values. Overwrite the existing parameters in place with recording switched "
             "off, copying the values, and return the model.")
    params = example_weights()
    model, passed_in, values = load_into_new_net(kernel, params, where)
    for l in (1, 2, 3):
        close(f"model.layers[{l - 1}].weight", values[l, "weight"], params[f"W{l}"].T,
              where=where)
    equal("model.layers[1].bias.shape", tuple(np.shape(values[2, "bias"])), (2,), where=where)
    out = kernel.run({"$obj": model.handle}, (tensor(X),), label="model").value
    equal("model(Xt).shape", tuple(np.shape(out)), (10, 1), where=where)
    close("model(Xt)[0, 0]", out[0, 0], 0.0017178, where=where)
    change_parameters(kernel, model, [1], "add_", 1.0)
    after = kernel._get({"$obj": passed_in.handle}, "params")
    close("params['W1'] after changing the model", after.get("W1"), params["W1"],
          where=where + " The model must not share memory with the arrays: copy the values.")

    rng = np.random.default_rng(63)
    for dims in ([3, 4, 1], [2, 5, 3, 2], [4, 1], [1, 3, 3, 2, 1]):
        pr = random_params(rng, dims)
        label = f"for layers {dims}"
        model, passed_in, values = load_into_new_net(kernel, pr, where, prefix=f"{label}, ")
        for l in range(1, len(dims)):
            close(f"{label}, model.layers[{l - 1}].weight", values[l, "weight"],
                  pr[f"W{l}"].T, where=where)
            equal(f"{label}, model.layers[{l - 1}].bias.shape",
                  tuple(np.shape(values[l, "bias"])), (dims[l],), where=where)
            close(f"{label}, model.layers[{l - 1}].bias", values[l, "bias"],
                  pr[f"b{l}"].ravel(), where=where)
        change_parameters(kernel, model, range(1, len(dims)), "mul_", -3.0)
        after = kernel._get({"$obj": passed_in.handle}, "params")
        for k in pr:
            close(f"{label}, params[{k!r}] after changing the model", after.get(k), pr[k],
                  where=where + " Copy the values: no shared memory.")
    return "Exercise 14, load_params: our weights are in the model, transposed, and copied."


def check_got_params(got, expected, label, where, prefix=""):
    equal(f"type of get_params(model){label}", type_name(got), "dict", where=where)
    equal(f"{prefix}shapes in get_params(model)",
          {k: tuple(np.shape(v)) for k, v in got.items()},
          {k: v.shape for k, v in expected.items()}, where=where)
    for k, v in got.items():
        equal(f"{prefix}type of {k}", type_name(v), "ndarray", where=where)
    for k, v in expected.items():
        close(f"{prefix}{k}", got[k], v, where=where)


@grades("check_get_params")
def get_params(kernel):
    where = ("Exercise 14, get_params: the reverse of load_params. W{l} has our shape "
             "(n(l-1), n(l)), the transpose of layer l's weight; b{l} is a row of shape "
             "(1, n(l)); both are NumPy arrays with memory of their own.")
    copies = where + " Return copies, not views of the model's memory."
    params = counting_params()
    model = new_net(kernel, params)
    reply = kernel.run("get_params", (model,), keep=True)
    check_got_params(reply.value, params, "", where)
    change_parameters(kernel, model, [1], "add_", 1.0)
    got = kernel._get({"$obj": reply.remote.handle}, "get_params(model)")
    close("W1 after changing the model", got.get("W1"), params["W1"], where=copies)
    close("b1 after changing the model", got.get("b1"), params["b1"], where=copies)

    rng = np.random.default_rng(64)
    for dims in ([3, 4, 1], [2, 5, 3, 2], [4, 1], [1, 3, 3, 2, 1]):
        pr = random_params(rng, dims)
        model = new_net(kernel, pr)
        label = f"for layers {dims}"
        reply = kernel.run("get_params", (model,), keep=True)
        check_got_params(reply.value, pr, f" {label}", where, prefix=f"{label}, ")
        change_parameters(kernel, model, range(1, len(dims)), "add_", 2.0)
        got = kernel._get({"$obj": reply.remote.handle}, "get_params(model)")
        for k in pr:
            close(f"{label}, {k} after changing the model", got.get(k), pr[k], where=copies)
    return ("Exercise 14, get_params: the model's weights come back in our convention, "
            "as copies.")


# -- Exercise 15 -----------------------------------------------------------------------------
@grades("check_train_torch")
def train_torch(kernel):
    where = ("Exercise 15: one SGD optimiser over all the model's parameters with the given "
             "learning rate; each of the n_steps steps clears the old gradients, computes "
             "J = MSELoss / 2 on the whole data set, backpropagates and updates, and records "
             "that step's cost (from before its update) as a Python float.")
    model = new_net(kernel, counting_params())
    got = kernel.call("train_torch", model, tensor(X), tensor(Y), 5, 0.0001)
    equal("type of train_torch(...)", type_name(got), "list", where=where)
    equal("len(train_torch(model, Xt, Yt, 5, 0.0001))", len(got), 5, where=where)
    equal("type of the first cost", type_name(got[0]), "float",
          where=where + " Store each cost as a Python float, not as a tensor.")
    close("train_torch(model, Xt, Yt, 5, 0.0001)", got,
          [2817.087038, 2816.260789, 2815.419856, 2814.563229, 2813.68982], where=where,
          rtol=1e-8)

    rng = np.random.default_rng(68)
    for dims, steps, eta in (([3, 4, 1], 6, 0.05), ([2, 5, 3, 1], 4, 0.02), ([4, 1], 5, 0.1),
                             ([1, 3, 3, 2, 1], 7, 0.03)):
        n = int(rng.integers(3, 20))
        Xr = rng.normal(size=(n, dims[0]))
        Yr = rng.normal(size=(n, 1))
        start = torch_like_params(rng, dims)
        costs, final = reference_training(Xr, Yr, start, steps, eta)
        model = new_net(kernel, start)
        got = kernel.call("train_torch", model, tensor(Xr), tensor(Yr), steps, eta)
        label = f"for layers {dims}, {n} samples, {steps} steps, learning rate {eta}"
        equal(f"{label}, type of the result", type_name(got), "list", where=where)
        equal(f"{label}, the number of costs", len(got), steps, where=where)
        close(f"{label}, the costs", got, costs, where=where, rtol=1e-8)
        values = layer_values(kernel, model, len(dims) - 1)
        for l in range(1, len(dims)):
            close(f"{label}, model.layers[{l - 1}].weight after training", values[l, "weight"],
                  final[f"W{l}"].T, where=where, rtol=1e-8)
            close(f"{label}, model.layers[{l - 1}].bias after training", values[l, "bias"],
                  final[f"b{l}"].ravel(), where=where, rtol=1e-8)
    return "Exercise 15: train_torch takes the same gradient-descent steps as our NumPy code."
