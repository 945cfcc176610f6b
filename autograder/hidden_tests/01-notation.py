"""Hidden tests of chapter 1, notation (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, then calls the learner's
functions on other layer sizes and matrices and compares with the references below.
"""

import numpy as np

from nnbook.checks import close, equal
from nnbook.grader.bridge import Other
from nnbook.grader.hidden import grades

#: The example's W2, as the visible check of Warm-up C builds it.
W2 = np.array([[0.01, -0.01], [-0.09, 0.03], [0.07, 0.02]])


def call(kernel, name, *args):
    """``kernel.call``, except that a NumPy float (``W[0, 0]``) comes back as a number.

    The channel sends ``np.float64`` as an unsupported object (it is a subclass of ``float``,
    which ``kernel_side.encode`` tests first); such a result is kept in the kernel and fetched
    again through its ``.item()``.
    """
    reply = kernel.run(name, args, keep=True)
    if isinstance(reply.value, Other) and reply.value.type_name in ("float64", "str_"):
        return reply.remote.call("item")
    return reply.value


def reference_shapes(dims):
    """{'W1': (n0, n1), 'b1': (1, n1), ...} for the layer sizes ``dims``."""
    shapes = {}
    for l in range(1, len(dims)):
        shapes[f"W{l}"] = (dims[l - 1], dims[l])
        shapes[f"b{l}"] = (1, dims[l])
    return shapes


def reference_count(dims):
    """The number of weights and biases of a network with the layer sizes ``dims``."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(dims[:-1], dims[1:], strict=True))


@grades("check_parameter_shapes")
def parameter_shapes(kernel):
    where = "Warm-up A: W{l} is (n(l-1), n(l)) and b{l} is (1, n(l)), for l = 1 .. L."
    for dims in ([2, 3, 2, 1], [1, 1], [4, 7], [5, 3, 8, 2], [3, 6, 6, 6, 9, 1]):
        equal(f"parameter_shapes({dims})", kernel.call("parameter_shapes", list(dims)),
              reference_shapes(dims), where=where)
    return "Warm-up A: the shapes of W1..W3 and b1..b3 are right, and for other networks too."


@grades("check_count_parameters")
def count_parameters(kernel):
    where = "Warm-up B: add n(l-1) * n(l) weights and n(l) biases for each layer l = 1 .. L."
    equal("count_parameters([2, 3, 2, 1])", kernel.call("count_parameters", [2, 3, 2, 1]), 20,
          where=where)
    equal("n_params", kernel.value("n_params"), 20,
          where=where + " Store the count for [2, 3, 2, 1].")
    for dims in ([1, 1], [784, 64, 10], [3, 5, 4, 2], [2, 2, 2, 2, 2, 2]):
        equal(f"count_parameters({dims})", kernel.call("count_parameters", list(dims)),
              reference_count(dims), where=where)
    return "Warm-up B: 14 weights + 6 biases = 20 parameters, and other networks count right."


@grades("check_weight_lookup")
def weight_lookup(kernel):
    where = ("Warm-up C: book indices start at 1, NumPy's at 0; row i of W(l) holds the "
             "weights leaving neuron i, column j those arriving at neuron j.")
    close("weight(W2, 3, 1)", call(kernel, "weight", W2, 3, 1), 0.07, where=where)
    close("weights_leaving(W2, 2)", kernel.call("weights_leaving", W2, 2), [-0.09, 0.03],
          where=where)
    close("weights_arriving(W2, 2)", kernel.call("weights_arriving", W2, 2),
          [-0.01, 0.03, 0.02], where=where)
    rng = np.random.default_rng(2024)
    for rows, cols in ((4, 5), (1, 3), (6, 1)):
        M = rng.normal(size=(rows, cols))
        for i in range(1, rows + 1):
            close(f"weights_leaving(<{rows}x{cols} matrix>, {i})",
                  kernel.call("weights_leaving", M, i), M[i - 1], where=where)
            for j in range(1, cols + 1):
                close(f"weight(<{rows}x{cols} matrix>, {i}, {j})",
                      call(kernel, "weight", M, i, j), M[i - 1, j - 1], where=where)
        for j in range(1, cols + 1):
            close(f"weights_arriving(<{rows}x{cols} matrix>, {j})",
                  kernel.call("weights_arriving", M, j), M[:, j - 1], where=where)
    return "Warm-up C: you can find any weight, row and column of W(l)."
