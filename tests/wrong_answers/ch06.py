"""Typical wrong answers and alternative right answers of chapter 6 (data for
tests/test_wrong_answers.py)."""

CHAPTER = "06-pytorch"

WRONG = [
    # Exercise 12: forward_torch.
    dict(cell="forward_torch", exercise=12, why="bias left out",
         replace=[(' + params[f"b{l}"]', "")], fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="ReLU on the output layer too",
         replace=[("A = torch.relu(Z) if l < L else Z", "A = torch.relu(Z)")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="np.maximum inside a torch function",
         replace=[("A = torch.relu(Z) if l < L else Z", "A = np.maximum(Z, 0) if l < L else Z")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="ReLU through NumPy and back",
         replace=[("A = torch.relu(Z) if l < L else Z",
                   "A = torch.tensor(np.maximum(Z.detach().numpy(), 0)) if l < L else Z")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="the output layer is left out",
         replace=[("for l in range(1, L + 1):", "for l in range(1, L):")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="three layers hard-coded",
         replace=[("for l in range(1, L + 1):", "for l in (1, 2, 3):"),
                  ("if l < L else Z", "if l < 3 else Z")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="no ReLU in the hidden layers",
         replace=[("A = torch.relu(Z) if l < L else Z", "A = Z")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="ReLU on the receptors of the first layer only",
         replace=[("A = torch.relu(Z) if l < L else Z", "A = torch.relu(Z) if l == 1 else Z")],
         fails=["check_forward_torch"]),
    dict(cell="forward_torch", exercise=12, why="float32 result",
         replace=[("    return A\n", "    return A.float()\n")], fails=["check_forward_torch"]),
    # Exercise 13: autograd_gradients.
    dict(cell="autograd_gradients", exercise=13, why="the 1/n left out",
         replace=[("/ (2 * len(X))", "/ 2")], fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="MSE as a plain mean: a factor 2",
         replace=[("((forward_torch(inputs, leaves) - targets) ** 2).sum() / (2 * len(X))",
                   "((forward_torch(inputs, leaves) - targets) ** 2).mean()")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="divided by the number of features",
         replace=[("/ (2 * len(X))", "/ (2 * X.shape[1])")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="tensors without requires_grad",
         replace=[("dtype=torch.float64, requires_grad=True)", "dtype=torch.float64)")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="gradients left as tensors",
         replace=[("leaf.grad.numpy()", "leaf.grad")], fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="keys without the d",
         replace=[('{f"d{name}": leaf', '{name: leaf')], fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="gradients transposed",
         replace=[("leaf.grad.numpy()", "leaf.grad.numpy().T")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="targets flattened: a broadcast table",
         replace=[("targets = torch.tensor(Y, dtype=torch.float64)",
                   "targets = torch.tensor(Y.ravel(), dtype=torch.float64)")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="the global data instead of X and Y",
         replace=[("forward_torch(inputs, leaves) - targets", "forward_torch(Xt, leaves) - Yt")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="absolute errors instead of squares",
         replace=[("((forward_torch(inputs, leaves) - targets) ** 2).sum()",
                   "(forward_torch(inputs, leaves) - targets).abs().sum()")],
         fails=["check_autograd_gradients"]),
    dict(cell="autograd_gradients", exercise=13, why="the cost of the first sample only",
         replace=[("forward_torch(inputs, leaves) - targets",
                   "forward_torch(inputs[:1], leaves) - targets[:1]"),
                  ("/ (2 * len(X))", "/ 2")],
         fails=["check_autograd_gradients"]),
    # Exercise 14: load_params and get_params.
    dict(cell="convert_params", exercise=14, why="load_params without the transpose",
         replace=[("params[f\"W{l}\"].T, dtype",
                   "params[f\"W{l}\"].reshape(layer.weight.shape), dtype")],
         fails=["check_load_params"]),
    dict(cell="convert_params", exercise=14, why="load_params makes new parameters",
         replace=[("            layer.weight.copy_(torch.tensor(params[f\"W{l}\"].T, "
                   "dtype=torch.float64))\n",
                   "            layer.weight = nn.Parameter(torch.tensor(params[f\"W{l}\"].T, "
                   "dtype=torch.float64))\n")],
         fails=["check_load_params"]),
    dict(cell="convert_params", exercise=14, why="load_params shares memory with the arrays",
         replace=[("            layer.weight.copy_(torch.tensor(params[f\"W{l}\"].T, "
                   "dtype=torch.float64))\n",
                   "            layer.weight.data = torch.from_numpy(params[f\"W{l}\"].T)\n")],
         fails=["check_load_params"]),
    dict(cell="convert_params", exercise=14, why="load_params off by one layer",
         replace=[("enumerate(model.layers, start=1):\n            layer.weight",
                   "enumerate(model.layers, start=1):\n            layer = model.layers[l % "
                   "len(model.layers)]\n            layer.weight")],
         fails=["check_load_params"]),
    dict(cell="convert_params", exercise=14, why="get_params without the transpose",
         replace=[("layer.weight.detach().numpy().T.copy()",
                   "layer.weight.detach().numpy().reshape(layer.in_features, -1).copy()")],
         fails=["check_get_params"]),
    dict(cell="convert_params", exercise=14, why="get_params returns views, not copies",
         replace=[("layer.weight.detach().numpy().T.copy()", "layer.weight.detach().numpy().T"),
                  ("layer.bias.detach().numpy().reshape(1, -1).copy()",
                   "layer.bias.detach().numpy().reshape(1, -1)")],
         fails=["check_get_params"]),
    dict(cell="convert_params", exercise=14, why="get_params keeps the bias flat",
         replace=[("layer.bias.detach().numpy().reshape(1, -1).copy()",
                   "layer.bias.detach().numpy().copy()")], fails=["check_get_params"]),
    dict(cell="convert_params", exercise=14, why="get_params returns tensors",
         replace=[("layer.weight.detach().numpy().T.copy()", "layer.weight.detach().T.clone()"),
                  ("layer.bias.detach().numpy().reshape(1, -1).copy()",
                   "layer.bias.detach().reshape(1, -1).clone()")],
         fails=["check_get_params"]),
    # Exercise 15: train_torch.
    dict(cell="train_torch", exercise=15, why="a forgotten zero_grad()",
         replace=[("        optimizer.zero_grad()\n", "")], fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="MSELoss not halved",
         replace=[("loss = loss_fn(model(X), Y) / 2", "loss = loss_fn(model(X), Y)")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="the costs kept as tensors",
         replace=[("losses.append(loss.item())", "losses.append(loss.detach())")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="the cost recorded after the update",
         replace=[("losses.append(loss.item())",
                   "losses.append(loss_fn(model(X), Y).item() / 2)")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="zero_grad between backward and step",
         replace=[("        optimizer.zero_grad()\n", ""),
                  ("        loss.backward()\n",
                   "        loss.backward()\n        optimizer.zero_grad()\n")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="the global data instead of X and Y",
         replace=[("loss = loss_fn(model(X), Y) / 2", "loss = loss_fn(model(Xt), Yt) / 2")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="a sum instead of a mean",
         replace=[("loss_fn = nn.MSELoss()", "loss_fn = nn.MSELoss(reduction=\"sum\")")],
         fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="a fixed learning rate",
         replace=[("lr=learning_rate", "lr=0.0005")], fails=["check_train_torch"]),
    dict(cell="train_torch", exercise=15, why="one step too few",
         replace=[("for _ in range(n_steps):", "for _ in range(n_steps - 1):")],
         fails=["check_train_torch"]),
]

RIGHT = [
    dict(cell="forward_torch", exercise=12, why="clamp and addmm",
         replace=[('Z = A @ params[f"W{l}"] + params[f"b{l}"]',
                   'Z = torch.addmm(params[f"b{l}"], A, params[f"W{l}"])'),
                  ("A = torch.relu(Z) if l < L else Z", "A = Z.clamp(min=0) if l < L else Z")]),
    dict(cell="forward_torch", exercise=12, why="functional relu after the loop's last layer",
         code='''def forward_torch(X, params):
    """The output of the network for every row of the tensor X (ReLU hidden, identity output)."""
    L = len(params) // 2
    A = X
    for l in range(1, L):
        A = nn.functional.relu(A @ params[f"W{l}"] + params[f"b{l}"])
    A = A @ params[f"W{L}"] + params[f"b{L}"]
    return A'''),
    dict(cell="forward_torch", exercise=12, why="torch.maximum with zeros",
         replace=[("A = torch.relu(Z) if l < L else Z",
                   "A = torch.maximum(Z, torch.zeros_like(Z)) if l < L else Z")]),
    dict(cell="autograd_gradients", exercise=13, why="from_numpy leaves, MSELoss / 2",
         code='''def autograd_gradients(X, Y, params):
    """dJ/dW1, dJ/db1, ... of the averaged cost, computed by autograd, as NumPy arrays."""
    leaves = {name: torch.from_numpy(value.copy()).requires_grad_()
              for name, value in params.items()}
    cost = nn.MSELoss()(forward_torch(torch.from_numpy(X), leaves), torch.from_numpy(Y)) / 2
    cost.backward()
    return {"d" + name: leaves[name].grad.detach().numpy().copy() for name in params}'''),
    dict(cell="autograd_gradients", exercise=13,
         why="mean of the squares halved, torch.autograd.grad",
         code='''def autograd_gradients(X, Y, params):
    """dJ/dW1, dJ/db1, ... of the averaged cost, computed by autograd, as NumPy arrays."""
    names = list(params)
    leaves = [torch.tensor(params[name], dtype=torch.float64, requires_grad=True)
              for name in names]
    prediction = forward_torch(torch.tensor(X, dtype=torch.float64), dict(zip(names, leaves)))
    cost = 0.5 * torch.mean((prediction - torch.tensor(Y, dtype=torch.float64)) ** 2)
    gradients = torch.autograd.grad(cost, leaves)
    return {f"d{name}": g.numpy() for name, g in zip(names, gradients)}'''),
    dict(cell="autograd_gradients", exercise=13, why="float32 tensors throughout",
         replace=[("torch.tensor(value, dtype=torch.float64, requires_grad=True)",
                   "torch.tensor(value, dtype=torch.float32, requires_grad=True)"),
                  ("inputs = torch.tensor(X, dtype=torch.float64)",
                   "inputs = torch.tensor(X, dtype=torch.float32)"),
                  ("targets = torch.tensor(Y, dtype=torch.float64)",
                   "targets = torch.tensor(Y, dtype=torch.float32)")]),
    dict(cell="convert_params", exercise=14, why="zip over layers, set_ and numpy views copied",
         code='''def load_params(model, params):
    """Copy our W1, b1, ... into the nn.Linear layers of model, in place; return the model."""
    for l, layer in enumerate(model.layers, start=1):
        with torch.no_grad():
            layer.weight[...] = torch.from_numpy(params[f"W{l}"]).T
            layer.bias[...] = torch.from_numpy(params[f"b{l}"]).reshape(-1)
    return model
def get_params(model):
    """A new dictionary W1, b1, ... in our convention, copied from the model's layers."""
    params = {}
    for l, layer in enumerate(model.layers, start=1):
        params[f"W{l}"] = np.array(layer.weight.detach().T)
        params[f"b{l}"] = np.array(layer.bias.detach()[None, :])
    return params'''),
    dict(cell="train_torch", exercise=15, why="model.zero_grad, float(loss), lr positional",
         replace=[("torch.optim.SGD(model.parameters(), lr=learning_rate)",
                   "torch.optim.SGD(model.parameters(), learning_rate)"),
                  ("optimizer.zero_grad()", "model.zero_grad()"),
                  ("losses.append(loss.item())", "losses.append(float(loss))")]),
    dict(cell="train_torch", exercise=15, why="a new optimiser every step, cost by hand",
         code='''def train_torch(model, X, Y, n_steps, learning_rate):
    """Full-batch gradient descent on J = MSELoss / 2; the cost before each step, as floats."""
    losses = []
    for _ in range(n_steps):
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
        optimizer.zero_grad()
        loss = ((model(X) - Y) ** 2).sum() / (2 * len(X))
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return losses'''),
]
