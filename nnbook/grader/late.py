"""Late work: the course's penalty for a late submission, and a note about it in the feedback.

nbgrader knows each assignment's due date (``nbgrader db assignment add <chapter>
--duedate=...``) and each submission's time (``timestamp.txt`` beside the notebook). It offers
two policies only, no penalty or zero; :class:`PerDayPenalty` is the course's: a grace period,
then a share of the score per day started, capped. The feedback page shows nbgrader's penalty
line only when a penalty was taken; :class:`NoteLateSubmission` tells every late student how
late their work was and what it cost, even when the cost was nothing.
"""

from __future__ import annotations

import datetime
import math

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float

DAY = 24 * 3600


class PerDayPenalty(LateSubmissionPlugin):
    """After ``grace_minutes``, ``percent_per_day`` of the score per day (or part day) late."""

    grace_minutes = Float(15.0, help="Minutes after the due date that still count as on "
                                     "time").tag(config=True)
    percent_per_day = Float(10.0, help="Share of the score taken per day started after the "
                                       "grace period").tag(config=True)
    max_percent = Float(100.0, help="The largest share of the score taken").tag(config=True)

    def days_late(self, total_seconds_late: float) -> int:
        """Days started after the grace period (0 when on time or within it)."""
        late = total_seconds_late - 60 * self.grace_minutes
        return math.ceil(late / DAY) if late > 0 else 0

    def percent(self, total_seconds_late: float) -> float:
        return min(self.max_percent, self.percent_per_day * self.days_late(total_seconds_late))

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float:
        return round(score * self.percent(total_seconds_late) / 100, 2)


def describe_lateness(total_seconds_late: float) -> str:
    """'1 day 3 h 20 min' for a number of seconds."""
    minutes = math.ceil(total_seconds_late / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)


class NoteLateSubmission(NbGraderPreprocessor):
    """Put a short note at the top of a late submission's feedback: how late, what it cost."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        try:
            with Gradebook(info["db_url"]) as gradebook:
                submission = gradebook.find_submission_notebook(
                    info["notebook"], info["assignment"], info["student"])
                seconds_late = submission.assignment.total_seconds_late
                duedate = submission.assignment.duedate
                timestamp = submission.assignment.timestamp
                penalty = submission.late_submission_penalty or 0
        except MissingEntry:
            return nb, resources
        if seconds_late <= 0:
            return nb, resources
        text = (f"**Submitted late.** Due {format_time(duedate)}, handed in "
                f"{format_time(timestamp)}: {describe_lateness(seconds_late)} late. ")
        text += (f"Late penalty: {penalty:g} point(s) taken from your score."
                 if penalty else "Within the course's grace period: no points taken.")
        note = nbformat.v4.new_markdown_cell(text)
        # Locked, so that the feedback sanitiser treats it as course text, not the student's.
        note.metadata["nbgrader"] = {"grade": False, "solution": False, "locked": True,
                                     "grade_id": "late-submission-note", "schema_version": 3}
        nb.cells.insert(0, note)
        return nb, resources


def format_time(moment: datetime.datetime | None) -> str:
    return "(unknown)" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")
