"""Hidden tests of chapter 8, training well (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, then calls the learner's
function on other shapes, seeds and values and compares with the references below. The random
exercises (initialisation, dropout) are judged by what any right answer shares whatever its
seed: the shape, statistics within tolerances of many standard errors, exact relations between
the values returned, and the use of the generator handed in (the same seed gives the same
numbers, two seeds give different ones, the generator has moved on afterwards).
"""

import numpy as np

from nnbook.checks import CheckFailed, close, equal
from nnbook.grader.hidden import grades


# -- references ------------------------------------------------------------------------------
def reference_add_l2(grads, params, lam):
    return {key: grad + lam * params[key[1:]] if key.startswith("dW") else grad
            for key, grad in grads.items()}


def reference_early_stopping(val_losses, patience):
    best = 0
    for epoch in range(len(val_losses)):
        if val_losses[epoch] < val_losses[best]:
            best = epoch
        if epoch - best >= patience:
            return best + 1, epoch + 1
    return best + 1, len(val_losses)


def reference_batchnorm_backward(dY, Z, gamma, eps=1e-5):
    centred = Z - Z.mean(axis=0, keepdims=True)
    spread = np.sqrt((centred ** 2).mean(axis=0, keepdims=True) + eps)
    Z_hat = centred / spread
    g_hat = dY * gamma
    n = len(Z)
    dZ = (n * g_hat - g_hat.sum(axis=0, keepdims=True)
          - Z_hat * (g_hat * Z_hat).sum(axis=0, keepdims=True)) / (n * spread)
    return {"dZ": dZ, "dgamma": (dY * Z_hat).sum(axis=0, keepdims=True),
            "dbeta": dY.sum(axis=0, keepdims=True)}


# -- helpers ---------------------------------------------------------------------------------
def fail(message, where):
    raise CheckFailed(f"{message}\n    Where to look: {where}")


def floats(name, value, where):
    try:
        return np.array(value, dtype=float)
    except (TypeError, ValueError):
        fail(f"{name} should be an array of numbers, got {type(value).__name__}.", where)


def matches(name, got, expected, where):
    """``close``, quick for large arrays: its entry-by-entry message only when NumPy (the
    grader's own, which no submission can reach) finds a difference."""
    got_array = floats(name, got, where)
    if got_array.shape == np.shape(expected) and np.allclose(got_array, expected, rtol=1e-5,
                                                             atol=1e-8):
        return
    close(name, got, expected, where=where)


def about(name, got, expected, tolerance, where):
    got = float(got)
    if not abs(got - expected) <= tolerance * abs(expected):
        fail(f"{name}: expected about {expected:.6g} (within {tolerance:.0%}), got {got:.6g}, "
             f"{got / expected:.3g} times as much.", where)


def pair(name, got, where):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{name} should return a pair (two values), got {type(got).__name__}.", where)
    return got


def uses_generator(kernel, name, draw, where):
    """``draw(rng)`` calls the learner's function with a generator made in the kernel."""
    first = draw(kernel.new("np.random.default_rng", 5))
    second = draw(kernel.new("np.random.default_rng", 5))
    if np.shape(first) != np.shape(second) or not np.array_equal(first, second):
        fail(f"{name} twice with default_rng(5) gave different numbers: draw from the "
             "generator you receive.", where)
    if np.array_equal(first, draw(kernel.new("np.random.default_rng", 6))):
        fail(f"{name} gave the same numbers for default_rng(5) and default_rng(6): is the "
             "generator you receive used at all?", where)
    rng = kernel.new("np.random.default_rng", 7)
    draw(rng)
    if rng.call("random") == np.random.default_rng(7).random():
        fail(f"{name} drew nothing from the generator it received.", where)


# -- Exercise 21 -----------------------------------------------------------------------------
@grades("check_init")
def init(kernel):
    where = ("Exercise 21 and the equation of Xavier and He above it: W(l) has one row per "
             "neuron below (n_in) and one column per neuron of the layer (n_out); the variance "
             "divides by n_in, and rng.normal takes a standard deviation.")
    for name, factor in (("xavier_init", 1.0), ("he_init", 2.0)):
        for n_in, n_out in ((3, 5), (1, 1)):
            W = kernel.call(name, n_in, n_out, kernel.new("np.random.default_rng", 1))
            equal(f"{name}({n_in}, {n_out}, rng).shape", np.shape(W), (n_in, n_out),
                  where=where)
        # 20,000 weights or more: their variance is within 1% of the true one, give or take,
        # their mean within 1% of a standard deviation, the share of positive ones within 0.4%
        # of a half; allowed are ten, eight and eight times that, whatever the seed.
        for (n_in, n_out), seed in (((400, 50), 21), ((20, 1000), 21), ((250, 80), 121)):
            W = floats(f"{name}({n_in}, {n_out}, rng)",
                       kernel.call(name, n_in, n_out, kernel.new("np.random.default_rng", seed)),
                       where)
            equal(f"{name}({n_in}, {n_out}, rng).shape", W.shape, (n_in, n_out), where=where)
            about(f"the variance of {name}({n_in}, {n_out}, rng)", W.var(), factor / n_in, 0.1,
                  where)
            limit = 8 * np.sqrt(factor / n_in / W.size)
            if abs(W.mean()) > limit:
                fail(f"the mean of {name}({n_in}, {n_out}, rng) is {W.mean():.3g}, but should "
                     f"be 0 (within {limit:.2g}).", where)
            # A normal (or other symmetric) distribution: as many positive as negative weights.
            positive = np.mean(W > 0)
            if abs(positive - 0.5) > 8 * np.sqrt(0.25 / W.size):
                fail(f"{positive:.1%} of the weights of {name}({n_in}, {n_out}, rng) are "
                     "positive; a distribution with mean 0 gives about half.", where)
        uses_generator(kernel, f"{name}(40, 30, rng)",
                       lambda rng, name=name: kernel.call(name, 40, 30, rng), where)
    return "Exercise 21: xavier_init and he_init draw weights of the right size."


# -- Exercise 22 -----------------------------------------------------------------------------
L2_PARAMS = {"W1": np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]]),
             "b1": np.array([[0.1, -0.2, 0.3]]),
             "W2": np.array([[1.0, -2.0], [0.5, 0.25], [-1.5, 3.0]]),
             "b2": np.array([[0.4, -0.6]])}
L2_GRADS = {"dW1": np.array([[0.01, 0.02, -0.03], [0.04, -0.05, 0.06]]),
            "db1": np.array([[0.1, 0.2, -0.1]]),
            "dW2": np.array([[-0.2, 0.1], [0.3, -0.4], [0.05, 0.0]]),
            "db2": np.array([[0.7, -0.3]])}


def dictionary(name, value, where):
    if not isinstance(value, dict):
        fail(f"{name} should return a dict, got {type(value).__name__}.", where)
    return value


@grades("check_l2")
def l2(kernel):
    where = ("Exercise 22 and the equation of the gradient of J_lambda above it: each weight "
             "gradient dW{l} gets lam times its own W{l} added; the bias gradients stay as they "
             "are; the result is a new dict and the arrays you receive stay unchanged.")
    got = dictionary("add_l2", kernel.call("add_l2", L2_GRADS, L2_PARAMS, 0.1), where)
    equal("the keys of add_l2(grads, params, 0.1)", sorted(got, key=str),
          ["dW1", "dW2", "db1", "db2"], where=where)
    close('add_l2(grads, params, 0.1)["dW1"]', got["dW1"],
          [[0.06, -0.08, 0.17], [0.19, -0.05, 0.01]], where=where)
    close('add_l2(grads, params, 0.1)["db2"] (no penalty on biases)', got["db2"], [[0.7, -0.3]],
          where=where)

    rng = np.random.default_rng(22)
    for layers, lam in (([3, 1], 0.5), ([4, 6, 2], 0.01), ([2, 5, 3, 4], 3.0),
                        ([6, 2, 2, 2, 1], 1e-4)):
        params, grads = {}, {}
        for l in range(1, len(layers)):
            for kind, shape in (("W", (layers[l - 1], layers[l])), ("b", (1, layers[l]))):
                params[f"{kind}{l}"] = rng.normal(size=shape)
                grads[f"d{kind}{l}"] = rng.normal(size=shape)
        reply = kernel.run("add_l2", (grads, params, lam), echo_args=True)
        got = dictionary("add_l2", reply.value, where)
        expected = reference_add_l2(grads, params, lam)
        equal(f"the keys of add_l2 for layers {layers}", sorted(got, key=str),
              sorted(expected), where=where)
        for key, value in expected.items():
            close(f'add_l2(...)["{key}"] for layers {layers} and lam = {lam:g}', got[key],
                  value, where=where)
        for key in grads:
            close(f'grads["{key}"] after add_l2 (it must not change its arguments)',
                  reply.args[0][key], grads[key], where=where)
            close(f'params["{key[1:]}"] after add_l2', reply.args[1][key[1:]],
                  params[key[1:]], where=where)
    return "Exercise 22: add_l2 adds the L2 term to the weight gradients only."


# -- Exercise 23 -----------------------------------------------------------------------------
@grades("check_dropout")
def dropout(kernel):
    where = ("Exercise 23 and the dropout equation above it: keep each entry with probability "
             "keep_prob (a mask of 1s and 0s drawn from rng), scale the kept ones by "
             "1 / keep_prob; in evaluation nothing changes; backward uses the same mask and the "
             "same scale.")
    X_check = np.linspace(-3.0, 5.0, 60 * 100).reshape(60, 100)
    rng = np.random.default_rng(123)
    # The visible check's two cases, then smaller ones (every array crosses the channel).
    cases = [(X_check, 0.8, 23), (X_check, 0.3, 23), (rng.normal(size=(50, 120)), 0.9, 31),
             (rng.uniform(1, 2, size=(1, 6000)), 0.25, 32), (rng.normal(size=(60, 100)), 0.55, 33)]
    for X, keep_prob, seed in cases:
        shown = f"X of shape {X.shape} and keep_prob = {keep_prob}"
        out, mask = pair("dropout_forward(X, keep_prob, rng)", kernel.call(
            "dropout_forward", X, keep_prob, kernel.new("np.random.default_rng", seed)), where)
        out, mask = floats("out", out, where), floats("mask", mask, where)
        equal(f"the shape of the mask for {shown}", mask.shape, X.shape, where=where)
        if not np.all((mask == 0) | (mask == 1)):
            fail("the mask should hold only 0s and 1s (or False and True).", where)
        kept = mask.mean()
        # Eight standard errors of the share of kept entries: a right answer passes for any seed.
        if abs(kept - keep_prob) > 8 * np.sqrt(keep_prob * (1 - keep_prob) / mask.size):
            fail(f"the mask keeps {kept:.1%} of the entries for {shown}, expected about "
                 f"{keep_prob:.0%}.", where)
        matches(f"out for {shown} (the kept entries of X, scaled by 1 / keep_prob)", out,
                X * mask / keep_prob, where)
        if X is X_check:
            continue
        d_out = rng.normal(size=X.shape)
        matches(f"dropout_backward(d_out, mask, {keep_prob}) with the mask of your forward pass",
                kernel.call("dropout_backward", d_out, mask, keep_prob), d_out * mask / keep_prob,
                where)
    uses_generator(kernel, "dropout_forward(X, 0.5, rng)", lambda generator: pair(
        "dropout_forward(X, 0.5, rng)", kernel.call("dropout_forward", np.ones((30, 40)), 0.5,
                                                    generator), where)[1], where)
    for X in (X_check[:2, :3], rng.normal(size=(7, 4))):
        out, mask = pair("dropout_forward(X, keep_prob, rng, training=False)", kernel.call(
            "dropout_forward", X, 0.8, kernel.new("np.random.default_rng", 1), training=False),
            where)
        close(f"out in evaluation mode (training=False) for X of shape {X.shape}", out, X,
              where=where)
        equal("the mask in evaluation mode", mask, None, where=where)
    d_out = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    close("dropout_backward(d_out, mask, 0.5) for a given mask",
          kernel.call("dropout_backward", d_out, mask, 0.5), [[2.0, 0.0, 6.0], [0.0, 10.0, 12.0]],
          where=where)
    mask = rng.random((40, 50)) < 0.7
    d_out = rng.normal(size=(40, 50))
    close("dropout_backward(d_out, mask, 0.7) for a boolean mask",
          kernel.call("dropout_backward", d_out, mask, 0.7), d_out * mask / 0.7, where=where)
    return "Exercise 23: dropout_forward and dropout_backward are right."


# -- Exercise 24 -----------------------------------------------------------------------------
TRAIN_CURVE = [0.95, 0.7, 0.55, 0.45, 0.38, 0.33, 0.29, 0.26, 0.24, 0.22]
VAL_CURVE = [0.9, 0.7, 0.6, 0.62, 0.58, 0.59, 0.61, 0.63, 0.57, 0.7]


@grades("check_early_stopping")
def early_stopping(kernel):
    where = ("Exercise 24: the best epoch is the one with the lowest validation cost (strictly "
             "lower to count) up to the stop; training stops at the first epoch that is "
             "`patience` epochs after the best one, or at the last epoch; epochs count from 1.")

    def judged(train, val, patience):
        got = kernel.call("early_stopping", list(train), list(val), patience)
        got = tuple(got) if isinstance(got, (list, tuple)) else got
        equal(f"early_stopping for {len(val)} epochs and patience {patience} (validation "
              f"costs {', '.join(f'{v:.3g}' for v in val[:6])}{', ...' if len(val) > 6 else ''})",
              got, reference_early_stopping(val, patience), where=where)

    for patience in (3, 5, 1):
        judged(TRAIN_CURVE, VAL_CURVE, patience)
    judged([0.6, 0.5, 0.4, 0.3], [0.5, 0.5, 0.5, 0.4], 2)
    judged([1.0], [0.8], 1)
    judged([1.0, 0.9], [0.8, 0.9], 1)
    rng = np.random.default_rng(24)
    for epochs, patience in ((30, 4), (50, 10), (12, 2), (80, 7), (40, 40)):
        train = np.sort(rng.uniform(0.1, 1.0, size=epochs))[::-1]
        # A validation curve that falls, then rises, with noise on top.
        turn = rng.integers(1, epochs)
        val = (np.abs(np.arange(epochs) - turn) / epochs + 0.5
               + rng.normal(scale=0.05, size=epochs))
        judged(np.round(train, 4).tolist(), np.round(val, 4).tolist(), patience)
    return "Exercise 24: early_stopping finds the best epoch and stops at the right one."


# -- Exercise 25 -----------------------------------------------------------------------------
BN_Z = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5], [-1.0, 4.0, 2.5], [2.0, 1.0, 0.5]])
BN_GAMMA = np.array([[1.5, -0.5, 2.0]])
BN_DY = np.array([[0.2, -0.1, 0.4], [-0.3, 0.5, 0.1], [0.6, 0.2, -0.2], [0.1, -0.4, 0.3]])


@grades("check_batchnorm")
def batchnorm(kernel):
    where = ("Exercise 25 and the equation of dJ/dz above it: both sums run over the samples "
             "(axis 0, kept with length 1); the variance divides by n; dgamma sums dY times "
             "Z_hat, dbeta sums dY, each of shape (1, m).")
    got = dictionary("batchnorm_backward", kernel.call("batchnorm_backward", BN_DY, BN_Z,
                                                       BN_GAMMA), where)
    equal("the keys of batchnorm_backward", sorted(got, key=str), ["dZ", "dbeta", "dgamma"],
          where=where)
    close('batchnorm_backward(...)["dZ"] for a batch of 4 x 3', got["dZ"],
          [[-0.002897420049, 0.01939898087, 0.3535525067],
           [-0.08113633841, -0.1080798462, -0.2828409447],
           [-0.02607678044, -0.01662770844, -0.282843066],
           [0.1101105389, 0.1053085738, 0.212131504]], where=where)

    rng = np.random.default_rng(25)
    for n, m, eps in ((2, 1, 1e-5), (5, 4, 1e-5), (16, 3, 1e-3), (7, 9, 1e-5), (3, 6, 0.1)):
        Z = rng.normal(loc=rng.normal(scale=3, size=m), scale=rng.uniform(0.5, 4, size=m),
                       size=(n, m))
        gamma = rng.normal(size=(1, m))
        dY = rng.normal(size=(n, m))
        args = (dY, Z, gamma) + (() if eps == 1e-5 else (eps,))
        got = dictionary("batchnorm_backward", kernel.call("batchnorm_backward", *args), where)
        expected = reference_batchnorm_backward(dY, Z, gamma, eps)
        equal(f"the keys of batchnorm_backward for a batch of {n} x {m}", sorted(got, key=str),
              ["dZ", "dbeta", "dgamma"], where=where)
        for key in ("dbeta", "dgamma", "dZ"):
            close(f'batchnorm_backward(...)["{key}"] for a batch of {n} x {m}, eps = {eps:g}',
                  got[key], expected[key], where=where)
    return "Exercise 25: batchnorm_backward is right, mean terms included."
