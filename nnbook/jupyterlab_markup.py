"""The book's MyST markup, rewritten so that JupyterLab (with jupyterlab-myst) shows it right.

jupyterlab-myst renders admonitions, dollar math and dropdowns in a notebook by itself, but a
notebook is a page on its own: it cannot know the number of a figure or an equation in another
chapter, it numbers every display formula (where the website numbers only labelled ones, as
chapter.n), it does not see the captions that myst-nb reads from a code cell's metadata, and a
label ``$$ ... $$ (label)`` followed at once by text is not recognised. So, in the notebooks a
learner opens (``exercises/``, ``solutions/`` and nbgrader's release; never ``book/``, which
Jupyter Book renders):

- a front matter in the first cell switches jupyterlab-myst's own equation numbering off;
- a labelled equation becomes a ``{math}`` directive that carries the website's number, so a
  reference to it in the same chapter resolves to a link "(4.3)";
- a reference to an equation of another chapter becomes "(1.1)", linked to that chapter's
  notebook; a reference to a figure becomes "Fig. 2.1" (linked when in another chapter); a
  reference to a section (a ``(label)=`` target before a heading) becomes the heading's text,
  as the website shows it (linked when in another chapter);
- a figure drawn by a code cell gets its caption, "**Fig. 2.1.** ...", in a cell below it;
- a hint folds into a dropdown, as on the website.

Numbers are the website's (``numfig`` with numbered chapters): chapter.n, counting the figures
(code cells with a ``mystnb.figure`` caption) and the labelled equations of the chapter in order.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool

SOURCE_DIR = Path(__file__).resolve().parent.parent / "autograder" / "source"
#: Switches off jupyterlab-myst's numbering of every display formula (labelled equations keep
#: the number they are given explicitly).
FRONT_MATTER = "---\nnumbering:\n  equation: false\n---\n"
LABELLED_EQUATION = re.compile(
    # the body may not hold "$$": it would swallow an unlabelled formula before this one
    r"^(?P<indent>[ \t]*)\$\$[ \t]*\n(?P<body>(?:(?!\$\$).)*?)\n"
    r"[ \t]*\$\$[ \t]*\((?P<label>[\w-]+)\)[ \t]*$",
    re.MULTILINE | re.DOTALL)
REFERENCE = re.compile(r"\{(?P<role>eq|numref|ref)\}`(?P<label>[^`<>]+)`")
#: A section's target: ``(label)=`` on the line before its heading.
SECTION = re.compile(r"^\((?P<label>[\w-]+)\)=[ \t]*\n[ \t]*#+[ \t]+(?P<title>.+?)[ \t]*$",
                     re.MULTILINE)


class MarkupError(Exception):
    """A reference to a label that no chapter defines."""


@dataclass(frozen=True)
class Target:
    chapter: str
    kind: str  # "equation", "figure" or "section"
    number: str  # as the website prints it, "4.3"; a section's heading text


def chapter_number(chapter: str) -> int:
    """The chapter's number on the website: its folder's prefix (``02-forward-pass`` is 2)."""
    return int(chapter.split("-", 1)[0])


def dropdown(title: str, markdown: str, css_class: str | None = None) -> str:
    """``markdown`` folded behind a MyST dropdown titled ``title`` (a leading "**Hint.**" goes)."""
    # A fence longer than any inside the text, so code blocks in a hint survive.
    fence = "`" * max(4, 1 + max((len(m) for m in re.findall(r"`{3,}", markdown)), default=0))
    body = re.sub(r"^\s*\*\*" + title + r"[.:]?\*\*[.:]?\s*", "", markdown.strip())
    option = f":class-container: {css_class}\n" if css_class else ""
    return f"{fence}{{dropdown}} {title}\n{option}{body}\n{fence}"


def figure_of(cell) -> dict | None:
    """A code cell's figure (``{"caption": ..., "name": ...}``) as myst-nb reads it, or None."""
    if cell.cell_type != "code":
        return None
    figure = cell.metadata.get("mystnb", {}).get("figure")
    return figure if figure and figure.get("name") else None


def targets_of(nb: nbformat.NotebookNode, chapter: str) -> dict[str, Target]:
    """Every figure and labelled equation of one chapter's notebook, with its number."""
    found: dict[str, Target] = {}
    counts = {"figure": 0, "equation": 0}

    def add(label: str, kind: str) -> None:
        counts[kind] += 1
        found[label] = Target(chapter, kind, f"{chapter_number(chapter)}.{counts[kind]}")

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for match in LABELLED_EQUATION.finditer(cell.source):
                add(match["label"], "equation")
            for match in SECTION.finditer(cell.source):
                found[match["label"]] = Target(chapter, "section", match["title"])
        elif figure_of(cell):
            add(figure_of(cell)["name"], "figure")
    return found


@functools.cache
def all_targets(source_dir: Path = SOURCE_DIR) -> dict[str, Target]:
    """The figures and labelled equations of every chapter's source, by label."""
    found: dict[str, Target] = {}
    for path in sorted(source_dir.glob("*/*.ipynb")):
        if path.stem == path.parent.name:
            found.update(targets_of(nbformat.read(path, as_version=4), path.stem))
    return found


def _equation_directive(match: re.Match, targets: dict[str, Target]) -> str:
    indent, label = match["indent"], match["label"]
    if label not in targets:
        raise MarkupError(f"the equation {label} is not in the chapters' sources")
    lines = ["```{math}", f":label: {label}", f":enumerator: {targets[label].number}",
             *match["body"].split("\n"), "```"]
    # Blank lines around it: jupyterlab-myst takes a directive glued to a paragraph as text.
    return "\n" + "\n".join(indent + line if line else line for line in lines) + "\n"


def _reference(match: re.Match, chapter: str, targets: dict[str, Target]) -> str:
    label = match["label"].strip()
    target = targets.get(label)
    if target is None:
        raise MarkupError(f"{chapter}: {match.group()} refers to a label no chapter defines")
    if target.chapter == chapter and target.kind == "equation":
        return match.group()  # jupyterlab-myst links it to the {math} directive above
    text = {"equation": f"({target.number})", "figure": f"Fig. {target.number}",
            "section": f"“{target.number}”"}[target.kind]
    if target.chapter == chapter:
        return text
    return f"[{text}]({target.chapter}.ipynb)"


def rewrite_markdown(markdown: str, chapter: str, targets: dict[str, Target]) -> str:
    """One markdown cell's text as jupyterlab-myst renders it right (see the module's doc)."""
    text = LABELLED_EQUATION.sub(lambda m: _equation_directive(m, targets), markdown)
    text = REFERENCE.sub(lambda m: _reference(m, chapter, targets), text)
    # A directive that opens or closes the cell needs no blank line there.
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def caption_cell(figure: dict, number: str, code_cell) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(f"**Fig. {number}.** {figure['caption']}")
    if code_cell.get("id"):
        # Derived from the figure's cell, so regenerating gives the same id.
        cell["id"] = f"{code_cell['id'][:55]}-caption"
    return cell


def for_jupyterlab(nb: nbformat.NotebookNode, chapter: str,
                   targets: dict[str, Target] | None = None) -> nbformat.NotebookNode:
    """A copy of a learner's notebook of ``chapter`` whose markup reads right in JupyterLab."""
    targets = all_targets() if targets is None else targets
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "markdown":
            cell.source = rewrite_markdown(cell.source, chapter, targets)
            if "hint" in cell.metadata.get("tags", []):
                cell.source = dropdown("Hint", cell.source)
        elif figure_of(cell):
            figure = figure_of(cell)
            cells.append(caption_cell(figure, targets[figure["name"]].number, cell))
    first_markdown = next((c for c in cells if c.cell_type == "markdown"), None)
    if first_markdown is not None and not first_markdown.source.startswith("---\n"):
        first_markdown.source = FRONT_MATTER + first_markdown.source
    nb.cells = cells
    return nb


class JupyterLabMarkup(Preprocessor):
    """nbgrader's ``generate_assignment`` step that does :func:`for_jupyterlab` to a release,
    so that the notebooks students receive read as ``exercises/`` does. It must come before
    ``ComputeChecksums``: the gradebook then records the cells as released."""

    # nbconvert skips a preprocessor that is not enabled, and its default is off.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        chapter = resources.get("nbgrader", {}).get("notebook") or resources.get(
            "unique_key", "")
        return for_jupyterlab(nb, chapter), resources


#: The cell tag with which JupyterLab (OutputArea.execute sends ``stop_on_error: false``), nbclient
#: and nbval carry on after a cell that raises, instead of skipping the cells after it.
RUNS_ON_AFTER_ERROR = "raises-exception"


class PrepareForLearners(NbGraderPreprocessor):
    """The released notebook's cell metadata for working in JupyterLab.

    Every code cell from the first exercise on is tagged ``raises-exception``: in an
    unfinished notebook an exercise raises ``NotImplementedError`` and its checks fail, and
    with the tag Restart and Run All still runs every cell after them, so each check shows its
    ✘. Grading is unchanged: it runs every cell anyway and judges each graded cell with its
    hidden test, never by what the visible check raised. (Hints are folded into a dropdown by
    ``nnbook.jupyterlab_markup``; hiding the cell's input too would fold them twice, and
    JupyterLab unfolds hidden inputs when it runs the cell.)
    """

    def preprocess(self, nb, resources):
        exercise_seen = False
        for cell in nb.cells:
            grading = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code":
                exercise_seen = exercise_seen or bool(grading.get("solution")
                                                      or grading.get("grade"))
                if exercise_seen:
                    cell_tags = list(cell.metadata.get("tags", []))
                    if RUNS_ON_AFTER_ERROR not in cell_tags:
                        cell.metadata["tags"] = cell_tags + [RUNS_ON_AFTER_ERROR]
        return nb, resources
