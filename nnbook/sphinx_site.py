"""The book's Sphinx extension (listed in ``_config.yml``): what the theme does not do well.

While the site is built it

- shows notebook code as a reader should see it: linter directives (``# noqa: E731``) left out
  and lines of at most 80 columns (:func:`display_code`; only the layout changes, checked by
  comparing syntax trees);
- gives every figure's image its caption, in plain text, as alternative text;
- for the *course edition* (``NNBOOK_COURSE_EDITION=1``, see ``tasks.py build
  --course-edition``) leaves out every solution and its output, the output of every later
  code cell of the chapter that is not tagged ``answer-free`` (a figure keeps its caption),
  the paragraphs of prose tagged ``states-answer`` that state a precise value, and the page
  sources and launch buttons that would lead back to the solutions (:func:`leave_out_answers`);
- lightens every page: no MathJax on a page without a formula, no icon font (the few icons
  the theme shows become a small stylesheet, made from the theme's own icons), no search
  scripts outside the search page (the theme's search-as-you-type is off);
- fixes what accessibility checkers find in the theme's markup: buttons and toggles whose
  accessible name hides their visible label, sidebar content outside a landmark;
- drops repeated inline scripts: Jupyter Book v1 registers sphinx-thebe's configuration twice
  on some pages, which declares the same ``const`` twice (a SyntaxError in every console).

``book/_static/nnbook.js`` and ``nnbook.css`` hold the fixes made in the reader's browser.
"""

from __future__ import annotations

import ast
import io
import os
import re
import textwrap
import tokenize
import urllib.parse
from pathlib import Path

from docutils import nodes

STATIC = Path(__file__).resolve().parent.parent / "book" / "_static"
#: Set to 1 (or use ``python3 tasks.py build --course-edition``) to build the course edition.
COURSE_EDITION_ENV = "NNBOOK_COURSE_EDITION"
#: The class that marks a solution on a page (see ``nnbook.generate.book_version``).
SOLUTION_CLASS = "tag_solution"
#: A code cell whose output the course edition keeps after a solution (the source's tag
#: ``answer-free``), and the container of prose that states an answer (``states-answer``).
ANSWER_FREE_CLASS = "tag_answer-free"
STATES_ANSWER_CLASS = "nnbook-states-answer"
#: What the course edition says where it leaves something out.
WITHHELD_OUTPUT = ("Output left out of the course edition: it comes from an exercise's "
                   "answer. Run the cell in your notebook once your solution passes its check.")
WITHHELD_FIGURE = ("Figure left out of the course edition: it is drawn from an exercise's "
                   "answer. Run the cell in your notebook once your solution passes its check.")
WITHHELD_PROSE = ("A passage is left out of the course edition here: it states an exercise's "
                  "answer.")
WITHHELD_CLASS = "nnbook-withheld"
#: The smallest text a figure may show, in CSS px: a figure is never shown narrower than
#: the width at which its smallest label (recorded by ``nnbook.diagrams.figure_png``) has
#: this size; on a narrower screen it scrolls sideways in its own box.
LEGIBLE_TEXT_PX = 11
BOOK = STATIC.parent
DISPLAY_COLUMNS = 80


# -- code as the book shows it -----------------------------------------------------------------
_LINT_COMMENT = re.compile(
    r"(noqa\b(\s*:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?|type:\s*ignore(\[[^\]]*\])?"
    r"|pragma:\s*no\s*cover|fmt:\s*(on|off|skip)|(pylint|isort|ruff|mypy):\s*\S+)\s*",
    re.IGNORECASE)
_OPEN, _CLOSE = "([{", ")]}"
#: Where a line may break before a token, the loosest-binding first.
_BREAK_BEFORE = {"for": 0, "if": 1, "else": 1, "or": 2, "and": 3, "not": 4, "in": 5, "is": 5,
                 "==": 5, "!=": 5, "<": 5, ">": 5, "<=": 5, ">=": 5, "+": 6, "-": 6, "*": 7,
                 "/": 7, "//": 7, "%": 7, "@": 7}
_SKIPPED = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
_STRING = re.compile(r"([fF]?)(['\"])(.*)\2$", re.DOTALL)


def display_code(source: str) -> str:
    """``source`` as the book shows it: no linter directives, lines of at most 80 columns.

    Long lines break inside brackets (after a comma, before an operator), long strings are
    split into adjacent literals, long comments move above their line and wrap, docstrings
    are rewrapped. Every step must leave the program the same (its syntax tree, docstrings'
    spacing aside); a line that cannot be shortened so is left as it is.
    """
    cleaned = without_lint_comments(source)
    program = _program(cleaned)
    if program is None:
        return cleaned
    current = cleaned
    for _ in range(400):
        changed = False
        for row, line in enumerate(current.split("\n"), start=1):
            if len(line) <= DISPLAY_COLUMNS:
                continue
            candidate = _shorten(current, row)
            if candidate is not None and candidate != current \
                    and _program(candidate) == program:
                current, changed = candidate, True
                break
        if not changed:
            break
    return current


def without_lint_comments(source: str) -> str:
    """``source`` without linter directives (``# noqa: E731``), keeping what they explain."""
    tokens = _tokens(source)
    if tokens is None:
        return source
    lines: list[str | None] = list(source.split("\n"))
    for token in reversed(tokens):
        if token.type != tokenize.COMMENT:
            continue
        text = token.string[1:].strip()
        match = _LINT_COMMENT.match(text)
        if not match:
            continue
        rest = text[match.end():].strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1].strip()
        row, col = token.start
        line = lines[row - 1]
        code = line[:col].rstrip()
        if rest:
            code = f"{code}  # {rest}" if code else f"{line[:col]}# {rest}"
        lines[row - 1] = code if code.strip() else None
    return "\n".join(line for line in lines if line is not None)


def _tokens(source: str) -> list[tokenize.TokenInfo] | None:
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _docstrings(tree: ast.AST):
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            yield body[0].value


def _program(source: str) -> str | None:
    """What ``source`` does, as text: its syntax tree with docstrings' spacing collapsed and
    the literal parts of f-strings joined, however they were split."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for docstring in _docstrings(tree):
        docstring.value = " ".join(docstring.value.split())
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            merged: list[ast.expr] = []
            for part in node.values:
                if merged and isinstance(part, ast.Constant) \
                        and isinstance(merged[-1], ast.Constant):
                    merged[-1] = ast.Constant(merged[-1].value + part.value)
                else:
                    merged.append(part)
            node.values = merged
    return ast.dump(tree, include_attributes=False)


def _with_brackets(tokens):
    """Each token with the positions of the brackets open before it."""
    stack: list[tuple[int, int]] = []
    for token in tokens:
        yield token, list(stack)
        if token.type == tokenize.OP and token.string in _OPEN:
            stack.append(token.start)
        elif token.type == tokenize.OP and token.string in _CLOSE and stack:
            stack.pop()


def _closing_rows(tokens) -> dict[tuple[int, int], int]:
    """For each opening bracket (by position), the row of the bracket that closes it."""
    stack, rows = [], {}
    for token in tokens:
        if token.type == tokenize.OP and token.string in _OPEN:
            stack.append(token.start)
        elif token.type == tokenize.OP and token.string in _CLOSE and stack:
            rows[stack.pop()] = token.start[0]
    return rows


def _shorten(source: str, row: int) -> str | None:
    """``source`` with its physical line ``row`` (1-based) shortened, or None."""
    lines = source.split("\n")
    line = lines[row - 1]
    tokens = _tokens(source)
    if tokens is None:
        return None
    on_line = [(t, stack) for t, stack in _with_brackets(tokens)
               if t.start[0] <= row <= t.end[0] and t.type not in _SKIPPED]
    if not on_line:
        return None
    indent = line[:len(line) - len(line.lstrip())]

    def replaced(first: int, last: int, new: list[str]) -> str:
        return "\n".join(lines[:first - 1] + new + lines[last:])

    # A comment: a trailing one goes on its own line above; a long one is wrapped.
    last, _ = on_line[-1]
    if last.type == tokenize.COMMENT and last.start[0] == row:
        wrapped = [f"{indent}# {part}" for part in textwrap.wrap(
            last.string[1:].strip(), DISPLAY_COLUMNS - len(indent) - 2,
            break_long_words=False, break_on_hyphens=False)]
        code = line[:last.start[1]].rstrip()
        if code and row > 1 and lines[row - 2].rstrip().endswith("\\"):
            return None
        return replaced(row, row, wrapped + ([code] if code else []))

    # A docstring: its paragraphs rewrapped.
    first, _ = on_line[0]
    try:
        docstring_rows = {d.lineno for d in _docstrings(ast.parse(source))}
    except SyntaxError:
        docstring_rows = set()
    if first.type == tokenize.STRING and first.start[0] in docstring_rows \
            and first.string.lstrip("rRuU")[:3] in ('"""', "'''"):
        return _rewrap_docstring(lines, first)

    wrapped = _wrap_in_brackets(line, row, on_line, tokens)
    if wrapped is not None:
        return replaced(row, row, [wrapped])

    # Inside brackets: a break after a comma, before an operator or after an opening
    # bracket; the one that makes both lines fit wins, then the shallowest, the loosest.
    closes = _closing_rows(tokens)
    header = line.rstrip().endswith(":")
    candidates = []
    for index, (token, stack) in enumerate(on_line):
        if token.start[0] != row or not stack or index == 0:
            continue
        previous, _ = on_line[index - 1]
        if previous.end[0] != row or previous.end[1] > DISPLAY_COLUMNS:
            continue
        opener = stack[-1]
        if previous.type == tokenize.OP and previous.string == ",":
            kind = 0
        elif previous.type == tokenize.OP and previous.string in _OPEN \
                and closes.get(previous.start) == row:
            kind = 2
        elif token.string in _BREAK_BEFORE and token.type in (tokenize.OP, tokenize.NAME) \
                and not (previous.type == tokenize.OP and previous.string not in _CLOSE) \
                and not (previous.type == tokenize.NAME and previous.string in _BREAK_BEFORE):
            kind = 1
        else:
            continue
        if kind == 2:
            continuation = len(indent) + (8 if header else 4)
        elif opener[0] == row:
            continuation = opener[1] + 1
        else:
            continuation = len(indent)
        if header and kind != 2 and continuation == len(indent) + 4:
            continuation += 4  # not where the block's body starts
        tail = line[token.start[1]:].rstrip()
        if continuation + len(tail) >= len(line.rstrip()):
            continue
        fits = continuation + len(tail) <= DISPLAY_COLUMNS
        order = 1 if kind == 0 else 2 + _BREAK_BEFORE[token.string] if kind == 1 else 0
        if kind == 1 and token.string == "for":
            order = 0
        candidates.append((not fits, kind == 2, len(stack), order, -token.start[1],
                           token.start[1], continuation))
    strings = _reflow_strings(lines, row, on_line, tokens)
    if candidates and (not min(candidates)[0] or strings is None):
        *_, col, continuation = min(candidates)
        return replaced(row, row, [line[:col].rstrip(), " " * continuation + line[col:]])
    return strings


def _wrap_in_brackets(line: str, row: int, on_line, tokens) -> str | None:
    """A one-line statement that could only break outside brackets, with brackets added:
    what follows its ``=`` (or ``return``, ``if``, ``elif``, ``while``) when that has a comma
    or an operator outside any bracket, or is one long string."""
    if not all(t.start[0] == row and t.end[0] == row for t, _ in on_line):
        return None
    if not any(t.type == tokenize.NEWLINE and t.start[0] == row for t in tokens):
        return None
    top = [t for t, stack in on_line if not stack]
    if not top or top[-1].type == tokenize.COMMENT:
        return None
    start = None
    if top[0].type == tokenize.NAME and top[0].string in {"return", "if", "elif", "while"}:
        start = 1
    else:
        for position, token in enumerate(top):
            if token.type == tokenize.OP and token.string in {"=", "+=", "-=", "*=", "/=",
                                                              "@=", "|="}:
                start = position + 1
    if start is None or start >= len(top):
        return None
    stop = len(top) - (1 if top[-1].type == tokenize.OP and top[-1].string == ":" else 0)
    inner = top[start:stop]
    breakable = any(t.string == "," or t.string in _BREAK_BEFORE for t in inner[1:]
                    if t.type in (tokenize.OP, tokenize.NAME))
    if not breakable and not (len(inner) == 1 and inner[0].type == tokenize.STRING):
        return None
    if any(t.type == tokenize.NAME and t.string == "lambda" for t in inner):
        return None
    first_col = inner[0].start[1]
    limit = top[stop].start[1] if stop < len(top) else len(line) + 1
    end_col = [t for t, _ in on_line if t.start[1] < limit][-1].end[1]
    return line[:first_col] + "(" + line[first_col:end_col] + ")" + line[end_col:]


def _reflow_strings(lines, row, on_line, tokens) -> str | None:
    """The run of adjacent string literals that crosses the limit on ``row``, its text cut
    anew into literals that fit, one per line, aligned with the first."""
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.INDENT,
                                                       tokenize.DEDENT)]
    line = lines[row - 1]
    for token, stack in on_line:
        if token.type != tokenize.STRING or not stack or token.start[0] != token.end[0]:
            continue
        trailing = line[token.end[1]:].rstrip()
        if token.end[1] + len(trailing) <= DISPLAY_COLUMNS:
            continue
        index = significant.index(token)
        first = last = index
        while first > 0 and significant[first - 1].type == tokenize.STRING:
            first -= 1
        while last + 1 < len(significant) and significant[last + 1].type == tokenize.STRING:
            last += 1
        group = significant[first:last + 1]
        col = group[0].start[1]
        if any(t.start[0] != t.end[0] for t in group) or any(
                t.start[1] != col or lines[t.start[0] - 1][:col].strip() for t in group[1:]):
            continue
        pieces = [_STRING.match(t.string) for t in group]
        if not all(pieces) or len({p.group(2) for p in pieces}) != 1 \
                or any(p.group(3).startswith(p.group(2) * 2) for p in pieces):
            continue
        quote = pieces[0].group(2)
        formatted = any(p.group(1) for p in pieces)
        text = "".join(p.group(3) if p.group(1) or not formatted
                       else p.group(3).replace("{", "{{").replace("}", "}}") for p in pieces)
        tail = lines[group[-1].end[0] - 1][group[-1].end[1]:]
        chunks = _chunks(text, formatted, DISPLAY_COLUMNS - col - 3, len(tail.rstrip()))
        if chunks is None:
            continue

        literals = [_literal(chunk, quote, formatted) for chunk in chunks]
        new = [lines[group[0].start[0] - 1][:col] + literals[0]]
        new += [" " * col + literal for literal in literals[1:]]
        new[-1] += tail
        return "\n".join(lines[:group[0].start[0] - 1] + new + lines[group[-1].end[0]:])
    return None


def _literal(chunk: str, quote: str, formatted: bool) -> str:
    """A string literal holding ``chunk``: an f-string only if it has a replacement field."""
    if formatted and "{" in chunk:
        return f"f{quote}{chunk}{quote}"
    if formatted:
        chunk = chunk.replace("{{", "{").replace("}}", "}")
    return f"{quote}{chunk}{quote}"


def _chunks(text: str, formatted: bool, room: int, tail: int) -> list[str] | None:
    """``text`` (the inside of string literals) cut after spaces into pieces of at most
    ``room`` characters, the last leaving room for ``tail`` more; None if it cannot be."""
    if not text:
        return None
    words, depth, current = [], 0, ""
    for position, char in enumerate(text):
        current += char
        if formatted and char == "{":
            depth += 1
        elif formatted and char == "}":
            depth = max(0, depth - 1)
        elif char == " " and depth == 0 and position > 0 and text[position - 1] != "\\" \
                and position + 1 < len(text) and text[position + 1] != " ":
            words.append(current)
            current = ""
    if current:
        words.append(current)
    chunks, piece = [], ""
    for word in words:
        if piece and len(piece) + len(word) > room:
            chunks.append(piece)
            piece = ""
        piece += word
    chunks.append(piece)
    if len(chunks[-1]) + tail > room and len(chunks[-1]) > len(words[-1]):
        chunks[-1] = chunks[-1][:-len(words[-1])]
        chunks.append(words[-1])
    if any(len(chunk) > room for chunk in chunks) or len(chunks[-1]) + tail > room + 1:
        return None
    return chunks


def _rewrap_docstring(lines: list[str], token) -> str:
    """The docstring ``token`` with its too long paragraphs wrapped at the column limit."""
    (row, col), (end_row, end_col) = token.start, token.end
    match = re.match(r"([rRuU]*)(\"\"\"|''')", token.string)
    prefix, quote = match.group(1), match.group(2)
    body = token.string[len(prefix) + 3:-3]
    indent = " " * col
    width = DISPLAY_COLUMNS - col
    out: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if not paragraph:
            return
        room = width - (len(prefix) + 3 if not out else 0)
        if all(len(part) <= (room if n == 0 else width) for n, part in enumerate(paragraph)):
            out.extend(paragraph)
        else:
            words = " ".join(" ".join(paragraph).split())
            first = textwrap.wrap(words, room, break_long_words=False,
                                  break_on_hyphens=False)[0]
            out.append(first)
            out.extend(textwrap.wrap(words[len(first):].strip(), width,
                                     break_long_words=False, break_on_hyphens=False))
        paragraph.clear()

    for part in (part.strip() for part in body.strip().split("\n")):
        if not part:
            flush()
            out.append("")
        else:
            if part.startswith(("- ", "* ")):
                flush()
            paragraph.append(part)
    flush()
    rendered = [f"{indent}{prefix}{quote}{out[0]}"]
    rendered += [(indent + part) if part else "" for part in out[1:]]
    if body.rstrip(" ").endswith("\n") or len(rendered[-1]) + 3 > DISPLAY_COLUMNS:
        rendered.append(f"{indent}{quote}")
    else:
        rendered[-1] += quote
    rendered[-1] += lines[end_row - 1][end_col:]
    return "\n".join(lines[:row - 1] + rendered + lines[end_row:])


# -- TeX as plain text (alternative text of figures) -------------------------------------------
_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ",
    "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "partial": "∂", "nabla": "∇",
    "sum": "∑", "prod": "∏", "infty": "∞", "ldots": "…", "dots": "…", "cdots": "⋯",
    "prime": "′", "top": "ᵀ", "intercal": "ᵀ", "quad": " ", "qquad": " ", "mid": "|",
    "vert": "|", "ell": "ℓ", "forall": "∀",
}
_BINARY = {
    "cdot": "·", "times": "×", "approx": "≈", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "ne": "≠", "neq": "≠", "to": "→", "rightarrow": "→", "leftarrow": "←", "mapsto": "↦",
    "in": "∈", "odot": "⊙", "pm": "±", "equiv": "≡", "sim": "∼",
}
_DROPPED = {"left", "right", "big", "Big", "bigg", "Bigg", "displaystyle", "limits",
            "nolimits", "mathbf", "mathrm", "mathit", "mathcal", "boldsymbol", "text",
            "textrm", "operatorname", "mathsf", "bm"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
            "tilde": "\u0303", "vec": "\u20d7", "dot": "\u0307"}
_SUPERSCRIPT = str.maketrans("0123456789+-=()abcdefghijklmnoprstuvwxyzT",
                             "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ")
_SUBSCRIPT = str.maketrans("0123456789+-=()aehijklmnoprstuvx",
                           "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_OPERAND = re.compile("∂?[^\\W\\d_][\u0300-\u036f]*['′]?"
                      "[⁰-⁹¹²³⁽⁾⁺⁻ᵀᵃ-ᶻʰʲʳʷˡˢˣʸⁱⁿ₀-₉₊₋ₐ-ₜᵢ-ᵥⱼ,]*|[0-9.]+")


def _tex_argument(tex: str, start: int) -> tuple[str, int]:
    """The argument at ``start``: a braced group's inside, or one character or command."""
    while start < len(tex) and tex[start] == " ":
        start += 1
    if start >= len(tex):
        return "", start
    if tex[start] == "{":
        depth = 0
        for end in range(start, len(tex)):
            depth += {"{": 1, "}": -1}.get(tex[end], 0)
            if depth == 0:
                return tex[start + 1:end], end + 1
        return tex[start + 1:], len(tex)
    if tex[start] == "\\":
        match = re.match(r"\\([A-Za-z]+|.)", tex[start:])
        return match.group(0), start + match.end()
    return tex[start], start + 1


def tex_to_text(tex: str) -> str:
    """A TeX formula as plain, readable text: ``w^{(1)}_{1,2}`` becomes ``w⁽¹⁾₁,₂``.

    ``book/_static/nnbook.js`` does the same for search excerpts.
    """
    out, i = [], 0
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", tex[i:])
            name = match.group(1)
            i += match.end()
            if name.isalpha():
                while i < len(tex) and tex[i] == " ":
                    i += 1
            if name in _ACCENTS:
                inside, i = _tex_argument(tex, i)
                text = tex_to_text(inside)
                out.append(text + _ACCENTS[name] if len(text) == 1 else text)
            elif name == "frac":
                top, i = _tex_argument(tex, i)
                bottom, i = _tex_argument(tex, i)
                out.append("/".join(part if _OPERAND.fullmatch(part) else f"({part})"
                                    for part in (tex_to_text(top), tex_to_text(bottom))))
            elif name == "sqrt":
                inside, i = _tex_argument(tex, i)
                out.append(f"√({tex_to_text(inside)})")
            elif name in ("begin", "end"):
                _, i = _tex_argument(tex, i)
                out.append(" ")
            elif name in (",", ";", ":", " "):
                out.append(" ")
            elif name in ("{", "}", "_", "%", "$", "#", "&"):
                out.append(name)
            elif name == "\\":
                out.append("; ")
            elif name in _BINARY:
                out.append(f" {_BINARY[name]} ")
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name not in _DROPPED and name != "!":
                out.append(name)
        elif char in "^_":
            inside, i = _tex_argument(tex, i + 1)
            text = tex_to_text(inside)
            converted = text.translate(_SUPERSCRIPT if char == "^" else _SUBSCRIPT)
            if all(c in ",ᵀ′ " or c != t for c, t in zip(converted, text, strict=True)):
                out.append(converted)
            elif char == "^":
                out.append("^" + (text if len(text) == 1 else f"({text})"))
            else:
                out.append(text if len(text) == 1 else f"_{text}")
        elif char in "{}":
            i += 1
        else:
            out.append(" " if char in "&~" else char)
            i += 1
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _plain_text(node: nodes.Node) -> str:
    """The text of a caption, its formulas made readable."""
    parts = []
    for child in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math))):
        if isinstance(child, nodes.math):
            parts.append(tex_to_text(child.astext()))
        elif not any(isinstance(parent, nodes.math) for parent in _parents(child)):
            parts.append(str(child))
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _parents(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


# -- while reading: code, figures, the course edition -------------------------------------------
def _course_edition(config) -> bool:
    return bool(config.nnbook_course_edition)


def _note(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text, classes=[WITHHELD_CLASS])


def _withhold_output(output: nodes.Element) -> None:
    """Empty a cell's output for the course edition: a figure keeps its caption (other pages
    refer to it by number), its image gives way to a note."""
    figures = list(output.findall(nodes.figure))
    kept = []
    for figure in figures:
        figure.children = [_note(WITHHELD_FIGURE)] + [
            child for child in figure.children if isinstance(child, nodes.caption)]
        for child in figure.children:
            child.parent = figure
        kept.append(figure)
    output.children = []
    for node in kept or [_note(WITHHELD_OUTPUT)]:
        output.append(node)


def leave_out_answers(doctree) -> None:
    """The course edition's rule: no solution; from the first solution on, no output of a
    code cell unless its source is tagged ``answer-free``; no paragraph of prose tagged
    ``states-answer`` that states a precise value (see ``nnbook.generate``)."""
    solutions, after, seen = [], [], False
    for node in doctree.findall(nodes.Element):
        classes = node.get("classes", ())
        if SOLUTION_CLASS in classes:
            solutions.append(node)
            seen = True
        elif seen and node.get("nb_element") == "cell_code" \
                and ANSWER_FREE_CLASS not in classes:
            after.append(node)
    for cell in after:
        for output in list(cell.findall(nodes.container)):
            if output.get("nb_element") == "cell_code_output":
                _withhold_output(output)
    for node in solutions:
        if node.parent is not None:
            node.parent.remove(node)
    for node in list(doctree.findall(nodes.container)):
        if STATES_ANSWER_CLASS in node.get("classes", ()) and node.parent is not None:
            node.replace_self(_note(WITHHELD_PROSE))


def _doctree_read(app, doctree) -> None:
    if _course_edition(app.config):
        leave_out_answers(doctree)
    for block in doctree.findall(nodes.literal_block):
        parent = block.parent
        if parent is None or parent.get("nb_element") != "cell_code_source":
            continue
        text = display_code(block.astext())
        if text != block.astext():
            block.rawsource = text
            block.children = [nodes.Text(text)]
    for figure in doctree.findall(nodes.figure):
        captions = [c for c in figure.children if isinstance(c, nodes.caption)]
        if not captions:
            continue
        alt = _plain_text(captions[0])
        for image in figure.findall(nodes.image):
            if not image.get("alt") or image.get("alt") == image.get("uri"):
                image["alt"] = alt


# -- pages --------------------------------------------------------------------------------------
def _configure(app, config) -> None:
    if os.environ.get(COURSE_EDITION_ENV, "").strip() not in ("", "0"):
        config.nnbook_course_edition = True
    config.html_static_path = [*config.html_static_path, str(STATIC)]
    if _course_edition(config):
        # No page sources (they are the notebooks with their solutions) and no buttons that
        # open those notebooks elsewhere.
        config.html_copy_source = False
        options = dict(config.html_theme_options or {})
        options["launch_buttons"] = {}
        options["use_download_button"] = False
        config.html_theme_options = options
        config.html_title = f"{config.html_title} (course edition)"


def _script_key(script) -> tuple:
    return (getattr(script, "filename", None) or "",
            tuple(sorted(getattr(script, "attributes", {}).items())))


def _is_mathjax(script) -> bool:
    filename = getattr(script, "filename", None) or ""
    body = getattr(script, "attributes", {}).get("body", "") or ""
    return "mathjax" in filename.lower() or "window.MathJax" in body


def _page_context(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    body = context.get("body", "")
    if scripts:
        seen, unique = set(), []
        has_math = 'class="math' in body or 'class="math' in (context.get("toc") or "")
        for script in scripts:
            key = _script_key(script)
            if key in seen or (not has_math and _is_mathjax(script)):
                continue
            seen.add(key)
            unique.append(script)
        scripts[:] = unique
    if body:
        # A toggle's name is its visible label ("Show solution"), not "Toggle hidden content".
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">',
                                       "<summary>")


# -- after writing: markup the templates fix in place, icons --------------------------------
_FONTAWESOME_SCRIPT = re.compile(r'\s*<script defer src="[^"]*fontawesome\.js[^"]*"></script>')
_SEARCH_SCRIPTS = re.compile(
    r'\s*<script src="[^"]*(searchtools\.js|language_data\.js|searchindex\.js)"></script>')
_ICON_CLASS = re.compile(r'class="([^"]*\bfa-[^"]*)"')
_PACKS = {"fa-solid": "fas", "fas": "fas", "fa-regular": "far", "far": "far",
          "fa-brands": "fab", "fab": "fab"}


def _fontawesome_icons() -> dict[tuple[str, str], tuple[int, int, str]]:
    """Every icon of the theme's Font Awesome bundle: (pack, name) -> (width, height, path)."""
    import pydata_sphinx_theme

    script = (Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
              / "static" / "scripts" / "fontawesome.js").read_text(encoding="utf-8")
    packs = [(m.start(), m.group(1)) for m in re.finditer(r'\("(fa[bsr])",', script)]
    icons = {}
    for match in re.finditer(r'"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[[^\]]*\],"[0-9a-f]*",'
                             r'"([^"]+)"\]', script):
        pack = next((name for position, name in packs if position > match.start()), None)
        if pack:
            icons.setdefault((pack, match.group(1)),
                             (int(match.group(2)), int(match.group(3)), match.group(4)))
    return icons


def _icon_css(used: set[tuple[str, str]]) -> str | None:
    """CSS that draws the ``used`` icons from their shapes, without the icon font."""
    try:
        icons = _fontawesome_icons()
    except (OSError, ImportError):
        return None
    rules = ["/* The theme's icons, drawn from Font Awesome Free's shapes (CC BY 4.0, "
             "https://fontawesome.com/license/free) without its 1.5 MB script. */"]
    for pack, name in sorted(used):
        if (pack, name) not in icons:
            continue
        width, height, path = icons[(pack, name)]
        svg = (f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width} {height}'>"
               f"<path d='{path}'/></svg>")
        url = "data:image/svg+xml," + urllib.parse.quote(svg, safe=" /:=',")
        prefixes = [cls for cls, p in _PACKS.items() if p == pack]
        selector = ",".join(f".{prefix}.fa-{name}::before" for prefix in prefixes)
        rules.append(
            f"{selector}{{content:\"\";display:inline-block;width:{width / height:.4f}em;"
            f"height:1em;vertical-align:-.125em;background-color:currentColor;"
            f"--nnbook-icon:url(\"{url}\");-webkit-mask:var(--nnbook-icon) center/contain "
            f"no-repeat;mask:var(--nnbook-icon) center/contain no-repeat}}")
    missing = {(pack, name) for pack, name in used if (pack, name) not in icons}
    if missing:
        return None
    return "\n".join(rules) + "\n"


_FONTS = {"fa-solid-900": ("Font Awesome 6 Free", 900),
          "fa-regular-400": ("Font Awesome 6 Free", 400),
          "fa-brands-400": ("Font Awesome 6 Brands", 400)}


def _icon_fonts(static: Path) -> str | None:
    """The theme's icon fonts cut down to the icons its stylesheets draw with them (the
    admonitions' and download links' icons, ``--pst-icon-*``): a few kB instead of 300."""
    try:
        from fontTools import subset
    except ImportError:
        return None
    stylesheet = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    characters = {ord(c) for c in re.findall(r'--pst-icon-[a-z-]+:"(.)"', stylesheet)}
    rules = []
    for name, (family, weight) in _FONTS.items():
        source = static / "vendor" / "fontawesome" / "webfonts" / f"{name}.ttf"
        if not source.is_file():
            return None
        options = subset.Options()
        options.flavor = "woff"
        font = subset.load_font(str(source), options)
        present = characters & set(font.getBestCmap())
        if present:
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=present)
            subsetter.subset(font)
            subset.save_font(font, str(static / f"{name}-nnbook.woff"), options)
            url = f"{name}-nnbook.woff"
            rules.append(f'@font-face{{font-family:"{family}";font-style:normal;'
                         f'font-weight:{weight};font-display:block;src:url({url}) '
                         'format("woff")}')
        else:  # nothing drawn with this font: nothing to download
            rules.append(f'@font-face{{font-family:"{family}";font-style:normal;'
                         f'font-weight:{weight};src:local("nnbook-no-such-font")}}')
    return "\n".join(rules) + "\n"


def _used_icons(html: str) -> set[tuple[str, str]]:
    used = set()
    for match in _ICON_CLASS.finditer(html):
        classes = match.group(1).split()
        pack = next((_PACKS[c] for c in classes if c in _PACKS), None)
        if pack is None:
            continue
        for cls in classes:
            if cls.startswith("fa-") and cls not in _PACKS and not re.fullmatch(
                    r"fa-(lg|xs|sm|[0-9]+x|fw|spin|pulse|border|inverse|stack.*)", cls):
                used.add((pack, cls[3:]))
    return used


def legible_widths(notebooks) -> dict[str, int]:
    """For each figure of the chapters (by its name on the site: the SHA-256 of its PNG, as
    myst-nb names it), the least width in CSS px at which its smallest text is
    LEGIBLE_TEXT_PX, but no more than the width it is drawn for."""
    import base64
    import hashlib
    import json
    import math

    widths = {}
    for notebook in notebooks:
        for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                metadata = output.get("metadata", {}).get("image/png", {})
                smallest, shown = metadata.get("smallest_text_px"), metadata.get("width")
                if not png or not smallest or not shown:
                    continue
                data = base64.b64decode(png)
                drawn = int.from_bytes(data[16:20], "big")  # the PNG's width in pixels
                name = hashlib.sha256(data).hexdigest()
                widths[name] = min(int(shown), math.ceil(drawn * LEGIBLE_TEXT_PX / smallest))
    return widths


_IMAGE = re.compile(r'<img\b[^>]*\bsrc="[^"]*_images/([0-9a-f]{64})\.png"[^>]*>')


def _legible_images(html: str, widths: dict[str, int]) -> str:
    """Every chapter figure's ``<img>`` with its legible width as ``min-width`` (see
    nnbook.css: the link around it scrolls when the screen is narrower)."""
    def widen(match: re.Match) -> str:
        tag, width = match.group(0), widths.get(match.group(1))
        if width is None or "min-width" in tag:
            return tag
        if ' style="' in tag:
            return tag.replace(' style="', f' style="min-width: {width}px; ', 1)
        return tag.replace("<img ", f'<img style="min-width: {width}px" ', 1)
    return _IMAGE.sub(widen, html)


def _build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    pages = [p for p in outdir.rglob("*.html")
             if "_static" not in p.parts and "_sources" not in p.parts]
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    used = set().union(*(_used_icons(text) for text in texts.values())) if texts else set()
    used |= {("fas", "xmark")}  # the theme's scripts add it to announcement banners
    css = _icon_css(used)
    fonts = _icon_fonts(outdir / "_static")
    if css is not None and fonts is not None:
        css += fonts
    if css is not None:
        (outdir / "_static" / "nnbook-icons.css").write_text(css, encoding="utf-8")
    search_as_you_type = (app.config.html_theme_options or {}).get("search_as_you_type")
    widths = legible_widths(sorted(BOOK.glob("*.ipynb")))
    for page, text in texts.items():
        new = _legible_images(text, widths)
        if css is not None:
            new = _FONTAWESOME_SCRIPT.sub("", new)
        if not search_as_you_type and page.name != "search.html":
            new = _SEARCH_SCRIPTS.sub("", new)
        # Buttons whose accessible name leaves out their visible text ("Search Ctrl+K").
        new = re.sub(r'(<button class="btn search-button-field search-button__button[^"]*"'
                     r' title="[^"]*") aria-label="[^"]*"', r"\1", new)
        # The sidebar's title and search field belong to a landmark, like its navigation.
        new = new.replace('<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar">',
                          '<div id="pst-primary-sidebar" class="bd-sidebar-primary bd-sidebar"'
                          ' role="complementary" aria-label="Book">')
        if new != text:
            page.write_text(new, encoding="utf-8")


def setup(app):
    app.add_config_value("nnbook_course_edition", False, "env", [bool])
    app.connect("config-inited", _configure)
    # Before the environment's collectors: what the course edition leaves out is neither
    # indexed for search nor copied (its images).
    app.connect("doctree-read", _doctree_read, priority=100)
    # Last, after the extensions that add scripts while a page is being written.
    app.connect("html-page-context", _page_context, priority=990)
    app.connect("build-finished", _build_finished)
    app.add_css_file("nnbook-icons.css")
    app.add_css_file("nnbook.css")
    app.add_js_file("nnbook.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
