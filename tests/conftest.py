"""Shared fixtures: the repository layout and a graded copy of the nbgrader course."""

from __future__ import annotations

import copy
import fcntl
import html
import json
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
# The course's copy of the MNIST test set, beside the repository; NNBOOK_COURSE_MNIST names
# another folder (a missing one shows what a clone without the data does).
COURSE_MNIST = Path(os.environ.get("NNBOOK_COURSE_MNIST", generate.SHARED_MNIST))
MNIST_CHAPTER = "07-mnist.ipynb"
MNIST_MISSING = (
    f"{COURSE_MNIST} not found: the stored outputs of solutions/{MNIST_CHAPTER} that come from "
    "the course's MNIST are not compared (those cells still run); put t10k-images-idx3-ubyte.gz "
    f"and t10k-labels-idx1-ubyte.gz there to check them")
if COURSE_MNIST.is_dir():
    # nbval's kernels inherit this environment: the MNIST chapter reads the data its stored
    # outputs were computed from (see generate.mnist_environment).
    os.environ.update(generate.mnist_environment())
else:
    # No download either: the chapter uses a cached MNIST or scikit-learn's digits, offline.
    os.environ.setdefault("NNBOOK_MNIST_DOWNLOAD", "0")


def cells_needing_course_mnist(sources: list[str]) -> list[int]:
    """Indices of the code cells whose outputs depend on the MNIST data the chapter loads.

    A statement depends on the data when it loads it (``load_book_data``) or reads a name that
    a dependent statement assigned; the names it assigns (variables, functions) then depend on
    it too. A cell depends on the data when one of its statements does. Functions that use
    only their arguments (``one_hot``), and the exercises' small examples, do not.
    """
    import ast

    tainted: set[str] = set()
    needing = []
    for index, source in enumerate(sources):
        try:
            statements = ast.parse(source).body
        except SyntaxError:  # IPython magics: judged by the loader call alone
            if "load_book_data" in source:
                needing.append(index)
            continue
        dependent = False
        for statement in statements:
            names = [n for n in ast.walk(statement) if isinstance(n, ast.Name)]
            if "load_book_data" in ast.unparse(statement) or \
                    {n.id for n in names if isinstance(n.ctx, ast.Load)} & tainted:
                dependent = True
                tainted |= {n.id for n in names if isinstance(n.ctx, ast.Store)}
                if isinstance(statement, (ast.FunctionDef, ast.ClassDef)):
                    tainted.add(statement.name)
        if dependent:
            needing.append(index)
    return needing


def pytest_report_header(config):
    return None if COURSE_MNIST.is_dir() else MNIST_MISSING


#: Under pytest-xdist (the test command runs two workers, ``--dist loadfile``: a notebook's
#: nbval cells share one kernel, and a file's costly fixtures are made once), these files start
#: first, each on a worker as it becomes free: they take longest.
LONGEST_FIRST = ("test_nbgrader_e2e.py", "test_hostile_class.py", "test_website.py",
                 "test_wrong_answers.py", "test_term.py", "test_browser.py",
                 "test_exchange.py", "test_shared_gradebook.py", "07-mnist.ipynb",
                 "test_notebook_feedback.py", "test_jupyterlab.py", "test_learner_package.py")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: files keep order
    if not COURSE_MNIST.is_dir():
        skip_course_mnist_comparisons(items)


def skip_course_mnist_comparisons(items) -> None:
    """Without the course's MNIST, run chapter 7's data cells but skip comparing their outputs."""
    cells = [item for item in items
             if item.path.name == MNIST_CHAPTER and hasattr(item, "cell")]
    if not cells:
        return
    nb = nbformat.read(cells[0].path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    needing = {id(code[i]) for i in cells_needing_course_mnist([c.source for c in code])}
    sources = {c.source: id(c) for c in code}
    for item in cells:  # a cell without stored outputs has nothing to compare
        if sources.get(item.cell.source) in needing and item.cell.get("outputs"):
            item.runtest = skipped_after_running(item)


def skipped_after_running(item):
    run = item.runtest

    def runtest():
        item.options["check"] = False  # run it (later cells need its variables), compare nothing
        run()
        pytest.skip(MNIST_MISSING)
    return runtest


def pytest_terminal_summary(terminalreporter):
    if not COURSE_MNIST.is_dir() and terminalreporter.stats.get("skipped"):
        terminalreporter.write_line(MNIST_MISSING)


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
# the graded cells those changes must fail. An answer maps to None (left as the released stub)
# or to a (wrong, right) pair: the text `right` in the solution is replaced by the mistake
# `wrong`. The score it must get comes from the sources' points (partly_right_score).
PARTLY_RIGHT = {
    "01-notation": ({"count_parameters": None, "weight_lookup": None},
                    ["check_count_parameters", "check_weight_lookup"]),
    "02-forward-pass": ({"forward": ("X2 = Z2", "X2 = np.maximum(0, Z2)")},
                        ["check_forward_layer2", "check_forward_layer3"]),
    "03-chain-rule": ({"derivative_w1_12": ("dJ_dx1_2 = dJ_dz2_2",
                                            "dJ_dx1_2 = dJ_dz2_1 * W2[1, 0] + dJ_dz2_2")},
                      ["check_derivative_w1_12"]),
    "04-delta-recursion": ({"backward": ("Delta3 = (X3 - Y) * 1.0",
                                         "Delta3 = (X3 - Y) / n * 1.0")},
                           ["check_backward_output", "check_backward_hidden"]),
    "05-nn-class": ({"relu": None, "backward_pass": (")\n", ") * slope\n")},
                    ["check_relu", "check_backward"]),
    # A ReLU on the output layer of forward_torch costs Exercise 12 only, not 13 that uses it.
    "06-pytorch": ({"forward_torch": ("A = torch.relu(Z)\n",
                                     "A = torch.relu(Z) if l < L else Z\n"),
                    "train_torch": ("loss = loss_fn(model(X), Y)\n",
                                    "loss = loss_fn(model(X), Y) / 2\n")},
                   ["check_forward_torch", "check_train_torch"]),
    # An output_delta without / n costs Exercise 18 only, not 19 (b) and (c) that use it.
    "07-mnist": ({"accuracy": None, "cross_entropy": ("1e-12)))\n", "1e-12))) / n\n"),
                  "output_delta": ("(Y_hat - T)\n", "(Y_hat - T) / Y_hat.shape[0]\n")},
                 ["check_accuracy", "check_cross_entropy", "check_output_delta"]),
    # Dropout without the mask in its backward pass and an unfinished early stopping cost
    # Exercises 23 and 24 only.
    "08-training-well": ({"early_stopping": None,
                          "dropout": ("return d_out / keep_prob\n",
                                      "return d_out * mask / keep_prob\n")},
                         ["check_dropout", "check_early_stopping"]),
}


def points_in_source(chapter: str, course: Path | None = None) -> dict[str, float]:
    """Each graded cell's points, as the chapter's source notebook (in ``course``) gives them."""
    path = course / "source" / chapter / f"{chapter}.ipynb" if course else \
        generate.source_path(chapter)
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}


def partly_right_score(chapter: str) -> float:
    """What the partly right submission earns: every graded cell but the ones it must fail."""
    points = points_in_source(chapter)
    failing = PARTLY_RIGHT[chapter][1]
    unknown = set(failing) - set(points)
    assert not unknown, f"PARTLY_RIGHT[{chapter!r}] names cells the source lacks: {unknown}"
    return sum(points.values()) - sum(points[cell] for cell in failing)


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


def with_cell(submission: nbformat.NotebookNode, code: str, after_setup: bool = False
              ) -> nbformat.NotebookNode:
    """The submission with an extra code cell at the top (or right after the setup cell)."""
    submission = copy.deepcopy(submission)
    position = 0
    if after_setup:
        position = 1 + next(i for i, c in enumerate(submission.cells) if c.cell_type == "code")
    submission.cells.insert(position, nbformat.v4.new_code_cell(code))
    return submission


def correct(chapter: str, release) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)


def tampered(chapter: str, release) -> nbformat.NotebookNode:
    """Partly right, with every check cell emptied to `pass` and the last one deleted."""
    submission = partly_right(chapter, release)
    checks = [c for c in submission.cells if generate.is_grading_test(c)]
    for cell in checks:
        cell.source = "pass  # all good, trust me"
    submission.cells.remove(checks[-1])
    return submission


FULL, ZERO, PARTIAL = "full", "zero", "partial"

# A simulated class: how each student's notebook is made, and the score it must get.
SUBMISSIONS = {
    "correct": (correct, FULL),
    "blank": (lambda chapter, release: copy.deepcopy(release), ZERO),
    "partial": (partly_right, PARTIAL),
    "raising": (lambda ch, rel: with_cell(correct(ch, rel),
                                          "raise RuntimeError('a bug at the top')"), FULL),
    "looping": (lambda ch, rel: with_cell(correct(ch, rel), "while True:\n    pass"), FULL),
    "sys_exit": (lambda ch, rel: with_cell(correct(ch, rel), "import sys\nsys.exit(3)"),
                 FULL),
    "os_exit": (lambda ch, rel: with_cell(correct(ch, rel), "import os\nos._exit(1)",
                                          after_setup=True), FULL),
    "flood": (lambda ch, rel: with_cell(correct(ch, rel), "print('x' * 50_000_000)"), FULL),
    "tampered": (tampered, PARTIAL),
    "cheater": (lambda ch, rel: with_cell(
        partly_right(ch, rel),
        "import numpy as np\n"
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.isclose = lambda *args, **kwargs: True\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "np.testing.assert_array_almost_equal = lambda *args, **kwargs: None",
        after_setup=True), PARTIAL),
}

#: Students who hand in every chapter: their scores test each chapter's points and checks.
#: The others test how grading survives a misbehaving kernel or a student who tampers with
#: the checks, which does not depend on the chapter (the hostile class tries many more
#: attacks on three chapters), so they hand in one chapter only: it keeps the class fast.
EVERY_CHAPTER = ("correct", "blank", "partial")
ROBUSTNESS_CHAPTER = CHAPTERS[min(1, len(CHAPTERS) - 1)]


def hands_in(student: str, chapter: str) -> bool:
    return student in EVERY_CHAPTER or chapter == ROBUSTNESS_CHAPTER


def class_list(chapters: list[str]) -> list[tuple[str, str]]:
    """(student, chapter) for each notebook the simulated class hands in."""
    return [(student, chapter) for chapter in chapters for student in SUBMISSIONS
            if hands_in(student, chapter)]


#: Seconds a cell may run while the tests grade (the course's own setting is longer).
TEST_CELL_TIMEOUT = 20


def make_course(where: Path, chapters: list[str]) -> Path:
    """A copy of autograder/ with every chapter released and the simulated class handed in."""
    course = where
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.GradeInSandbox.timeout = {TEST_CELL_TIMEOUT}\n")
    shutil.copytree(ROOT / "autograder" / "source", course / "source")
    shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
    for chapter in chapters:
        nbgrader(course, "generate_assignment", chapter, "--force")
        release = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb", as_version=4)
        for student, (make, _) in SUBMISSIONS.items():
            if not hands_in(student, chapter):
                continue
            folder = course / "submitted" / student / chapter
            folder.mkdir(parents=True)
            nbformat.write(make(chapter, release), folder / f"{chapter}.ipynb")
    return course


def judge(notebook: nbformat.NotebookNode, chapter: str, folder: Path,
          timeout: int = TEST_CELL_TIMEOUT) -> dict[str, str | None]:
    """Grade ``notebook`` as the course does, without nbgrader's database.

    It runs in a sandboxed kernel (working folder ``folder``) and each graded cell is judged by
    the chapter's hidden tests; the result maps each grade_id to None (passed) or the message
    the student would read.
    """
    from nnbook.grader.preprocessors import GradeInSandbox

    ensure_bubblewrap()
    notebook = copy.deepcopy(notebook)
    course = ROOT / "autograder"
    resources = {"nbgrader": {"assignment": chapter, "notebook": chapter,
                              "db_url": f"sqlite:///{course / 'gradebook.db'}"},
                 "metadata": {"path": str(folder)}}
    graded, _ = GradeInSandbox(timeout=timeout, call_timeout=5).preprocess(notebook, resources)
    verdicts = {}
    for cell in graded.cells:
        if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            verdicts[cell.metadata["nbgrader"]["grade_id"]] = (
                errors[0].evalue if errors else None)
    return verdicts


def ensure_debian_packages(programs: list[str], packages: list[str], why: str) -> None:
    """Install Debian ``packages`` when one of ``programs`` is missing (needs root)."""
    if all(shutil.which(program) for program in programs):
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail(f"{', '.join(programs)} missing: install them (apt-get install "
                    f"{' '.join(packages)}) and run the tests again; {why}.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", *packages]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if result.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}"
                        f"\n{result.stderr[-3000:]}")


def ensure_bubblewrap() -> None:
    ensure_debian_packages(["bwrap"], ["bubblewrap"],
                           "grading runs every submission in its sandbox")


@pytest.fixture(scope="session")
def graded_course(tmp_path_factory) -> Path:
    """The simulated class, every chapter, graded by the parallel grading command."""
    ensure_bubblewrap()
    course = make_course(tmp_path_factory.mktemp("course"), CHAPTERS)
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                                 os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nnbook.grade", *CHAPTERS, "--jobs", "2",
                             "--course", str(course)], capture_output=True, text=True, env=env,
                            timeout=1800)
    if result.returncode:
        log = (course / "grading.log").read_text()[-20000:]
        pytest.fail(f"python -m nnbook.grade failed:\n{result.stdout}\n{result.stderr}\n{log}")
    return course


@pytest.fixture(scope="session")
def site_build(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The website built once, strictly: warnings are errors, references nitpicked.

    Once per run, not per xdist worker: the first worker to need it builds it under a lock
    in the run's shared temp folder; another waits for that build and reuses it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder all workers' temp folders are in
    out, record = shared / "site", shared / "site-build.json"
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            jupyter_book = Path(sys.executable).parent / "jupyter-book"
            result = subprocess.run(
                [str(jupyter_book), "build", str(ROOT), "--path-output", str(out),
                 "--warningiserror", "--nitpick", "--keep-going"],
                capture_output=True, text=True, timeout=900)
            record.write_text(json.dumps([result.args, result.returncode, result.stdout,
                                          result.stderr]))
    args, returncode, stdout, stderr = json.loads(record.read_text())
    return subprocess.CompletedProcess(args, returncode, stdout, stderr), out / "_build" / "html"


@pytest.fixture(scope="session")
def built_site(site_build) -> Path:
    result, html = site_build
    if result.returncode:
        pytest.fail("the website does not build:\n" + result.stdout[-5000:]
                    + result.stderr[-5000:])
    return html


def hidden_test_lines(chapter: str) -> list[str]:
    """Lines of code of the chapter's hidden tests, as they would appear in HTML.

    Lines holding a string are left out: the tests' messages are meant for students. What is
    left (the references, the test data) must never reach one.
    """
    path = ROOT / "autograder" / "hidden_tests" / f"{chapter}.py"
    visible = set()
    for cell in nbformat.read(generate.source_path(chapter), as_version=4).cells:
        visible |= {line.strip() for line in cell.source.splitlines()}
    lines = {line.strip() for line in path.read_text().splitlines()}
    text = "\n".join(cell.source for cell in
                     nbformat.read(generate.source_path(chapter), as_version=4).cells)
    lines = {line for line in lines if line not in text}  # also part of a visible line
    return sorted(html.escape(line, quote=False) for line in lines - visible
                  if len(line) >= 25 and not line.startswith(("#", "def ", "from ", "import "))
                  and not any(q in line for q in "\"'"))
