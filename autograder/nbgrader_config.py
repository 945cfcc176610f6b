"""nbgrader configuration of the course. Run every nbgrader command from this folder."""

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)

c.CourseDirectory.course_id = "backprop-book"
# One assignment per chapter; its source is source/<chapter>/<chapter>.ipynb. The course root
# is the folder you run nbgrader in (this one); the gradebook is gradebook.db here.

# The class list lives in the gradebook (gradebook.db), not in this file: import it with
# `nbgrader db student import roster.csv` (the format of roster.example.csv) or add students
# one by one with `nbgrader db student add ID --first-name=... --last-name=...`.

# With JupyterHub, releasing and collecting go through nbgrader's exchange folder, which must
# exist and be writable by everyone (see the instructor guide, "The course on JupyterHub"):
# c.Exchange.root = "/srv/nbgrader/exchange"

# A gradebook shared by several graders, on a PostgreSQL server (the guide's "A shared
# gradebook on PostgreSQL"); its password goes in the grading account's ~/.pgpass, not here:
# c.CourseDirectory.db_url = "postgresql+psycopg://grader@db.example.org/backprop_book"

# A cell that runs longer than this is stopped and counts as failed; the rest still runs.
c.GradeInSandbox.timeout = 60
c.GradeInSandbox.interrupt_on_timeout = True

# The stub that replaces each solution in the released notebooks.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading a whole class safely (nnbook/grader/): every kernel runs in a bubblewrap sandbox that
# sees only a scratch copy of the student's folder; each graded cell is judged outside it by the
# chapter's hidden tests in hidden_tests/<chapter>.py (never released, never in a notebook);
# deleted check cells come back, a copy-pasted check cell does not spoil the notebook, a kernel
# that dies costs one cell, huge outputs are cut, and feedback carries no student HTML or script.
from nbconvert.preprocessors import (  # noqa: E402
    ClearMetadataPreprocessor,
    CSSHTMLHeaderPreprocessor,
)
from nbgrader.preprocessors import (  # noqa: E402
    AssignLatePenalties,
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    GetGrades,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    SaveCells,
)

from nnbook.grader.late import NoteLateSubmission, PerDayPenalty  # noqa: E402
from nnbook.grader.lms import (  # noqa: E402
    KeepTimesExtractor,
    LMSCollector,
    ReleaseFeedbackThroughExchange,
)
from nnbook.grader.preprocessors import (  # noqa: E402
    FixGradeIds,
    GradeInSandbox,
    LimitOutputSize,
    RepairSchema,
    RestoreDeletedCells,
    SanitizeFeedback,
)

c.Autograde.sanitize_preprocessors = [
    RepairSchema, ClearOutput, FixGradeIds, OverwriteKernelspec, RestoreDeletedCells,
    OverwriteCells, CheckCellMetadata,
]
c.Autograde.autograde_preprocessors = [
    GradeInSandbox, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, LimitOutputSize,
    SaveAutoGrades, AssignLatePenalties, CheckCellMetadata,
]
c.GenerateFeedback.preprocessors = [GetGrades, SanitizeFeedback, NoteLateSubmission,
                                    CSSHTMLHeaderPreprocessor]
c.HTMLExporter.sanitize_html = True
c.LimitOutputSize.max_chars = 20_000

# The sandbox of each submission's kernel (nnbook/grader/sandbox.py). Raise a limit if an honest
# notebook hits it; python -m nnbook.grade --unsafe-no-sandbox switches the sandbox off.
c.SandboxedKernelManager.memory_mb = 4096  # memory one kernel may use
c.SandboxedKernelManager.max_processes = 64  # processes and threads
c.SandboxedKernelManager.max_file_mb = 64  # the largest file it may write
c.SandboxedKernelManager.cpu_seconds = 900  # CPU time in all
c.SandboxedKernelManager.disk_mb = 256  # its scratch folder, and each of /tmp and HOME
# One call of a learner's function from a hidden test, and a whole notebook, grading included.
c.GradeInSandbox.call_timeout = 10
c.GradeInSandbox.submission_timeout = 900

# Releasing: nbgrader's own steps, plus two before the checksums (so that the gradebook records
# the cells as released): the first code cell says how to install the book's package where it
# is missing (nnbook/install_hint.py), and the book's MyST markup is rewritten so that it reads
# right in JupyterLab (nnbook/jupyterlab_markup.py); and, last, the learners' cell metadata (Run
# All goes through an unfinished notebook). The generator's exercises/ are made the same way.
from nnbook.install_hint import GuardImports  # noqa: E402
from nnbook.jupyterlab_markup import JupyterLabMarkup, PrepareForLearners  # noqa: E402

c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, GuardImports, LockCells, ClearSolutions, ClearOutput,
    CheckCellMetadata, JupyterLabMarkup, ComputeChecksums, SaveCells, ClearHiddenTests,
    ClearMarkScheme, ComputeChecksums, CheckCellMetadata, PrepareForLearners,
]

# Late work. Each chapter's due date is in the gradebook:
#   nbgrader db assignment add 02-forward-pass --duedate="2026-10-09 23:59:00 UTC"
# A submission's time is its timestamp.txt (written by nbgrader collect, zip_collect, or
# python -m nnbook.grade from the notebook's file time for a hand-copied one). The penalty:
# nothing within the grace period, then a share of the score per day or part day, capped.
# The feedback of every late submission says how late it was and what it cost.
c.AssignLatePenalties.plugin_class = PerDayPenalty
c.PerDayPenalty.grace_minutes = 15
c.PerDayPenalty.percent_per_day = 10
c.PerDayPenalty.max_percent = 100

# Downloads from a learning platform: put the archive ("download all submissions" of Canvas or
# Moodle) in downloaded/<chapter>/archive/ and run `nbgrader zip_collect <chapter>`. Files are
# matched to students by the lms_user_id of the roster (Moodle: or by full name); the time the
# archive stores for each file becomes its submission time.
c.ZipCollectApp.extractor_plugin = KeepTimesExtractor
c.ZipCollectApp.collector_plugin = LMSCollector
# release_feedback (with the exchange) leaves out, by name, what did not come through it.
c.ExchangeFactory.release_feedback = ReleaseFeedbackThroughExchange

# nbgrader's log without known harmless messages (nnbook/grader/logfilter.py).
import warnings  # noqa: E402

from sqlalchemy.exc import SAWarning  # noqa: E402

c.Application.logging_config = {
    "filters": {"known_noise": {"()": "nnbook.grader.logfilter.KnownNoise"}},
    "handlers": {"console": {"filters": ["known_noise"]}},
}
# nbgrader's own database code, on every autograde run; nothing a course can act on.
warnings.filterwarnings("ignore", message="Object of type .* not in session",
                        category=SAWarning)
