"""Shared fixtures: the repository layout and a graded copy of the nbgrader course."""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from nnbook import generate

ROOT = Path(__file__).resolve().parent.parent
# BOOK_CHAPTERS="03-chain-rule 04-delta-recursion" narrows the notebook tests to some chapters.
CHAPTERS = os.environ.get("BOOK_CHAPTERS", "").split() or generate.chapters()


def nbgrader(course: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run nbgrader's own command line in ``course``; fail the test with its output if it fails."""
    # nbgrader starts helper programs (alembic, jupyter) by name: find this environment's first.
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                                 os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode:
        pytest.fail(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


# A partly right submission per chapter: the solution notebook with some answers changed, and
# the score it must get. An answer maps to None (left as the released stub) or to a
# (wrong, right) pair: the text `right` in the solution is replaced by the mistake `wrong`.
PARTLY_RIGHT = {
    "01-notation": ({"count_parameters": None, "weight_lookup": None}, 2),
    "02-forward-pass": ({"forward": ("X2 = Z2", "X2 = np.maximum(0, Z2)")}, 2),
}


def partly_right(chapter: str, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
    if chapter not in PARTLY_RIGHT:
        pytest.fail(f"add a partly right submission for {chapter} to PARTLY_RIGHT in "
                    "tests/conftest.py")
    changes, _ = PARTLY_RIGHT[chapter]
    stubs = {c.metadata["nbgrader"]["grade_id"]: c.source for c in release.cells
             if generate.is_solution(c)}
    submission = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
    for cell in submission.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in changes:
            continue
        if changes[grade_id] is None:
            cell.source = stubs[grade_id]
        else:
            wrong, right = changes[grade_id]
            assert right in cell.source, f"{chapter}/{grade_id} has no {right!r} to change"
            cell.source = cell.source.replace(right, wrong)
    return submission


SUBMISSIONS = {
    "correct": lambda chapter, release: nbformat.read(
        ROOT / "solutions" / f"{chapter}.ipynb", as_version=4),
    "blank": lambda chapter, release: copy.deepcopy(release),
    "partial": partly_right,
}


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> Path:
    """A copy of autograder/ where every chapter was released, submitted, graded, fed back."""
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "autograder" / "source", course / "source")
    for chapter in CHAPTERS:
        nbgrader(course, "generate_assignment", chapter, "--force")
        release = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
        for student, make in SUBMISSIONS.items():
            folder = course / "submitted" / student / chapter
            folder.mkdir(parents=True)
            nbformat.write(make(chapter, release), folder / f"{chapter}.ipynb")
        nbgrader(course, "autograde", chapter, "--force")
        nbgrader(course, "generate_feedback", chapter, "--force")
    nbgrader(course, "export", "--to", "grades.csv")
    return course


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The website built once, strictly: warnings are errors, references nitpicked."""
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(out),
         "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True, text=True, timeout=900)
    return result, out / "_build" / "html"


@pytest.fixture(scope="session")
def built_site(site_build) -> Path:
    result, html = site_build
    if result.returncode:
        pytest.fail("the website does not build:\n" + result.stdout[-5000:]
                    + result.stderr[-5000:])
    return html
