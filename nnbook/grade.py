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

Every kernel runs in a bubblewrap sandbox (``nnbook/grader/sandbox.py``); grading stops at once
with what to install when the sandbox cannot run, unless ``--unsafe-no-sandbox`` is given.
After grading it checks that the course files, every hand-in and the package are unchanged and
that the gradebook holds the scores the grader judged; the feedback folders keep only the
feedback pages. Any problem is printed, naming the students concerned, and the exit status is 1.
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

from nnbook.grader import integrity
from nnbook.grader.sandbox import SandboxUnavailable, check_sandbox


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


#: Extra nbgrader options for every run (``--unsafe-no-sandbox`` adds one).
EXTRA_OPTIONS: list[str] = []


def nbgrader_command(task: Task, everyone: list[str]) -> list[str]:
    """One nbgrader run restricted to ``task.students`` (the others are excluded by name)."""
    others = sorted(set(everyone) - set(task.students))
    command = [sys.executable, "-m", "nbgrader", task.step, task.assignment, "--force",
               *EXTRA_OPTIONS]
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
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run every submission's kernel without the sandbox, trusting it "
                             "with your files and accounts (only for code you wrote yourself)")
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

    EXTRA_OPTIONS.clear()
    if args.unsafe_no_sandbox:
        EXTRA_OPTIONS.append("--SandboxedKernelManager.sandbox=False")
        print("WARNING: grading without a sandbox: every submission runs with your rights.",
              file=sys.stderr)
    else:
        try:
            check_sandbox()
        except SandboxUnavailable as problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2

    log = course / "grading.log"
    log.write_text("")
    before = integrity.fingerprint(course)
    started = time.monotonic()
    failures = run_step(course, "autograde", assignments, args.jobs, log)
    graded_at = time.monotonic()
    failures += run_step(course, "generate_feedback", assignments, args.jobs, log)
    export = run([sys.executable, "-m", "nbgrader", "export", "--to", args.csv], course, log)
    removed = clean_feedback(course, assignments)
    graded = [(a, s) for a in assignments for s in submissions(course, a)]
    problems = integrity.changed(before, integrity.fingerprint(course))
    problems += integrity.gradebook_mismatches(course, graded, db_url(course))

    count = sum(len(submissions(course, a)) for a in assignments)
    print(f"autograded {count} submissions of {len(assignments)} assignment(s) with "
          f"{args.jobs} processes in {graded_at - started:.1f} s; feedback in "
          f"{time.monotonic() - graded_at:.1f} s; grades in {course / args.csv}; "
          f"log in {log}")
    for assignment, student in failures:
        print(f"FAILED: {student} / {assignment} (see {log})", file=sys.stderr)
    if export:
        print(f"FAILED: nbgrader export (see {log})", file=sys.stderr)
    for path in removed:
        print(f"removed from the feedback folder (not feedback, or too large): {path}")
    for problem in problems:
        print(f"INTEGRITY: {problem}", file=sys.stderr)
    if problems:
        print("INTEGRITY: the course was changed during grading or the gradebook disagrees "
              "with the grader; check the files and students named above before releasing "
              "feedback.", file=sys.stderr)
    return 1 if failures or export or problems else 0


#: The largest feedback page kept; a larger one is replaced by a note.
MAX_FEEDBACK_BYTES = 20 * 2**20


def clean_feedback(course: Path, assignments: list[str]) -> list[Path]:
    """Keep only each notebook's feedback page in ``feedback/<student>/<assignment>/``.

    nbgrader copies every file a student handed in into the feedback folder; those files are
    the student's, not feedback, and could be large or hostile. Pages over the size limit are
    replaced by a short note.
    """
    removed = []
    for assignment in assignments:
        notebooks = {p.stem for p in (course / "source" / assignment).glob("*.ipynb")}
        for folder in sorted((course / "feedback").glob(f"*/{assignment}")):
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_dir() and not path.is_symlink():
                    if not any(path.iterdir()):
                        path.rmdir()
                    continue
                if path.parent == folder and path.suffix == ".html" \
                        and path.stem in notebooks and not path.is_symlink():
                    if path.stat().st_size > MAX_FEEDBACK_BYTES:
                        path.write_text("<p>This feedback page was too large to keep "
                                        f"(over {MAX_FEEDBACK_BYTES // 2**20} MB). Ask your "
                                        "instructor for your scores.</p>\n")
                        removed.append(path)
                    continue
                path.unlink()
                removed.append(path)
    return removed


def db_url(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


if __name__ == "__main__":
    sys.exit(main())
