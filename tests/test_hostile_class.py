"""A hostile class for chapter 02-forward-pass, graded once by ``python -m nnbook.grade``.

Two honest students (right: 6/6; partly right: 2/6) and honest mishaps (a copy-pasted check
cell, mangled metadata, an extra cell that raises, a renamed file) must get what they earned;
every attacker hands in the partly right notebook (2 of 6 points) plus attack cells
(``tests/hostile/*.ipy``, read that folder's README) and must get 2 points or fewer, whatever
it tries: reading the hidden tests, forging checks and values, reaching the gradebook, the
course and classmates, scripting its feedback, exhausting memory, processes, disk and time, or
talking to the network. After the one grading run the tests assert every score, that every
student has feedback, that nothing hidden and no student script reaches a feedback page, that
no file the grading must leave alone changed, and that nothing of an attacker is left on the
machine: no marker file, no process.

The course config lowers only the cell timeout (10 s, as in conftest) and the time one call of
a learner's function may take (3 s); the sandbox's limits are the course's own defaults
(4096 MB of memory, 64 processes, files of 64 MB, 256 MB of disk each for the working folder,
HOME and /tmp, 900 CPU seconds).

Where an attack gets through, its test is marked ``xfail(strict=True)`` with the reason: the
weakness stays visible, and the mark must go when the grader is fixed.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import html
import json
import os
import re
import secrets
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, correct, ensure_bubblewrap, nbgrader, partly_right

from nnbook import generate, grade

CHAPTER = "02-forward-pass"
NOTEBOOK = f"{CHAPTER}.ipynb"
HOSTILE = Path(__file__).with_name("hostile")
#: Seconds an attacker's notebook may take to grade, from its first cell to its verdicts.
GRADING_BOUND = 120
#: The sandbox's default disk budget (MB) for each writable place.
DISK_MB = 256
#: The sandbox's default memory limit (MB).
MEMORY_MB = 4096
#: The sandbox's default process limit.
MAX_PROCESSES = 64
#: Files of the package a kernel may see (the learner side); the rest is grader or maintainer
#: side (DESIGN.md, "Who runs which code").
LEARNER_SIDE = {"__init__.py", "checks.py", "diagrams.py", "example.py", "gradcheck.py",
                "gradient_feedback.py", "mnist.py", "__pycache__"}

# -- the class ----------------------------------------------------------------------------


@dataclass
class Context:
    """What the attack code is told: where things are on the machine that grades it."""

    token: str
    course: Path
    port: int
    udp_port: int
    host_ip: str

    def fill(self, text: str, name: str) -> str:
        classmate = self.course / "submitted" / "honest_correct" / CHAPTER
        for key, value in (("__TOKEN__", self.token), ("__COURSE__", str(self.course)),
                           ("__ROOT__", str(ROOT)), ("__NAME__", name),
                           ("__UDPPORT__", str(self.udp_port)), ("__PORT__", str(self.port)),
                           ("__HOSTIP__", self.host_ip), ("__CLASSMATE__", str(classmate))):
            text = text.replace(key, value)
        return text


ANCHORS = {"setup": "setup", "forward": "forward", "check1": "check_forward_layer1"}


def snippet_cells(name: str) -> list[tuple[str, str]]:
    """The cells of ``hostile/<name>.ipy`` as (where, code) pairs."""
    text = (HOSTILE / f"{name}.ipy").read_text(encoding="utf-8")
    parts = re.split(r"^# %% (\w+)\n", text, flags=re.M)
    cells = [(where, code.strip() + "\n") for where, code in zip(parts[1::2], parts[2::2],
                                                                strict=True)]
    assert cells and all(where in (*ANCHORS, "end") for where, _ in cells), name
    return cells


def grade_id(cell) -> str | None:
    meta = cell.metadata.get("nbgrader")
    return meta.get("grade_id") if isinstance(meta, dict) else None


def with_attacks(notebook, cells: list[tuple[str, str]]):
    """``notebook`` with each attack cell inserted after its anchor cell, in order."""
    notebook = copy.deepcopy(notebook)
    out = []
    for cell in notebook.cells:
        out.append(cell)
        for where, code in cells:
            if where in ANCHORS and grade_id(cell) == ANCHORS[where]:
                out.append(nbformat.v4.new_code_cell(code))
    out += [nbformat.v4.new_code_cell(code) for where, code in cells if where == "end"]
    assert len(out) == len(notebook.cells) + len(cells), "an anchor cell is missing"
    notebook.cells = out
    return notebook


def attacker(*names: str, edit=None):
    """The partly right notebook with the prelude and the attacks ``names``."""

    def make(release, ctx: Context, student: str):
        cells = [(where, ctx.fill(code, student)) for name in ("_prelude", *names)
                 for where, code in snippet_cells(name)]
        notebook = with_attacks(partly_right(CHAPTER, release), cells)
        return edit(notebook, ctx) if edit else notebook

    return make


def honest(edit=None):
    def make(release, ctx: Context, student: str):
        notebook = correct(CHAPTER, release)
        return edit(notebook) if edit else notebook

    return make


def cell_index(notebook, wanted: str) -> int:
    return next(i for i, c in enumerate(notebook.cells) if grade_id(c) == wanted)


# Honest mishaps -------------------------------------------------------------------------

def duplicate_check(notebook):
    """A check cell copy-pasted by hand: same grade_id, same cell id, stale output."""
    i = cell_index(notebook, "check_forward_layer2")
    twin = copy.deepcopy(notebook.cells[i])
    twin.outputs = [nbformat.v4.new_output("stream", text="\u2714 stale output\n")]
    notebook.cells.insert(i + 1, twin)
    return notebook


def mangled_metadata(notebook):
    """Check cells whose nbgrader metadata an editor mangled; another kernelspec."""
    notebook.cells[cell_index(notebook, "check_forward_layer3")].metadata["nbgrader"] = "oops"
    layer1 = notebook.cells[cell_index(notebook, "check_forward_layer1")]
    layer1.metadata["nbgrader"]["grade_id"] = "check_forward_layer1 (copy)"
    layer1.metadata["nbgrader"].pop("points")
    notebook.metadata["kernelspec"] = {"name": "python3-custom", "display_name": "My Python",
                                       "language": "python"}
    return notebook


def pixel_png() -> str:
    """A 1x1 PNG, base64."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00\xff")) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def pasted_image(notebook):
    """A screenshot pasted into a Markdown cell of the student's (JupyterLab stores it as an
    attachment of the cell)."""
    note = nbformat.v4.new_markdown_cell(
        "My sketch of the network:\n\n![sketch](attachment:image.png)")
    note.attachments = {"image.png": {"image/png": pixel_png()}}
    notebook.cells.insert(cell_index(notebook, "forward") + 1, note)
    return notebook


def unknown_grade_id(notebook):
    """A check cell whose grade_id was renamed to another valid-looking id."""
    cell = notebook.cells[cell_index(notebook, "check_forward_layer2")]
    cell.metadata["nbgrader"]["grade_id"] = "check_forward_layer2_copy"
    return notebook


def raising_cells(notebook):
    """A stray cell that raises after the solution, and one with a typo after a check."""
    notebook.cells.insert(cell_index(notebook, "forward") + 1,
                          nbformat.v4.new_code_cell("raise ValueError('trying something')"))
    notebook.cells.insert(cell_index(notebook, "check_forward_layer1") + 1,
                          nbformat.v4.new_code_cell("print(Z1.shap)"))
    return notebook


# Attacks on the notebook's JSON ------------------------------------------------------------

def forged_metadata(notebook, ctx):
    """Points inflated; a copy of a check put first so it is the one kept; stored verdicts."""
    checks = [c for c in notebook.cells if generate.is_grading_test(c)]
    notebook.cells[cell_index(notebook, "check_forward_layer2")].metadata["nbgrader"][
        "points"] = 100
    early = copy.deepcopy(notebook.cells[cell_index(notebook, "check_forward_layer3")])
    early.metadata["nbgrader"]["points"] = 100
    notebook.cells.insert(cell_index(notebook, "forward"), early)
    for cell in checks + [early]:
        cell.execution_count = 1
        cell.outputs = [nbformat.v4.new_output("stream", text="\u2714 Passed.\n")]
    notebook.metadata["kernelspec"] = {"name": "evil", "display_name": "Evil",
                                       "language": "python"}
    return notebook


def crashing_metadata(notebook, ctx):
    """A graded cell of the student's own, the solution marked graded, a locked Markdown, and
    a cell tag that nbformat's schema refuses."""
    i = cell_index(notebook, "forward")
    notebook.cells[i].metadata["nbgrader"].update(grade=True, points=50)
    bonus = nbformat.v4.new_code_cell("print('\u2714 bonus')")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "points": 100,
                                  "locked": False, "solution": False, "task": False,
                                  "schema_version": 3}
    note = nbformat.v4.new_markdown_cell(
        "<img src=x onerror=\"document.documentElement.dataset.pwned='locked'\">")
    note.metadata["nbgrader"] = {"grade": False, "grade_id": "note", "locked": True,
                                 "solution": False, "task": False, "schema_version": 3}
    notebook.cells.insert(i + 1, bonus)
    notebook.cells.insert(2, note)
    notebook.cells[i + 2].metadata["tags"] = ["a, b"]  # nbformat's schema refuses the comma
    return notebook


PWN = "document.documentElement.dataset.pwned='{}'"


def html_notebook(notebook, ctx):
    """Student Markdown with script and links; cell tags; the title; a widget state."""
    p = PWN.format
    markdown = nbformat.v4.new_markdown_cell(
        f"My notes <img src=x onerror=\"{p('md-img')}\"> <script>{p('md-script')}</script>\n\n"
        f"[a link](javascript:{p('md-link')}) <a href=\"javascript:{p('md-a')}\">a</a> "
        f"<iframe srcdoc=\"<script>parent.{p('md-iframe')}</script>\"></iframe>\n\n"
        f"<svg onload=\"{p('md-svg')}\"></svg> <math><mtext><img src=x onerror=\"{p('md-math')}"
        "\"></mtext></math>\n\n"
        f"<style>body {{ background: url('javascript:{p('md-css')}') }}</style>"
        f"<meta http-equiv=\"refresh\" content=\"0;url=javascript:{p('md-meta')}\">"
        f"<form action=\"javascript:{p('md-form')}\"><button>go</button></form>\n\n"
        f"$\\href{{javascript:{p('md-tex')}}}{{x}}$")
    notebook.cells.insert(cell_index(notebook, "forward") + 1, markdown)
    tagged = notebook.cells[cell_index(notebook, "forward")]
    tagged.metadata["tags"] = [f"x\" onmouseover=\"{p('tag')}\" y=\""]
    notebook.metadata["title"] = f"</title><script>{p('title')}</script>"
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "version_major": 2, "version_minor": 0, "state": {"x": {
            "model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls",
            "model_module_version": "2.0.0",
            "state": {"value": f"</script><script>{p('widget-state')}</script>"}}}}}
    return notebook


AT_MOST_2 = "at most 2"


@dataclass
class Student:
    make: object  # (release, ctx, name) -> notebook
    score: float | str  # the exact score, or AT_MOST_2
    honest: bool = False
    #: Why nbgrader cannot grade this notebook at all today (a weakness), or None.
    fails: str | None = None
    #: Why it is graded but gets no feedback page today (a weakness), or None.
    no_feedback: str | None = None
    #: Checks of this student's feedback that fail today, with the weakness: check -> reason.
    weak: dict[str, str] = field(default_factory=dict)
    filename: str = NOTEBOOK
    attacks: tuple[str, ...] = field(default_factory=tuple)



STUDENTS: dict[str, Student] = {
    "honest_correct": Student(honest(), 6, honest=True),
    "honest_partial": Student(lambda rel, ctx, name: partly_right(CHAPTER, rel), 2,
                              honest=True),
    "mishap_duplicate_check": Student(honest(duplicate_check), 6, honest=True),
    "mishap_mangled_metadata": Student(honest(mangled_metadata), 6, honest=True),
    "mishap_unknown_grade_id": Student(honest(unknown_grade_id), 6, honest=True),
    "mishap_raising_cells": Student(honest(raising_cells), 6, honest=True),
    "mishap_pasted_image": Student(honest(pasted_image), 6, honest=True),
    # Graded under its right name; python -m nnbook.grade says so (test_term.py checks how).
    "mishap_renamed": Student(honest(), 6, honest=True, filename=f"{CHAPTER} (1).ipynb"),
    "leak": Student(attacker("leak"), 2, attacks=("leak",)),
    "forge_kernel": Student(attacker("forge_kernel"), 2),
    # Its forward returns lies for every layer; the hidden tests call it on their own data.
    "forge_results": Student(attacker("forge_results"), 0),
    "forge_bridge": Student(attacker("forge_bridge"), 2),
    "handed_in": Student(attacker("handed_in"), 2),
    "forge_metadata": Student(attacker("forge_metadata", edit=forged_metadata), 2),
    "forge_metadata_crash": Student(attacker("forge_metadata_crash", edit=crashing_metadata),
                                    AT_MOST_2),
    "escape": Student(attacker("escape"), 2),
    "daemon_killer": Student(attacker("daemon_killer"), 2),
    "html_feedback": Student(attacker("html_feedback", edit=html_notebook), 2),
    "exec_count": Student(attacker("exec_count"), AT_MOST_2),
    "resources_mem": Student(attacker("resources_mem"), 2),
    # Its kernel is stopped (the disk limit) and stopped again when its cells are replayed.
    "resources_disk": Student(attacker("resources_disk"), AT_MOST_2),
    # forward never returns on the grader's data, so every hidden test fails: 0 points.
    "loop_forward": Student(attacker("loop_forward"), 0),
    "sigint_cell": Student(attacker("sigint_cell"), 2),
    "iopub_flood": Student(attacker("iopub_flood"), 2),
}
ATTACKERS = [name for name, s in STUDENTS.items() if not s.honest]
GRADED = [name for name, s in STUDENTS.items() if not s.fails]


def param(name: str, *, needs_grading: bool = True, needs_feedback: bool = False,
          check: str | None = None):
    """A student as a test parameter; xfail (strict) where a weakness stops its grading (or,
    for a test of its feedback, stops its feedback; or fails that ``check``)."""
    student = STUDENTS[name]
    reason = (student.fails if needs_grading else None) or (
        student.no_feedback if needs_feedback else None) or student.weak.get(check)
    if reason:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(name)


# -- the machine around the grading ---------------------------------------------------------


class Listener:
    """A TCP and a UDP server on every interface of the host: no kernel may reach them."""

    def __init__(self):
        self.received: list[str] = []
        self.tcp = socket.create_server(("0.0.0.0", 0))
        self.tcp.settimeout(0.5)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("0.0.0.0", 0))
        self.udp.settimeout(0.5)
        self.port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._tcp, daemon=True),
                        threading.Thread(target=self._udp, daemon=True)]
        for thread in self.threads:
            thread.start()

    def _tcp(self):
        while not self.stop.is_set():
            try:
                conn, address = self.tcp.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    data = conn.recv(200)
                except OSError:
                    data = b""
            self.received.append(f"tcp from {address}: {data!r}")

    def _udp(self):
        while not self.stop.is_set():
            try:
                data, address = self.udp.recvfrom(200)
            except OSError:
                continue
            self.received.append(f"udp from {address}: {data!r}")

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(2)
        self.tcp.close()
        self.udp.close()


def host_ip() -> str:
    """This machine's address on its network (what a kernel would try to reach)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (ppid, uid, command line) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            uid = os.stat(f"/proc/{entry}").st_uid
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, ValueError, IndexError):
            continue
        out[int(entry)] = (ppid, uid, cmd)
    return out


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Watcher:
    """While grading runs: the uids of its sandboxed processes, and its own peak memory."""

    def __init__(self, root_pid: int):
        self.root, self.uids, self.peak_mb, self.stop = root_pid, set(), 0.0, threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while not self.stop.wait(0.5):
            table = processes()
            mine = {self.root}
            for _ in range(12):  # descendants, generation by generation
                mine |= {pid for pid, (ppid, _, _) in table.items() if ppid in mine}
            for pid in mine:
                if pid in table:
                    uid = table[pid][1]
                    if uid >= 200_000:
                        self.uids.add(uid)
                    elif uid == os.getuid():
                        self.peak_mb = max(self.peak_mb, rss_mb(pid))

    def close(self):
        self.stop.set()
        self.thread.join(5)


def fingerprint(paths: list[Path]) -> dict[str, str]:
    hashes = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def files_containing(token: str, roots: list[Path], skip=(".venv", ".git")) -> list[str]:
    found = []
    for root in roots:
        for top, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in skip]
            for name in files:
                path = os.path.join(top, name)
                try:
                    if os.path.getsize(path) < 20 * 2**20 and token.encode() in \
                            Path(path).read_bytes():
                        found.append(path)
                except OSError:
                    pass
    return found


def marker_files(token: str, course: Path) -> list[str]:
    """Files and folders on the host whose name holds the run's token (attack markers)."""
    found = []
    recursive = [Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), ROOT, course,
                 Path("/root"), Path("/home"), Path("/work")]
    flat = [Path("/"), Path("/run"), Path("/etc"), Path("/usr/local/bin"),
            ROOT / ".venv", ROOT / ".venv/lib/python3.11/site-packages"]
    for folder in flat:
        try:
            found += [str(p) for p in folder.iterdir() if token in p.name]
        except OSError:
            pass
    for root in recursive:
        for top, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".venv", ".git", ".pyenv", "node_modules")]
            found += [os.path.join(top, n) for n in dirs + files if token in n]
    return sorted(set(found))


# -- grading once -----------------------------------------------------------------------------


@dataclass
class Graded:
    course: Path
    ctx: Context
    result: subprocess.CompletedProcess
    seconds: float
    before: dict[str, str]
    after: dict[str, str]
    package_before: dict[str, str]
    package_after: dict[str, str]
    classmate_before: dict[str, str]
    listener: list[str]
    uids: set[int]
    peak_mb: float
    processes_after: dict[int, tuple[int, int, str]]
    markers: list[str]


def protected(course: Path) -> list[Path]:
    return [course / "nbgrader_config.py", course / "source", course / "hidden_tests",
            course / "release", course / "submitted"]


def build_course(course: Path, ctx: Context) -> None:
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("\n# tests/test_hostile_class.py: short timeouts; the sandbox's defaults\n"
                     "c.GradeInSandbox.timeout = 10\nc.GradeInSandbox.call_timeout = 3\n")
    shutil.copytree(ROOT / "autograder" / "source" / CHAPTER, course / "source" / CHAPTER)
    shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
    nbgrader(course, "generate_assignment", CHAPTER, "--force")
    release = nbformat.read(course / "release" / CHAPTER / NOTEBOOK, as_version=4)
    for name, student in STUDENTS.items():
        folder = course / "submitted" / name / CHAPTER
        folder.mkdir(parents=True)
        notebook = student.make(release, ctx, name)
        # As handed in, unvalidated (nbformat would repair a duplicated cell id on writing).
        (folder / student.filename).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    handed_in = course / "submitted" / "handed_in" / CHAPTER
    for source in (HOSTILE / "handed_in").rglob("*.txt"):
        target = handed_in / source.relative_to(HOSTILE / "handed_in").with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(ctx.fill(source.read_text(), "handed_in"))
    with open(handed_in / "big.bin", "wb") as big:  # 200 MB, sparse
        big.truncate(200 * 2**20)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Graded:
    ensure_bubblewrap()
    course = tmp_path_factory.mktemp("hostile-course")
    listener = Listener()
    ctx = Context(secrets.token_hex(6), course, listener.port, listener.udp_port, host_ip())
    build_course(course, ctx)
    before = fingerprint(protected(course))
    package_before = fingerprint([ROOT / "nnbook", ROOT / "autograder"])
    classmate = course / "submitted" / "honest_correct"
    classmate_before = fingerprint([classmate])
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                                 os.environ.get("PATH", "")]))
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "nnbook.grade", CHAPTER, "--jobs", "2", "--course", str(course)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    watcher = Watcher(process.pid)
    try:
        stdout, stderr = process.communicate(timeout=1800)
    finally:
        watcher.close()
        if process.poll() is None:
            process.kill()
    seconds = time.monotonic() - started
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    time.sleep(1)  # anything left of a kernel has had time to start its next write
    listener.close()
    graded = Graded(course, ctx, result, seconds, before, fingerprint(protected(course)),
                    package_before, fingerprint([ROOT / "nnbook", ROOT / "autograder"]),
                    classmate_before, list(listener.received), watcher.uids, watcher.peak_mb,
                    processes(), marker_files(ctx.token, course))
    print(f"\nhostile class graded in {seconds:.0f} s (grader peak {watcher.peak_mb:.0f} MB); "
          f"{result.stdout.strip()}")
    return graded


# -- reading what came out ----------------------------------------------------------------------


def autograded_notebook(course: Path, student: str):
    path = course / "autograded" / student / CHAPTER / NOTEBOOK
    return nbformat.read(path, as_version=4) if path.is_file() else None


def output_texts(notebook) -> list[str]:
    """The text of every output; a stream's consecutive pieces joined."""
    texts = []
    for cell in notebook.cells:
        previous = None
        for output in cell.get("outputs", []):
            if output.output_type == "stream" and previous == output.name:
                texts[-1] += output.text
            elif output.output_type == "stream":
                texts.append(output.text)
            elif output.output_type == "error":
                texts += [output.ename, output.evalue, *output.traceback]
            else:
                texts += [v if isinstance(v, str) else json.dumps(v)
                          for v in output.get("data", {}).values()]
            previous = output.get("name") if output.output_type == "stream" else None
    return texts


def outputs_of(course: Path, student: str) -> str:
    notebook = autograded_notebook(course, student)
    assert notebook is not None, f"{student} has no autograded notebook"
    return "\n".join(output_texts(notebook))


def evidence(course: Path, student: str, label: str) -> list[str]:
    """The lines an attack printed that start with ``label``."""
    return [line for line in outputs_of(course, student).splitlines()
            if line.startswith(label)]


def scores(course: Path, student: str) -> tuple[float, dict[str, float]]:
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        try:
            notebook = gradebook.find_submission_notebook(CHAPTER, CHAPTER, student)
        except MissingEntry:
            return 0.0, {}
        return notebook.score, {g.name: g.score for g in notebook.grades}


def feedback_page(course: Path, student: str) -> Path:
    return course / "feedback" / student / CHAPTER / f"{CHAPTER}.html"


def hidden_test_lines() -> list[str]:
    """Code lines of the hidden tests (as in tests/test_nbgrader_e2e.py): no string, no
    comment, not shown in the source notebook; what must never reach a student."""
    visible = set()
    for cell in nbformat.read(generate.source_path(CHAPTER), as_version=4).cells:
        visible |= {line.strip() for line in cell.source.splitlines()}
    path = ROOT / "autograder" / "hidden_tests" / f"{CHAPTER}.py"
    lines = {line.strip() for line in path.read_text().splitlines()}
    return sorted(line for line in lines - visible
                  if len(line) >= 25 and not line.startswith(("#", "def ", "from ", "import "))
                  and not any(q in line for q in "\"'"))


class ActiveContent(HTMLParser):
    """What in a page can run script or load something: script and style elements, event
    handler attributes, javascript:/data: URLs, frames, objects, SVG, forms, meta, base."""

    RISKY_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
                  "base", "meta", "form", "link", "portal", "audio", "video", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._open, self._text = None, []

    def _tag(self, tag, attrs):
        for name, value in attrs:
            bare = re.sub(r"[\s\x00-\x1f]", "", value or "").lower()
            if name.startswith("on") or name in ("srcdoc", "formaction"):
                self.found.append(("attribute", f"<{tag} {name}={value!r}>"))
            if bare.startswith(("javascript:", "vbscript:", "data:text/html", "data:image/svg")):
                self.found.append(("url", f"<{tag} {name}={value!r}>"))
        if tag in ("script", "style"):
            self._open, self._text = tag, [repr(sorted(attrs))]
        elif tag in self.RISKY_TAGS:
            self.found.append(("tag", f"<{tag} {sorted(attrs)}>"))

    handle_starttag = handle_startendtag = _tag

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == self._open:
            self.found.append((tag, "".join(self._text)))
            self._open = None


def active_content(page: Path) -> Counter:
    parser = ActiveContent()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return Counter(parser.found)


def problem_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (result.stdout + result.stderr).splitlines()
            if line.startswith(("FAILED", "INTEGRITY"))]


def seconds_grading(course: Path, student: str) -> float:
    """From nbgrader's first write of the autograded folder to the grader's verdicts.

    (Not from the notebook's own outputs: after a kernel dies the grader reruns the cells that
    had worked, and those reruns' outputs replace the first ones.)
    """
    folder = course / "autograded" / student / CHAPTER
    verdicts = course / ".grading" / "verdicts" / CHAPTER / student / f"{CHAPTER}.json"
    return verdicts.stat().st_mtime - folder.stat().st_mtime


# -- the tests ------------------------------------------------------------------------------------


def test_the_class_is_graded_in_one_run(graded):
    # Printed for the record (pytest -s): how long the class takes, and what grade.py said.
    assert graded.result.returncode in (0, 1), graded.result.stderr[-5000:]
    assert "autograded" in graded.result.stdout, graded.result.stdout + graded.result.stderr


@pytest.mark.parametrize("student", [param(s, needs_grading=False) for s in STUDENTS])
def test_score_is_exact_and_never_more(graded, student):
    expected = STUDENTS[student].score
    score, cells = scores(graded.course, student)
    if expected == AT_MOST_2:
        assert score <= 2, f"{student} scored {score}: {cells}"
    elif STUDENTS[student].fails:
        # Graded today as 0; the score it deserves is checked by test_is_graded below.
        assert score <= expected, f"{student} scored {score}: {cells}"
    else:
        assert score == expected, f"{student} scored {score}, expected {expected}: {cells}"


def test_honest_students_keep_every_point(graded):
    assert scores(graded.course, "honest_correct")[1] == {
        "check_forward_layer1": 2, "check_forward_layer2": 2, "check_forward_layer3": 2}
    assert scores(graded.course, "honest_partial")[1] == {
        "check_forward_layer1": 2, "check_forward_layer2": 0, "check_forward_layer3": 0}
    for student in ("honest_correct", "honest_partial"):
        page = feedback_page(graded.course, student).read_text(encoding="utf-8")
        assert graded.ctx.token not in page, f"an attacker wrote into {student}'s feedback"
        assert graded.ctx.token not in outputs_of(graded.course, student)


@pytest.mark.parametrize("student", [param(s, needs_feedback=True) for s in STUDENTS])
def test_feedback_page_exists_and_is_alone(graded, student):
    folder = graded.course / "feedback" / student / CHAPTER
    assert feedback_page(graded.course, student).is_file(), f"no feedback for {student}"
    # Besides the page, only nbgrader's own small files that release_feedback reads.
    others = sorted(p.name for p in folder.rglob("*") if p.name not in grade.NBGRADER_FILES)
    assert others == [f"{CHAPTER}.html"], (
        "the feedback folder must hold the feedback page only (no handed-in file)")
    assert feedback_page(graded.course, student).stat().st_size < 5_000_000


@pytest.mark.parametrize("student", list(STUDENTS))
def test_no_hidden_test_line_reaches_the_student(graded, student):
    lines = hidden_test_lines()
    assert len(lines) >= 5
    places = [p for p in (graded.course / "feedback" / student).rglob("*") if p.is_file()]
    for path in places:
        text = path.read_text(encoding="utf-8", errors="replace")
        leaked = [line for line in lines if html.escape(line, quote=False) in text
                  or line in text]
        assert not leaked, f"hidden test code in {path}: {leaked[:3]}"
    notebook = autograded_notebook(graded.course, student)
    if notebook is not None:
        shown = "\n".join(output_texts(notebook))
        leaked = [line for line in lines if line in shown]
        assert not leaked, f"hidden test code in {student}'s autograded outputs: {leaked[:3]}"


@pytest.fixture(scope="module")
def template_content(graded) -> Counter:
    """The active content nbgrader's feedback template puts on an honest student's page."""
    return active_content(feedback_page(graded.course, "honest_correct"))


#: Payloads whose way into the feedback is known (tests/hostile), reported by their own tests.
KNOWN_PAYLOADS = {"javascript-link": "md-link"}


def known(finding: tuple[str, str]) -> str | None:
    for check, payload in KNOWN_PAYLOADS.items():
        if f"pwned=%27{payload}%27" in finding[1] or f"pwned='{payload}'" in finding[1]:
            return check
    return None


@pytest.mark.parametrize("student", [param(s, needs_feedback=True) for s in STUDENTS])
def test_feedback_carries_no_student_script(graded, template_content, student):
    page = feedback_page(graded.course, student)
    extra = [f for f in active_content(page) - template_content if not known(f)]
    assert not extra, f"active content from {student} in {page}: {extra[:5]}"


@pytest.mark.parametrize("student", [param(s, needs_feedback=True, check="javascript-link")
                                     for s in STUDENTS])
def test_feedback_has_no_javascript_link(graded, template_content, student):
    page = feedback_page(graded.course, student)
    links = [f for f in active_content(page) - template_content if known(f)]
    assert not links, f"a javascript: link from {student} in {page}: {links}"


@pytest.mark.parametrize("student", [param(s, needs_feedback=True, check="escape-codes")
                                     for s in STUDENTS])
def test_feedback_has_no_raw_escape_codes(graded, student):
    text = feedback_page(graded.course, student).read_text(encoding="utf-8")
    assert "\x1b" not in text, f"raw terminal escape codes: {text[text.index(chr(27)):][:80]!r}"


def test_feedback_runs_no_student_script_in_a_browser(graded):
    """Every feedback page in headless Chromium: no payload ever sets data-pwned."""
    chromium, driver_path = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
    if not (chromium.exists() and driver_path.exists()):
        pytest.skip("Chromium is not installed (the static check above still ran)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-dev-shm-usage",
                 "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    driver.set_page_load_timeout(30)
    pwned = {}
    try:
        for student in STUDENTS:
            page = feedback_page(graded.course, student)
            if not page.is_file():
                continue
            driver.get(page.as_uri())
            time.sleep(0.3)
            mark = driver.execute_script(
                "return document.documentElement.getAttribute('data-pwned')")
            if mark:
                pwned[student] = mark
    finally:
        driver.quit()
    assert not pwned, f"student script ran in feedback pages: {pwned}"


def by_the_grading_command(path: str, course: Path) -> bool:
    """What ``nnbook.grade`` itself does to hand-ins before grading, and reports: a hand copy
    gets a ``timestamp.txt``; a notebook handed in under another name is renamed."""
    relative = Path(path).relative_to(course)
    return relative.parts[0] == "submitted" and (
        relative.name == "timestamp.txt" or relative.parts[1] == "mishap_renamed")


def test_protected_files_are_unchanged(graded):
    changed = sorted(p for p in graded.before.keys() | graded.after.keys()
                     if graded.before.get(p) != graded.after.get(p))
    changed = [p for p in changed if not by_the_grading_command(p, graded.course)]
    assert not changed, f"changed by grading: {changed[:10]}"
    renamed = graded.course / "submitted" / "mishap_renamed" / CHAPTER
    assert graded.before[str(renamed / f"{CHAPTER} (1).ipynb")] == \
        graded.after[str(renamed / NOTEBOOK)], "renamed, not changed"
    classmate = fingerprint([graded.course / "submitted" / "honest_correct"])
    assert {p: h for p, h in classmate.items() if not p.endswith("timestamp.txt")} == \
        graded.classmate_before
    with sqlite3.connect(graded.course / "gradebook.db") as db:
        triggers = db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    assert not triggers, f"triggers in the gradebook: {triggers}"


def test_no_attack_touched_the_repository(graded):
    # The package and the course sources may be edited by developers while the tests run;
    # an attacker's edit would carry the run's token.
    touched = files_containing(graded.ctx.token, [ROOT / "nnbook", ROOT / "autograder",
                                                  ROOT / "tests", ROOT / "solutions",
                                                  ROOT / "exercises"])
    assert not touched, f"attack marks in {touched}"
    added = sorted(set(graded.package_after) - set(graded.package_before))
    assert not [p for p in added if "evil" in p or graded.ctx.token in p], added


def test_no_marker_file_on_the_host(graded):
    assert not graded.markers, f"attackers left files on the host: {graded.markers}"


def test_no_process_outlives_grading(graded):
    table = graded.processes_after
    assert graded.uids, "the watcher saw no sandboxed process (grading as root?)"
    left = {pid: info for pid, info in table.items() if info[1] in graded.uids}
    assert not left, f"processes of this run's kernels still running: {left}"
    tagged = {pid: info for pid, info in table.items() if graded.ctx.token in info[2]}
    assert not tagged, f"attack processes still running: {tagged}"

    def under_bwrap(pid: int) -> bool:
        for _ in range(50):
            if pid not in table or pid <= 1:
                return False
            if table[pid][2].startswith(("bwrap", "/usr/bin/bwrap")):
                return True
            pid = table[pid][0]
        return False

    escaped = {pid: info for pid, info in table.items()
               if info[1] >= 200_000 and not under_bwrap(pid)}
    assert not escaped, f"sandbox user ids running outside any sandbox: {escaped}"


def test_no_private_folder_is_left(graded):
    # The sandbox names each kernel's private folder on the host in the grading log.
    log = (graded.course / "grading.log").read_text()
    folders = set(re.findall(r"A sandboxed kernel's private folder: (\S+)", log))
    assert len(folders) >= len(GRADED), "a private folder per notebook graded, at least"
    left = sorted(f for f in folders if os.path.exists(f))
    assert not left, f"kernel folders left on the host: {left}"


def test_the_network_is_out_of_reach(graded):
    assert not graded.listener, f"a kernel reached the host: {graded.listener}"
    lines = evidence(graded.course, "escape", "ESCAPE network:")
    assert lines and "CONNECTED" not in lines[0], lines


def test_gradebook_course_and_classmates_are_out_of_reach(graded):
    [gradebook] = evidence(graded.course, "escape", "ESCAPE gradebook:")
    assert "TRIGGER ADDED" not in gradebook, gradebook
    [writes] = evidence(graded.course, "escape", "ESCAPE writes:")
    assert "APPENDED" not in writes, writes
    [kernels] = evidence(graded.course, "escape", "ESCAPE connection files:")
    assert "EXECUTED" not in kernels, kernels


def test_grading_cannot_be_killed_from_a_kernel(graded):
    [kills] = evidence(graded.course, "daemon_killer", "KILL the kernel survived")
    assert "pkill" in kills
    # The kernel killed itself later on: the grader went on in a new one, and no start-up file
    # or configuration written by the first kernel ran in the next.
    assert evidence(graded.course, "daemon_killer", "PERSIST this kernel ran a start-up file:"
                    ) == ["PERSIST this kernel ran a start-up file: None"] * 2
    assert evidence(graded.course, "daemon_killer", "PERSIST /tmp of the first kernel") == [
        "PERSIST /tmp of the first kernel is here: False"]
    assert not any("PERSIST start-up file ran" in line
                   for line in outputs_of(graded.course, "daemon_killer").splitlines())


def test_handed_in_files_stay_in_the_sandbox(graded):
    shown = outputs_of(graded.course, "handed_in")
    assert "HANDED-IN big file here: False" in shown, "a 200 MB file reached the kernel"
    assert not (graded.course / "feedback" / "handed_in" / CHAPTER / "big.bin").exists()


def test_hidden_tests_are_out_of_the_kernels_view(graded):
    [files] = evidence(graded.course, "leak", "LEAK-FILES")
    assert "hidden_tests" not in files and "/source/" not in files, files
    [frames] = evidence(graded.course, "leak", "LEAK-RUNTIME grader frames seen by forward:")
    assert "forward never called" not in frames
    assert "hidden" not in frames and "/nnbook/grader/" not in frames, frames


def test_the_kernel_sees_only_the_learner_side_of_the_package(graded):
    [walked] = evidence(graded.course, "leak", "LEAK walked")
    listing = set(re.search(r"sees it: \[(.*?)\]", walked).group(1).replace("'", "")
                  .split(", "))
    assert listing <= LEARNER_SIDE, f"grader or maintainer code in view: {listing - LEARNER_SIDE}"


def test_memory_and_process_limits_hold(graded):
    [memory] = evidence(graded.course, "resources_mem", "MEMORY")
    assert "ALLOCATED" not in memory, memory
    [forks] = evidence(graded.course, "resources_mem", "FORK started")
    assert int(forks.split()[2]) < MAX_PROCESSES, forks
    [threads] = evidence(graded.course, "resources_mem", "THREADS started")
    assert int(threads.split()[2]) < MAX_PROCESSES, threads
    [shared] = evidence(graded.course, "resources_mem", "SHARED-MMAP")
    assert "refused" in shared, shared


def test_the_kernels_private_folder_cannot_fill_the_host(graded):
    # The folder of its sockets and connection file is a memory-backed folder of 1 MB.
    [line] = evidence(graded.course, "resources_disk", "DISK private MB")
    assert int(line.split()[3]) <= 1, line
    for label in ("home", "tmp", "work"):
        [line] = evidence(graded.course, "resources_disk", f"DISK {label} MB")
        assert int(line.split()[3]) <= DISK_MB, line


@pytest.mark.parametrize("student", [param(s) for s in ATTACKERS])
def test_attackers_grading_time_is_bounded(graded, student):
    seconds = seconds_grading(graded.course, student)
    assert seconds < GRADING_BOUND, f"{student} took {seconds:.0f} s to grade"


def test_the_grading_process_memory_stays_bounded(graded):
    # 300 MB sent in one message, a flood of small ones, 50 MB of prints elsewhere.
    assert graded.peak_mb < 2500, f"a grading process reached {graded.peak_mb:.0f} MB"


def test_forged_checks_and_values_only_fool_the_kernel(graded):
    shown = outputs_of(graded.course, "forge_kernel")
    assert "FORGE tracer and transformers installed" in shown
    for student in ("forge_kernel", "forge_results", "forge_bridge", "handed_in",
                    "forge_metadata"):
        _, cells = scores(graded.course, student)
        layer1 = 0 if student == "forge_results" else 2  # only its own layer 1 is right
        assert cells == {"check_forward_layer1": layer1, "check_forward_layer2": 0,
                         "check_forward_layer3": 0}, f"{student}: {cells}"


def test_only_the_known_weaknesses_disturb_the_run(graded):
    """Every FAILED or INTEGRITY line names a student whose weakness is listed in STUDENTS."""
    known = {name for name, s in STUDENTS.items() if s.fails or s.no_feedback}
    unexplained = []
    for line in problem_lines(graded.result):
        if line.startswith("INTEGRITY: the course was changed"):
            continue
        names = set(re.findall(r"[\w-]+", line)) & set(STUDENTS)
        developer_edit = re.match(r"INTEGRITY: changed: (.*)", line)
        if developer_edit and developer_edit.group(1).startswith(str(ROOT)) and \
                graded.ctx.token not in Path(developer_edit.group(1)).read_text(
                    errors="replace"):
            continue  # a developer editing the package during the run, not an attack
        if not names or not names <= known:
            unexplained.append(line)
    assert not unexplained, "\n".join(unexplained)


def test_grading_exits_cleanly(graded):
    assert not problem_lines(graded.result), "\n".join(problem_lines(graded.result))
    assert graded.result.returncode == 0
