"""Keep nbgrader's log about the class: known harmless messages are dropped or made INFO.

Installed on nbgrader's console handler from ``autograder/nbgrader_config.py``
(``c.Application.logging_config``), so every nbgrader command of the course uses it; whatever
is not listed here reaches the log unchanged.
"""

from __future__ import annotations

import logging
import re

#: Said on every feedback run: the course sets an option that only some preprocessors have.
DROPPED = [re.compile(r"Config option `display_data_priority` not recognized")]

#: True but expected; kept in the log at INFO so that WARNING lines are the ones to read.
DEMOTED = [
    # A locked (check) cell differs from the source: OverwriteCells puts the source back, and
    # the cell's score comes from the hidden tests outside the kernel, so nothing is at stake.
    re.compile(r"Attribute 'checksum' for cell .* has changed"),
    # nbconvert, about the book's own figures in the feedback page.
    re.compile(r"Alternative text is missing on \d+ image"),
]


class KnownNoise(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(pattern.search(message) for pattern in DROPPED):
            return False
        if record.levelno == logging.WARNING and any(p.search(message) for p in DEMOTED):
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True
