"""The gradient feedback names the first wrong gradient, how wrong it is, and where to look."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.checks import CheckFailed
from nnbook.gradcheck import numerical_gradients
from nnbook.gradient_feedback import (
    check_gradients,
    compare_gradients,
    gradient_table,
    max_relative_error,
)


def _network(seed=0, dims=(3, 5, 4, 2), n=6):
    """A small tanh network with an identity output, its data, and a correct backpropagation."""
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.normal(size=(dims[l - 1], dims[l])) / np.sqrt(dims[l - 1])
        params[f"b{l}"] = rng.normal(scale=0.5, size=(1, dims[l]))
    X = rng.normal(size=(n, dims[0]))
    Y = rng.normal(size=(n, dims[-1]))
    top = len(dims) - 1

    def forward():
        xs, zs = [X], [None]
        for l in range(1, top + 1):
            zs.append(xs[-1] @ params[f"W{l}"] + params[f"b{l}"])
            xs.append(zs[-1] if l == top else np.tanh(zs[-1]))
        return xs, zs

    def cost():
        return float(np.sum((forward()[0][-1] - Y) ** 2) / (2 * n))

    def backward():
        xs, zs = forward()
        delta = (xs[-1] - Y) / n
        grads = {}
        for l in range(top, 0, -1):
            grads[f"dW{l}"] = xs[l - 1].T @ delta
            grads[f"db{l}"] = delta.sum(axis=0, keepdims=True)
            if l > 1:
                delta = (delta @ params[f"W{l}"].T) * (1 - np.tanh(zs[l - 1]) ** 2)
        return grads

    return backward(), numerical_gradients(cost, params), n


def _message(analytic, numerical, **kwargs) -> str:
    with pytest.raises(CheckFailed) as failure:
        check_gradients(analytic, numerical, **kwargs)
    return str(failure.value)


def test_right_gradients_pass_and_are_reported_output_layer_first():
    analytic, numerical, _ = _network()
    comparisons = check_gradients(analytic, numerical)
    assert [c.name for c in comparisons] == ["dW3", "db3", "dW2", "db2", "dW1", "db1"]
    assert all(c.verdict == "right" and c.error < 1e-7 for c in comparisons)
    assert compare_gradients(analytic, numerical) == comparisons


def test_a_wrong_delta_is_blamed_on_its_layer_and_the_activation_derivative():
    analytic, numerical, _ = _network()
    # A wrong delta in layer 2 spoils dW2, db2 and everything below.
    for name in ("dW2", "db2", "dW1", "db1"):
        analytic[name] = analytic[name] * 1.7 + 0.01
    message = _message(analytic, numerical, where="Exercise 10")
    assert message.startswith("dW2 disagrees with the numerical gradient (max relative error ")
    assert "check the delta of layer 2, the activation derivative" in message
    assert "The gradients of the layers above agree (dW3, db3)." in message
    assert message.rstrip().endswith("Where to look: Exercise 10")


def test_the_max_relative_error_in_the_message_is_that_of_the_worst_entry():
    analytic, numerical, _ = _network()
    analytic["dW2"] = analytic["dW2"].copy()
    analytic["dW2"][1, 2] = 0.52 * numerical["dW2"][1, 2]
    message = _message(analytic, numerical)
    assert "(max relative error 0.48)" in message
    assert "dW2[1, 2]" in message


def test_a_wrong_weight_gradient_with_a_right_bias_gradient_points_at_dw():
    analytic, numerical, _ = _network()
    analytic["dW3"] = analytic["dW3"] * 1.5
    message = _message(analytic, numerical)
    assert message.startswith("dW3 disagrees")
    assert "db3 is right, so delta3 is right: check dW3, the product of the neurons x2" in message
    assert "1.5 times the numerical gradient" in message


def test_the_output_layer_and_the_bias_get_their_own_hints():
    analytic, numerical, _ = _network()
    wrong = dict(analytic, dW3=-analytic["dW3"], db3=-analytic["db3"])
    message = _message(analytic=wrong, numerical=numerical)
    assert "check the delta of the output layer 3" in message
    assert "minus the numerical gradient" in message
    wrong = dict(analytic, db1=analytic["db1"] + 0.3)
    assert "dW1 is right, so delta1 is right: check db1" in _message(wrong, numerical)


def test_factors_of_the_number_of_samples_are_recognised():
    analytic, numerical, n = _network()
    assert "n = 6 times too large" in _message(dict(analytic, dW2=analytic["dW2"] * n),
                                               numerical, n_samples=n)
    assert "n = 6 times too small" in _message(dict(analytic, dW2=analytic["dW2"] / n),
                                               numerical, n_samples=n)
    assert "zero everywhere" in _message(dict(analytic, dW1=0 * analytic["dW1"]), numerical)


def test_missing_keys_wrong_shapes_and_non_numbers_are_explained():
    analytic, numerical, _ = _network()
    message = _message({k: v for k, v in analytic.items() if k != "db2"}, numerical)
    assert "returned no 'db2'" in message and "dW1, db1, dW2, db2, dW3, db3" in message
    message = _message(dict(analytic, dW1=analytic["dW1"].T), numerical)
    assert "dW1 has shape (5, 3), but W1 has shape (3, 5)" in message
    assert "transposed" in message
    message = _message(dict(analytic, db3=analytic["db3"].ravel()), numerical)
    assert "keepdims=True" in message
    message = _message(dict(analytic, dW3=analytic["dW3"] * np.nan), numerical)
    assert "nan or inf" in message
    assert "dictionary of gradients, got NoneType" in _message(None, numerical)


def test_extra_keys_such_as_deltas_are_ignored():
    analytic, numerical, _ = _network()
    analytic["dZ2"] = np.ones((6, 4))
    check_gradients(analytic, numerical)


def test_max_relative_error_ignores_rounding_noise_in_near_zero_entries():
    assert max_relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert max_relative_error([1.0, 1e-13], [1.0, -1e-13]) < 1e-9
    assert max_relative_error([1.0, 2.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert max_relative_error([0.0], [0.0]) == 0.0
    with pytest.raises(ValueError, match="sizes differ"):
        max_relative_error([1.0], [1.0, 2.0])


def test_gradient_names_must_look_like_backward_pass_keys():
    with pytest.raises(ValueError, match="dW2"):
        check_gradients({}, {"W2": np.zeros(2)})


def test_hints_describe_the_equations_without_spelling_out_code():
    analytic, numerical, _ = _network()
    for wrong in ({"dW3": analytic["dW3"] * 1.5},
                  {name: analytic[name] * 1.7 + 0.01 for name in ("dW2", "db2", "dW1", "db1")},
                  {"db1": analytic["db1"] + 0.3}, {"dW1": analytic["dW1"].T}):
        message = _message(dict(analytic, **wrong), numerical)
        assert ".T @" not in message and " @ W" not in message, message


def test_the_table_lists_every_gradient_and_says_when_all_agree():
    analytic, numerical, _ = _network()
    table = gradient_table(analytic, numerical).splitlines()
    assert table[0].split()[0] == "gradient"
    assert [line.split()[0] for line in table[1:7]] == ["dW3", "db3", "dW2", "db2", "dW1", "db1"]
    assert all(line.endswith("\u2714 right") for line in table[1:7])
    assert table[7] == "Every gradient agrees with its numerical estimate."


def test_the_table_marks_wrong_rows_and_never_raises():
    analytic, numerical, _ = _network()
    # A wrong delta in layer 2: dW2 and everything below it is wrong, dW3 and db3 are right.
    for name in ("dW2", "db2", "dW1", "db1"):
        analytic[name] = analytic[name] * 1.7 + 0.01
    table = gradient_table(analytic, numerical).splitlines()
    marks = {line.split()[0]: line.split()[-1] for line in table[1:7]}
    assert marks == {"dW3": "right", "db3": "right", "dW2": "wrong", "db2": "wrong",
                     "dW1": "wrong", "db1": "wrong"}
    assert "The first, dW2, is where your backpropagation goes wrong" in table[-1]
    assert "the gradients of the layer above it agree" in table[-1]


def test_the_table_explains_missing_misshapen_and_broken_gradients():
    analytic, numerical, _ = _network()
    del analytic["db2"]
    analytic["dW1"] = analytic["dW1"].T
    analytic["db1"] = analytic["db1"] * np.nan
    text = gradient_table(analytic, numerical)
    assert "db2" in text and "missing from the dictionary" in text
    assert "shape (5, 3), expected (3, 5)" in text
    assert "db1" in text and "nan" in text
    assert "The first, db2," in text
    assert "not a dictionary of gradients" in gradient_table(None, numerical)
