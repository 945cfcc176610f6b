"""Chapter 4 asks for a gradient check the book's package also has: delegating to it scores 0."""

from __future__ import annotations

import re

import pytest
from conftest import CHAPTERS, ROOT

from nnbook import generate

CHAPTER = "04-delta-recursion"
# The learner's functions replaced by one-line calls to the package's own copies.
DELEGATING = {
    "numerical_gradient": "from nnbook.gradcheck import numerical_gradient\n",
    "relative_error": "from nnbook.gradcheck import relative_error, verdict\n",
}


@pytest.mark.skipif(CHAPTER not in CHAPTERS, reason=f"{CHAPTER} not among BOOK_CHAPTERS")
def test_answers_that_call_the_package_fail_the_hidden_tests():
    from nbclient import NotebookClient

    notebook = generate.read_source(CHAPTER)  # solutions and hidden tests both present
    for cell in notebook.cells:
        grade_id = generate.grading(cell).get("grade_id")
        if grade_id in DELEGATING:
            cell.source = DELEGATING[grade_id]
        elif cell.cell_type == "code":
            cell.source = re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*\n", "", cell.source,
                                 flags=re.M)
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT / "solutions")}}).execute()

    failed = {generate.grading(c)["grade_id"]: "".join(o.get("evalue", "") for o in c.outputs)
              for c in notebook.cells if generate.is_grading_test(c)
              and any(o.output_type == "error" for o in c.outputs)}
    assert sorted(failed) == ["check_numerical_gradient", "check_relative_error"], failed
    for message in failed.values():
        assert "calls the book's package (nnbook) for it instead" in message
