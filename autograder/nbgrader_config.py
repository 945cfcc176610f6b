"""nbgrader configuration of the course. Run every nbgrader command from this folder."""

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop-book"
# One assignment per chapter; its source is source/<chapter>/<chapter>.ipynb. The course root
# is the folder you run nbgrader in (this one); the gradebook is gradebook.db here.

# The class list lives in the gradebook (gradebook.db), not in this file: import it with
# `nbgrader db student import roster.csv` (the format of roster.example.csv) or add students
# one by one with `nbgrader db student add ID --first-name=... --last-name=...`.

# With JupyterHub, releasing and collecting go through nbgrader's exchange folder, which must
# exist and be writable by everyone (see the instructor guide):
# c.Exchange.root = "/srv/nbgrader/exchange"

# A cell that runs longer than this is stopped and counts as failed; the rest still runs.
c.ExecutePreprocessor.timeout = 60
c.ExecutePreprocessor.interrupt_on_timeout = True

# The stub that replaces each solution in the released notebooks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading a whole class safely (nnbook/grading.py): deleted check cells come back, a submission
# that kills its kernel still gets graded, huge outputs are cut, and the feedback students get
# shows neither the hidden tests nor tracebacks quoting them.
from nbconvert.preprocessors import (  # noqa: E402
    ClearMetadataPreprocessor,
    CSSHTMLHeaderPreprocessor,
)
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearOutput,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    LimitOutput,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
)

from nnbook.grading import (  # noqa: E402
    HideHiddenTests,
    LimitOutputSize,
    ResilientExecute,
    RestoreDeletedCells,
)

c.Autograde.sanitize_preprocessors = [
    ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreDeletedCells, OverwriteCells,
    CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    ResilientExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, LimitOutputSize,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
c.LimitOutputSize.max_chars = 20_000
