"""The MNIST benchmark runs your code as the chapter does, and its float32 row is float32.

``benchmarks/mnist_benchmark.py`` reads the chapter's functions from its source notebook and
times them in float64 and in float32. These tests train on a few synthetic images, and on the
course's data for the classic network alone (about two seconds), so they stay fast.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import replace

import nbformat
import numpy as np
import pytest
from conftest import COURSE_MNIST, ROOT

from nnbook import mnist

BENCHMARK = ROOT / "benchmarks" / "mnist_benchmark.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("mnist_benchmark", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


class OneEpoch:
    """A stand-in for the benchmark's Epochs: one epoch of the same few images."""

    def __init__(self, images: np.ndarray, labels: np.ndarray):
        self.images, self.labels = images, labels

    def inputs(self, epoch: int, dtype) -> tuple[np.ndarray, np.ndarray]:
        return self.images.astype(dtype), self.labels

    def __len__(self) -> int:
        return 1


def tiny_training(bench, chapter: dict, dtype):
    """One epoch of the better recipe's update rule on 40 random 'images' of 12 pixels."""
    rng = np.random.default_rng(5)
    params = [(W.astype(dtype), b.astype(dtype))
              for W, b in bench.initial_params([12, 8, 6, 3], "he", rng)]
    recipe = replace(bench.BETTER, batch_size=16)
    epochs = OneEpoch(rng.normal(size=(40, 12)), rng.integers(0, 3, size=40))
    return bench.train_chapter(params, recipe, epochs, rng.normal(size=(10, 12)).astype(dtype),
                               chapter)


def test_your_code_given_float32_computes_in_float32(bench):
    chapter = bench.chapter_functions()
    times, predicted = tiny_training(bench, chapter, np.float32)  # stops if anything upcasts
    assert len(times) == 1 and predicted.shape == (10,)
    params = {"W1": np.ones((2, 3), np.float32), "b1": np.zeros((1, 3), np.float32)}
    X, T = np.ones((4, 2), np.float32), np.eye(3, dtype=np.float32)[[0, 1, 2, 0]]
    assert bench.arrays_not_in(np.float32, chapter, params, X, T) == []


def test_a_float64_target_matrix_is_caught(bench):
    chapter = bench.chapter_functions()
    params = {"W1": np.ones((2, 3), np.float32), "b1": np.zeros((1, 3), np.float32)}
    X, T = np.ones((4, 2), np.float32), np.eye(3)[[0, 1, 2, 0]]  # np.eye is float64
    assert bench.arrays_not_in(np.float32, chapter, params, X, T) == [
        "dW1 (float64)", "db1 (float64)"]


def test_a_silent_upcast_in_your_code_stops_the_benchmark(bench):
    chapter = bench.chapter_functions()  # the namespace the chapter's functions run in
    # A mistake a learner could make: the delta computed against float64 targets.
    chapter["output_delta"] = lambda Y_hat, T: (Y_hat - T.astype(np.float64)) / len(Y_hat)
    with pytest.raises(SystemExit, match=r"did not stay float32: .*dW3 \(float64\)"):
        tiny_training(bench, chapter, np.float32)


@pytest.mark.skipif(not COURSE_MNIST.is_dir(), reason=f"{COURSE_MNIST} not found")
def test_the_float64_row_is_the_chapters_classic_network(bench):
    # Same initial weights, batches and arithmetic as the chapter: the same test accuracy.
    notebook = nbformat.read(ROOT / "solutions" / "07-mnist.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.get("id") == "f2c4e6a8"
                      for o in cell.get("outputs", []))
    chapter_accuracy = re.search(r"the classic network\s+(\d+\.\d+%)", printed)
    assert chapter_accuracy, f"no test accuracy of the classic network in:\n{printed}"
    chapter = bench.chapter_functions()
    data = mnist.load_book_data(COURSE_MNIST, download=False)
    setup = bench.set_up(bench.SEED_001, data, chapter)
    _, accuracy = bench.measure("yours float64", setup, data, 1, chapter)
    assert f"{accuracy:.2%}" == chapter_accuracy.group(1), (
        "the benchmark's float64 row no longer trains the chapter's classic network: compare "
        "its initial weights, order of the batches and scaling of the pixels with the chapter's")
