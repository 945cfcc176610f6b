"""Chapter 6 builds on the learner's own chapter-5 class (issue 13, item 8).

Chapter 6 asks the learner to paste chapter 5's cells (the activations, the cost, the class
and the four methods) into its cell ``numpy_nn``, and then trains that class side by side with
PyTorch. These tests paste chapter 5's solution cells, whole, as a learner would, and run
chapter 6's bridge cells with them; and they keep chapter 6's own solution of ``numpy_nn``
identical to chapter 5's code, so that the page shows the class the learner wrote.
"""

from __future__ import annotations

import ast
import copy

from conftest import ROOT

from nnbook import generate

#: Chapter 5's cells that chapter 6 asks for, in the order it asks for them.
PASTED = ["relu", "identity", "mse", "nn_class", "initialize_parameters", "forward_pass",
          "backward_pass", "train"]


def _cells(nb) -> dict:
    return {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}


def chapter5_cells() -> list[str]:
    """Chapter 5's cells, with the solutions in place, as a learner who finished it has them."""
    cells = _cells(generate.solution_version(generate.read_source("05-nn-class")))
    return [cells[name].source for name in PASTED]


def definitions(source: str) -> str:
    """``source`` up to its last definition: the lines after it only try the code out."""
    kept = [node for node in ast.parse(source).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Assign))
            and not (isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                     and not node.targets[0].id.endswith("_dict"))]
    return "\n".join(source.splitlines()[:kept[-1].end_lineno])


def solution_of(cell_source: str) -> str:
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``."""
    lines = cell_source.splitlines()
    begin = next(i for i, line in enumerate(lines) if "### BEGIN SOLUTION" in line)
    end = next(i for i, line in enumerate(lines) if "### END SOLUTION" in line)
    return "\n".join(lines[begin + 1:end])


def test_chapter6_shows_the_chapter5_code():
    shown = solution_of(_cells(generate.read_source("06-pytorch"))["numpy_nn"].source)
    expected = "\n\n".join(definitions(source) for source in chapter5_cells())
    assert shown == expected, (
        "chapter 6's solution of numpy_nn must be chapter 5's definitions, in the order of "
        f"{PASTED}; rebuild it from chapter 5")


def test_bridge_runs_with_pasted_chapter5_cells():
    # Whole cells, demonstration lines included. (Chapter 6's own solution, the definitions
    # alone, is run by nbval on solutions/06-pytorch.ipynb.)
    nb = generate.solution_version(generate.read_source("06-pytorch"))
    _cells(nb)["numpy_nn"].source = "\n\n".join(chapter5_cells())
    # The cells up to the plot that compares the two runs; an error in any of them fails here.
    index = next(i for i, c in enumerate(nb.cells) if "same steps" in c.source.lower()
                 and c.cell_type == "code")
    nb.cells = copy.deepcopy(nb.cells[:index + 1])
    executed = generate.execute(nb, ROOT / "solutions")
    bridge = next(c for c in executed.cells if c.cell_type == "code"
                  and "losses_numpy = []" in c.source)
    text = "".join(o.get("text", "") for o in bridge.outputs)
    assert "Not defined yet" not in text
    assert "is below 1e-10: True" in text, text
    assert "final weights agree to 1e-10: True" in text, text
