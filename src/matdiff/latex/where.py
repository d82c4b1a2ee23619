"""The where clause of a LaTeX formula: plain declarations (``X: matrix(n, m)``, Greek
commands allowed) and index declarations (``u_i: row i of U``, ``W^{j}: column j of W``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import MatdiffError, MatdiffSyntaxError
from ..parse import parse_declarations
from ..syntax import Declaration, Span
from .tokens import tokenize_latex
from .vocabulary import GREEK, STRIP_STYLES, WORD_STYLES, letter_name


@dataclass(frozen=True)
class SliceDecl:
    kind: str  # "row" | "col"
    target: str
    index: str
    span: Span


_IDX = r"\{?\s*[A-Za-z]\s*(?:'|\\prime)*\s*\}?"
_SLICE_DECL = re.compile(
    r"(?:the\s+)?(?:(row|column|col)\s+(" + _IDX + r")|(" + _IDX +
    r")(?:\s*-?\s*(?:th|st|nd|rd))?\s+(row|column|col))\s+of\s+(?:the\s+matrix\s+)?(.+?)\s*$")


_WHERE_WORD = r"\\(?:text|textrm|mathrm|mbox|textnormal)\s*\{\s*where\s*\}"
# \text{where} first: its braces are part of it, not a group the plain word is inside
_WHERE = re.compile(_WHERE_WORD + r"|[{}]|(?<![A-Za-z\\])where(?![A-Za-z])")


def find_where(text: str) -> tuple[int, int]:
    """Where the where clause is: (the offset of its keyword, the offset after it), for
    ``where`` outside braces or ``\\text{where}`` (``\\mathrm{where}``, ...); (-1, -1)
    without one."""
    depth = 0
    for m in _WHERE.finditer(text):
        g = m.group()
        if g == "{":
            depth += 1
        elif g == "}":
            depth -= 1
        elif depth <= 0:
            return m.start(), m.end()
    return -1, -1


def _segments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Ranges of text[start:end] between top-level ',' and ';'."""
    out, depth, a = [], 0, start
    for i in range(start, end):
        ch = text[i]
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch in ",;" and depth == 0:
            out.append((a, i))
            a = i + 1
    out.append((a, end))
    return out


def _norm_index(s: str) -> str:
    s = s.replace("\\prime", "'")
    return re.sub(r"[{}\s]", "", s)


def where_clause(text: str, start: int, definitions: list[tuple[int, int, int]] | None = None
                 ) -> tuple[tuple[Declaration, ...], dict]:
    """Parse the where clause text[start:] (after the keyword); its definitions
    (``h = \\exp(W x)``) are added to ``definitions`` as (start, offset of '=', end), for
    the reader to read."""
    slice_decls: dict[tuple[str, str], SliceDecl] = {}
    kept: list[tuple[int, int]] = []
    names: list[tuple[int, int]] = []
    for a, b in _segments(text, start, len(text)):
        seg = text[a:b]
        colon = _top_colon(seg)
        equals = _top_colon(seg, "=")
        if definitions is not None and equals >= 0 and (colon < 0 or equals < colon):
            if names:
                raise MatdiffSyntaxError("define one name at a time (as in 'h = \\exp(W x)')",
                                         names[0][0], text)
            definitions.append((a, a + equals, b))
            continue
        if colon < 0:
            if not seg.strip():
                raise MatdiffSyntaxError("expected a declaration (as in 'X: matrix')", a, text)
            names.append((a, b))
            continue
        group_start = names[0][0] if names else a
        rhs_at = a + colon + 1
        rhs = text[rhs_at:b]
        m = _SLICE_DECL.fullmatch(rhs.strip())
        if m:
            if names:
                raise MatdiffSyntaxError("declare one row or column per name", names[0][0], text)
            lhs_at = a
            base, script, index, _ = _slice_lhs(text, lhs_at, a + colon)
            kind = (m.group(1) or m.group(4)).lower()
            kind = "col" if kind.startswith("col") else "row"
            idx_text = m.group(2) or m.group(3)
            rhs_lead = rhs_at + len(rhs) - len(rhs.lstrip())
            if _norm_index(idx_text) != _norm_index(index):
                pos = rhs_lead + (m.start(2) if m.group(2) else m.start(3))
                raise MatdiffSyntaxError(
                    f"the index here ({_norm_index(idx_text)}) is not the one of "
                    f"{text[lhs_at:a + colon].strip()} ({index})", pos, text)
            target_at = rhs_lead + m.start(5)
            target = _latex_name(text, target_at, rhs_lead + m.end(5))
            key = (base, script)
            if key in slice_decls:
                raise MatdiffSyntaxError(f"{text[lhs_at:a + colon].strip()} is declared twice",
                                         lhs_at, text)
            slice_decls[key] = SliceDecl(kind, target, index, Span(lhs_at, b))
        else:
            kept.append((group_start, b))
        names = []
    if names:
        raise MatdiffSyntaxError("expected ':' and a kind after the name (as in 'X: matrix')",
                                 names[-1][1], text)
    declarations: tuple[Declaration, ...] = ()
    if kept:
        masked = [" "] * len(text)
        for k, (a, b) in enumerate(kept):
            masked[a:b] = text[a:b]
            if k:
                masked[a - 1] = ","
        s = "".join(masked)
        s = re.sub(r"\\([A-Za-z]+)", _greek_in_where, s)
        try:
            declarations = parse_declarations(s)
        except MatdiffError as e:
            e.text = text
            raise
    return declarations, slice_decls


def _greek_in_where(m: re.Match) -> str:
    """``\\lambda`` -> `` lambda`` (right-aligned, so that offsets do not move)."""
    name = GREEK.get(m.group(1))
    if name is None:
        return m.group()
    return name.rjust(len(m.group()))


def _top_colon(seg: str, mark: str = ":") -> int:
    depth = 0
    for i, ch in enumerate(seg):
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        elif ch == mark and depth == 0:
            return i
    return -1


def _latex_name(text: str, start: int, end: int) -> str:
    """A name written in LaTeX (``U``, ``\\mathbf{U}``, ``\\Omega``, ``\\mathrm{Wt}``)."""
    toks = [t for t in tokenize_latex(text, start, end) if t.kind != "eof"]
    styles = STRIP_STYLES | WORD_STYLES
    core = [t for t in toks if not (t.kind == "cmd" and t.text in styles)
            and not (t.kind == "sym" and t.text in "{}")]
    if core and all(t.kind == "letter" for t in core):
        return "".join(letter_name(t.text) for t in core)
    if len(core) == 1 and core[0].kind == "cmd" and core[0].text in GREEK:
        return GREEK[core[0].text]
    raise MatdiffSyntaxError("expected the name of a matrix", start, text)


def _slice_lhs(text: str, start: int, end: int) -> tuple[str, str, str, int]:
    """``u_i`` -> ("u", "_", "i", offset of i); ``W^{j'}`` -> ("W", "^", "j'", ...)."""
    toks = [t for t in tokenize_latex(text, start, end) if t.kind != "eof"]
    split = next((k for k, t in enumerate(toks) if t.kind == "sym" and t.text in "_^"), None)
    if split is None or split == 0 or split == len(toks) - 1:
        raise MatdiffSyntaxError("expected an indexed name such as u_i or W^{j}",
                                 toks[0].start if toks else start, text)
    base = _latex_name(text, toks[0].start, toks[split - 1].end)
    rest = toks[split + 1:]
    index = ""
    for t in rest:
        if t.kind == "letter" and not index:
            index = t.text
        elif (t.kind == "sym" and t.text == "'") or (t.kind == "cmd" and t.text == "prime"):
            index += "'"
        elif t.kind == "sym" and t.text in "{}":
            continue
        else:
            raise MatdiffSyntaxError("expected one index letter (as in u_i or W^{j'})",
                                     t.start, text)
    if not index:
        raise MatdiffSyntaxError("expected an index letter", rest[0].start, text)
    return base, toks[split].text, index, rest[0].start
