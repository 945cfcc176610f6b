"""nbgrader end to end: release, autograde simulated submissions, feedback, export."""

from __future__ import annotations

import csv

import nbformat
import pytest
from conftest import CHAPTERS, PARTLY_RIGHT, ROOT, SUBMISSIONS
from nbgrader.api import Gradebook

from nnbook import generate


def notebook_grades(course, chapter, student):
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission_notebook(chapter, chapter, student)
        cells = {grade.name: (grade.score, grade.max_score) for grade in submission.grades}
        return submission.score, submission.max_score, cells


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_release_is_the_exercise_notebook(graded_course, chapter):
    released = nbformat.read(graded_course / "release" / chapter / f"{chapter}.ipynb",
                             as_version=4)
    committed = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
    assert generate.comparable(released) == generate.comparable(committed), (
        f"exercises/{chapter}.ipynb differs from what `nbgrader generate_assignment` releases")
    text = nbformat.writes(released)
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_correct_submission_gets_full_marks(graded_course, chapter):
    score, max_score, cells = notebook_grades(graded_course, chapter, "correct")
    assert max_score > 0
    lost = {name: s for name, s in cells.items() if s[0] != s[1]}
    assert score == max_score, f"the solution lost points in {lost}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_untouched_release_gets_zero_and_every_check_fails(graded_course, chapter):
    score, max_score, cells = notebook_grades(graded_course, chapter, "blank")
    passing = [name for name, (s, _) in cells.items() if s != 0]
    assert not passing, f"these graded cells pass on the released stub: {passing}"
    assert score == 0


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_partly_right_submission_gets_partial_credit(graded_course, chapter):
    score, max_score, cells = notebook_grades(graded_course, chapter, "partial")
    expected = PARTLY_RIGHT[chapter][1]
    assert 0 < expected < max_score
    assert score == expected, f"partial submission scored {score} of {max_score}: {cells}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_student_gets_feedback(graded_course, chapter):
    for student in SUBMISSIONS:
        feedback = graded_course / "feedback" / student / chapter / f"{chapter}.html"
        assert feedback.is_file(), f"no feedback for {student} on {chapter}"


def test_export_has_a_row_per_student_and_chapter(graded_course):
    with open(graded_course / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {(r["student_id"], r["assignment"]) for r in rows} >= {
        (s, c) for s in SUBMISSIONS for c in CHAPTERS}
