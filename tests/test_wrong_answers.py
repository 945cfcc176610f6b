"""The catalogue of typical wrong answers (issue 13): checks that never lie to a learner.

``tests/wrong_answers/chNN.py`` lists, per chapter, answers a learner plausibly writes:
``WRONG`` ones, each of which must fail its visible check and its hidden test, and ``RIGHT``
ones (other correct ways to write the answer), which must pass both. Each entry is data:

- ``cell``: the grade_id of the solution cell the learner writes;
- ``exercise``: the exercise as the chapter shows it (``9`` for Exercise 9, ``"D1"`` for
  Exercise D1, or a full label such as ``"Warm-up A"``);
- ``why``: what the learner did, in a few words (it names the test);
- ``replace=[(old, new), ...]`` (every occurrence of each ``old``, which must occur, is
  replaced in the solution cell's source) or ``code="..."`` (the whole cell);
- ``fails`` (WRONG only): the check cells (grade_ids) whose visible check and hidden test must
  fail;
- ``pending`` (optional): why the entry can only pass after a change elsewhere; it is xfail.

One plain (unsandboxed) kernel per chapter runs the chapter's solution version once; each
entry then runs its cell in place of the solution, runs the check cells of its exercise and of
the exercises after it, asks the chapter's hidden tests about the same kernel, and puts the
solution back. With ``NNBOOK_CATALOGUE=full`` a wrong answer must also not cascade: the
hidden tests of every later graded cell that uses what the answer defines pass, and the
visible checks of those later exercises pass or name the exercise to fix. That part runs the
later exercises (chapter 5's training among them) for every entry, several minutes in all, so
the test command leaves it out; run it after changing a chapter's checks or hidden tests.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import os
from contextlib import ExitStack
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from nnbook import generate
from nnbook.checks import CheckFailed
from nnbook.grader import hidden
from nnbook.grader.bridge import Kernel

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = Path(__file__).with_name("wrong_answers")
COURSE = ROOT / "autograder"
KEYS = {"cell", "exercise", "why", "replace", "code", "fails", "pending"}
FAILED_LINE = "\u2718"
# Prints a digest of the kernel's data (arrays, numbers, and dicts, lists and tuples of them),
# to notice an answer that changed data in place which putting the solution back leaves wrong.
# The names the check cells assign (scratch values, which each check sets anew) are left out:
# the code runs after `_nnbook_skip = {...}`.
FINGERPRINT = """
def _nnbook_fingerprint():
    import hashlib
    import numpy
    digest = hashlib.sha1()
    def add(value):
        if hasattr(value, "detach") and hasattr(value, "numpy"):
            value = value.detach().cpu().numpy()
        if isinstance(value, numpy.ndarray) and value.dtype != object:
            digest.update(repr((value.shape, str(value.dtype))).encode())
            digest.update(numpy.ascontiguousarray(value).data)  # no copy: some are large
        elif isinstance(value, (bool, int, float, numpy.number)):
            digest.update(repr(value).encode())
        elif isinstance(value, dict):
            for key, item in value.items():
                digest.update(repr(key).encode())
                add(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                add(item)
    for name, value in sorted(globals().items()):
        if not name.startswith("_") and name not in ("In", "Out") and name not in _nnbook_skip:
            digest.update(name.encode())
            add(value)
    return digest.hexdigest()
print(_nnbook_fingerprint())
"""  # a check that reports a failure without raising starts its line so


def load_catalogue() -> dict[str, object]:
    """The catalogue modules by short name (``ch01``), loaded from their files."""
    modules = {}
    for path in sorted(CATALOGUE.glob("ch[0-9][0-9].py")):
        spec = importlib.util.spec_from_file_location(f"wrong_answers_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules[path.stem] = module
    return modules


MODULES = load_catalogue()
# BOOK_CHAPTERS="03-chain-rule" narrows the catalogue to some chapters, as the other tests.
CHAPTERS = os.environ.get("BOOK_CHAPTERS", "").split()


def entries():
    for short, module in MODULES.items():
        if CHAPTERS and module.CHAPTER not in CHAPTERS:
            continue
        for kind in ("WRONG", "RIGHT"):
            for entry in getattr(module, kind, []):
                marks = []
                if entry.get("pending"):
                    marks.append(pytest.mark.xfail(reason=entry["pending"], strict=False))
                yield pytest.param(module.CHAPTER, kind, entry, marks=marks,
                                   id=f"{short}-{entry.get('cell')}-{entry.get('why')}")


def label(exercise) -> str:
    """How the chapter names an exercise: 'Exercise 9', 'Exercise D1', or a label as given."""
    text = str(exercise)
    return text if " " in text else f"Exercise {text}"


def defined_names(source: str) -> list[str]:
    """The names a cell defines at its top level (functions, classes, assigned variables)."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign))
                   else [])
        for target in targets:
            names += _bound_names(target)
    return names


def _bound_names(target: ast.expr) -> list[str]:
    """The names an assignment target binds: ``NN.forward_pass = ...`` or ``P[0] = ...``
    binds none (they change an object the cell did not define)."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for item in target.elts for name in _bound_names(item)]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return []


def only_draws(source: str) -> bool:
    """A cell that only draws figures (``diagrams.f(...)`` calls): skipped, for speed."""
    body = ast.parse(source).body
    return bool(body) and all(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "diagrams"
        for node in body)


def mentions(source: str, names: list[str]) -> bool:
    """Whether code uses one of ``names`` as an identifier."""
    used = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    return bool(used & set(names))


def answer_source(entry: dict, solution: str) -> str:
    if "code" in entry:
        return entry["code"]
    source = solution
    for old, new in entry["replace"]:
        assert old in source, f"{old!r} does not occur in the solution cell {entry['cell']}"
        source = source.replace(old, new)
    return source


class Chapter:
    """One kernel that has run a chapter's solution version, and the chapter's hidden tests."""

    def __init__(self, chapter: str):
        self.chapter = chapter
        self.nb = generate.solution_version(generate.read_source(chapter))
        self.index = {c.metadata.get("nbgrader", {}).get("grade_id"): i
                      for i, c in enumerate(self.nb.cells) if c.cell_type == "code"}
        self.tests = hidden.load(COURSE, chapter)
        # The client keeps the cells it runs in its notebook: give it a copy of its own.
        self.client = NotebookClient(
            copy.deepcopy(self.nb), timeout=120, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(ROOT / "solutions")}})
        self._stack = ExitStack()
        # As when grading: chapter 7 then skips its long training runs. Only the kernel sees it.
        grading = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = "autograde"
        try:
            self._stack.enter_context(self.client.setup_kernel())
        finally:
            if grading is None:
                del os.environ["NBGRADER_EXECUTION"]
            else:
                os.environ["NBGRADER_EXECUTION"] = grading
        try:
            # Short tracebacks: formatting IPython's full ones took most of a failing check's time.
            self.run("%xmode Minimal", 0)
            self.run_all()
            self.bridge = Kernel(self.client.km.get_connection_info(), call_timeout=10,
                                 timed_out=set())
        except BaseException:
            self._stack.close()
            raise

    def run_all(self) -> None:
        """Run the solution version, then note the fingerprint of the kernel's data."""
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code" and not only_draws(cell.source):
                # Outside the checks a line may start with a cross on purpose (a chapter
                # showing what a gradient check prints for a wrong answer): only errors count.
                failed, text = self.run(cell.source, index,
                                        crosses=generate.is_grading_test(cell))
                assert not failed, f"{self.chapter}: cell {index} of the solutions fails:\n{text}"
        self.fingerprint = self.run(self._fingerprint_code(), 0)[1]

    def _fingerprint_code(self) -> str:
        scratch = sorted({name for cell in self.nb.cells if generate.is_grading_test(cell)
                          for name in defined_names(cell.source)})
        return f"_nnbook_skip = {set(scratch)!r}\n{FINGERPRINT}"

    def rebuild_if_changed(self) -> bool:
        """Run the solution version again if an answer changed the kernel's data in place."""
        if self.run(self._fingerprint_code(), 0)[1] == self.fingerprint:
            return False
        self.run_all()
        return True

    def close(self) -> None:
        self.bridge.close()
        self._stack.close()

    def run(self, source: str, index: int, crosses: bool = True) -> tuple[bool, str]:
        """Run code as cell ``index``: (whether it failed visibly, what it showed). A failure
        is an error, or (with ``crosses``) a line of output that starts with a cross."""
        cell = nbformat.v4.new_code_cell(source)
        self.client.execute_cell(cell, index)
        failed, shown = False, []
        for output in cell.outputs:
            if output.output_type == "error":
                failed = True
                shown.append(f"{output.ename}: {output.evalue}")
            elif output.output_type == "stream":
                shown.append(output.text)
                failed |= crosses and any(line.startswith(FAILED_LINE)
                                          for line in output.text.splitlines())
        return failed, "".join(shown).strip()

    def forget(self, names: list[str]) -> None:
        """Remove names from the kernel, as if the cell defining them had never run."""
        self.run(f"for _name in {names!r}:\n    globals().pop(_name, None)\ndel _name", 0)

    def judge(self, grade_id: str) -> str | None:
        """None when the hidden test of ``grade_id`` passes, else the learner's message."""
        test = self.tests.get(grade_id)
        assert test is not None, f"{self.chapter} has no hidden test for {grade_id}"
        try:
            test(self.bridge)
        except CheckFailed as failure:
            return str(failure)
        return None

    def check_cells(self, after: int) -> list[int]:
        return [i for i, c in enumerate(self.nb.cells)
                if i > after and generate.is_grading_test(c)]

    def exercise_cells(self, solution: int) -> list[int]:
        """The check cells between a solution cell and the next solution cell."""
        cells = []
        for i in range(solution + 1, len(self.nb.cells)):
            cell = self.nb.cells[i]
            if cell.cell_type == "code" and generate.is_solution(cell):
                break
            if generate.is_grading_test(cell):
                cells.append(i)
        return cells

    def depends(self, check: int, names: list[str]) -> bool:
        """Whether a check cell, or the solution cell it checks (the last one before it),
        uses one of ``names``."""
        solutions = [i for i in range(check) if self.nb.cells[i].cell_type == "code"
                     and generate.is_solution(self.nb.cells[i])]
        cells = [self.nb.cells[check]] + [self.nb.cells[i] for i in solutions[-1:]]
        return any(mentions(cell.source, names) for cell in cells)

    def grade_id(self, index: int) -> str:
        return self.nb.cells[index].metadata["nbgrader"]["grade_id"]


@pytest.fixture(scope="module")
def kernels():
    """One kernel at a time: the tests of a chapter come together, so each starts once."""
    open_chapter: dict[str, Chapter] = {}

    def get(chapter: str) -> Chapter:
        if chapter not in open_chapter:
            for other in open_chapter.values():
                other.close()
            open_chapter.clear()
            open_chapter[chapter] = Chapter(chapter)
        return open_chapter[chapter]

    yield get
    for chapter in open_chapter.values():
        chapter.close()


def validate(chapter: Chapter, kind: str, entry: dict) -> int:
    """Check an entry's form; return the index of its solution cell."""
    assert set(entry) <= KEYS, f"unknown keys {sorted(set(entry) - KEYS)}"
    assert {"cell", "exercise", "why"} <= set(entry), "cell, exercise and why are required"
    assert ("code" in entry) != ("replace" in entry), "give either code or replace"
    index = chapter.index.get(entry["cell"])
    assert index is not None and generate.is_solution(chapter.nb.cells[index]), \
        f"{entry['cell']} is not a solution cell of {chapter.chapter}"
    if kind == "WRONG":
        assert entry.get("fails"), "a wrong answer names the check cells that must fail"
        for grade_id in entry["fails"]:
            assert grade_id in chapter.index and generate.is_grading_test(
                chapter.nb.cells[chapter.index[grade_id]]), f"{grade_id} is not a check cell"
    else:
        assert "fails" not in entry, "a right answer fails nothing"
    return index


#: Also the cascade into later exercises (see the module's text).
FULL = os.environ.get("NNBOOK_CATALOGUE") == "full"


@pytest.mark.parametrize(("chapter_name", "kind", "entry"), list(entries()))
def test_catalogue_entry(kernels, chapter_name, kind, entry):
    chapter = kernels(chapter_name)
    solution = validate(chapter, kind, entry)
    correct = chapter.nb.cells[solution].source
    source = answer_source(entry, correct)
    assert source != correct, "the entry does not change the solution"
    fails = [chapter.index[g] for g in entry.get("fails", [])]
    own = sorted(set(chapter.exercise_cells(solution)) | set(fails))
    # Later exercises that use what the cell defines (in their solution or check): a
    # mistake must not cascade into them. The others cannot be affected, and are skipped.
    later = [i for i in chapter.check_cells(solution)
             if i not in own and chapter.depends(i, defined_names(correct))] if FULL else []

    chapter.forget(defined_names(correct))
    try:
        _, shown = chapter.run(source, solution)
        visible = {i: chapter.run(chapter.nb.cells[i].source, i) for i in own + later}
        verdicts = {i: chapter.judge(chapter.grade_id(i)) for i in own + later}
    finally:
        # Put the solution back, and the globals the checks set, for the next entry.
        chapter.forget(defined_names(source))
        chapter.run(correct, solution)
        restored = {chapter.grade_id(i): chapter.run(chapter.nb.cells[i].source, i)
                    for i in own + later}
        # An answer that changed data in place (the example's weights, say) leaves the kernel
        # wrong even with the solution back: then the whole solution version runs again.
        rebuilt = chapter.rebuild_if_changed()
    broken = {g: text for g, (failed, text) in restored.items() if failed and not rebuilt}
    assert not broken, f"checks fail after the solution was put back: {broken}"

    problems = []
    name = label(entry["exercise"])
    for i in own + later:
        grade_id, (failed, text) = chapter.grade_id(i), visible[i]
        verdict = verdicts[i]
        if kind == "RIGHT":
            if failed:
                problems.append(f"visible check {grade_id} fails this right answer:\n{text}")
            if verdict is not None:
                problems.append(f"hidden test {grade_id} fails this right answer:\n{verdict}")
        elif i in own and i not in fails:  # a check of the same exercise: exactly as said
            if failed:
                problems.append(f"visible check {grade_id} fails too (not in fails):\n{text}")
            if verdict is not None:
                problems.append(f"hidden test {grade_id} fails too (not in fails):\n{verdict}")
        elif i in fails:
            if not failed:
                problems.append(f"visible check {grade_id} passes this wrong answer:\n{text}")
            if verdict is None:
                problems.append(f"hidden test {grade_id} passes this wrong answer")
        else:  # a later exercise: no cascade
            if verdict is not None:
                problems.append(f"hidden test {grade_id} of a later exercise fails too "
                                f"(a cascade):\n{verdict}")
            if failed and name not in text:
                problems.append(f"visible check {grade_id} of a later exercise fails without "
                                f"naming {name}:\n{text}")
    assert not problems, (f"{kind} answer '{entry['why']}' in {entry['cell']}:\n"
                          + "\n".join(problems) + f"\n(the answer's cell showed: {shown[:300]})")


# -- what a catalogue must cover ---------------------------------------------------------------
@pytest.mark.parametrize("short", sorted(MODULES))
def test_catalogue_covers_every_exercise(short):
    """Every checked solution cell of the chapter has a wrong answer, and the chapter a right
    one. (A solution cell with no check cell after it, before the next solution, is a worked
    step the learner copies, such as chapter 6's class from chapter 5: nothing to fail.)"""
    module = MODULES[short]
    cells_of = generate.read_source(module.CHAPTER).cells
    solutions = [i for i, c in enumerate(cells_of)
                 if c.cell_type == "code" and generate.is_solution(c)]
    cells = []
    for position, index in enumerate(solutions):
        following = solutions[position + 1] if position + 1 < len(solutions) else len(cells_of)
        if any(generate.is_grading_test(c) for c in cells_of[index + 1:following]):
            cells.append(cells_of[index].metadata["nbgrader"]["grade_id"])
    covered = {entry["cell"] for entry in module.WRONG}
    missing = [cell for cell in cells if cell not in covered]
    assert not missing, f"{module.CHAPTER}: no wrong answer for {missing}"
    assert module.RIGHT, f"{module.CHAPTER}: no alternative right answer"
