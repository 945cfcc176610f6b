"""Typical wrong answers of chapter 2, the forward pass (see tests/test_wrong_answers.py)."""

CHAPTER = "02-forward-pass"

L1, L2, L3 = "check_forward_layer1", "check_forward_layer2", "check_forward_layer3"
ALL = [L1, L2, L3]

WRONG = [
    dict(cell="forward", exercise=1, why="biases left out",
         replace=[(" + b1", ""), (" + b2", ""), (" + b3", "")], fails=ALL),
    dict(cell="forward", exercise=1, why="output bias left out",
         replace=[(" + b3", "")], fails=[L3]),
    dict(cell="forward", exercise=1, why="ReLU on the output layer",
         replace=[("X3 = Z3", "X3 = np.maximum(0, Z3)")], fails=[L3]),
    dict(cell="forward", exercise=1, why="no ReLU in layer 2",
         replace=[("X2 = np.maximum(0, Z2)", "X2 = Z2")], fails=[L2, L3]),
    dict(cell="forward", exercise=1, why="bias added after the ReLU",
         replace=[("Z1 = X @ W1 + b1\n    X1 = np.maximum(0, Z1)",
                   "Z1 = X @ W1\n    X1 = np.maximum(0, Z1) + b1")], fails=ALL),
    dict(cell="forward", exercise=1, why="layer 2 from the inputs",
         replace=[("Z2 = X1 @ W2", "Z2 = X @ W2")], fails=ALL),
    dict(cell="forward", exercise=1, why="layer 3 from layer 1",
         replace=[("Z3 = X2 @ W3", "Z3 = X1 @ W3")], fails=ALL),
    dict(cell="forward", exercise=1, why="weights transposed",
         replace=[("X @ W1", "X @ W1.T")], fails=ALL),
    dict(cell="forward", exercise=1, why="weights times inputs",
         replace=[("X @ W1", "W1.T @ X.T")], fails=ALL),
    dict(cell="forward", exercise=1, why="element-wise product for the matrix one",
         replace=[("X1 @ W2", "X1 * W2")], fails=ALL),
    dict(cell="forward", exercise=1, why="ReLU as the largest entry",
         replace=[("np.maximum(0, Z1)", "np.max(Z1) * (Z1 > 0)")], fails=ALL),
    dict(cell="forward", exercise=1, why="ReLU as an absolute value",
         replace=[("np.maximum(0, Z1)", "np.abs(Z1)")], fails=ALL),
    dict(cell="forward", exercise=1, why="the ReLU overwrites the receptors",
         replace=[("X1 = np.maximum(0, Z1)", "X1 = np.maximum(0, Z1, out=Z1)")], fails=[L1]),
    dict(cell="forward", exercise=1, why="the first sample only",
         replace=[("Z1 = X @ W1 + b1", "Z1 = X[:1] @ W1 + b1")], fails=ALL),
]

RIGHT = [
    dict(cell="forward", exercise=1, why="np.dot and np.where",
         replace=[("X @ W1", "np.dot(X, W1)"), ("X1 @ W2", "np.dot(X1, W2)"),
                  ("X2 @ W3", "np.dot(X2, W3)"),
                  ("np.maximum(0, Z1)", "np.where(Z1 > 0, Z1, 0.0)"),
                  ("np.maximum(0, Z2)", "Z2 * (Z2 > 0)")]),
    dict(cell="forward", exercise=1, why="a loop over the layers",
         code='def forward(X, W1, b1, W2, b2, W3, b3):\n'
              '    outputs, A = [], X\n'
              '    layers = [(W1, b1), (W2, b2), (W3, b3)]\n'
              '    for number, (W, b) in enumerate(layers, start=1):\n'
              '        Z = A @ W + b\n'
              '        A = Z if number == len(layers) else Z.clip(min=0)\n'
              '        outputs += [Z, A]\n'
              '    return tuple(outputs)\n\n\n'
              'Z1, X1, Z2, X2, Z3, X3 = forward(X, W1, b1, W2, b2, W3, b3)'),
    dict(cell="forward", exercise=1, why="float32 arithmetic",
         replace=[("Z1 = X @ W1 + b1", "Z1 = X.astype(np.float32) @ W1.astype(np.float32) + b1")]),
    dict(cell="forward", exercise=1, why="a copy as the output",
         replace=[("X3 = Z3", "X3 = Z3.copy()"), ("np.maximum(0, Z1)", "np.maximum(Z1, 0.0)")]),
]
