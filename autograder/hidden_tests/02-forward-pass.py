"""Hidden tests of chapter 2, the forward pass (grader side: never released).

Each test re-checks what its cell's visible check shows the learner, from the notebook's own
variables, then calls the learner's ``forward`` on other data, weights and biases and compares
with the reference below.
"""

import numpy as np

from nnbook.checks import close, equal
from nnbook.grader.hidden import grades

NAMES = ("Z1", "X1", "Z2", "X2", "Z3", "X3")


def reference_forward(X, Ws, bs):
    outs, A = [], X
    for l, (W, b) in enumerate(zip(Ws, bs, strict=True), start=1):
        Z = A @ W + b
        A = Z if l == len(Ws) else np.where(Z > 0, Z, 0.0)
        outs += [Z, A]
    return outs


def other_data(kernel, layers, where):
    """The learner's forward on random data, weights and biases, against the reference."""
    rng = np.random.default_rng(7)
    for n, outputs in ((1, 1), (6, 1), (25, 1), (4, 3)):
        X = rng.normal(size=(n, 2)) * 3
        Ws = [rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(2, outputs))]
        bs = [rng.normal(size=(1, 3)), rng.normal(size=(1, 2)), rng.normal(size=(1, outputs))]
        got = kernel.call("forward", X, Ws[0], bs[0], Ws[1], bs[1], Ws[2], bs[2])
        equal("the number of arrays forward returns", len(got), 6, where=where)
        ref = reference_forward(X, Ws, bs)
        for k in layers:
            close(f"{NAMES[k]} for other data (n = {n}, {outputs} output(s), random weights "
                  "and biases)", got[k], ref[k], where=where)


@grades("check_forward_layer1")
def layer1(kernel):
    where = ("Exercise 1, layer 1: each receptor is the weighted sum of the inputs plus its "
             "bias (the forward pass in matrix form, for all samples at once); each neuron "
             "is the ReLU of its receptor.")
    Z1, X1 = kernel.value("Z1"), kernel.value("X1")
    equal("Z1.shape", np.shape(Z1), (10, 3), where=where)
    equal("X1.shape", np.shape(X1), (10, 3), where=where)
    close("Z1[0]", Z1[0], [-0.314, 0.818, -0.417], where=where)
    close("column sums of Z1", np.sum(Z1, axis=0), [-3.136, 5.986, -2.238], where=where)
    close("X1[0]", X1[0], [0.0, 0.818, 0.0], where=where)
    close("column sums of X1", np.sum(X1, axis=0), [0.0, 5.986, 0.09], where=where)
    other_data(kernel, (0, 1), where)
    return "Exercise 1, layer 1: Z1 and X1 are right."


@grades("check_forward_layer2")
def layer2(kernel):
    where = ("Exercise 1, layer 2: the same two steps, starting from the neurons of layer 1 "
             "(not from the inputs), with the layer's own weights and bias.")
    Z2, X2 = kernel.value("Z2"), kernel.value("X2")
    equal("Z2.shape", np.shape(Z2), (10, 2), where=where)
    equal("X2.shape", np.shape(X2), (10, 2), where=where)
    close("Z2[0]", Z2[0], [-0.07362, 0.02454], where=where)
    close("X2[0]", X2[0], [0.0, 0.02454], where=where)
    close("column sums of X2", np.sum(X2, axis=0), [0.0, 0.18138], where=where)
    other_data(kernel, (2, 3), where)
    return "Exercise 1, layer 2: Z2 and X2 are right."


@grades("check_forward_layer3")
def layer3(kernel):
    where = ("Exercise 1, output layer: the receptors as in the hidden layers, bias "
             "included; the output activation is the identity, not the ReLU, so a prediction "
             "may be negative.")
    Z3, X3 = kernel.value("Z3"), kernel.value("X3")
    equal("Z3.shape", np.shape(Z3), (10, 1), where=where)
    equal("X3.shape", np.shape(X3), (10, 1), where=where)
    close("Z3[0, 0]", Z3[0, 0], 0.0017178, where=where)
    close("X3[0, 0]", X3[0, 0], 0.0017178, where=where)
    close("X3", X3, Z3, where=where)
    close("sum of X3", np.sum(X3), 0.0126966, where=where)
    other_data(kernel, (4, 5), where)
    return "Exercise 1, output layer: Z3 and X3 are right. The forward pass works!"
