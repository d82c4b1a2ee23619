"""The base of the LaTeX reader: the token cursor (with ranges: a braced argument is read
as if it were the whole formula), errors, and the token tests the grammar layers share.

The grammar's entry points (:meth:`Cursor.expr`, ``term``, ``unary``, ``factor``,
``atom``) are defined by :class:`~.reader.LatexReader`; the layers between call them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import NoReturn

from ..errors import MatdiffSyntaxError
from ..syntax import (
    Node,
    Span,
)
from .readings import Choice, site_key
from .tokens import Tok, tokenize_latex
from .vocabulary import (
    BARS,
    CLOSERS,
    EQUALS_CMDS,
    GREEK,
    NOT_OPERANDS,
    OPENERS,
    PRODUCT_CMDS,
    SIZES_CLOSE,
    SIZES_EITHER,
)
from .where import SliceDecl


def widen(node: Node, span: Span) -> Node:
    return dataclasses.replace(node, span=span)


def describe(t: Tok) -> str:
    if t.kind == "eof":
        return "the end of the formula"
    if t.kind == "cmd":
        return f"'\\{t.text}'"
    return repr(t.text)


@dataclass
class Script:
    a: int  # token range of the argument, braces excluded
    b: int
    span: Span  # the argument's text, braces included



def what_is(decl: SliceDecl) -> str:
    return f"{'row' if decl.kind == 'row' else 'column'} {decl.index} of {decl.target}"


class Cursor:
    """Tokens, position, and what the reading has bound and noted so far."""

    def __init__(self, text: str, start: int, end: int,
                 slice_decls: dict[tuple[str, str], SliceDecl], declared: set[str]):
        self.text = text
        self.toks = tokenize_latex(text, start, end)
        self.i = 0
        self.limits: list[int] = []
        self.bound: list[tuple[str, ...]] = []
        self.bar_depth = 0
        self.slice_decls = slice_decls
        self.declared = declared
        self.notes: list[str] = []
        self.choices: dict[tuple[str, int, int], Choice] = {}
        # (1/N)*\sum_{i=1}^{N} read as a mean: the product as written, by the mean's id
        self.mean_products: dict[int, Node] = {}

    def peek(self, k: int = 0) -> Tok:
        j = self.i + k
        limit = self.limits[-1] if self.limits else len(self.toks) - 1
        if j >= limit:
            at = self.toks[limit].start
            return Tok("eof", "", at, at)
        return self.toks[j]

    def next(self) -> Tok:
        t = self.peek()
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, kind: str, text: str | None = None, k: int = 0) -> bool:
        t = self.peek(k)
        return t.kind == kind and (text is None or t.text == text)

    def error(self, message: str, position: int) -> NoReturn:
        raise MatdiffSyntaxError(message, position, self.text)

    def unsupported_cmd(self, t: Tok) -> NoReturn:
        self.error(f"unsupported LaTeX command \\{t.text}", t.start)

    def split_num(self) -> None:
        """Make the current number token a single digit (LaTeX arguments are one token)."""
        t = self.toks[self.i]
        if t.kind == "num" and len(t.text) > 1:
            first = Tok("num", t.text[0], t.start, t.start + 1)
            rest = Tok("num", t.text[1:], t.start + 1, t.end)
            if rest.text.startswith("."):
                self.error("a one-token argument cannot be a decimal number; use braces",
                           t.start)
            self.toks[self.i:self.i + 1] = [first, rest]
            self.limits = [lim + 1 if lim > self.i else lim for lim in self.limits]

    def matching_brace(self, open_index: int) -> int:
        depth = 0
        for k in range(open_index, len(self.toks) - 1):
            t = self.toks[k]
            if t.kind == "sym" and t.text == "{":
                depth += 1
            elif t.kind == "sym" and t.text == "}":
                depth -= 1
                if depth == 0:
                    return k
        self.error("unbalanced '{': no matching '}'", self.toks[open_index].start)

    def parse_range(self, a: int, b: int, what) -> Node:
        """Parse tokens [a, b) with ``what`` (a method), requiring all of them."""
        saved = self.i
        self.i = a
        self.limits.append(b)
        try:
            node = what()
            if self.i < self.limits[-1]:
                self.unexpected_after()
        finally:
            b = self.limits.pop()  # moved on if a number was split (\frac12)
        self.i = max(b, saved)
        return node

    def unexpected_after(self) -> NoReturn:
        t = self.peek()
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        if t.kind in ("sym", "cmd") and (t.kind, t.text) in CLOSERS:
            self.error(f"unbalanced {describe(t)}: nothing to close", t.start)
        if t.kind == "sym" and t.text == "&":
            self.error("alignment '&' is not part of a formula; give one formula", t.start)
        if t.kind == "cmd" and t.text == "\\":
            self.error("a line break '\\\\' is not part of a formula; give one formula", t.start)
        if t.kind == "sym" and t.text in "=<>":
            self.error(f"unexpected {describe(t)}: give the formula alone", t.start)
        if t.kind == "cmd" and t.text not in OPENERS and t.text not in PRODUCT_CMDS:
            self.unsupported_cmd(t)
        self.error(f"unexpected {describe(t)}", t.start)

    def offer(self, node: Node, kind: str, start: int, end: int, force: bool = False,
              replaces: str = "", other: Node | None = None) -> Node:
        """Record a site whose reading depends on its argument's type (written at
        text[start:end]; see :mod:`.readings`); inside a sum in index notation the
        functions are entrywise, and only the spectral values are recorded."""
        key = site_key(node)
        if key is not None and (not self.bound or kind in ("spectral", "matrix")):
            self.choices[key] = Choice(kind, self.text[start:end], force, replaces, other)
        return node

    def note_if_matrix(self, node: Node, note: str) -> None:
        """Give the note if the node's argument turns out to be a matrix (``\\|X\\|_2``)."""
        key = site_key(node)
        if key is not None:
            self.choices[key] = Choice("note", note)

    def note_once(self, note: str) -> None:
        if note not in self.notes:
            self.notes.append(note)

    def placeholder_error(self, t: Tok) -> NoReturn:
        if t.kind == "cmd" and t.text == "cdot":
            self.error("'\\cdot' needs an operand on each side (in '\\| \\cdot \\|' it stands "
                       "for an argument: write the expression there)", t.start)
        self.error(f"expected an operand after {describe(t)}", self.peek().start)

    def starts_atom(self, t: Tok) -> bool:
        if t.kind in ("letter", "num"):
            return True
        if t.kind == "sym":
            if t.text in "([{":
                return True
            if t.text in ("|", "||"):
                return self.bar_depth == 0
            return False
        if t.kind == "cmd":
            if t.text in ("|", "Vert", "vert"):
                return self.bar_depth == 0
            if t.text in SIZES_EITHER:
                d = self.peek(1)
                kind = OPENERS.get((d.kind, d.text))
                if kind in BARS:
                    return self.bar_depth == 0
                return kind is not None and (d.kind, d.text) not in CLOSERS
            return not (t.text in PRODUCT_CMDS or t.text in SIZES_CLOSE
                        or t.text in NOT_OPERANDS or t.text in EQUALS_CMDS)
        return False

    def simple_name_token(self, t: Tok) -> bool:
        return t.kind == "letter" or t.kind == "cmd" and t.text in GREEK

    # -- the grammar's entry points (LatexReader)

    def expr(self) -> Node:
        raise NotImplementedError

    def term(self) -> Node:
        raise NotImplementedError

    def unary(self) -> Node:
        raise NotImplementedError

    def factor(self) -> Node:
        raise NotImplementedError

    def atom(self) -> Node:
        raise NotImplementedError
