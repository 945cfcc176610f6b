"""The MNIST chapter's network in NumPy and in PyTorch, side by side: seconds per epoch, accuracy.

    python benchmarks/mnist_benchmark.py --data-dir ../shared/data/mnist
    python benchmarks/mnist_benchmark.py --data-dir DIR --batch-sizes 16 128 --repeats 3 --check

The data are chosen as in the chapter (``nnbook.mnist.load_book_data``): all of MNIST when the
four IDX files are in ``--data-dir``; with only the two test-set files, their 10,000 images split
8,000 for training and 2,000 for testing (seed 0). Nothing is downloaded unless ``--download``.

Two recipes, as in the chapter:

- **seed 001**: 784-64-10, ReLU, softmax + cross-entropy, batch 16, 10 epochs, plain SGD with
  learning rate 0.08 on the batch's *mean* loss (= seed 001's 0.005 on the batch's *summed*
  loss), small random initial weights (standard deviation 0.01), zero biases;
- **better**: 784-512-256-10, He initialisation, batch 64, 20 epochs, SGD with momentum 0.9,
  learning rate 0.05 multiplied by 0.9 after every epoch, L2 penalty 1e-4 on the weights.

For each recipe and batch size both frameworks start from the same initial weights (drawn by
NumPy from ``--seed``), see the same mini-batches in the same order, and run the same number of
epochs with the same learning rate, so the two trainings differ only by float32 rounding.
Training amplifies rounding, though, so their test accuracies can still differ by a few
images, by how much depending on the processor and the libraries' builds.
An epoch's time covers shuffling and the updates, not the evaluation. Each configuration is
trained ``--repeats`` times; the median epoch is reported. All NumPy runs come before the first
PyTorch run, so that PyTorch's idle threads cannot slow NumPy down.

The NumPy network lives here, not in ``nnbook``: softmax, cross-entropy and the mini-batch
update are graded exercises of the chapter, and learners' notebooks import ``nnbook``. It is
written for speed (float32, buffers allocated once, no needless copies); the PyTorch one is an
ordinary ``nn.Sequential`` trained with ``torch.optim.SGD`` and ``nn.CrossEntropyLoss``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nnbook import mnist  # noqa: E402  (the repository's package, also when not installed)


@dataclass(frozen=True)
class Recipe:
    name: str
    hidden: tuple[int, ...]
    init: str  # "small" (standard deviation 0.01) or "he" (sqrt(2 / fan-in))
    learning_rate: float  # on the mean loss of a batch
    momentum: float
    weight_decay: float  # L2 penalty on the weights (not the biases)
    lr_decay: float  # the learning rate is multiplied by this after every epoch
    batch_size: int
    epochs: int

    def describe(self, n_inputs: int, n_classes: int) -> str:
        dims = "-".join(str(d) for d in (n_inputs, *self.hidden, n_classes))
        sgd = f"SGD lr {self.learning_rate:g}"
        if self.momentum:
            sgd += f", momentum {self.momentum:g}"
        if self.lr_decay != 1:
            sgd += f", lr x{self.lr_decay:g}/epoch"
        if self.weight_decay:
            sgd += f", L2 {self.weight_decay:g}"
        return f"{self.name}: {dims}, {self.init} init, {sgd}, {self.epochs} epochs"


SEED_001 = Recipe("seed 001", (64,), "small", 0.08, 0.0, 0.0, 1.0, 16, 10)
BETTER = Recipe("better", (512, 256), "he", 0.05, 0.9, 1e-4, 0.9, 64, 20)


# -- data ---------------------------------------------------------------------------------------
def prepare(images: np.ndarray, pixel_max: int) -> np.ndarray:
    """Flatten and scale the pixels to [-0.5, 0.5], as float32."""
    flat = images.reshape(len(images), -1).astype(np.float32)
    flat *= np.float32(1.0 / pixel_max)
    flat -= np.float32(0.5)
    return flat


def initial_params(dims: list[int], init: str, rng: np.random.Generator) -> list:
    params = []
    for fan_in, fan_out in zip(dims[:-1], dims[1:], strict=True):
        scale = 0.01 if init == "small" else np.sqrt(2.0 / fan_in)
        W = (rng.standard_normal((fan_in, fan_out)) * scale).astype(np.float32)
        params.append((W, np.zeros((1, fan_out), np.float32)))
    return params


# -- NumPy ---------------------------------------------------------------------------------------
class NumpyMLP:
    """ReLU hidden layers, softmax + cross-entropy output, mini-batch SGD (with momentum).

    Every array a step needs is allocated once, for the largest batch; a smaller last batch
    uses the leading rows of the same buffers. All arithmetic is float32 and in place.
    """

    def __init__(self, params, batch_size: int, recipe: Recipe):
        self.W = [np.ascontiguousarray(W) for W, _ in params]
        self.b = [b.copy() for _, b in params]
        self.recipe = recipe
        widths = [W.shape[1] for W in self.W]
        self.Z = [np.empty((batch_size, w), np.float32) for w in widths]  # receptors, neurons
        self.D = [np.empty((batch_size, w), np.float32) for w in widths]  # deltas
        self.mask = [np.empty((batch_size, w), bool) for w in widths[:-1]]
        self.rowmax = np.empty((batch_size, 1), np.float32)
        self.dW = [np.empty_like(W) for W in self.W]
        self.db = [np.empty_like(b) for b in self.b]
        self.vW = [np.zeros_like(W) for W in self.W]
        self.vb = [np.zeros_like(b) for b in self.b]

    def step(self, X: np.ndarray, T: np.ndarray, learning_rate: float) -> None:
        n, L = len(X), len(self.W)
        Z = [z[:n] for z in self.Z]
        D = [d[:n] for d in self.D]
        # Forward: ReLU in place on the hidden receptors, softmax in place on the output.
        inputs = X
        for l in range(L):
            np.matmul(inputs, self.W[l], out=Z[l])
            Z[l] += self.b[l]
            if l < L - 1:
                np.maximum(Z[l], 0, out=Z[l])
            inputs = Z[l]
        Y, rowmax = Z[-1], self.rowmax[:n]
        np.max(Y, axis=1, keepdims=True, out=rowmax)
        Y -= rowmax
        np.exp(Y, out=Y)
        np.sum(Y, axis=1, keepdims=True, out=rowmax)
        Y /= rowmax
        # Backward: the output delta of the mean loss is (Y - T) / n.
        np.subtract(Y, T, out=D[-1])
        D[-1] *= np.float32(1.0 / n)
        for l in range(L - 1, -1, -1):
            below = X if l == 0 else Z[l - 1]
            np.matmul(below.T, D[l], out=self.dW[l])
            np.sum(D[l], axis=0, keepdims=True, out=self.db[l])
            if l > 0:
                np.matmul(D[l], self.W[l].T, out=D[l - 1])
                mask = self.mask[l - 1][:n]
                np.greater(Z[l - 1], 0, out=mask)
                D[l - 1] *= mask
        self._update(learning_rate)

    def _update(self, learning_rate: float) -> None:
        lr, mu, wd = np.float32(learning_rate), self.recipe.momentum, self.recipe.weight_decay
        for l in range(len(self.W)):
            dW, db = self.dW[l], self.db[l]
            if wd:
                dW += np.float32(wd) * self.W[l]
            if mu:  # v = mu v + g, then p -= lr v (PyTorch's SGD with momentum)
                self.vW[l] *= np.float32(mu)
                self.vW[l] += dW
                self.vb[l] *= np.float32(mu)
                self.vb[l] += db
                np.multiply(self.vW[l], lr, out=dW)  # the gradient buffers are free again
                np.multiply(self.vb[l], lr, out=db)
            else:
                dW *= lr
                db *= lr
            self.W[l] -= dW
            self.b[l] -= db

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = X
        for l, (W, b) in enumerate(zip(self.W, self.b, strict=True)):
            out = out @ W + b
            if l < len(self.W) - 1:
                np.maximum(out, 0, out=out)
        return out.argmax(axis=1)


def train_numpy(params, recipe, X, labels, orders, X_test):
    n_classes = params[-1][0].shape[1]
    T = np.eye(n_classes, dtype=np.float32)[labels]
    net = NumpyMLP(params, recipe.batch_size, recipe)
    times = []
    for epoch, order in enumerate(orders):
        lr = recipe.learning_rate * recipe.lr_decay ** epoch
        start = time.perf_counter()
        Xs, Ts = X[order], T[order]
        for first in range(0, len(Xs), recipe.batch_size):
            net.step(Xs[first:first + recipe.batch_size], Ts[first:first + recipe.batch_size], lr)
        times.append(time.perf_counter() - start)
    return times, net.predict(X_test)


# -- PyTorch ---------------------------------------------------------------------------------------
def train_torch(params, recipe, X, labels, orders, X_test):
    import torch
    from torch import nn

    torch.manual_seed(0)  # nothing here is random, but an ordinary script sets it
    layers: list[nn.Module] = []
    for l, (W, b) in enumerate(params):
        linear = nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(b[0]))
        layers.append(linear)
        if l < len(params) - 1:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers)
    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]
    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]
    optimizer = torch.optim.SGD([{"params": weights, "weight_decay": recipe.weight_decay},
                                 {"params": biases, "weight_decay": 0.0}],
                                lr=recipe.learning_rate, momentum=recipe.momentum)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=recipe.lr_decay)
    loss_function = nn.CrossEntropyLoss()
    X_all = torch.from_numpy(X)
    y_all = torch.from_numpy(labels.astype(np.int64))
    times = []
    for order in orders:
        start = time.perf_counter()
        index = torch.from_numpy(order)
        Xs, ys = X_all[index], y_all[index]
        for first in range(0, len(Xs), recipe.batch_size):
            optimizer.zero_grad()
            loss = loss_function(model(Xs[first:first + recipe.batch_size]),
                                 ys[first:first + recipe.batch_size])
            loss.backward()
            optimizer.step()
        scheduler.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        predicted = model(torch.from_numpy(X_test)).argmax(dim=1).numpy()
    return times, predicted


# -- the comparison ------------------------------------------------------------------------------
def measure(framework, recipe, data, seed, repeats):
    """Median seconds per epoch and test accuracy of one framework for one configuration."""
    X = prepare(data.train_images, data.pixel_max)
    X_test = prepare(data.test_images, data.pixel_max)
    dims = [X.shape[1], *recipe.hidden, int(data.train_labels.max()) + 1]
    rng = np.random.default_rng(seed)
    params = initial_params(dims, recipe.init, rng)
    orders = [rng.permutation(len(X)) for _ in range(recipe.epochs)]
    train = {"numpy": train_numpy, "torch": train_torch}[framework]
    epoch_times, accuracy = [], None
    for _ in range(repeats):
        times, predicted = train([(W.copy(), b.copy()) for W, b in params], recipe, X,
                                 data.train_labels, orders, X_test)
        epoch_times += times
        accuracy = float(np.mean(predicted == data.test_labels))
    return dims, statistics.median(epoch_times), accuracy


def machine() -> str:
    import torch
    from threadpoolctl import threadpool_info

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = [f"{i.get('internal_api')}: {i['num_threads']} thread(s)" for i in threadpool_info()
            if i.get("user_api") == "blas"]
    return (f"{os.cpu_count()} CPU cores ({cpu}), no GPU used; Python "
            f"{platform.python_version()}, NumPy {np.__version__} ({', '.join(blas)}), "
            f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder with the MNIST IDX files (default: as nnbook.mnist finds "
                             "it: $NNBOOK_MNIST_DIR or the cache folder)")
    parser.add_argument("--download", action="store_true",
                        help="download missing MNIST files (default: use only what is there)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[16, 128],
                        help="batch sizes for the seed 001 recipe (default: 16 128)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="trainings per configuration; the median epoch is reported")
    parser.add_argument("--seed", type=int, default=0, help="initial weights and batch order")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both NumPy's BLAS and PyTorch (default: each "
                             "library's own default, usually one per core)")
    parser.add_argument("--skip-better", action="store_true", help="only the seed 001 recipe")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless the targets of the chapter are met")
    args = parser.parse_args(argv)

    if args.threads:
        import torch
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)
    data = mnist.load_book_data(args.data_dir, download=args.download)
    print(data.description)
    print(f"Machine: {machine()}")
    configurations = [replace(SEED_001, batch_size=b) for b in args.batch_sizes]
    if not args.skip_better:
        configurations.append(BETTER)

    header = ("| recipe | batch | NumPy s/epoch | PyTorch s/epoch | NumPy/PyTorch | "
              "NumPy test accuracy | PyTorch test accuracy |")
    rows, problems = [header, "|---|---|---|---|---|---|---|"], []
    descriptions = []
    # All NumPy runs first: once PyTorch has run, its idle OpenMP threads keep spinning for a
    # while and would slow NumPy's own threads down, which would not be a fair measurement.
    results = {(framework, recipe): measure(framework, recipe, data, args.seed, args.repeats)
               for framework in ("numpy", "torch") for recipe in configurations}
    for recipe in configurations:
        dims, np_time, np_acc = results["numpy", recipe]
        _, torch_time, torch_acc = results["torch", recipe]
        ratio = np_time / torch_time
        text = recipe.describe(dims[0], dims[-1])
        if text not in descriptions:
            descriptions.append(text)
        rows.append(f"| {recipe.name} | {recipe.batch_size} | {np_time:.3f} | {torch_time:.3f} "
                    f"| {ratio:.2f} | {np_acc:.2%} | {torch_acc:.2%} |")
        if data.source != "mnist-test-split":
            continue  # the targets below are set for the 8,000 / 2,000 split
        if recipe.name == "seed 001" and recipe.batch_size == 16 and np_acc < 0.90:
            problems.append(f"seed 001 recipe: NumPy test accuracy {np_acc:.2%} < 90%")
        if recipe.name == "better" and np_acc < 0.95:
            problems.append(f"better recipe: NumPy test accuracy {np_acc:.2%} < 95%")
        limit = {16: 1.0, 128: 1.5}.get(recipe.batch_size)
        if recipe.name == "seed 001" and limit and ratio > limit:
            problems.append(f"batch {recipe.batch_size}: NumPy/PyTorch = {ratio:.2f} > {limit}")
    print("\n".join(rows))
    print()
    for text in descriptions:
        print(f"- {text}")
    if data.source == "mnist-test-split":
        print("Targets (8,000 / 2,000 split): seed 001 >= 90%, better >= 95%, "
              "NumPy/PyTorch <= 1.0 at batch 16 and <= 1.5 at batch 128: "
              + ("all met." if not problems else "NOT met: " + "; ".join(problems)))
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
