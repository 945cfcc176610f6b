"""ruff keeps the package, the tests and the scripts tidy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    targets = [p for p in ("nnbook", "tests", "tasks.py", "benchmarks", "learner")
               if (ROOT / p).exists()]
    result = subprocess.run([str(ruff), "check", *targets], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr
