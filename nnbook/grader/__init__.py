"""The grader side of the book's package: run by the instructor's grading process only.

Never imported by the learner side, and never in the view of a kernel being graded (the
sandbox mounts an empty folder over this one):

- ``sandbox``: each submission's kernel in a bubblewrap sandbox;
- ``bridge`` (and ``kernel_side``, its half inside the kernel): the data-only channel through
  which hidden tests call a learner's functions;
- ``hidden``: loading a chapter's hidden tests from ``autograder/hidden_tests/``;
- ``preprocessors``: the nbgrader steps that grade and make feedback safe;
- ``integrity``: what is checked after grading.
"""
