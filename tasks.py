#!/usr/bin/env python3
"""The book's two commands (see README.md). Standard library only, so it runs anywhere.

    python3 tasks.py build     build the website into _build/html
    python3 tasks.py build --course-edition
                               build it without solutions (and their outputs), to publish
                               while a term runs, into _build/course-edition/_build/html
    python3 tasks.py test      run every test (what CI runs)
    python3 tasks.py lock      write constraints.txt from what .venv holds (after changing a
                               requirement and checking that every test passes)

Build and test create ./.venv and install requirements.txt into it, with the exact versions
of constraints.txt, on first use and again whenever one of those files (or requirements/)
changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
BUILD_COMMAND = [str(BIN / "jupyter-book"), "build", str(ROOT), "--warningiserror",
                 "--nitpick", "--keep-going"]
#: Where the course edition goes (Jupyter Book puts the HTML in its _build/html).
COURSE_EDITION = ROOT / "_build" / "course-edition"
#: The exact versions of everything in .venv when the tests last passed (``tasks.py lock``).
CONSTRAINTS = ROOT / "constraints.txt"
#: The line of constraints.txt that names the Python its versions were resolved for.
LOCKED_PYTHON = "# Python "
CONSTRAINTS_HEADER = """\
# The exact version of every package in the environment the tests pass in (.venv): `pip freeze`,
# written by `python3 tasks.py lock`. tasks.py installs requirements.txt with these constraints,
# so that CI and every maintainer get the same versions (on this Python; elsewhere tasks.py
# installs requirements.txt's ranges alone and says so). To use them by hand:
#   pip install -r requirements/instructor.txt -c constraints.txt
# Local version labels (torch's "+cpu") are left out: the same release from any index matches.
"""


def run(command: list[str], **environment: str) -> None:
    print("+", " ".join([*(f"{k}={v}" for k, v in environment.items()),
                         *(str(part) for part in command)]), flush=True)
    # The environment's programs first on PATH: nbgrader and Jupyter start some by name.
    env = dict(os.environ, PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
               **environment)
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def environment_files(root: Path = ROOT) -> list[Path]:
    """What .venv is installed from: requirements.txt, the files it includes, the constraints."""
    return [root / "requirements.txt", *sorted((root / "requirements").glob("*.txt")),
            root / "constraints.txt"]


def environment_digest(root: Path = ROOT) -> str:
    """Changes whenever one of :func:`environment_files` does (one is added or removed too)."""
    digest = hashlib.sha256()
    for path in environment_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"(missing)")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def locked_python(constraints: Path = CONSTRAINTS) -> str | None:
    """The Python version (3.11) that constraints.txt was written on, if it says."""
    if not constraints.is_file():
        return None
    for line in constraints.read_text(encoding="utf-8").splitlines():
        if line.startswith(LOCKED_PYTHON):
            return line[len(LOCKED_PYTHON):].strip()
    return None


def install_command(this_python: str = f"{sys.version_info[0]}.{sys.version_info[1]}"
                    ) -> list[str]:
    """pip's command that installs requirements.txt, pinned by constraints.txt when the lock
    was made on this Python (other versions may lack some of its releases)."""
    command = [str(PYTHON), "-m", "pip", "install", "-r", "requirements.txt"]
    locked = locked_python()
    if locked == this_python:
        return [*command, "-c", CONSTRAINTS.name]
    print(f"Note: constraints.txt was written on Python {locked}, this is {this_python}; "
          "installing requirements.txt's version ranges without its exact pins.", flush=True)
    return command


def ensure_environment() -> None:
    """Create .venv and install requirements.txt into it, unless that was already done."""
    if sys.version_info < (3, 10):  # noqa: UP036 (tasks.py may be started by an old Python)
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    stamp = VENV / f".installed-{environment_digest()}"
    if stamp.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    started = time.monotonic()
    print("Installing requirements.txt (the first time takes a few minutes) ...", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--upgrade", "pip"])
    run(install_command())
    mark_installed()
    print(f"Environment ready in {time.monotonic() - started:.0f} s.", flush=True)


def mark_installed() -> None:
    for old in VENV.glob(".installed-*"):
        old.unlink()
    (VENV / f".installed-{environment_digest()}").touch()


def constraints_text(freeze: str, python: str) -> str:
    """constraints.txt from ``pip freeze --exclude-editable``'s output on Python ``python``."""
    pins = []
    for line in freeze.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, version = line.partition("==")
        if not separator:  # a URL or a path: not something an index can serve again
            raise ValueError(f"pip freeze gave {line!r}: install it from an index, then lock")
        pins.append(f"{name.strip()}=={version.strip().split('+')[0]}")
    pins.sort(key=str.lower)
    return CONSTRAINTS_HEADER + f"{LOCKED_PYTHON}{python}\n" + "\n".join(pins) + "\n"


def lock() -> None:
    """Write constraints.txt from what .venv holds now."""
    if not PYTHON.exists():
        sys.exit("No .venv yet: run `python3 tasks.py test` first.")
    freeze = subprocess.run([str(PYTHON), "-m", "pip", "freeze", "--exclude-editable"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    python = subprocess.run(
        [str(PYTHON), "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
        capture_output=True, text=True, check=True).stdout.strip()
    CONSTRAINTS.write_text(constraints_text(freeze, python), encoding="utf-8")
    mark_installed()  # .venv holds exactly these versions: no need to install them again
    print(f"Wrote {CONSTRAINTS.name}: {len(freeze.splitlines())} packages, Python {python}.")


def build() -> None:
    options = sys.argv[2:]
    if options not in ([], ["--course-edition"]):
        sys.exit(__doc__)
    ensure_environment()
    if options:
        # The same pages without the solutions and their outputs (see nnbook/sphinx_site.py).
        run([*BUILD_COMMAND, "--path-output", str(COURSE_EDITION)], NNBOOK_COURSE_EDITION="1")
        html = COURSE_EDITION / "_build" / "html"
        print(f"\nThe course edition (no solutions) is in {html}; publish that folder.")
        return
    run(BUILD_COMMAND)
    print(f"\nThe website is in {ROOT / '_build' / 'html'}; open "
          f"{ROOT / '_build' / 'html' / 'index.html'} in a browser.")


def test() -> None:
    ensure_environment()
    started = time.monotonic()
    # Two workers, each running whole test files (see tests/conftest.py): much of the suite
    # waits on kernels, timeouts and a browser, so two of them fill the machine's cores.
    run([str(PYTHON), "-m", "pytest", "tests", "solutions", "--nbval", "--nbval-current-env",
         "-p", "no:cacheprovider", "--numprocesses", "2", "--dist", "loadfile",
         "--no-loadscope-reorder", "--durations=25", *sys.argv[2:]])
    print(f"All tests passed in {time.monotonic() - started:.0f} s.")


if __name__ == "__main__":
    commands = {"build": build, "test": test, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
