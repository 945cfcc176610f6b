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
from conftest import CHAPTERS, ROOT

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
