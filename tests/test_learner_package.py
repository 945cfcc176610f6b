"""The learner's package (learner/): built from nnbook's learner side alone, installed into a fresh
virtual environment, where a released notebook runs and its checks give their feedback.

One virtual environment per test session: made from nothing, it gets the wheel and
ipykernel (the kernel the notebook runs in) from the package index, pinned by
constraints.txt (pip's cache makes a second session fast). ``pytest -s`` prints how long
that took, and how long the notebook took to reach its first unfinished exercise.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nnbook import install_hint
from nnbook.grader.sandbox import LEARNER_SIDE

LEARNER = ROOT / "learner"
CHAPTER = "02-forward-pass"
#: Chapter 6 imports torch, which the learner's package installs only with the extra [torch].
TORCH_CHAPTER = "06-pytorch"
#: What a learner's environment must not hold: the grader's and the maintainer's side.
NOT_FOR_LEARNERS = ("nnbook.grader", "nnbook.grade", "nnbook.generate", "nnbook.sphinx_site",
                    "nnbook.jupyterlab_markup", "nnbook.install_hint", "nbgrader",
                    "jupyter_book", "torch")

#: Run in a kernel first, this makes nnbook fail to import as where it is not installed.
HIDE_NNBOOK = """\
import sys

class WithoutNnbook:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "nnbook":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, WithoutNnbook())
"""


def clean_environment() -> dict[str, str]:
    """This process's environment without what would let another Python see the repository."""
    return {k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")}


def run(command: list, **options) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            env=clean_environment(), **options)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def load_backend(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def learner_wheel(tmp_path_factory) -> Path:
    """The wheel, built as pip builds it for ``pip install git+...#subdirectory=learner``."""
    out = tmp_path_factory.mktemp("learner-wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", out, LEARNER])
    (wheel,) = out.glob("nnbook-*-py3-none-any.whl")
    return wheel


@pytest.fixture(scope="session")
def learner_python(tmp_path_factory, learner_wheel) -> Path:
    """The Python of a fresh virtual environment with the wheel and ipykernel installed."""
    folder = tmp_path_factory.mktemp("learner-venv")
    started = time.monotonic()
    # Without pip of its own: this environment's pip installs into it (pip --python), which
    # saves the seconds of copying pip in.
    venv.create(folder, with_pip=False)
    python = folder / "bin" / "python"
    # --no-compile: Python compiles what it imports anyway; compiling all of it takes longer.
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-input",
         "--no-compile", "-c", ROOT / "constraints.txt", learner_wheel, "ipykernel"],
        cwd=folder)
    print(f"\nlearner's environment made and installed in {time.monotonic() - started:.1f} s")
    return python


def kernel_in(python: Path, folder: Path) -> AsyncKernelManager:
    """A kernel manager that starts ``python``'s ipykernel."""
    specs = folder / "kernels" / "learner"
    specs.mkdir(parents=True)
    (specs / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "learner", "language": "python"}))
    return AsyncKernelManager(kernel_name="learner", kernel_spec_manager=KernelSpecManager(
        kernel_dirs=[str(folder / "kernels")]))


def run_cells(nb, cells, python: Path, folder: Path) -> None:
    """Run ``cells`` (of ``nb``) in order in one kernel of ``python``, working in ``folder``."""
    client = NotebookClient(nb, km=kernel_in(python, folder), timeout=120,
                            resources={"metadata": {"path": str(folder)}})
    with client.setup_kernel(env=clean_environment()):
        for cell in cells:
            client.execute_cell(cell, nb.cells.index(cell))


def errors(cell) -> list:
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def text_of(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []))


def first_code_cell(nb):
    return next(c for c in nb.cells if c.cell_type == "code")


# -- the distribution ----------------------------------------------------------------------------
def test_the_wheel_holds_the_learner_side_and_nothing_else(learner_wheel):
    names = zipfile.ZipFile(learner_wheel).namelist()
    package = sorted(n.removeprefix("nnbook/") for n in names if n.startswith("nnbook/"))
    assert package == sorted(LEARNER_SIDE)
    others = [n for n in names if not n.startswith(("nnbook/", "nnbook-"))]
    assert not others, f"the wheel holds more than the package: {others}"
    for name in LEARNER_SIDE:  # the repository's modules as they are: no copy to drift
        assert zipfile.ZipFile(learner_wheel).read(f"nnbook/{name}") == \
            (ROOT / "nnbook" / name).read_bytes(), name


def test_the_wheel_asks_for_numpy_and_matplotlib_and_the_chapters_extras(learner_wheel):
    wheel = zipfile.ZipFile(learner_wheel)
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    fields = [line.split(": ", 1) for line in wheel.read(metadata).decode().splitlines()]
    requires = [value for key, value in fields if key == "Requires-Dist"]
    assert [r for r in requires if "extra ==" not in r] == ["numpy", "matplotlib"]
    assert 'torch; extra == "torch"' in requires
    assert {'tqdm; extra == "mnist"', 'threadpoolctl; extra == "mnist"',
            'scikit-learn; extra == "mnist"'} <= set(requires)
    assert sorted(v for k, v in fields if k == "Provides-Extra") == ["mnist", "torch"]
    # Every extra a notebook's first cell asks for exists.
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        asked = install_hint.extras_needed(nbformat.read(path, as_version=4))
        assert set(asked) <= {"mnist", "torch"}, path.name


def test_an_sdist_builds_the_same_wheel_on_its_own(tmp_path):
    backend = load_backend(LEARNER / "learner_build.py", "learner_build_repository")
    sdist = tmp_path / backend.build_sdist(str(tmp_path))
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    assert sorted(p.name for p in (unpacked / "nnbook").iterdir()) == sorted(LEARNER_SIDE)
    packed = load_backend(unpacked / "learner_build.py", "learner_build_sdist")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    from_repository = zipfile.ZipFile(tmp_path / "a" / backend.build_wheel(str(tmp_path / "a")))
    from_sdist = zipfile.ZipFile(tmp_path / "b" / packed.build_wheel(str(tmp_path / "b")))
    assert from_repository.namelist() == from_sdist.namelist()
    for name in from_repository.namelist():
        assert from_repository.read(name) == from_sdist.read(name), name


def test_the_learner_side_imports_nothing_of_the_grader_or_the_maintainer():
    allowed = {name.removesuffix(".py") for name in LEARNER_SIDE} - {"__init__"}
    for name in LEARNER_SIDE:
        tree = ast.parse((ROOT / "nnbook" / name).read_text())
        for node in ast.walk(tree):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                       [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                if module.startswith("nnbook."):
                    assert module.split(".")[1] in allowed, f"{name} imports {module}"


def test_the_install_command_names_the_book_s_repository():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert install_hint.REPOSITORY == config["repository"]["url"]
    assert (ROOT / install_hint.LEARNER_PROJECT / "pyproject.toml").is_file()


# -- a fresh environment -----------------------------------------------------------------------
def test_a_fresh_environment_gets_the_learner_side_alone(learner_python, tmp_path):
    probe = ("import importlib.util, json, pkgutil, nnbook\n"
             "print(json.dumps({'file': nnbook.__file__,"
             " 'modules': sorted(m.name for m in pkgutil.iter_modules(nnbook.__path__)),"
             f" 'present': [m for m in {NOT_FOR_LEARNERS!r}"
             " if importlib.util.find_spec(m) is not None]}))")
    found = json.loads(run([learner_python, "-c", probe], cwd=tmp_path).stdout)
    assert Path(found["file"]).is_relative_to(learner_python.parent.parent), (
        f"nnbook came from {found['file']}, not from the fresh environment")
    assert found["modules"] == sorted(n.removesuffix(".py") for n in LEARNER_SIDE
                                      if n != "__init__.py")
    assert found["present"] == [], f"not for learners, yet installed: {found['present']}"


def test_a_released_notebook_runs_there_to_its_first_unfinished_exercise(learner_python,
                                                                         tmp_path):
    nb = nbformat.read(ROOT / "exercises" / f"{CHAPTER}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    stub = next(c for c in code if c.metadata.get("nbgrader", {}).get("solution"))
    check = next(c for c in code[code.index(stub):] if c.metadata["nbgrader"].get("grade")
                 and not c.metadata["nbgrader"].get("solution"))
    # Then the learner's answer: the solution's cell of the same grade id, and the check again.
    solutions = nbformat.read(ROOT / "solutions" / f"{CHAPTER}.ipynb", as_version=4)
    answer = next(copy.deepcopy(c) for c in solutions.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") ==
                  stub.metadata["nbgrader"]["grade_id"])
    check_again = copy.deepcopy(check)
    nb.cells += [answer, check_again]
    started = time.monotonic()
    run_cells(nb, [*code[:code.index(check) + 1], answer, check_again], learner_python,
              tmp_path)
    print(f"\n{CHAPTER} ran to its first exercise's check, and again with the answer, in "
          f"{time.monotonic() - started:.1f} s")
    before = code[:code.index(stub)]
    assert not [c for c in before if errors(c)], "a cell before the first exercise failed"
    assert any("image/png" in o.get("data", {}) for c in before for o in c.outputs), (
        "no figure drawn before the first exercise")
    assert [e.ename for e in errors(stub)] == ["NotImplementedError"]
    (failed,) = errors(check)
    assert failed.ename == "CheckFailed" and "NotImplementedError" in failed.evalue, failed
    assert not errors(answer) and not errors(check_again), errors(check_again)
    assert "✔" in text_of(check_again)


def test_a_missing_package_is_named_with_the_command_that_installs_it(learner_python, tmp_path):
    """Chapter 6 in the learner's environment without the extra [torch]; chapter 2 where the
    book's package cannot be imported: each first cell says what to install, no traceback."""
    for chapter, missing, extras in ((TORCH_CHAPTER, "torch", ["torch"]),
                                     (CHAPTER, "nnbook", [])):
        nb = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
        first = first_code_cell(nb)
        cells = [first]
        if missing == "nnbook":  # imported, nnbook now fails as where it is not installed
            hide = nbformat.v4.new_code_cell(HIDE_NNBOOK)
            nb.cells.insert(0, hide)
            cells.insert(0, hide)
        folder = tmp_path / chapter
        folder.mkdir()
        with pytest.raises(CellExecutionError):
            run_cells(nb, cells, learner_python, folder)
        (error,) = errors(first)
        assert error.ename == "PackageMissing"
        shown = "\n".join(error.traceback)
        assert shown == error.evalue, "Jupyter shows more than the message"
        assert shown.startswith(f"{missing} is not installed where this notebook runs.")
        assert install_hint.install_command(extras) in shown
        assert "Traceback" not in shown and "File " not in shown and len(error.traceback) <= 6

