#!/usr/bin/env python3
"""The book's two commands (see README.md). Standard library only, so it runs anywhere.

    python3 tasks.py build     build the website into _build/html
    python3 tasks.py build --course-edition
                               build it without solutions (and their outputs), to publish
                               while a term runs, into _build/course-edition/_build/html
    python3 tasks.py test      run every test (what CI runs)

Both create ./.venv and install requirements.txt into it on first use, and again whenever
requirements.txt changes.
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


def run(command: list[str], **environment: str) -> None:
    print("+", " ".join([*(f"{k}={v}" for k, v in environment.items()),
                         *(str(part) for part in command)]), flush=True)
    # The environment's programs first on PATH: nbgrader and Jupyter start some by name.
    env = dict(os.environ, PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
               **environment)
    result = subprocess.run(command, cwd=ROOT, env=env)
    if result.returncode:
        sys.exit(result.returncode)


def ensure_environment() -> None:
    """Create .venv and install requirements.txt into it, unless that was already done."""
    if sys.version_info < (3, 10):  # noqa: UP036 (tasks.py may be started by an old Python)
        sys.exit(f"Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    requirements = (ROOT / "requirements.txt").read_bytes()
    stamp = VENV / f".installed-{hashlib.sha256(requirements).hexdigest()[:16]}"
    if stamp.exists():
        return
    if not PYTHON.exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    started = time.monotonic()
    print("Installing requirements.txt (the first time takes a few minutes) ...", flush=True)
    run([str(PYTHON), "-m", "pip", "install", "--upgrade", "pip"])
    run([str(PYTHON), "-m", "pip", "install", "-r", "requirements.txt"])
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()
    print(f"Environment ready in {time.monotonic() - started:.0f} s.", flush=True)


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
    commands = {"build": build, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
