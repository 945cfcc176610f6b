"""Typical wrong answers and alternative right answers of chapter 5 (data for
tests/test_wrong_answers.py)."""

CHAPTER = "05-nn-class"

WRONG = [
    # Exercise 5: relu and relu_derivative.
    dict(cell="relu", exercise=5, why="relu overwrites its argument in place",
         replace=[("return np.maximum(0.0, z)", "z[z < 0] = 0.0\n    return z")],
         fails=["check_relu"]),
    dict(cell="relu", exercise=5, why="relu with the built-in max",
         replace=[("np.maximum(0.0, z)", "max(0.0, z)")], fails=["check_relu"]),
    dict(cell="relu", exercise=5, why="derivative 1 at z = 0",
         replace=[("np.where(z > 0, 1.0, 0.0)", "np.where(z >= 0, 1.0, 0.0)")],
         fails=["check_relu"]),
    dict(cell="relu", exercise=5, why="derivative overwrites its argument in place",
         replace=[("return np.where(z > 0, 1.0, 0.0)",
                   "z[z <= 0] = 0.0\n    z[z > 0] = 1.0\n    return z")],
         fails=["check_relu"]),
    dict(cell="relu", exercise=5, why="derivative loops over a 1-D array only",
         replace=[("return np.where(z > 0, 1.0, 0.0)",
                   "return np.array([1.0 if value > 0 else 0.0 for value in z])")],
         fails=["check_relu"]),
    dict(cell="relu", exercise=5, why="derivative is the ReLU itself",
         replace=[("np.where(z > 0, 1.0, 0.0)", "np.maximum(0.0, z)")],
         fails=["check_relu"]),
    # Exercise 6: identity and identity_derivative.
    dict(cell="identity", exercise=6, why="derivative is the single number 1",
         replace=[("return np.ones_like(z, dtype=float)", "return 1.0")],
         fails=["check_identity"]),
    dict(cell="identity", exercise=6, why="derivative np.ones(len(z)) fails on 2-D arrays",
         replace=[("np.ones_like(z, dtype=float)", "np.ones(len(z))")],
         fails=["check_identity"]),
    dict(cell="identity", exercise=6, why="derivative as a column of ones",
         replace=[("np.ones_like(z, dtype=float)", "np.ones((len(z), 1))")],
         fails=["check_identity"]),
    dict(cell="identity", exercise=6, why="derivative z / z is nan at 0",
         replace=[("np.ones_like(z, dtype=float)", "z / z")], fails=["check_identity"]),
    dict(cell="identity", exercise=6, why="identity returns ones",
         replace=[("    return z\n", "    return np.ones_like(z)\n")],
         fails=["check_identity"]),
    # Exercise 7: MSE and MSE_derivative.
    dict(cell="mse", exercise=7, why="MSE as np.mean halved divides by n times m",
         replace=[("np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])",
                   "np.mean((y_hat - Y) ** 2) / 2")], fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="MSE without the 1/2",
         replace=[("/ (2 * Y.shape[0])", "/ Y.shape[0]")], fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="MSE divides by the number of outputs",
         replace=[("/ (2 * Y.shape[0])", "/ (2 * Y.shape[1])")], fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="MSE sums over the samples only, one number per output",
         replace=[("np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])",
                   "np.sum((y_hat - Y) ** 2, axis=0) / (2 * Y.shape[0])")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="MSE squares the sum of the errors",
         replace=[("np.sum((y_hat - Y) ** 2)", "np.sum(y_hat - Y) ** 2")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="MSE compares Y transposed (a broadcast table)",
         replace=[("np.sum((y_hat - Y) ** 2)", "np.sum((y_hat - Y.T) ** 2)")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="derivative with a factor 2",
         replace=[("return (y_hat - Y) / Y.shape[0]", "return 2 * (y_hat - Y) / Y.shape[0]")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="derivative without the 1/n",
         replace=[("return (y_hat - Y) / Y.shape[0]", "return y_hat - Y")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="derivative with the wrong sign",
         replace=[("return (y_hat - Y) / Y.shape[0]", "return (Y - y_hat) / Y.shape[0]")],
         fails=["check_mse"]),
    dict(cell="mse", exercise=7, why="derivative divides by the number of entries",
         replace=[("return (y_hat - Y) / Y.shape[0]", "return (y_hat - Y) / Y.size")],
         fails=["check_mse"]),
    # Exercise 8: initialize_parameters.
    dict(cell="initialize_parameters", exercise=8, why="the output layer is left out",
         replace=[("for l in range(1, self.L):", "for l in range(1, self.L - 1):")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="loop from layer 0",
         replace=[("for l in range(1, self.L):", "for l in range(self.L - 1):")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="W of the transposed shape",
         replace=[("shape = (layers_dims[l - 1], layers_dims[l])",
                   "shape = (layers_dims[l], layers_dims[l - 1])")], fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="np.random instead of rng",
         replace=[("rng.normal(0.0, 0.001, size=shape)",
                   "np.random.normal(0.0, 0.001, size=shape)")], fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="a new generator with seed 0 instead of rng",
         replace=[("rng.normal(0.0, 0.001, size=shape)",
                   "np.random.default_rng(0).normal(0.0, 0.001, size=shape)")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8,
         why="a new generator with seed 0 once, before the loop",
         replace=[("    for l in range(1, self.L):\n",
                   "    rng = np.random.default_rng(0)\n    for l in range(1, self.L):\n")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="standard deviation 0.01",
         replace=[("rng.normal(0.0, 0.001, size=shape)", "rng.normal(0.0, 0.01, size=shape)")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="variance 0.001 instead of sd",
         replace=[("rng.normal(0.0, 0.001, size=shape)",
                   "rng.normal(0.0, 0.001 ** 0.5, size=shape)")], fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="uniform instead of normal numbers",
         replace=[("rng.normal(0.0, 0.001, size=shape)",
                   "rng.uniform(-0.001, 0.001, size=shape)")], fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="biases as flat vectors",
         replace=[("np.zeros((1, layers_dims[l]))", "np.zeros(layers_dims[l])")],
         fails=["check_init"]),
    dict(cell="initialize_parameters", exercise=8, why="random biases drawn after each W",
         replace=[("np.zeros((1, layers_dims[l]))",
                   "rng.normal(0.0, 0.001, size=(1, layers_dims[l]))")],
         fails=["check_init"]),
    # Exercise 9: forward_pass.
    dict(cell="forward_pass", exercise=9, why="bias left out",
         replace=[(' + self.params[f"b{l}"]', "")], fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="hidden activation on the output layer",
         replace=[('self.a[l]["activation"]', 'self.a[1]["activation"]')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="ReLU applied in every layer",
         replace=[('self.a[l]["activation"](values[f"z{l}"])', 'relu(values[f"z{l}"])')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="the bias of the output layer only",
         replace=[(' + self.params[f"b{l}"]',
                   ' + (self.params[f"b{l}"] if l == self.L - 1 else 0)')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="W transposed",
         replace=[('self.params[f"W{l}"] +', 'self.params[f"W{l}"].T +')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="the output layer is left out",
         replace=[("for l in range(1, self.L):", "for l in range(1, self.L - 1):")],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="receptors from the receptors below",
         replace=[('values[f"x{l - 1}"] @', '(values[f"z{l - 1}"] if l > 1 else X) @')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="no activation: x is z",
         replace=[('self.a[l]["activation"](values[f"z{l}"])', 'values[f"z{l}"]')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="the activation of the layer below",
         replace=[('self.a[l]["activation"]', 'self.a[max(l - 1, 1)]["activation"]')],
         fails=["check_forward"]),
    dict(cell="forward_pass", exercise=9, why="the bias added after the activation",
         replace=[(' + self.params[f"b{l}"]', ""),
                  ('self.a[l]["activation"](values[f"z{l}"])',
                   'self.a[l]["activation"](values[f"z{l}"]) + self.params[f"b{l}"]')],
         fails=["check_forward"]),
    # Exercise 10: backward_pass.
    dict(cell="backward_pass", exercise=10, why="output activation's derivative left out",
         replace=[('(self.loss_function["derivative"](coef[f"x{out}"], Y)\n'
                   '             * self.a[out]["derivative"](coef[f"z{out}"]))',
                   'self.loss_function["derivative"](coef[f"x{out}"], Y)')],
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="the slope taken at x instead of z",
         replace=[('(coef[f"z{l - 1}"])', '(coef[f"x{l - 1}"])')], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="the output slope taken at x instead of z",
         replace=[('(coef[f"z{out}"])', '(coef[f"x{out}"])')], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="W instead of W.T",
         replace=[('self.params[f"W{l}"].T', 'self.params[f"W{l}"]')],
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="a second 1/n on the weight gradients",
         replace=[('.T @ delta\n', '.T @ delta / len(X)\n')], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="bias gradient as a mean",
         replace=[("np.sum(delta, axis=0, keepdims=True)",
                   "np.mean(delta, axis=0, keepdims=True)")], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="bias gradient summed over the wrong axis",
         replace=[("np.sum(delta, axis=0, keepdims=True)",
                   "np.sum(delta, axis=1, keepdims=True)")], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="bias gradient as a flat vector",
         replace=[("np.sum(delta, axis=0, keepdims=True)", "np.sum(delta, axis=0)")],
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="the slope of layer l instead of l - 1",
         replace=[('self.a[l - 1]["derivative"]', 'self.a[l]["derivative"]')],
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="layer 1 is left out",
         replace=[("range(out, 0, -1)", "range(out, 1, -1)")], fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="delta passed down before the gradients",
         code='''def backward_pass(self, X, Y, coef):
    """The gradients of the cost: a dict with dW1, db1, dW2, db2, ..."""
    self._check_targets(X, Y)
    out = self.L - 1  # the output layer
    derivatives = {}
    delta = (self.loss_function["derivative"](coef[f"x{out}"], Y)
             * self.a[out]["derivative"](coef[f"z{out}"]))
    for l in range(out, 0, -1):
        if l > 1:
            slope = self.a[l - 1]["derivative"](coef[f"z{l - 1}"])
            below = (delta @ self.params[f"W{l}"].T) * slope
        derivatives[f"dW{l}"] = coef[f"x{l - 1}"].T @ (below if l > 1 else delta)
        derivatives[f"db{l}"] = np.sum(delta, axis=0, keepdims=True)
        if l > 1:
            delta = below
    return derivatives
NN.backward_pass = backward_pass''',
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="the output delta with the wrong sign",
         replace=[('self.loss_function["derivative"](coef[f"x{out}"], Y)',
                   '-self.loss_function["derivative"](coef[f"x{out}"], Y)')],
         fails=["check_backward"]),
    dict(cell="backward_pass", exercise=10, why="the slope written into coef in place",
         replace=[('slope = self.a[l - 1]["derivative"](coef[f"z{l - 1}"])',
                   'slope = coef[f"z{l - 1}"]\n'
                   '            slope[...] = self.a[l - 1]["derivative"](slope)')],
         fails=["check_backward"]),
    # Exercise 11: train.
    dict(cell="train", exercise=11, why="+= for -= in the update",
         replace=[('self.params[f"W{l}"] -=', 'self.params[f"W{l}"] +='),
                  ('self.params[f"b{l}"] -=', 'self.params[f"b{l}"] +=')],
         fails=["check_train"]),
    dict(cell="train", exercise=11, why="biases not updated",
         replace=[('            self.params[f"b{l}"] -= learning_rate * derivatives[f"db{l}"]\n',
                   "")], fails=["check_train"]),
    dict(cell="train", exercise=11, why="the learning rate forgotten",
         replace=[('-= learning_rate * derivatives[f"dW{l}"]', '-= derivatives[f"dW{l}"]'),
                  ('-= learning_rate * derivatives[f"db{l}"]', '-= derivatives[f"db{l}"]')],
         fails=["check_train"]),
    dict(cell="train", exercise=11, why="the output layer not updated",
         replace=[("        for l in range(1, self.L):", "        for l in range(1, self.L - 1):")],
         fails=["check_train"]),
    dict(cell="train", exercise=11, why="the cost computed after the update",
         replace=[('        loss = self.loss_function["loss"](coef[f"x{self.L - 1}"], Y)\n', ""),
                  ('            self.params[f"b{l}"] -= learning_rate * derivatives[f"db{l}"]\n',
                   '            self.params[f"b{l}"] -= learning_rate * derivatives[f"db{l}"]\n'
                   '        loss = self.loss_function["loss"](self.forward_pass(X), Y)\n')],
         fails=["check_train"]),
    dict(cell="train", exercise=11, why="the first step's gradients reused at every step",
         replace=[("        derivatives = self.backward_pass(X, Y, coef)\n",
                   "        if iteration == 0:\n"
                   "            derivatives = self.backward_pass(X, Y, coef)\n")],
         fails=["check_train"]),
    dict(cell="train", exercise=11, why="the gradients of the wrong layers",
         replace=[('derivatives[f"dW{l}"]', 'derivatives[f"dW{self.L - l}"]')],
         fails=["check_train"]),
]

RIGHT = [
    dict(cell="relu", exercise=5, why="where, and a comparison made float",
         replace=[("np.maximum(0.0, z)", "np.where(z > 0, z, 0.0)"),
                  ("np.where(z > 0, 1.0, 0.0)", "(z > 0).astype(float)")]),
    dict(cell="relu", exercise=5, why="clip and a product with a mask",
         replace=[("np.maximum(0.0, z)", "np.clip(z, 0.0, None)"),
                  ("np.where(z > 0, 1.0, 0.0)", "np.heaviside(z, 0.0)")]),
    dict(cell="relu", exercise=5, why="z times its mask, and a sign",
         replace=[("np.maximum(0.0, z)", "z * (z > 0)"),
                  ("np.where(z > 0, 1.0, 0.0)", "np.maximum(np.sign(z), 0.0)")]),
    dict(cell="identity", exercise=6, why="a copy, and ones of z's shape",
         replace=[("    return z\n", "    return z.copy()\n"),
                  ("np.ones_like(z, dtype=float)", "np.ones(np.shape(z))")]),
    dict(cell="identity", exercise=6, why="1.0 * z, and full_like",
         replace=[("    return z\n", "    return 1.0 * z\n"),
                  ("np.ones_like(z, dtype=float)", "np.full_like(z, 1.0, dtype=float)")]),
    dict(cell="identity", exercise=6, why="ones_like without dtype",
         replace=[("np.ones_like(z, dtype=float)", "np.ones_like(z)")]),
    dict(cell="mse", exercise=7, why="mean over the samples of each sample's sum",
         replace=[("np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])",
                   "0.5 * np.mean(np.sum((y_hat - Y) ** 2, axis=1))"),
                  ("(y_hat - Y) / Y.shape[0]", "(y_hat - Y) / len(Y)")]),
    dict(cell="mse", exercise=7, why="sum of the per-output means, halved",
         replace=[("np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])",
                   "np.sum(np.mean((y_hat - Y) ** 2, axis=0)) / 2")]),
    dict(cell="mse", exercise=7, why="a float, and a product by 1/n",
         replace=[("np.sum((y_hat - Y) ** 2) / (2 * Y.shape[0])",
                   "float(np.sum(np.square(y_hat - Y))) / (2 * len(Y))"),
                  ("(y_hat - Y) / Y.shape[0]", "(1 / len(Y)) * (y_hat - Y)")]),
    dict(cell="initialize_parameters", exercise=8, why="standard normal numbers scaled",
         replace=[("rng.normal(0.0, 0.001, size=shape)", "0.001 * rng.standard_normal(shape)")]),
    dict(cell="initialize_parameters", exercise=8, why="zip over the layer sizes",
         code='''def initialize_parameters(self, layers_dims, rng):
    """Random weights W1, W2, ... (normal, mean 0, sd 0.001) and zero biases b1, b2, ...,
    stored in self.params."""
    sizes = zip(layers_dims[:-1], layers_dims[1:])
    for l, (n_in, n_out) in enumerate(sizes, start=1):
        self.params["W" + str(l)] = rng.normal(scale=0.001, size=(n_in, n_out))
        self.params["b" + str(l)] = np.zeros((1, n_out))
NN.initialize_parameters = initialize_parameters'''),
    dict(cell="forward_pass", exercise=9, why="np.dot and a running variable",
         code='''def forward_pass(self, X, training=False):
    """The predictions for the rows of X; with training=True, the dict of every receptor
    and neuron: x0 (= X), z1, x1, z2, x2, ..."""
    self._check_input(X)
    values = {"x0": X}
    neurons = X
    for l in range(1, self.L):
        receptors = np.dot(neurons, self.params[f"W{l}"]) + self.params[f"b{l}"]
        neurons = self.a[l]["activation"](receptors)
        values[f"z{l}"], values[f"x{l}"] = receptors, neurons
    return values if training else values[f"x{self.L - 1}"]
NN.forward_pass = forward_pass'''),
    dict(cell="forward_pass", exercise=9, why="np.matmul and np.add",
         replace=[('values[f"x{l - 1}"] @ self.params[f"W{l}"] + self.params[f"b{l}"]',
                   'np.add(np.matmul(values[f"x{l - 1}"], self.params[f"W{l}"]), '
                   'self.params[f"b{l}"])')]),
    dict(cell="forward_pass", exercise=9, why="a float32 forward pass",
         replace=[('values[f"x{l - 1}"] @ self.params[f"W{l}"] + self.params[f"b{l}"]',
                   '(values[f"x{l - 1}"].astype(np.float32) @ self.params[f"W{l}"].astype('
                   'np.float32) + self.params[f"b{l}"].astype(np.float32))')]),
    dict(cell="backward_pass", exercise=10, why="X for the neurons of layer 0, sum with .sum",
         replace=[('coef[f"x{l - 1}"].T @ delta', '(coef[f"x{l - 1}"] if l > 1 else X).T @ delta'),
                  ("np.sum(delta, axis=0, keepdims=True)", "delta.sum(axis=0).reshape(1, -1)")]),
    dict(cell="backward_pass", exercise=10, why="a ones row for the bias gradient, np.dot",
         replace=[("np.sum(delta, axis=0, keepdims=True)", "np.ones((1, len(delta))) @ delta"),
                  ('delta = (delta @ self.params[f"W{l}"].T) * slope',
                   'delta = np.dot(delta, self.params[f"W{l}"].T) * slope')]),
    dict(cell="backward_pass", exercise=10, why="gradients in float32",
         replace=[('derivatives[f"dW{l}"] = coef[f"x{l - 1}"].T @ delta',
                   'derivatives[f"dW{l}"] = (coef[f"x{l - 1}"].T @ delta).astype(np.float32)')]),
    dict(cell="train", exercise=11, why="new arrays instead of -=, loss from the dict",
         replace=[('            self.params[f"W{l}"] -= learning_rate * derivatives[f"dW{l}"]\n'
                   '            self.params[f"b{l}"] -= learning_rate * derivatives[f"db{l}"]\n',
                   '            for kind in "Wb":\n'
                   '                key = f"{kind}{l}"\n'
                   '                self.params[key] = (self.params[key]\n'
                   '                                    - learning_rate'
                   ' * derivatives["d" + key])\n')]),
    dict(cell="train", exercise=11, why="update every key of params",
         replace=[('        for l in range(1, self.L):\n'
                   '            self.params[f"W{l}"] -= learning_rate * derivatives[f"dW{l}"]\n'
                   '            self.params[f"b{l}"] -= learning_rate * derivatives[f"db{l}"]\n',
                   '        for name in self.params:\n'
                   '            self.params[name] = self.params[name] - learning_rate * '
                   'derivatives["d" + name]\n')]),
]
