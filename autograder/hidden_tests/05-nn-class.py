"""Hidden tests of chapter 5, the NumPy class NN (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, then tests the learner's
function or method on random data and networks against the references below. The learner's
networks live in the kernel; their activations and cost are the grader's references, passed
as callbacks, and so are the other methods when one method is graded (a correct
``forward_pass`` while ``backward_pass`` is graded, say): a mistake costs its own exercise only.
"""

import math
import time

import numpy as np

from nnbook.checks import CheckFailed, close, equal
from nnbook.example import example_weights, make_data
from nnbook.gradcheck import numerical_gradients
from nnbook.grader.bridge import LearnerError
from nnbook.grader.hidden import grades
from nnbook.gradient_feedback import check_gradients

# -- references ----------------------------------------------------------------------------


def relu(z):
    return np.where(np.asarray(z) > 0, z, 0.0)


def relu_derivative(z):
    return np.where(np.asarray(z) > 0, 1.0, 0.0)


def identity(z):
    return 1.0 * np.asarray(z)


def identity_derivative(z):
    return np.ones(np.shape(z))


def sigmoid(z):
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(z))


def sigmoid_derivative(z):
    return 0.25 * (1.0 - np.tanh(0.5 * np.asarray(z)) ** 2)


def tanh(z):
    return np.tanh(z)


def tanh_derivative(z):
    return 1.0 - np.tanh(z) ** 2


#: Activations by name: (function, derivative).
ACTIVATIONS = {"relu": (relu, relu_derivative), "sigmoid": (sigmoid, sigmoid_derivative),
               "tanh": (tanh, tanh_derivative), "identity": (identity, identity_derivative)}


def mse(y_hat, Y):
    """J = (sum of the squared errors) / (2 n), n = rows."""
    y_hat, Y = np.asarray(y_hat, dtype=float), np.asarray(Y, dtype=float)
    return float(np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0]))


def mse_derivative(y_hat, Y):
    y_hat, Y = np.asarray(y_hat, dtype=float), np.asarray(Y, dtype=float)
    return (y_hat - Y) / Y.shape[0]


def forward(params, names, X):
    """Every receptor and neuron, x0, z1, x1, ...; ``names`` are the activations of layers 1..L."""
    values = {"x0": np.asarray(X, dtype=float)}
    for l, name in enumerate(names, start=1):
        values[f"z{l}"] = values[f"x{l - 1}"] @ params[f"W{l}"] + params[f"b{l}"]
        values[f"x{l}"] = ACTIVATIONS[name][0](values[f"z{l}"])
    return values


def gradients(params, names, values, Y):
    """dW1, db1, ... of the MSE, by the delta recursion, from the values of ``forward``."""
    top = len(names)
    delta = mse_derivative(values[f"x{top}"], Y) * ACTIVATIONS[names[-1]][1](values[f"z{top}"])
    grads = {}
    for l in range(top, 0, -1):
        grads[f"dW{l}"] = np.asarray(values[f"x{l - 1}"], dtype=float).T @ delta
        grads[f"db{l}"] = np.sum(delta, axis=0, keepdims=True)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * ACTIVATIONS[names[l - 2]][1](
                values[f"z{l - 1}"])
    return grads


def step(params, grads, learning_rate):
    return {k: v - learning_rate * grads[f"d{k}"] for k, v in params.items()}


def train(params, names, X, Y, n_it, learning_rate):
    """The parameters after ``n_it`` steps of gradient descent, and the cost before each."""
    costs = []
    for _ in range(n_it):
        values = forward(params, names, X)
        costs.append(mse(values[f"x{len(names)}"], Y))
        params = step(params, gradients(params, names, values, Y), learning_rate)
    return params, costs


def numerical(params, names, X, Y):
    """Central-difference gradients of the reference cost."""
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    return numerical_gradients(lambda: mse(forward(params, names, X)[f"x{len(names)}"], Y),
                               params)


# -- random test cases ---------------------------------------------------------------------


def random_params(dims, rng, bias_scale=0.5):
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l - 1], dims[l])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = rng.normal(scale=bias_scale, size=(1, dims[l]))
    return params


def random_cases(seed, count, hidden_counts, sample_counts):
    """Random networks (1-4 hidden layers of 1-7 neurons, every activation) and data.

    Yields (dims, hidden activations, output activation, params, X, Y). The ReLU receptors stay
    clear of the kink at 0, so that numerical gradients are exact there.
    """
    rng = np.random.default_rng(seed)
    names = list(ACTIVATIONS)
    for k in range(count):
        hidden = hidden_counts[k % len(hidden_counts)]
        dims = [int(rng.integers(1, 5))] + [int(rng.integers(1, 8)) for _ in range(hidden)]
        dims += [int(rng.integers(1, 4))]
        if k == 0:
            dims[1] = 1
        if k == 1:
            dims[1:-1] = [7] * hidden
        acts = [names[(k + j) % 4] for j in range(hidden)]
        out = ["identity", "sigmoid", "tanh"][k % 3]
        n = sample_counts[k % len(sample_counts)]
        while True:
            params = random_params(dims, rng)
            X, Y = rng.normal(size=(n, dims[0])), rng.normal(size=(n, dims[-1]))
            values = forward(params, [*acts, out], X)
            if all(np.min(np.abs(values[f"z{l}"])) > 1e-3 for l in range(1, hidden + 1)
                   if acts[l - 1] == "relu"):
                break
        yield dims, acts, out, params, X, Y


def describe(dims, acts, out, n):
    return (f"layers {dims}, hidden activations {acts}, output activation {out}, {n} "
            f"sample{'s' * (n > 1)}")


# -- the learner's networks, in the kernel -------------------------------------------------


class Network:
    """A learner's ``NN`` in the kernel, with the grader's activations and cost as callbacks.

    ``replace`` names methods that are the grader's on this object (``forward_pass``,
    ``backward_pass``): they compute with the parameters the grader expects the network to
    have, and ``backward_pass`` moves them by one step of ``learning_rate``, as ``train``
    should (so ``train`` must call ``self.backward_pass`` once per step: ``backward_calls``
    counts the calls). Callbacks are sent again before each call, in case they last for one
    request only. A call that runs out of time is stopped by its callbacks, which refuse to
    run: interrupting a kernel while it talks to a callback can garble the channel.
    """

    def __init__(self, kernel, params, hidden, output="identity", *, replace=(),
                 learning_rate=None):
        self.kernel, self.names = kernel, [*hidden, output]
        self.params = {k: np.array(v, dtype=float) for k, v in params.items()}
        self.replace, self.learning_rate = replace, learning_rate
        self.backward_calls = 0
        self.deadline, self.overran = math.inf, False
        acts = [self._activation(name) for name in self.names]
        self.remote = kernel.new("NN.with_weights", self.params, acts[:-1], acts[-1],
                                 self._cost())

    def _callback(self, function):
        """``function`` as a callback that refuses to run once the call is out of time."""

        def guarded(*args, **kwargs):
            if time.monotonic() > self.deadline:
                self.overran = True
                raise TimeoutError("this call ran out of time")
            return function(*args, **kwargs)

        return self.kernel.callback(guarded)

    def _activation(self, name):
        function, derivative = ACTIVATIONS[name]
        return {"activation": self._callback(function), "derivative": self._callback(derivative)}

    def _cost(self):
        return {"loss": self._callback(mse), "derivative": self._callback(mse_derivative)}

    def _forward(self, X, training=False):
        values = forward(self.params, self.names, X)
        return values if training else values[f"x{len(self.names)}"]

    def _backward(self, X, Y, coef):
        keys = ["x0"] + [f"{kind}{l}" for l in range(1, len(self.names) + 1) for kind in "zx"]
        if not isinstance(coef, dict) or any(key not in coef for key in keys):
            raise ValueError("backward_pass needs the dict that forward_pass(X, training=True) "
                             f"returns, with the keys {keys}")
        self.backward_calls += 1
        grads = gradients(self.params, self.names, coef, np.asarray(Y, dtype=float))
        if self.learning_rate is not None:
            self.params = step(self.params, grads, self.learning_rate)
        return grads

    def arm(self):
        """Send the callbacks again, in case those of an earlier request are no longer valid."""
        self.remote.set("a", [None] + [self._activation(name) for name in self.names])
        self.remote.set("loss_function", self._cost())
        methods = {"forward_pass": self._forward, "backward_pass": self._backward}
        for name in self.replace:
            self.remote.set(name, self._callback(methods[name]))

    def run(self, function, *args, echo_args=False, timeout=None, **kwargs):
        """The learner's ``function(network, *args, **kwargs)``, as a Reply."""
        self.arm()
        budget = 0.8 * (timeout or self.kernel.call_timeout)
        self.deadline, self.overran = time.monotonic() + budget, False
        try:
            with np.errstate(all="ignore"):
                reply = self.kernel.run(function, (self.remote, *args), kwargs,
                                        echo_args=echo_args, timeout=timeout)
        except LearnerError:
            if not self.overran:
                raise
            reply = None
        finally:
            self.deadline = math.inf
        if self.overran:
            raise CheckFailed(f"{function} did not finish within {budget:g} s, so it was "
                              "stopped (a loop that never ends?).")
        return reply

    def call(self, function, *args, **kwargs):
        return self.run(function, *args, **kwargs).value

    def get(self, name):
        return self.remote.get(name)

    def learner_params(self, where):
        return params_of(self.remote, where)


def params_of(remote, where):
    """The ``params`` of a network in the kernel, which must be a dict."""
    params = remote.get("params")
    if not isinstance(params, dict):
        raise CheckFailed(f"self.params should be a dict of arrays, but it is "
                          f"{type(params).__name__}.\n    Where to look: {where}")
    return params


def floats(name, value, where):
    """``value`` as an array of floats, or a CheckFailed that says what it is."""
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be an array of numbers, got {value!r}.\n"
                          f"    Where to look: {where}") from None


def expect_error(type_name, attempt, message):
    """Run ``attempt``; fail with ``message`` unless the learner's code raised ``type_name``."""
    try:
        attempt()
    except LearnerError as error:
        if error.type_name == type_name:
            return error
        raise CheckFailed(f"{message} It raised {error.type_name} instead:\n    {error}") from None
    raise CheckFailed(message)


# -- Exercises 5 and 6: activations ---------------------------------------------------------


def check_activation(kernel, name, z, expected, where, label=None):
    """The learner's ``name(z)`` against ``expected``; ``z`` must be left unchanged."""
    reply = kernel.run(name, (z.copy(),), echo_args=True)
    close(label or f"{name}(z)", reply.value, expected, where=where)
    close(f"z after {name}(z) ({name} must not change its argument)", reply.args[0], z,
          where=where)


@grades("check_relu")
def relu_exercise(kernel):
    where = ("Exercise 5: ReLU keeps the positive receptors and puts 0 in place of the others; "
             "its derivative is 1 where z > 0 and 0 elsewhere, at z = 0 too. Both return a new "
             "array of floats with the shape of z and leave z itself unchanged.")
    z = np.array([[-2.0, 0.0, 3.0], [0.5, -0.1, 7.0]])
    check_activation(kernel, "relu", z, [[0.0, 0.0, 3.0], [0.5, 0.0, 7.0]], where)
    close("relu_derivative(z)", kernel.call("relu_derivative", z.copy()),
          [[0.0, 0.0, 1.0], [1.0, 0.0, 1.0]], where=where)
    rng = np.random.default_rng(51)
    for shape in [(7,), (4, 3), (2, 3, 5), (1, 1)]:
        z = np.round(rng.normal(scale=2.0, size=shape), 1)  # rounding makes some entries 0.0
        check_activation(kernel, "relu", z, relu(z), where, f"relu(z) for z of shape {shape}")
        check_activation(kernel, "relu_derivative", z, relu_derivative(z), where,
                         f"relu_derivative(z) for z of shape {shape}")
    return "Exercise 5: relu and relu_derivative are right."


@grades("check_identity")
def identity_exercise(kernel):
    where = ("Exercise 6: the identity gives back its receptors unchanged; its derivative is 1 "
             "for every entry: an array with the shape of z, not the single number 1.")
    z = np.array([-2.0, 0.0, 3.0])
    close("identity(z)", kernel.call("identity", z.copy()), [-2.0, 0.0, 3.0], where=where)
    close("identity_derivative(z)", kernel.call("identity_derivative", z.copy()),
          [1.0, 1.0, 1.0], where=where)
    rng = np.random.default_rng(61)
    for shape in [(5,), (3, 4), (1, 1), (2, 2, 3)]:
        z = rng.normal(size=shape)
        close(f"identity(z) for z of shape {shape}", kernel.call("identity", z.copy()), z,
              where=where)
        close(f"identity_derivative(z) for z of shape {shape}",
              kernel.call("identity_derivative", z.copy()), np.ones(shape), where=where)
    return "Exercise 6: identity and identity_derivative are right."


# -- Exercise 7: the cost -------------------------------------------------------------------


@grades("check_mse")
def mse_exercise(kernel):
    where = ("Exercise 7, the equation of the cost above it: J adds up the squared errors of "
             "every sample and output and divides by 2n; its derivative has the shape of y_hat "
             "and divides each error by n. Here n is the number of samples, the rows of Y.")
    y_hat, Y = np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [0.0], [1.0]])
    close("MSE(y_hat, Y)", kernel.call("MSE", y_hat, Y), 4 / 3, where=where)
    close("MSE_derivative(y_hat, Y)", kernel.call("MSE_derivative", y_hat, Y),
          [[0.0], [2 / 3], [2 / 3]], where=where)
    rng = np.random.default_rng(71)
    for n, m in [(1, 1), (6, 1), (5, 3), (20, 2)]:
        y_hat, Y = rng.normal(size=(n, m)), rng.normal(size=(n, m))
        close(f"MSE for {n} samples and {m} outputs", kernel.call("MSE", y_hat, Y),
              mse(y_hat, Y), where=where + " With several outputs, add over the outputs too "
              "(np.mean would divide by n * m).")
        close(f"MSE_derivative for {n} samples and {m} outputs",
              kernel.call("MSE_derivative", y_hat, Y), mse_derivative(y_hat, Y), where=where)
    return "Exercise 7: MSE and MSE_derivative are right."


# -- Exercise 8: initialize_parameters ------------------------------------------------------


def initialized(kernel, dims, seed, where):
    """The params that the learner's initialize_parameters stores for ``dims`` and a seed."""
    zeros = {}
    for l in range(1, len(dims)):
        zeros[f"W{l}"], zeros[f"b{l}"] = np.zeros((dims[l - 1], dims[l])), np.zeros((1, dims[l]))
    net = Network(kernel, zeros, ["relu"] * (len(dims) - 2))
    net.remote.set("params", {})
    rng = kernel.new("np.random.default_rng", seed)
    net.call("initialize_parameters", list(dims), rng)
    return net.learner_params(where)


def shape(value):
    try:
        return np.shape(value)
    except ValueError:
        return None


@grades("check_init")
def init_exercise(kernel):
    where = ("Exercise 8, initialize_parameters: one W and one b for every layer that has "
             "weights, from layer 1 to the output layer, drawn in that order from the rng you "
             "receive. W{l} has one row per neuron of layer l - 1 and one column per neuron of "
             "layer l, and holds normal numbers with mean 0 and standard deviation 0.001; b{l} "
             "is a row of zeros, one per neuron of layer l.")
    params = initialized(kernel, [2, 3, 2, 1], 0, where)
    equal("keys of self.params", sorted(params, key=str), ["W1", "W2", "W3", "b1", "b2", "b3"],
          where=where)
    equal("shapes of the parameters", {k: shape(v) for k, v in params.items()},
          {"W1": (2, 3), "b1": (1, 3), "W2": (3, 2), "b2": (1, 2), "W3": (2, 1), "b3": (1, 1)},
          where=where)
    close("b1, b2 and b3", np.concatenate(
        [floats(f"b{l}", params[f"b{l}"], where).ravel() for l in (1, 2, 3)]), np.zeros(6),
        where=where)
    close("W1 for the generator np.random.default_rng(0)", params["W1"],
          [[0.00012573, -0.0001321, 0.00064042], [0.0001049, -0.00053567, 0.0003616]],
          where=where, rtol=1e-4)
    close("W3 for the generator np.random.default_rng(0)", params["W3"],
          [[-0.00232503], [-0.00021879]], where=where, rtol=1e-4)

    relu_dict = {"activation": kernel.callback(relu), "derivative": kernel.callback(
        relu_derivative)}
    error = expect_error("ValueError", lambda: kernel.new(
        "NN", [2, 3, 2, 1], [relu_dict] * 3, relu_dict, relu_dict, seed=0),
        "NN(...) with three hidden activations for two hidden layers should raise ValueError "
        "(the given __init__ does that).")
    if "hidden" not in str(error):
        raise CheckFailed(f"wrong message for three hidden activations and two hidden layers: "
                          f"{error}")
    for dims, seed in [([3, 1], 5), ([1, 7, 1], 11), ([4, 2, 6, 3, 2], 12), ([5, 1, 1, 4], 13)]:
        rng = np.random.default_rng(seed)
        expected = {}
        for l in range(1, len(dims)):
            expected[f"W{l}"] = rng.normal(0.0, 0.001, size=(dims[l - 1], dims[l]))
            expected[f"b{l}"] = np.zeros((1, dims[l]))
        case = where + f" (Tested with layers_dims = {dims} and default_rng({seed}).)"
        params = initialized(kernel, dims, seed, case)
        equal(f"keys of self.params for layers_dims = {dims}", sorted(params, key=str),
              sorted(expected), where=case)
        for key in expected:
            close(f"{key} for layers_dims = {dims}", params[key], expected[key], where=case)
        relu_dict = {"activation": kernel.callback(relu), "derivative": kernel.callback(
            relu_derivative)}
        cost = {"loss": kernel.callback(mse), "derivative": kernel.callback(mse_derivative)}
        made = kernel.new("NN", list(dims), relu_dict, relu_dict, cost, seed=seed)
        close(f"W1 of NN({dims}, ..., seed={seed})", params_of(made, case).get("W1"),
              expected["W1"], where=case + " Run the cell that defines initialize_parameters, "
              "including the line NN.initialize_parameters = initialize_parameters.")
    return "Exercise 8: initialize_parameters draws the right weights and zero biases."


# -- Exercise 9: forward_pass ---------------------------------------------------------------


def values_dict(values, case, where):
    if not isinstance(values, dict):
        raise CheckFailed(f"forward_pass(X, training=True) should return the dict values, got "
                          f"{type(values).__name__} ({case}).\n    Where to look: {where}")
    return values


@grades("check_forward")
def forward_exercise(kernel):
    where = ("Exercise 9, forward_pass and the equations above it: the receptors of layer l "
             "come from the neurons of layer l - 1 (not from its receptors), the weights and "
             "the bias of layer l; the neurons of layer l are layer l's own activation (self.a) "
             "applied to its receptors. Store both in values, under the keys z1, x1, z2, x2, ...")
    X, _ = make_data()
    net = Network(kernel, example_weights(), ["relu", "relu"])
    values = values_dict(net.call("forward_pass", X, training=True), "the example network",
                         where)
    equal("missing keys of forward_pass(X, training=True)",
          [k for k in ["x0", "z1", "x1", "z2", "x2", "z3", "x3"] if k not in values], [],
          where=where)
    got = {k: floats(k, values[k], where) for k in ["z1", "x1", "z2", "x2", "z3", "x3"]}
    for key in got:
        if got[key].ndim != 2:
            raise CheckFailed(f"{key} has shape {got[key].shape}: expected a matrix, one row "
                              f"per sample.\n    Where to look: {where}")
    close("z1[0]", got["z1"][0], [-0.314, 0.818, -0.417], where=where)
    close("x1[0]", got["x1"][0], [0.0, 0.818, 0.0], where=where)
    close("z2[0]", got["z2"][0], [-0.07362, 0.02454], where=where)
    close("x2[0]", got["x2"][0], [0.0, 0.02454], where=where)
    close("z3[0, 0]", got["z3"][0, 0], 0.0017178, where=where)
    close("x3[0, 0]", got["x3"][0, 0], 0.0017178, where=where)
    equal("shape of x3", got["x3"].shape, (10, 1), where=where)
    close("forward_pass(X) (training=False returns x3)", net.call("forward_pass", X),
          got["x3"], where=where)

    for dims, acts, out, params, X, _ in random_cases(91, 8, [1, 4, 2, 3], [1, 7, 4, 9, 3]):
        net = Network(kernel, params, acts, out)
        ref = forward(params, [*acts, out], X)
        case = describe(dims, acts, out, len(X))
        reply = net.run("forward_pass", X, training=True, echo_args=True)
        values = values_dict(reply.value, case, where)
        for l in range(1, len(dims)):
            for key, look in [
                    (f"z{l}", f"the receptors z{l} come from the neurons x{l - 1} of layer "
                              f"{l - 1} (not its receptors z{l - 1}), the weights W{l} and the "
                              f"bias b{l}"),
                    (f"x{l}", f"the neurons x{l} are layer {l}'s own activation (self.a) "
                              f"applied to z{l}: the output layer's activation may differ from "
                              "the hidden layers'")]:
                if key not in values:
                    raise CheckFailed(f"forward_pass(X, training=True) has no key {key!r} "
                                      f"({case}).\n    Where to look: {where}")
                close(f"{key} on a random network ({case})", values[key], ref[key],
                      where=f"Exercise 9, {look}.")
        close(f"X after forward_pass (it must not change X; {case})", reply.args[1], X,
              where=where)
        close(f"forward_pass(X) with training=False ({case})", net.call("forward_pass", X),
              ref[f"x{len(dims) - 1}"], where=where)
    expect_error("ValueError", lambda: net.call("forward_pass", np.ones((2, dims[0] + 1))),
                 "forward_pass(X) with the wrong number of columns should raise ValueError: "
                 "keep the given first line self._check_input(X).")
    return "Exercise 9: forward_pass reproduces chapter 2: z3[0] = 0.0017178."


# -- Exercise 10: backward_pass -------------------------------------------------------------


@grades("check_backward")
def backward_exercise(kernel):
    where = ("Exercise 10, backward_pass and the delta recursion above it: first the delta of "
             "the output layer, then, from the output layer down, each layer's two gradients "
             "from its delta and the delta of the layer below. The lines above say what is "
             "wrong; the table of relative errors after this check shows every gradient.")
    X, y = make_data()
    Y = y.reshape(-1, 1)
    names = ["relu", "relu", "identity"]
    net = Network(kernel, example_weights(), names[:-1], replace=("forward_pass",))
    coef = forward(net.params, names, X)
    grads = net.call("backward_pass", X, Y, coef)
    check_gradients(grads, numerical(net.params, names, X, Y), where=where, n_samples=len(X))
    close("dW3", grads["dW3"], [[0.0], [-1.37244]], where=where)
    close("db3", grads["db3"], [[-70.9987]], where=where)

    for dims, acts, out, params, X, Y in random_cases(101, 10, [1, 2, 3, 4], [1, 6, 4, 9, 2]):
        names = [*acts, out]
        net = Network(kernel, params, acts, out, replace=("forward_pass",))
        values = forward(params, names, X)
        case = f"Exercise 10, on a random network: {describe(dims, acts, out, len(X))}."
        reply = net.run("backward_pass", X, Y, values, echo_args=True)
        check_gradients(reply.value, numerical(params, names, X, Y), where=case,
                        n_samples=len(X))
        for key, exact in gradients(params, names, values, Y).items():
            close(key, reply.value[key], exact, where=case, rtol=1e-6, atol=1e-10)
        coef = reply.args[3] if isinstance(reply.args[3], dict) else {}
        for key in values:
            close(f"coef[{key!r}] after backward_pass (backward_pass must not change coef)",
                  coef.get(key), values[key], where=case + " Make new arrays (delta = ...), do "
                  "not update the arrays of coef in place.")
        after = net.learner_params(case)
        for key in params:
            close(f"self.params[{key!r}] after backward_pass (it must not change the weights)",
                  after.get(key), params[key], where=case)
    expect_error("ValueError", lambda: net.call(
        "backward_pass", X, Y.ravel() if Y.shape[1] == 1 else Y[:, :1], values),
        "backward_pass(X, Y, coef) with a Y of the wrong shape should raise ValueError: keep "
        "the given first line self._check_targets(X, Y).")
    return ("Exercise 10: backward_pass gives dW3 = (0, -1.37244) and db3 = -70.9987, and "
            "every gradient agrees with the numerical one.")


# -- Exercise 11: train ---------------------------------------------------------------------


def trained(net, X, Y, n_it, learning_rate, where, timeout=None):
    """The learner's train on ``net``, which must call self.backward_pass once per step."""
    net.call("train", X, Y, n_it, learning_rate=learning_rate, verbose=False, timeout=timeout)
    if net.backward_calls != n_it:
        raise CheckFailed(
            f"train(X, Y, n_it={n_it}, learning_rate={learning_rate}) called "
            f"self.backward_pass {net.backward_calls} times: each step should call your "
            "backward pass once, on what this step's forward pass returned (the grader tests "
            "train with correct forward_pass and backward_pass methods in place of yours).\n"
            f"    Where to look: {where}")


@grades("check_train")
def train_exercise(kernel):
    where = ("Exercise 11, train and the update equation above it: each step runs your forward "
             "pass and your backward pass at the current weights, keeps the cost of that "
             "forward pass as loss, and then moves every weight and every bias against its own "
             "gradient, scaled by the learning rate.")
    methods = ("forward_pass", "backward_pass")
    X, y = make_data()
    Y = y.reshape(-1, 1)
    net = Network(kernel, example_weights(), ["relu", "relu"], replace=methods,
                  learning_rate=0.0001)
    net.call("train", X, Y, 1, learning_rate=0.0001, verbose=False)
    params = net.learner_params(where)
    close("loss_history after one step (the cost before the step)", net.get("loss_history"),
          [2837.70392836], where=where)
    close("W3 after one step", params.get("W3"), [[-0.05], [0.070137244]], where=where)
    close("b3 after one step", params.get("b3"), [[0.00709987303]], where=where)
    close("W1 after one step", params.get("W1"),
          [[-0.08, 0.02008489734, 0.06000370432], [0.02, 0.08009820268, -0.08999811844]],
          where=where)

    rng = np.random.default_rng(111)
    for dims, acts, count, eta in [([3, 4, 1], ["tanh"], 1, 0.1),
                                   ([2, 5, 3, 2], ["relu", "sigmoid"], 4, 0.05),
                                   ([4, 2, 6, 3, 2, 1], ["sigmoid", "identity", "tanh", "relu"],
                                    3, 0.2)]:
        start = random_params(dims, rng, bias_scale=0.3)
        X, Y = rng.normal(size=(8, dims[0])), rng.normal(size=(8, dims[-1]))
        expected, costs = train(start, [*acts, "identity"], X, Y, count, eta)
        case = (f"Exercise 11, train(X, Y, n_it={count}, learning_rate={eta}) on a random "
                f"network with layers {dims}, activations {acts}, 8 samples.")
        net = Network(kernel, start, acts, replace=methods, learning_rate=eta)
        trained(net, X, Y, count, eta, case)
        params = net.learner_params(case)
        for key in expected:
            close(f"{key} after {count} step(s)", params.get(key), expected[key],
                  where=case + " Each step: your forward pass and backward pass at the current "
                  "weights, then every W{l} and b{l}, for l = 1 .. self.L - 1, moves against "
                  "its own gradient, scaled by the learning rate.")
        close(f"loss_history after {count} step(s)", net.get("loss_history"), costs,
              where=case + " loss must be the cost of this step's predictions, computed "
              "before the update.")

    # The cost goes down on a regression problem.
    X = rng.uniform(-2, 2, size=(40, 2))
    Y = np.sin(X[:, :1]) + 0.5 * X[:, 1:] ** 2
    net = Network(kernel, random_params([2, 8, 1], rng, bias_scale=0.3), ["tanh"],
                  replace=methods, learning_rate=0.1)
    trained(net, X, Y, 300, 0.1, where, timeout=30)
    history = floats("loss_history", net.get("loss_history"), where).ravel()
    if not (len(history) == 300 and history[-1] < 0.5 * history[0]):
        raise CheckFailed("300 steps of train(X, Y, 300, learning_rate=0.1) did not halve the "
                          "cost of a small regression problem (cost before the first and the "
                          f"last step: {history[:1]} and {history[-1:]}).\n"
                          f"    Where to look: {where}")
    expect_error("ValueError", lambda: net.call("train", X, Y.ravel(), 1, learning_rate=0.1,
                                                verbose=False),
                 "train(X, y) with a flat vector of targets should raise ValueError: keep the "
                 "given first line self._check_targets(X, Y).")

    # A far too large learning rate stops training with a message naming the iteration.
    net = Network(kernel, random_params([2, 3, 1], rng, bias_scale=0.3), ["identity"],
                  replace=methods, learning_rate=5.0)
    error = expect_error(
        "FloatingPointError", lambda: net.call("train", 100 * X, 100 * Y, 500, learning_rate=5.0,
                                               verbose=False),
        "train with learning_rate=5.0 on large data should stop with FloatingPointError once "
        "the cost is nan or inf: keep the given line self._after_step(iteration, loss, "
        "learning_rate, verbose) at the end of the loop, and compute loss before it.")
    if "iteration" not in str(error):
        raise CheckFailed(f"the message of a diverging train should name the iteration: {error}")
    return "Exercise 11: one step of train moves every parameter against its gradient."
