"""What chapter 7's text says about its runs is what its stored outputs show (issue 14).

nbval proves that a fresh run reproduces the stored outputs (the timings aside); these tests
read the outputs the text talks about and check its claims against them: overfitting, the
shifted images, the ablation, the test accuracies, which of NumPy and PyTorch was faster in
float64 and in float32, and that the benchmark's table in the text trains the chapter's networks.
They read the solution notebook only, so they take well under a second.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import ROOT

NOTEBOOK = ROOT / "solutions" / "07-mnist.ipynb"
PERCENT = r"(\d+\.\d+)%"


@pytest.fixture(scope="module")
def outputs() -> dict[str, str]:
    """The stored printed output of each code cell, by cell id."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    return {cell.get("id"): "".join(o.get("text", "") for o in cell.get("outputs", [])
                                    if o.get("name") == "stdout")
            for cell in nb.cells if cell.cell_type == "code"}


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    assert found, f"no {pattern!r} in the stored output:\n{text}"
    return float(found.group(1).replace(",", ""))


def test_the_page_was_built_with_the_course_data(outputs):
    # The claims below are about the course's 8,000 / 2,000 split, validation set aside.
    text = outputs["570ea52b"]
    assert "Only the MNIST test set is available" in text, text
    assert "training images: (7000, 28, 28)" in text and "validation images: (1000, 28, 28)" in text
    assert "test images: (2000, 28, 28)" in text


def test_the_mean_pixel_is_far_from_zero_as_the_text_says(outputs):
    assert number(r"mean pixel (-?\d+\.\d+)", outputs["75f12c3d"]) < -0.3


def test_the_better_recipe_overfits_as_the_text_says(outputs):
    text = outputs["f760c188"]
    assert number(r"Training accuracy in the last epoch: " + PERCENT, text) >= 99.5
    lowest = number(r"Validation cost: lowest after epoch (\d+)", text)
    epochs = len(re.findall(r"^\s+\d+\s", outputs["f760c188"], flags=re.M))
    assert lowest < epochs - 2, f"the validation cost does not rise again:\n{text}"
    last = number(r"(\d+\.\d+) after the last\.", text)
    best = number(r"\((\d+\.\d+)\), ", text)
    assert last > best


def test_shifted_images_do_better_on_validation(outputs):
    text = outputs["e5b7d9f1"]
    accuracy = re.search(PERCENT + r" with shifted images, " + PERCENT + " without", text)
    cost = re.search(r"(\d+\.\d+) with shifted images, (\d+\.\d+) without", text)
    assert accuracy and cost, text
    assert float(accuracy.group(1)) > float(accuracy.group(2))
    assert float(cost.group(1)) < float(cost.group(2))


def test_the_final_recipe_reaches_97_percent_and_the_test_orders_as_validation(outputs):
    text = outputs["f2c4e6a8"]
    classic = number(r"the classic network\s+" + PERCENT, text)
    better = number(r"better recipe\s+" + PERCENT, text)
    final = number(r"better recipe, shifted images\s+" + PERCENT, text)
    assert final >= 97.0, text
    assert classic < better < final, text
    assert classic > 90.0, text


def test_every_change_of_the_recipe_is_in_the_ablation_table(outputs):
    text = outputs["d0a2c4e6"]
    rows = re.findall(r"^(.+?)\s+" + PERCENT + r"\s+(\d+\.\d+)", text, flags=re.M)
    changes = [row[0].strip() for row in rows]
    for change in ("the better recipe with shifted images", "no shifted images",
                   "inputs scaled as the classic recipe does, not standardised",
                   "weights of standard deviation 0.01 instead of He",
                   "784-64-10 instead of 784-512-256-10", "no momentum (plain SGD)",
                   "L2 penalty 1e-4 added", "learning rate x 0.9 per epoch added"):
        assert change in changes, f"{change!r} missing from the ablation table:\n{text}"
    # What the text reads from it, in validation images gained or lost against the recipe.
    images = {row[0].strip(): round(float(row[1]) * 10) for row in rows}  # of 1,000 images
    gain = {change: images["the better recipe with shifted images"] - images[change]
            for change in images}
    for clear in ("no momentum (plain SGD)",
                  "inputs scaled as the classic recipe does, not standardised",
                  "784-64-10 instead of 784-512-256-10"):
        assert gain[clear] >= 10, f"{clear}: the text says it costs clearly\n{text}"
    for little in ("weights of standard deviation 0.01 instead of He", "no shifted images"):
        assert abs(gain[little]) <= 5, f"{little}: the text says it matters little\n{text}"
    assert gain["L2 penalty 1e-4 added"] <= 0, text
    assert gain["learning rate x 0.9 per epoch added"] < 0, text


def timing_rows(text: str) -> dict[str, dict[str, tuple[float, float, float]]]:
    """The timing cell's rows: {label: {dtype: (yours, PyTorch, yours / PyTorch)}}."""
    rows = {}
    for line in text.splitlines():
        label, *numbers = re.split(r"\s{2,}", line.strip())
        if len(numbers) == 6 and all(re.fullmatch(r"\d+\.\d+", n) for n in numbers):
            values = [float(n) for n in numbers]
            rows[label] = {"float64": tuple(values[:3]), "float32": tuple(values[3:])}
    return rows


def test_the_speed_sentences_agree_with_the_timing_cell(outputs):
    # The text says: for the classic network with batches of 16 your NumPy code was faster
    # than PyTorch, in float64 and in float32; with batches of 128 the ratio of your time to
    # PyTorch's was larger than with 16, in both; for the better recipe's network the two
    # took similar times, within a factor of two, in both; and for that network float32 took
    # less time than float64, for your code and for PyTorch.
    text = outputs["b4e6a8c0"]
    rows = timing_rows(text)
    assert set(rows) == {"classic, batch 16", "classic, batch 128",
                         "better, shifted, batch 64"}, text
    small, bigger_batches = rows["classic, batch 16"], rows["classic, batch 128"]
    large = rows["better, shifted, batch 64"]
    for dtype in ("float64", "float32"):
        assert small[dtype][2] < 1.0, text
        assert bigger_batches[dtype][2] > small[dtype][2], text
        assert 0.5 <= large[dtype][2] <= 2.0, text
    assert large["float32"][0] < large["float64"][0], text  # yours
    assert large["float32"][1] < large["float64"][1], text  # PyTorch
    # The float32 columns are float32 arithmetic: your functions did not upcast.
    assert "made arrays of" not in text, text


def benchmark_table(notebook) -> dict[tuple[str, str], dict[str, str]]:
    """The benchmark's printout in the chapter's text: {(recipe, batch): {column: cell}}."""
    for cell in notebook.cells:
        lines = [line for line in cell.source.splitlines() if line.startswith("| recipe |")]
        if cell.cell_type == "markdown" and lines:
            table = cell.source[cell.source.index(lines[0]):].split("\n\n")[0].splitlines()
            header = [h.strip() for h in table[0].strip("|").split("|")]
            rows = [dict(zip(header, (c.strip() for c in line.strip("|").split("|")),
                             strict=True)) for line in table[2:]]
            return {(row["recipe"], row["batch"]): row for row in rows}
    raise AssertionError("no table of the benchmark's printout in the chapter's text")


def test_the_benchmark_table_shows_the_chapters_networks(outputs):
    # The text says the benchmark starts from this chapter's initial weights and order of the
    # batches: in float64 at batches of 16 and 64 it trains this chapter's networks, to the
    # test accuracies this chapter prints.
    table = benchmark_table(nbformat.read(NOTEBOOK, as_version=4))
    printed = outputs["f2c4e6a8"]
    column = next(c for c in table["classic", "16"] if c.startswith("test accuracy"))
    for row, network in ((("classic", "16"), "the classic network"),
                         (("better, shifted images", "64"), "better recipe, shifted images")):
        yours_float64 = table[row][column].split(",")[0]
        in_the_chapter = number(network + r"\s+" + PERCENT, printed)
        assert yours_float64 == f"{in_the_chapter:.2f}%", (row, table[row], printed)


def test_the_sentences_about_the_benchmark_table_agree_with_it():
    # The text says: in that run your code in float32 took less time than your code in
    # float64, and less than PyTorch, in every row; in float64 it was faster than PyTorch
    # only with batches of 16.
    table = benchmark_table(nbformat.read(NOTEBOOK, as_version=4))
    for row in table.values():
        seconds = {name: float(row[f"{name} s/epoch"])
                   for name in ("yours float64", "yours float32", "PyTorch float32")}
        assert seconds["yours float32"] < seconds["yours float64"], row
        assert seconds["yours float32"] < seconds["PyTorch float32"], row
        faster_in_float64 = seconds["yours float64"] < seconds["PyTorch float32"]
        assert faster_in_float64 == (row["batch"] == "16"), row
