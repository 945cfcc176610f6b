"""A shared gradebook on a real PostgreSQL server, as book/instructors.md sets it up.

A private PostgreSQL server starts for this module (``initdb`` and ``pg_ctl`` in a temporary
folder, run as an unprivileged user, listening on 127.0.0.1 at a free port and on a Unix
socket in that folder). The guide's SQL creates the grader's role and the course's database;
the course's ``nbgrader_config.py`` gets the guide's ``postgresql+psycopg://`` URL, without
the password, which is in a libpq password file. Three students hand in chapter 02 (right,
partly right, and partly right with a cell that tries to reach the server from its kernel,
knowing the database password); ``python -m nnbook.grade --jobs 2`` grades them into the server.
Every score is the one the chapter's source gives, and the grading command's own checks (the
integrity check, the report, the exports) read the same database.

It needs the Debian package ``postgresql`` and installs it when it is missing (as root); a
server that cannot start fails the test with its log. It costs about 60 s of CPU (2 to 4
minutes on two cores shared with other work).
"""

from __future__ import annotations

import csv
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from conftest import (
    ROOT,
    correct,
    ensure_bubblewrap,
    ensure_debian_packages,
    partly_right,
    partly_right_score,
    points_in_source,
    with_cell,
)

from nnbook.grader import integrity

GUIDE = ROOT / "book" / "instructors.md"
CHAPTER = "02-forward-pass"
#: What the guide calls the database server; the test's server stands in for it.
GUIDE_HOST = "db.example.org"
GUIDE_PASSWORD = "choose-a-password"


@dataclass
class Server:
    bin: Path  # initdb, pg_ctl, psql
    folder: Path  # data/, the socket and the log
    port: int
    user: str | None  # the operating-system user the server runs as (None: this one)

    @property
    def socket(self) -> Path:
        return self.folder / f".s.PGSQL.{self.port}"

    def as_owner(self, *command: str) -> list[str]:
        return ["runuser", "-u", self.user, "--", *command] if self.user else list(command)

    def psql(self, sql: str) -> subprocess.CompletedProcess:
        """Run SQL as the server's superuser, over its Unix socket (peer authentication)."""
        result = subprocess.run(
            self.as_owner(str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                          str(self.folder), "-p", str(self.port), "-d", "postgres"),
            input=sql, cwd=self.folder, capture_output=True, text=True, timeout=60)
        if result.returncode:
            pytest.fail(f"psql failed on\n{sql}\n{result.stdout}{result.stderr}")
        return result


def postgres_programs() -> Path | None:
    """The folder holding initdb, pg_ctl and psql of the newest PostgreSQL installed."""
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
                    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit()
                    else 0)
    if debian:
        return debian[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """A private PostgreSQL server for this module; stopped and removed afterwards."""
    programs = postgres_programs()
    if programs is None:
        ensure_debian_packages(["pg_ctl"], ["postgresql"],
                               "the shared-gradebook test runs a private PostgreSQL server")
        programs = postgres_programs()
    if programs is None or not (programs / "initdb").exists():
        pytest.fail("PostgreSQL's initdb and pg_ctl are not installed (Debian: apt-get install "
                    "postgresql; they are in /usr/lib/postgresql/<version>/bin)")
    user = None
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        user = next((name for name in ("postgres", "nobody") if _exists(name)), None)
        if user is None:
            pytest.fail("no unprivileged user (postgres or nobody) to run PostgreSQL as")
    # Not under pytest's temporary folder: that one is private to root.
    folder = Path(tempfile.mkdtemp(prefix="nnbook-postgres-"))
    if user:
        shutil.chown(folder, user)
    srv = Server(programs, folder, free_port(), user)
    data = folder / "data"
    init = subprocess.run(srv.as_owner(str(programs / "initdb"), "-D", str(data), "-A", "peer",
                                       "--auth-host=scram-sha-256", "-E", "UTF8"),
                          cwd=folder, capture_output=True, text=True, timeout=120)
    if init.returncode:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"initdb failed:\n{init.stdout}{init.stderr}")
    options = (f"-c listen_addresses=127.0.0.1 -p {srv.port} -c unix_socket_directories={folder}"
               " -c fsync=off -c max_connections=40")
    log = folder / "server.log"
    start = subprocess.run(srv.as_owner(str(programs / "pg_ctl"), "-D", str(data), "-l",
                                        str(log), "-o", options, "-w", "-t", "60", "start"),
                           cwd=folder, capture_output=True, text=True, timeout=120)
    try:
        if start.returncode:
            pytest.fail(f"the PostgreSQL server did not start:\n{start.stdout}{start.stderr}\n"
                        f"{log.read_text() if log.exists() else ''}")
        yield srv
    finally:
        subprocess.run(srv.as_owner(str(programs / "pg_ctl"), "-D", str(data), "-m", "fast",
                                    "-w", "stop"), cwd=folder, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
    except KeyError:
        return False
    return True


def guide_section() -> str:
    text = GUIDE.read_text()
    start = text.index("## A shared gradebook")
    return text[start:text.index("\n## ", start + 1)]


def guide_sql() -> str:
    """The statements the guide gives the database administrator."""
    blocks = re.findall(r"```sql\n(.*?)```", guide_section(), re.S)
    assert len(blocks) == 1, "the guide's shared-gradebook section should have one SQL block"
    return blocks[0]


def guide_db_url() -> str:
    lines = re.findall(r'^c\.CourseDirectory\.db_url = "(postgresql\+psycopg://[^"]+)"$',
                       guide_section(), re.M)
    assert len(lines) == 1, "the guide should give one postgresql+psycopg:// db_url line"
    return lines[0]


@dataclass
class Graded:
    course: Path
    db_url: str  # without the password, as nbgrader_config.py has it
    full_url: str  # with it, as an intruder who learnt it would use it
    password: str
    result: subprocess.CompletedProcess
    env: dict


INTRUDER = '''import socket
reached = []
for family, address in ((socket.AF_INET, ("127.0.0.1", {port})),
                        (socket.AF_UNIX, "{socket}")):
    probe = socket.socket(family)
    probe.settimeout(3)
    try:
        probe.connect(address)
        reached.append(address)
    except OSError as error:
        print("gradebook unreachable:", address, type(error).__name__)
    finally:
        probe.close()
if reached:
    import psycopg
    with psycopg.connect("{conninfo}") as db:
        db.execute("UPDATE grade SET extra_credit = 100")
        print("gradebook reached and changed")
'''

STUDENTS = {"ada": "correct", "alan": "partial", "mallory": "intruder"}


@pytest.fixture(scope="module")
def graded(server, tmp_path_factory) -> Graded:
    ensure_bubblewrap()
    password = secrets.token_hex(16)
    server.psql(guide_sql().replace(GUIDE_PASSWORD, password))
    db_url = guide_db_url().replace(GUIDE_HOST, f"127.0.0.1:{server.port}")
    database = db_url.rsplit("/", 1)[1]
    full_url = db_url.replace("grader@", f"grader:{password}@")

    root = tmp_path_factory.mktemp("shared-gradebook")
    course = root / "autograder"
    course.mkdir()
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "autograder" / "source", course / "source")
    shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f'\nc.CourseDirectory.db_url = "{db_url}"\nc.GradeInSandbox.timeout = 20\n')
    # The password stays out of the course: libpq's password file, readable by the grader only.
    passfile = root / "pgpass"
    passfile.write_text(f"127.0.0.1:{server.port}:{database}:grader:{password}\n")
    passfile.chmod(0o600)
    env = dict(os.environ, PGPASSFILE=str(passfile),
               PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    roster = "id,first_name,last_name,email,lms_user_id\n" + "".join(
        f"{s},{s.title()},Student,{s}@example.org,{2000 + i}\n" for i, s in enumerate(STUDENTS))
    (course / "roster.csv").write_text(roster)
    for command in (["db", "student", "import", "roster.csv"],
                    ["generate_assignment", CHAPTER]):
        run(course, env, "-m", "nbgrader", *command)

    release = nbformat.read(course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    conninfo = (f"host=127.0.0.1 port={server.port} dbname={database} user=grader "
                f"password={password} connect_timeout=3")
    make = {"correct": lambda: correct(CHAPTER, release),
            "partial": lambda: partly_right(CHAPTER, release),
            "intruder": lambda: with_cell(partly_right(CHAPTER, release), INTRUDER.format(
                port=server.port, socket=server.socket, conninfo=conninfo))}
    for student, kind in STUDENTS.items():
        folder = course / "submitted" / student / CHAPTER
        folder.mkdir(parents=True)
        nbformat.write(make[kind](), folder / f"{CHAPTER}.ipynb")
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", CHAPTER, "--jobs", "2"],
                            cwd=course, env=env, capture_output=True, text=True, timeout=900)
    return Graded(course, db_url, full_url, password, result, env)


def run(course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=600)
    if result.returncode:
        pytest.fail(f"{' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def expected(kind: str) -> float:
    total = sum(points_in_source(CHAPTER).values())
    return {"correct": total, "partial": partly_right_score(CHAPTER),
            "intruder": partly_right_score(CHAPTER)}[kind]


def scores_in_server(url: str) -> dict[str, float]:
    """Each student's score, read from the server with SQL, not through nbgrader's code."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        rows = db.execute(
            "SELECT s.student_id, SUM(COALESCE(g.manual_score, g.auto_score, 0)"
            " + COALESCE(g.extra_credit, 0))"
            " FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id"
            " JOIN submitted_assignment s ON n.assignment_id = s.id"
            " JOIN assignment a ON s.assignment_id = a.id WHERE a.name = %s"
            " GROUP BY s.student_id", (CHAPTER,)).fetchall()
    return {student: float(score) for student, score in rows}


def test_grading_into_the_server_succeeds_and_says_where(graded):
    result = graded.result
    assert result.returncode == 0, (
        f"python -m nnbook.grade failed:\n{result.stdout}\n{result.stderr}\n"
        f"{(graded.course / 'grading.log').read_text()[-6000:]}")
    assert f"autograded {len(STUDENTS)} submission(s) of 1 assignment(s)" in result.stdout
    assert "with 2 processes" in result.stdout
    assert f"gradebook: {graded.db_url} (course backprop-book)" in result.stdout, result.stdout
    assert not (graded.course / "gradebook.db").exists(), "something fell back to SQLite"


def test_the_server_holds_the_scores_the_sources_give(graded):
    in_server = scores_in_server(graded.full_url)
    assert in_server == {s: expected(kind) for s, kind in STUDENTS.items()}, in_server
    assert 0 < expected("partial") < expected("correct")


def test_a_kernel_cannot_reach_the_server_even_with_the_password(graded):
    notebook = nbformat.read(graded.course / "autograded" / "mallory" / CHAPTER
                             / f"{CHAPTER}.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    assert "gradebook unreachable: ('127.0.0.1'" in printed, printed
    assert re.search(r"gradebook unreachable: \S+\.s\.PGSQL\.\d+ FileNotFoundError", printed), (
        printed)
    assert "reached" not in printed.replace("unreachable", "")


def test_report_and_exports_read_the_server(graded):
    total = expected("correct")
    assert re.search(rf"^ada\s+{total:g}/{total:g}$", graded.result.stdout, re.M)
    with open(graded.course / "grades.csv", newline="") as handle:
        rows = {r["student_id"]: r for r in csv.DictReader(handle)}
    assert {s: float(rows[s]["score"]) for s in STUDENTS} == {
        s: expected(kind) for s, kind in STUDENTS.items()}
    assert rows["mallory"]["lms_user_id"] == "2002", "the roster imported into the server"
    for name in ("grades.csv", "grading.log"):
        assert graded.password not in (graded.course / name).read_text(), (
            f"the database password is in {name}")


def test_the_integrity_check_reads_the_server(graded):
    everyone = [(CHAPTER, s) for s in STUDENTS]
    assert integrity.gradebook_mismatches(graded.course, everyone, graded.full_url,
                                          "backprop-book") == []
    import psycopg

    plain = graded.full_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as db:  # as a kernel that reached the server would
        cell, = db.execute(
            "SELECT g.id, c.name, gc.max_score FROM grade g"
            " JOIN grade_cells gc ON g.cell_id = gc.id JOIN base_cell c ON c.id = gc.id"
            " JOIN submitted_notebook n ON g.notebook_id = n.id"
            " JOIN submitted_assignment s ON n.assignment_id = s.id"
            " WHERE s.student_id = 'alan' AND g.auto_score = 0 ORDER BY c.name LIMIT 1"
        ).fetchall()
        db.execute("UPDATE grade SET auto_score = %s WHERE id = %s", (cell[2], cell[0]))
    try:
        problems = integrity.gradebook_mismatches(graded.course, everyone, graded.full_url,
                                                  "backprop-book")
        assert problems == [f"alan / {CHAPTER} / {cell[1]}: the gradebook says "
                            f"{cell[2]:g}, the grader judged 0"]
        export = subprocess.run([sys.executable, "-m", "nnbook.grade", "--export-only"],
                                cwd=graded.course, env=graded.env, capture_output=True,
                                text=True, timeout=300)
        assert export.returncode == 0, export.stderr
        with open(graded.course / "grades.csv", newline="") as handle:
            alan = next(r for r in csv.DictReader(handle) if r["student_id"] == "alan")
        assert float(alan["score"]) == expected("partial") + cell[2], (
            "--export-only reads the server")
    finally:
        with psycopg.connect(plain) as db:
            db.execute("UPDATE grade SET auto_score = 0 WHERE id = %s", (cell[0],))


def test_reports_never_show_a_database_password():
    from nnbook.grade import shown_url

    shown = shown_url("postgresql+psycopg://grader:s3cret@db.example.org/backprop_book")
    assert "s3cret" not in shown and shown.startswith("postgresql+psycopg://grader:")


def test_an_unreachable_gradebook_stops_grading_before_it_starts(tmp_path):
    port = free_port()  # nothing listens there
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = "
        f'"postgresql+psycopg://grader:s3cret@127.0.0.1:{port}/backprop_book"\n')
    (tmp_path / "submitted" / "ada" / CHAPTER).mkdir(parents=True)
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", CHAPTER, "--course",
                             str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (f"error: cannot open the gradebook postgresql+psycopg://grader:***@127.0.0.1:{port}"
            "/backprop_book: ") in result.stderr, result.stderr
    assert "refused" in result.stderr and "~/.pgpass" in result.stderr, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert not (tmp_path / "grading.log").exists(), "nothing was graded"
