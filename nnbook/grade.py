"""Grade a whole class across CPU cores: autograde, feedback, grades and what happened.

    cd autograder
    python -m nnbook.grade 02-forward-pass            # one chapter
    python -m nnbook.grade --all --jobs 4             # every chapter with submissions
    python -m nnbook.grade 02-forward-pass --student ada    # one student (a resubmission)
    python -m nnbook.grade --export-only              # the CSVs from the gradebook as it is

Before grading, each submission is checked: a single notebook under another name is renamed to
the assignment's (and the report says so); an empty, truncated or non-notebook file is not
graded, with the reason; a submission copied by hand gets a ``timestamp.txt`` from its file
time. nbgrader grades one notebook after another; this command splits the submissions into
groups of students and runs one ``nbgrader autograde`` per group, ``--jobs`` of them at a time
(the next group starts as soon as one finishes), so the gradebook ends up exactly as serial
``nbgrader autograde`` would leave it. A submission that fails to grade is retried on its own
and reported once, with the step that failed and why; it never stops the others. Then
``nbgrader generate_feedback`` runs the same way for the graded ones.

It ends with a line per student and chapter (score, "late", or failed / missing / not
collected), and writes ``grades.csv`` (every outcome with its status, penalty and note) and two
learning-platform imports beside it, ``grades-canvas.csv`` and ``grades-moodle.csv``
(``nnbook/grader/lms.py``), where a chapter without a grade is empty, never 0. Every run is
appended to ``grading.log`` under a header with its time.

Every kernel runs in a bubblewrap sandbox (``nnbook/grader/sandbox.py``); grading stops at once
with what to install when the sandbox cannot run, unless ``--unsafe-no-sandbox`` is given.
After grading it checks that the course files, every hand-in and the package are unchanged and
that the gradebook holds the scores the grader judged; the feedback folders keep only the
feedback pages (and nbgrader's ``timestamp.txt``). Any problem is printed, naming the students
concerned, and the exit status is 1.

The gradebook is the one every nbgrader command of the course uses: ``gradebook.db`` in the
course, or the database that ``CourseDirectory.db_url`` names (a shared PostgreSQL server);
grading does not start when it cannot be opened, and no password is ever printed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
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


def split(work: dict[str, int], groups: int) -> list[list[str]]:
    """Students in at most ``groups`` groups of about equal work, the group with most first.

    ``work`` is each student's number of notebooks to grade. Each student, most work first,
    joins the group with the least work so far (longest processing time first), and the
    heaviest groups start first: a student who handed in every assignment does not end up in
    a group that starts last and keeps one process busy while the others have finished.
    """
    load = [0] * groups
    members: list[list[str]] = [[] for _ in range(groups)]
    for student in sorted(work, key=lambda s: (-work[s], s)):
        lightest = load.index(min(load))
        load[lightest] += work[student]
        members[lightest].append(student)
    ranked = sorted(range(groups), key=lambda g: -load[g])  # stable: ties keep their order
    return [sorted(members[g]) for g in ranked if members[g]]


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


def run(command: list[str], course: Path, log: Path, capture: bool = False
        ) -> tuple[int, str]:
    """Run ``command`` in the course, its output appended to the log (and returned if asked)."""
    env = dict(os.environ)
    # One BLAS thread per grading process: the processes themselves fill the cores.
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    with open(log, "a") as handle:
        handle.write(f"$ {' '.join(command)}\n")
        handle.flush()
        if not capture:
            return subprocess.run(command, cwd=course, env=env, stdout=handle,
                                  stderr=subprocess.STDOUT).returncode, ""
        result = subprocess.run(command, cwd=course, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        handle.write(result.stdout)
        return result.returncode, result.stdout


def graded(course: Path, step: str, assignment: str, student: str) -> bool:
    if step == "autograde":
        folder = course / "autograded" / student / assignment
        return folder.is_dir() and any(folder.glob("*.ipynb"))
    folder = course / "feedback" / student / assignment
    return folder.is_dir() and any(folder.glob("*.html"))


@dataclass
class Failure:
    assignment: str
    student: str
    step: str  # "check", "autograde" or "generate_feedback"
    reason: str


def run_step(course: Path, step: str, assignments: list[str], jobs: int, log: Path,
             skip: set[tuple[str, str]] = frozenset(), only: set[str] | None = None
             ) -> list[Failure]:
    """Run ``step`` for every submission, ``jobs`` processes at a time; return the failures.

    Submissions in ``skip`` (assignment, student) are left out, and so is every student not in
    ``only`` when it is given.
    """
    present = {a: submissions(course, a) for a in assignments}
    todo = {a: [s for s in present[a] if (a, s) not in skip and (only is None or s in only)]
            for a in assignments}
    if set(assignments) == set(assignments_with_submissions(course)) and not skip:
        # One nbgrader process per group of students for all assignments at once ("*"):
        # starting nbgrader costs seconds, so fewer, longer runs finish sooner.
        present["*"] = sorted({s for a in assignments for s in present[a]})
        todo["*"] = sorted({s for a in assignments for s in todo[a]})
        patterns = ["*"]
    else:
        patterns = list(assignments)
    # Feedback runs no student code and takes about as long for every notebook: one group per
    # process is enough, and each group saves an nbgrader start.
    groups = jobs * (GROUPS_PER_JOB if step == "autograde" else 1)
    def work(pattern: str) -> dict[str, int]:
        mine = assignments if pattern == "*" else [pattern]
        return {s: sum(s in todo[a] for a in mine) for s in todo[pattern]}

    tasks = [Task(step, p, group) for p in patterns for group in split(work(p), groups)]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(lambda t: run(nbgrader_command(t, present[t.assignment]), course, log),
                      tasks))
    missing = [(a, s) for a in assignments for s in todo[a] if not graded(course, step, a, s)]
    failures = []
    for assignment, student in missing:  # once more, on its own, so one cannot spoil a group
        _, output = run(nbgrader_command(Task(step, assignment, [student]),
                                         present[assignment]), course, log, capture=True)
        if not graded(course, step, assignment, student):
            failures.append(Failure(assignment, student, step, why_it_failed(output)))
    return failures


def why_it_failed(output: str) -> str:
    """What nbgrader's output says went wrong, in a sentence an instructor can act on."""
    if re.search(r"Timeout|timed out", output):
        return ("it timed out: a cell or the whole notebook ran past the limits in "
                "nbgrader_config.py (GradeInSandbox.timeout, submission_timeout)")
    if "NotJSONError" in output or "JSONDecodeError" in output:
        return "the notebook is not valid JSON (a broken or truncated file)"
    if "No notebooks found" in output:
        return "nbgrader found no notebook of the assignment in the submission folder"
    errors = [line.strip() for line in output.splitlines()
              if re.search(r"\w+(Error|Exception)\b", line)]
    if errors:
        return f"nbgrader stopped with {errors[-1][:200]}"
    return "nbgrader wrote no result; the log has its output"


def expected_notebooks(course: Path, assignment: str) -> list[str]:
    return sorted(p.name for p in (course / "source" / assignment).glob("*.ipynb"))


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be graded as a notebook, or None."""
    if path.is_symlink():  # never read through a link a student handed in
        return f"{path.name} is a symbolic link, not a file: ask for the notebook itself"
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return f"{path.name} is empty (0 bytes of notebook): ask the student to hand it in again"
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        # The parser ran out of text (inside a string, or between values): cut short.
        if error.msg.startswith("Unterminated string") or error.pos >= len(text.rstrip()) - 1:
            return (f"{path.name} is truncated: the file stops in the middle of the notebook "
                    f"(after {len(text):,} characters), as an interrupted upload or save "
                    "leaves it; ask the student to hand it in again")
        return (f"{path.name} is not a notebook: it is not JSON (line {error.lineno}: "
                f"{error.msg}); ask the student for the .ipynb file itself")
    if not isinstance(content, dict) or "cells" not in content:
        return f"{path.name} is JSON but not a Jupyter notebook (it has no cells)"
    return None


def check_submission(course: Path, assignment: str, student: str
                     ) -> tuple[str | None, list[str]]:
    """Before grading: (why the submission cannot be graded or None, what was done to it).

    A single notebook under another name (``02-forward-pass (1).ipynb``) is renamed to the
    assignment's name; a submission without ``timestamp.txt`` (copied by hand) gets one from
    its notebook's file time, so lateness is judged and ``release_feedback`` works.
    """
    folder = course / "submitted" / student / assignment
    expected = expected_notebooks(course, assignment)
    found = sorted(p.name for p in folder.glob("*.ipynb") if p.is_file())
    done = []
    absent = [name for name in expected if name not in found]
    if absent:
        others = [name for name in found if name not in expected]
        if len(absent) == 1 and len(others) == 1:
            (folder / others[0]).rename(folder / absent[0])
            done.append(f"graded {others[0]!r} as {absent[0]} (renamed in {folder})")
        elif not found:
            return (f"no notebook in {folder} (expected {', '.join(expected)}); files there: "
                    f"{', '.join(sorted(p.name for p in folder.iterdir())) or 'none'}"), done
        else:
            return (f"no {', '.join(absent)} in {folder}, but {', '.join(others)}: rename the "
                    "one to grade to the assignment's name and grade again"), done
    stamp = folder / "timestamp.txt"
    if not stamp.is_file():  # even for a broken notebook: when it came is on record
        moment = datetime.datetime.fromtimestamp(
            max((folder / name).lstat().st_mtime for name in expected), datetime.timezone.utc)
        stamp.write_text(moment.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
        done.append(f"no timestamp.txt (copied by hand?): took the notebook's file time, "
                    f"{moment:%Y-%m-%d %H:%M} UTC, as the submission time")
    for name in expected:
        problem = notebook_problem(folder / name)
        if problem:
            return problem, done
    return None, done


@dataclass
class Outcome:
    """One student's result on one assignment, as the report and the exports give it."""
    student: str
    assignment: str
    status: str  # graded, late, failed, missing, not graded, not collected
    note: str = ""
    raw_score: float | None = None
    penalty: float | None = None
    score: float | None = None
    max_score: float | None = None
    seconds_late: float = 0.0
    timestamp: str = ""
    duedate: str = ""


def outcomes(course: Path, failures: list[Failure], notes: dict[tuple[str, str], list[str]],
             settings: GradebookSettings | None = None
             ) -> tuple[list[dict], list[str], list[Outcome]]:
    """The students, the assignments and every student's outcome on each, from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    from nnbook.grader.late import describe_lateness

    settings = settings or gradebook_settings(course)
    failed = {(f.assignment, f.student): f for f in failures}
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    with Gradebook(settings.db_url, settings.course_id) as gradebook:
        known = {s.id: s.to_dict() for s in gradebook.students}
        handed_in = {a: submissions(course, a) for a in assignments_with_submissions(course)}
        for name in sorted({s for names in handed_in.values() for s in names} - set(known)):
            known[name] = {"id": name, "first_name": None, "last_name": None, "email": None,
                           "lms_user_id": None}
        assignments = sorted({a.name for a in gradebook.assignments} | set(handed_in))
        results = []
        for assignment in assignments:
            try:
                duedate = gradebook.find_assignment(assignment).duedate
                max_score = gradebook.find_assignment(assignment).max_score
            except MissingEntry:
                duedate, max_score = None, None
            for student in sorted(known):
                outcome = Outcome(student, assignment, "missing", max_score=max_score,
                                  duedate=f"{duedate:%Y-%m-%d %H:%M}" if duedate else "")
                extra = notes.get((assignment, student), [])
                if (assignment, student) in failed:
                    failure = failed[(assignment, student)]
                    outcome.status = "failed"
                    outcome.note = f"{failure.step} failed: {failure.reason}"
                elif student in handed_in.get(assignment, []):
                    try:
                        submission = gradebook.find_submission(assignment, student)
                    except MissingEntry:
                        outcome.status = "not graded"
                        outcome.note = "handed in, not graded yet (run python -m nnbook.grade)"
                    else:
                        outcome.raw_score = submission.score
                        outcome.penalty = submission.late_submission_penalty or 0.0
                        outcome.score = max(0.0, submission.score - outcome.penalty)
                        outcome.seconds_late = submission.total_seconds_late
                        if submission.timestamp:
                            outcome.timestamp = f"{submission.timestamp:%Y-%m-%d %H:%M}"
                        outcome.status = "late" if outcome.seconds_late > 0 else "graded"
                        if outcome.status == "late":
                            outcome.note = (f"{describe_lateness(outcome.seconds_late)} late, "
                                            f"penalty {outcome.penalty:g}")
                elif not handed_in.get(assignment):
                    outcome.status = "not collected"
                    outcome.note = "nobody's submission collected yet"
                elif duedate and duedate > now:
                    outcome.note = f"not handed in; due {duedate:%Y-%m-%d %H:%M} UTC"
                else:
                    outcome.note = "not handed in"
                outcome.note = "; ".join([*([outcome.note] if outcome.note else []), *extra])
                results.append(outcome)
    students = [known[s] for s in sorted(known)]
    return students, assignments, results


def export(course: Path, where: Path, students: list[dict], assignments: list[str],
           results: list[Outcome]) -> list[Path]:
    """grades.csv (every outcome, with its status) and the Canvas and Moodle imports."""
    from nnbook.grader import lms

    fields = ["student_id", "lms_user_id", "assignment", "status", "raw_score",
              "late_penalty", "score", "max_score", "duedate", "timestamp", "seconds_late",
              "note"]
    lms_ids = {s["id"]: s["lms_user_id"] or "" for s in students}
    rows = [fields] + [[o.student, lms_ids[o.student], o.assignment, o.status,
                        lms.format_points(o.raw_score), lms.format_points(o.penalty),
                        lms.format_points(o.score), lms.format_points(o.max_score), o.duedate,
                        o.timestamp, f"{o.seconds_late:.0f}", o.note] for o in results]
    lms.write_csv(where, rows)
    totals = {"score": {(o.student, o.assignment): o.score for o in results},
              "max": {o.assignment: o.max_score for o in results},
              "note": {(o.student, o.assignment): f"{o.status}: {o.note}" if o.note
                       else o.status for o in results}}
    canvas = where.with_name(f"{where.stem}-canvas.csv")
    moodle = where.with_name(f"{where.stem}-moodle.csv")
    lms.write_csv(canvas, lms.canvas_rows(students, assignments, totals))
    lms.write_csv(moodle, lms.moodle_rows(students, assignments, totals))
    return [where, canvas, moodle]


def print_report(assignments: list[str], results: list[Outcome]) -> None:
    """One line per student: each assignment's score (with "late") or status."""
    by_key = {(o.student, o.assignment): o for o in results}
    students = sorted({o.student for o in results})
    width = max([len(s) for s in students] + [7])
    print(f"{'student':<{width}}  " + "  ".join(f"{a:<18}" for a in assignments))
    for student in students:
        cells = []
        for assignment in assignments:
            o = by_key[(student, assignment)]
            text = o.status if o.score is None else f"{o.score:g}/{o.max_score:g}"
            cells.append(f"{text + (' late' if o.status == 'late' else ''):<18}")
        print(f"{student:<{width}}  " + "  ".join(cells).rstrip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook.grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", help="assignments (chapters) to grade")
    parser.add_argument("--all", action="store_true",
                        help="grade every assignment that has submissions")
    parser.add_argument("--student", action="append", dest="students", metavar="ID",
                        help="grade only this student's submissions (repeat for several); "
                             "the exports still cover everyone")
    parser.add_argument("--export-only", action="store_true",
                        help="grade nothing: write grades.csv and the LMS imports from the "
                             "gradebook as it is")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="grading processes at once (default: the number of CPU cores)")
    parser.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the nbgrader course folder (default: the current folder)")
    parser.add_argument("--csv", default="grades.csv",
                        help="where to export the grades (the Canvas and Moodle imports go "
                             "beside it, as <name>-canvas.csv and <name>-moodle.csv)")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run every submission's kernel without the sandbox, trusting it "
                             "with your files and accounts (only for code you wrote yourself)")
    args = parser.parse_args(argv)

    course = args.course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        parser.error(f"{course} is not an nbgrader course (no nbgrader_config.py); run this "
                     "in autograder/ or pass --course autograder")
    try:
        settings = gradebook_settings(course)
    except Exception as problem:  # a broken nbgrader_config.py
        print(f"error: cannot read the course's gradebook settings: {problem}", file=sys.stderr)
        return 2
    problem = gradebook_problem(settings)
    if problem:  # before any grading: every nbgrader run would fail the same way
        print(f"error: cannot open the gradebook {shown_url(settings.db_url)}: {problem}",
              file=sys.stderr)
        return 2
    if args.export_only:
        students, assignments, results = outcomes(course, [], {}, settings)
        for path in export(course, course / args.csv, students, assignments, results):
            print(f"wrote {path}")
        return 0
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    assignments = assignments_with_submissions(course) if args.all else args.assignments
    if not assignments:
        parser.error("name the assignments to grade, or pass --all")
    only = set(args.students) if args.students else None
    for assignment in assignments:
        chosen = [s for s in submissions(course, assignment) if only is None or s in only]
        if not chosen:
            whose = f" by {', '.join(sorted(only))}" if only else ""
            parser.error(f"no submissions{whose} for {assignment!r} in {course / 'submitted'}")

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
    with open(log, "a") as handle:  # every run is kept, each under a header
        now = datetime.datetime.now(datetime.timezone.utc)
        command = " ".join(sys.argv[1:] if argv is None else argv)
        handle.write(f"\n===== {now:%Y-%m-%d %H:%M:%S} UTC: python -m nnbook.grade {command} "
                     "=====\n")
    failures, notes = [], {}
    for assignment in assignments:
        for student in submissions(course, assignment):
            if only is not None and student not in only:
                continue
            problem, done = check_submission(course, assignment, student)
            if done:
                notes[(assignment, student)] = done
            if problem:
                failures.append(Failure(assignment, student, "check", problem))
    before = integrity.fingerprint(course)
    started = time.monotonic()
    skip = {(f.assignment, f.student) for f in failures}
    failures += run_step(course, "autograde", assignments, args.jobs, log, skip, only)
    graded_at = time.monotonic()
    skip = {(f.assignment, f.student) for f in failures}
    failures += run_step(course, "generate_feedback", assignments, args.jobs, log, skip, only)
    removed = clean_feedback(course, assignments)
    skip = {(f.assignment, f.student) for f in failures}
    graded = [(a, s) for a in assignments for s in submissions(course, a)
              if (a, s) not in skip and (only is None or s in only)]
    problems = integrity.changed(before, integrity.fingerprint(course))
    problems += integrity.gradebook_mismatches(course, graded, settings.db_url,
                                               settings.course_id)

    students, every_assignment, results = outcomes(course, failures, notes, settings)
    exported = export(course, course / args.csv, students, every_assignment, results)
    here = [o for o in results
            if o.assignment in assignments and (only is None or o.student in only)]
    print_report(assignments, here)
    count = Counter(o.status for o in here)
    print(f"autograded {len(graded)} submission(s) of {len(assignments)} assignment(s) "
          f"({count['late']} late) in {graded_at - started:.1f} s with {args.jobs} processes; "
          f"feedback in {time.monotonic() - graded_at:.1f} s; {len(failures)} failed; "
          f"{count['missing']} missing (students without a submission)")
    print(f"grades in {', '.join(str(p) for p in exported)}; log in {log}")
    if settings.db_url != f"sqlite:///{course / 'gradebook.db'}":  # say which, when shared
        print(f"gradebook: {shown_url(settings.db_url)} (course {settings.course_id})")
    for (assignment, student), done in sorted(notes.items()):
        for line in done:
            print(f"NOTE: {student} / {assignment}: {line}")
    for failure in failures:
        step = {"check": "before grading", "autograde": "autograde",
                "generate_feedback": "feedback"}[failure.step]
        print(f"FAILED ({step}): {failure.student} / {failure.assignment}: {failure.reason}",
              file=sys.stderr)
    for path in removed:
        print(f"removed from the feedback folder (not feedback, or too large): {path}")
    for problem in problems:
        print(f"INTEGRITY: {problem}", file=sys.stderr)
    if problems:
        print("INTEGRITY: the course was changed during grading or the gradebook disagrees "
              "with the grader; check the files and students named above before releasing "
              "feedback.", file=sys.stderr)
    return 1 if failures or problems else 0


#: Files nbgrader writes beside a submission (collect, zip_collect) and release_feedback reads.
NBGRADER_FILES = ("timestamp.txt", "submission_secret.txt")

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
                if path.parent == folder and path.name in NBGRADER_FILES \
                        and not path.is_symlink() and path.stat().st_size < 1000:
                    continue  # nbgrader's own; release_feedback reads them
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


@dataclass(frozen=True)
class GradebookSettings:
    db_url: str  # may hold a password: never print it (see shown_url)
    course_id: str


def gradebook_settings(course: Path) -> GradebookSettings:
    """The gradebook's URL and the course id, as every nbgrader command run in ``course`` reads
    them: from nbgrader_config.py in the Jupyter config folders (``~/.jupyter``,
    ``/etc/jupyter``, ...) and in the course. Without a ``CourseDirectory.db_url`` the gradebook
    is ``gradebook.db`` in the course; a shared one is a PostgreSQL URL (``postgresql+psycopg://``).
    """
    from nbgrader.apps.baseapp import NbGrader

    # nbgrader reads the config of the folder it runs in and puts that folder on sys.path.
    here, path = os.getcwd(), list(sys.path)
    os.chdir(course)
    try:
        app = NbGrader()
        app.initialize([])
        return GradebookSettings(app.coursedir.db_url, app.coursedir.course_id)
    finally:
        os.chdir(here)
        sys.path[:] = path


def gradebook_problem(settings: GradebookSettings) -> str | None:
    """Why the gradebook cannot be opened (no driver, no server, wrong password), or None."""
    from nbgrader.api import Gradebook

    try:
        with Gradebook(settings.db_url, settings.course_id):
            return None
    except ModuleNotFoundError as error:
        return (f"{error}: install the database's driver (for postgresql+psycopg://, "
                "psycopg[binary] from requirements.txt)")
    except Exception as error:  # SQLAlchemy wraps the driver's error; its message says why
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        return (f"{reason[:500]} (check the server, the database, the user and its password "
                "in ~/.pgpass)" if settings.db_url.startswith("postgresql") else reason[:500])


def shown_url(db_url: str) -> str:
    """The gradebook URL with its password (if any) masked, for reports and logs."""
    from sqlalchemy.engine import make_url

    return make_url(db_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
