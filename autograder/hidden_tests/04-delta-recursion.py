"""Hidden tests of chapter 4, the delta recursion (grader side: never released).

Each test re-checks what its cell's visible check shows the learner (the example's data and
weights), then calls the learner's function on other samples, data, weights and layer widths,
and compares with the references below. The gradient check of Exercises D4-D5 is graded with
the package's own copy (``nnbook.gradcheck``) off limits, so an answer that calls it fails.
"""

import numpy as np

from nnbook.checks import CheckFailed, close, equal
from nnbook.example import example_weights, make_data
from nnbook.grader.bridge import LearnerError, Other
from nnbook.grader.hidden import grades

X, y = make_data()
Y = y.reshape(-1, 1)
PARAMS = example_weights()
#: Layer widths (n0, n1, n2, n3) of the random networks of the hidden tests.
WIDTHS = [(2, 3, 2, 1), (3, 4, 5, 2), (1, 2, 2, 3), (4, 1, 3, 1), (2, 5, 4, 2), (5, 3, 3, 4)]
#: The package's gradient check, which the learner's own code may not call.
FORBID = tuple(f"nnbook.gradcheck.{name}" for name in
               ("numerical_gradient", "numerical_gradients", "relative_error", "verdict"))
#: The label of the grader's own requests (in a message only if the kernel fails them).
SETUP = "the grader's setup"


# -- references ------------------------------------------------------------------------------
def reference_backward(X, Y, p):
    """Deltas [D1, D2, D3] and gradients of J = 1/(2n) sum |X3 - Y|^2 over the rows of X."""
    n = X.shape[0]
    Z1 = X @ p["W1"] + p["b1"]
    A1 = np.where(Z1 > 0, Z1, 0.0)
    Z2 = A1 @ p["W2"] + p["b2"]
    A2 = np.where(Z2 > 0, Z2, 0.0)
    Z3 = A2 @ p["W3"] + p["b3"]
    D3 = (Z3 - Y) / n
    D2 = (D3 @ p["W3"].T) * (Z2 > 0)
    D1 = (D2 @ p["W2"].T) * (Z1 > 0)
    grads = {}
    for l, (A, D) in enumerate([(X, D1), (A1, D2), (A2, D3)], start=1):
        grads[f"dW{l}"] = A.T @ D
        grads[f"db{l}"] = D.sum(axis=0, keepdims=True)
    return [D1, D2, D3], grads


def reference_sample(x, t, p):
    """The deltas (1-D) and the gradients of one sample x with target t."""
    deltas, grads = reference_backward(np.reshape(x, (1, -1)), np.reshape(t, (1, -1)), p)
    return [delta[0] for delta in deltas], grads


def reference_cost(X, Y, p):
    """J = 1/(2n) * the sum of the squared errors."""
    D3 = reference_backward(X, Y, p)[0][2]  # (X3 - Y) / n
    return float(np.sum(D3 ** 2) * len(X) / 2)


def reference_numerical_gradient(f, P, epsilon):
    """Central differences of f(P) with respect to every entry of P (P is not changed)."""
    grad = np.zeros(P.shape)
    for index in np.ndindex(P.shape):
        plus, minus = P.copy(), P.copy()
        plus[index] += epsilon
        minus[index] -= epsilon
        grad[index] = (f(plus) - f(minus)) / (2 * epsilon)
    return grad


def reference_relative_error(a, n):
    """norm(a - n) / (norm(a) + norm(n)), written out."""
    return float(np.sqrt(np.sum((a - n) ** 2))
                 / (np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(n ** 2))))


def random_network(rng, widths):
    params = {}
    for l in (1, 2, 3):
        params[f"W{l}"] = rng.normal(size=(widths[l - 1], widths[l]))
        params[f"b{l}"] = rng.normal(size=(1, widths[l]))
    return params


# -- the channel -----------------------------------------------------------------------------
def scalar(reply):
    """The value of a reply kept in the kernel, with a NumPy float or str as a Python one.

    The channel sends ``np.float64`` and ``np.str_`` as unsupported objects (they subclass
    ``float`` and ``str``, which ``kernel_side.encode`` tests first): they are fetched again
    through their ``.item()``.
    """
    if isinstance(reply.value, Other) and reply.value.type_name in ("float64", "str_"):
        return reply.remote.call("item")
    return reply.value


def module(kernel, name):
    """A handle on the module ``name`` in the kernel (imported by a call: no code is sent)."""
    return kernel.run("__builtins__.__import__", (name,), {"fromlist": ["__name__"]},
                      keep=True, label=SETUP).remote


def numerical_gradient_caller(kernel):
    """A function ``(f, P, shown, **kwargs) -> (result, P afterwards)`` that calls the learner's
    numerical_gradient(f, P, **kwargs), with the package's copy off limits, where f() is the
    grader's ``f(P)``.

    P lives in the kernel, and f there is ``functools.partial(<callback>, P)``: each f() calls
    back the grader with P as it is at that moment. ``shown`` names the call in messages.
    """
    array = module(kernel, "numpy").attr("array")
    partial = module(kernel, "functools").attr("partial")

    def numerical_gradient(f, P, shown, **kwargs):
        P_kernel = kernel.run(array, (P,), keep=True, label=SETUP).remote
        here = kernel.callback(lambda P_now: float(f(np.asarray(P_now, dtype=float))))
        f_kernel = kernel.run(partial, (here, P_kernel), keep=True, label=SETUP).remote
        try:
            reply = kernel.run("numerical_gradient", (f_kernel, P_kernel), kwargs,
                               echo_args=True, forbid=FORBID)
        except LearnerError as error:
            text = str(error)
            _, raised, rest = text.partition(" raised ")
            raise LearnerError(f"{shown} raised {rest}" if raised else text,
                               error.type_name) from None
        return reply.value, reply.args[1]

    return numerical_gradient


# -- checks of the shapes of answers ---------------------------------------------------------
def kind(value) -> str:
    if isinstance(value, Other):
        return f"a {value.type_name}"
    return f"a {type(value).__name__}"


def as_list(name, got, where):
    """``got`` as a list of its items (an answer that is a list, tuple or array)."""
    if isinstance(got, (list, tuple)) or (isinstance(got, np.ndarray) and got.ndim > 0):
        return list(got)
    raise CheckFailed(f"{name} should return a list [delta1, delta2, delta3], got {kind(got)}."
                      f"\n    Where to look: {where}")


def as_dict(name, got, where):
    if isinstance(got, dict):
        return got
    raise CheckFailed(f"{name} should return a dict with the keys 'dW1', 'db1', ..., got "
                      f"{kind(got)}.\n    Where to look: {where}")


def entry(name, grads, key, where):
    if key not in grads:
        raise CheckFailed(f"{name} has no entry {key!r}: its keys are {sorted(map(str, grads))}."
                          f"\n    Where to look: {where}")
    return grads[key]


# -- the tests -------------------------------------------------------------------------------
@grades("check_sample_deltas")
def sample_deltas(kernel):
    where = ("Exercise D1: start at the output and go backwards: each hidden delta sums the "
             "next layer's deltas along the weights leaving the neuron, times the ReLU "
             "derivative.")
    name = "sample_deltas(X[0], y[0], params)"
    deltas = as_list(name, kernel.call("sample_deltas", X[0], y[0], PARAMS), where)
    equal(f"len({name})", len(deltas), 3, where=where)
    close("delta3", deltas[2], [-112.9982822], where=where)
    close("delta2", deltas[1], [0.0, -7.909879754], where=where)
    close("delta1", deltas[0], [0.0, -0.2372963926, 0.0], where=where)
    rng = np.random.default_rng(4001)
    for trial, widths in enumerate(WIDTHS * 3):
        p = random_network(rng, widths)
        x = rng.uniform(-3, 3, size=widths[0])
        t = rng.normal(size=widths[3]) * 5 if widths[3] > 1 else float(rng.normal() * 5)
        got = as_list("sample_deltas(...)", kernel.call("sample_deltas", x, t, p), where)
        ref = reference_sample(x, t, p)[0]
        equal(f"len(sample_deltas(...)) for layers {widths}", len(got), 3, where=where)
        for l in (1, 2, 3):
            close(f"delta{l} for layers {widths}, random weights and sample (test {trial})",
                  got[l - 1], ref[l - 1], where=where)
    return "Exercise D1: the deltas of the first sample match chapter 3's receptor derivatives."


@grades("check_sample_gradients")
def sample_gradients(kernel):
    where = ("Exercise D2: entry (i, k) of dW{l} is neuron i of layer l-1 times delta k of "
             "layer l, so dW{l} has the shape of W{l}; db{l} is the delta of layer l as one "
             "row.")
    keys = ["dW1", "dW2", "dW3", "db1", "db2", "db3"]
    # The learner's sample_deltas is graded in Exercise D1: here it is replaced by the
    # reference, so that a mistake there costs no points of Exercise D2.
    deltas = kernel.callback(lambda x, t, p: reference_sample(x, t, p)[0])

    def sample_gradients_of(x, t, p):
        return kernel.run("sample_gradients", (x, t, p),
                          helpers={"sample_deltas": deltas}).value

    grads = as_dict("sample_gradients(...)", sample_gradients_of(X[0], y[0], PARAMS), where)
    equal("the keys of sample_gradients(...)", sorted(map(str, grads)), keys, where=where)
    close("dW3", grads["dW3"], [[0.0], [-2.77298]], where=where)
    close("dW2", grads["dW2"], [[0.0, 0.0], [0.0, -6.47028], [0.0, 0.0]], where=where)
    close("dW1", grads["dW1"], [[0.0, -1.44751, 0.0], [0.0, -2.06448, 0.0]], where=where)
    close("db3", grads["db3"], [[-112.998282]], where=where)
    close("db2", grads["db2"], [[0.0, -7.90988]], where=where)
    close("db1", grads["db1"], [[0.0, -0.237296, 0.0]], where=where)
    rng = np.random.default_rng(4002)
    for trial, widths in enumerate(WIDTHS[:5] * 3):
        p = random_network(rng, widths)
        x = rng.uniform(-3, 3, size=widths[0])
        t = rng.normal(size=widths[3]) * 5
        got = as_dict("sample_gradients(...)", sample_gradients_of(x, t, p), where)
        ref = reference_sample(x, t, p)[1]
        equal(f"the keys of sample_gradients(...) for layers {widths}", sorted(map(str, got)),
              keys, where=where)
        for name in ("dW1", "db1", "dW2", "db2", "dW3", "db3"):
            close(f"{name} for layers {widths}, random weights and sample (test {trial})",
                  got[name], ref[name], where=where)
    return "Exercise D2: the deltas reproduce every derivative of chapter 3."


#: (n, layer widths) of the random data of the tests of Exercise D3.
BATCHES = [(1, (2, 3, 2, 1)), (7, (3, 4, 5, 2)), (25, (2, 3, 2, 1)), (4, (1, 2, 2, 3)),
           (12, (5, 3, 3, 4)), (3, (4, 1, 3, 1))]


def backward_on_random_data(kernel, seed, names, where, unchanged=False):
    """The learner's backward on random data and networks, against the reference."""
    rng = np.random.default_rng(seed)
    for n, widths in BATCHES:
        p = random_network(rng, widths)
        Xr = rng.uniform(-3, 3, size=(n, widths[0]))
        Yr = rng.normal(size=(n, widths[3])) * 5
        reply = kernel.run("backward", (Xr, Yr, p), echo_args=unchanged)
        got = as_dict("backward(...)", reply.value, where)
        ref = reference_backward(Xr, Yr, p)[1]
        for name in names:
            close(f"{name} for n = {n}, layers {widths}, random weights and data",
                  entry("backward(...)", got, name, where), ref[name], where=where)
        if unchanged:
            after = as_dict("params", reply.args[2], where)
            for name in p:
                close(f"params['{name}'] after backward (it must not change the parameters)",
                      entry("params after backward", after, name, where), p[name],
                      where=where)


@grades("check_backward_output")
def backward_output(kernel):
    where = ("Exercise D3, output layer: the output Delta is the prediction error divided by "
             "n; dW3 combines it with the neurons of layer 2 (shapes (2, n) and (n, 1)); db3 "
             "sums it over the samples.")
    grads = as_dict("backward(X, Y, params)", kernel.call("backward", X, Y, PARAMS), where)
    dW3 = entry("backward(X, Y, params)", grads, "dW3", where)
    db3 = entry("backward(X, Y, params)", grads, "db3", where)
    equal("dW3.shape", np.shape(dW3), (2, 1), where=where)
    equal("db3.shape", np.shape(db3), (1, 1), where=where)
    close("dW3", dW3, [[0.0], [-1.37244]], where=where)
    close("db3", db3, [[-70.9987]], where=where)
    backward_on_random_data(kernel, 4003, ("dW3", "db3"), where)
    return "Exercise D3, output layer: dJ/dW3 = (0, -1.37244) and dJ/db3 = -70.9987."


@grades("check_backward_hidden")
def backward_hidden(kernel):
    where = ("Exercise D3, hidden layers: each Delta comes from the next one through the "
             "transposed weights, times the ReLU derivative of its own receptors; the 1/n is "
             "already inside the output Delta, so divide by n only once.")
    grads = as_dict("backward(X, Y, params)", kernel.call("backward", X, Y, PARAMS), where)
    expected = {"dW2": [[0.0, 0.0], [0.0, -3.18472038], [0.0, -0.02645942]],
                "db2": [[0.0, -4.96991112]],
                "dW1": [[0.0, -0.84897339, -0.03704318], [0.0, -0.9820268, -0.01881558]],
                "db1": [[0.0, -0.14909733, -0.00587987]]}
    for name, value in expected.items():
        close(name, entry("backward(X, Y, params)", grads, name, where), value, where=where)
    one = as_dict("backward(X[:1], Y[:1], params)",
                  kernel.call("backward", X[:1], Y[:1], PARAMS), where)
    close("backward(X[:1], Y[:1], params)['dW2']",
          entry("backward(X[:1], Y[:1], params)", one, "dW2", where),
          [[0.0, 0.0], [0.0, -6.47028], [0.0, 0.0]], where=where)
    close("backward(X[:1], Y[:1], params)['dW1']",
          entry("backward(X[:1], Y[:1], params)", one, "dW1", where),
          [[0.0, -1.44751, 0.0], [0.0, -2.06448, 0.0]], where=where)
    backward_on_random_data(kernel, 4004, ("dW1", "db1", "dW2", "db2"), where, unchanged=True)
    return ("Exercise D3, hidden layers: every averaged gradient is right, and one row gives "
            "chapter 3's numbers.")


@grades("check_numerical_gradient")
def numerical_gradient_check(kernel):
    where = ("Exercise D4: for each entry of P in turn, evaluate f() with the entry nudged "
             "up by epsilon and down by epsilon, put the entry back, and store the central "
             "difference of the two costs.")
    restored = where + " P must hold its original values afterwards."
    given = where + " Use the epsilon you are given."

    def cost_of_W3(W3):
        return reference_cost(X, Y, dict(PARAMS, W3=W3))

    def cubes(P):
        return float(np.sum(P ** 3))

    numerical_gradient = numerical_gradient_caller(kernel)
    W3 = PARAMS["W3"]
    numeric, W3_after = numerical_gradient(
        cost_of_W3, W3, "numerical_gradient(<the cost>, params['W3'])")
    close("numerical_gradient(<the cost>, params['W3'])", numeric, [[0.0], [-1.37244]],
          where=where)
    close("params['W3'] after numerical_gradient", W3_after, W3, rtol=0, atol=1e-12,
          where=restored)
    shown = "numerical_gradient(lambda: np.sum(P ** 3), P, epsilon=0.1)"
    got, _ = numerical_gradient(cubes, np.array([[1.0, -2.0]]), shown, epsilon=0.1)
    close(shown, got, [[3.01, 12.01]], where=given)

    rng = np.random.default_rng(4005)
    for shape in ((5,), (3, 4), (2, 3, 2), (1, 1)):
        P = rng.normal(size=shape)
        C = rng.normal(size=shape)
        shown = f"numerical_gradient of sum(sin(P) * C) for P of shape {shape}"
        got, after = numerical_gradient(lambda P, C=C: np.sum(np.sin(P) * C), P, shown)
        close(shown, got, np.cos(P) * C, rtol=1e-6, atol=1e-8, where=where)
        close(f"P of shape {shape} after numerical_gradient", after, P, rtol=0, atol=1e-12,
              where=restored)
    for epsilon in (0.5, 1e-3):
        P = rng.normal(size=(2, 2))
        shown = f"numerical_gradient(sum(P ** 3), P, epsilon={epsilon})"
        got, _ = numerical_gradient(cubes, P, shown, epsilon=epsilon)
        close(shown, got, reference_numerical_gradient(cubes, P, epsilon), rtol=1e-6,
              where=given)
    return "Exercise D4: central differences reproduce dJ/dW3 = (0, -1.37244)."


@grades("check_relative_error")
def relative_error_check(kernel):
    where = ("Exercise D5: e = norm(a - n) / (norm(a) + norm(n)), 0.0 when both are zero; "
             "'right' below 1e-7, 'wrong' from 1e-4 on, 'suspicious' in between.")

    def relative_error(a, n):
        return scalar(kernel.run("relative_error", (a, n), keep=True, forbid=FORBID))

    def verdict(error):
        return scalar(kernel.run("verdict", (error,), keep=True, forbid=FORBID))

    close("relative_error([1, 2], [1, 2.5])",
          relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.5])), 0.101448, where=where)
    close("relative_error([[3, 4]], [[0, 0]])",
          relative_error(np.array([[3.0, 4.0]]), np.zeros((1, 2))), 1.0, where=where)
    close("relative_error(zeros, zeros)",
          relative_error(np.zeros((2, 3)), np.zeros((2, 3))), 0.0, where=where)
    for error, expected in ((1e-9, "right"), (3e-6, "suspicious"), (0.01, "wrong")):
        equal(f"verdict({error})", verdict(error), expected, where=where)

    rng = np.random.default_rng(4006)
    for shape in ((4,), (3, 2), (2, 2, 2)):
        a = rng.normal(size=shape)
        n = a + rng.normal(size=shape) * 10.0 ** rng.uniform(-9, 0)
        close(f"relative_error of two random arrays of shape {shape}", relative_error(a, n),
              reference_relative_error(a, n), rtol=1e-6, atol=0, where=where)
    close("relative_error(a, -a)", relative_error(a, -a), 1.0, where=where)
    close("relative_error(a, 0)", relative_error(a, np.zeros(a.shape)), 1.0, where=where)
    for error, expected in ((0.0, "right"), (9.9e-8, "right"), (1e-7, "suspicious"),
                            (5e-5, "suspicious"), (1e-4, "wrong"), (0.7, "wrong"),
                            (1.0, "wrong")):
        equal(f"verdict({error})", verdict(error), expected, where=where)
    return "Exercise D5: relative errors and verdicts are right."
