"""The grading report's parts that need no grading: checks before grading, late policy, LMS files.

(tests/test_term.py runs them all on a small class, through the guide's commands.)
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest
from conftest import COURSE_MNIST, ROOT, cells_needing_course_mnist

from nnbook import grade
from nnbook.grader import lms
from nnbook.grader.late import PerDayPenalty, describe_lateness

CHAPTER = "02-forward-pass"


@pytest.fixture
def course(tmp_path):
    (tmp_path / "source" / CHAPTER).mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "source" / CHAPTER / f"{CHAPTER}.ipynb")
    return tmp_path


def hand_in(course, student, files: dict[str, str]):
    folder = course / "submitted" / student / CHAPTER
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


NOTEBOOK = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))


def test_a_single_notebook_under_another_name_is_graded_under_its_own(course):
    folder = hand_in(course, "ada", {f"{CHAPTER} (1).ipynb": NOTEBOOK})
    problem, done = grade.check_submission(course, CHAPTER, "ada")
    assert problem is None
    assert done[0] == f"graded '{CHAPTER} (1).ipynb' as {CHAPTER}.ipynb (renamed in {folder})"
    assert sorted(p.name for p in folder.iterdir()) == [f"{CHAPTER}.ipynb", "timestamp.txt"]
    assert done[1].startswith("no timestamp.txt (copied by hand?): took the notebook's file")


def test_two_other_notebooks_are_not_guessed_between(course):
    hand_in(course, "ada", {"a.ipynb": NOTEBOOK, "b.ipynb": NOTEBOOK})
    problem, _ = grade.check_submission(course, CHAPTER, "ada")
    assert problem.startswith(f"no {CHAPTER}.ipynb in ") and "but a.ipynb, b.ipynb: rename" \
        in problem


@pytest.mark.parametrize("text, says", [
    (NOTEBOOK[:len(NOTEBOOK) // 2], "is truncated: the file stops in the middle"),
    (NOTEBOOK[:40], "is truncated"),
    ("", "is empty"),
    ("PK\x03\x04 a zip file, not JSON", "is not a notebook: it is not JSON (line 1"),
    (json.dumps({"name": "not a notebook"}), "is JSON but not a Jupyter notebook"),
])
def test_a_broken_notebook_is_not_graded_and_says_why(course, text, says):
    hand_in(course, "ada", {f"{CHAPTER}.ipynb": text})
    problem, _ = grade.check_submission(course, CHAPTER, "ada")
    assert problem.startswith(f"{CHAPTER}.ipynb {says}"), problem


def test_a_submission_with_its_time_keeps_it(course):
    folder = hand_in(course, "ada", {f"{CHAPTER}.ipynb": NOTEBOOK,
                                     "timestamp.txt": "2026-10-01 12:00:00 UTC"})
    assert grade.check_submission(course, CHAPTER, "ada") == (None, [])
    assert (folder / "timestamp.txt").read_text() == "2026-10-01 12:00:00 UTC"


@pytest.mark.parametrize("output, says", [
    ("... nbclient.exceptions.CellTimeoutError: A cell timed out", "it timed out"),
    ("nbformat.reader.NotJSONError: Notebook does not appear to be JSON", "not valid JSON"),
    ("No notebooks found, did you forget to run 'nbgrader generate_assignment'?",
     "found no notebook"),
    ("Traceback ...\nValueError: something odd\n", "nbgrader stopped with ValueError: something"),
    ("", "nbgrader wrote no result"),
])
def test_a_failure_is_put_in_words(output, says):
    assert says in grade.why_it_failed(output)


def test_the_late_policy_counts_days_started_after_the_grace_period():
    policy = PerDayPenalty(grace_minutes=15, percent_per_day=10, max_percent=50)
    hour = 3600
    assert policy.late_submission_penalty("ada", 6, 10 * 60) == 0  # within the grace period
    assert policy.late_submission_penalty("ada", 6, 16 * 60) == 0.6  # one day started
    assert policy.late_submission_penalty("ada", 6, 34 * hour) == 1.2  # two
    assert policy.late_submission_penalty("ada", 6, 30 * 24 * hour) == 3  # capped at 50 %
    assert describe_lateness(34 * hour) == "1 day 10 h"
    assert describe_lateness(10 * 60) == "10 min"
    assert describe_lateness(3 * 24 * hour + 60) == "3 days 1 min"


@pytest.mark.parametrize("path, platform, lms_id, file", [
    ("lovelaceada_1001_5001_02-forward-pass.ipynb", "canvas", "1001", "02-forward-pass.ipynb"),
    ("turingalan_late_1002_5002_02-forward-pass-1.ipynb", "canvas", "1002",
     "02-forward-pass-1.ipynb"),
    ("Ada Lovelace_77_assignsubmission_file_02-forward-pass.ipynb", "moodle", "77",
     "02-forward-pass.ipynb"),
    ("Ada Lovelace_77_assignsubmission_file_", "moodle", "77", ""),
])
def test_the_collector_reads_both_platforms_file_names(path, platform, lms_id, file):
    pattern = {"canvas": lms.CANVAS_NAME, "moodle": lms.MOODLE_NAME}[platform]
    other = {"canvas": lms.MOODLE_NAME, "moodle": lms.CANVAS_NAME}[platform]
    match = pattern.fullmatch(path)
    assert match and (match["lms_id"], match["file"]) == (lms_id, file)
    assert other.fullmatch(path) is None


def test_lms_rows_leave_what_has_no_grade_empty():
    students = [{"id": "ada", "first_name": "Ada", "last_name": "Lovelace",
                 "email": "ada@example.org", "lms_user_id": "1001"},
                {"id": "alan", "first_name": "Alan", "last_name": "Turing",
                 "email": "alan@example.org", "lms_user_id": "1002"}]
    totals = {"score": {("ada", CHAPTER): 6.0, ("alan", CHAPTER): None},
              "max": {CHAPTER: 6.0},
              "note": {("ada", CHAPTER): "graded", ("alan", CHAPTER): "missing: not handed in"}}
    canvas = lms.canvas_rows(students, [CHAPTER], totals)
    assert canvas == [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", CHAPTER],
                      ["Points Possible", "", "", "", "", "6"],
                      ["Lovelace, Ada", "1001", "", "ada", "", "6"],
                      ["Turing, Alan", "1002", "", "alan", "", ""]]
    moodle = lms.moodle_rows(students, [CHAPTER], totals)
    assert moodle[0] == ["ID number", "Email address", "First name", "Last name", CHAPTER,
                         f"{CHAPTER} feedback"]
    assert moodle[2][4:] == ["", "missing: not handed in"]


def test_the_course_data_cells_of_chapter_7_are_the_ones_that_use_it():
    nb = nbformat.read(ROOT / "solutions" / "07-mnist.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    needing = cells_needing_course_mnist(code)
    loader = next(i for i, s in enumerate(code) if "load_book_data" in s)
    assert needing[0] == loader
    checks = [i for i, s in enumerate(code) if s.startswith("# Check Exercise 1")]
    assert checks and not set(checks) & set(needing), "the exercises use their own examples"
    assert any("X_train" in code[i] for i in needing)
    assert all(not ("X_train" in s or "X_test" in s) for i, s in enumerate(code)
               if i not in needing and i > loader)


def test_without_the_course_mnist_the_tests_say_so_and_skip_only_its_cells(tmp_path):
    env = dict(os.environ, NNBOOK_COURSE_MNIST=str(tmp_path / "absent"))
    env.pop("NNBOOK_MNIST_DIR", None)
    notebook = "solutions/07-mnist.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", f"{notebook}::Cell 0", f"{notebook}::Cell 1",
         "tests/test_example.py", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
         "-q", "-rs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    missing = [line for line in result.stdout.splitlines()
               if line.startswith(f"{tmp_path / 'absent'} not found")]
    assert missing and "t10k-images-idx3-ubyte.gz" in missing[0], result.stdout[-3000:]
    assert "1 skipped" in result.stdout and " failed" not in result.stdout, result.stdout


def test_the_course_mnist_is_used_when_it_is_there():
    if not COURSE_MNIST.is_dir():
        pytest.skip(f"{COURSE_MNIST} not found")
    assert os.environ.get("NNBOOK_MNIST_DIR") == str(COURSE_MNIST)


def test_grades_csv_fields(tmp_path):
    rows = [grade.Outcome("ada", CHAPTER, "missing", note="not handed in", max_score=6.0)]
    students = [{"id": "ada", "first_name": "Ada", "last_name": "Lovelace",
                 "email": None, "lms_user_id": "1001"}]
    paths = grade.export(tmp_path, tmp_path / "grades.csv", students, [CHAPTER], rows)
    assert [p.name for p in paths] == ["grades.csv", "grades-canvas.csv", "grades-moodle.csv"]
    with open(paths[0], newline="") as handle:
        row = next(csv.DictReader(handle))
    assert (row["status"], row["score"], row["lms_user_id"]) == ("missing", "", "1001")


def test_grading_groups_balance_the_work_and_start_with_the_heaviest():
    # Three students handed in all 8 chapters, seven only one: each of the three gets a
    # group of its own and starts first; the seven share the other groups.
    work = {"blank": 8, "correct": 8, "partial": 8}
    work.update({name: 1 for name in "abcdefg"})
    groups = grade.split(work, 8)
    assert groups[:3] == [["blank"], ["correct"], ["partial"]]
    assert sorted(s for g in groups for s in g) == sorted(work)
    loads = [sum(work[s] for s in g) for g in groups]
    assert loads == sorted(loads, reverse=True)
    # A class where everyone handed in the same: groups of equal size, as round robin gives.
    sizes = [len(g) for g in grade.split({f"s{i:02d}": 7 for i in range(30)}, 8)]
    assert sorted(sizes) == [3, 3, 4, 4, 4, 4, 4, 4]
