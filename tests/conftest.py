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
# nbval's kernels inherit this environment: the MNIST chapter reads the data its stored outputs
# were computed from (see generate.mnist_environment).
os.environ.update(generate.mnist_environment())


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
    "03-chain-rule": ({"derivative_w1_12": ("dJ_dx1_2 = dJ_dz2_2",
                                            "dJ_dx1_2 = dJ_dz2_1 * W2[1, 0] + dJ_dz2_2")}, 8),
    "04-delta-recursion": ({"backward": ("Delta3 = (X3 - Y) * 1.0",
                                         "Delta3 = (X3 - Y) / n * 1.0")}, 9),
    "05-nn-class": ({"relu": None, "backward_pass": (")\n", ") * slope\n")}, 11),
    # A ReLU on the output layer of forward_torch costs Exercise 12 only, not 13 that uses it.
    "06-pytorch": ({"forward_torch": ("A = torch.relu(Z)\n",
                                     "A = torch.relu(Z) if l < L else Z\n"),
                    "train_torch": ("loss = loss_fn(model(X), Y)\n",
                                    "loss = loss_fn(model(X), Y) / 2\n")}, 7),
    # An output_delta without / n costs Exercise 18 only, not 19 (b) and (c) that use it.
    "07-mnist": ({"accuracy": None, "cross_entropy": ("1e-12)))\n", "1e-12))) / n\n"),
                  "output_delta": ("(Y_hat - T)\n", "(Y_hat - T) / Y_hat.shape[0]\n")}, 9),
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
