"""Checks after grading: nothing a submission could reach was changed, and the gradebook says
what the grader judged.

- :func:`fingerprint` hashes every file the grading must leave alone: ``nbgrader_config.py``,
  ``source/``, ``hidden_tests/``, ``release/``, ``submitted/`` (every hand-in) and the book's
  package; :func:`changed` compares two fingerprints.
- :func:`gradebook_mismatches` compares each graded cell's score in the gradebook with the
  verdict :class:`~nnbook.grader.preprocessors.GradeInSandbox` recorded outside the sandbox.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from nnbook.grader.preprocessors import VERDICTS
from nnbook.grader.sandbox import PACKAGE

PROTECTED = ("nbgrader_config.py", "source", "hidden_tests", "release", "submitted")


def _files(root: Path):
    if root.is_file():
        yield root
    elif root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                yield path


def fingerprint(course: Path) -> dict[str, str]:
    """SHA-256 of every protected file, by path."""
    hashes = {}
    roots = [course / name for name in PROTECTED] + [PACKAGE]
    for root in roots:
        for path in _files(root):
            hashes[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or changed between two fingerprints, as sentences."""
    out = [f"changed: {p}" for p in sorted(before.keys() & after.keys())
           if before[p] != after[p]]
    out += [f"removed: {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"added: {p}" for p in sorted(after.keys() - before.keys())]
    return out


def gradebook_mismatches(course: Path, graded: list[tuple[str, str]], db_url: str,
                         course_id: str = "default_course") -> list[str]:
    """Cells whose gradebook score differs from the grader's verdict, naming the student.

    ``db_url`` is the course's gradebook: a SQLite file or a shared database server.
    """
    from nbgrader.api import Gradebook, MissingEntry

    problems = []
    with Gradebook(db_url, course_id) as gradebook:
        for assignment, student in graded:
            folder = course / VERDICTS / assignment / student
            for path in sorted(folder.glob("*.json")):
                verdicts = json.loads(path.read_text())
                try:
                    notebook = gradebook.find_submission_notebook(path.stem, assignment,
                                                                  student)
                except MissingEntry:
                    problems.append(f"{student} / {assignment}: graded, but not in the "
                                    "gradebook")
                    continue
                scores = {grade.name: grade for grade in notebook.grades}
                for grade_id, verdict in verdicts.items():
                    grade = scores.get(grade_id)
                    expected = verdict["points"] if verdict["passed"] else 0.0
                    if grade is None or grade.auto_score is None:
                        problems.append(f"{student} / {assignment} / {grade_id}: no score in "
                                        f"the gradebook (the grader gave {expected:g})")
                    elif abs(grade.auto_score - expected) > 1e-9:
                        problems.append(f"{student} / {assignment} / {grade_id}: the gradebook "
                                        f"says {grade.auto_score:g}, the grader judged "
                                        f"{expected:g}")
    return problems
