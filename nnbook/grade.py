"""Grade a whole class across CPU cores: autograde, feedback and a CSV of grades.

    cd autograder
    python -m nnbook.grade 02-forward-pass            # one chapter
    python -m nnbook.grade --all --jobs 4             # every chapter with submissions

nbgrader grades one notebook after another. This command splits the submissions into groups
of students and runs one ``nbgrader autograde`` per group, ``--jobs`` of them at a time (the
next group starts as soon as one finishes), so the gradebook ends up exactly as serial
``nbgrader autograde`` would leave it. A submission that fails to grade is retried on its own
and reported; it never stops the others. Then ``nbgrader generate_feedback`` runs the same way,
and ``nbgrader export`` writes the CSV.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Task:
    step: str  # "autograde" or "generate_feedback"
    assignment: str
    students: list[str]


def submissions(course: Path, assignment: str) -> list[str]:
    """Students who handed in ``assignment`` (folders ``submitted/<student>/<assignment>``)."""
    folder = course / "submitted"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def assignments_with_submissions(course: Path) -> list[str]:
    folder = course / "submitted"
    if not folder.is_dir():
        return []
    return sorted({a.name for s in folder.iterdir() if s.is_dir() for a in s.iterdir()
                   if a.is_dir()})


#: Groups of students per grading process. More, smaller groups balance the load: a group that
#: happens to be slow (a submission looping until the cell timeout) holds up one process for
#: less time while the others take the remaining groups; each group costs one nbgrader start.
GROUPS_PER_JOB = 4


def split(students: list[str], groups: int) -> list[list[str]]:
    return [students[i::groups] for i in range(groups) if students[i::groups]]


def nbgrader_command(task: Task, everyone: list[str]) -> list[str]:
    """One nbgrader run restricted to ``task.students`` (the others are excluded by name)."""
    others = sorted(set(everyone) - set(task.students))
    command = [sys.executable, "-m", "nbgrader", task.step, task.assignment, "--force"]
    if others:
        command.append(f"--CourseDirectory.student_id_exclude={','.join(others)}")
    return command


def run(command: list[str], course: Path, log: Path) -> int:
    env = dict(os.environ)
    # One BLAS thread per grading process: the processes themselves fill the cores.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        return subprocess.run(command, cwd=course, env=env, stdout=handle,
                              stderr=subprocess.STDOUT).returncode


def graded(course: Path, step: str, assignment: str, student: str) -> bool:
    if step == "autograde":
        folder = course / "autograded" / student / assignment
        return folder.is_dir() and any(folder.glob("*.ipynb"))
    folder = course / "feedback" / student / assignment
    return folder.is_dir() and any(folder.glob("*.html"))


def run_step(course: Path, step: str, assignments: list[str], jobs: int, log: Path
             ) -> list[tuple[str, str]]:
    """Run ``step`` for every submission, ``jobs`` processes at a time; return the failures."""
    everyone = {a: submissions(course, a) for a in assignments}
    if set(assignments) == set(assignments_with_submissions(course)):
        # One nbgrader process per group of students for all assignments at once ("*"):
        # starting nbgrader costs seconds, so fewer, longer runs finish sooner.
        everyone["*"] = sorted({s for a in assignments for s in everyone[a]})
        patterns = ["*"]
    else:
        patterns = list(assignments)
    tasks = [Task(step, p, group) for p in patterns
             for group in split(everyone[p], jobs * GROUPS_PER_JOB)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda t: run(nbgrader_command(t, everyone[t.assignment]), course, log),
                      tasks))
    missing = [(a, s) for a in assignments for s in everyone[a]
               if not graded(course, step, a, s)]
    failures = []
    for assignment, student in missing:  # once more, on its own, so one cannot spoil a group
        run(nbgrader_command(Task(step, assignment, [student]), everyone[assignment]),
            course, log)
        if not graded(course, step, assignment, student):
            failures.append((assignment, student))
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignments (chapters) to grade")
    parser.add_argument("--all", action="store_true",
                        help="grade every assignment that has submissions")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="grading processes at once (default: the number of CPU cores)")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the nbgrader course folder (default: the current folder)")
    parser.add_argument("--csv", default="grades.csv", help="where to export the grades")
    args = parser.parse_args(argv)

    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"{course} is not an nbgrader course (no nbgrader_config.py); run this "
                     "in autograder/ or pass --course autograder")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    assignments = assignments_with_submissions(course) if args.all else args.assignments
    if not assignments:
        parser.error("name the assignments to grade, or pass --all")
    for assignment in assignments:
        if not submissions(course, assignment):
            parser.error(f"no submissions for {assignment!r} in {course / 'submitted'}")

    log = course / "grading.log"
    log.write_text("")
    started = time.monotonic()
    failures = run_step(course, "autograde", assignments, args.jobs, log)
    graded_at = time.monotonic()
    failures += run_step(course, "generate_feedback", assignments, args.jobs, log)
    export = run([sys.executable, "-m", "nbgrader", "export", "--to", args.csv], course, log)

    count = sum(len(submissions(course, a)) for a in assignments)
    print(f"autograded {count} submissions of {len(assignments)} assignment(s) with "
          f"{args.jobs} processes in {graded_at - started:.1f} s; feedback in "
          f"{time.monotonic() - graded_at:.1f} s; grades in {course / args.csv}; "
          f"log in {log}")
    for assignment, student in failures:
        print(f"FAILED: {student} / {assignment} (see {log})", file=sys.stderr)
    if export:
        print(f"FAILED: nbgrader export (see {log})", file=sys.stderr)
    return 1 if failures or export else 0


if __name__ == "__main__":
    sys.exit(main())
