"""Shared code for the book *How a neural network learns*.

- :mod:`nnbook.example`  the example network's data and weights (chapters 2-6)
- :mod:`nnbook.diagrams` network diagrams drawn by code
- :mod:`nnbook.checks`   friendly checks used by the exercises
- :mod:`nnbook.mnist`    the MNIST files: reading, checking, downloading; the chapter's data
- :mod:`nnbook.generate` regenerates exercises, solutions and book pages from the sources
"""

__version__ = "0.1.0"
