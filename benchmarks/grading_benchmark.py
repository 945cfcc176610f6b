"""How long grading a class takes: serial `nbgrader autograde` against `python -m nnbook.grade`.

    .venv/bin/python benchmarks/grading_benchmark.py                 # 30 students, every chapter
    .venv/bin/python benchmarks/grading_benchmark.py --students 6 --chapters 01-notation

Two identical copies of the course get the same class: a third of the students hand in the
solution, a third the untouched release, a third the release with the first exercise solved.
One copy is graded by nbgrader, notebook after notebook, without the sandbox (the baseline);
the other by ``nnbook.grade`` with ``--jobs`` processes, each kernel in its sandbox. It prints
the seconds of each (autograde, then feedback), their ratio, and checks that both gradebooks
hold the same scores.
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from nnbook import generate, grade

ROOT = Path(__file__).resolve().parent.parent
UNSANDBOXED = "--SandboxedKernelManager.sandbox=False"


def nbgrader(course: Path, *args: str) -> None:
    env = dict(os.environ, PATH=os.pathsep.join([os.path.dirname(sys.executable),
                                                 os.environ.get("PATH", "")]))
    subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def first_exercise_only(release, source):
    submission = copy.deepcopy(release)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c for c in
                 generate.solution_version(source).cells if generate.is_solution(c)}
    for cell in submission.cells:
        if generate.is_solution(cell):
            cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]].source
            break
    return submission


def make_course(where: Path, chapters: list[str], students: int) -> Path:
    where.mkdir()
    shutil.copy(ROOT / "autograder" / "nbgrader_config.py", where)
    shutil.copytree(ROOT / "autograder" / "source", where / "source")
    shutil.copytree(ROOT / "autograder" / "hidden_tests", where / "hidden_tests")
    for chapter in chapters:
        nbgrader(where, "generate_assignment", chapter, "--force")
        release = nbformat.read(where / "release" / chapter / f"{chapter}.ipynb", as_version=4)
        source = generate.read_source(chapter)
        solution = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
        kinds = [solution, release, first_exercise_only(release, source)]
        for number in range(students):
            folder = where / "submitted" / f"student{number:03d}" / chapter
            folder.mkdir(parents=True)
            nbformat.write(kinds[number % 3], folder / f"{chapter}.ipynb")
    return where


def scores(course: Path, chapters: list[str], students: int) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {(c, f"student{n:03d}"): gradebook.find_submission_notebook(
            c, c, f"student{n:03d}").score for c in chapters for n in range(students)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--chapters", nargs="*", default=None,
                        help="chapters to grade (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    chapters = args.chapters or generate.chapters()

    with tempfile.TemporaryDirectory() as tmp:
        serial = make_course(Path(tmp) / "serial", chapters, args.students)
        parallel = make_course(Path(tmp) / "parallel", chapters, args.students)

        started = time.perf_counter()
        for chapter in chapters:
            nbgrader(serial, "autograde", chapter, "--force", UNSANDBOXED)
        serial_grade = time.perf_counter() - started
        started = time.perf_counter()
        for chapter in chapters:
            nbgrader(serial, "generate_feedback", chapter, "--force", UNSANDBOXED)
        serial_feedback = time.perf_counter() - started

        log = parallel / "grading.log"
        started = time.perf_counter()
        failed = grade.run_step(parallel, "autograde", chapters, args.jobs, log)
        parallel_grade = time.perf_counter() - started
        started = time.perf_counter()
        failed += grade.run_step(parallel, "generate_feedback", chapters, args.jobs, log)
        parallel_feedback = time.perf_counter() - started

        same = scores(serial, chapters, args.students) == scores(parallel, chapters,
                                                                  args.students)
    notebooks = args.students * len(chapters)
    print(f"{args.students} students x {len(chapters)} chapters = {notebooks} notebooks; "
          f"{os.cpu_count()} cores ({platform.machine()}), --jobs {args.jobs}")
    print(f"{'step':<12}{'serial nbgrader (s)':>22}{'nnbook.grade (s)':>20}{'ratio':>8}")
    for step, s, p in (("autograde", serial_grade, parallel_grade),
                       ("feedback", serial_feedback, parallel_feedback),
                       ("both", serial_grade + serial_feedback,
                        parallel_grade + parallel_feedback)):
        print(f"{step:<12}{s:>22.1f}{p:>20.1f}{p / s:>8.2f}")
    print(f"same scores in both gradebooks: {same}; submissions that failed: {len(failed)}")
    return 0 if same and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
