"""Names with their scripts: subscripted names (``W_2``), index uses (``x_i``, ``M_{ij}``,
``W^{j}``, ``W_{:,j}``), ``e^{..}``, the identity ``I``, and the postfix transposes,
inverses and powers after any operand."""

from __future__ import annotations

import re
from fractions import Fraction

from ..syntax import (
    Binary,
    Call,
    Name,
    Node,
    Number,
    Slice,
    Span,
    Transpose,
    Unary,
    has_index_nodes,
)
from ..unparse import to_plain
from .cursor import Script, what_is
from .readings import number
from .scripts import Scripts
from .tokens import Tok


class IndexedNames(Scripts):
    def name_atom(self, base: str, start: int, end: int, letter: bool = False) -> Node:
        """A name with its scripts: a subscripted name, an index use, e^{..}, I, ..."""
        if base == "e" and self.at("sym", "^") and "e" not in self.declared:
            script_at = self.i
            self.next()
            sc = self.script()
            if not self.is_transpose(sc) and not self.is_neg_transpose(sc):
                circ = self.hadamard_mark(sc)
                power = self.parse_range(sc.a if circ is None else circ + 1, sc.b, self.expr)
                written = self.text[start:sc.span.end]
                exp = Call("exp", (power,), Span(start, sc.span.end), Span(start, end))
                if circ is not None:
                    self.note_once(f"read {written} as the entrywise exponential "
                                   f"exp({to_plain(power)})")
                    return self.postfix(exp)
                note = f"read {written} as exp({to_plain(power)})"
                self.notes.append(note)
                return self.postfix(self.offer(exp, "exp", start, sc.span.end, force=True,
                                               replaces=note))
            self.i = script_at
        sub: Script | None = None
        sup: Script | None = None
        sup_at = self.i
        while self.at("sym", "_") or (self.at("sym", "^") and sup is None):
            s = self.next()
            if s.text == "_":
                if sub is not None:
                    self.error("bad subscript: a second subscript (use braces)", s.start)
                sub = self.script("subscript")
            else:
                sup_at = self.i - 1
                sup = self.script("superscript")
        stop = self.i
        written_end = max(end, sub.span.end if sub else end, sup.span.end if sup else end)
        bound = {ix for level in self.bound for ix in level}

        node: Node | None = None
        sup_index = self.index_script(sup) if sup is not None else None
        if sup is not None and sup_index is not None and sup_index in bound:
            if sub is not None:
                self.error("unsupported: an index both above and below a name", sub.span.start)
            node = self.superscript_slice(base, start, written_end, sup_index, sup)
            sup = None
        if sub is not None and node is None:
            node = self.subscripted(base, start, end, sub, bound, sup)
            m = re.fullmatch(r"I_([A-Za-z]|[1-9][0-9]*)", getattr(node, "name", ""))
            if isinstance(node, Name) and m and node.name not in self.declared:
                size = m.group(1)
                arg: Node = (Number(Fraction(int(size)), size, sub.span) if size.isdigit()
                             else Name(size, sub.span))
                node = Call("eye", (arg,), node.span, Span(start, end))
                self.note_once(f"read {self.text[start:sub.span.end]} as the identity eye({size})")
        if node is None:
            if base == "I" and letter and "I" not in self.declared:
                node = Name("eye", Span(start, end))
                self.note_once("read I as the identity matrix")
            else:
                node = Name(base, Span(start, end))
        if sup is not None:
            # the superscript applies to the (possibly subscripted) name: transpose or power
            self.i = sup_at
            node = self.apply_superscript(node)
            self.i = max(self.i, stop)
        return self.postfix(node)

    def subscripted(self, base: str, start: int, end: int, sub: Script, bound: set[str],
                    sup: Script | None) -> Node:
        parts = self.subscript_parts(sub)
        written = self.text[start:sub.span.end]
        indices = [p for p in parts if p[0] == "idx"]
        colons = [p for p in parts if p[0] == "colon"]
        decl = self.slice_decls.get((base, "_"))
        uses_bound = any(p[1] in bound for p in indices)
        span = Span(start, sub.span.end)
        if decl is not None and indices or uses_bound or colons:
            for _kind, txt, at in indices:
                if txt not in bound:
                    if decl is not None:
                        self.error(f"{written} is {what_is(decl)}, but {txt} is not bound by a "
                                   "sum here", at)
                    self.error(f"bad subscript: the index {txt} is not bound by a sum here", at)
            if colons:
                shape = [p[0] for p in parts if p[0] != "comma"]
                if shape == ["colon", "idx"]:
                    return Slice(base, "col", (indices[0][1],), span, written)
                if shape == ["idx", "colon"]:
                    return Slice(base, "row", (indices[0][1],), span, written)
                self.error("bad subscript: expected W_{:,j} or W_{i,:}", colons[0][2])
            others = [p for p in parts if p[0] in ("num", "word")]
            if others:
                self.error("bad subscript: mixes summation indices with other labels",
                           others[0][2])
            if decl is not None:
                if len(indices) != 1:
                    self.error(f"{base}_{{..}} is {what_is(decl)}: it takes one index",
                               sub.span.start)
                return Slice(decl.target, decl.kind, (indices[0][1],), span, written)
            if len(indices) == 1:
                if base[:1].isupper() and base not in self.declared:
                    self.error(
                        f"say what {written} is: in the where clause write "
                        f"'{written}: column {indices[0][1]} of {base}' (or row), or write "
                        f"{base}_{{:,{indices[0][1]}}}", start)
                self.note_once(f"read {written} as entry {indices[0][1]} of the vector {base}")
                return Slice(base, "entry", (indices[0][1],), span, written)
            if len(indices) == 2:
                return Slice(base, "entry", (indices[0][1], indices[1][1]), span, written)
            self.error("unsupported: more than two indices", indices[2][2])
        # an ordinary subscripted name
        pieces = []
        for kind, txt, at in parts:
            if kind == "colon":
                self.error("bad subscript: ':' outside a sum", at)
            pieces.append("_" if kind == "comma" else txt.replace("'", "p"))
        return Name(f"{base}_{''.join(pieces)}", span)

    def superscript_slice(self, base: str, start: int, end: int, index: str,
                          sup: Script) -> Node:
        written = self.text[start:end]
        span = Span(start, end)
        decl = self.slice_decls.get((base, "^"))
        if decl is not None:
            return Slice(decl.target, decl.kind, (index,), span, written)
        if base[:1].isupper():
            self.note_once(f"read {written} as column {index} of {base}")
            return Slice(base, "col", (index,), span, written)
        self.error(f"say what {written} is: in the where clause write '{written}: column "
                   f"{index} of {base.upper()}' (or row)", sup.span.start)

    def apply_superscript(self, node: Node) -> Node:
        """At '^': transpose, inverse (-transpose), or a power."""
        hat = self.next()
        sc = self.script()
        end = sc.span.end
        if self.is_transpose(sc):
            return Transpose(node, Span(node.span.start, end), Span(hat.start, end))
        if self.is_neg_transpose(sc):
            inv = Binary("^", node, Unary("-", Number(Fraction(1), "1", sc.span), sc.span),
                         Span(node.span.start, end), Span(hat.start, hat.end))
            return Transpose(inv, Span(node.span.start, end), Span(hat.start, end))
        core = self.core_tokens(sc)
        if len(core) == 1 and (core[0].kind == "sym" and core[0].text == "*"
                               or core[0].kind == "cmd" and core[0].text in ("dagger", "ast",
                                                                            "star", "H")):
            self.error("unsupported superscript (adjoint or pseudo-inverse)", core[0].start)
        circ = self.hadamard_mark(sc)
        if circ is not None:  # X^{\circ 2}: an entrywise (Hadamard) power
            power = self.parse_range(circ + 1, sc.b, self.expr)
            return Binary(".^", node, power, Span(node.span.start, end),
                          Span(hat.start, hat.end))
        power = self.parse_range(sc.a, sc.b, self.expr)
        out = Binary("^", node, power, Span(node.span.start, end), Span(hat.start, hat.end))
        if number(power) in (Fraction(1, 2), Fraction(-1, 2)):  # X^{1/2} of a matrix: sqrtm
            return self.offer(out, "^", node.span.start, end, force=True)
        return out

    def hadamard_mark(self, sc: Script) -> int | None:
        """The token index of a ``\\circ`` that starts a script (``^{\\circ 2}``), or
        None."""
        k = sc.a
        while k < sc.b and self.toks[k].kind == "sym" and self.toks[k].text == "{":
            k += 1
        t = self.toks[k] if k < sc.b else None
        return k if t is not None and t.kind == "cmd" and t.text == "circ" else None

    def postfix(self, node: Node) -> Node:
        seen_power = False
        while True:
            t = self.peek()
            if t.kind == "sym" and t.text == "'":
                self.next()
                node = Transpose(node, Span(node.span.start, t.end), Span(t.start, t.end))
            elif t.kind == "sym" and t.text == "^":
                if seen_power:
                    self.error("double superscript (use braces)", t.start)
                seen_power = True
                node = self.apply_superscript(node)
            elif t.kind == "sym" and t.text == "_":
                node = self.expression_entry(node, t)
            else:
                return node

    def expression_entry(self, node: Node, underscore: Tok) -> Node:
        """``(UV^T)_{ij}`` inside a sum over i and j: an entry of a bracketed expression."""
        bound = {ix for level in self.bound for ix in level}
        if not bound:
            self.error("bad subscript: a subscript can only follow a name, a norm or \\sum "
                       "(or, inside a sum, a bracketed matrix: (AB)_{ij})", underscore.start)
        self.next()
        sc = self.script("subscript")
        parts = self.subscript_parts(sc)
        indices = [p for p in parts if p[0] == "idx"]
        for kind, txt, at in parts:
            if kind not in ("idx", "comma"):
                self.error("bad subscript: an entry of an expression takes summation indices",
                           at)
            if kind == "idx" and txt not in bound:
                self.error(f"bad subscript: the index {txt} is not bound by a sum here", at)
        if not 1 <= len(indices) <= 2:
            self.error("bad subscript: one or two indices", sc.span.start)
        if has_index_nodes(node):
            self.error("unsupported: an entry of an expression that itself uses the indices",
                       underscore.start)
        span = Span(node.span.start, sc.span.end)
        written = self.text[span.start:span.end]
        return Slice(to_plain(node), "entry", tuple(p[1] for p in indices), span, written,
                     expr=node)
