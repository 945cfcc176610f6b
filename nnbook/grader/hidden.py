"""The hidden tests of a chapter: ``autograder/hidden_tests/<chapter>.py``, grader side only.

Each graded cell of a chapter (nbgrader metadata ``grade: true``) has one test function here,
marked with :func:`grades`. It gets a :class:`nnbook.grader.bridge.Kernel` for the notebook
being graded, re-checks what the cell's visible check checks, then probes further; it raises
:class:`nnbook.checks.CheckFailed` with a message for the learner, or returns the line shown
when the cell passes. The module is never released, never copied into a notebook and never in
a graded kernel's view.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path

FOLDER = "hidden_tests"
_loaded: dict[Path, dict[str, Callable]] = {}


def grades(grade_id: str) -> Callable[[Callable], Callable]:
    """Mark a function as the hidden test of the graded cell ``grade_id``."""

    def mark(function: Callable) -> Callable:
        function.grade_id = grade_id
        return function

    return mark


def tests_path(course: Path, assignment: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", assignment):
        raise ValueError(f"not an assignment name: {assignment!r}")
    return course / FOLDER / f"{assignment}.py"


def load(course: Path, assignment: str) -> dict[str, Callable]:
    """The tests of ``assignment`` by grade_id (empty when the chapter has no file)."""
    path = tests_path(course, assignment).resolve()
    if path in _loaded:
        return _loaded[path]
    tests: dict[str, Callable] = {}
    if path.is_file():
        name = "nnbook_hidden_tests_" + assignment.replace("-", "_")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        for value in vars(module).values():
            grade_id = getattr(value, "grade_id", None)
            if callable(value) and isinstance(grade_id, str):
                if grade_id in tests:
                    raise ValueError(f"{path}: two tests for the cell {grade_id}")
                tests[grade_id] = value
    _loaded[path] = tests
    return tests
