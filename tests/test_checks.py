"""The feedback helpers: every failure names what was expected, what came out, where to look."""

from __future__ import annotations

import numpy as np
import pytest

import __main__
from nnbook import checks
from nnbook.checks import CheckFailed


def test_close_passes_within_rounding():
    checks.close("z", [0.1 + 0.2, 1.0], [0.3, 1.0])


def test_close_names_the_first_wrong_entry_and_counts_the_rest():
    with pytest.raises(CheckFailed) as failure:
        checks.close("dW2", np.array([[1.0, 2.0], [3.0, 5.0]]), [[1.0, 2.5], [3.0, 4.0]],
                     where="the delta of layer 2")
    message = str(failure.value)
    assert "dW2[0, 1]: expected 2.5, got 2" in message
    assert "2 of 4 entries are wrong" in message
    assert "Where to look: the delta of layer 2" in message


def test_close_points_out_a_missing_factor_and_prints_negative_zero_as_zero():
    with pytest.raises(CheckFailed) as failure:
        checks.close("dW3", [[0.0], [-13.7244]], [[0.0], [-1.37244]])
    assert "expected -1.37244, got -13.7244." in str(failure.value)
    assert "10 times the expected value" in str(failure.value)
    with pytest.raises(CheckFailed) as failure:
        checks.close("dJ_dw", -0.0, -2.77298)
    assert "got 0." in str(failure.value) and "times" not in str(failure.value)
    with pytest.raises(CheckFailed) as failure:  # the ratio of unrelated numbers is no clue
        checks.close("z3", 0.0123, 0.0017178)
    assert "times" not in str(failure.value)


def test_close_reports_shape_mismatch():
    with pytest.raises(CheckFailed, match=r"Z1 has shape \(3,\), expected shape \(1, 3\)"):
        checks.close("Z1", [1, 2, 3], [[1, 2, 3]])


def test_close_rejects_nan_none_and_text():
    with pytest.raises(CheckFailed, match="expected 1, got nan"):
        checks.close("J", float("nan"), 1.0)
    with pytest.raises(CheckFailed, match="is None"):
        checks.close("J", None, 1.0)
    with pytest.raises(CheckFailed, match="should be a number"):
        checks.close("J", "ten", 1.0)


def test_close_does_not_trust_numpy_comparison_helpers(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np.testing, "assert_allclose", lambda *a, **k: None)
    with pytest.raises(CheckFailed):
        checks.close("x", [1.0, 2.0], [1.0, 3.0])


def test_equal_normalises_numpy_integers_and_checks_dict_keys():
    checks.equal("shape", (np.int64(2), 3), (2, 3))
    checks.equal("count", np.int64(20), 20)
    with pytest.raises(CheckFailed, match=r"missing \['b1'\]"):
        checks.equal("shapes", {"W1": (2, 3)}, {"W1": (2, 3), "b1": (1, 3)})
    with pytest.raises(CheckFailed, match=r"shapes\['W1'\]: expected \(2, 3\), got \(3, 2\)"):
        checks.equal("shapes", {"W1": (3, 2)}, {"W1": (2, 3)})
    with pytest.raises(CheckFailed, match="expected 20, got '20'"):
        checks.equal("count", "20", 20)


def test_answer_and_call_explain_missing_and_unfinished_work(monkeypatch):
    with pytest.raises(CheckFailed, match="`not_there` is not defined yet"):
        checks.answer("not_there")

    def stub(x):
        raise NotImplementedError()

    def broken(x):
        return x["missing"]

    monkeypatch.setattr(__main__, "stub", stub, raising=False)
    monkeypatch.setattr(__main__, "broken", broken, raising=False)
    monkeypatch.setattr(__main__, "number", 3, raising=False)
    with pytest.raises(CheckFailed, match="stub still raises NotImplementedError"):
        checks.call("stub", 1)
    with pytest.raises(CheckFailed, match=r"broken\(\{\}\) raised KeyError"):
        checks.call("broken", {})
    with pytest.raises(CheckFailed, match="should be a function"):
        checks.call("number")


def test_a_failed_check_is_an_assertion_error_for_nbgrader():
    assert issubclass(CheckFailed, AssertionError)


# -- tolerances that judge the maths, not the dtype --------------------------------------------
def test_a_float32_answer_right_to_float32_precision_passes():
    exact = np.array([0.000671402, 2.5, -113.0])
    checks.close("dW", exact.astype(np.float32), exact, rtol=1e-7, atol=1e-10)
    with pytest.raises(CheckFailed):  # the same error in float64 is a wrong answer
        checks.close("dW", exact * (1 + 3e-6), exact, rtol=1e-7, atol=1e-10)
    with pytest.raises(CheckFailed):  # and float32 does not excuse a real mistake
        checks.close("dW", (exact * 1.001).astype(np.float32), exact)


def test_close_shows_enough_digits_to_see_the_difference():
    with pytest.raises(CheckFailed) as failure:
        checks.close("cost", 0.0006714034, 0.000671402, rtol=1e-7, atol=1e-12)
    message = str(failure.value)
    assert "expected 0.000671402, got 0.0006714034" in message
    assert "off by 1.4e-09" in message


def test_close_accepts_torch_tensors_that_require_grad():
    torch = pytest.importorskip("torch")
    checks.close("w", torch.tensor([1.0, 2.0], requires_grad=True), [1.0, 2.0])


def test_close_says_a_dict_came_where_an_array_was_expected():
    with pytest.raises(CheckFailed, match=r"X2 is a dict \(keys 'x0', 'z1'\), but an array"):
        checks.close("X2", {"x0": 1.0, "z1": 2.0}, [1.0])


# -- the common-factor hint: sign, learning rate, not updated ----------------------------------
def test_close_names_a_flipped_sign():
    with pytest.raises(CheckFailed, match="opposite sign of the expected one: is a sign flipped"):
        checks.close("dJ_dw", 2.77298, -2.77298)


def test_close_names_the_learning_rate_and_a_missing_update():
    before = np.array([[0.5], [-0.25]])
    gradient = np.array([[2.0], [4.0]])
    expected = before - 0.01 * gradient
    with pytest.raises(CheckFailed, match="still equals its value before the step"):
        checks.close("W3", before.copy(), expected, before=before, learning_rate=0.01)
    with pytest.raises(CheckFailed, match="1/learning_rate .100. times the expected one: is "
                                          "the learning rate missing"):
        checks.close("W3", before - gradient, expected, before=before, learning_rate=0.01)
    with pytest.raises(CheckFailed, match="The step taken has the opposite sign"):
        checks.close("W3", before + 0.01 * gradient, expected, before=before,
                     learning_rate=0.01)
    with pytest.raises(CheckFailed, match="learning_rate .0.01. times the expected one"):
        checks.close("step", 0.01 * gradient, gradient, learning_rate=0.01)


# -- short feedback ----------------------------------------------------------------------------
def test_a_failed_check_renders_as_its_message_alone_in_at_most_8_lines():
    with pytest.raises(CheckFailed) as failure:
        checks.close("Z1", np.ones((10, 3)), np.zeros((10, 3)),
                     where="Exercise 1, layer 1: " + "the receptors, then the ReLU. " * 12)
    shown = failure.value._render_traceback_()
    assert shown[0].startswith("\u2718 Z1[0, 0]: expected 0, got 1")
    assert len(shown) <= checks.MAX_FEEDBACK_LINES
    assert "Where to look: Exercise 1, layer 1" in "\n".join(shown)
    with pytest.raises(CheckFailed) as failure:  # far too long: cut, and it says so
        checks.close("Z1", [1.0], [0.0], where="the ReLU " * 200)
    shown = failure.value._render_traceback_()
    assert len(shown) <= checks.MAX_FEEDBACK_LINES and shown[-1].endswith(" ...")
    assert shown[0].startswith("\u2718 Z1: expected 0, got 1.") and "Where to look" in shown[1]
    assert all(len(line) <= checks.FEEDBACK_WIDTH for line in shown)
    assert "Traceback" not in "\n".join(shown)


def _learner_product(X, W):
    Z = X @ W
    return Z


def _learner_sum(A, B):
    return A + B


def test_call_shows_the_learners_line_and_the_shapes_of_a_product(monkeypatch):
    monkeypatch.setattr(__main__, "product", _learner_product, raising=False)
    with pytest.raises(CheckFailed) as failure:
        checks.call("product", np.ones((10, 2)), np.ones((3, 2)))
    message = str(failure.value)
    assert "in your line:  Z = X @ W" in message
    assert "`X` has shape (10, 2) and `W` has shape (3, 2)" in message
    assert "a transpose" in message
    assert len(failure.value._render_traceback_()) <= checks.MAX_FEEDBACK_LINES


def test_call_explains_broadcasting_and_a_dict_used_as_an_array(monkeypatch):
    monkeypatch.setattr(__main__, "add", _learner_sum, raising=False)
    with pytest.raises(CheckFailed, match=r"different shapes \(\(10,3\) \(10,2\)\).*"
                                          r"broadcasting"):
        checks.call("add", np.ones((10, 3)), np.ones((10, 2)))
    with pytest.raises(CheckFailed, match="A dict was used where an array was expected"):
        checks.call("add", {"x1": 1}, 1.0)


def test_explain_translates_the_common_pytorch_errors():
    torch = pytest.importorskip("torch")
    w = torch.ones(2)
    with pytest.raises(RuntimeError) as no_grad:
        (w * 2).sum().backward()
    assert "requires_grad=True" in "\n".join(checks.explain(no_grad.value))
    with pytest.raises(Exception) as mixed:
        np.exp(torch.ones(2, requires_grad=True))
    assert "NumPy and PyTorch were mixed" in "\n".join(checks.explain(mixed.value))
    with pytest.raises(RuntimeError) as product:
        torch.ones(10, 2) @ torch.ones(3, 2)
    assert "a transpose" in "\n".join(checks.explain(product.value))
