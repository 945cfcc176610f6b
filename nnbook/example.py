"""The example network of chapters 2-6: layers 2-3-2-1, its data and its weights.

The data are generated, never read from a file, so every reader gets exactly the same numbers.
"""

from __future__ import annotations

import numpy as np

#: Neurons per layer: 2 inputs, hidden layers of 3 and 2 neurons, 1 output.
LAYERS = (2, 3, 2, 1)


def make_data(n: int = 10, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The synthetic regression data: ``X`` of shape (n, 2) and ``y`` of shape (n,).

    Each feature is uniform on [3, 9] rounded to one decimal; the target is the sum of the
    squared features plus normal noise (sd 3), rounded to a whole number. With the defaults the
    first row is (6.1, 8.7) and ``y[0] == 113``.
    """
    rng = np.random.default_rng(seed=seed)
    X = np.round(rng.uniform(3, 9, size=(n, 2)), 1)
    y = np.round(np.sum(X**2, axis=1) + rng.normal(loc=0, scale=3, size=n))
    return X, y


def example_weights() -> dict[str, np.ndarray]:
    """The hand-picked weights of the example, with zero biases.

    ``W{l}`` has shape (n(l-1), n(l)): row i holds the weights leaving neuron i of layer l-1,
    column j the weights arriving at neuron j of layer l. ``b{l}`` has shape (1, n(l)).
    """
    params = {
        "W1": np.array([[-0.08, 0.02, 0.06], [0.02, 0.08, -0.09]]),
        "W2": np.array([[0.01, -0.01], [-0.09, 0.03], [0.07, 0.02]]),
        "W3": np.array([[-0.05], [0.07]]),
    }
    for layer in (1, 2, 3):
        params[f"b{layer}"] = np.zeros((1, params[f"W{layer}"].shape[1]))
    return params
