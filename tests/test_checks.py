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
