"""nbgrader end to end: a simulated class for every chapter, graded in parallel.

Each chapter is released with nbgrader; three students hand it in (correct, blank, partly
right), and for one chapter seven more: five whose kernels misbehave (raising, looping forever,
sys.exit, os._exit, printing 50 MB), one with tampered checks and one who redefines numpy's
comparison helpers;
``python -m nnbook.grade`` grades them across two processes. Every score is asserted, every
student gets feedback without hidden tests, and a row in the CSV.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import (
    CHAPTERS,
    FULL,
    PARTIAL,
    ROBUSTNESS_CHAPTER,
    ROOT,
    SUBMISSIONS,
    ZERO,
    class_list,
    hidden_test_lines,
    make_course,
    nbgrader,
    partly_right_score,
    points_in_source,
)
from nbgrader.api import Gradebook

from nnbook import generate
from nnbook.grader import integrity


def notebook_grades(course, chapter, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(chapter, chapter, student)
        cells = {grade.name: (grade.score, grade.max_score) for grade in submission.grades}
        return submission.score, submission.max_score, cells


def expected_score(kind, chapter):
    """The score a kind of submission must get, from the points in the chapter's source."""
    total = sum(points_in_source(chapter).values())
    return {FULL: total, ZERO: 0, PARTIAL: partly_right_score(chapter)}[kind]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_is_the_exercise_notebook(graded_course, chapter):
    released = nbformat.read(graded_course / "release" / chapter / f"{chapter}.ipynb",
                             as_version=4)
    committed = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    assert generate.comparable(released) == generate.comparable(committed), (
        f"exercises/{chapter}.ipynb differs from what `nbgrader generate_assignment` releases")


@pytest.mark.parametrize(("student", "chapter"), class_list(CHAPTERS))
def test_every_submission_gets_its_score(graded_course, chapter, student):
    score, max_score, cells = notebook_grades(graded_course, chapter, student)
    assert max_score == sum(points_in_source(chapter).values())
    kind = SUBMISSIONS[student][1]
    expected = expected_score(kind, chapter)
    if kind == PARTIAL:
        assert 0 < expected < max_score, "a partly right submission must be strictly partial"
    assert score == expected, (
        f"{student} scored {score} of {max_score} on {chapter}, expected {expected}; "
        f"cells: {cells}")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_graded_cell_fails_on_the_released_stub(graded_course, chapter):
    _, _, cells = notebook_grades(graded_course, chapter, "blank")
    passing = [name for name, (score, _) in cells.items() if score != 0]
    assert not passing, f"these graded cells pass on the released stub: {passing}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_student_gets_feedback_without_hidden_tests(graded_course, chapter):
    hidden = hidden_test_lines(chapter)
    for student, _ in class_list([chapter]):
        feedback = graded_course / "feedback" / student / chapter / f"{chapter}.html"
        assert feedback.is_file(), f"no feedback for {student} on {chapter}"
        text = feedback.read_text(encoding="utf-8")
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"hidden test code in {student}'s feedback: {leaked[:3]}"
        assert len(text) < 3_000_000, f"{student}'s feedback is {len(text):,} characters"


def test_export_has_a_row_per_student_and_chapter(graded_course):
    with open(graded_course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["student_id"], r["assignment"]) for r in rows} >= set(class_list(CHAPTERS))


def test_parallel_grading_gives_the_same_scores_as_serial_nbgrader(graded_course,
                                                                   tmp_path_factory):
    chapter = ROBUSTNESS_CHAPTER  # the one every student hands in
    serial = make_course(tmp_path_factory.mktemp("serial"), [chapter])
    # The honest three and two whose kernels misbehave (an error, an exit): the students who
    # only cost time (looping, flooding) or only test the checks are left out, for speed.
    compared = ["correct", "blank", "partial", "raising", "sys_exit"]
    for student in set(SUBMISSIONS) - set(compared):
        shutil.rmtree(serial / "submitted" / student)
    nbgrader(serial, "autograde", chapter, "--force", timeout=1800)
    for student in compared:
        assert notebook_grades(serial, chapter, student) == notebook_grades(
            graded_course, chapter, student), f"{student}: serial and parallel grades differ"


def test_grading_command_explains_bad_arguments(tmp_path):
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                                 os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", "01-notation", "--course",
                             str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert re.search(r"is not an nbgrader course \(no nbgrader_config.py\)", result.stderr)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", "01-notation", "--course",
                             str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 2 and "no submissions for '01-notation'" in result.stderr


def test_a_gradebook_that_disagrees_with_the_grader_is_reported(graded_course, tmp_path):
    chapter = CHAPTERS[0]
    everyone = [(chapter, student) for student, _ in class_list([chapter])]
    original = f"sqlite:///{graded_course / 'gradebook.db'}"
    assert integrity.gradebook_mismatches(graded_course, everyone, original) == []
    forged = tmp_path / "gradebook.db"
    shutil.copy(graded_course / "gradebook.db", forged)
    with Gradebook(f"sqlite:///{forged}") as gradebook:
        submission = gradebook.find_submission_notebook(chapter, chapter, "blank")
        grade = next(g for g in submission.grades if g.max_score)
        grade.auto_score = grade.max_score  # as a kernel that reached the database would
        gradebook.db.commit()
        name, max_score = grade.name, grade.max_score
    problems = integrity.gradebook_mismatches(graded_course, everyone, f"sqlite:///{forged}")
    assert problems == [f"blank / {chapter} / {name}: the gradebook says "
                        f"{max_score:g}, the grader judged 0"]
