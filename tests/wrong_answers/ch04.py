"""Typical wrong answers of chapter 4, the delta recursion (see tests/test_wrong_answers.py)."""

CHAPTER = "04-delta-recursion"

D1, D2 = "check_sample_deltas", "check_sample_gradients"
OUT, HID = "check_backward_output", "check_backward_hidden"
D4, D5 = "check_numerical_gradient", "check_relative_error"

WRONG = [
    # Exercise D1: sample_deltas
    dict(cell="sample_deltas", exercise="D1", why="weights not transposed",
         replace=[('delta3 @ params["W3"].T', 'delta3 @ params["W3"]')], fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="ReLU derivative left out",
         replace=[(') * (z2 > 0)', ')')], fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="the neuron as the gate",
         replace=[(') * (z1 > 0)', ') * x1')], fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="sign of the error flipped",
         replace=[("(x3 - y)", "(y - x3)")], fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="deltas in backward order",
         replace=[("return [delta1, delta2, delta3]", "return [delta3, delta2, delta1]")],
         fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="a single output assumed",
         replace=[("delta3 = (x3 - y) * 1.0", "delta3 = np.array([x3[0] - np.mean(y)])")],
         fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="written for the 2-3-2-1 widths only",
         replace=[('delta2 = (delta3 @ params["W3"].T) * (z2 > 0)',
                   'delta2 = np.array([delta3[0] * params["W3"][0, 0] * (z2[0] > 0),\n'
                   '                       delta3[0] * params["W3"][1, 0] * (z2[1] > 0)])')],
         fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="the global W3 instead of params",
         replace=[('params["W3"].T', "W3.T")], fails=[D1]),
    dict(cell="sample_deltas", exercise="D1", why="the global W2 instead of params",
         replace=[('params["W2"].T', "W2.T")], fails=[D1]),
    # Exercise D2: sample_gradients
    dict(cell="sample_gradients", exercise="D2", why="outer product the wrong way round",
         replace=[("np.outer(x_prev, delta)", "np.outer(delta, x_prev)")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="receptors instead of neurons",
         replace=[("(x1, delta2), (x2, delta3)", "(z1, delta2), (z2, delta3)")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="neurons of the wrong layer",
         replace=[("(x0, delta1), (x1, delta2), (x2, delta3)",
                   "(x0, delta1), (x2, delta2), (x3, delta3)")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="bias gradients as 1-D arrays",
         replace=[("delta.reshape(1, -1)", "delta")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="bias gradients as columns",
         replace=[("delta.reshape(1, -1)", "delta.reshape(-1, 1)")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="the first sample instead of x",
         replace=[("x0 = np.asarray(x, dtype=float)", "x0 = X[0]")], fails=[D2]),
    dict(cell="sample_gradients", exercise="D2", why="bias gradient from the previous layer",
         replace=[("delta.reshape(1, -1)", "x_prev.reshape(1, -1)")], fails=[D2]),
    # Exercise D3: backward
    dict(cell="backward", exercise="D3", why="no 1/n",
         replace=[("(X3 - Y) / n * 1.0", "(X3 - Y) * 1.0")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="1/n in every layer",
         replace=[("(Z2 > 0)", "(Z2 > 0) / n"), ("(Z1 > 0)", "(Z1 > 0) / n")], fails=[HID]),
    dict(cell="backward", exercise="D3", why="weights not transposed",
         replace=[('Delta3 @ params["W3"].T', 'Delta3 @ params["W3"]')], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="Delta times inputs",
         replace=[("X_prev.T @ Delta", "Delta.T @ X_prev")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="bias gradients without keepdims",
         replace=[("np.sum(Delta, axis=0, keepdims=True)", "np.sum(Delta, axis=0)")],
         fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="bias gradients summed over the wrong axis",
         replace=[("axis=0", "axis=1")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="bias gradients averaged again",
         replace=[("np.sum(Delta, axis=0, keepdims=True)",
                   "np.mean(Delta, axis=0, keepdims=True)")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="hidden ReLU derivatives left out",
         replace=[(") * (Z2 > 0)", ")"), (") * (Z1 > 0)", ")")], fails=[HID]),
    dict(cell="backward", exercise="D3", why="sign of the error flipped",
         replace=[("(X3 - Y)", "(Y - X3)")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="n from the global data set",
         replace=[("(X3 - Y) / n", "(X3 - Y) / len(y)")], fails=[OUT, HID]),
    dict(cell="backward", exercise="D3", why="the global W3 instead of params",
         replace=[('params["W3"].T', "W3.T")], fails=[OUT, HID]),
    # Exercise D4: numerical_gradient
    dict(cell="numerical_gradient", exercise="D4", why="P not put back",
         replace=[("        P[index] = original\n", "")], fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="one-sided difference",
         replace=[("P[index] = original - epsilon", "P[index] = original"),
                  ("(2 * epsilon)", "epsilon")], fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="divided by epsilon, not 2 epsilon",
         replace=[("(2 * epsilon)", "epsilon")], fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="epsilon argument ignored",
         replace=[("original + epsilon", "original + 1e-5"),
                  ("original - epsilon", "original - 1e-5"),
                  ("(2 * epsilon)", "(2 * 1e-5)")], fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="a copy nudged, not P",
         replace=[("    grad = np.zeros(P.shape)\n",
                   "    grad = np.zeros(P.shape)\n    P = P.copy()\n")],
         fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="written for 2-D arrays only",
         code='def numerical_gradient(f, P, epsilon=1e-5):\n'
              '    grad = np.zeros(P.shape)\n'
              '    for i in range(P.shape[0]):\n'
              '        for j in range(P.shape[1]):\n'
              '            original = P[i, j]\n'
              '            P[i, j] = original + epsilon\n'
              '            cost_plus = f()\n'
              '            P[i, j] = original - epsilon\n'
              '            cost_minus = f()\n'
              '            P[i, j] = original\n'
              '            grad[i, j] = (cost_plus - cost_minus) / (2 * epsilon)\n'
              '    return grad\n\n\n'
              'numeric_W3 = numerical_gradient(lambda: cost(X, Y, params), params["W3"])',
         fails=[D4]),
    dict(cell="numerical_gradient", exercise="D4", why="the result as a flat array",
         replace=[("grad = np.zeros(P.shape)", "grad = np.zeros(P.shape)\n    flat = []"),
                  ("        grad[index] = (cost_plus - cost_minus) / (2 * epsilon)\n"
                   "    return grad",
                   "        flat.append((cost_plus - cost_minus) / (2 * epsilon))\n"
                   "    return np.array(flat)")], fails=[D4]),
    # Exercise D5: relative_error and verdict
    dict(cell="relative_error", exercise="D5", why="no special case for zeros",
         replace=[("    if scale == 0:\n        return 0.0\n", "")], fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="norm of the sum as the denominator",
         replace=[("np.linalg.norm(analytic) + np.linalg.norm(numerical)",
                   "np.linalg.norm(analytic + numerical)")], fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="only the analytic norm below",
         replace=[("np.linalg.norm(analytic) + np.linalg.norm(numerical)",
                   "np.linalg.norm(analytic)")], fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="sums of absolute values",
         replace=[("np.linalg.norm(analytic) + np.linalg.norm(numerical)",
                   "np.sum(np.abs(analytic)) + np.sum(np.abs(numerical))"),
                  ("np.linalg.norm(analytic - numerical)", "np.sum(np.abs(analytic - numerical))")],
         fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="thresholds included on the wrong side",
         replace=[("error < 1e-7", "error <= 1e-7"), ("error < 1e-4", "error <= 1e-4")],
         fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="thresholds tested in the wrong order",
         replace=[('    if error < 1e-7:\n        return "right"\n    elif error < 1e-4:\n'
                   '        return "suspicious"',
                   '    if error < 1e-4:\n        return "suspicious"\n    elif error < 1e-7:\n'
                   '        return "right"')], fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="verdicts capitalised",
         replace=[('"right"', '"Right"'), ('"wrong"', '"Wrong"')], fails=[D5]),
    dict(cell="relative_error", exercise="D5", why="the largest entry instead of the norm",
         replace=[("np.linalg.norm(analytic - numerical)", "np.max(np.abs(analytic - numerical))")],
         fails=[D5]),
]

RIGHT = [
    dict(cell="sample_deltas", exercise="D1", why="weights times delta, gate from x",
         replace=[('(delta3 @ params["W3"].T) * (z2 > 0)', '(params["W3"] @ delta3) * (x2 > 0)'),
                  ('(delta2 @ params["W2"].T) * (z1 > 0)',
                   'np.where(z1 > 0, params["W2"] @ delta2, 0.0)')]),
    dict(cell="sample_gradients", exercise="D2", why="column times row",
         replace=[("np.outer(x_prev, delta)", "x_prev[:, None] * delta[None, :]"),
                  ("delta.reshape(1, -1)", "np.atleast_2d(delta)")]),
    dict(cell="backward", exercise="D3", why="np.dot, np.where and a sum",
         replace=[('(Delta3 @ params["W3"].T) * (Z2 > 0)',
                   'np.where(Z2 > 0, np.dot(Delta3, params["W3"].T), 0.0)'),
                  ("X_prev.T @ Delta", "np.dot(X_prev.T, Delta)"),
                  ("np.sum(Delta, axis=0, keepdims=True)", "Delta.sum(axis=0).reshape(1, -1)")]),
    dict(cell="backward", exercise="D3", why="1/n applied to the gradients instead",
         code='def backward(X, Y, params):\n'
              '    Z1, X1, Z2, X2, Z3, X3 = forward(X, params)\n'
              '    n = X.shape[0]\n'
              '    D3 = X3 - Y\n'
              '    D2 = (D3 @ params["W3"].T) * (Z2 > 0)\n'
              '    D1 = (D2 @ params["W2"].T) * (Z1 > 0)\n'
              '    return {"dW1": X.T @ D1 / n, "db1": D1.sum(axis=0, keepdims=True) / n,\n'
              '            "dW2": X1.T @ D2 / n, "db2": D2.sum(axis=0, keepdims=True) / n,\n'
              '            "dW3": X2.T @ D3 / n, "db3": D3.sum(axis=0, keepdims=True) / n}\n\n\n'
              'grads = backward(X, Y, params)'),
    dict(cell="numerical_gradient", exercise="D4", why="flat view and zeros_like",
         code='def numerical_gradient(f, P, epsilon=1e-5):\n'
              '    grad = np.zeros_like(P, dtype=float)\n'
              '    flat = P.reshape(-1)  # a view: writing to it changes P\n'
              '    for k in range(flat.size):\n'
              '        keep = flat[k]\n'
              '        flat[k] = keep + epsilon\n'
              '        up = f()\n'
              '        flat[k] = keep - epsilon\n'
              '        down = f()\n'
              '        flat[k] = keep\n'
              '        grad.reshape(-1)[k] = (up - down) / (2 * epsilon)\n'
              '    return grad\n\n\n'
              'numeric_W3 = numerical_gradient(lambda: cost(X, Y, params), params["W3"])'),
    dict(cell="relative_error", exercise="D5", why="written out, and a chain of ifs",
         code='def relative_error(analytic, numerical):\n'
              '    a, n = np.asarray(analytic, float), np.asarray(numerical, float)\n'
              '    below = np.sqrt(np.sum(a ** 2)) + np.sqrt(np.sum(n ** 2))\n'
              '    return 0.0 if below == 0 else float(np.sqrt(np.sum((a - n) ** 2)) / below)\n\n\n'
              'def verdict(error):\n'
              '    if error >= 1e-4:\n'
              '        return "wrong"\n'
              '    if error >= 1e-7:\n'
              '        return "suspicious"\n'
              '    return "right"\n\n\n'
              'error_W3 = relative_error(grads["dW3"], numeric_W3)'),
]
