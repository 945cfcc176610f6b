"""Requirements by who needs them, and constraints.txt: exact pins of what the tests run with."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pip's own copy of the same parser
    from pip._vendor import tomli as tomllib

REQUIREMENTS = ROOT / "requirements.txt"
CONSTRAINTS = ROOT / "constraints.txt"
LEARNER_PROJECT = ROOT / "learner" / "pyproject.toml"


def load_tasks():
    spec = importlib.util.spec_from_file_location("tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tasks = load_tasks()


def learner_package_requirements() -> list[Requirement]:
    """The learner's package's dependencies, its extras' included."""
    info = tomllib.loads(LEARNER_PROJECT.read_text())["project"]
    listed = [*info["dependencies"],
              *(r for extra in info["optional-dependencies"].values() for r in extra)]
    return [Requirement(r) for r in listed]


def requirements_in(path: Path, seen: tuple[Path, ...] = ()) -> list[Requirement]:
    """Every named requirement of a requirements file, following ``-r`` (relative to the file,
    as pip reads them); a local project (``./learner``) stands for its dependencies."""
    assert path not in seen, f"{path} includes itself"
    found: list[Requirement] = []
    for line in path.read_text().splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        if line.startswith("-r "):
            found += requirements_in(path.parent / line[3:].strip(), (*seen, path))
        elif line.startswith("-e ") or line.startswith("."):
            project = line.removeprefix("-e ").strip().split("[")[0]
            if Path(project).name == "learner":
                found += learner_package_requirements()
        else:
            assert not line.startswith("-"), f"{path.name}: an option pip may not honour: {line}"
            found.append(Requirement(line))
    return found


def constraints() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, separator, version = line.partition("==")
            assert separator and "+" not in version, f"constraints.txt: not an exact pin: {line}"
            pins[canonicalize_name(name)] = version
    return pins


def all_requirements() -> dict[str, list[Requirement]]:
    files = [REQUIREMENTS, *sorted((ROOT / "requirements").glob("*.txt"))]
    return {path.relative_to(ROOT).as_posix(): requirements_in(path) for path in files}


def test_each_person_s_file_includes_the_one_before():
    assert requirements_in(REQUIREMENTS) != []
    learner = {r.name for r in requirements_in(ROOT / "requirements" / "learner.txt")}
    instructor = {r.name for r in requirements_in(ROOT / "requirements" / "instructor.txt")}
    maintainer = {r.name for r in requirements_in(REQUIREMENTS)}
    assert learner < instructor < maintainer
    assert "nbgrader" in instructor - learner and "jupyter-book" in maintainer - instructor
    assert {"pytest", "ruff", "selenium", "nbval"} <= maintainer - instructor


def test_the_learner_file_has_what_the_learner_package_needs():
    learner = {canonicalize_name(r.name)
               for r in requirements_in(ROOT / "requirements" / "learner.txt")}
    needed = {canonicalize_name(r.name) for r in learner_package_requirements()}
    assert needed <= learner, f"missing from requirements/learner.txt: {needed - learner}"


def test_every_top_level_requirement_is_pinned_within_its_range():
    pins = constraints()
    for file, requirements in all_requirements().items():
        for requirement in requirements:
            name = canonicalize_name(requirement.name)
            assert name in pins, (f"{requirement.name} ({file}) has no exact version in "
                                  "constraints.txt: install it, test, then python3 tasks.py lock")
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"constraints.txt pins {requirement.name}=={pins[name]}, outside {file}'s "
                f"{requirement}: pip could not install both in one go")


@pytest.mark.skipif(tasks.locked_python() != "{}.{}".format(*sys.version_info[:2]),
                    reason="constraints.txt was written on another Python")
def test_the_installed_versions_are_the_pinned_ones():
    wrong = {}
    for name, pinned in constraints().items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = "(not installed)"
        else:  # torch's "+cpu" and the like: the same release
            if Version(installed).public == Version(pinned).public:
                continue
        wrong[name] = f"pinned {pinned}, installed {installed}"
    assert not wrong, (f"this environment is not what constraints.txt says ({len(wrong)}): "
                       f"{wrong}; run python3 tasks.py lock after the tests pass")


def test_constraints_are_written_from_pip_freeze():
    freeze = "Torch==2.13.0+cpu\n# a comment\nanyio==4.16.0\n"
    text = tasks.constraints_text(freeze, "3.11")
    assert text.splitlines()[-3:] == ["# Python 3.11", "anyio==4.16.0", "Torch==2.13.0"]
    with pytest.raises(ValueError, match="from an index"):
        tasks.constraints_text("nnbook @ file:///somewhere\n", "3.11")


def test_the_environment_is_installed_with_the_constraints_and_reinstalled_when_they_change(
        tmp_path):
    files = tasks.environment_files()
    assert CONSTRAINTS in files and REQUIREMENTS in files
    assert {p.name for p in files} >= {"learner.txt", "instructor.txt"}
    command = tasks.install_command(tasks.locked_python())
    assert command[-4:] == ["-r", "requirements.txt", "-c", "constraints.txt"]
    assert "-c" not in tasks.install_command("3.99"), "pins of another Python applied"
    # The stamp of an installed .venv is this digest: any change to any of the files moves it.
    for path in files:
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(exist_ok=True)
        shutil.copy(path, target)
    before = tasks.environment_digest(tmp_path)
    assert before == tasks.environment_digest()
    for path in files:
        copy = tmp_path / path.relative_to(ROOT)
        original = copy.read_text()
        copy.write_text(original + "\n# changed\n")
        assert tasks.environment_digest(tmp_path) != before, f"{path.name} does not count"
        copy.write_text(original)
    (tmp_path / "requirements" / "extra.txt").write_text("tqdm\n")
    assert tasks.environment_digest(tmp_path) != before, "a new requirements file does not count"


def test_reading_a_notebook_builds_no_iri_parsers():
    # jsonschema 4.25 and later import rfc3987-syntax when nbformat loads its validator, and
    # that import builds its parsers: about 2 s of CPU for every nbgrader command.
    result = subprocess.run(
        [sys.executable, "-c", "import sys, nbformat.validator; "
         "print(sorted(m for m in ('rfc3987_syntax', 'lark') if m in sys.modules))"],
        capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout
