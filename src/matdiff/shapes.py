"""Shapes: the walk of a syntax tree that gives every node its shape, for one assignment
of kinds to the names (:class:`Checker`), and the helpers that read sizes, exponents and
norm orders from the tree.  The search over kind assignments is :mod:`matdiff.typecheck`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from . import exact
from .dims import DimVar, DShape, Unifier, dim_label, dim_names
from .errors import (
    MatdiffError,
    MatdiffShapeError,
    MatdiffSyntaxError,
    MatdiffTypeError,
    UnsupportedError,
)
from .ir import dim_min
from .ops import ELEMENTWISE
from .ops.spectral import FRECHET
from .ops.spectral import NAMED as SPECTRAL
from .syntax import Binary, Call, Name, Node, Number, Selection, String, Transpose, Unary
from .unparse import to_plain

CONSTANTS = ("eye", "ones", "zeros")
BUILTINS = {  # the functions that are not elementwise (those are in matdiff.ops)
    "tr", "det", "logdet", "inv", "diag", "sum", "norm", "norm1", "norm2", "logsumexp",
    "softmax", "kron", "vec", "reshape", "vector", "matrix", "trace", "commutation", "mean",
} | set(CONSTANTS) | set(SPECTRAL) | set(FRECHET)

# square matrix -> square matrix; square -> column (eigvals); the thin SVD of any matrix
SQUARE_TO_SQUARE = ("expm", "logm", "sqrtm", "eigvecs")
SVD = ("svals", "svdU", "svdV")


# the functions that take a dimension: sum(X, 1) down the columns, sum(X, 2) along the rows
ALONG = ("sum", "mean", "logsumexp", "softmax")


def is_function(name: str) -> bool:
    return name in BUILTINS or name in ELEMENTWISE


MAX_MATRIX_POWER = exact.MAX_MATRIX_POWER  # matrix powers: see exact.py


@dataclass
class Decl:
    kind: str  # scalar | vector | matrix | symmetric | mask
    dims: tuple[int | str, ...]
    position: int




class Conflict(Exception):
    """A misfit of one assignment of kinds. A *decisive* one, met by the conventional
    assignment, is the answer: reading names against their conventions to escape it would
    answer another question (``softmax(Q*K')`` with Q and K scalars)."""

    def __init__(self, error: MatdiffError, decisive: bool = False):
        self.error = error
        self.decisive = decisive


class Checker:
    """Shapes for one assignment of kinds; raises Conflict on the first misfit."""

    def __init__(self, kinds: dict[str, str], decls: dict[str, Decl]):
        self.u = Unifier()
        self.kinds = kinds
        self.decls = decls
        self.var_shapes: dict[str, DShape] = {}
        self.node_shapes: dict[int, DShape] = {}
        self.named: dict[str, DimVar] = {}
        self.unsized: list[tuple[Node, str]] = []
        self.svd_shapes: list[tuple[DShape, DimVar]] = []  # an m x n matrix, its min(m, n)

    # -- helpers
    def named_dim(self, value: int | str) -> DimVar:
        if isinstance(value, int):
            return self.u.const(value)
        if "*" in value:  # a product of sizes, m*n
            parts = [self.named_dim(int(p) if p.isdigit() else p) for p in value.split("*")]
            d = parts[0]
            for p in parts[1:]:
                d = self.u.product(d, p)
            return d
        if value not in self.named:
            self.named[value] = self.u.const(value)
        return self.named[value]

    def fail(self, cls: type[MatdiffError], message: str, position: int | None,
             decisive: bool = False) -> NoReturn:
        raise Conflict(cls(message, position), decisive)

    def is_matrix(self, s: DShape) -> bool:
        """Neither dimension can be 1."""
        return s[0].find().not_one and s[1].find().not_one

    def describe(self, s: DShape) -> str:
        names = dim_names(self.u, set(self.named))
        r, c = (dim_label(d, names) for d in s)
        if r == "1" and c == "1":
            return "scalar"
        if c == "1":
            return f"vector({r})"
        if r == "1":
            return f"row vector (1 x {c})"
        return f"matrix({r}, {c})"

    def scalar(self) -> DShape:
        return (self.u.one, self.u.one)

    def is_scalar(self, s: DShape) -> bool:
        return self.u.is_one(s[0]) and self.u.is_one(s[1])

    def unify_shapes(self, a: DShape, b: DShape, op: str, pos: int, what: str) -> None:
        if not (self.u.unify(a[0], b[0]) and self.u.unify(a[1], b[1])):
            self.fail(MatdiffShapeError,
                      f"{what} '{op}' needs equal shapes, got {self.describe(a)} and "
                      f"{self.describe(b)}", pos)

    def no_broadcast(self, node: Binary, left: DShape, right: DShape) -> None:
        """A matrix plus a row or a column vector is a shape error, whatever the other
        readings of the names (no broadcasting), with the product that adds it everywhere."""
        for mat, vec, operand in ((left, right, node.right), (right, left, node.left)):
            row, col = self.u.is_one(vec[0]), self.u.is_one(vec[1])
            if not self.is_matrix(mat) or row == col:
                continue
            text = to_plain(operand)  # only here: writing every operand out is quadratic
            names = dim_names(self.u, set(self.named))
            size = dim_label(mat[0] if row else mat[1], names)
            fix = f"ones({size})*{text}" if row else f"{text}*ones({size})'"
            self.fail(MatdiffShapeError,
                      f"'{node.op}' needs equal shapes, got {self.describe(left)} and "
                      f"{self.describe(right)}: a vector is not broadcast over a matrix; "
                      f"to use it in every {'row' if row else 'column'}, write {fix}",
                      node.op_span.start, decisive=True)

    # -- variables
    def var_shape(self, name: str) -> DShape:
        if name in self.var_shapes:
            return self.var_shapes[name]
        kind = self.kinds[name]
        decl = self.decls.get(name)
        dims = [self.named_dim(d) for d in decl.dims] if decl else []
        if kind == "scalar":
            s = self.scalar()
        elif kind == "vector":
            s = (dims[0] if dims else self.u.fresh(), self.u.one)
        elif kind == "symmetric":
            n = dims[0] if dims else self.u.fresh()
            s = (n, n)
        else:
            s = (dims[0], dims[1]) if len(dims) == 2 else (self.u.fresh(), self.u.fresh())
        self.var_shapes[name] = s
        return s

    # -- the walk
    def shape(self, node: Node) -> DShape:
        s = self._shape(node)
        self.node_shapes[id(node)] = s
        return s

    def _shape(self, node: Node) -> DShape:
        match node:
            case Number():
                return self.scalar()
            case String():
                self.fail(MatdiffSyntaxError, "a string can only be a function argument",
                          node.span.start)
            case Name():
                return self.name_shape(node)
            case Unary():
                return self.shape(node.operand)
            case Transpose():
                r, c = self.shape(node.operand)
                return (c, r)
            case Selection():
                return self.selection(node)
            case Binary():
                return self.binary(node)
            case Call():
                return self.call(node)
        raise AssertionError(node)

    def name_shape(self, node: Name) -> DShape:
        if node.name in CONSTANTS and node.name not in self.kinds:
            return self.constant(node, node.name, ())
        if node.name in ("vector", "matrix"):
            self.fail(MatdiffSyntaxError, f"'{node.name}' needs an argument: {node.name}(1)",
                      node.span.start)
        return self.var_shape(node.name)

    def binary(self, node: Binary) -> DShape:
        op, pos = node.op, node.op_span.start
        left = self.shape(node.left)
        right = self.shape(node.right)
        ls, rs = self.is_scalar(left), self.is_scalar(right)
        if op in ("+", "-", ".*", "./"):
            if ls:
                return right
            if rs:
                return left
            what = "elementwise operator" if op in (".*", "./") else "operator"
            if op in ("+", "-"):
                self.no_broadcast(node, left, right)
            self.unify_shapes(left, right, op, pos, what)
            return left
        if op in ("*", "@"):
            if ls:
                return right
            if rs:
                return left
            if not self.u.unify(left[1], right[0]):
                self.fail(MatdiffShapeError,
                          f"matrix product '{op}' needs the inner dimensions to agree: "
                          f"{self.describe(left)} times {self.describe(right)}", pos)
            return (left[0], right[1])
        if op == "/":
            one = self.u.one
            if not rs and not (self.u.unify(right[0], one) and self.u.unify(right[1], one)):
                self.fail(MatdiffShapeError,
                          f"'/' divides by a scalar only, but the right side is "
                          f"{self.describe(right)}; use './' to divide elementwise", pos)
            return left
        if op == ".^":
            if ls and not rs:
                return right
            if not rs:
                self.unify_shapes(left, right, op, pos, "elementwise operator")
            return left
        if op == "^":
            return self.power(node, left, right, ls, rs)
        raise AssertionError(op)

    def power(self, node: Binary, left: DShape, right: DShape, ls: bool, rs: bool) -> DShape:
        pos = node.op_span.start
        if not rs:
            self.fail(MatdiffShapeError,
                      f"the exponent of '^' must be a scalar, got {self.describe(right)}; "
                      "use '.^' for an elementwise power", pos)
        if ls:
            return left
        k = integer_exponent(node.right)
        if k is None and self.is_matrix(left):
            self.fail(MatdiffTypeError,
                      "a matrix power needs an integer exponent: a matrix to a non-integer "
                      "power is not supported yet (sqrtm(X) is the matrix square root; use "
                      "'.^' for an elementwise power)",
                      node.right.span.start, decisive=True)
        if k is None:
            self.fail(MatdiffTypeError,
                      "a matrix power needs an integer exponent (use '.^' for an elementwise "
                      "power)", node.right.span.start)
        if abs(k) > MAX_MATRIX_POWER:
            self.fail(UnsupportedError,
                      f"matrix powers up to {MAX_MATRIX_POWER} are supported, got {k}",
                      node.right.span.start)
        if not self.u.unify(left[0], left[1]):
            self.fail(MatdiffShapeError,
                      f"a matrix power needs a square matrix, got {self.describe(left)}; "
                      "use '.^' for an elementwise power", pos)
        return left

    # -- calls
    def call(self, node: Call) -> DShape:
        f, args, pos = node.func, node.args, node.func_span.start
        if f in CONSTANTS or f in ("vector", "matrix"):
            return self.constant(node, f, args)
        if not is_function(f):
            self.fail(MatdiffSyntaxError, f"unknown function '{f}'{_did_you_mean(f)}", pos)
        strings = [a for a in args if isinstance(a, String)]
        if f == "norm":
            return self.norm_call(node)
        if strings:
            self.fail(MatdiffSyntaxError, f"'{f}' takes no string argument", strings[0].span.start)
        arity = {"kron": 2, "reshape": 3, "commutation": 2}.get(f, 2 if f in FRECHET else 1)
        if len(args) != arity and not (f in ALONG and len(args) == 2):
            self.fail(MatdiffSyntaxError,
                      f"'{f}' takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}",
                      pos)
        if f == "reshape":
            return self.reshape_call(node)
        if f == "commutation":
            return self.commutation_call(node)
        if f in ALONG and len(args) == 2:
            return self.along_call(node)
        shapes = [self.shape(a) for a in args]
        s = shapes[0]
        if f in ELEMENTWISE:
            return s
        if f in ("tr", "trace", "det", "logdet", "inv", "eigvals", *SQUARE_TO_SQUARE, *FRECHET):
            if not self.u.unify(s[0], s[1]):
                self.fail(MatdiffShapeError, f"'{f}' needs a square matrix, got {self.describe(s)}",
                          pos)
            if f in FRECHET:
                self.unify_shapes(s, shapes[1], ",", node.args[1].span.start,
                                  f"the direction of '{f}' has the matrix's shape:")
            if f == "eigvals":
                return (s[0], self.u.one)
            return s if f in ("inv", *SQUARE_TO_SQUARE, *FRECHET) else self.scalar()
        if f in SVD:  # min(m, n) columns: one for a vector, else settled in lower.check_svd
            k = self.u.one if self.u.is_one(s[0]) or self.u.is_one(s[1]) else self.u.fresh()
            self.svd_shapes.append((s, k))
            return (k, self.u.one) if f == "svals" else (s[0] if f == "svdU" else s[1], k)
        if f in ("sum", "mean", "norm1", "norm2"):
            return self.scalar()
        if f == "diag":
            if self.is_scalar(s):
                return s
            if self.u.is_one(s[1]):
                return (s[0], s[0])
            if not self.u.unify(s[0], s[1]):
                self.fail(MatdiffShapeError,
                          "'diag' takes a column vector or a square matrix, got "
                          f"{self.describe(s)}",
                          pos)
            return (s[0], self.u.one)
        if f in ("logsumexp", "softmax"):
            if not self.u.unify(s[1], self.u.one):
                self.softmax_misfit(node, s)
            return self.scalar() if f == "logsumexp" else s
        if f == "kron":
            t = shapes[1]
            return (self.u.product(s[0], t[0]), self.u.product(s[1], t[1]))
        if f == "vec":
            return (self.u.product(s[0], s[1]), self.u.one)
        raise AssertionError(f)

    def along_call(self, node: Call) -> DShape:
        """``sum``, ``mean``, ``logsumexp`` or ``softmax`` of X along dimension 1 (down the
        columns: one value per column) or 2 (along the rows: one value per row)."""
        f, (x, k) = node.func, node.args
        if not (isinstance(k, Number) and k.value in (1, 2) and k.text in ("1", "2")):
            self.fail(MatdiffSyntaxError, f"the dimension of '{f}' is 1 (down the columns) or 2 "
                      "(along the rows), written as the number", k.span.start)
        s = self.shape(x)
        if f == "softmax":
            return s
        return (self.u.one, s[1]) if k.value == 1 else (s[0], self.u.one)

    def selection(self, node: Selection) -> DShape:
        """``v[k]`` of a column vector, ``M[i, j]``, ``M[:, j]``, ``M[i, :]``."""
        r, c = self.shape(node.operand)
        at = node.op_span.start
        if node.vector and not self.u.unify(c, self.u.one):
            self.fail(MatdiffShapeError, "v[k] takes one entry of a column vector; of "
                      f"{self.describe((r, c))} write M[i, j], M[:, j] or M[i, :]", at)
        for position, d, what in ((node.row, r, "row"), (node.col, c, "column")):
            size = d.find().value
            if position and isinstance(size, int) and position > size:
                self.fail(MatdiffShapeError, f"{what} {position} is out of range: "
                          f"{self.describe((r, c))} has {size}", at)
        return (r if node.row == 0 else self.u.one, c if node.col == 0 else self.u.one)

    def softmax_misfit(self, node: Call, s: DShape) -> NoReturn:
        """softmax and logsumexp take a column vector; of a matrix they need a dimension."""
        f, pos, got = node.func, node.func_span.start, self.describe(s)
        if self.u.is_one(s[0]):
            self.fail(MatdiffShapeError, f"'{f}' needs a column vector, got {got}", pos,
                      decisive=True)
        arg = to_plain(node.args[0])
        arg = arg if len(arg) <= 24 else "X"
        self.fail(MatdiffShapeError,
                  f"{f} of a matrix needs a dimension: {f}({arg}, 2) for each row, "
                  f"{f}({arg}, 1) for each column (without one, '{f}' takes a column vector; "
                  f"got {got})", pos, decisive=True)

    def norm_call(self, node: Call) -> DShape:
        args, pos = node.args, node.func_span.start
        if not 1 <= len(args) <= 2 or isinstance(args[0], String):
            self.fail(MatdiffSyntaxError, "'norm' takes an expression and an optional order "
                      "('fro', 'nuc', 2 or 1)", pos)
        s = self.shape(args[0])
        if len(args) == 2:
            p = norm_order(args[1])
            if p is None:
                self.fail(MatdiffTypeError,
                          "unsupported norm order; use 'fro', 'nuc', 2 or 1 ('inf' and other "
                          "orders are not supported)", args[1].span.start)
            if p == 1 and not self.u.is_one(s[1]) and not self.is_scalar(s):
                self.fail(MatdiffTypeError,
                          "norm(X, 1) of a matrix is the induced 1-norm, which matdiff does "
                          "not support; use norm(X, 'fro') or norm1(X) (the sum of absolute "
                          "entries)", args[1].span.start)
            if p == "nuc" and (self.u.is_one(s[1]) or self.is_scalar(s)):
                self.fail(MatdiffTypeError, "norm(x, 'nuc') is the nuclear norm of a matrix; "
                          "for a vector use norm(x)", args[1].span.start)
        return self.scalar()

    def reshape_call(self, node: Call) -> DShape:
        v = self.shape(node.args[0])
        dims = [dim_argument(a) for a in node.args[1:]]
        if None in dims:
            self.fail(MatdiffSyntaxError, "reshape(v, m, n) takes dimension names or integers",
                      node.span.start)
        r, c = (self.named_dim(d) for d in dims)  # type: ignore[arg-type]
        if not self.u.unify(v[1], self.u.one) or not self.u.unify(v[0], self.u.product(r, c)):
            self.fail(MatdiffShapeError, f"reshape needs a vector of length {dims[0]}*{dims[1]}, "
                      f"got {self.describe(v)}", node.func_span.start)
        return (r, c)

    def commutation_call(self, node: Call) -> DShape:
        dims = [dim_argument(a) for a in node.args]
        if None in dims:
            self.fail(MatdiffSyntaxError, "commutation(m, n) takes dimension names or integers",
                      node.span.start)
        m, n = (self.named_dim(d) for d in dims)  # type: ignore[arg-type]
        size = self.u.product(m, n)
        return (size, size)

    def constant(self, node: Node, f: str, args: tuple) -> DShape:
        pos = node.span.start
        if f in ("vector", "matrix"):
            if len(args) != 1 or not (isinstance(args[0], Number) and args[0].value == 1):
                self.fail(MatdiffSyntaxError, f"'{f}(1)' is the all-ones {f}; other arguments "
                          "are not supported", pos)
            self.unsized.append((node, f))
            n = self.u.fresh()
            return (n, self.u.one) if f == "vector" else (n, self.u.fresh())
        dims = [dim_argument(a) for a in args]
        if None in dims or len(dims) > 2:
            self.fail(MatdiffSyntaxError,
                      f"'{f}' takes up to two sizes (dimension names or positive integers)", pos)
        ds = [self.named_dim(d) for d in dims]  # type: ignore[arg-type]
        if not ds:
            self.unsized.append((node, f))
            n = self.u.fresh(not_one=False)
            return (n, n) if f == "eye" else (n, self.u.fresh(not_one=False))
        if f == "eye":
            if len(ds) == 2 and not self.u.unify(ds[0], ds[1]):
                self.fail(MatdiffShapeError, "eye(m, n) must be square", pos)
            return (ds[0], ds[0])
        return (ds[0], ds[1] if len(ds) == 2 else self.u.one)


# names other tools give the functions matdiff spells otherwise
_OTHER_NAMES = {"eig": "eigvals", "eigh": "eigvals", "eigvalsh": "eigvals", "svd": "svals",
                "svdvals": "svals", "expmat": "expm", "logmat": "logm", "sqrtmat": "sqrtm",
                "transpose": "X'", "matrix_exp": "expm", "log_softmax":
                "log(softmax(x))", "lse": "logsumexp", "average": "mean"}


def _did_you_mean(name: str) -> str:
    """A suggestion for an unknown function: its name in matdiff, or a close spelling."""
    import difflib

    if name in _OTHER_NAMES:
        return f"; matdiff writes it {_OTHER_NAMES[name]}"
    close = difflib.get_close_matches(name, sorted(BUILTINS | set(ELEMENTWISE)), n=1,
                                      cutoff=0.75)
    return f"; did you mean {close[0]}?" if close else ""


def integer_exponent(node: Node) -> int | None:
    sign = 1
    while isinstance(node, Unary):
        sign = -sign if node.op == "-" else sign
        node = node.operand
    if isinstance(node, Number) and node.value.denominator == 1:
        return sign * node.value.numerator
    return None


def norm_order(node: Node) -> object:
    if isinstance(node, String):
        value = node.value.lower()
        return "fro" if value in ("fro", "f") else "nuc" if value == "nuc" else None
    if isinstance(node, Number) and node.value in (1, 2):
        return int(node.value)
    return None


def dim_argument(node: Node) -> int | str | None:
    if isinstance(node, Binary) and node.op == "*":  # a product of sizes: eye(m*n)
        a, b = dim_argument(node.left), dim_argument(node.right)
        if a is None or b is None:
            return None
        if isinstance(a, int) and isinstance(b, int):
            return a * b
        return "*".join(sorted(str(a).split("*") + str(b).split("*")))
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Number) and node.value.denominator == 1 and node.value >= 1:
        return node.value.numerator
    if isinstance(node, Call) and node.func == "min" and len(node.args) == 2:
        a, b = dim_argument(node.args[0]), dim_argument(node.args[1])  # the thin SVD's size
        return None if a is None or b is None else dim_min(a, b)
    return None


def collect_names(node: Node, out: dict[str, int], dims_only: set[str]) -> None:
    """Variables in order of first appearance (positions); dimension arguments aside."""
    match node:
        case Name():
            if node.name not in CONSTANTS:
                out.setdefault(node.name, node.span.start)
        case Unary():
            collect_names(node.operand, out, dims_only)
        case Transpose() | Selection():
            collect_names(node.operand, out, dims_only)
        case Binary():
            collect_names(node.left, out, dims_only)
            collect_names(node.right, out, dims_only)
        case Call():
            if node.func in CONSTANTS or node.func in ("reshape", "commutation"):
                sized = node.args if node.func in CONSTANTS + ("commutation",) else node.args[1:]
                for a in sized:
                    if isinstance(a, Name):
                        dims_only.add(a.name)
                if node.func == "reshape" and node.args:
                    collect_names(node.args[0], out, dims_only)
                return
            for a in node.args:
                collect_names(a, out, dims_only)

