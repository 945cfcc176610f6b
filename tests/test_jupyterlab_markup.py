"""The rewriting of the book's MyST markup for JupyterLab (nnbook/jupyterlab_markup.py), one
construct per test, on small notebooks of two made-up chapters."""

from __future__ import annotations

import nbformat
import pytest
from conftest import CHAPTERS, ROOT

from nnbook import generate
from nnbook.jupyterlab_markup import (
    FRONT_MATTER,
    MarkupError,
    for_jupyterlab,
    rewrite_markdown,
    targets_of,
)

EQUATION = "$$\na = b\n$$ (eq-first)"
FIRST = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_markdown_cell("# One\n\nPlain:\n\n$$\nz = 0\n$$\n\nLabelled:\n\n"
                                  + EQUATION + "\nthen text at once."),
    nbformat.v4.new_code_cell("draw()", metadata={"mystnb": {"figure": {
        "caption": "A drawing of $z$.", "name": "fig-first"}}}),
    nbformat.v4.new_markdown_cell("$$\nc = d\n$$ (eq-second)"),
])
SECOND = nbformat.v4.new_notebook(cells=[
    nbformat.v4.new_code_cell("plot()", metadata={"mystnb": {"figure": {
        "caption": "A plot.", "name": "fig-second"}}}),
    nbformat.v4.new_markdown_cell("(sec-later)=\n## A later section\n\nText."),
])
TARGETS = {**targets_of(FIRST, "01-first"), **targets_of(SECOND, "02-second")}


def test_figures_and_labelled_equations_are_numbered_by_chapter_as_on_the_website():
    numbers = {label: (t.chapter, t.kind, t.number) for label, t in TARGETS.items()}
    # The unlabelled formula is not counted: the website numbers labelled ones only.
    assert numbers == {"eq-first": ("01-first", "equation", "1.1"),
                       "fig-first": ("01-first", "figure", "1.1"),
                       "eq-second": ("01-first", "equation", "1.2"),
                       "fig-second": ("02-second", "figure", "2.1"),
                       "sec-later": ("02-second", "section", "A later section")}


def test_a_labelled_equation_becomes_a_math_directive_with_its_number():
    text = rewrite_markdown("Before:\n" + EQUATION + "\nafter.", "01-first", TARGETS)
    assert text == ("Before:\n\n```{math}\n:label: eq-first\n:enumerator: 1.1\na = b\n```\n\n"
                    "after.")


def test_an_unlabelled_formula_before_a_labelled_one_is_left_alone():
    text = rewrite_markdown("$$\nz = 0\n$$\n\nand\n\n" + EQUATION, "01-first", TARGETS)
    assert text.startswith("$$\nz = 0\n$$\n\nand\n\n```{math}\n:label: eq-first\n")
    assert "$$ (eq-first)" not in text


def test_an_equation_of_the_same_chapter_is_left_to_jupyterlab_myst():
    assert rewrite_markdown("see {eq}`eq-second`", "01-first", TARGETS) == "see {eq}`eq-second`"


def test_an_equation_of_another_chapter_is_its_number_linked_to_that_chapter():
    text = rewrite_markdown("Equation {eq}`eq-first` of chapter 1", "02-second", TARGETS)
    assert text == "Equation [(1.1)](01-first.ipynb) of chapter 1"


def test_a_figure_reference_is_its_number_linked_when_in_another_chapter():
    assert rewrite_markdown("({numref}`fig-first`)", "01-first", TARGETS) == "(Fig. 1.1)"
    assert rewrite_markdown("{numref}`fig-first` shows", "02-second", TARGETS) == (
        "[Fig. 1.1](01-first.ipynb) shows")


def test_a_section_reference_is_its_heading_linked_when_in_another_chapter():
    assert rewrite_markdown("({ref}`sec-later`)", "02-second", TARGETS) == (
        "(“A later section”)")
    assert rewrite_markdown("see {ref}`sec-later`.", "01-first", TARGETS) == (
        "see [“A later section”](02-second.ipynb).")


def test_a_reference_to_an_unknown_label_is_an_error_naming_it():
    with pytest.raises(MarkupError, match="fig-nowhere"):
        rewrite_markdown("{numref}`fig-nowhere`", "01-first", TARGETS)


def test_a_figure_gets_its_caption_in_a_cell_below_it():
    nb = for_jupyterlab(FIRST, "01-first", TARGETS)
    kinds = [c.cell_type for c in nb.cells]
    assert kinds == ["markdown", "code", "markdown", "markdown"]
    caption = nb.cells[2]
    assert caption.source == "**Fig. 1.1.** A drawing of $z$."
    assert caption.id == f"{FIRST.cells[1].id}-caption"
    nbformat.validate(nb)


def test_a_hint_folds_into_a_dropdown():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Two"),
                                         nbformat.v4.new_markdown_cell(
        "**Hint.** Use {eq}`eq-first`.", metadata={"tags": ["hint"]})])
    hint = for_jupyterlab(nb, "02-second", TARGETS).cells[1].source
    assert hint == "````{dropdown} Hint\nUse [(1.1)](01-first.ipynb).\n````"


def test_front_matter_turns_equation_numbering_off_once():
    once = for_jupyterlab(FIRST, "01-first", TARGETS)
    assert once.cells[0].source.startswith(FRONT_MATTER + "# One")
    twice = for_jupyterlab(once, "01-first", TARGETS)
    assert twice.cells[0].source.count("numbering:") == 1
    assert FIRST.cells[0].source.startswith("# One"), "the input notebook was changed"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_learners_notebooks_are_rewritten_and_the_website_s_are_not(chapter):
    book = (ROOT / "book" / f"{chapter}.ipynb").read_text(encoding="utf-8")
    assert "numbering:" not in book and ":enumerator:" not in book
    for folder in ("exercises", "solutions"):
        nb = nbformat.read(ROOT / folder / f"{chapter}.ipynb", as_version=4)
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert markdown.startswith(FRONT_MATTER), f"{folder}/{chapter}.ipynb"
        for raw in ("{numref}", "{ref}", "$$ (eq-"):
            assert raw not in markdown, f"{raw} in {folder}/{chapter}.ipynb"
    assert generate.release_version(generate.read_source(chapter), chapter).cells[
        0].source.startswith(FRONT_MATTER)


def test_nbgrader_releases_the_same_rewriting_before_the_checksums():
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ComputeChecksums
    from traitlets.config.loader import PyFileConfigLoader

    from nnbook.jupyterlab_markup import JupyterLabMarkup

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config()
    steps = GenerateAssignment(config=config).preprocessors
    assert JupyterLabMarkup in steps, "autograder/nbgrader_config.py does not release it"
    assert steps.index(JupyterLabMarkup) < steps.index(ComputeChecksums)
    # Called as nbconvert calls it: a preprocessor that is not enabled does nothing.
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Plain")])
    released, _ = JupyterLabMarkup()(plain, {"nbgrader": {"notebook": "09-plain"}})
    assert released.cells[0].source.startswith(FRONT_MATTER)
