"""The first code cell of every learner's notebook says how to install what it imports."""

from __future__ import annotations

import ast
import sys

import nbformat
import pytest
from conftest import CHAPTERS, ROOT

from nnbook import generate, install_hint


def first_code(nb) -> str:
    return next(c.source for c in nb.cells if c.cell_type == "code")


def after_imports(source: str) -> list[str]:
    """The lines of ``source`` after its leading imports."""
    end = 0
    for statement in ast.parse(source).body:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            break
        end = statement.end_lineno
    return source.split("\n")[end:]


class WithoutNnbook:
    """An import finder that answers for nnbook as Python does where it is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "nnbook":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


def message_where_nnbook_is_missing(cell: str, monkeypatch) -> str:
    """What the cell shows in Jupyter when nnbook is not installed."""
    with monkeypatch.context() as patch:
        for name in [m for m in sys.modules if m.split(".")[0] == "nnbook"]:
            patch.delitem(sys.modules, name)
        patch.setattr(sys, "meta_path", [WithoutNnbook(), *sys.meta_path])
        with pytest.raises(Exception) as raised:
            exec(compile(cell, "<cell>", "exec"), {})
    assert type(raised.value).__name__ == "PackageMissing", raised.value
    return "\n".join(raised.value._render_traceback_())


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_generated_version_s_first_cell_carries_its_chapter_s_command(chapter,
                                                                            monkeypatch):
    source = generate.read_source(chapter)
    command = install_hint.install_command(install_hint.extras_needed(source))
    original = first_code(source)
    for folder in ("exercises", "solutions", "book"):
        where = f"{folder}/{chapter}.ipynb"
        cell = first_code(nbformat.read(ROOT / folder / f"{chapter}.ipynb", as_version=4))
        assert cell == install_hint.guard(original, install_hint.extras_needed(source)), where
        assert cell.startswith("try:\n"), where
        assert max(len(line) for line in cell.splitlines()) <= install_hint.COLUMNS, where
        # What follows the wrapper is the source's cell after its imports, unchanged.
        assert cell.endswith("\n".join(after_imports(original))), where
        shown = message_where_nnbook_is_missing(cell, monkeypatch)
        assert shown.startswith("nnbook is not installed where this notebook runs."), where
        assert f"\n\n    {command}\n\n" in shown, where


def test_the_extras_follow_the_chapter_s_imports():
    def notebook(*sources):
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])

    assert install_hint.extras_needed(notebook("import numpy as np")) == []
    assert install_hint.extras_needed(notebook("import numpy", "from torch import nn")) == [
        "torch"]
    assert install_hint.extras_needed(notebook("from nnbook import mnist")) == ["mnist"]
    assert install_hint.extras_needed(notebook("%time x = 1", "import tqdm.auto")) == ["mnist"]
    assert install_hint.install_command(["mnist", "torch"]) == (
        '%pip install "nnbook[mnist,torch] @ git+https://github.com/backprop-book/'
        'backprop-book#subdirectory=learner"')


def test_the_wrapper_keeps_the_rest_of_the_cell_and_is_applied_once():
    source = "import numpy as np\n\nfrom nnbook import checks\n\nx = np.ones(2)  # kept"
    wrapped = install_hint.guard(source, [])
    assert wrapped.startswith("try:\n    import numpy as np\n\n    from nnbook import checks\n"
                              "except ModuleNotFoundError as missing:")
    assert wrapped.endswith("\n\nx = np.ones(2)  # kept")
    assert install_hint.guard(wrapped, []) == wrapped
    assert install_hint.guard("x = 1\nimport numpy", []) == "x = 1\nimport numpy"
    namespace: dict = {}
    exec(compile(wrapped, "<cell>", "exec"), namespace)  # nnbook is installed here: silent
    assert list(namespace["x"]) == [1.0, 1.0] and "PackageMissing" not in namespace


def test_nbgrader_releases_it_before_solutions_are_cleared_and_checksums_taken():
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions, ComputeChecksums
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT / "autograder")).load_config()
    steps = GenerateAssignment(config=config).preprocessors
    assert install_hint.GuardImports in steps, "autograder/nbgrader_config.py does not release it"
    assert steps.index(install_hint.GuardImports) < steps.index(ClearSolutions) < \
        steps.index(ComputeChecksums)
    # Called as nbconvert calls it: a preprocessor that is not enabled does nothing.
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import nnbook")])
    released, _ = install_hint.GuardImports()(plain, {})
    assert first_code(released).startswith("try:\n    import nnbook\n")
