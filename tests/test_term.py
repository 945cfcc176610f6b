"""An instructor's term, command by command as book/instructors.md gives them.

A class of five on chapters 01 and 02: the roster with lms_user_id, due dates, a Canvas download
(one student late within the grace period, one file renamed by Canvas), a Moodle download (one
student 1 day 10 h late, one file renamed by the browser), hand copies (one truncated, then
resubmitted), one student who hands in nothing. Then grading, feedback, release_feedback,
regrading, a change of points and the LMS exports. Every expected score comes from the points
in the course's sources; every command of the guide's term sections must be one this test ran.
"""

from __future__ import annotations

import csv
import datetime
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import (
    ROOT,
    correct,
    ensure_bubblewrap,
    partly_right,
    partly_right_score,
    points_in_source,
)
from traitlets.config.loader import PyFileConfigLoader

from nnbook.grader.late import PerDayPenalty

GUIDE = ROOT / "book" / "instructors.md"
#: The guide's term, from setting up to exporting (the later sections are for maintainers).
TERM_SECTIONS = ("## Set up once", "## Change points or tests")
#: Lines of the guide that set up the shell; the test's environment does the same.
SHELL_SETUP = {"source .venv/bin/activate", "cd autograder"}

ONE, TWO = "01-notation", "02-forward-pass"
DUE = {ONE: datetime.datetime(2026, 10, 2, 23, 59, tzinfo=datetime.timezone.utc),
       TWO: datetime.datetime(2026, 10, 9, 23, 59, tzinfo=datetime.timezone.utc)}
HOUR = datetime.timedelta(hours=1)


def guide_commands() -> list[str]:
    """Every command line in the bash blocks of the guide's term sections, comments removed."""
    text = GUIDE.read_text()
    start, end = (text.index(heading) for heading in TERM_SECTIONS)
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text[start:end], re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


@dataclass
class Term:
    course: Path
    home: Path
    ran: list[str] = field(default_factory=list)
    results: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)

    def run(self, command: str, expect: int | None = 0) -> subprocess.CompletedProcess:
        """Run a command of the guide in the course folder, as the instructor's shell would."""
        env = dict(os.environ, HOME=str(self.home),
                   PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                         os.environ.get("PATH", "")]))
        started = time.monotonic()
        result = subprocess.run(["bash", "-c", command], cwd=self.course, env=env,
                                capture_output=True, text=True, timeout=900)
        print(f"{time.monotonic() - started:6.1f} s  {command}")  # pytest -s shows the costs
        self.ran.append(command)
        self.results[command] = result
        if expect is not None and result.returncode != expect:
            log = self.course / "grading.log"
            pytest.fail(f"{command} exited {result.returncode}, expected {expect}:\n"
                        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}\n"
                        f"{log.read_text()[-4000:] if log.exists() else ''}")
        return result


def zip_of(path: Path, files: dict[str, tuple[nbformat.NotebookNode, datetime.datetime]]):
    """An archive as a platform's "download all submissions" makes it, with its file times."""
    with zipfile.ZipFile(path, "w") as bundle:
        for name, (notebook, moment) in files.items():
            info = zipfile.ZipInfo(name, date_time=moment.timetuple()[:6])
            bundle.writestr(info, nbformat.writes(notebook))


def release(course: Path, chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)


def penalty_policy(course: Path) -> PerDayPenalty:
    """The late policy as the course's nbgrader_config.py sets it."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    return PerDayPenalty(config=config)


def grades(course: Path, name: str = "grades.csv") -> list[dict]:
    with open(course / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def outcome(course: Path, student: str, chapter: str) -> dict:
    return next(r for r in grades(course) if r["student_id"] == student
                and r["assignment"] == chapter)


def total(chapter: str) -> float:
    return sum(points_in_source(chapter).values())


def hand_in(course: Path, home: Path) -> None:
    """What the students hand in, and when: the platforms' downloads and a file for a copy."""
    ones, twos = release(course, ONE), release(course, TWO)
    zip_of(home / "Downloads" / "submissions.zip", {
        "lovelaceada_1001_5001_01-notation.ipynb": (correct(ONE, ones), DUE[ONE] - 24 * HOUR),
        "turingalan_late_1002_5002_01-notation.ipynb": (
            partly_right(ONE, ones), DUE[ONE] + datetime.timedelta(minutes=10)),
        "hoppergrace_1003_5003_01-notation-1.ipynb": (correct(ONE, ones), DUE[ONE] - 2 * HOUR),
    })
    zip_of(home / "Downloads" / "moodle-download.zip", {
        "Grace Hopper_701_assignsubmission_file_/02-forward-pass (1).ipynb": (
            correct(TWO, twos), DUE[TWO] - HOUR),
        "Alan Turing_702_assignsubmission_file_02-forward-pass.ipynb": (
            partly_right(TWO, twos), DUE[TWO] + 34 * HOUR),
    })
    nbformat.write(correct(TWO, twos), home / "Downloads" / "ada.ipynb")
    early = (DUE[TWO] - 72 * HOUR).timestamp()
    os.utime(home / "Downloads" / "ada.ipynb", (early, early))


@pytest.fixture(scope="module")
def term(tmp_path_factory) -> Term:
    ensure_bubblewrap()
    root = tmp_path_factory.mktemp("term")
    course, home = root / "autograder", root / "home"
    (home / "Downloads").mkdir(parents=True)
    course.mkdir()
    for name in ("nbgrader_config.py", "roster.example.csv"):
        shutil.copy(ROOT / "autograder" / name, course)
    shutil.copytree(ROOT / "autograder" / "source", course / "source")
    shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
    with open(course / "nbgrader_config.py", "a") as config:  # what the guide asks to set
        config.write(f"\nc.Exchange.root = {str(root / 'exchange')!r}\n")
    (root / "exchange").mkdir()
    # The class list: the example's three, and two more in the same format.
    roster = (course / "roster.example.csv").read_text()
    roster += "barbara,Barbara,Liskov,barbara@example.org,1005\n"
    (course / "roster.csv").write_text(roster)
    t = Term(course, home)

    # The guide's commands in order, up to grading; the downloads exist before the first
    # command that reads them.
    commands = guide_commands()
    first_grading = next(i for i, c in enumerate(commands)
                         if c.startswith("python -m nnbook.grade"))
    for command in commands[:first_grading]:
        if "~/Downloads" in command and not (home / "Downloads" / "ada.ipynb").exists():
            hand_in(course, home)
        if command not in SHELL_SETUP:
            t.run(command)
    # Edsger's upload broke off half-way; nbgrader collect would have left Ada's secret.
    twos = release(course, TWO)
    edsger = course / "submitted" / "edsger" / TWO
    edsger.mkdir(parents=True)
    text = nbformat.writes(correct(TWO, twos))
    (edsger / f"{TWO}.ipynb").write_text(text[:len(text) // 2])
    handed_in = (DUE[TWO] - 5 * HOUR).timestamp()  # before the due date, as copied with cp -p
    os.utime(edsger / f"{TWO}.ipynb", (handed_in, handed_in))
    (course / "submitted" / "ada" / TWO / "submission_secret.txt").write_text("ada-secret")

    t.run("python -m nnbook.grade 01-notation 02-forward-pass", expect=1)
    t.results["first grading"] = t.results["python -m nnbook.grade 01-notation 02-forward-pass"]
    t.run("nbgrader release_feedback 02-forward-pass")

    # Edsger hands in again (the first hand-in's time stays in timestamp.txt); then a cell's
    # points change and everyone is regraded.
    nbformat.write(correct(TWO, twos), edsger / f"{TWO}.ipynb")
    t.run("python -m nnbook.grade 02-forward-pass --student edsger")
    shutil.copy(course / "grades.csv", course / "grades-before-change.csv")
    source = course / "source" / TWO / f"{TWO}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
                == "check_forward_layer1")
    cell.metadata["nbgrader"]["points"] += 1
    nbformat.write(nb, source)
    t.run("nbgrader generate_assignment 02-forward-pass --force")
    t.run("python -m nnbook.grade 02-forward-pass")
    t.run("python -m nnbook.grade --export-only")
    return t


def test_every_command_of_the_guides_term_is_run(term):
    never = [c for c in guide_commands() if c not in term.ran and c not in SHELL_SETUP]
    assert not never, f"commands in {GUIDE.name} that no test runs: {never}"


def test_zip_collect_sorts_both_platforms_downloads_and_keeps_their_times(term):
    submitted = term.course / "submitted"
    assert sorted(p.parent.name for p in submitted.glob(f"*/{ONE}")) == ["ada", "alan", "grace"]
    assert sorted(p.parent.name for p in submitted.glob(f"*/{TWO}")) == [
        "ada", "alan", "edsger", "grace"]
    stamp = (submitted / "alan" / TWO / "timestamp.txt").read_text()
    assert stamp.startswith((DUE[TWO] + 34 * HOUR).strftime("%Y-%m-%d %H:%M:%S")), stamp


def test_the_first_report_says_what_happened(term):
    result = term.results["first grading"]
    out = result.stdout
    assert "graded 6 submission(s) of 2 assignment(s) (2 late)" in out, out
    assert "1 failed; 3 missing" in out, out
    failed = [line for line in result.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1, result.stderr
    assert failed[0].startswith("FAILED (before grading): edsger / 02-forward-pass: "
                                "02-forward-pass.ipynb is truncated"), failed
    assert re.search(r"NOTE: grace / 01-notation: graded '01-notation-1.ipynb' as "
                     r"01-notation.ipynb", out), out
    assert re.search(r"NOTE: grace / 02-forward-pass: graded '02-forward-pass \(1\).ipynb' as "
                     r"02-forward-pass.ipynb", out), out
    kept = (DUE[TWO] - 72 * HOUR).strftime("%Y-%m-%d %H:%M")
    assert f"NOTE: ada / 02-forward-pass: no timestamp.txt (copied by hand?): took the " \
           f"notebook's file time, {kept} UTC" in out, out
    row = re.search(r"^edsger\s+(missing)\s+(failed)$", out, re.M)
    assert row, out


def test_scores_penalties_and_statuses_come_from_the_sources_and_the_policy(term):
    policy = penalty_policy(term.course)
    before = grades(term.course, "grades-before-change.csv")
    got = {(r["student_id"], r["assignment"]): r for r in before}
    expect_one = {"ada": total(ONE), "alan": partly_right_score(ONE), "grace": total(ONE)}
    for student, score in expect_one.items():
        assert float(got[(student, ONE)]["score"]) == score, got[(student, ONE)]
    assert got[("alan", ONE)]["status"] == "late" and float(got[("alan", ONE)]["late_penalty"]) == 0
    assert got[("edsger", ONE)]["status"] == "missing" and got[("edsger", ONE)]["score"] == ""
    assert got[("barbara", TWO)]["status"] == "missing"
    raw = partly_right_score(TWO)
    penalty = policy.late_submission_penalty("alan", raw, 34 * 3600)
    assert penalty > 0
    assert float(got[("alan", TWO)]["late_penalty"]) == pytest.approx(penalty)
    assert float(got[("alan", TWO)]["score"]) == pytest.approx(raw - penalty)
    assert got[("edsger", TWO)]["status"] == "graded", "the resubmission was regraded"


def test_regrading_after_a_change_of_points_updates_everyone(term):
    changed = sum(points_in_source(TWO, term.course).values())
    assert changed == total(TWO) + 1
    for student in ("ada", "grace", "edsger"):
        row = outcome(term.course, student, TWO)
        assert (float(row["score"]), float(row["max_score"])) == (changed, changed), row


def test_late_students_are_told_in_their_feedback(term):
    page = (term.course / "feedback" / "alan" / TWO / f"{TWO}.html").read_text()
    assert "Submitted late." in page and "1 day 10 h late" in page
    assert re.search(r"Late penalty: [\d.]+ point\(s\) taken", page)
    page = (term.course / "feedback" / "alan" / ONE / f"{ONE}.html").read_text()
    assert "10 min late" in page and "grace period: no points taken" in page
    page = (term.course / "feedback" / "ada" / TWO / f"{TWO}.html").read_text()
    assert "Submitted late" not in page


def test_release_feedback_releases_exchange_submissions_and_names_the_others(term):
    result = term.results["nbgrader release_feedback 02-forward-pass"]
    released = list((term.course.parent / "exchange" / "backprop-book" / "feedback").glob(
        "*.html"))
    assert len(released) == 1, "Ada's page, the one submission with an exchange secret"
    for student in ("alan", "grace"):
        assert re.search(rf"{student} did not submit through the exchange", result.stderr)


def test_lms_exports_leave_ungraded_work_empty(term):
    with open(term.course / "grades-canvas.csv", newline="") as handle:
        canvas = list(csv.reader(handle))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ONE, TWO]
    assert canvas[1][:1] == ["Points Possible"]
    rows = {row[1]: row for row in canvas[2:]}
    assert rows["1001"][5:] == [f"{total(ONE):g}", f"{total(TWO) + 1:g}"]
    assert rows["1004"][5] == "", "edsger handed in no 01: empty, not 0"
    with open(term.course / "grades-moodle.csv", newline="") as handle:
        moodle = list(csv.DictReader(handle))
    edsger = next(r for r in moodle if r["ID number"] == "1004")
    assert edsger[ONE] == "" and edsger[f"{ONE} feedback"].startswith("missing")
    alan = next(r for r in moodle if r["Email address"] == "alan@example.org")
    assert alan[f"{TWO} feedback"].startswith("late: 1 day 10 h late")


def test_the_log_keeps_every_run_without_known_noise(term):
    log = (term.course / "grading.log").read_text()
    assert len(re.findall(r"^===== \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC: python -m nnbook.grade",
                          log, re.M)) == 3
    for noise in ("SAWarning", "display_data_priority", "WARNING] Alternative text"):
        assert noise not in log, noise


def test_downloads_are_never_committed():
    ignored = subprocess.run(["git", "check-ignore", "-q", "autograder/downloaded/x/archive/a.zip"],
                             cwd=ROOT)
    assert ignored.returncode == 0, "add autograder/downloaded/ to .gitignore"
