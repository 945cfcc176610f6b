"""Chapter 8's random exercises (initialisation, dropout) are judged by statistics: a right
answer must pass whatever stream of random numbers its generator gives, and a wrong one fail.

The hidden tests run here against a stand-in for the grader's channel into a kernel: it calls
local functions, and makes every generator it is asked for from the requested seed and a
``stream`` number, so that each stream gives the answer other random numbers (stream 0 is the
requested seed itself, as in a real kernel).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT

from nnbook.checks import CheckFailed
from nnbook.grader import hidden

CHAPTER = "08-training-well"
STREAMS = range(20)


class Generator:
    """A generator as the hidden tests see one of the kernel: ``rng.call("random")``."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def call(self, method: str, *args):
        return getattr(self.rng, method)(*args)


class LocalKernel:
    def __init__(self, functions: dict, stream: int):
        self.functions, self.stream = functions, stream

    def new(self, name: str, seed: int) -> Generator:
        assert name == "np.random.default_rng"
        return Generator(np.random.default_rng(seed if self.stream == 0 else [seed, self.stream]))

    def call(self, name: str, *args, **kwargs):
        args = [a.rng if isinstance(a, Generator) else a for a in args]
        return self.functions[name](*args, **kwargs)


def normal_init(variance_factor, fan):
    def init(n_in, n_out, rng):
        size = n_in if fan == "in" else n_out
        return rng.normal(0.0, np.sqrt(variance_factor / size), size=(n_in, n_out))
    return init


def uniform_xavier(n_in, n_out, rng):
    bound = np.sqrt(3.0 / n_in)  # the variance of U(-a, a) is a^2 / 3
    return rng.uniform(-bound, bound, size=(n_in, n_out))


def dropout_forward(scale=True, keep_is_drop=False):
    def forward(X, keep_prob, rng, training=True):
        if not training:
            return X, None
        threshold = 1 - keep_prob if keep_is_drop else keep_prob
        mask = rng.random(X.shape) < threshold
        return (X * mask / keep_prob if scale else X * mask), mask
    return forward


def dropout_backward(d_out, mask, keep_prob):
    return d_out * mask / keep_prob


RIGHT = {
    "check_init": [{"xavier_init": normal_init(1.0, "in"), "he_init": normal_init(2.0, "in")},
                   {"xavier_init": uniform_xavier, "he_init": normal_init(2.0, "in")}],
    "check_dropout": [{"dropout_forward": dropout_forward(),
                       "dropout_backward": dropout_backward}],
}
WRONG = {
    "check_init": [{"xavier_init": normal_init(1.0, "out"), "he_init": normal_init(2.0, "in")},
                   {"xavier_init": normal_init(1.0, "in"), "he_init": normal_init(1.0, "in")}],
    "check_dropout": [{"dropout_forward": dropout_forward(scale=False),
                       "dropout_backward": dropout_backward},
                      {"dropout_forward": dropout_forward(keep_is_drop=True),
                       "dropout_backward": dropout_backward}],
}


def judge(grade_id: str, functions: dict, stream: int) -> str | None:
    test = hidden.load(ROOT / "autograder", CHAPTER)[grade_id]
    try:
        test(LocalKernel(functions, stream))
    except CheckFailed as failure:
        return str(failure)
    return None


@pytest.mark.parametrize("grade_id", sorted(RIGHT))
def test_right_answers_pass_for_every_stream_of_random_numbers(grade_id):
    failures = [(stream, message) for functions in RIGHT[grade_id] for stream in STREAMS
                if (message := judge(grade_id, functions, stream)) is not None]
    assert not failures, failures[:3]


@pytest.mark.parametrize("grade_id", sorted(WRONG))
def test_wrong_answers_fail_for_every_stream_of_random_numbers(grade_id):
    passing = [stream for functions in WRONG[grade_id] for stream in STREAMS[:5]
               if judge(grade_id, functions, stream) is None]
    assert not passing, f"wrong answers pass {grade_id} with the streams {passing}"
