"""Shared code for the book *How a neural network learns*.

- :mod:`nnbook.example`  the example network's data and weights (chapters 2-6)
- :mod:`nnbook.diagrams` network diagrams drawn by code
- :mod:`nnbook.checks`   friendly checks used by the exercises
- :mod:`nnbook.mnist`    the MNIST files: reading, checking, downloading; the chapter's data
- :mod:`nnbook.generate` regenerates exercises, solutions and book pages from the sources

The learner's distribution (``learner/`` in the repository) holds the learner-side modules
alone; the generator, the grading command and the grader's modules are in the repository only.
"""

__version__ = "0.1.0"
