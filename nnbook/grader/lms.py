"""A learning platform's side of the term: its downloads in, its gradebook imports out.

In: ``nbgrader zip_collect`` with :class:`KeepTimesExtractor` and :class:`LMSCollector`
(configured in ``autograder/nbgrader_config.py``) sorts a Canvas or a Moodle "download all
submissions" archive into ``submitted/<student>/<chapter>/``, matching each file to a student
of the gradebook (by ``lms_user_id`` for Canvas, by full name or ``lms_user_id`` for Moodle)
and keeping the time the archive stores for each file as the submission time.

Out: :func:`write_canvas` and :func:`write_moodle` write one row per student with a total per
chapter; a chapter without a grade (missing, failed, not collected) is an empty cell, never 0.

File names the collector reads (the layouts of the two platforms' archives):

- Canvas: ``<sortablename>_[late_]<canvas user id>_<submission id>_<uploaded file name>``;
- Moodle: ``<Full Name>_<participant id>_assignsubmission_file_<uploaded file name>``, or a
  folder of that name (without the file name) holding the uploaded file.
"""

from __future__ import annotations

import csv
import datetime
import glob
import os
import re
import shutil
import zipfile
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.plugins import ExtractorPlugin, FileNameCollectorPlugin

CANVAS_NAME = re.compile(r"(?P<name>[^_/]+)_(?P<late>late_)?(?P<lms_id>\d+)_(?P<submission>\d+)_"
                         r"(?P<file>.+)", re.IGNORECASE)
MOODLE_NAME = re.compile(r"(?P<name>[^_/]+)_(?P<lms_id>\d+)_assignsubmission_file_(?P<file>.*)")


class KeepTimesExtractor(ExtractorPlugin):
    """Unpack every archive in ``downloaded/<chapter>/archive/``, keeping each file's time.

    nbgrader's own extractor gives every file the time it was unpacked, so the submission time
    the platform stored in the archive is lost. This one sets each file's modification time to
    the archive's (read as UTC) and refuses members that would land outside the folder.
    """

    def extract(self, archive_path: str, extracted_path: str) -> None:
        for entry in sorted(Path(archive_path).iterdir()):
            if entry.suffix == ".zip":
                self.unpack(entry, Path(extracted_path) / entry.stem)
            elif entry.is_file():
                shutil.copy2(entry, extracted_path)

    def unpack(self, archive: Path, where: Path) -> None:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (where / member.filename).resolve()
                if member.is_dir() or not target.is_relative_to(where.resolve()):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, open(target, "wb") as copy:
                    shutil.copyfileobj(source, copy)
                moment = datetime.datetime(*member.date_time, tzinfo=datetime.timezone.utc)
                os.utime(target, (moment.timestamp(), moment.timestamp()))
                self.log.info("Extracted %s (stored time %s)", target, moment.isoformat())


class LMSCollector(FileNameCollectorPlugin):
    """Find the student and the notebook of each file of a Canvas or Moodle download."""

    def collect(self, submitted_file: str) -> dict | None:
        path = Path(submitted_file)
        if path.suffix not in self.valid_ext:
            return None
        match = CANVAS_NAME.fullmatch(path.name)
        platform = "Canvas"
        if match is None:
            platform = "Moodle"
            match = MOODLE_NAME.fullmatch(path.name)
            if match is None or not match["file"]:
                match = MOODLE_NAME.fullmatch(path.parent.name)
        if match is None:
            self.log.warning("Not a Canvas or Moodle submission file name, skipped: %s",
                             path.name)
            return None
        file_name = match["file"] or path.name
        student = self.find_student(platform, match["lms_id"], match["name"])
        if student is None:
            self.log.warning(
                "%s file %s: no student in the gradebook has lms_user_id %s%s; import the "
                "roster with its lms_user_id column (nbgrader db student import roster.csv)",
                platform, path.name, match["lms_id"],
                f" or the name {match['name']!r}" if platform == "Moodle" else "")
            return None
        moment = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.timezone.utc)
        return {"student_id": student, "file_id": file_name,
                "timestamp": moment.strftime("%Y-%m-%d %H:%M:%S UTC")}

    def find_student(self, platform: str, lms_id: str, name: str) -> str | None:
        with Gradebook(self.parent.coursedir.db_url) as gradebook:
            students = gradebook.students
            for student in students:
                if student.lms_user_id == lms_id:
                    return student.id
            if platform == "Moodle":
                wanted = " ".join(name.split()).casefold()
                for student in students:
                    full = f"{student.first_name or ''} {student.last_name or ''}"
                    if " ".join(full.split()).casefold() == wanted:
                        return student.id
        return None


class ReleaseFeedbackThroughExchange(ExchangeReleaseFeedback):
    """``nbgrader release_feedback`` for the submissions that came through the exchange.

    A student fetches feedback by a secret that ``nbgrader submit`` wrote into the submission
    (``submission_secret.txt``). A submission copied by hand or unpacked by ``zip_collect`` has
    none, so nbgrader's own command stops with FileNotFoundError; this one leaves those out,
    naming each and the page to return through the learning platform instead.
    """

    def copy_files(self):
        skipped = set()
        for page in sorted(map(Path, glob.glob(os.path.join(self.src_path, "*.html")))):
            if not (page.parent / "submission_secret.txt").is_file() or \
                    not (page.parent / "timestamp.txt").is_file():
                student = page.parent.parent.name
                skipped.add(student)
                self.log.warning("%s did not submit through the exchange (no "
                                 "submission_secret.txt), so it cannot fetch feedback: return "
                                 "%s through your learning platform", student, page)
        if skipped:
            excluded = {s for s in self.coursedir.student_id_exclude.split(",") if s}
            self.coursedir.student_id_exclude = ",".join(sorted(excluded | skipped))
        super().copy_files()


def canvas_rows(students: list[dict], assignments: list[str], totals: dict) -> list[list]:
    """Canvas's gradebook import: the student columns Canvas expects, one column per chapter.

    Canvas matches a row to a student by ``ID`` (the Canvas user id, our ``lms_user_id``) and
    skips an empty cell; the second row gives each chapter's points possible.
    """
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments]
    points = ["Points Possible", "", "", "", "",
              *(format_points(totals["max"].get(a)) for a in assignments)]
    rows = [header, points]
    for student in students:
        name = ", ".join(part for part in (student["last_name"], student["first_name"]) if part)
        rows.append([name or student["id"], student["lms_user_id"] or "", "", student["id"], "",
                     *(format_points(totals["score"].get((student["id"], a)))
                       for a in assignments)])
    return rows


def moodle_rows(students: list[dict], assignments: list[str], totals: dict) -> list[list]:
    """Moodle's "Import grades: CSV file": any columns, mapped on import.

    Map the user by ``ID number`` (our ``lms_user_id``) or ``Email address``; map each chapter
    column to its grade item and each ``<chapter> feedback`` column to that item's feedback.
    An empty grade cell imports no grade.
    """
    header = ["ID number", "Email address", "First name", "Last name"]
    for assignment in assignments:
        header += [assignment, f"{assignment} feedback"]
    rows = [header]
    for student in students:
        row = [student["lms_user_id"] or "", student["email"] or "", student["first_name"] or "",
               student["last_name"] or ""]
        for assignment in assignments:
            row += [format_points(totals["score"].get((student["id"], assignment))),
                    totals["note"].get((student["id"], assignment), "")]
        rows.append(row)
    return rows


def format_points(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_csv(path: Path, rows: list[list]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
