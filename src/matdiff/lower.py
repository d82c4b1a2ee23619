"""Lowering: the syntax tree, with the shapes the checker found, to the IR through the
smart constructors of :mod:`matdiff.algebra` and :mod:`matdiff.functions`.

The numbers are bounded here, at the text that makes them (:mod:`matdiff.exact` has the
bounds): a :class:`~matdiff.exact.NumberError` raised while a node is built is placed at
that node and names the text the user wrote (``2^(2^(2^5)) is too large a number (about
10^1292913986)``).  Exact arithmetic covers numbers and their powers; a constant made with
a function (``log(0)``, ``exp(1000)``, ``sqrt(-2)``, ``1/log(1)``) is also evaluated in
floating point as it is lowered, and must be a finite real number within the range.  A
negative constant to a variable power (``(-2)^x``) is not a real number either.
"""

from __future__ import annotations

import math

from . import algebra as A
from . import functions as F
from .declarations import MAX_DIMENSION
from .dims import DimVar, dim_names
from .errors import MatdiffShapeError, MatdiffTypeError, UnsupportedError
from .exact import MAX_MAGNITUDE, MAX_MATRIX_POWER, NumberError, too_large
from .ir import Expr, MatPow, NuclearNorm, Num, SpectralNorm, Sym, dim_min, dim_product, shape_text
from .ops import ELEMENTWISE, spectral
from .shapes import (
    ALONG,
    BUILTINS,
    CONSTANTS,
    Checker,
    Decl,
    collect_names,
    dim_argument,
    integer_exponent,
    norm_order,
)
from .syntax import (
    Binary,
    Call,
    Name,
    Node,
    Number,
    Parsed,
    Selection,
    String,
    Transpose,
    Unary,
)
from .unparse import to_plain


class Lowerer:
    """The syntax tree, with the checker's shapes, to IR through the smart constructors."""

    def __init__(self, parsed: Parsed, ch: Checker, kinds: dict[str, str], decls: dict[str, Decl]):
        self.parsed, self.ch, self.kinds, self.decls = parsed, ch, kinds, decls
        self.declared = frozenset(ch.named) - {1}
        used: dict[str, int] = {}
        collect_names(parsed.expr, used, set())
        self.order = {n: i for i, n in enumerate(used)}
        self.names = dim_names(ch.u, set(used) | set(ch.named) | BUILTINS | set(ELEMENTWISE))
        self.syms: dict[str, Sym] = {}
        self.values: dict[int, float] = {}  # the value of each scalar constant node, by id

    def dim(self, d: DimVar) -> int | str:
        root = d.find()
        if root.value is not None:
            return root.value
        if root.product:
            return dim_product(self.dim(root.product[0]), self.dim(root.product[1]))
        return self.names[id(root)]

    def shape_of(self, node: Node) -> tuple[int | str, int | str]:
        r, c = self.ch.node_shapes[id(node)]
        return (self.dim(r), self.dim(c))

    def lower_all(self) -> Expr:
        """The IR of the whole expression; afterwards :attr:`syms` holds every variable
        (in order of first appearance)."""
        self.check_unsized()
        self.check_svd()
        expr = self.lower(self.parsed.expr)
        for name in self.order:
            if name not in self.syms and name in self.kinds:
                self.sym(name)
        self.syms = {n: self.syms[n] for n in self.order if n in self.syms}
        return expr

    def types(self) -> dict[str, str]:
        """Each variable's type as text (``matrix(n, m)``)."""
        return {n: shape_text(s.shape, s.kind) for n, s in self.syms.items()}

    def check_svd(self) -> None:
        """svals(X), svdU(X), svdV(X) have min(m, n) columns: that size, when the checker
        left it open, or an error when it was matched with another one."""
        for (r, c), k in self.ch.svd_shapes:
            smaller = dim_min(self.dim(r), self.dim(c))
            root = k.find()
            own = root is r.find() or root is c.find()  # matched with one of the matrix's
            if root.value is None and not root.product and not own:
                self.ch.u.unify(root, self.ch.u.const(smaller))
            elif self.dim(root) != smaller:
                raise MatdiffTypeError(
                    f"the singular values of a {self.dim(r)} x {self.dim(c)} matrix are "
                    f"min({self.dim(r)}, {self.dim(c)}) many, and the expression uses them as "
                    f"{self.dim(root)}: give the matrix integer sizes or a square shape", None)

    def check_unsized(self) -> None:
        for node, f in self.ch.unsized:
            r, c = self.ch.node_shapes[id(node)]
            cr = c.find()
            if f == "ones" and cr.value is None and not cr.product and not cr.not_one:
                self.ch.u.unify(cr, self.ch.u.one)  # an unsized ones is a vector by default
            for d in (r, c):
                root = d.find()
                if root.value is None and not root.product and not root.not_one:
                    raise MatdiffTypeError(
                        f"cannot tell the size of '{f}' from its context; write it with sizes, "
                        f"e.g. {f}(n)" + ("" if f == "eye" else f" or {f}(m, n)"),
                        node.span.start)

    def sym(self, name: str) -> Sym:
        if name not in self.syms:
            kind = self.kinds[name]
            shape = self.ch.var_shapes.get(name)
            dims = (self.dim(shape[0]), self.dim(shape[1])) if shape else (1, 1)
            self.syms[name] = Sym(name, dims, kind)
        return self.syms[name]

    def lower(self, node: Node) -> Expr:
        """The IR of a node; a number out of bounds is an error at the node's text."""
        try:
            out = self._lower(node)
        except NumberError as e:
            if e.position is not None:
                raise
            raise e.about(self._subject(node), node.span.start) from None
        self._check_constant(node, out)
        return out

    # -- constants -------------------------------------------------------------------------

    _SUBJECT_LENGTH = 40

    def _subject(self, node: Node) -> str:
        """The text that made a node, as an error message names it (shortened if long)."""
        text = " ".join(self.parsed.text[node.span.start:node.span.end].split())
        while _enclosed(text):  # (2^(2^9)) as 2^(2^9)
            text = text[1:-1].strip()
        if len(text) > self._SUBJECT_LENGTH:
            text = text[:self._SUBJECT_LENGTH - 3] + "..."
        return text or "a constant"

    def _check_constant(self, node: Node, out: Expr) -> None:
        """Evaluate a scalar constant in floating point (from the values of its parts);
        refuse one that is not a finite real number within the range of exact.py."""
        value = self._constant_value(node)
        if value is None:
            return
        self.values[id(node)] = value
        if isinstance(out, Num):  # exact, and checked when it was made
            return
        if math.isnan(value):
            raise NumberError(self._subject(node), "is not a real number (it evaluates to nan)",
                              node.span.start)
        if math.isinf(value) or abs(value) > MAX_MAGNITUDE:
            log10 = self._power_log10(node)
            if log10 is not None and log10 > 0:
                raise too_large(self._subject(node), log10).about(self._subject(node),
                                                                  node.span.start)
            raise NumberError(self._subject(node), f"is infinite or too large a number (it "
                              f"evaluates to {value:g}); matdiff works with numbers between "
                              "1e-308 and 1e308 in size (and 0)", node.span.start)

    def _power_log10(self, node: Node) -> float | None:
        """log10 of a power of constants whose base and exponent are finite, else None."""
        if not (isinstance(node, Binary) and node.op in ("^", ".^")):
            return None
        base, exponent = self.values.get(id(node.left)), self.values.get(id(node.right))
        if base is None or exponent is None or base == 0 or not (
                math.isfinite(base) and math.isfinite(exponent)):
            return None
        return exponent * math.log10(abs(base))

    def _constant_value(self, node: Node) -> float | None:
        """The floating-point value of a scalar constant node (its parts' values are known,
        as they were lowered first), or None when it is not one."""
        values = self.values
        if isinstance(node, Number):
            return float(node.value)
        if isinstance(node, (Unary, Transpose, Selection)):
            v = values.get(id(node.operand))
            return None if v is None else (-v if isinstance(node, Unary) and node.op == "-"
                                           else v)
        if isinstance(node, Binary) and node.op in ("+", "-"):
            total = 0.0
            term: Node = node
            while isinstance(term, Binary) and term.op in ("+", "-"):
                v = values.get(id(term.right))
                if v is None:
                    return None
                total += -v if term.op == "-" else v
                term = term.left
            v = values.get(id(term))
            return None if v is None else total + v
        if isinstance(node, Binary):
            left, right = values.get(id(node.left)), values.get(id(node.right))
            if node.op in ("^", ".^") and left is not None and left < 0 and right is None:
                raise NumberError(self._subject(node), "is not a real number for most values "
                                  "of its exponent (a negative number to a variable power)",
                                  node.span.start)
            if left is None or right is None:
                return None
            return _arithmetic(node.op, left, right)
        if isinstance(node, Call) and node.func in ELEMENTWISE and len(node.args) == 1:
            v = values.get(id(node.args[0]))
            if v is None:
                return None
            import numpy as np  # only for a function of a constant (import matdiff stays light)

            with np.errstate(all="ignore"):
                out = complex(ELEMENTWISE[node.func].numpy(np.array([[v]]))[0, 0])
            return out.real if out.imag == 0 else math.nan
        return None

    def _check_sizes(self, node: Call) -> None:
        """A size written in an expression (``eye(1e300)``) is bounded as a declared one."""
        for arg in node.args:
            size = dim_argument(arg)
            if isinstance(size, int) and size > MAX_DIMENSION:
                raise UnsupportedError(f"a dimension can be at most {MAX_DIMENSION}, found "
                                       f"{self._subject(arg)}", arg.span.start)

    def _lower(self, node: Node) -> Expr:
        match node:
            case Number():
                return A.num(node.value)
            case Name():
                if node.name in CONSTANTS and node.name not in self.kinds:
                    return self.constant(node, node.name)
                return self.sym(node.name)
            case Unary():
                x = self.lower(node.operand)
                return A.neg(x) if node.op == "-" else x
            case Transpose():
                return A.transpose(self.lower(node.operand))
            case Selection():
                x = self.lower(node.operand)
                for at, size, what in ((node.row, x.shape[0], "row"), (node.col, x.shape[1],
                                                                       "column")):
                    if isinstance(size, int) and at > size:
                        raise MatdiffShapeError(f"{what} {at} is out of range: "
                                                f"{to_plain(node.operand)} has {size}",
                                                node.op_span.start)
                return spectral.select(x, node.row, node.col)
            case Binary():
                return self.binary(node)
            case Call():
                return self.call(node)
        raise AssertionError(node)

    def constant(self, node: Node, f: str) -> Expr:
        shape = self.shape_of(node)
        if f == "eye":
            return A.identity(shape[0])
        if f == "zeros":
            return A.zero(shape)
        return A.ones(shape)

    def binary(self, node: Binary) -> Expr:
        op = node.op
        if op == "^" and not self.ch.is_scalar(self.ch.node_shapes[id(node.left)]):
            k = integer_exponent(node.right)
            assert k is not None
            base = self.lower(node.left)
            nested = abs(k) * _nested_power(base)
            if nested > MAX_MATRIX_POWER:  # (X^64)^64: the derivative would have 4096 terms
                raise UnsupportedError(
                    f"{self._subject(node)} nests matrix powers whose exponents multiply to "
                    f"{nested}; matdiff supports matrix powers up to {MAX_MATRIX_POWER}, "
                    "nested ones included", node.span.start)
            return F.matpow(base, k)
        if op in ("+", "-"):  # a whole chain a + b - c + ... in one sum
            terms = []
            term: Node = node
            while isinstance(term, Binary) and term.op in ("+", "-"):
                right = self.lower(term.right)
                terms.append(A.neg(right) if term.op == "-" else right)
                term = term.left
            terms.append(self.lower(term))
            return A.add_list(reversed(terms))
        a, b = self.lower(node.left), self.lower(node.right)
        if op in ("*", "@"):
            return A.mul(a, b)
        if op == ".*":
            return A.hadamard(a, b)
        if op in ("/", "./"):
            return F.div(a, b)
        if op in ("^", ".^"):
            return A.elem_pow(a, b)
        raise AssertionError(op)

    def call(self, node: Call) -> Expr:
        f = node.func
        if f in _SIZED:
            self._check_sizes(node)
        if f in CONSTANTS or f in ("vector", "matrix"):
            return self.constant(node, "ones" if f in ("vector", "matrix") else f)
        if f == "reshape":
            r, c = self.shape_of(node)
            return F.reshape(self.lower(node.args[0]), r, c)
        if f == "commutation":
            m, n = (self.dim(self.ch.named_dim(dim_argument(a))) for a in node.args)  # type: ignore[arg-type]
            return A.commutation(m, n)
        if f in ALONG and len(node.args) == 2:  # sum(X, 1), softmax(X, 2), ...
            k = node.args[1]
            assert isinstance(k, Number)
            return F.along(f, self.lower(node.args[0]), int(k.value))
        args = [self.lower(a) for a in node.args if not isinstance(a, String)]
        x = args[0]
        if f in ELEMENTWISE:
            return F.func(f, x)
        simple = {"tr": F.trace, "trace": F.trace, "det": F.det, "logdet": F.logdet,
                  "inv": F.inv, "sum": A.sum_, "logsumexp": F.logsumexp, "softmax": F.softmax,
                  "vec": A.vec, "norm2": F.norm, "mean": F.mean}
        if f in simple:
            return simple[f](x)
        if f == "diag":
            return F.diag(x) if x.shape[1] == 1 else F.diag_part(x)
        if f == "norm1":
            return A.sum_(F.func("abs", x))
        if f == "norm":
            order = norm_order(node.args[1]) if len(node.args) == 2 else "fro"
            if order == 1:
                return A.sum_(F.func("abs", x))
            if order == "nuc" or order == 2 and x.shape[1] != 1:
                return (NuclearNorm if order == "nuc" else SpectralNorm)(x)
            return F.norm(x)
        if f in spectral.NAMED:
            if f in ("eigvals", "eigvecs") and not spectral.is_symmetric(x):
                raise MatdiffTypeError(
                    f"'{f}' takes a symmetric matrix, and {to_plain(node.args[0])} is not "
                    "known to be one: declare it (S: symmetric matrix) or write a symmetric "
                    "form such as (A + A')/2 or X'*X", node.func_span.start)
            return spectral.NAMED[f](x)
        if f in spectral.FRECHET:
            return spectral.FRECHET[f](x, args[1])
        if f == "kron":
            return A.kron(x, args[1])
        raise AssertionError(f)


def _enclosed(text: str) -> bool:
    """Whether the whole text is one pair of parentheses and what they enclose."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i < len(text) - 1:
            return False
    return True


# The calls whose arguments may be sizes.
_SIZED = frozenset(CONSTANTS) | {"vector", "matrix", "reshape", "commutation"}


def _arithmetic(op: str, a: float, b: float) -> float:
    """``a op b`` in floating point (inf or nan where it is not a finite real number)."""
    try:
        if op in ("*", "@", ".*"):
            return a * b
        if op in ("/", "./"):
            return a / b
        if op in ("^", ".^"):
            out = a ** b
            return math.nan if isinstance(out, complex) else float(out)
    except ZeroDivisionError:
        return math.nan if a == 0 and op != "^" and op != ".^" else math.inf
    except OverflowError:
        return math.inf
    return math.nan


def _nested_power(e: Expr) -> int:
    """The largest product of the exponents of matrix powers nested in ``e`` (1 if none):
    4096 for ``(X^64)^64``; the derivative of a power has as many terms as its exponent."""
    memo: dict[int, int] = {}
    for node in e.walk():
        inner = max((memo[id(c)] for c in node.children), default=1)
        memo[id(node)] = inner * node.k if isinstance(node, MatPow) else inner
    return memo[id(e)]
