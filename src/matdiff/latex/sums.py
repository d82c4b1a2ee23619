"""Sums in index notation: ``\\sum_{j=1}^{m}``, ``\\sum_{i,j}``, ``\\sum_{(i,j)\\in\\Omega}``."""

from __future__ import annotations

from ..syntax import (
    IndexSum,
    Name,
    Node,
    Span,
)
from .cursor import Script, describe
from .vocabulary import (
    GREEK,
    STRIP_STYLES,
    WORD_STYLES,
    letter_name,
)
from .words import Words


class Sums(Words):
    def index_sum(self) -> Node:
        t = self.next()
        lower: Script | None = None
        upper: Script | None = None
        while self.at("sym", "_") or self.at("sym", "^"):
            s = self.next()
            sc = self.script("subscript" if s.text == "_" else "superscript")
            if s.text == "_":
                if lower is not None:
                    self.error("bad subscript: a second subscript on \\sum", s.start)
                lower = sc
            else:
                if upper is not None:
                    self.error("double superscript on \\sum", s.start)
                upper = sc
        if lower is None:
            self.error("\\sum needs its index below it, as in \\sum_{j=1}^{m}", t.start)
        indices, domain = self.sum_indices(lower)
        bound = {ix for level in self.bound for ix in level}
        for ix, at in indices:
            if ix in bound:
                self.error(f"the index {ix} is already bound by an enclosing sum", at)
        names = tuple(ix for ix, _ in indices)
        if len(set(names)) != len(names):
            self.error("the same index twice", indices[-1][1])
        self.bound.append(names)
        try:
            if self.peek().kind == "eof" or not (self.starts_atom(self.peek())
                                                  or self.at("sym", "-") or self.at("sym", "+")):
                self.error("expected the summand after \\sum", self.peek().start)
            body = self.term()
        finally:
            self.bound.pop()
        upper_name = self.bound_name(upper)
        if isinstance(body, IndexSum) and body.domain is None and domain is None \
                and body.mean is None:
            names, body = names + body.indices, body.body
        span = Span(t.start, body.span.end)
        return IndexSum(names, domain, body, span, self.text[span.start:span.end],
                        upper_name if len(indices) == 1 else None)

    def bound_name(self, sc: Script | None) -> str | None:
        """The name an upper bound is, N of ``\\sum_{i=1}^{N}`` (None for anything else)."""
        if sc is None:
            return None
        core = self.core_tokens(sc)
        if len(core) == 1 and core[0].kind == "letter":
            return letter_name(core[0].text)
        if len(core) == 1 and core[0].kind == "cmd" and core[0].text in GREEK:
            return GREEK[core[0].text]
        return None

    def sum_indices(self, sc: Script) -> tuple[list[tuple[str, int]], Name | None]:
        toks = [t for t in self.script_tokens(sc)]
        k = 0

        def index_at(k: int) -> tuple[str, int, int]:
            t = toks[k] if k < len(toks) else None
            if t is None or t.kind != "letter":
                pos = t.start if t is not None else sc.span.end - 1
                self.error("bad summation index: expected a letter", pos)
            name, k2 = t.text, k + 1
            while k2 < len(toks) and (toks[k2].kind == "sym" and toks[k2].text == "'"
                                      or toks[k2].kind == "cmd" and toks[k2].text == "prime"):
                name += "'"
                k2 += 1
            return name, t.start, k2

        if toks and toks[0].kind == "sym" and toks[0].text == "(":
            i_name, i_at, k = index_at(1)
            if not (k < len(toks) and toks[k].kind == "sym" and toks[k].text == ","):
                self.error("expected ',' in (i, j)",
                           toks[k].start if k < len(toks) else sc.span.start)
            j_name, j_at, k = index_at(k + 1)
            if not (k < len(toks) and toks[k].kind == "sym" and toks[k].text == ")"):
                self.error("expected ')' to close (i, j)",
                           toks[k].start if k < len(toks) else sc.span.end)
            k += 1
            if not (k < len(toks) and toks[k].kind == "cmd" and toks[k].text == "in"):
                self.error("expected \\in and the set of (i, j)",
                           toks[k].start if k < len(toks) else sc.span.end)
            rest = [t for t in toks[k + 1:] if not (t.kind == "sym" and t.text in "{}")
                    and not (t.kind == "cmd" and (t.text in STRIP_STYLES or t.text in WORD_STYLES))]
            if len(rest) != 1 or not self.simple_name_token(rest[0]):
                pos = rest[0].start if rest else sc.span.end
                self.error("expected the name of the set of observed entries (as in "
                           "(i,j) \\in \\Omega)", pos)
            r = rest[0]
            dname = letter_name(r.text) if r.kind == "letter" else GREEK[r.text]
            return [(i_name, i_at), (j_name, j_at)], Name(dname, Span(r.start, r.end))
        indices: list[tuple[str, int]] = []
        while k < len(toks):
            t = toks[k]
            if t.kind == "sym" and t.text in "{}":
                k += 1
                continue
            if t.kind == "sym" and t.text == ",":
                k += 1
                continue
            if t.kind == "sym" and t.text == "=":
                lower = [x for x in toks[k + 1:] if not (x.kind == "sym" and x.text in "{}")]
                if not (len(lower) == 1 and lower[0].kind == "num" and lower[0].text == "1"):
                    pos = lower[0].start if lower else t.end
                    self.error("unsupported: a sum that does not start at 1 (matdiff reads sums "
                               "over a whole range, 1 to its size)", pos)
                break
            if t.kind == "cmd" and t.text == "in":
                self.error("unsupported: a sum of one index over a set (use "
                           "\\sum_{(i,j) \\in \\Omega} for observed entries)", t.start)
            if t.kind != "letter":
                self.error(f"bad summation index: unexpected {describe(t)}", t.start)
            name, at, k = index_at(k)
            indices.append((name, at))
        if not indices:
            self.error("bad summation index: none given", sc.span.start)
        return indices, None
