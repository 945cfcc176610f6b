"""The website builds with every warning treated as an error (nitpicky references included)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import CHAPTERS, ROOT


def test_website_builds_strictly(tmp_path):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(tmp_path),
         "--warningiserror", "--nitpick", "--keep-going"],
        capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    html = tmp_path / "_build" / "html"
    for page in ["index", "learners", "instructors", "glossary"] + [f"book/{c}" for c in
                                                                     CHAPTERS]:
        name = page if page.startswith("book/") else f"book/{page}"
        assert (html / f"{name}.html").is_file(), f"{name}.html was not built"
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file(), "MathJax is not bundled"
