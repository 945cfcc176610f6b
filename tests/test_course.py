"""The nbgrader course as an instructor reads it: points per chapter, as the guide states."""

from __future__ import annotations

import re

import nbformat
from conftest import ROOT

from nnbook import generate
from nnbook.grader import hidden


def points_in_source(chapter: str) -> tuple[int, float]:
    nb = nbformat.read(generate.source_path(chapter), as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    return len(graded), sum(c.metadata["nbgrader"]["points"] for c in graded)


def points_in_guide() -> dict[str, tuple[int, float]]:
    text = (ROOT / "book" / "instructors.md").read_text()
    rows = re.findall(r"^\| `(\d\d-[\w-]+)` \| (\d+) \| (\d+(?:\.\d+)?) \|$", text, re.M)
    return {name: (int(cells), float(total)) for name, cells, total in rows}


def test_the_instructor_guide_states_each_chapters_points():
    stated = points_in_guide()
    actual = {chapter: points_in_source(chapter) for chapter in generate.chapters()}
    assert stated == actual, (
        "update the table of points in book/instructors.md to match the sources: "
        f"{actual}")


def test_every_graded_cell_has_points_and_a_unique_id():
    for chapter in generate.chapters():
        nb = nbformat.read(generate.source_path(chapter), as_version=4)
        ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
               if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)), f"{chapter}: repeated grade_id"
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                assert meta.get("points", 0) > 0, f"{chapter}/{meta['grade_id']} has no points"


def test_every_graded_cell_has_one_hidden_test_on_the_graders_side():
    for chapter in generate.chapters():
        nb = nbformat.read(generate.source_path(chapter), as_version=4)
        graded = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade")}
        tests = hidden.load(ROOT / "autograder", chapter)
        assert set(tests) == graded, (
            f"{chapter}: graded cells without a hidden test: {sorted(graded - set(tests))}; "
            f"tests for no graded cell: {sorted(set(tests) - graded)} (see "
            f"autograder/hidden_tests/{chapter}.py)")
        for cell in nb.cells:
            assert generate.HIDDEN_BEGIN not in cell.source, (
                f"{chapter}: hidden tests inside the source notebook")


def test_hidden_tests_are_not_in_any_assignment_folder():
    # nbgrader releases everything in source/<chapter>/: the tests must live elsewhere.
    for chapter in generate.chapters():
        folder = generate.source_path(chapter).parent
        assert [p.name for p in folder.iterdir()] == [f"{chapter}.ipynb"], (
            f"{folder} holds more than the notebook; nbgrader would release it")
