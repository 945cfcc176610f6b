"""Hidden tests of chapter 7, MNIST (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, then calls the learner's
function on other matrices, networks and batches and compares with the references below. None
of them needs the digits: they run on small arrays chosen here. ``forward``, ``backward`` and
``sgd_step`` are graded on their own: while they run, the functions they call (``softmax``,
``output_delta``, ``forward``, ``backward``) are stand-ins that the grader computes.
"""

import numpy as np

from nnbook.checks import close, equal
from nnbook.grader.hidden import grades

# The example batch and the small 3-4-3 network of the chapter (its cell `small_network`).
Y_EXAMPLE = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25], [0.2, 0.2, 0.6]])
T_EXAMPLE = np.eye(3)[[0, 2, 1, 2]]
X_SMALL = np.array([[0.2, -0.4, 0.1], [-0.3, 0.5, 0.4], [0.0, 0.3, -0.2], [0.4, 0.1, -0.5]])
T_SMALL = np.eye(3)[[0, 2, 1, 2]]
PARAMS_SMALL = {
    "W1": np.array([[0.5, -0.3, 0.2, 0.1], [-0.4, 0.6, 0.3, -0.2], [0.3, 0.2, -0.5, 0.4]]),
    "b1": np.array([[0.1, -0.1, 0.05, 0.0]]),
    "W2": np.array([[0.3, -0.2, 0.5], [-0.6, 0.4, 0.1], [0.2, 0.3, -0.4], [0.5, -0.1, 0.2]]),
    "b2": np.array([[0.0, 0.1, -0.1]]),
}
# What the visible checks expect of the small network: receptors and neurons for X_SMALL.
VALUES_SMALL = {
    "x0": X_SMALL,
    "z1": np.array([[0.39, -0.38, -0.08, 0.14], [-0.13, 0.37, -0.06, 0.03],
                    [-0.08, 0.04, 0.24, -0.14], [0.11, -0.26, 0.41, -0.18]]),
    "x1": np.array([[0.39, 0, 0, 0.14], [0, 0.37, 0, 0.03], [0, 0.04, 0.24, 0],
                    [0.11, 0, 0.41, 0]]),
    "z2": np.array([[0.187, 0.008, 0.123], [-0.207, 0.245, -0.057],
                    [0.024, 0.188, -0.192], [0.115, 0.201, -0.209]]),
    "x2": np.array([[0.3604758557, 0.3013959895, 0.3381281548],
                    [0.2678605252, 0.4209299443, 0.3112095305],
                    [0.3351263018, 0.3948506062, 0.270023092],
                    [0.3554852079, 0.3874100292, 0.2571047628]]),
}


# -- references ------------------------------------------------------------------------------
def reference_softmax(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def reference_cross_entropy(Y_hat, T):
    return -np.sum(T * np.log(np.maximum(Y_hat, 1e-12))) / Y_hat.shape[0]


def reference_output_delta(Y_hat, T):
    return (Y_hat - T) / Y_hat.shape[0]


def reference_forward(params, X):
    layers = len(params) // 2
    out = {"x0": X}
    for l in range(1, layers + 1):
        Z = out[f"x{l - 1}"] @ params[f"W{l}"] + params[f"b{l}"]
        out[f"z{l}"] = Z
        out[f"x{l}"] = reference_softmax(Z) if l == layers else np.where(Z > 0, Z, 0.0)
    return out


def reference_backward(params, values, T):
    layers = len(params) // 2
    grads = {}
    delta = reference_output_delta(values[f"x{layers}"], T)
    for l in range(layers, 0, -1):
        grads[f"dW{l}"] = values[f"x{l - 1}"].T @ delta
        grads[f"db{l}"] = delta.sum(axis=0, keepdims=True)
        if l > 1:
            delta = (delta @ params[f"W{l}"].T) * (values[f"z{l - 1}"] > 0)
    return grads


def reference_step(params, X, T, learning_rate):
    """The parameters after one update, and the probabilities from before it."""
    values = reference_forward(params, X)
    grads = reference_backward(params, values, T)
    new = {k: v - learning_rate * grads["d" + k] for k, v in params.items()}
    return new, values[f"x{len(params) // 2}"]


def reference_accuracy(Y_hat, labels):
    return float(np.mean(np.argmax(Y_hat, axis=1) == labels))


# -- data ------------------------------------------------------------------------------------
def probabilities(rng, n, k):
    P = rng.uniform(0.01, 1.0, size=(n, k))
    return P / P.sum(axis=1, keepdims=True)


def networks(rng, shapes, small):
    """The small network first, then one random network per (layers, samples) of ``shapes``."""
    cases = [([3, 4, 3], PARAMS_SMALL, X_SMALL, T_SMALL)] if small else []
    for dims, n in shapes:
        params = {}
        for l in range(1, len(dims)):
            params[f"W{l}"] = rng.normal(size=(dims[l - 1], dims[l]))
            params[f"b{l}"] = rng.normal(scale=0.5, size=(1, dims[l]))
        X = rng.normal(size=(n, dims[0]))
        T = np.eye(dims[-1])[rng.integers(0, dims[-1], size=n)]
        cases.append((dims, params, X, T))
    return cases


def keys(name, value, where):
    """The sorted keys of a dictionary the learner returned."""
    equal(f"type of {name}", type(value).__name__, "dict", where=where)
    return sorted(value, key=str)


# -- Exercise 16 -----------------------------------------------------------------------------
@grades("check_softmax")
def softmax(kernel):
    where = ("Exercise 16: each row of the result is the softmax of the same row of Z, computed "
             "after subtracting that row's own largest receptor from all its entries (the "
             "result does not change, and nothing can overflow); same shape as Z, every row "
             "adds up to 1.")
    Z_example = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0], [-800.0, 0.0, 800.0]])
    got = kernel.call("softmax", Z_example)
    equal("softmax(Z_example).shape", np.shape(got), (3, 3), where=where)
    close("softmax(Z_example)", got, [[0.0900305732, 0.2447284711, 0.6652409558],
                                      [1 / 3, 1 / 3, 1 / 3], [0.0, 0.0, 1.0]], where=where)

    rng = np.random.default_rng(11)
    for n, k, offset in ((1, 2, 0.0), (5, 10, 0.0), (7, 4, 750.0), (3, 6, -2000.0),
                         (4, 3, 1e4)):
        Z = rng.normal(scale=3.0, size=(n, k)) + offset
        reply = kernel.run("softmax", (Z,), echo_args=True)
        # A float32 answer is judged on the receptors float32 can hold: around 1e4 it rounds
        # them by about 1e-3, which no softmax can undo.
        held = Z.astype(np.float32).astype(float) if getattr(
            reply.value, "dtype", None) == np.float32 else Z
        close(f"softmax of a {n} x {k} matrix of receptors around {offset:g}", reply.value,
              reference_softmax(held), where=where)
        close(f"the row sums of softmax(Z) for receptors around {offset:g}",
              np.sum(reply.value, axis=1), np.ones(n), where=where)
        close("Z after calling softmax(Z) (softmax must not change its argument)",
              reply.args[0], Z,
              where="Exercise 16: keep the shifted receptors in a new array; subtracting in "
                    "place changes the caller's Z.")
    Z = rng.normal(size=(6, 5))
    close("softmax(Z + 123) (adding a constant to every receptor changes nothing)",
          kernel.call("softmax", Z + 123.0), reference_softmax(Z), where=where)
    return "Exercise 16: softmax is right, also for receptors of 1000 and -800."


# -- Exercise 17 -----------------------------------------------------------------------------
@grades("check_cross_entropy")
def cross_entropy(kernel):
    where = ("Exercise 17: each sample costs minus the log of the probability it gives its "
             "right class, with the probabilities clipped from below at 1e-12; the result is "
             "the mean of these costs over the samples (rows), one number.")
    close("cross_entropy(Y_example, T_example)",
          kernel.call("cross_entropy", Y_EXAMPLE, T_EXAMPLE), 0.5178683430076647,
          where=where)
    close("cross_entropy of an even bet on 10 classes",
          kernel.call("cross_entropy", np.full((1, 10), 0.1), np.eye(10)[[3]]),
          2.302585093, where=where)

    rng = np.random.default_rng(12)
    for n, k in ((1, 2), (6, 10), (20, 4)):
        P = probabilities(rng, n, k)
        T = np.eye(k)[rng.integers(0, k, size=n)]
        close(f"cross_entropy for {n} samples and {k} classes",
              kernel.call("cross_entropy", P, T), reference_cross_entropy(P, T),
              where=where)
    P = np.array([[0.0, 0.5, 0.5], [0.2, 0.8, 0.0]])
    T = np.eye(3)[[1, 1]]
    close("cross_entropy when a wrong class has probability 0 (0 * log 0 must not give nan)",
          kernel.call("cross_entropy", P, T), reference_cross_entropy(P, T), where=where)
    T = np.eye(3)[[0, 1]]
    close("cross_entropy when the right class has probability 0 (clip at 1e-12: finite)",
          kernel.call("cross_entropy", P, T), reference_cross_entropy(P, T), where=where)
    return "Exercise 17: cross_entropy is right."


# -- Exercise 18 -----------------------------------------------------------------------------
@grades("check_output_delta")
def output_delta(kernel):
    where = ("Exercise 18: the derivative of the mean cross-entropy with respect to the output "
             "receptors, prediction minus target divided by the number of samples n (the rows, "
             "not the classes); same shape as Y_hat.")
    close("output_delta(Y_example, T_example)",
          kernel.call("output_delta", Y_EXAMPLE, T_EXAMPLE),
          [[-0.075, 0.05, 0.025], [0.025, 0.075, -0.1], [0.0625, -0.125, 0.0625],
           [0.05, 0.05, -0.1]], where=where)

    rng = np.random.default_rng(13)
    for n, k in ((1, 3), (8, 10), (32, 5)):
        P = probabilities(rng, n, k)
        T = np.eye(k)[rng.integers(0, k, size=n)]
        close(f"output_delta for {n} samples and {k} classes",
              kernel.call("output_delta", P, T), reference_output_delta(P, T), where=where)
    return "Exercise 18: output_delta is right."


# -- Exercise 19 -----------------------------------------------------------------------------
@grades("check_forward")
def forward(kernel):
    where = ("Exercise 19 (a): for each layer l, the receptors Z(l) = X(l-1) W(l) + b(l), of "
             "shape (n, n(l)); the neurons are their ReLU in the hidden layers and their "
             "softmax (your Exercise 16) in the output layer; the dictionary holds the input "
             "under 'x0' and every receptor and neuron under 'z{l}' and 'x{l}'.")
    # Graded on its own: while it runs, softmax is a correct one computed by the grader.
    helpers = {"softmax": reference_softmax}
    values = kernel.run("forward", (PARAMS_SMALL, X_SMALL), helpers=helpers).value
    equal("the keys of forward(params_small, X_small)",
          keys("forward(params_small, X_small)", values, where),
          ["x0", "x1", "x2", "z1", "z2"], where=where)
    for key in ("z1", "x1", "z2", "x2"):
        close(f'forward(...)["{key}"]', values[key], VALUES_SMALL[key], where=where)

    rng = np.random.default_rng(14)
    cases = networks(rng, (([5, 4], 3), ([6, 8, 3], 7), ([4, 5, 6, 10], 9),
                           ([3, 2, 2, 2, 4], 1)), small=True)
    for dims, params, X, _ in cases:
        got = kernel.run("forward", (params, X), helpers=helpers).value
        ref = reference_forward(params, X)
        equal(f"the keys of forward for layers {dims}",
              keys(f"forward(...) for layers {dims}", got, where), sorted(ref), where=where)
        for key in ref:
            close(f'forward(...)["{key}"] for layers {dims} and {len(X)} samples', got[key],
                  ref[key], where=where)
    return "Exercise 19 (a): forward is right."


@grades("check_backward")
def backward(kernel):
    where = ("Exercise 19 (b): start from your output delta (Exercise 18) and go down the "
             "layers with the delta recursion: a layer's weight gradient is the transposed "
             "neurons of the layer below times its delta, its bias gradient the sum of the "
             "delta's rows; the delta of the layer below goes back through W(l) and the ReLU "
             "slope of that layer.")
    # Graded on its own: while it runs, output_delta is a correct one computed by the grader.
    helpers = {"output_delta": reference_output_delta}
    grads = kernel.run("backward", (PARAMS_SMALL, VALUES_SMALL, T_SMALL), helpers=helpers).value
    equal("the keys of backward(...)", keys("backward(...)", grads, where),
          ["dW1", "dW2", "db1", "db2"], where=where)
    close('backward(...)["dW2"]', grads["dW2"],
          [[-0.0525777609, 0.0400398848, 0.0125378761],
           [0.0281283616, 0.0328845259, -0.0610128875],
           [0.0565448119, 0.0034005644, -0.0599453763],
           [-0.0203743911, 0.0137058342, 0.0066685569]], where=where)
    close('backward(...)["db2"]', grads["db2"], [[0.0797369727, 0.1261466423, -0.205883615]],
          where=where)
    close('backward(...)["dW1"]', grads["dW1"],
          [[-0.0383820244, 0.0045917538, 0.0484478145, -0.0106697401],
           [-0.0002498652, -0.0388629153, -0.004577706, 0.0224875008],
           [0.0407086987, 0.014684323, -0.0494333284, -0.0116489836]], where=where)
    close('backward(...)["db1"]', grads["db1"],
          [[-0.1063391065, -0.1193391534, 0.0654873377, -0.0820492165]], where=where)

    rng = np.random.default_rng(15)
    cases = networks(rng, (([5, 4], 3), ([6, 8, 3], 7), ([4, 5, 6, 10], 9),
                           ([3, 7, 2, 5, 4], 2)), small=True)
    for dims, params, X, T in cases:
        values = reference_forward(params, X)
        got = kernel.run("backward", (params, values, T), helpers=helpers).value
        ref = reference_backward(params, values, T)
        equal(f"the keys of backward for layers {dims}",
              keys(f"backward(...) for layers {dims}", got, where), sorted(ref), where=where)
        for key in ref:
            close(f'backward(...)["{key}"] for layers {dims} and {len(X)} samples', got[key],
                  ref[key], where=where)
    return "Exercise 19 (b): backward is right."


@grades("check_sgd_step")
def sgd_step(kernel):
    where = ("Exercise 19 (c): forward, then backward, then every parameter moves against its "
             "gradient, scaled by the learning rate (the update equation above Exercise 19), "
             "in the arrays of params themselves; return the probabilities Y_hat computed "
             "before the update.")
    # Graded on its own: while it runs, everything it calls is computed by the grader.
    helpers = {"softmax": reference_softmax, "output_delta": reference_output_delta,
               "forward": reference_forward, "backward": reference_backward}
    reply = kernel.run("sgd_step", (PARAMS_SMALL, X_SMALL, T_SMALL, 0.5), helpers=helpers,
                       echo_args=True)
    after = reply.args[0]
    close("the Y_hat returned by sgd_step (computed before the update)", reply.value,
          VALUES_SMALL["x2"], where=where)
    close('params["W1"] after sgd_step', after["W1"],
          [[0.5191910122, -0.3022958769, 0.1757760927, 0.10533487],
           [-0.3998750674, 0.6194314576, 0.302288853, -0.2112437504],
           [0.2796456507, 0.1926578385, -0.4752833358, 0.4058244918]], where=where)
    close('params["b1"] after sgd_step', after["b1"],
          [[0.1531695532, -0.0403304233, 0.0172563312, 0.0410246082]], where=where)
    close('params["W2"] after sgd_step', after["W2"],
          [[0.3262888804, -0.2200199424, 0.493731062],
           [-0.6140641808, 0.383557737, 0.1305064438],
           [0.171727594, 0.2982997178, -0.3700273119],
           [0.5101871956, -0.1068529171, 0.1966657216]], where=where)
    close('params["b2"] after sgd_step', after["b2"],
          [[-0.0398684863, 0.0369266788, 0.0029418075]], where=where)

    rng = np.random.default_rng(16)
    cases = networks(rng, (([5, 4], 3), ([6, 8, 3], 7), ([4, 5, 6, 10], 9)), small=True)
    for (dims, params, X, T), learning_rate in zip(cases, (0.5, 0.1, 0.01, 1.0), strict=True):
        reply = kernel.run("sgd_step", (params, X, T, learning_rate), helpers=helpers,
                           echo_args=True)
        new, Y_hat = reference_step(params, X, T, learning_rate)
        close(f"the Y_hat returned by sgd_step for layers {dims}", reply.value, Y_hat,
              where=where)
        for key in new:
            close(f'params["{key}"] after sgd_step for layers {dims}, learning rate '
                  f"{learning_rate}", reply.args[0][key], new[key], where=where)
    return "Exercise 19 (c): sgd_step is right: your network can learn."


# -- Exercise 20 -----------------------------------------------------------------------------
@grades("check_accuracy")
def accuracy(kernel):
    where = ("Exercise 20: a row counts as right when the column of its largest probability is "
             "its label; the accuracy is the fraction of right rows, a number between 0 and 1.")
    close("accuracy(Y_example, [0, 1, 1, 2])",
          kernel.call("accuracy", Y_EXAMPLE, np.array([0, 1, 1, 2])), 0.75, where=where)
    close("accuracy(Y_example, [0, 2, 1, 2])",
          kernel.call("accuracy", Y_EXAMPLE, np.array([0, 2, 1, 2])), 1.0, where=where)

    rng = np.random.default_rng(17)
    for n, k in ((1, 2), (10, 10), (37, 4)):
        P = rng.uniform(size=(n, k))
        labels = rng.integers(0, k, size=n)
        close(f"accuracy for {n} samples and {k} classes",
              kernel.call("accuracy", P, labels), reference_accuracy(P, labels),
              where=where)
    P = np.eye(4)[[0, 1, 2, 3, 0]]
    close("accuracy when every answer is wrong",
          kernel.call("accuracy", P, np.array([1, 2, 3, 0, 1])), 0.0, where=where)
    return "Exercise 20: accuracy is right."
