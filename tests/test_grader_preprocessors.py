"""The grader's nbgrader steps on small notebooks: feedback made safe, grade ids repaired,
the feedback folder cleaned."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnbook import grade
from nnbook.grader.preprocessors import FixGradeIds, RepairSchema, SanitizeFeedback


def graded_cell(grade_id: str, source: str = "pass") -> nbformat.NotebookNode:
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True,
                                 "points": 1, "schema_version": 3, "solution": False,
                                 "task": False}
    return cell


def test_feedback_keeps_text_and_pictures_and_drops_active_content():
    cell = new_code_cell("show()")
    cell.outputs = [
        new_output("display_data", data={"text/html": "<script>alert(1)</script>",
                                         "text/plain": "<IPython.core.display.HTML object>"}),
        new_output("display_data", data={"application/javascript": "alert(1)"}),
        new_output("display_data", data={"image/svg+xml": "<svg onload='alert(1)'/>"}),
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "fig"}),
        new_output("display_data", data={"image/png": "\"><script>alert(1)</script>"}),
    ]
    markdown = new_markdown_cell("My answer <img src=x onerror=alert(1)> [a](javascript:x)")
    nb = new_notebook(cells=[cell, markdown])
    nb, _ = SanitizeFeedback().preprocess(nb, {})
    kept = [sorted(o.data) for o in nb.cells[0].outputs]
    assert kept == [["text/plain"], ["text/plain"], ["text/plain"], ["image/png", "text/plain"],
                    ["text/plain"]]
    assert nb.cells[0].outputs[1].data["text/plain"] == "(output not shown in feedback)"
    text = nb.cells[1].source  # shown as plain text: a fenced block, nothing rendered
    assert text.startswith("```text\n") and text.endswith("\n```")
    assert text.count("```") == 2


def test_a_copy_pasted_check_cell_becomes_a_plain_cell():
    nb = new_notebook(cells=[graded_cell("check_a"), graded_cell("check_b"),
                             graded_cell("check_a", "pass  # pasted again"),
                             graded_cell("bad id!")])
    nb.cells.append(new_code_cell("x = 1"))
    nb.cells[-1].metadata["nbgrader"] = "not a dict"
    nb, _ = FixGradeIds().preprocess(nb, {})
    assert [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells] == [
        "check_a", "check_b", None, None, None]


def test_what_the_schema_refuses_is_dropped_and_the_rest_kept():
    nb = new_notebook(cells=[graded_cell("check_a"), new_code_cell("x = 1"),
                             new_markdown_cell("notes")])
    nb.cells[0].metadata["tags"] = ["a, b"]  # a comma: nbformat's schema refuses it
    nb.cells[1].metadata["collapsed"] = "yes"  # must be a boolean
    nb.cells[1].outputs = [{"output_type": "stream", "name": "stdout", "text": 5}]
    nb.cells[2].metadata["tags"] = "hint"  # must be a list
    nb.metadata["kernelspec"] = 3
    with pytest.raises(nbformat.ValidationError):
        nbformat.validate(nb)
    nb, _ = RepairSchema().preprocess(nb, {})
    nbformat.validate(nb)
    assert nb.cells[0].metadata["nbgrader"]["grade_id"] == "check_a"
    assert "tags" not in nb.cells[0].metadata and nb.cells[1].outputs == []
    assert [c.source for c in nb.cells] == ["pass", "x = 1", "notes"]


def test_the_feedback_folder_keeps_only_feedback_pages(tmp_path):
    (tmp_path / "source" / "02-forward-pass").mkdir(parents=True)
    (tmp_path / "source" / "02-forward-pass" / "02-forward-pass.ipynb").write_text("{}")
    folder = tmp_path / "feedback" / "ada" / "02-forward-pass"
    (folder / "data").mkdir(parents=True)
    (folder / "02-forward-pass.html").write_text("<p>feedback</p>")
    (folder / "huge.bin").write_bytes(b"0" * 1000)
    (folder / "data" / "page.html").write_text("<script>alert(1)</script>")
    (folder / "other.html").write_text("<script>alert(1)</script>")
    removed = grade.clean_feedback(tmp_path, ["02-forward-pass"])
    assert sorted(p.name for p in removed) == ["huge.bin", "other.html", "page.html"]
    assert [p.name for p in folder.iterdir()] == ["02-forward-pass.html"]
