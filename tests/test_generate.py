"""The generator: everything generated is in sync, and each version holds what it should."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from conftest import CHAPTERS, ROOT

from nnbook import generate


def test_generated_files_are_up_to_date(capsys):
    status = generate.main(["--check"])
    assert status == 0, capsys.readouterr().err


def test_check_names_a_stale_file(tmp_path, monkeypatch, capsys):
    chapter = CHAPTERS[0]
    for folder in ("exercises", "solutions", "book"):
        (tmp_path / folder).mkdir()
        shutil.copy(ROOT / folder / f"{chapter}.ipynb", tmp_path / folder)
    # The generated files live in tmp_path; the sources stay where they are.
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "EXERCISES_DIR", tmp_path / "exercises")
    monkeypatch.setattr(generate, "SOLUTIONS_DIR", tmp_path / "solutions")
    monkeypatch.setattr(generate, "BOOK_DIR", tmp_path / "book")
    assert generate.main(["--check", chapter]) == 0
    stale = tmp_path / "exercises" / f"{chapter}.ipynb"
    nb = nbformat.read(stale, as_version=4)
    nb.cells[0].source += "\nedited by hand"
    nbformat.write(nb, stale)
    (tmp_path / "book" / f"{chapter}.ipynb").unlink()
    assert generate.main(["--check", chapter]) == 1
    err = capsys.readouterr().err
    assert f"exercises/{chapter}.ipynb differs" in err
    assert f"book/{chapter}.ipynb is missing" in err


def test_sources_with_outputs_are_refused(tmp_path, monkeypatch):
    chapter = CHAPTERS[0]
    nb = nbformat.read(generate.source_path(chapter), as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="hello")]
    (tmp_path / chapter).mkdir()
    nbformat.write(nb, tmp_path / chapter / f"{chapter}.ipynb")
    monkeypatch.setattr(generate, "SOURCE_DIR", tmp_path)
    with pytest.raises(generate.SourceError, match="has stored outputs"):
        generate.read_source(chapter)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_version_holds_what_it_should(chapter):
    source = nbformat.read(generate.source_path(chapter), as_version=4)
    text = {kind: (ROOT / folder / f"{chapter}.ipynb").read_text()
            for kind, folder in (("exercise", "exercises"), ("solution", "solutions"),
                                 ("book", "book"))}
    assert "BEGIN HIDDEN TESTS" not in nbformat.writes(source), "hidden tests in the source"
    for kind in text:
        assert "HIDDEN TESTS" not in text[kind], f"hidden tests leak into the {kind} notebook"
    assert "raise NotImplementedError()" in text["exercise"]
    assert "BEGIN SOLUTION" not in text["exercise"]
    assert "BEGIN SOLUTION" not in text["solution"]

    book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    assert not any(generate.is_grading_test(c) or "nbgrader" in c.metadata for c in book.cells)
    solutions = [c for c in book.cells if c.cell_type == "code"
                 and c.metadata.get("mystnb", {}).get("code_prompt_show") == "Show solution"]
    assert solutions and all("hide-input" in c.metadata["tags"] for c in solutions)
    for cell in book.cells:
        if "hint" in cell.metadata.get("tags", []):
            assert cell.source.startswith("````{dropdown} Hint")


def test_a_source_with_hidden_tests_in_it_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "09-new"
    folder.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "check()\n### BEGIN HIDDEN TESTS\nsecret()\n### END HIDDEN TESTS")])
    nbformat.write(nb, folder / "09-new.ipynb")
    monkeypatch.setattr(generate, "SOURCE_DIR", tmp_path)
    with pytest.raises(generate.SourceError, match="autograder/hidden_tests/09-new.py"):
        generate.read_source("09-new")
