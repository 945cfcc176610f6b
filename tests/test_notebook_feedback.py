"""What a learner sees in a real kernel: short feedback, and Run All through unfinished work.

The kernel is started by nbclient, which shows errors as JupyterLab does (an error output's
``traceback`` lines are what the notebook prints) and, like JupyterLab, goes on after a cell
that raises only when the cell is tagged ``raises-exception`` (it then sends the kernel
``stop_on_error: false``, as JupyterLab's OutputArea.execute does).
"""

from __future__ import annotations

import re
import time

import nbformat
import pytest
from conftest import CHAPTERS, ROOT, judge
from nbclient import NotebookClient

from nnbook import checks, generate
from nnbook.jupyterlab_markup import RUNS_ON_AFTER_ERROR

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(nb: nbformat.NotebookNode, folder) -> nbformat.NotebookNode:
    """Execute like Run All: a cell that raises stops the run unless it carries the tag."""
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def shown_errors(nb: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """(cell index, the text the learner sees) for every error output."""
    return [(index, ANSI.sub("", "\n".join(output.traceback)))
            for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


def learner_cell(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = [RUNS_ON_AFTER_ERROR]
    return cell


def test_feedback_in_a_kernel_is_short_and_says_which_cell_failed(tmp_path):
    cells = [
        "import numpy as np\nfrom nnbook.checks import answer, call, close",
        "def forward(X, W):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n"
        "Z1 = forward(1, 2)",
        "close('Z1', answer('Z1'), 1.0)",
        "X = np.ones((10, 2))\nW1 = np.ones((3, 2))\nZ2 = X @ W1",
        "close('Z2', answer('Z2'), 1.0)",
        "def product(A, B):\n    return A @ B",
        "call('product', np.ones((10, 2)), np.ones((3, 2)))",
        "close('W1', np.ones(3), np.zeros(3), where='the update step: ' + 'read again. ' * 40)",
        "answer('never_computed')",
        "print(Z1 + 1)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cells[0])]
                                  + [learner_cell(source) for source in cells[1:]])
    started = time.monotonic()
    errors = dict(shown_errors(run(nb, tmp_path)))
    print(f"kernel feedback test: {time.monotonic() - started:.1f} s")
    assert sorted(errors) == [1, 2, 3, 4, 6, 7, 8, 9], "every cell but the two defining ones"
    for index, text in errors.items():
        assert len(text.splitlines()) <= checks.MAX_FEEDBACK_LINES, f"cell {index}:\n{text}"
        assert "Traceback" not in text and text.startswith("\u2718"), text
    errors = {index: " ".join(text.split()) for index, text in errors.items()}  # unwrapped
    assert "Not finished yet: `forward` still raises NotImplementedError" in errors[1]
    assert ("`Z1` has no value: the cell that computes it (at `Z1 = forward(1, 2)`) stopped "
            "with NotImplementedError") in errors[2]
    assert "\u2718 ValueError in your line: Z2 = X @ W1" in errors[3]
    assert "`X` has shape (10, 2) and `W1` has shape (3, 2)" in errors[3]
    assert "(at `Z2 = X @ W1`) stopped with ValueError" in errors[4]
    assert "in your line: return A @ B" in errors[6]
    assert "`A` has shape (10, 2) and `B` has shape (3, 2)" in errors[6]
    assert errors[7].startswith("\u2718 W1[0]: expected 0, got 1 (3 of 3 entries are wrong).")
    assert "Where to look: the update step" in errors[7]
    assert "`never_computed` is not defined yet. Run the cell" in errors[8]
    assert "NameError: `Z1` has no value: the cell that computes it" in errors[9]


def finished(release: nbformat.NotebookNode, chapter: str) -> nbformat.NotebookNode:
    """The released notebook with every exercise solved (the source's solutions, by cell id)."""
    solved = {cell.id: cell.source
              for cell in generate.solution_version(generate.read_source(chapter)).cells}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if generate.is_solution(cell):
            cell.source = solved[cell.id]
    return nb


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_run_all_goes_through_the_unfinished_exercise_notebook(chapter):
    release = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    started = time.monotonic()
    nb = run(release, ROOT / "exercises")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    ran = [cell for cell in code if cell.execution_count is not None]
    print(f"{chapter}: {len(ran)} of {len(code)} code cells ran, "
          f"{time.monotonic() - started:.1f} s")
    assert len(ran) == len(code)
    errors = shown_errors(nb)
    assert errors, "an unfinished notebook shows its unfinished exercises"
    for index, text in errors:
        assert text.startswith("\u2718") and len(text.splitlines()) <= 8, (
            f"{chapter} cell {index} shows a long or unexplained error:\n{text}")
    for cell in nb.cells:
        if generate.is_grading_test(cell):  # raised, or said "not checked yet" (ready_to_check)
            assert any(o.output_type == "error" or "\u2718" in o.get("text", "")
                       for o in cell.outputs), (
                f"{chapter}: the check {generate.grading(cell)['grade_id']} does not show \u2718 "
                "on the unfinished notebook")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_released_notebook_marks_what_learners_need(chapter):
    release = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    first = next(i for i, c in enumerate(release.cells)
                 if generate.is_solution(c) or generate.is_grading_test(c))
    for index, cell in enumerate(release.cells):
        tagged = RUNS_ON_AFTER_ERROR in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert tagged == (index >= first), f"{chapter} cell {index}"
        if "hint" in cell.metadata.get("tags", []):
            assert cell.source.lstrip("`").startswith("{dropdown} Hint"), "folded in JupyterLab"
    hints = [c for c in release.cells if "hint" in c.metadata.get("tags", [])]
    assert hints, f"{chapter} has no hint cell to fold"
    solution = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
    assert not any(RUNS_ON_AFTER_ERROR in c.metadata.get("tags", []) for c in solution.cells), (
        "the solutions must stop at an error: nbval relies on it")


@pytest.mark.parametrize("chapter", ["03-chain-rule", "05-nn-class"])
def test_an_unfinished_notebook_still_scores_zero_under_autograding(chapter, tmp_path):
    release = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    verdicts = judge(release, chapter, tmp_path)
    graded = {generate.grading(c)["grade_id"] for c in release.cells
              if generate.is_grading_test(c)}
    assert set(verdicts) == graded
    assert all(verdict is not None for verdict in verdicts.values()), verdicts
