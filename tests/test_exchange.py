"""The term through nbgrader's exchange, as on a JupyterHub, command by command as
book/instructors.md gives them ("The course on JupyterHub").

The exchange is a temporary folder (``Exchange.root``), made writable for everyone with the
guide's commands. The instructor releases chapter 01; two students, each in a home of their
own with the students' ``nbgrader_config.py`` of the guide, fetch it, work and submit.
``nobody``, a Unix user other than the instructor's, runs the guide's commands as they are:
its submission arrives under its Unix name, as every student's does on a hub. ada runs as the
instructor's user (root here) and names herself with ``--student``, nbgrader's documented
option for that, which ``collect`` flags because the files' owner differs. The
instructor collects, grades with ``python -m nnbook.grade`` and releases feedback; each
student fetches its own page and can reach no one else's; the export carries each student's
``lms_user_id`` from the roster. It costs about 85 s of CPU (3 to 4 minutes on two cores
shared with other work).
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, correct, ensure_bubblewrap, partly_right, partly_right_score
from nbgrader.api import Gradebook
from test_term import Term, total

GUIDE = ROOT / "book" / "instructors.md"
SECTION = "## The course on JupyterHub"
#: The guide's exchange folder; the test's temporary one stands in for it.
GUIDE_EXCHANGE = "/srv/nbgrader/exchange"
CHAPTER = "01-notation"
COURSE_ID = "backprop-book"
#: Who submits what; "nobody" is a real Unix user, the others run as this process's user.
WORK = {"ada": correct, "nobody": partly_right}
ROSTER = {"ada": ("Ada", "Lovelace", "1001"), "nobody": ("Nora", "Body", "1009")}


def section() -> str:
    text = GUIDE.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else len(text)]


def guide_commands() -> list[str]:
    """Every command line in the bash blocks of the guide's JupyterHub section."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section(), re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def guide_python(marker: str) -> str:
    """The guide's python block whose first line names ``marker``."""
    blocks = [b for b in re.findall(r"```python\n(.*?)```", section(), re.S)
              if marker in b.splitlines()[0]]
    assert len(blocks) == 1, f"the guide should have one python block starting with {marker!r}"
    return blocks[0]


@dataclass
class Student:
    name: str
    home: Path
    unix_user: str | None  # run as this Unix user; None: as this process, with --student
    ran: list[str]
    results: dict[str, subprocess.CompletedProcess] = field(default_factory=dict)

    def run(self, command: str, expect: int | None = 0) -> subprocess.CompletedProcess:
        """A command of the guide in the student's home, as the student's terminal runs it."""
        line = command if self.unix_user else f"{command} --student={self.name}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
        env.update(HOME=str(self.home), PATH=os.pathsep.join(
            [os.path.dirname(sys.executable), os.environ["PATH"]]))
        argv = ["bash", "-c", line]
        if self.unix_user:
            argv = ["runuser", "-u", self.unix_user, "--", "env", f"HOME={self.home}",
                    f"PATH={env['PATH']}", f"USER={self.unix_user}",
                    f"LOGNAME={self.unix_user}", *argv]
        started = time.monotonic()
        result = subprocess.run(argv, cwd=self.home, env=env, capture_output=True, text=True,
                                timeout=300)
        print(f"{time.monotonic() - started:6.1f} s  {self.name}: {line}")
        self.ran.append(command)
        self.results[command] = result
        if expect is not None and result.returncode != expect:
            pytest.fail(f"{self.name}: {line} exited {result.returncode}, expected {expect}:\n"
                        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result


@dataclass
class Exchanged:
    root: Path
    exchange: Path
    term: Term
    students: dict[str, Student]
    fetched: dict[str, bytes]
    me: str


@pytest.fixture(scope="module")
def exchanged():
    ensure_bubblewrap()
    if os.geteuid() != 0:
        pytest.fail("this test runs one student as another Unix user (nobody): run it as root")
    # Not under pytest's temporary folder, which only root may enter.
    root = Path(tempfile.mkdtemp(prefix="nnbook-exchange-"))
    try:
        yield term_through_the_exchange(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def term_through_the_exchange(root: Path) -> Exchanged:
    root.chmod(0o755)
    exchange = root / "srv" / "exchange"
    course, instructor = root / "autograder", root / "instructor"
    course.mkdir()
    instructor.mkdir()
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "autograder" / "source", course / "source")
    shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
    with open(course / "nbgrader_config.py", "a") as config:  # the guide's line for the course
        config.write(f'\nc.Exchange.root = "{exchange}"\n')
    (course / "roster.csv").write_text("id,first_name,last_name,email,lms_user_id\n" + "".join(
        f"{s},{first},{last},{s}@example.org,{lms}\n" for s, (first, last, lms) in ROSTER.items()))
    term = Term(course, instructor)
    students_config = guide_python("students' image").replace(GUIDE_EXCHANGE, str(exchange))
    ran: list[str] = []
    students = {}
    for name in WORK:
        home = root / "home" / name
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(students_config)
        user = "nobody" if name == "nobody" else None
        if user:
            for path in (home, home / ".jupyter", home / ".jupyter" / "nbgrader_config.py"):
                shutil.chown(path, user)
        students[name] = Student(name, home, user, ran)

    commands = [c.replace(GUIDE_EXCHANGE, str(exchange)) for c in guide_commands()]
    for command in commands:
        if not command.startswith("nbgrader") and not command.startswith("python"):
            term.run(command)  # the exchange folder, made by the hub's administrator
    term.run("nbgrader db student import roster.csv")
    term.run(f"nbgrader generate_assignment {CHAPTER}")
    term.run(f"nbgrader release_assignment {CHAPTER}")
    release = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    fetched = {}
    for name, student in students.items():
        student.run(f"nbgrader fetch_assignment {CHAPTER}")
        mine = student.home / CHAPTER / f"{CHAPTER}.ipynb"
        fetched[name] = mine.read_bytes()
        nbformat.write(WORK[name](CHAPTER, release), mine)  # the student's work, saved
        student.run(f"nbgrader submit {CHAPTER}")
    term.run(f"nbgrader collect {CHAPTER}")
    term.run(f"python -m nnbook.grade {CHAPTER}")
    term.run(f"nbgrader release_feedback {CHAPTER}")
    for student in students.values():
        student.run(f"nbgrader fetch_feedback {CHAPTER}")
    term.run("python -m nnbook.grade --export-only")
    term.ran += ran
    return Exchanged(root, exchange, term, students, fetched,
                     pwd.getpwuid(os.geteuid()).pw_name)


def test_every_command_of_the_guides_jupyterhub_section_is_run(exchanged):
    commands = [c.replace(GUIDE_EXCHANGE, str(exchanged.exchange)) for c in guide_commands()]
    assert any(c.startswith("nbgrader submit") for c in commands), "no student commands found"
    never = [c for c in commands if c not in exchanged.term.ran]
    assert not never, f"commands in {GUIDE.name} that no test runs: {never}"


def test_students_fetch_the_released_notebook(exchanged):
    released = (exchanged.term.course / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()
    for name, fetched in exchanged.fetched.items():
        assert fetched == released, f"{name} fetched something else than the release"


def test_submissions_arrive_under_the_unix_name_and_collect_checks_the_owner(exchanged):
    submitted = exchanged.term.course / "submitted"
    assert sorted(p.parent.name for p in submitted.glob(f"*/{CHAPTER}")) == sorted(WORK)
    for name in WORK:
        folder = submitted / name / CHAPTER
        for file in ("timestamp.txt", "submission_secret.txt", f"{CHAPTER}.ipynb"):
            assert (folder / file).is_file(), f"collect left no {file} for {name}"
    collect = exchanged.term.results[f"nbgrader collect {CHAPTER}"]
    flagged = set(re.findall(r"claims to be submitted by (\S+) but is owned by (\S+);",
                             collect.stdout + collect.stderr))
    assert flagged == {("ada", exchanged.me)}, (
        "collect should flag exactly the submission made with --student by another user")


def test_collected_work_is_graded_with_the_sources_points(exchanged):
    course = exchanged.term.course
    expect = {"ada": total(CHAPTER), "nobody": partly_right_score(CHAPTER)}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gradebook:
        got = {s: gradebook.find_submission(CHAPTER, s).score for s in WORK}
    assert got == expect
    report = exchanged.term.results[f"python -m nnbook.grade {CHAPTER}"].stdout
    assert f"autograded {len(WORK)} submission(s) of 1 assignment(s) (0 late)" in report


def test_each_student_fetches_its_own_feedback(exchanged):
    release = exchanged.term.results[f"nbgrader release_feedback {CHAPTER}"]
    assert "did not submit through the exchange" not in release.stderr, release.stderr
    for name, student in exchanged.students.items():
        pages = sorted((student.home / CHAPTER / "feedback").glob(f"*/{CHAPTER}.html"))
        assert len(pages) == 1, f"{name} fetched {len(pages)} feedback pages"
        ours = exchanged.term.course / "feedback" / name / CHAPTER / f"{CHAPTER}.html"
        assert pages[0].read_bytes() == ours.read_bytes(), f"{name} got another page"
        if student.unix_user:
            assert pwd.getpwuid(pages[0].stat().st_uid).pw_name == student.unix_user


def test_a_student_can_neither_list_the_exchange_nor_fetch_anothers_feedback(exchanged):
    nobody = exchanged.students["nobody"]
    course = exchanged.exchange / COURSE_ID
    listing = subprocess.run(["runuser", "-u", "nobody", "--", "ls", str(course / "inbound"),
                              str(course / "feedback")], capture_output=True, text=True)
    assert listing.returncode != 0
    assert listing.stderr.count("Permission denied") == 2, listing.stderr
    # Claiming to be ada gets nobody only its own page: a page is found by its submission's
    # secret, which only the submitter's cache holds.
    shutil.rmtree(nobody.home / CHAPTER / "feedback")
    argv = ["runuser", "-u", "nobody", "--", "env", f"HOME={nobody.home}", sys.executable,
            "-m", "nbgrader", "fetch_feedback", CHAPTER, "--student=ada"]
    subprocess.run(argv, cwd=nobody.home, capture_output=True, timeout=300, check=True)
    own = (exchanged.term.course / "feedback" / "nobody" / CHAPTER / f"{CHAPTER}.html"
           ).read_bytes()
    pages = list((nobody.home / CHAPTER / "feedback").glob("*/*.html"))
    assert pages and all(p.read_bytes() == own for p in pages)


def test_the_export_matches_unix_names_to_the_roster(exchanged):
    with open(exchanged.term.course / "grades-canvas.csv", newline="") as handle:
        rows = {r["SIS Login ID"]: r for r in list(csv.DictReader(handle))[1:]}
    for name, (first, last, lms) in ROSTER.items():
        assert rows[name]["ID"] == lms and rows[name]["Student"] == f"{last}, {first}"
        assert rows[name][CHAPTER] != ""
