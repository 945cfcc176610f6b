"""Typical wrong answers and alternative right answers of chapter 8 (data for
tests/test_wrong_answers.py)."""

CHAPTER = "08-training-well"

XAVIER = "rng.normal(0.0, np.sqrt(1.0 / n_in), size=(n_in, n_out))"
HE = "rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))"

WRONG = [
    # Exercise 21: xavier_init and he_init.
    dict(cell="init", exercise=21, why="Xavier divides by fan_out",
         replace=[(XAVIER, "rng.normal(0.0, np.sqrt(1.0 / n_out), size=(n_in, n_out))")],
         fails=["check_init"]),
    dict(cell="init", exercise=21, why="He divides by fan_out",
         replace=[(HE, "rng.normal(0.0, np.sqrt(2.0 / n_out), size=(n_in, n_out))")],
         fails=["check_init"]),
    dict(cell="init", exercise=21, why="Xavier with 2 / n",
         replace=[(XAVIER, HE)], fails=["check_init"]),
    dict(cell="init", exercise=21, why="He with 1 / n",
         replace=[(HE, XAVIER)], fails=["check_init"]),
    dict(cell="init", exercise=21, why="the variance passed as the standard deviation",
         replace=[("np.sqrt(1.0 / n_in)", "1.0 / n_in"), ("np.sqrt(2.0 / n_in)", "2.0 / n_in")],
         fails=["check_init"]),
    dict(cell="init", exercise=21, why="the standard deviation squared once more",
         replace=[("np.sqrt(2.0 / n_in)", "(2.0 / n_in) ** 2")], fails=["check_init"]),
    dict(cell="init", exercise=21, why="the shape transposed",
         replace=[("size=(n_in, n_out))", "size=(n_out, n_in))")], fails=["check_init"]),
    dict(cell="init", exercise=21, why="numpy's global generator",
         replace=[("rng.normal(", "np.random.normal(")], fails=["check_init"]),
    dict(cell="init", exercise=21, why="a fixed seed of its own",
         replace=[("rng.normal(", "np.random.default_rng(0).normal(")], fails=["check_init"]),
    dict(cell="init", exercise=21, why="uniform between -1/sqrt(n) and 1/sqrt(n)",
         replace=[(XAVIER, "rng.uniform(-1 / np.sqrt(n_in), 1 / np.sqrt(n_in), "
                           "size=(n_in, n_out))")], fails=["check_init"]),
    dict(cell="init", exercise=21, why="Glorot's average of fan-in and fan-out for He",
         replace=[(HE, "rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))")],
         fails=["check_init"]),
    dict(cell="init", exercise=21, why="mean 1 instead of 0",
         replace=[("rng.normal(0.0, np.sqrt(2.0", "rng.normal(1.0, np.sqrt(2.0")],
         fails=["check_init"]),
    # Exercise 22: add_l2.
    dict(cell="l2", exercise=22, why="lambda forgotten",
         replace=[("grad + lam * params[name[1:]]", "grad + params[name[1:]]")],
         fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="twice lambda (the 1/2 of the penalty forgotten)",
         replace=[("grad + lam * params[name[1:]]", "grad + 2 * lam * params[name[1:]]")],
         fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="the biases regularised too",
         replace=[('        if name.startswith("dW"):\n', "        if True:\n")],
         fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="the term subtracted",
         replace=[("grad + lam * params", "grad - lam * params")], fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="the caller's gradients changed in place",
         replace=[("regularised[name] = grad + lam * params[name[1:]]",
                   "grad += lam * params[name[1:]]\n            regularised[name] = grad")],
         fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="the bias gradients left out",
         replace=[("            regularised[name] = grad.copy()\n", "            pass\n")],
         fails=["check_l2"]),
    dict(cell="l2", exercise=22, why="lambda times the squared weights",
         replace=[("lam * params[name[1:]]", "lam * params[name[1:]] ** 2")],
         fails=["check_l2"]),
    # Exercise 23: dropout_forward and dropout_backward.
    dict(cell="dropout", exercise=23, why="no 1/keep scaling in the forward pass",
         replace=[("return X * mask / keep_prob, mask", "return X * mask, mask")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="scaling at evaluation",
         replace=[("        return X, None", "        return X / keep_prob, None")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="dropout at evaluation as well",
         replace=[("    if not training:\n        return X, None\n", "")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="keep and drop probabilities swapped",
         replace=[("rng.random(X.shape) < keep_prob", "rng.random(X.shape) < 1 - keep_prob")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="the mask not reused in backward",
         replace=[("return d_out * mask / keep_prob", "return d_out / keep_prob")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="a fresh mask drawn in backward",
         replace=[("return d_out * mask / keep_prob",
                   "return d_out * (np.random.random(d_out.shape) < keep_prob) / keep_prob")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="no scaling in backward",
         replace=[("return d_out * mask / keep_prob", "return d_out * mask")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="the scaled mask returned",
         replace=[("return X * mask / keep_prob, mask", "return X * mask / keep_prob, "
                                                         "mask / keep_prob")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="numpy's global generator",
         replace=[("rng.random(X.shape)", "np.random.random(X.shape)")],
         fails=["check_dropout"]),
    dict(cell="dropout", exercise=23, why="one mask shared by all samples",
         replace=[("rng.random(X.shape) < keep_prob", "rng.random(X.shape[1]) < keep_prob")],
         fails=["check_dropout"]),
    # Exercise 24: early_stopping.
    dict(cell="early_stopping", exercise=24, why="epochs counted from 0",
         replace=[("enumerate(val_losses, start=1)", "enumerate(val_losses)"),
                  ("best_epoch, best_loss = 1, val_losses[0]",
                   "best_epoch, best_loss = 0, val_losses[0]"),
                  ("return best_epoch, len(val_losses)", "return best_epoch, len(val_losses) - 1")],
         fails=["check_early_stopping"]),
    dict(cell="early_stopping", exercise=24, why="stops one epoch late",
         replace=[("epoch - best_epoch >= patience", "epoch - best_epoch > patience")],
         fails=["check_early_stopping"]),
    dict(cell="early_stopping", exercise=24, why="the last epoch picked as the best",
         replace=[("return best_epoch, epoch\n", "return epoch, epoch\n"),
                  ("return best_epoch, len(val_losses)",
                   "return len(val_losses), len(val_losses)")],
         fails=["check_early_stopping"]),
    dict(cell="early_stopping", exercise=24, why="the training cost decides",
         replace=[("best_epoch, best_loss = 1, val_losses[0]",
                   "best_epoch, best_loss = 1, train_losses[0]"),
                  ("enumerate(val_losses, start=1)", "enumerate(train_losses, start=1)")],
         fails=["check_early_stopping"]),
    dict(cell="early_stopping", exercise=24, why="the best over the whole run",
         code='''def early_stopping(train_losses, val_losses, patience):
    """(best_epoch, stop_epoch) for the validation costs of a run, epochs counted from 1."""
    best_epoch = int(np.argmin(val_losses)) + 1
    return best_epoch, min(best_epoch + patience, len(val_losses))''',
         fails=["check_early_stopping"]),
    dict(cell="early_stopping", exercise=24, why="a tie counts as an improvement",
         replace=[("if loss < best_loss:", "if loss <= best_loss:")],
         fails=["check_early_stopping"]),
    # Exercise 25: batchnorm_backward.
    dict(cell="batchnorm_backward", exercise=25, why="both mean terms missing",
         replace=[("dZ = (dZ_hat - np.mean(dZ_hat, axis=0, keepdims=True)\n"
                   "          - Z_hat * np.mean(dZ_hat * Z_hat, axis=0, keepdims=True)) / std",
                   "dZ = dZ_hat / std")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="the mean of the gradient missing",
         replace=[("(dZ_hat - np.mean(dZ_hat, axis=0, keepdims=True)\n          - Z_hat",
                   "(dZ_hat - Z_hat")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="the term along Z_hat missing",
         replace=[("\n          - Z_hat * np.mean(dZ_hat * Z_hat, axis=0, keepdims=True)", "")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="the means over the wrong axis",
         replace=[("np.mean(dZ_hat, axis=0, keepdims=True)", "np.mean(dZ_hat, axis=1, "
                                                          "keepdims=True)"),
                  ("np.mean(dZ_hat * Z_hat, axis=0, keepdims=True)",
                   "np.mean(dZ_hat * Z_hat, axis=1, keepdims=True)")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="the unbiased variance",
         replace=[("np.mean((Z - mean) ** 2, axis=0, keepdims=True)",
                   "np.var(Z, axis=0, ddof=1, keepdims=True)")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="dgamma without Z_hat",
         replace=[('"dgamma": np.sum(dY * Z_hat, axis=0, keepdims=True)',
                   '"dgamma": np.sum(dY, axis=0, keepdims=True)')],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="dgamma and dbeta as flat vectors",
         replace=[("np.sum(dY * Z_hat, axis=0, keepdims=True)", "np.sum(dY * Z_hat, axis=0)"),
                  ("np.sum(dY, axis=0, keepdims=True)", "np.sum(dY, axis=0)")],
         fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="gamma left out of the receptors' gradient",
         replace=[("dZ_hat = dY * gamma", "dZ_hat = dY")], fails=["check_batchnorm"]),
    dict(cell="batchnorm_backward", exercise=25, why="eps left out",
         replace=[("keepdims=True) + eps)", "keepdims=True))")], fails=["check_batchnorm"]),
]

RIGHT = [
    dict(cell="init", exercise=21, why="standard normal numbers scaled",
         replace=[(XAVIER, "rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)"),
                  (HE, "np.sqrt(2 / n_in) * rng.standard_normal(size=(n_in, n_out))")]),
    dict(cell="init", exercise=21, why="uniform with the same variance",
         replace=[(XAVIER, "rng.uniform(-np.sqrt(3 / n_in), np.sqrt(3 / n_in), "
                           "size=(n_in, n_out))")]),
    dict(cell="init", exercise=21, why="He as Xavier times the square root of 2",
         replace=[(HE, "np.sqrt(2.0) * xavier_init(n_in, n_out, rng)")]),
    dict(cell="init", exercise=21, why="float32 weights",
         replace=[(HE, f"{HE}.astype(np.float32)")]),
    dict(cell="l2", exercise=22, why="a dict comprehension",
         code='''def add_l2(grads, params, lam):
    """The gradients of J + (lam / 2) * (sum of the squared weights), as a new dict."""
    return {key: grad + lam * params["W" + key[2:]] if key[:2] == "dW" else np.copy(grad)
            for key, grad in grads.items()}'''),
    dict(cell="l2", exercise=22, why="a copy of the dict, then the weights changed",
         code='''def add_l2(grads, params, lam):
    """The gradients of J + (lam / 2) * (sum of the squared weights), as a new dict."""
    new = dict(grads)
    for l in range(1, len(params) // 2 + 1):
        new[f"dW{l}"] = grads[f"dW{l}"] + lam * params[f"W{l}"]
    return new'''),
    dict(cell="dropout", exercise=23, why="a binomial mask of ints and np.where",
         replace=[("mask = rng.random(X.shape) < keep_prob",
                   "mask = rng.binomial(1, keep_prob, size=X.shape)"),
                  ("return d_out * mask / keep_prob",
                   "return np.where(mask == 1, d_out / keep_prob, 0.0)")]),
    dict(cell="dropout", exercise=23, why="uniform numbers and a float mask",
         replace=[("mask = rng.random(X.shape) < keep_prob",
                   "mask = (rng.uniform(0, 1, X.shape) < keep_prob).astype(float)")]),
    dict(cell="early_stopping", exercise=24, why="a counter of bad epochs",
         code='''def early_stopping(train_losses, val_losses, patience):
    """(best_epoch, stop_epoch) for the validation costs of a run, epochs counted from 1."""
    best, bad = 0, 0
    for i in range(1, len(val_losses)):
        if val_losses[i] < val_losses[best]:
            best, bad = i, 0
        else:
            bad += 1
            if bad == patience:
                return best + 1, i + 1
    return best + 1, len(val_losses)'''),
    dict(cell="batchnorm_backward", exercise=25, why="the chain through the variance and the mean",
         code='''def batchnorm_backward(dY, Z, gamma, eps=1e-5):
    """{"dZ", "dgamma", "dbeta"} for Y = batchnorm_forward(Z, gamma, beta, eps)."""
    n = Z.shape[0]
    mu = Z.mean(axis=0)
    var = Z.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    Z_hat = (Z - mu) * inv
    dZ_hat = dY * gamma
    dvar = np.sum(dZ_hat * (Z - mu), axis=0) * -0.5 * inv ** 3
    dmu = -np.sum(dZ_hat * inv, axis=0) + dvar * np.mean(-2.0 * (Z - mu), axis=0)
    dZ = dZ_hat * inv + dvar * 2.0 * (Z - mu) / n + dmu / n
    return {"dZ": dZ, "dgamma": (dY * Z_hat).sum(axis=0, keepdims=True),
            "dbeta": dY.sum(axis=0).reshape(1, -1)}'''),
    dict(cell="batchnorm_backward", exercise=25, why="np.var and sums divided by n",
         replace=[("std = np.sqrt(np.mean((Z - mean) ** 2, axis=0, keepdims=True) + eps)",
                   "std = np.sqrt(np.var(Z, axis=0, keepdims=True) + eps)"),
                  ("np.mean(dZ_hat, axis=0, keepdims=True)",
                   "dZ_hat.sum(axis=0, keepdims=True) / len(Z)")]),
]
