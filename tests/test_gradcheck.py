"""Central differences agree with known derivatives, and the verdicts mean what they say."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import gradcheck


def test_numerical_gradient_of_a_quadratic_is_exact_enough():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 4))
    W = rng.normal(size=(4, 2))
    X = rng.normal(size=(5, 3))
    Y = rng.normal(size=(5, 2))

    def cost():
        return 0.5 * np.sum((X @ A @ W - Y) ** 2)

    analytic = A.T @ X.T @ (X @ A @ W - Y)
    numeric = gradcheck.numerical_gradient(cost, W)
    assert gradcheck.relative_error(analytic, numeric) < 1e-9
    assert gradcheck.verdict(gradcheck.relative_error(analytic, numeric)) == "right"


def test_parameters_are_restored_even_when_the_cost_fails():
    W = np.array([1.0, 2.0])
    calls = []

    def cost():
        calls.append(W.copy())
        if len(calls) == 2:
            raise RuntimeError("boom")
        return float(W.sum())

    with pytest.raises(RuntimeError):
        gradcheck.numerical_gradient(cost, W)
    np.testing.assert_array_equal(W, [1.0, 2.0])


def test_a_wrong_gradient_is_called_wrong():
    assert gradcheck.verdict(gradcheck.relative_error([1.0, 2.0], [1.0, 2.5])) == "wrong"
    assert gradcheck.verdict(gradcheck.relative_error([1.0, 2.0], [1.0, 2.0 + 1e-6])) == (
        "suspicious")
    assert gradcheck.relative_error([0.0], [0.0]) == 0.0


def test_integer_arrays_and_shape_mismatches_are_refused():
    with pytest.raises(ValueError, match="array of floats"):
        gradcheck.numerical_gradient(lambda: 0.0, np.array([1, 2]))
    with pytest.raises(ValueError, match="shapes differ"):
        gradcheck.relative_error(np.zeros(2), np.zeros(3))


def test_numerical_gradients_names_keys_like_backward_pass():
    params = {"W1": np.ones((2, 2)), "b1": np.zeros((1, 2))}
    grads = gradcheck.numerical_gradients(lambda: float(np.sum(params["W1"] ** 2)), params)
    assert set(grads) == {"dW1", "db1"}
    np.testing.assert_allclose(grads["dW1"], 2 * np.ones((2, 2)), atol=1e-8)
