"""nbgrader preprocessors that make grading a whole class safe.

They are switched on in ``autograder/nbgrader_config.py``:

- :class:`RestoreDeletedCells` puts back the locked cells (setup, visible checks, hidden tests)
  that a student deleted, where the source has them, before nbgrader restores their contents;
- :class:`ResilientExecute` keeps grading when a submission kills its kernel (``os._exit``,
  a crash): the cell gets an error, a fresh kernel replays the cells that had worked, and the
  rest of the notebook still runs and earns its points;
- :class:`LimitOutputSize` cuts huge outputs (a 50 MB print) down to a readable size;
- :class:`HideHiddenTests` removes the hidden tests, and the tracebacks that would quote them,
  from the feedback students receive.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode, read
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from traitlets import Integer

KERNEL_DIED = (
    "The kernel stopped while running this cell (the code exited the Python process, for "
    "example with os._exit, or crashed it). Grading went on in a fresh kernel: the cells that "
    "had worked were run again, then the cells after this one."
)


def course_root(resources) -> Path:
    """The course folder: where nbgrader keeps the gradebook (it derives that from the root)."""
    db_url = resources.get("nbgrader", {}).get("db_url", "")
    if db_url.startswith("sqlite:///"):
        return Path(db_url[len("sqlite:///"):]).resolve().parent
    return Path(os.getcwd())


class ResilientExecute(Execute):
    """nbgrader's Execute, but a dead kernel costs one cell instead of the whole notebook."""

    def preprocess(self, nb: NotebookNode, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        finished: list[int] = []  # cells that ran without killing the kernel
        start = 0
        while start < len(self.nb.cells):
            with self.setup_kernel():
                info = self.wait_for_reply(self.kc.kernel_info())
                self.nb.metadata["language_info"] = info["content"]["language_info"]
                for index in finished:  # rebuild the state a fresh kernel lacks, silently
                    self.execute_cell(copy.deepcopy(self.nb.cells[index]), index,
                                      store_history=False)
                index = start
                try:
                    while index < len(self.nb.cells):
                        self.preprocess_cell(self.nb.cells[index], resources, index)
                        finished.append(index)
                        index += 1
                except DeadKernelError:
                    self.log.warning("Kernel died in cell %d; continuing in a new kernel", index)
                    self.nb.cells[index].outputs.append(NotebookNode(
                        output_type="error", ename="KernelDied", evalue=KERNEL_DIED,
                        traceback=[f"KernelDied: {KERNEL_DIED}"]))
                    index += 1
                start = index
        self.set_widgets_metadata()
        return self.nb, self.resources


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
                    if mime.startswith("text/") and isinstance(value, str):
                        output.data[mime] = self._cut(value)
            elif output.output_type == "error":
                output.evalue = self._cut(output.evalue)
        return cell, resources


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
        present = {self._grade_id(cell) for cell in nb.cells} - {None}
        position = {self._grade_id(cell): i for i, cell in enumerate(nb.cells)
                    if self._grade_id(cell)}
        insert_after = -1
        for cell in source.cells:
            grade_id = self._grade_id(cell)
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
                position = {self._grade_id(c): i for i, c in enumerate(nb.cells)
                            if self._grade_id(c)}
                present.add(grade_id)
        return nb, resources

    @staticmethod
    def _grade_id(cell):
        return cell.metadata.get("nbgrader", {}).get("grade_id")

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


class HideHiddenTests(NbGraderPreprocessor):
    """Feedback without hidden tests: their code goes, and so do tracebacks that quote it.

    The failure message itself stays (the checks write it for the student), e.g.
    ``CheckFailed: Z1 for other data (n = 6, ...): expected 0.3, got 0.1``.
    """

    def preprocess(self, nb: NotebookNode, resources):
        clear = ClearHiddenTests()
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not utils.is_grade(cell):
                continue
            cell, resources = clear.preprocess_cell(cell, resources, index)
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return nb, resources
