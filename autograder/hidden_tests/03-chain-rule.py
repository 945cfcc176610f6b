"""Hidden tests of chapter 3, chain-rule derivatives weight by weight (grader side: never released).

Each test re-checks what its cell's visible check shows the learner (the first sample of the
example data, with the example's weights), then calls the learner's derivative on other
samples, targets and random weights and biases, and compares with the reference below.
"""

import numpy as np

from nnbook.checks import close
from nnbook.example import example_weights, make_data
from nnbook.grader.bridge import Other
from nnbook.grader.hidden import grades

X, y = make_data()
PARAMS = example_weights()


def flipped():
    """The example's weights with the first column of W2 negated: z(2)_1 becomes positive."""
    params = {name: value.copy() for name, value in PARAMS.items()}
    params["W2"][:, 0] *= -1
    return params


def reference_gradients(x, t, p):
    """dJ/dW1, dJ/dW2, dJ/dW3 for one sample, J = (x3 - t)^2 / 2, written out independently."""
    x0 = np.asarray(x, dtype=float)
    z1 = x0 @ p["W1"] + p["b1"].ravel()
    a1 = np.where(z1 > 0, z1, 0.0)
    z2 = a1 @ p["W2"] + p["b2"].ravel()
    a2 = np.where(z2 > 0, z2, 0.0)
    z3 = a2 @ p["W3"] + p["b3"].ravel()
    d3 = z3 - t
    d2 = (p["W3"] @ d3) * (z2 > 0)
    d1 = (p["W2"] @ d2) * (z1 > 0)
    return np.outer(x0, d1), np.outer(a1, d2), np.outer(a2, d3)


def random_cases(seed, trials):
    """(x, t, params, reference gradients) for random samples, targets, weights and biases."""
    rng = np.random.default_rng(seed)
    for trial in range(trials):
        p = {"W1": rng.normal(size=(2, 3)), "b1": rng.normal(size=(1, 3)),
             "W2": rng.normal(size=(3, 2)), "b2": rng.normal(size=(1, 2)),
             "W3": rng.normal(size=(2, 1)), "b3": rng.normal(size=(1, 1))}
        x = rng.uniform(-4, 9, size=2)
        t = float(np.round(rng.uniform(-50, 150)))
        yield trial, x, t, p, reference_gradients(x, t, p)


def call(kernel, name, *args):
    """``kernel.call``, except that a NumPy float comes back as a number.

    The channel sends ``np.float64`` as an unsupported object (it is a subclass of ``float``,
    which ``kernel_side.encode`` tests first); such a result is kept in the kernel and fetched
    again through its ``.item()``.
    """
    reply = kernel.run(name, args, keep=True)
    if isinstance(reply.value, Other) and reply.value.type_name == "float64":
        return reply.remote.call("item")
    return reply.value


def value(kernel, name):
    """``kernel.value``, except that a NumPy float comes back as a number (see :func:`call`)."""
    got = kernel.value(name)
    if isinstance(got, Other) and got.type_name == "float64":
        return kernel.call(f"{name}.item")
    return got


@grades("check_derivative_w3_21")
def derivative_w3_21(kernel):
    where = ("Exercise 2: the same three factors as for w(3)_11, except the last: the neuron "
             "that w(3)_21 multiplies. Compute from the function's arguments only.")
    close("dj_dw3_21", value(kernel, "dj_dw3_21"), -2.77298, where=where)
    close("derivative_w3_21(X[2], y[2], params)",
          call(kernel, "derivative_w3_21", X[2], y[2], PARAMS), -0.936102, where=where)
    for trial, x, t, p, ref in random_cases(3021, 25):
        close(f"derivative_w3_21 for another sample, target and random weights (test {trial})",
              call(kernel, "derivative_w3_21", x, t, p), ref[2][1, 0], where=where)
    return "Exercise 2: dJ/dw(3)_21 = -2.77298 for the first sample."


@grades("check_derivative_w2_21")
def derivative_w2_21(kernel):
    where = ("Exercise 3: follow the worked example for w(2)_32 along the path through "
             "z(2)_1 and x(2)_1; one factor is the ReLU derivative, which is 0 or 1.")
    close("dj_dw2_21", value(kernel, "dj_dw2_21"), 0.0, where=where)
    close("derivative_w2_21(X[0], y[0], <weights with the first column of W2 negated>)",
          call(kernel, "derivative_w2_21", X[0], y[0], flipped()), 4.62178, where=where)
    for trial, x, t, p, ref in random_cases(3022, 25):
        close(f"derivative_w2_21 for another sample, target and random weights (test {trial})",
              call(kernel, "derivative_w2_21", x, t, p), ref[1][1, 0], where=where)
    return "Exercise 3: dJ/dw(2)_21 is right, for an active and an inactive neuron x(2)_1."


@grades("check_derivative_w2")
def derivative_w2(kernel):
    where = ("Practice on W(2): only j decides the path (through z(2)_j); i picks the "
             "neuron of layer 1. Book indices i, j start at 1, NumPy's at 0.")
    close("dj_dw2_22", value(kernel, "dj_dw2_22"), -6.47028, where=where)
    for name in ("dj_dw2_11", "dj_dw2_12", "dj_dw2_31"):
        close(name, value(kernel, name), 0.0, where=where)
    close("derivative_w2(2, 1, X[0], y[0], params)",
          call(kernel, "derivative_w2", 2, 1, X[0], y[0], PARAMS), 0.0, where=where)
    for trial, x, t, p, ref in random_cases(3023, 12):
        for i in (1, 2, 3):
            for j in (1, 2):
                close(f"derivative_w2({i}, {j}, ...) for another sample, target and random "
                      f"weights (test {trial})", call(kernel, "derivative_w2", i, j, x, t, p),
                      ref[1][i - 1, j - 1], where=where)
    return "Practice on W(2): dJ/dw(2)_22 = -6.47028, and the other three are 0 for this sample."


@grades("check_derivative_w1_12")
def derivative_w1_12(kernel):
    where = ("Exercise 4: two paths lead from w(1)_12 to J, one through each receptor of "
             "layer 2; did you add both, each with the weight it travels along?")
    close("dj_dw1_12", value(kernel, "dj_dw1_12"), -1.44751, where=where)
    close("derivative_w1_12(X[0], y[0], <weights with the first column of W2 negated>)",
          call(kernel, "derivative_w1_12", X[0], y[0], flipped()), 1.65435, where=where)
    for trial, x, t, p, ref in random_cases(3024, 40):
        close(f"derivative_w1_12 for another sample, target and random weights (test {trial})",
              call(kernel, "derivative_w1_12", x, t, p), ref[0][0, 1], where=where)
    return "Exercise 4: dJ/dw(1)_12 = -1.44751, and both paths are counted."


@grades("check_derivative_w1")
def derivative_w1(kernel):
    where = ("Practice on W(1): as in Exercise 4, but w(1)_ij arrives at z(1)_j, so the two "
             "paths leave x(1)_j along row j of W(2); i only picks the input.")
    close("dj_dw1_22", value(kernel, "dj_dw1_22"), -2.06448, where=where)
    for name in ("dj_dw1_11", "dj_dw1_13", "dj_dw1_23"):
        close(name, value(kernel, name), 0.0, where=where)
    close("derivative_w1(1, 2, X[0], y[0], params)",
          call(kernel, "derivative_w1", 1, 2, X[0], y[0], PARAMS), -1.44751, where=where)
    for trial, x, t, p, ref in random_cases(3025, 12):
        for i in (1, 2):
            for j in (1, 2, 3):
                close(f"derivative_w1({i}, {j}, ...) for another sample, target and random "
                      f"weights (test {trial})", call(kernel, "derivative_w1", i, j, x, t, p),
                      ref[0][i - 1, j - 1], where=where)
    return "Practice on W(1): dJ/dw(1)_22 = -2.06448, and the other three are 0 for this sample."
