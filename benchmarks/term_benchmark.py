"""What a term costs the grading machine: every step of the term through nbgrader's exchange,
timed for a class, and the cost of grading one submission.

    .venv/bin/python benchmarks/term_benchmark.py                    # 30 students, chapters 01, 02
    .venv/bin/python benchmarks/term_benchmark.py --students 6 --chapters 01-notation --jobs 2

A copy of the course gets an exchange in a temporary folder. The instructor releases each
chapter; every student, in a home of their own, fetches it, hands in their work and submits (a
third the solution, a third the untouched release, a third the release with the first exercise
solved); the instructor collects, grades with ``python -m nnbook.grade`` (each kernel in its
sandbox), releases feedback, students fetch it, and the grades are exported. The students run
as this user, naming themselves with ``--student``; on a hub each would run on their own server.

For each step it prints the wall time and the CPU seconds of the processes it ran, and for
grading the cost per submission (CPU seconds, and wall seconds at ``--jobs``) and the peak
memory of one grading job (an ``nbgrader autograde`` process with its sandboxed kernel; the
proportional set size, so shared libraries are counted once), sampled twice a second.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grading_benchmark import first_exercise_only  # noqa: E402

from nnbook import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COURSE_ID = "backprop-book"


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished process this one started, so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PeakMemory:
    """The largest memory of one grading job, sampled while ``python -m nnbook.grade`` runs."""

    def __init__(self, process: subprocess.Popen):
        self.grader = psutil.Process(process.pid)
        self.peak = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._done.wait(0.5):
            try:
                jobs = self.grader.children()
            except psutil.Error:
                return
            for job in jobs:  # each is one nbgrader run; its kernels are below it
                total = 0
                try:
                    for process in [job, *job.children(recursive=True)]:
                        total += process.memory_full_info().pss
                except psutil.Error:
                    continue  # it ended while we looked
                self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak


class Timer:
    def __init__(self):
        self.rows: list[tuple[str, float, float]] = []
        self.peak_job = 0

    def run(self, step: str, commands: list[tuple[list[str], Path, dict]], jobs: int = 1,
            measure_memory: bool = False) -> None:
        """Run ``commands`` (argv, folder, environment), ``jobs`` at a time, as one step."""
        wall, cpu = time.perf_counter(), children_cpu()
        pending = list(commands)
        running: list[tuple[subprocess.Popen, PeakMemory | None, list[str]]] = []
        while pending or running:
            while pending and len(running) < jobs:
                argv, folder, env = pending.pop(0)
                process = subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.PIPE,
                                           stderr=subprocess.STDOUT, text=True)
                running.append((process, PeakMemory(process) if measure_memory else None,
                                argv))
            process, memory, argv = running.pop(0)
            output, _ = process.communicate()
            if memory:
                self.peak_job = max(self.peak_job, memory.stop())
            if process.returncode:
                sys.exit(f"{' '.join(argv)} failed ({process.returncode}):\n{output[-4000:]}")
        self.rows.append((step, time.perf_counter() - wall, children_cpu() - cpu))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--chapters", nargs="*", default=["01-notation", "02-forward-pass"])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="grading processes (python -m nnbook.grade --jobs)")
    args = parser.parse_args()
    chapters = args.chapters
    students = [f"student{n:03d}" for n in range(args.students)]
    python = sys.executable

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        course, exchange = root / "autograder", root / "exchange"
        course.mkdir()
        exchange.mkdir()
        exchange.chmod(0o777)
        shutil.copy(ROOT / "autograder" / "nbgrader_config.py", course)
        shutil.copytree(ROOT / "autograder" / "source", course / "source")
        shutil.copytree(ROOT / "autograder" / "hidden_tests", course / "hidden_tests")
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f'\nc.Exchange.root = "{exchange}"\n')
        env = dict(os.environ, HOME=str(root / "instructor"),
                   PATH=os.pathsep.join([os.path.dirname(python), os.environ["PATH"]]))
        homes = {}
        for student in students:
            home = root / "home" / student
            (home / ".jupyter").mkdir(parents=True)
            (home / ".jupyter" / "nbgrader_config.py").write_text(
                f'c = get_config()\nc.Exchange.root = "{exchange}"\n'
                f'c.CourseDirectory.course_id = "{COURSE_ID}"\n')
            homes[student] = (home, dict(env, HOME=str(home)))

        def nbgrader(*words: str) -> list[str]:
            return [python, "-m", "nbgrader", *words]

        timer = Timer()
        timer.run("release (generate_assignment, release_assignment)",
                  [(nbgrader(step, chapter), course, env) for chapter in chapters
                   for step in ("generate_assignment", "release_assignment")])
        timer.run("students: fetch_assignment (on their servers)",
                  [(nbgrader("fetch_assignment", chapter, f"--student={student}"), home, e)
                   for chapter in chapters for student, (home, e) in homes.items()], jobs=2)
        for chapter in chapters:
            release = nbformat.read(course / "release" / chapter / f"{chapter}.ipynb",
                                    as_version=4)
            solution = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
            kinds = [solution, release,
                     first_exercise_only(release, generate.read_source(chapter))]
            for number, (home, _) in enumerate(homes.values()):
                nbformat.write(kinds[number % 3], home / chapter / f"{chapter}.ipynb")
        timer.run("students: submit (on their servers)",
                  [(nbgrader("submit", chapter, f"--student={student}"), home, e)
                   for chapter in chapters for student, (home, e) in homes.items()], jobs=2)
        timer.run("collect", [(nbgrader("collect", chapter), course, env)
                              for chapter in chapters])
        timer.run(f"grade: python -m nnbook.grade --jobs {args.jobs}",
                  [([python, "-m", "nnbook.grade", *chapters, "--jobs", str(args.jobs)],
                    course, env)], measure_memory=True)
        timer.run("release_feedback", [(nbgrader("release_feedback", chapter), course, env)
                                       for chapter in chapters])
        timer.run("students: fetch_feedback (on their servers)",
                  [(nbgrader("fetch_feedback", chapter, f"--student={student}"), home, e)
                   for chapter in chapters for student, (home, e) in homes.items()], jobs=2)
        timer.run("export: python -m nnbook.grade --export-only",
                  [([python, "-m", "nnbook.grade", "--export-only"], course, env)])
        fetched = sum(1 for home, _ in homes.values() for _ in home.glob("*/feedback/*/*.html"))

    submissions = len(students) * len(chapters)
    print(f"{len(students)} students x {len(chapters)} chapters ({', '.join(chapters)}) = "
          f"{submissions} submissions; {os.cpu_count()} cores ({platform.machine()}), "
          f"{psutil.virtual_memory().total / 2**30:.0f} GiB; grading with --jobs {args.jobs}")
    print(f"{'step':<54}{'wall (s)':>10}{'CPU (s)':>10}")
    for step, wall, cpu in timer.rows:
        print(f"{step:<54}{wall:>10.1f}{cpu:>10.1f}")
    _, wall, cpu = next(row for row in timer.rows if row[0].startswith("grade"))
    print(f"grading, per submission: {cpu / submissions:.2f} s of CPU, "
          f"{wall / submissions:.2f} s of wall time with {args.jobs} jobs; "
          f"peak memory of one grading job: {timer.peak_job / 2**20:.0f} MiB")
    print(f"feedback pages fetched by students: {fetched} of {submissions}")
    return 0 if fetched == submissions else 1


if __name__ == "__main__":
    sys.exit(main())
