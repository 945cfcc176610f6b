"""Chapter 4 asks for a gradient check the book's package also has: delegating to it scores 0."""

from __future__ import annotations

import pytest
from conftest import CHAPTERS, judge

from nnbook import generate

CHAPTER = "04-delta-recursion"
# The learner's functions replaced by one-line calls to the package's own copies.
DELEGATING = {
    "numerical_gradient": "from nnbook.gradcheck import numerical_gradient\n",
    "relative_error": "from nnbook.gradcheck import relative_error, verdict\n",
}


@pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} not among BOOK_CHAPTERS")
def test_answers_that_call_the_package_fail_the_hidden_tests(tmp_path):
    notebook = generate.solution_version(generate.read_source(CHAPTER))
    for cell in notebook.cells:
        grade_id = generate.grading(cell).get("grade_id")
        if grade_id in DELEGATING:
            cell.source = DELEGATING[grade_id]
    verdicts = judge(notebook, CHAPTER, tmp_path)
    failed = {grade_id: message for grade_id, message in verdicts.items() if message}
    assert sorted(failed) == ["check_numerical_gradient", "check_relative_error"], failed
    for message in failed.values():
        assert "calls the book's package (nnbook) for it instead" in message
