"""The stored outputs of the solutions show DESIGN.md's documented values.

nbval proves that a fresh run reproduces the stored outputs; this proves that those outputs are
the documented numbers, so together they prove the solutions reproduce them.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import ROOT

DOCUMENTED = {
    "02-forward-pass": {"z(1)": ["-0.314", "0.818", "-0.417"], "z(2)": ["-0.07362", "0.02454"],
                        "z(3)": ["0.0017178"]},
    "03-chain-rule": {"dJ/dw(3)_21": ["-2.77298"], "dJ/dw(2)_22": ["-6.47028"],
                      "dJ/dw(1)_12": ["-1.44751"], "dJ/dw(1)_22": ["-2.06448"],
                      "J of the whole data set": ["2837.70"]},
    "04-delta-recursion": {"averaged dJ/dW(3)": ["-1.37244"], "averaged dJ/db(3)": ["-70.9987"]},
    "05-nn-class": {"z(3)": ["0.0017178"], "averaged dJ/dW(3)": ["-1.37244"],
                    "averaged dJ/db(3)": ["-70.9987"]},
    "06-pytorch": {"dJ/dw(3)_21": ["-2.77298"], "averaged dJ/dW(3)": ["-1.37244"],
                   "averaged dJ/db(3)": ["-70.9987"]},
    "08-training-well": {"J of the whole data set": ["2837.70"], "averaged dJ/dW(3)": ["-1.37244"],
                         "averaged dJ/db(3)": ["-70.9987"]},
}


def stored_text(chapter: str) -> str:
    notebook = nbformat.read(ROOT / "solutions" / f"{chapter}.ipynb", as_version=4)
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
            parts.append(output.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


@pytest.mark.parametrize("chapter", sorted(DOCUMENTED))
def test_solutions_print_the_documented_values(chapter):
    text = stored_text(chapter)
    missing = [f"{quantity} = {value}" for quantity, values in DOCUMENTED[chapter].items()
               for value in values if value not in text]
    assert not missing, (f"solutions/{chapter}.ipynb does not print: {', '.join(missing)}; "
                         "regenerate with `python -m nnbook.generate` and check the source")
