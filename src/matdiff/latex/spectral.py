"""Eigenvalues, singular values, Frechet derivatives and selections at positions:
``\\lambda_1(S)``, ``\\sum_i \\lambda_i(S)``, ``\\lambda_{\\max}(S)``, ``\\sigma_{\\max}(X)``,
``\\boldsymbol{\\lambda}(S)``, ``L_{\\exp}(X, E)``, ``\\operatorname{dexpm}(X, E)``,
``\\operatorname{eigvecs}(S)_{:,1}``, ``{X}_{1,2}``.

Conventions (those of the plain language): ``eigvals(S)`` is ascending, so ``\\lambda_1(S)``
is the smallest eigenvalue and ``\\lambda_{\\min}(S)`` is ``eigvals(S)[1]``; ``svals(X)`` is
descending, so ``\\sigma_1(X)`` is the largest singular value, and ``\\sigma_{\\max}(X)`` is
the spectral norm ``norm(X, 2)``.  A selection takes a number, so ``\\lambda_{\\max}(S)``
is ``-eigvals(-S)[1]`` (the largest eigenvalue of S is minus the smallest of -S) and
``\\sigma_{\\min}(X)`` is refused.  ``\\lambda_i(S)`` with i bound by a sum is an entry of
``eigvals(S)`` (``\\sum_i f(\\lambda_i(S))`` is ``sum(f(eigvals(S)))``); when the bracket
uses the index (``\\sum_i \\lambda_i (x_i - y_i)^2``), when the subscript is a letter no sum
binds, or when ``lambda_1`` is declared, ``\\lambda_1 (..)`` stays a product.
"""

from __future__ import annotations

from fractions import Fraction

from ..syntax import Binary, Call, Name, Node, Number, Selection, Slice, Span, Unary, walk
from ..unparse import to_plain
from .cursor import Script
from .sums import Sums
from .tokens import Tok
from .vocabulary import (
    GREEK,
    OPEN_TEXT,
    OPENERS,
    SIZES_EITHER,
    SIZES_OPEN,
    TWO_ARGUMENTS,
    letter_name,
)

SPECTRAL = {"lambda": "eigvals", "sigma": "svals"}
SQUARE_MATRIX_FUNCTIONS = ("expm", "logm", "sqrtm", "eigvals", "eigvecs")
FRECHET = {"exp": "dexpm", "log": "dlogm", "sqrt": "dsqrtm", "sqrtcdot": "dsqrtm",
           "expm": "dexpm", "logm": "dlogm", "sqrtm": "dsqrtm"}


class SpectralValues(Sums):
    def spectral_value(self, t: Tok) -> Node | None:
        """At ``\\lambda`` or ``\\sigma`` followed by a subscript and a bracket: an eigenvalue
        or singular value (or None: the name as usual)."""
        name = GREEK[t.text] if t.kind == "cmd" else letter_name(t.text)
        if name not in SPECTRAL or not self.at("sym", "_", 1):
            return None
        saved = self.i, len(self.notes), dict(self.choices)
        self.i += 2
        sc = self.script("subscript")
        label = self.spectral_label(sc)
        written_name = self.text[t.start:sc.span.end]
        if label is None or not self.opens_group(self.peek()) or \
                f"{name}_{label.strip(chr(92))}" in self.declared:
            self.i = saved[0]
            return None
        bound = {ix for level in self.bound for ix in level}
        if label.isalpha() and label not in ("max", "min") and label not in bound:
            self.i = saved[0]
            self.note_once(f"read {written_name}(..) as the scalar {name}_{label} times the "
                           f"bracket: {label} is not bound by a sum (the sum of the "
                           f"{'eigenvalues' if name == 'lambda' else 'singular values'}: "
                           f"\\sum_{label} {written_name}(X); one of them: \\{name}_1(X))")
            return None
        arg = self.delimited(postfix=False)
        if label in bound and any(isinstance(n, Slice) and label in n.indices
                                  for n in walk(arg)):
            # \sum_i \lambda_i (x_i - y_i)^2: weights times the bracket
            self.i, self.choices = saved[0], saved[2]
            del self.notes[saved[1]:]
            return None
        func = SPECTRAL[name]
        span, fspan = Span(t.start, arg.span.end), Span(t.start, sc.span.end)
        written = self.text[span.start:span.end]
        call = Call(func, (arg,), span, fspan)
        what = "eigenvalue" if name == "lambda" else "singular value"
        x = to_plain(arg)
        if label in bound:
            self.offer(call, "spectral", span.start, span.end)
            node: Node = Slice(to_plain(call), "entry", (label,), span, written, expr=call)
            self.note_once(f"read {written} as entry {label} of {func}({x}), the {what}s of "
                           f"{x} in {'ascending' if name == 'lambda' else 'descending'} order")
            return self.postfix(node)
        if label.isdigit():
            k = int(label)
            if k < 1:
                self.error("positions count from 1", sc.span.start)
            node = Selection(call, k, 1, span, sc.span, vector=True)
            order = "smallest" if name == "lambda" else "largest"
            note = (f"read {written} as {func}({x})[{k}], the {_ordinal(k)}{order} {what} of "
                    f"{x}")
        elif name == "sigma" and label == "max":
            node = Call("norm", (arg, Number(Fraction(2), "2", sc.span)), span, fspan)
            note = (f"read {written} as the spectral norm norm({x}, 2), the largest singular "
                    "value")
        elif name == "sigma":
            self.error(f"unsupported: {written_name}: the singular values svals(X) are in "
                       "descending order and a selection takes a number, which the smaller "
                       "size of the matrix is not (for a square invertible X, "
                       "1/\\|X^{-1}\\|_2 is its smallest singular value)", t.start)
        elif label == "min":
            node = Selection(call, 1, 1, span, sc.span, vector=True)
            note = (f"read {written} as eigvals({x})[1], the smallest eigenvalue (eigvals is "
                    "in ascending order)")
        else:  # the largest eigenvalue of S is minus the smallest of -S
            neg = Call(func, (Unary("-", arg, arg.span),), span, fspan)
            node = Unary("-", Selection(neg, 1, 1, span, sc.span, vector=True), span)
            note = (f"read {written} as {to_plain(node)}: the largest eigenvalue of {x} is "
                    f"minus the smallest of {to_plain(neg.args[0])} (a selection takes a "
                    "number, which the size of the matrix is not)")
        # of a scalar or a vector: the scalar lambda_1 times the bracket (see .readings)
        other = Binary("*", Name(f"{name}_{label}", fspan), arg, span,
                       Span(arg.span.start, arg.span.start))
        self.note_once(note)
        self.offer(node, "spectral", span.start, span.end, replaces=note, other=other)
        return self.postfix(node)

    def spectral_label(self, sc: Script) -> str | None:
        """A subscript's label: an index letter, a positive number, ``max`` or ``min``."""
        core = self.core_tokens(sc)
        if len(core) == 1 and core[0].kind == "cmd" and core[0].text in ("max", "min"):
            return core[0].text
        if core and all(t.kind == "num" for t in core):
            return "".join(t.text for t in core)
        word = "".join(t.text for t in core)
        if core and all(t.kind == "letter" for t in core) and word in ("max", "min"):
            return word
        if len(core) == 1 and core[0].kind == "letter":
            return core[0].text
        return None

    def styled(self, cmd: Tok) -> Node:
        """``\\boldsymbol{\\lambda}(S)``: the vector of eigenvalues (singular values for
        ``\\sigma``); any other bold name as usual."""
        if self.at("sym", "{") and self.at("sym", "}", 2):
            inner, after = self.peek(1), 3
        else:
            inner, after = self.peek(), 1
        if (inner.kind == "cmd" and GREEK.get(inner.text) in SPECTRAL
                and self.opens_group(self.peek(after))):
            func = SPECTRAL[GREEK[inner.text]]
            name_end = self.peek(after - 1).end
            self.i += after
            arg = self.delimited(postfix=False)
            span = Span(cmd.start, arg.span.end)
            call = Call(func, (arg,), span, Span(cmd.start, name_end))
            self.offer(call, "spectral", span.start, span.end)
            x = to_plain(arg)
            order = "ascending" if func == "eigvals" else "descending"
            self.note_once(f"read {self.text[span.start:span.end]} as {func}({x}), the "
                           f"{'eigenvalues' if func == 'eigvals' else 'singular values'} of "
                           f"{x} in {order} order")
            return self.postfix(call)
        return super().styled(cmd)

    def name_atom(self, base: str, start: int, end: int, letter: bool = False) -> Node:
        """``L_{\\exp}(X, E)``: the Frechet derivative of expm at X in the direction E."""
        if base == "L" and letter and "L" not in self.declared and self.at("sym", "_"):
            saved = self.i
            self.next()
            sc = self.script("subscript")
            core = self.core_tokens(sc)
            word = "".join(t.text for t in core if t.kind in ("cmd", "letter"))
            if word in FRECHET and self.opens_group(self.peek()):
                func = FRECHET[word]
                x, e, stop = self.two_arguments(func)
                call = Call(func, (x, e), Span(start, stop), Span(start, sc.span.end))
                self.offer(call, "matrix", start, stop)
                self.note_once(f"read {self.text[start:stop]} as {func}({to_plain(x)}, "
                               f"{to_plain(e)}), the Frechet derivative of "
                               f"{func[1:]} at {to_plain(x)} in the direction {to_plain(e)}")
                return self.postfix(call)
            self.i = saved
        return super().name_atom(base, start, end, letter)

    def function(self, func: str, start: int, fspan: Span) -> Node:
        """The functions of a square matrix by name (``\\operatorname{expm}(X)``,
        ``\\operatorname{dexpm}(X, E)``): their argument must be a matrix (see
        :mod:`.readings`)."""
        if func in TWO_ARGUMENTS and self.opens_group(self.peek()):
            x, e, stop = self.two_arguments(func)
            call = Call(func, (x, e), Span(start, stop), fspan)
            return self.postfix(self.offer(call, "matrix", start, stop))
        node = super().function(func, start, fspan)
        if func in SQUARE_MATRIX_FUNCTIONS:
            self.offer(Call(func, (), fspan, fspan), "matrix", start, self.toks[self.i - 1].end)
        return node

    def two_arguments(self, func: str) -> tuple[Node, Node, int]:
        """``( X , E )`` (with ``\\left``, ``\\big`` sizes): the two operands and the end."""
        first = self.next()
        sized = None
        if first.kind == "cmd" and first.text == "left":
            sized = "left"
        elif first.kind == "cmd" and (first.text in SIZES_OPEN or first.text in SIZES_EITHER):
            sized = "big"
        opener = self.next() if sized else first
        kind = OPENERS[(opener.kind, opener.text)]
        saved_bars, self.bar_depth = self.bar_depth, 0
        try:
            x = self.expr()
            if not self.at("sym", ","):
                self.error(f"{func} takes two arguments: the matrix and the direction, as in "
                           f"{func}{OPEN_TEXT[kind]}X, E", self.peek().start)
            self.next()
            e = self.expr()
        finally:
            self.bar_depth = saved_bars
        return x, e, self.closer(kind, first, sized)

    def expression_entry(self, node: Node, underscore: Tok) -> Node:
        """``{X}_{1,2}``, ``\\operatorname{eigvecs}(S)_{:,1}``: a selection at positions
        (the numbers count from 1); anything else as usual."""
        saved = self.i
        self.next()
        sc = self.script("subscript")
        parts = [p for p in self.subscript_parts(sc) if p[0] != "comma"] \
            if self.numbers_only(sc) else []
        commas = sum(1 for t in self.script_tokens(sc) if t.kind == "sym" and t.text == ",")
        if parts and any(p[0] == "num" for p in parts) and len(parts) == commas + 1 <= 2:
            for kind, text, at in parts:
                if kind == "num" and (not text.isdigit() or int(text) < 1):
                    self.error("positions count from 1", at)
            pos = [int(text) if kind == "num" else 0 for kind, text, _ in parts]
            span = Span(node.span.start, sc.span.end)
            if len(pos) == 1:
                return Selection(node, pos[0], 1, span, sc.span, vector=True)
            return Selection(node, pos[0], pos[1], span, sc.span)
        self.i = saved
        return super().expression_entry(node, underscore)

    def numbers_only(self, sc: Script) -> bool:
        return all(t.kind == "num" or t.kind == "sym" and t.text in ",:{}"
                   or t.kind == "cmd" and t.text == "colon" for t in self.script_tokens(sc))


def _ordinal(k: int) -> str:
    if k == 1:
        return ""
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(k % 10 if k % 100 not in (11, 12, 13) else 0, "th")
    return f"{k}{suffix} "
