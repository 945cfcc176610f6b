"""Regenerate every chapter's learner, solution and website notebooks from its one source.

    python -m nnbook.generate                 # all chapters
    python -m nnbook.generate 02-forward-pass  # some chapters
    python -m nnbook.generate --check          # exit 1, naming the files, if anything is stale

From ``autograder/source/<chapter>/<chapter>.ipynb`` it writes

- ``exercises/<chapter>.ipynb``: nbgrader's release version (the same preprocessors as
  ``nbgrader generate_assignment``): stubs, visible checks, no outputs, hints collapsed, and
  every code cell from the first exercise on tagged so that Run All goes through an
  unfinished notebook (``nnbook.jupyterlab_markup.PrepareForLearners``);
- ``solutions/<chapter>.ipynb``: solutions in place, executed, outputs
  stored (nbval checks these outputs against a fresh run);
- ``book/<chapter>.ipynb``: the executed solution notebook for the website, with each solution
  behind a collapsed toggle, hints in collapsed dropdowns and the grading cells removed.

In all three the first code cell's imports are wrapped so that, where the book's package is
not installed, it says how to install it (``nnbook.install_hint``).

``--check`` does not execute anything: it compares everything but outputs, and checks that the
generated notebooks were executed. Whether the outputs still reproduce is nbval's job.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
from pathlib import Path

import nbformat

from nnbook.install_hint import GuardImports, guard_first_cell
from nnbook.jupyterlab_markup import (
    JupyterLabMarkup,
    PrepareForLearners,
    dropdown,
    for_jupyterlab,
)

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "autograder" / "source"
EXERCISES_DIR = ROOT / "exercises"
SOLUTIONS_DIR = ROOT / "solutions"
BOOK_DIR = ROOT / "book"

#: Marks a solution on the website: the tag of a code cell, the class of a markdown one
#: (myst-nb turns a cell's tag ``t`` into the class ``tag_t``).
SOLUTION_TAG = "solution"
SOLUTION_CLASS = f"tag_{SOLUTION_TAG}"
#: The course edition of the website (see ``nnbook/sphinx_site.py``) leaves out the output of
#: every code cell from a chapter's first solution on: it may show an exercise's answer. A
#: source cell tagged ANSWER_FREE keeps its output there, because it uses nothing a solution
#: computes (``tests/test_website.py`` checks that claim).
ANSWER_FREE_TAG = "answer-free"
#: A markdown cell tagged STATES_ANSWER says an exercise's answer in its text: the course
#: edition leaves out its paragraphs (lists, formulas) that state a precise value, which
#: ``book_version`` wraps in a container of this class.
STATES_ANSWER_TAG = "states-answer"
STATES_ANSWER_CLASS = "nnbook-states-answer"
SOLUTION_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
HIDDEN_BEGIN = "### BEGIN HIDDEN TESTS"
HIDDEN_END = "### END HIDDEN TESTS"
CELL_TIMEOUT = 600
#: The course's MNIST test set (10,000 images), kept beside the repository, never inside it.
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


class SourceError(Exception):
    """A source notebook that breaks the book's rules; the message says which and how to fix."""


# -- reading the sources -----------------------------------------------------------------------
def _show(path: Path) -> str:
    """A path as the maintainer types it: relative to the repository when it is inside."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def chapters() -> list[str]:
    """Chapter names, in order: the folders of ``autograder/source`` that hold a notebook."""
    return sorted(p.name for p in SOURCE_DIR.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_path(chapter: str) -> Path:
    return SOURCE_DIR / chapter / f"{chapter}.ipynb"


def read_source(chapter: str) -> nbformat.NotebookNode:
    path = source_path(chapter)
    if not path.is_file():
        raise SourceError(f"no source notebook {_show(path)}; chapters are: "
                          f"{', '.join(chapters())}")
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if HIDDEN_BEGIN in cell.source or HIDDEN_END in cell.source:
            raise SourceError(
                f"{_show(path)}: cell {index} holds hidden tests. They belong on the grader's "
                f"side, in autograder/hidden_tests/{chapter}.py (see nnbook/grader/hidden.py), "
                "never in a notebook a student's kernel runs.")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            raise SourceError(
                f"{_show(path)}: cell {index} has stored outputs. Sources are kept "
                "without outputs: clear them (Edit > Clear Outputs of All Cells) and save.")
    return nb


def grading(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_grading_test(cell) -> bool:
    """An nbgrader autograder-test cell: its visible checks; the grader judges it with the
    chapter's hidden tests (autograder/hidden_tests/<chapter>.py)."""
    meta = grading(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def is_solution(cell) -> bool:
    return bool(grading(cell).get("solution"))


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


# -- the three versions ------------------------------------------------------------------------
def release_version(source: nbformat.NotebookNode, chapter: str) -> nbformat.NotebookNode:
    """What nbgrader's generate_assignment releases, without touching a gradebook (the course's
    nbgrader_config.py adds the same JupyterLabMarkup step)."""
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        LockCells,
    )

    nb = copy.deepcopy(source)
    resources: dict = {"nbgrader": {"notebook": chapter}}
    # The order of GenerateAssignment in autograder/nbgrader_config.py, less the steps that need
    # a database.
    for step in (GuardImports, LockCells, ClearSolutions, ClearOutput, CheckCellMetadata,
                 JupyterLabMarkup, ComputeChecksums, ClearHiddenTests, ClearMarkScheme,
                 ComputeChecksums, CheckCellMetadata, PrepareForLearners):
        nb, resources = step().preprocess(nb, resources)
    return nb


def solution_version(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Solutions in place, without the solution markers; the first cell says how to install
    what it imports when that is missing (the website's download of a page is this too)."""
    nb = guard_first_cell(source)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = "\n".join(
            line for line in cell.source.splitlines() if not SOLUTION_MARKER.match(line)
        ).rstrip()
    return nb


def book_version(executed_solutions: nbformat.NotebookNode, chapter: str
                 ) -> nbformat.NotebookNode:
    """The website page: solutions folded, hints in dropdowns, grading cells removed.

    A solution's code and its output fold behind one toggle (``hide-cell``, which wins over
    ``hide-input`` in myst-nb; ``hide-input`` stays for tools that know only that), so that a
    closed toggle gives nothing away. Every solution is marked (the tag, and the class of a markdown
    solution's dropdown, ``SOLUTION_CLASS``) so that the course edition of the website can
    leave them out (see ``nnbook/sphinx_site.py``), and so is prose tagged STATES_ANSWER_TAG.
    """
    nb = copy.deepcopy(executed_solutions)
    cells = []
    for cell in nb.cells:
        if is_grading_test(cell) or "remove-from-book" in tags(cell):
            continue
        cell_tags = tags(cell)
        if cell.cell_type == "code" and is_solution(cell):
            cell_tags += ["hide-input", "hide-cell", SOLUTION_TAG]
            cell.metadata["mystnb"] = {"code_prompt_show": "Show solution",
                                       "code_prompt_hide": "Hide solution"}
        elif cell.cell_type == "markdown" and "hint" in cell_tags:
            cell.source = dropdown("Hint", cell.source)
        elif cell.cell_type == "markdown" and is_solution(cell):
            cell.source = dropdown("Solution", cell.source, css_class=SOLUTION_CLASS)
        elif cell.cell_type == "markdown" and STATES_ANSWER_TAG in cell_tags:
            cell.source = _answer_containers(cell.source)
        elif cell.cell_type == "markdown" and "exercise" in cell_tags:
            cell.source = cell.source.rstrip() + (
                f"\n\n*Work this exercise in the notebook "
                f"{{download}}`exercises/{chapter}.ipynb <../exercises/{chapter}.ipynb>`, "
                "where a check tells you at once whether your answer is right.*")
        cell.metadata.pop("nbgrader", None)
        if cell_tags:
            cell.metadata["tags"] = cell_tags
        cells.append(cell)
    nb.cells = cells
    return nb


def _fence(markdown: str) -> str:
    """A fence longer than any inside the text, so code blocks in it survive."""
    return "`" * max(4, 1 + max((len(m) for m in re.findall(r"`{3,}", markdown)), default=0))


_HEADING = re.compile(r"^(#{1,6}\s|\([^)]+\)=\s*$)")
_DECIMAL = re.compile(r"-?\d+\.\d+")


def _states_a_value(text: str) -> bool:
    """Whether ``text`` has a number as precise as an answer (four significant digits)."""
    return any(len(number.lstrip("-").replace(".", "").lstrip("0")) >= 4
               for number in _DECIMAL.findall(text))


def _blocks(markdown: str) -> list[str]:
    """The blocks of ``markdown``: paragraphs and lists, each fenced block and display formula
    whole, each heading (or label) alone."""
    blocks: list[str] = []
    current: list[str] = []
    closing = None

    def end() -> None:
        if current:
            blocks.append("\n".join(current))
            current.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if closing is not None:
            current.append(line)
            # A display formula ends with $$, or with "$$ (label)" when it is numbered.
            if (closing == "$$" and re.match(r"^\$\$\s*\(|.*\$\$$", stripped)) or (
                    closing != "$$" and stripped.startswith(closing)
                    and set(stripped) == {closing[0]}):
                closing = None
            continue
        if not stripped:
            end()
            continue
        if _HEADING.match(line):
            end()
            blocks.append(line)
            continue
        fence = re.match(r"(`{3,}|:{3,})", stripped)
        if fence:
            closing = fence.group(1)
        elif stripped.startswith("$$") and not (len(stripped) > 2 and stripped.endswith("$$")):
            closing = "$$"
        current.append(line)
    end()
    return blocks


def _answer_containers(markdown: str) -> str:
    """``markdown`` with each run of blocks that state a precise value inside a container of
    the class STATES_ANSWER_CLASS, which the course edition leaves out; headings stay outside
    (a section may not start inside a directive), and so does the prose between the values."""
    fence = _fence(markdown)
    out: list[str] = []
    held: list[str] = []

    def release() -> None:
        if held:
            body = "\n\n".join(held)
            out.append(f"{fence}{{container}} {STATES_ANSWER_CLASS}\n{body}\n{fence}")
            held.clear()

    for block in _blocks(markdown):
        if _HEADING.match(block):
            release()
            if out and _HEADING.match(out[-1].splitlines()[-1]):
                out[-1] += "\n" + block  # a label stays with its heading
            else:
                out.append(block)
        elif _states_a_value(block):
            held.append(block)
        else:
            release()
            out.append(block)
    release()
    return "\n\n".join(out)


# -- execution and writing ---------------------------------------------------------------------
def execute(nb: nbformat.NotebookNode, workdir: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    nb = copy.deepcopy(nb)
    settings = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", **mnist_environment()}
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", record_timing=False,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return nb


def mnist_environment() -> dict[str, str]:
    """The data the stored outputs of the MNIST chapter were computed from, when it is here.

    The course's copy of the MNIST test set lies beside the repository (``../shared/data/mnist``):
    the generator and nbval both read it and never download, so they see the same 8,000 / 2,000
    split and the stored numbers reproduce. Without it the chapter falls back as documented.
    """
    if not SHARED_MNIST.is_dir():
        return {}
    return {"NNBOOK_MNIST_DIR": str(SHARED_MNIST), "NNBOOK_MNIST_DOWNLOAD": "0"}


def tidy(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop metadata that changes from machine to machine, so generated files are stable."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(tidy(nb)) + "\n"


def comparable(nb: nbformat.NotebookNode) -> str:
    """The notebook without outputs and execution counts, as text, for --check."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return json.dumps(tidy(nb), sort_keys=True, indent=1)


def targets(chapter: str) -> dict[str, Path]:
    return {"exercise": EXERCISES_DIR / f"{chapter}.ipynb",
            "solution": SOLUTIONS_DIR / f"{chapter}.ipynb",
            "book": BOOK_DIR / f"{chapter}.ipynb"}


def generate(chapter: str) -> None:
    source = read_source(chapter)
    paths = targets(chapter)
    release = release_version(source, chapter)
    executed = execute(solution_version(source), SOLUTIONS_DIR)
    book = book_version(executed, chapter)
    # The website renders the book's markup itself; learners open the solutions in JupyterLab.
    solution = for_jupyterlab(executed, chapter)
    for kind, nb in (("exercise", release), ("solution", solution), ("book", book)):
        paths[kind].parent.mkdir(parents=True, exist_ok=True)
        paths[kind].write_text(dumps(nb), encoding="utf-8")
        print(f"wrote {_show(paths[kind])}")


def stale_files(chapter: str) -> list[str]:
    """What is out of date for one chapter, as messages naming the file."""
    source = read_source(chapter)
    paths = targets(chapter)
    solution = solution_version(source)
    expected = {"exercise": release_version(source, chapter),
                "solution": for_jupyterlab(solution, chapter),
                "book": book_version(solution, chapter)}
    problems = []
    for kind, path in paths.items():
        name = _show(path)
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        written = nbformat.read(path, as_version=4)
        if comparable(written) != comparable(expected[kind]):
            problems.append(f"{name} differs from what {_show(source_path(chapter))}"
                            " produces")
        elif kind != "exercise" and any(
                c.cell_type == "code" and c.source.strip() and c.execution_count is None
                for c in written.cells):
            problems.append(f"{name} has cells that were never executed")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnbook.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapters to regenerate (default: all)")
    parser.add_argument("--check", action="store_true",
                        help="regenerate nothing; exit 1 if any generated file is stale")
    args = parser.parse_args(argv)
    try:
        selected = args.chapters or chapters()
        if args.check:
            problems = [p for chapter in selected for p in stale_files(chapter)]
            for problem in problems:
                print(f"stale: {problem}", file=sys.stderr)
            if problems:
                print("Run `python -m nnbook.generate` and commit the result.", file=sys.stderr)
                return 1
            print(f"all generated files are up to date ({len(selected)} chapters)")
            return 0
        for chapter in selected:
            generate(chapter)
    except SourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
