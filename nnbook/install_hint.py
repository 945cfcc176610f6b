"""The first code cell of every notebook a learner gets says how to install what it imports.

A notebook downloaded from the website, opened on Colab or released by an instructor may land
where the book's package is not installed. Its first code cell then stops with a few lines
that name the missing module and give the one command that installs the learner's package
(``learner/``) with the extras the chapter needs, instead of a traceback:

    try:
        import numpy as np

        from nnbook import diagrams
        ...
    except ModuleNotFoundError as missing:
        ...
        raise PackageMissing(f"{missing.name} is not installed where ... %pip install ...")

Only the cell's leading imports are wrapped; the rest of the cell follows unchanged. Where the
package is installed (the learner's environment, the generator's kernel, nbval, the grader's
sandbox) the wrapper does nothing and prints nothing. The generator applies it to all three
versions of a chapter, and nbgrader's release step does the same (``GuardImports`` in
``autograder/nbgrader_config.py``) before the checksums, so the gradebook records the cell as
released.
"""

from __future__ import annotations

import ast
import copy
import re

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

#: The book's repository (``repository.url`` of ``_config.yml``; a test keeps them equal).
REPOSITORY = "https://github.com/backprop-book/backprop-book"
#: The learner's distribution lives in this folder of the repository.
LEARNER_PROJECT = "learner"
#: Modules a chapter may import beyond numpy and matplotlib, and the extra of the learner's
#: package (``learner/pyproject.toml``) that installs each; ``nnbook.mnist`` needs ``mnist``.
EXTRA_OF_MODULE = {"torch": "torch", "tqdm": "mnist", "threadpoolctl": "mnist",
                   "sklearn": "mnist", "nnbook.mnist": "mnist"}
#: The first line of the wrapper, by which an already wrapped cell is recognised.
OPENING = "try:"
#: The widest line of code the book shows (``nnbook.sphinx_site.DISPLAY_COLUMNS``).
COLUMNS = 80
#: What the first cell becomes: its leading imports, indented, in place of ``{imports}``, and
#: the message's string literals in place of ``{message}``.
WRAPPER = OPENING + """
{imports}
except ModuleNotFoundError as missing:  # say how to install it, briefly
    class PackageMissing(Exception):
        def _render_traceback_(self):  # Jupyter shows this, not a traceback
            return str(self).splitlines()

    raise PackageMissing(
{message}
    ) from None"""
MESSAGE = ("{missing.name} is not installed where this notebook runs. Install what the book's "
           "notebooks need with this line, in a cell of its own:\n\n    {command}\n\nthen "
           "restart the kernel (Kernel > Restart Kernel) and run the notebook again.")


def string_literals(text: str, indent: str) -> list[str]:
    """Adjacent Python string literals that spell ``text``, each line at most COLUMNS wide,
    split after a space or a slash (an f-string where ``text`` has ``{missing.name}``)."""
    pieces: list[str] = []
    for token in re.split(r"(?<=[ /])(?!\n)", text):
        if pieces and len(indent + _literal(pieces[-1] + token)) <= COLUMNS:
            pieces[-1] += token
        else:
            pieces.append(token)
    return [indent + _literal(piece) for piece in pieces]


def _literal(piece: str) -> str:
    quote = "'" if '"' in piece and "'" not in piece else '"'
    prefix = "f" if "{missing.name}" in piece else ""
    escaped = piece.replace("\\", "\\\\").replace("\n", "\\n")
    return prefix + quote + (escaped.replace('"', '\\"') if quote == '"' else escaped) + quote


def requirement(extras: list[str]) -> str:
    """The learner's package as pip names it, installed from the repository."""
    wanted = f"[{','.join(extras)}]" if extras else ""
    return f"nnbook{wanted} @ git+{REPOSITORY}#subdirectory={LEARNER_PROJECT}"


def install_command(extras: list[str]) -> str:
    """The line a learner runs in a notebook cell (``%pip`` installs into its kernel)."""
    return f'%pip install "{requirement(extras)}"'


def imported_modules(nb: nbformat.NotebookNode) -> set[str]:
    """Every module the notebook's code imports: top-level names, and ``nnbook.<module>``."""
    found: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # IPython magics, or a learner's unfinished line
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                found.add(name.split(".")[0])
                if name.startswith("nnbook."):
                    found.add(".".join(name.split(".")[:2]))
    return found


def extras_needed(nb: nbformat.NotebookNode) -> list[str]:
    """The extras of the learner's package that the notebook's imports need."""
    modules = imported_modules(nb)
    return sorted({extra for module, extra in EXTRA_OF_MODULE.items() if module in modules})


def guard(source: str, extras: list[str]) -> str:
    """``source`` with its leading imports wrapped (see the module's doc); unchanged when it
    starts with no import or is wrapped already."""
    if source.startswith(OPENING):
        return source
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return source
    leading = []
    for statement in body:
        if not isinstance(statement, (ast.Import, ast.ImportFrom)):
            break
        leading.append(statement)
    if not leading:
        return source
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip())  # no blank line first
    end = leading[-1].end_lineno
    imports = "\n".join("    " + line if line.strip() else "" for line in lines[start:end])
    text = MESSAGE.replace("{command}", install_command(extras))
    message = "\n".join(string_literals(text, " " * 8))
    return "\n".join([WRAPPER.format(imports=imports, message=message), *lines[end:]])


def guard_first_cell(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose first code cell says how to install what is missing."""
    nb = copy.deepcopy(nb)
    first = next((cell for cell in nb.cells if cell.cell_type == "code"), None)
    if first is not None:
        first.source = guard(first.source, extras_needed(nb))
    return nb


class GuardImports(Preprocessor):
    """nbgrader's ``generate_assignment`` step that does :func:`guard_first_cell`. It comes
    before ``ClearSolutions`` (an import in a solution counts too) and so before the checksums."""

    # nbconvert skips a preprocessor that is not enabled, and its default is off.
    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        return guard_first_cell(nb), resources

