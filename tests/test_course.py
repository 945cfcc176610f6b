"""The nbgrader course as an instructor reads it: points per chapter, as the guide states."""

from __future__ import annotations

import re

import nbformat
from conftest import ROOT

from nnbook import generate


def points_in_source(chapter: str) -> tuple[int, float]:
    nb = nbformat.read(generate.source_path(chapter), as_version=4)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    return len(graded), sum(c.metadata["nbgrader"]["points"] for c in graded)


def points_in_guide() -> dict[str, tuple[int, float]]:
    text = (ROOT / "book" / "instructors.md").read_text()
    rows = re.findall(r"^\| `([\w-]+)` \| (\d+) \| (\d+(?:\.\d+)?) \|$", text, re.M)
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
                assert generate.HIDDEN_BEGIN in cell.source, (
                    f"{chapter}/{meta['grade_id']} has no hidden tests")
