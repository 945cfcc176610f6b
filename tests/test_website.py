"""The website builds with every warning treated as an error (nitpicky references included);
the course edition builds as well, and nothing of a solution reaches it."""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import CHAPTERS, ROOT, hidden_test_lines

from nnbook import generate
from nnbook.sphinx_site import COURSE_EDITION_ENV, SOLUTION_CLASS, display_code


def test_website_builds_strictly(site_build):
    result, html_dir = site_build
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "build succeeded" in result.stdout
    for page in ["index", "learners", "instructors", "glossary", *CHAPTERS]:
        assert (html_dir / "book" / f"{page}.html").is_file(), f"book/{page}.html was not built"


def test_site_works_offline(built_site):
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").is_file(), (
        "MathJax is not bundled with the site")
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "cdnjs" not in text, (
            f"{page.name} loads a script from a CDN")


# -- the course edition ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def course_site(tmp_path_factory) -> Path:
    """The course edition, built strictly as ``python3 tasks.py build --course-edition`` does."""
    out = tmp_path_factory.mktemp("course-edition")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(out),
         "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True, text=True, timeout=900,
        env=dict(os.environ, **{COURSE_EDITION_ENV: "1"}))
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    return out / "_build" / "html"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def normalised(text: str) -> str:
    return " ".join(text.split())


def site_text(folder: Path) -> str:
    """Everything a reader of the site could get: every page's text and every other text
    file (scripts, the search index, downloadable notebooks), whitespace collapsed."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".png", ".jpg", ".svg", ".woff", ".woff2",
                                                  ".ttf", ".ico", ".gif", ".map"):
            continue
        if "mathjax" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".html":
            parser = _Text()
            parser.feed(text)
            text = "".join(parser.parts)
        parts.append(html.unescape(text))
    return normalised("\n".join(parts))


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    return output.get("data", {}).get("text/plain", "")


def is_solution(cell) -> bool:
    return generate.SOLUTION_TAG in cell.metadata.get("tags", []) or (
        cell.cell_type == "markdown" and SOLUTION_CLASS in cell.source)


def public_text() -> str:
    """What the course edition rightly shows: every chapter's cells but its solutions (with
    their outputs), the released exercise notebooks (stubs), the other pages."""
    parts = [p.read_text(encoding="utf-8") for p in (ROOT / "book").glob("*.md")]
    for chapter in CHAPTERS:
        book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        release = nbformat.read(ROOT / "exercises" / f"{chapter}.ipynb", as_version=4)
        others = [c for c in book.cells if not is_solution(c)]
        parts += [c.source for c in others + release.cells]
        # Code as the site shows it (wrapped to 80 columns): a long line of given code becomes
        # fragments, which a later chapter's solution may repeat (chapter 6 pastes chapter 5).
        parts += [display_code(c.source) for c in others + release.cells
                  if c.cell_type == "code"]
        parts += [_output_text(o) for c in others if c.cell_type == "code" for o in c.outputs]
    return normalised("\n".join(parts))


def solution_traces(chapter: str, public: str):
    """What would give a solution away, from the website's notebook of ``chapter``: the lines
    of every solution's code (as written and as the site shows it), of its output and of a
    written solution, and its images' file names; each only if it is not also part of what
    the course edition rightly shows (``public``, e.g. a stub's ``def`` line).
    """
    book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    solutions = [cell for cell in book.cells if is_solution(cell)]
    lines, images = set(), set()
    for cell in solutions:
        texts = [cell.source]
        if cell.cell_type == "code":
            texts.append(display_code(cell.source))
            texts += [_output_text(o) for o in cell.outputs]
            images |= {hashlib.sha256(base64.b64decode(o["data"]["image/png"])).hexdigest()
                       for o in cell.outputs if "image/png" in o.get("data", {})}
        else:  # the dropdown's markup aside
            texts = [re.sub(r"^`{3,}.*$|^:class-container:.*$", "", cell.source, flags=re.M)]
        for text in texts:
            for line in text.splitlines():
                line = normalised(line)
                if len(line) >= 16 and line not in public:
                    lines.add(line)
    return lines, images


@pytest.fixture(scope="module")
def traces():
    public = public_text()
    found = {chapter: solution_traces(chapter, public) for chapter in CHAPTERS}
    for chapter, (lines, _) in found.items():
        assert len(lines) >= 5, f"{chapter}: hardly any solution to look for ({len(lines)})"
    return found


def test_course_edition_has_no_solution_code_or_output(course_site, traces):
    text = site_text(course_site)
    published_images = {p.stem for p in course_site.rglob("*.png")}
    problems = []
    for chapter, (lines, images) in traces.items():
        problems += [f"{chapter}: the course edition shows {line!r}" for line in sorted(lines)
                     if line in text]
        problems += [f"{chapter}: the course edition has a solution's image {name}.png"
                     for name in sorted(images & published_images)]
    assert not problems, "\n".join(problems[:40])
    assert not list(course_site.rglob("_sources")), "page sources (solved notebooks) published"
    for page in course_site.rglob("*.html"):
        body = page.read_text(encoding="utf-8")
        assert "Show solution" not in body and SOLUTION_CLASS not in body, page.name
        assert "launch-buttons" not in body, f"{page.name}: launch buttons to solved notebooks"


def test_course_edition_keeps_everything_else(course_site, built_site):
    for chapter in CHAPTERS:
        page = (course_site / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        full = (built_site / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        headings = re.findall(r"<h2>.*?</h2>", full)
        assert headings and all(h in page for h in headings), (
            f"{chapter}: the course edition lost a section (an exercise's heading)")
        assert f"exercises/{chapter}.ipynb" in page or f"{chapter}.ipynb" in page
        assert page.count("<figure") >= full.count("<figure") - page.count(SOLUTION_CLASS)


def test_default_edition_folds_every_solution_with_its_output(built_site, traces):
    """The same traces are on the default site (so the check above can see them), each
    inside a folded solution."""
    text = site_text(built_site)
    for chapter, (lines, _) in traces.items():
        seen = [line for line in lines if line in text]
        assert len(seen) >= len(lines) // 2, (
            f"{chapter}: the default site shows few of its solutions ({len(seen)} of "
            f"{len(lines)} lines)")
        page = (built_site / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        folds = re.findall(r'<div class="cell [^"]*\btag_solution\b[^"]*"[^>]*>\s*'
                           r'<details class="admonition hide above-input">', page)
        solutions = [c for c in nbformat.read(ROOT / "book" / f"{chapter}.ipynb",
                                              as_version=4).cells
                     if generate.SOLUTION_TAG in c.metadata.get("tags", [])]
        assert len(folds) == len(solutions), (
            f"{chapter}: {len(solutions)} solutions, {len(folds)} folded with their output")


# -- the course edition reveals no answer ------------------------------------------------------
# Its rule (nnbook/sphinx_site.py, leave_out_answers): from a chapter's first solution on, a
# code cell's output is left out unless the source tags the cell answer-free; in prose tagged
# states-answer, the paragraphs that state a precise value are left out.
NUMBER = re.compile(r"-?\d+\.\d+")


def significant(number: str) -> int:
    # A decimal's trailing zeros tell nothing apart: 1.000 is as common a number as 1.
    return len(number.lstrip("-").replace(".", "").lstrip("0").rstrip("0"))


def numbers(text: str) -> set[str]:
    """The numbers of ``text`` precise enough to be told apart (four significant digits)."""
    return {n for n in NUMBER.findall(text) if significant(n) >= 4}


def _names(node) -> set[str]:
    import ast

    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _bound(tree, tainted: set[str]) -> set[str]:
    """What a cell's own scope binds: its functions and classes, the names (or the objects
    of attributes and items) it assigns, and objects whose methods it calls with something
    ``tainted``. The bodies of its functions are their own scopes."""
    import ast

    def base(node):
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        return {node.id} if isinstance(node, ast.Name) else set()

    bound, stack = set(), list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) \
                and isinstance(node.ctx, ast.Store):
            bound |= base(node)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and any(
                _names(arg) & tainted for arg in [*node.args, *(k.value for k in node.keywords)]):
            bound |= base(node.func.value)
        stack.extend(ast.iter_child_nodes(node))
    return bound


def answer_dependence(book: nbformat.NotebookNode) -> dict[str, set[str]]:
    """For each code cell after the chapter's first solution, the names it uses that a
    solution computed (directly or through an earlier cell that used one)."""
    import ast

    trees = {cell.id: ast.parse(cell.source) for cell in book.cells if cell.cell_type == "code"}
    # A module is never an answer, whatever a cell calls on it.
    modules = {(alias.asname or alias.name).split(".")[0] for tree in trees.values()
               for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
               for alias in node.names}
    tainted: set[str] = set()
    uses: dict[str, set[str]] = {}
    seen = False
    for cell in book.cells:
        if is_solution(cell):
            seen = True
        if cell.cell_type != "code":
            continue
        tree = trees[cell.id]
        if is_solution(cell):
            tainted |= _bound(tree, tainted | _bound(tree, set())) - modules
            continue
        used = _names(tree) & tainted
        if used:
            tainted |= _bound(tree, tainted) - modules
        if seen:
            uses[cell.id] = used
    return uses


def test_the_dependence_check_sees_a_use_of_an_answer():
    book = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import numpy as np\nx = np.ones(2)", id="setup"),
        nbformat.v4.new_code_cell("def f(v):\n    return 2 * v\ncache = {}", id="solution",
                                  metadata={"tags": [generate.SOLUTION_TAG]}),
        nbformat.v4.new_code_cell("y = x + 1\nprint(y)", id="free"),
        nbformat.v4.new_code_cell("results = []\nresults.append(f(x))", id="through"),
        nbformat.v4.new_code_cell("print(np.mean(results))", id="later"),
    ])
    uses = answer_dependence(book)
    assert uses == {"free": set(), "through": {"f"}, "later": {"results"}}


def test_cells_tagged_answer_free_use_no_answer():
    problems = []
    for chapter in CHAPTERS:
        book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        uses = answer_dependence(book)
        for cell in book.cells:
            if generate.ANSWER_FREE_TAG in cell.metadata.get("tags", []):
                if cell.id not in uses:
                    problems.append(f"{chapter}, cell {cell.id}: tagged {generate.ANSWER_FREE_TAG}"
                                    " but before the first solution, where no tag is needed")
                elif uses[cell.id]:
                    problems.append(f"{chapter}, cell {cell.id}: tagged "
                                    f"{generate.ANSWER_FREE_TAG} but uses "
                                    f"{', '.join(sorted(uses[cell.id]))}, computed from a "
                                    "solution; remove the tag")
    assert not problems, "\n".join(problems)


def design() -> str:
    path = ROOT.parent / "shared" / "DESIGN.md"
    if not path.is_file():
        pytest.skip("../shared/DESIGN.md is not beside the repository")
    return path.read_text(encoding="utf-8")


def documented_answers() -> set[str]:
    """The documented values of ../shared/DESIGN.md that are derivatives: what the exercises
    of chapters 3 to 6 ask for."""
    rows = [line for line in design().splitlines() if line.startswith("|") and "dJ/d" in line]
    # A value's column may show how it is computed: the value is what follows the last "=".
    return set().union(*(numbers(row.split("|")[2].rsplit("=", 1)[-1]) for row in rows))


@pytest.fixture(scope="module")
def answers() -> dict[str, str]:
    """Every value that gives an answer away, and where it comes from: the documented
    derivatives, and the numbers printed by solutions and by later cells that depend on
    them. A value the book works out before a chapter's first solution or in a cell tagged
    answer-free, in the first chapter that shows it, is taught, not an answer; so are the
    other numbers of DESIGN.md (the data, seed 001's published accuracy)."""
    taught = dict.fromkeys(numbers(design()) - documented_answers(), True)
    found: dict[str, str] = {}
    for chapter in CHAPTERS:
        book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        dependent = {cell_id for cell_id, used in answer_dependence(book).items() if used}
        seen = False
        for cell in book.cells:
            seen = seen or is_solution(cell)
            outputs = "\n".join(_output_text(o) for o in cell.get("outputs", []))
            tagged_free = generate.ANSWER_FREE_TAG in cell.metadata.get("tags", [])
            for number in numbers(cell.source + "\n" + outputs):
                taught.setdefault(number, not seen or tagged_free)
            if cell.cell_type == "code" and seen and (is_solution(cell) or (
                    cell.id in dependent and not tagged_free)):
                for number in numbers(outputs):
                    found.setdefault(number, f"{chapter}, output of cell {cell.id}")
    for number in documented_answers():
        found.setdefault(number, "DESIGN.md's documented values")
    result = {number: source for number, source in found.items() if not taught.get(number)}
    assert len(result) >= 50, f"hardly any answer to look for: {sorted(result)}"
    assert documented_answers() <= set(result), "a documented derivative counts as taught"
    return result


def page_texts(folder: Path) -> dict[str, str]:
    texts = {}
    for page in sorted(folder.rglob("*.html")):
        parser = _Text()
        parser.feed(page.read_text(encoding="utf-8"))
        texts[str(page.relative_to(folder))] = normalised(html.unescape("".join(parser.parts)))
    return texts


def test_course_edition_shows_no_answer(course_site, answers):
    problems = []
    for page, text in page_texts(course_site).items():
        for number, source in sorted(answers.items()):
            at = text.find(number)
            if at >= 0:
                problems.append(f"{page} shows {number} ({source}): ...{text[at - 60:at + 30]}...")
    assert not problems, (
        f"{len(problems)} answers on the course edition's pages; tag the prose that states "
        f"one {generate.STATES_ANSWER_TAG!r} in its source, or rewrite it:\n"
        + "\n".join(problems[:30]))


def test_default_edition_shows_the_answers(built_site, answers):
    """The same search finds them on the default site (behind its toggles or in the text)."""
    text = " ".join(page_texts(built_site).values())
    shown = [number for number in answers if number in text]
    assert len(shown) >= 0.8 * len(answers), (
        f"only {len(shown)} of {len(answers)} answers on the default site")
    assert documented_answers() <= set(shown)


def withheld_images() -> set[str]:
    """The images the course edition leaves out: those of solutions and of later cells that
    depend on one and are not tagged answer-free."""
    names = set()
    for chapter in CHAPTERS:
        book = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
        dependent = {cell_id for cell_id, used in answer_dependence(book).items() if used}
        for cell in book.cells:
            if cell.cell_type == "code" and (is_solution(cell) or cell.id in dependent):
                names |= {hashlib.sha256(base64.b64decode(o["data"]["image/png"])).hexdigest()
                          for o in cell.outputs if "image/png" in o.get("data", {})}
    return names


def test_course_edition_has_no_figure_drawn_from_an_answer(course_site, built_site):
    withheld = withheld_images()
    assert withheld & {p.stem for p in built_site.rglob("*.png")}, (
        "no figure depends on an answer on the default site: the check below sees nothing")
    published = sorted(withheld & {p.stem for p in course_site.rglob("*.png")})
    assert not published, f"figures drawn from an answer in the course edition: {published}"
    for chapter in CHAPTERS:
        page = (course_site / "book" / f"{chapter}.html").read_text(encoding="utf-8")
        for name in withheld:
            assert name not in page, f"{chapter}: links to the withheld figure {name}.png"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_hidden_tests_reach_no_student_artefact(chapter, built_site):
    lines = hidden_test_lines(chapter)
    assert lines, f"{chapter} has no hidden tests"
    artefacts = [ROOT / folder / f"{chapter}.ipynb" for folder in ("exercises", "solutions",
                                                                     "book")]
    artefacts += [built_site / "book" / f"{chapter}.html"]
    artefacts += list(built_site.glob(f"_downloads/*/{chapter}.ipynb"))
    artefacts += list(built_site.glob(f"_sources/book/{chapter}*"))
    for path in artefacts:
        text = path.read_text(encoding="utf-8")
        assert "HIDDEN TESTS" not in text, f"hidden-test markers in {path}"
        raw = [line for line in lines if line in text or
               line.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&") in text]
        assert not raw, f"hidden test code in {path}: {raw[:3]}"
