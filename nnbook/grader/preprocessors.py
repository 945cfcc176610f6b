"""nbgrader preprocessors that grade a class safely; switched on in ``nbgrader_config.py``.

- :class:`RepairSchema` runs first: what nbformat's schema refuses in a hand-edited notebook
  (a tag with a comma, metadata of the wrong type) is dropped, so the notebook can be graded;
- :class:`RestoreDeletedCells` puts back the locked cells (setup, visible checks) that a
  student deleted, where the source has them, before nbgrader restores their contents;
- :class:`FixGradeIds` keeps a notebook gradable when a graded cell was copy-pasted (two
  cells with one grade_id) or its id was mangled: the copy becomes an ordinary cell;
- :class:`GradeInSandbox` runs the notebook in a sandboxed kernel (``sandbox.py``) and judges
  every graded cell *outside* it, with the chapter's hidden tests (``hidden.py``): the cell's
  outputs become the grader's verdict, whatever the kernel printed. A kernel that dies costs
  one cell; a cell that overruns is stopped and named; a submission has a time budget;
- :class:`LimitOutputSize` cuts huge outputs down to a readable size;
- :class:`SanitizeFeedback` keeps student HTML and JavaScript out of the feedback.
"""

from __future__ import annotations

import copy
import json
import os
import re
import time
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode, read
from nbformat.validator import iter_validate
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Float, Integer

from nnbook.checks import CheckFailed
from nnbook.grader import hidden
from nnbook.grader.bridge import Kernel, KernelGone
from nnbook.grader.sandbox import SandboxedKernelManager

KERNEL_DIED = (
    "The kernel stopped while running this cell (the code exited the Python process, for "
    "example with os._exit, crashed it, or went over a memory, disk or CPU limit). Grading "
    "went on in a fresh kernel: the cells that had worked were run again, then the cells "
    "after this one."
)
CUT = "\n... more output was dropped while grading ...\n"
#: Where the grader keeps what it judged, per assignment and student (never in a sandbox).
VERDICTS = ".grading/verdicts"


def course_root(resources) -> Path:
    """The course folder: where nbgrader keeps the gradebook (it derives that from the root)."""
    db_url = resources.get("nbgrader", {}).get("db_url", "")
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///"):]).resolve().parent
    return Path(os.getcwd())


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _error(ename: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=message,
                        traceback=[f"{ename}: {message}"])


def _stream(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=text)


class GradeInSandbox(Execute):
    """Run in a sandboxed kernel; judge each graded cell with its hidden test, out here."""

    call_timeout = Float(10.0, help="seconds one call of a learner's function may take in a "
                                    "hidden test").tag(config=True)
    submission_timeout = Integer(900, help="seconds a whole notebook may take, grading "
                                           "included; later cells are not run").tag(config=True)

    # A kernel flooding its output can leave the last messages late: keep grading then.
    raise_on_iopub_timeout = Bool(False, help="fail the notebook when a cell's output "
                                              "arrives late").tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    # -- the notebook, kernel after kernel ----------------------------------------------
    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        info = resources.get("nbgrader", {})
        self._course = course_root(resources)
        self._tests = hidden.load(self._course, info.get("assignment", ""))
        self._verdicts: dict[str, dict] = {}
        self._deadline = time.monotonic() + self.submission_timeout
        self._bridge: Kernel | None = None
        self._overran: set[str] = set()
        self._output_chars: dict[int, int] = {}
        finished: list[int] = []  # cells that ran without killing the kernel
        start = 0
        while start < len(self.nb.cells):
            with self.setup_kernel():
                try:
                    info_reply = self.wait_for_reply(self.kc.kernel_info())
                    self.nb.metadata["language_info"] = info_reply["content"]["language_info"]
                    replayed = True
                    for index in list(finished):  # rebuild a fresh kernel's state, silently
                        try:
                            self.execute_cell(copy.deepcopy(self.nb.cells[index]), index,
                                              store_history=False)
                        except (DeadKernelError, CellTimeoutError):  # leave it out now
                            finished.remove(index)
                            replayed = False
                            break
                    if not replayed:
                        continue
                    index = start
                    try:
                        while index < len(self.nb.cells):
                            self.preprocess_cell(self.nb.cells[index], resources, index)
                            finished.append(index)
                            index += 1
                    except DeadKernelError:
                        self.log.warning("Kernel died in cell %d; going on in a new kernel",
                                         index)
                        outputs = self.nb.cells[index].outputs
                        if not any(o.output_type == "error" for o in outputs):
                            outputs.append(_error("KernelDied", KERNEL_DIED))
                        index += 1
                    start = index
                finally:
                    self._close_bridge()
        self.set_widgets_metadata()
        self._save_verdicts(resources)
        return self.nb, self.resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        graded = utils.is_grade(cell)
        if time.monotonic() > self._deadline:
            cell.outputs = [_error("NotRun", (
                f"Not run: this notebook used up its {self.submission_timeout} s of grading "
                "time before this cell (an earlier cell or function that never finishes?)."))]
            if graded:
                self._record(cell, False, "not run: out of time")
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # Interrupted, yet the kernel never came back (it ignores SIGINT): replace it.
            cell.outputs.append(_error("CellTimeoutError", "timeout"))
            self._timed_out(cell, index)
            raise DeadKernelError("kernel unresponsive after a timeout") from None
        # The kernel reports execution counts; a hostile one sends anything. Count here.
        cell.execution_count = index + 1
        for output in cell.outputs:
            if output.output_type == "execute_result":
                output.execution_count = index + 1
            if output.output_type == "error" and output.ename == "CellTimeoutError":
                self._timed_out(cell, index)
                self._check_responsive()
        if graded:
            self._judge(cell)
        return cell, resources

    def _timed_out(self, cell, index: int) -> None:
        message = (f"This cell (cell {index + 1}) ran longer than the limit of {self.timeout} s "
                   "and was stopped: is there a loop that never ends, or a very slow "
                   "computation?")
        for output in cell.outputs:
            if output.output_type == "error" and output.ename == "CellTimeoutError":
                output.evalue, output.traceback = message, [f"CellTimeoutError: {message}"]
        if utils.is_grade(cell):
            self._record(cell, False, "cell timed out")

    #: Characters of output one cell may send the grader; the rest is dropped as it arrives,
    #: so a kernel printing without end cannot fill the grading process's memory.
    max_cell_output = Integer(4_000_000, help="characters of output kept per cell while "
                                               "running").tag(config=True)

    def output(self, outs, msg, display_id, cell_index):
        sizes = self._output_chars
        sizes[cell_index] = sizes.get(cell_index, 0) + len(json.dumps(msg.get("content", {})))
        if sizes[cell_index] > self.max_cell_output:
            if not (outs and outs[-1].get("text") == CUT):
                outs.append(_stream(CUT))
            return None
        return super().output(outs, msg, display_id, cell_index)

    # -- judging -------------------------------------------------------------------------
    def _kernel(self) -> Kernel:
        if self._bridge is None:
            km = self.km
            process = getattr(km.provisioner, "process", None)
            self._bridge = Kernel(
                km.get_connection_info(), call_timeout=self.call_timeout,
                timed_out=self._overran,
                is_alive=(lambda: process.poll() is None) if process is not None else None)
        return self._bridge

    def _close_bridge(self) -> None:
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None

    def _check_responsive(self) -> None:
        """After a timeout: a kernel that no longer answers is replaced (it ignores SIGINT)."""
        try:
            self._kernel()._request({"op": "has", "name": "__name__"}, label="a check",
                                    timeout=5)
        except (KernelGone, CheckFailed):
            self.log.warning("The kernel does not answer after a timeout; replacing it")
            self._close_bridge()
            raise DeadKernelError("kernel unresponsive after a timeout") from None

    def _judge(self, cell) -> None:
        grade_id = _grade_id(cell)
        test = self._tests.get(grade_id)
        if test is None:
            message = (f"The course has no hidden test for the graded cell {grade_id!r}; "
                       "the instructor has been told.")
            self.log.error("No hidden test for %s in %s", grade_id,
                           hidden.tests_path(self._course, self.resources["nbgrader"].get(
                               "assignment", "")))
            cell.outputs = [_error("NotGraded", message)]
            self._record(cell, False, "no hidden test")
            return
        try:
            shown = test(self._kernel())
        except CheckFailed as failure:
            cell.outputs = [_error("CheckFailed", str(failure))]
            self._record(cell, False, str(failure))
        except KernelGone as gone:
            cell.outputs = [_error("KernelDied", f"The kernel stopped while this cell was "
                                                 f"being checked ({gone}).")]
            self._record(cell, False, "kernel stopped")
            self._close_bridge()
            raise DeadKernelError(str(gone)) from None
        except Exception as bug:  # a fault of the test itself, not of the learner
            self.log.error("The hidden test of %s failed: %r", grade_id, bug)
            cell.outputs = [_error("GraderError", (
                f"The grader could not check this cell ({type(bug).__name__}); "
                "the instructor has been told."))]
            self._record(cell, False, f"grader error: {bug!r}")
        else:
            cell.outputs = [_stream(f"\u2714 {shown or 'Passed.'}\n")]
            self._record(cell, True, "")

    def _record(self, cell, passed: bool, reason: str) -> None:
        points = float(cell.metadata.get("nbgrader", {}).get("points", 0))
        self._verdicts[_grade_id(cell)] = {"passed": passed, "points": points,
                                           "reason": reason[:500]}

    def _save_verdicts(self, resources) -> None:
        info = resources.get("nbgrader", {})
        student, assignment = info.get("student"), info.get("assignment")
        notebook = info.get("notebook")
        if not (student and assignment and notebook):
            return
        folder = self._course / VERDICTS / assignment / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{notebook}.json").write_text(json.dumps(self._verdicts, indent=1))


class LimitOutputSize(NbGraderPreprocessor):
    """Cut each text output to ``max_chars`` characters (nbgrader's LimitOutput counts lines)."""

    max_chars = Integer(20_000, help="characters kept of each text output").tag(config=True)

    def _cut(self, text: str) -> str:
        if len(text) <= self.max_chars:
            return text
        return (text[: self.max_chars]
                + f"\n... output cut: {len(text):,} characters, the first "
                  f"{self.max_chars:,} shown ...\n")

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = self._cut(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                for mime, value in list(output.get("data", {}).items()):
                    if isinstance(value, str) and len(value) > 4 * self.max_chars \
                            and not mime.startswith("image/"):
                        output.data[mime] = self._cut(value)
                    elif isinstance(value, str) and mime.startswith("text/"):
                        output.data[mime] = self._cut(value)
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue)
                output.traceback = [self._cut(line) for line in output.traceback[-40:]]
        return cell, resources


class RepairSchema(NbGraderPreprocessor):
    """Drop what nbformat's schema refuses, so a hand-edited notebook can still be graded.

    nbconvert validates the notebook after each preprocessor: a single bad cell tag would stop
    the whole submission. Metadata the schema refuses is removed (a cell's nbgrader metadata is
    reset from the source later, by FixGradeIds); outputs it refuses are cleared.
    """

    def preprocess(self, nb: NotebookNode, resources):
        for _ in range(50):  # each pass repairs what the schema reports, until nothing is left
            errors = list(iter_validate(nb))
            if not errors:
                break
            for error in errors:
                if not self._repair(nb, list(error.absolute_path)):
                    self.log.warning("The notebook breaks nbformat's schema where it cannot "
                                     "be repaired: %s", str(error.message)[:200])
                    return nb, resources
        return nb, resources

    def _repair(self, nb: NotebookNode, path: list) -> bool:
        if len(path) >= 3 and path[0] == "cells" and isinstance(path[1], int) \
                and path[1] < len(nb.cells):
            cell = nb.cells[path[1]]
            if path[2] == "metadata" and len(path) >= 4 and path[3] in cell.metadata:
                self.log.warning("Cell %d: metadata %r dropped (nbformat's schema refuses "
                                 "it)", path[1] + 1, path[3])
                del cell.metadata[path[3]]
                return True
            if path[2] in ("outputs", "execution_count") and cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                return True
            if path[2] == "attachments" and "attachments" in cell:
                del cell["attachments"]
                return True
        if len(path) >= 2 and path[0] == "metadata" and path[1] in nb.metadata:
            del nb.metadata[path[1]]
            return True
        return False


class RestoreDeletedCells(NbGraderPreprocessor):
    """Put back locked and graded cells that a submission lacks, in their source position.

    nbgrader restores the contents of the locked cells it finds, by their ``grade_id``; a
    deleted check cell would simply be missing. This runs first and re-inserts each missing
    cell from the assignment's source notebook, after the cell that precedes it there.
    """

    def preprocess(self, nb: NotebookNode, resources):
        source = self._source_notebook(resources)
        if source is None:
            return nb, resources
        present = {_grade_id(cell) for cell in nb.cells} - {None}
        position = {_grade_id(cell): i for i, cell in enumerate(nb.cells) if _grade_id(cell)}
        insert_after = -1
        for cell in source.cells:
            grade_id = _grade_id(cell)
            if grade_id in present:
                insert_after = position[grade_id]
                continue
            if grade_id and (utils.is_locked(cell) or utils.is_grade(cell)):
                restored = copy.deepcopy(cell)
                if restored.cell_type == "code":
                    restored.outputs, restored.execution_count = [], None
                nb.cells.insert(insert_after + 1, restored)
                self.log.warning("Restored the deleted cell %s", grade_id)
                insert_after += 1
                position = {_grade_id(c): i for i, c in enumerate(nb.cells) if _grade_id(c)}
                present.add(grade_id)
        return nb, resources

    def _source_notebook(self, resources):
        assignment = resources.get("nbgrader", {}).get("assignment")
        notebook = resources.get("nbgrader", {}).get("notebook")
        if not assignment or not notebook:
            return None
        path = course_root(resources) / "source" / assignment / f"{notebook}.ipynb"
        if not path.is_file():
            self.log.warning("No source notebook %s: deleted cells cannot be restored", path)
            return None
        return read(path, as_version=4)


class FixGradeIds(NbGraderPreprocessor):
    """Cell metadata as the source says, so that a notebook stays gradable.

    nbgrader refuses a notebook with two cells of one grade_id, an unknown graded cell, or a
    solution cell marked graded; an honest student who copy-pasted a check cell would get
    nothing. The first cell of each grade_id of the source gets the source's metadata
    (graded, locked, points); every other cell with nbgrader metadata (a copy, an id that is
    not in the source, mangled metadata) becomes an ordinary cell, and the log says so; cells
    the source has and the notebook lacks are then put back by RestoreDeletedCells.
    """

    def preprocess(self, nb: NotebookNode, resources):
        source = RestoreDeletedCells()._source_notebook(resources)
        known = None if source is None else {
            _grade_id(c): c.metadata["nbgrader"] for c in source.cells if _grade_id(c)}
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            meta = cell.metadata.get("nbgrader")
            if meta is None:
                continue
            grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
            if known is not None and grade_id in known and grade_id not in seen \
                    and cell.cell_type == _cell_type(source, grade_id):
                # The source says what this cell is: graded, locked, its points.
                cell.metadata["nbgrader"] = copy.deepcopy(known[grade_id])
                seen.add(grade_id)
                continue
            if not isinstance(grade_id, str) or not re.fullmatch(r"[\w-]+", grade_id) \
                    or grade_id in seen or known is not None:
                self.log.warning("Cell %d: nbgrader metadata %s dropped (a copy of another "
                                 "cell, or mangled)", index + 1, str(grade_id)[:40])
                del cell.metadata["nbgrader"]
                continue
            seen.add(grade_id)
        return nb, resources


def _cell_type(notebook, grade_id: str) -> str | None:
    return next((c.cell_type for c in notebook.cells if _grade_id(c) == grade_id), None)


#: Output formats that reach the feedback. HTML, JavaScript, SVG and Markdown from a
#: student's kernel could run script in whoever opens the feedback; they are dropped.
SAFE_MIME = ("text/plain", "image/png", "image/jpeg")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


#: Terminal escape sequences other than colours (OSC links, cursor moves, ...).
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-9;?]*[A-Za-ln-z]|"
                      r"\x1b[^\[]")


def _plain_terminal(text: str) -> str:
    return _ESCAPES.sub("", text)


class SanitizeFeedback(NbGraderPreprocessor):
    """Feedback that is safe to open: no student HTML, JavaScript or raw-HTML Markdown."""

    def preprocess_cell(self, cell, resources, index):
        cell.metadata.pop("attachments", None)
        cell.pop("attachments", None)
        if cell.cell_type == "markdown" and not utils.is_locked(cell):
            # A student's Markdown is shown as plain text in a fenced block: no tag, link or
            # image in it is rendered, so none can do anything.
            longest = max((len(run) for run in re.findall(r"`+", cell.source)), default=0)
            fence = "`" * max(3, longest + 1)
            cell.source = f"{fence}text\n{cell.source}\n{fence}"
        elif cell.cell_type == "raw":
            cell.source = ""
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                output.text = _plain_terminal(output.text)
            elif output.output_type == "error":
                output.evalue = _plain_terminal(output.evalue)
                output.traceback = [_plain_terminal(line) for line in output.traceback]
            if output.output_type in ("execute_result", "display_data"):
                data = output.get("data", {})
                for mime in list(data):
                    value = data[mime]
                    keep = mime in SAFE_MIME and isinstance(value, str) and (
                        mime == "text/plain" or _BASE64.fullmatch(value) is not None)
                    if not keep:
                        del data[mime]
                if not data:
                    data["text/plain"] = "(output not shown in feedback)"
                output.metadata = {}
        return cell, resources
