"""Brackets, bars and norms: ``( )``, ``\\left[ \\right]``, ``|x|``, ``\\|x\\|_F^2``,
``\\langle A, B \\rangle``."""

from __future__ import annotations

from fractions import Fraction

from ..syntax import (
    Binary,
    Call,
    Node,
    Number,
    Span,
    String,
)
from ..unparse import to_plain
from .cursor import Script, describe, widen
from .indexed import IndexedNames
from .tokens import Tok
from .vocabulary import (
    BARS,
    CLOSE_TEXT,
    CLOSERS,
    OPEN_TEXT,
    OPENERS,
    SIZES_CLOSE,
    SIZES_EITHER,
    SIZES_OPEN,
)


class Delimiters(IndexedNames):
    def dimension(self) -> Number:
        """After ``EXPR,`` in a function's brackets: the dimension, the number 1 or 2."""
        t = self.next()
        if t.kind != "num" or t.text not in ("1", "2"):
            self.error("the dimension is 1 (down the columns) or 2 (along the rows)", t.start)
        return Number(Fraction(int(t.text)), t.text, Span(t.start, t.end))

    def delimited_with_dimension(self) -> tuple[Node, Number | None]:
        """``( EXPR )`` or ``( EXPR , 1|2 )`` after sum, mean, logsumexp or softmax."""
        return self._delimited(postfix=False, with_dimension=True)

    def delimited(self, postfix: bool = True) -> Node:
        return self._delimited(postfix, with_dimension=False)[0]

    def _delimited(self, postfix: bool, with_dimension: bool) -> tuple[Node, Number | None]:
        """A bracketed expression (or norm, absolute value, inner product), and the dimension
        written after a comma in round brackets when ``with_dimension``."""
        dimension: Number | None = None
        first = self.peek()
        sized = None
        if first.kind == "cmd" and first.text == "left":
            self.next()
            sized = "left"
        elif first.kind == "cmd" and (first.text in SIZES_OPEN or first.text in SIZES_EITHER):
            self.next()
            sized = "big"
        d = self.peek()
        kind = OPENERS.get((d.kind, d.text))
        if kind is None:
            if d.kind == "sym" and d.text == "." and sized == "left":
                self.error("unsupported: an invisible delimiter \\left.", d.start)
            self.error(f"expected a delimiter after \\{first.text}, found {describe(d)}",
                       d.start)
        if kind == "{" and sized:
            self.error("use \\{ for a brace after \\left", d.start)
        self.next()
        bars = kind in BARS and sized != "left"
        saved_bars = self.bar_depth
        # inside bare bars a bar closes; inside any other bracket a bar may open again
        self.bar_depth = 1 if bars else 0
        try:
            if kind in BARS and self.at("cmd", "cdot"):
                self.placeholder_error(self.peek())
            if kind == "<":
                a = self.expr()
                if not self.at("sym", ","):
                    self.error("expected ',' between the two sides of \\langle .. \\rangle",
                               self.peek().start)
                self.next()
                b = self.expr()
                inner: Node = Binary(".*", a, b, Span(a.span.start, b.span.end),
                                     Span(a.span.end, b.span.start))
            else:
                inner = self.expr()
                if with_dimension and kind == "(" and self.at("sym", ","):
                    self.next()
                    dimension = self.dimension()
        finally:
            self.bar_depth = saved_bars
        end = self.closer(kind, first, sized)
        span = Span(first.start, end)
        if kind in ("(", "[", "{", "\\{"):
            node = widen(inner, span)
            return (self.postfix(node) if postfix else node), dimension
        if kind == "<":
            node = Call("sum", (inner,), span, Span(first.start, first.end))
            return self.postfix(node), None
        if kind == "|":
            return self.postfix(Call("abs", (inner,), span, Span(first.start, first.end))), None
        return self.norm(inner, first, span), None

    def closer(self, kind: str, first: Tok, sized: str | None) -> int:
        t = self.peek()
        if sized == "left":
            if not (t.kind == "cmd" and t.text == "right"):
                self.error(f"unbalanced \\left{OPEN_TEXT[kind]}: no matching "
                           f"\\right{CLOSE_TEXT[kind]}", first.start)
            self.next()
            d = self.peek()
            got = CLOSERS.get((d.kind, d.text))
            if got != kind:
                if d.kind == "sym" and d.text == ".":
                    self.error("unsupported: an invisible delimiter \\right.", d.start)
                self.error(f"\\right{d.text if d.kind == 'sym' else chr(92) + d.text} does not "
                           f"match \\left{OPEN_TEXT[kind]} at {first.start} (expected "
                           f"\\right{CLOSE_TEXT[kind]})", d.start)
            self.next()
            return d.end
        if t.kind == "cmd" and (t.text in SIZES_CLOSE or t.text in SIZES_EITHER):
            self.next()
            t = self.peek()
        got = CLOSERS.get((t.kind, t.text))
        if got == kind:
            self.next()
            return t.end
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        self.error(f"unbalanced '{OPEN_TEXT[kind]}' at {first.start}: expected "
                   f"'{CLOSE_TEXT[kind]}', found {describe(t)}", t.start)

    def norm(self, inner: Node, first: Tok, span: Span) -> Node:
        order: Node | None = None
        end = span.end
        sub_seen = sup_seen = False
        node: Node | None = None
        power: tuple[Node, Span] | None = None
        while self.at("sym", "_") or self.at("sym", "^"):
            s = self.next()
            if s.text == "_":
                if sub_seen:
                    self.error("bad subscript: a second subscript on a norm", s.start)
                sub_seen = True
                sc = self.script("subscript")
                order = self.norm_order(sc)
                end = max(end, sc.span.end)
            else:
                if sup_seen:
                    self.error("double superscript (use braces)", s.start)
                sup_seen = True
                sc = self.script()
                if self.is_transpose(sc):
                    self.error("a transpose of a norm (a scalar)", sc.span.start)
                power = (self.parse_range(sc.a, sc.b, self.expr), Span(s.start, s.end))
                end = max(end, sc.span.end)
        if isinstance(order, Number) and order.value == 1:
            node = Call("norm1", (inner,), span, Span(first.start, first.end))
            self.note_once("read a 1-norm ||.||_1 as norm1, the sum of the absolute values "
                           "of the entries")
        else:
            args = (inner,) if order is None else (inner, order)
            node = Call("norm", args, Span(span.start, span.end if power else end),
                        Span(first.start, first.end))
            written = self.text[span.start:end]
            if isinstance(order, String) and order.value == "nuc":
                self.note_once(f"read {written} as the nuclear norm norm({to_plain(inner)}, "
                               "'nuc'), the sum of the singular values")
            elif isinstance(order, Number):
                self.note_if_matrix(node, f"read {written} of a matrix as the spectral norm "
                                          f"norm({to_plain(inner)}, 2), its largest singular "
                                          "value")
        if power is not None:
            node = Binary("^", node, power[0], Span(span.start, end), power[1])
        return self.postfix(node)

    def norm_order(self, sc: Script) -> Node:
        core = self.core_tokens(sc)
        word = "".join(t.text for t in core if t.kind in ("letter", "num"))
        if len(core) == 1 and (core[0].kind == "sym" and core[0].text == "*"
                               or core[0].kind == "cmd" and core[0].text in ("ast", "star")):
            return String("nuc", sc.span)  # \|X\|_*: the nuclear norm
        if core and all(t.kind in ("letter", "num") for t in core):
            if word.lower() in ("f", "fro", "frob", "frobenius"):
                return String("fro", sc.span)
            if word.lower() in ("nuc", "nuclear", "tr", "trace"):
                return String("nuc", sc.span)
            if word.lower() in ("op", "spec", "spectral"):
                return Number(Fraction(2), "2", sc.span)
            if word == "2":
                return Number(Fraction(2), "2", sc.span)
            if word == "1":
                return Number(Fraction(1), "1", sc.span)
        what = self.text[sc.span.start:sc.span.end]
        self.error(f"unsupported norm {what!s} (matdiff reads _F, _{{Fro}}, _2, _1, _* and "
                   "_{nuc})",
                   sc.span.start)
