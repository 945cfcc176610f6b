"""The example network reproduces DESIGN.md's documented forward-pass values."""

from __future__ import annotations

import numpy as np

from nnbook.example import LAYERS, example_weights, make_data


def forward(X, params):
    out, A = {}, X
    for layer in range(1, len(LAYERS)):
        Z = A @ params[f"W{layer}"] + params[f"b{layer}"]
        A = Z if layer == len(LAYERS) - 1 else np.maximum(0, Z)
        out[f"z{layer}"], out[f"x{layer}"] = Z, A
    return out


def test_data_match_the_documented_first_sample():
    X, y = make_data()
    assert X.shape == (10, 2) and y.shape == (10,)
    np.testing.assert_array_equal(X[0], [6.1, 8.7])
    assert y[0] == 113


def test_weights_have_the_book_shapes_and_zero_biases():
    params = example_weights()
    for layer in (1, 2, 3):
        assert params[f"W{layer}"].shape == (LAYERS[layer - 1], LAYERS[layer])
        assert params[f"b{layer}"].shape == (1, LAYERS[layer])
        assert not params[f"b{layer}"].any()


def test_forward_pass_reproduces_documented_values():
    X, _ = make_data()
    out = forward(X, example_weights())
    np.testing.assert_allclose(out["z1"][0], [-0.314, 0.818, -0.417], atol=1e-12)
    np.testing.assert_allclose(out["x1"][0], [0, 0.818, 0], atol=1e-12)
    np.testing.assert_allclose(out["z2"][0], [-0.07362, 0.02454], atol=1e-12)
    np.testing.assert_allclose(out["z3"][0, 0], 0.0017178, atol=1e-12)


def test_data_are_reproducible_and_seeded():
    X1, y1 = make_data()
    X2, y2 = make_data()
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(make_data(seed=2)[0], X1)
