"""No hint, no "Where to look" text and no check message gives a solution line away.

Every line between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` of a chapter's source is
compared, spaces removed, with the texts a learner reads before solving: the hint cells, and
every string of the visible check cells and of the chapter's hidden tests (their messages and
"where" texts reach the learner as feedback).
"""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from conftest import CHAPTERS, ROOT

from nnbook import generate


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def solution_lines(source: nbformat.NotebookNode) -> list[str]:
    """The chapter's solution lines that are code worth hiding: not comments, not a bare name."""
    lines = []
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        inside = False
        for line in cell.source.splitlines():
            marker = generate.SOLUTION_MARKER.match(line)
            if marker:
                inside = marker.group(1) == "BEGIN"
                continue
            code = line.strip()
            if not inside or not code or code.startswith("#"):
                continue
            if "'" not in code and '"' not in code:
                code = re.sub(r"\s+#.*$", "", code)  # an inline comment is not the answer
            if len(_squash(code)) >= 5 and re.search(r"[=(@*+\-/\[]", code):
                lines.append(code)
    return lines


def _strings(code: str) -> list[tuple[int, str]]:
    """Every string literal of ``code`` with its line; an f-string's fields become ``{}``."""
    found = []
    tree = ast.parse(code)
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = []
            for value in node.values:
                inside_fstrings.add(id(value))
                parts.append(value.value if isinstance(value, ast.Constant) else "{}")
            found.append((node.lineno, "".join(str(p) for p in parts)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                id(node) not in inside_fstrings:
            found.append((node.lineno, node.value))
    return found


def learner_texts(chapter: str) -> list[tuple[str, str]]:
    """(where it is, text) for each hint, check string and hidden-test string of a chapter."""
    source = nbformat.read(generate.source_path(chapter), as_version=4)
    texts = []
    for index, cell in enumerate(source.cells):
        if cell.cell_type == "markdown" and "hint" in generate.tags(cell):
            texts.append((f"cell {index} (id {cell.id}), hint", cell.source))
        elif cell.cell_type == "code" and generate.is_grading_test(cell):
            grade_id = generate.grading(cell)["grade_id"]
            for line, text in _strings(cell.source):
                texts.append((f"cell {index} ({grade_id}), check string on line {line}", text))
    hidden = ROOT / "autograder" / "hidden_tests" / f"{chapter}.py"
    for line, text in _strings(hidden.read_text(encoding="utf-8")):
        if not (line == 1 or text.lstrip().startswith(('"""', "Hidden tests"))):
            texts.append((f"autograder/hidden_tests/{chapter}.py line {line}", text))
    return texts


def offending_texts(chapter: str) -> list[str]:
    source = nbformat.read(generate.source_path(chapter), as_version=4)
    lines = {_squash(line): line for line in solution_lines(source)}
    found = []
    for where, text in learner_texts(chapter):
        squashed = _squash(text)
        for key, line in lines.items():
            if key in squashed:
                found.append(f"{chapter} {where}: holds the solution line `{line}`")
    return found


def test_the_comparison_finds_a_solution_line_and_ignores_spacing():
    source = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "def f(X, W1, b1):\n    ### BEGIN SOLUTION\n    Z1 = X @ W1 + b1  # receptors\n"
        "    ### END SOLUTION\n    return Z1")])
    assert solution_lines(source) == ["Z1 = X @ W1 + b1"]
    assert _squash("Z1 = X @ W1 + b1") in _squash("for example `Z1 = X@W1 + b1`, then")
    assert _strings('where = "use Z1 = X @ W1"\nclose(f"Z{1}", where=f"Z1 = {x}")') == [
        (2, "Z{}"), (2, "Z1 = {}"), (1, "use Z1 = X @ W1")]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_learner_text_holds_a_solution_line(chapter):
    found = offending_texts(chapter)
    assert not found, "\n".join(found)
