"""The website builds with every warning treated as an error (nitpicky references included)."""

from __future__ import annotations

from conftest import CHAPTERS


def test_website_builds_strictly(site_build):
    result, html = site_build
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert "build succeeded" in result.stdout
    for page in ["index", "learners", "instructors", "glossary", *CHAPTERS]:
        assert (html / "book" / f"{page}.html").is_file(), f"book/{page}.html was not built"


def test_site_works_offline(built_site):
    assert (built_site / "_static" / "mathjax" / "tex-chtml.js").is_file(), (
        "MathJax is not bundled with the site")
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr.net" not in text and "cdnjs" not in text, (
            f"{page.name} loads a script from a CDN")
