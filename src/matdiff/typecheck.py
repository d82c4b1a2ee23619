"""Types and shapes: from the syntax tree to the typed IR.

Types come, in this order of authority, from (1) declarations, (2) inference
from usage and (3) naming conventions (LANGUAGE.md). The kind (scalar, vector,
matrix) of each undeclared name is searched: assignments that break fewer
naming conventions are tried first, and the first assignment whose uses all
fit wins. Within one assignment, dimensions are unified (union-find), so
``X*W - Y`` ties X's rows to Y's rows. When nothing fits, the error is the one
the conventional assignment meets, naming both shapes and the operator.

``lower`` then builds the IR through the smart constructors of
:mod:`matdiff.algebra`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from . import algebra as A
from . import functions as F
from .errors import (
    MatdiffError, MatdiffShapeError, MatdiffSyntaxError, MatdiffTypeError, UnsupportedError,
)
from .ir import Expr, Sym, shape_text
from .ops import ELEMENTWISE
from .printing import GREEK, GREEK_UNICODE
from .syntax import Binary, Call, Declaration, Name, Node, Number, Parsed, String, Transpose, Unary

CONSTANTS = ("eye", "ones", "zeros")
BUILTINS = {  # the functions that are not elementwise (those are in matdiff.ops)
    "tr", "det", "logdet", "inv", "diag", "sum", "norm", "norm1", "norm2", "logsumexp",
    "softmax", "kron", "vec", "reshape", "vector", "matrix", "trace", "commutation",
} | set(CONSTANTS)


def is_function(name: str) -> bool:
    return name in BUILTINS or name in ELEMENTWISE


MAX_KIND_TRIALS = 4000
KIND_SEARCH_SECONDS = 3.0
MAX_MATRIX_POWER = 64


# ----------------------------------------------------------------------------- dimensions


class DimVar:
    """A dimension in the union-find: unknown, an int, or a declared name."""

    __slots__ = ("parent", "value", "not_one", "serial", "product")
    counter = itertools.count()

    def __init__(self, value: int | str | None = None, not_one: bool = False,
                 product: tuple["DimVar", "DimVar"] | None = None):
        self.parent: DimVar | None = None
        self.value = value
        self.not_one = not_one or (value is not None and value != 1)
        self.serial = next(DimVar.counter)
        self.product = product

    def find(self) -> "DimVar":
        node = self
        while node.parent is not None:
            node = node.parent
        return node


ONE_VALUE = 1


class Unifier:
    def __init__(self) -> None:
        self.one = DimVar(1)
        self.dims: list[DimVar] = [self.one]

    def fresh(self, not_one: bool = True) -> DimVar:
        d = DimVar(None, not_one)
        self.dims.append(d)
        return d

    def const(self, value: int | str) -> DimVar:
        if value == 1:
            return self.one
        d = DimVar(value)
        self.dims.append(d)
        return d

    def product(self, a: DimVar, b: DimVar) -> DimVar:
        a, b = a.find(), b.find()
        if a.value == 1:
            return b
        if b.value == 1:
            return a
        if isinstance(a.value, int) and isinstance(b.value, int):
            return self.const(a.value * b.value)
        d = DimVar(None, a.not_one or b.not_one, product=(a, b))
        self.dims.append(d)
        return d

    def unify(self, a: DimVar, b: DimVar) -> bool:
        a, b = a.find(), b.find()
        if a is b:
            return True
        if a.value is not None and b.value is not None:
            return a.value == b.value
        if a.value is None and b.value is None and a.product and b.product:
            (a0, a1), (b0, b1) = a.product, b.product  # m*n = n*m
            same = a0.find() is b0.find() or a1.find() is b1.find()
            if same or not (a0.find() is b1.find() or a1.find() is b0.find()):
                return self.unify(a0, b0) and self.unify(a1, b1)
            return self.unify(a0, b1) and self.unify(a1, b0)
        if a.value is None and not a.product:
            a, b = b, a  # bind the free one (b) below
        if b.value is None and not b.product:
            if b.not_one and a.value == 1:
                return False
            b.parent = a
            a.not_one |= b.not_one
            return True
        return False  # a product of sizes against a fixed size: not unified

    def is_one(self, d: DimVar) -> bool:
        return d.find().value == 1


DShape = tuple[DimVar, DimVar]


# ----------------------------------------------------------------------------- kinds


def convention(name: str) -> str:
    """The naming convention: Greek -> scalar, single lowercase letter -> vector,
    uppercase initial -> matrix, anything else -> scalar. Suffixes keep the base's."""
    base = name.split("_")[0] or name
    stripped = base.rstrip("0123456789") or base
    if stripped.lower() in GREEK and stripped.islower() or stripped in GREEK_UNICODE:
        return "scalar"
    if stripped[0].isupper():
        return "matrix"
    if len(stripped) == 1 and stripped.isalpha() and stripped.islower():
        return "vector"
    return "scalar"


@dataclass
class Decl:
    kind: str  # scalar | vector | matrix | symmetric | mask
    dims: tuple[int | str, ...]
    position: int


@dataclass
class Program:
    """A typed expression: the IR and everything the printers and checker need."""

    expr: Expr
    syms: dict[str, Sym]
    order: dict[str, int]
    types: dict[str, str]
    declared_dims: frozenset[str]
    text: str
    dim_sizes: dict[str, int] = field(default_factory=dict)

    @property
    def shape_text(self) -> str:
        return shape_text(self.expr.shape)


# ----------------------------------------------------------------------------- the checker


class _Conflict(Exception):
    def __init__(self, error: MatdiffError):
        self.error = error


class Checker:
    """Shapes for one assignment of kinds; raises _Conflict on the first misfit."""

    def __init__(self, kinds: dict[str, str], decls: dict[str, Decl]):
        self.u = Unifier()
        self.kinds = kinds
        self.decls = decls
        self.var_shapes: dict[str, DShape] = {}
        self.node_shapes: dict[int, DShape] = {}
        self.named: dict[str, DimVar] = {}
        self.unsized: list[tuple[Node, str]] = []

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

    def fail(self, cls, message: str, position: int | None) -> None:
        raise _Conflict(cls(message, position))

    def describe(self, s: DShape) -> str:
        names = dim_names(self.u, set(self.named))
        r, c = (_dim_label(d, names) for d in s)
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
            if not rs and not (self.u.unify(right[0], self.u.one) and self.u.unify(right[1], self.u.one)):
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
            self.fail(MatdiffSyntaxError, f"unknown function '{f}'", pos)
        strings = [a for a in args if isinstance(a, String)]
        if f == "norm":
            return self.norm_call(node)
        if strings:
            self.fail(MatdiffSyntaxError, f"'{f}' takes no string argument", strings[0].span.start)
        arity = {"kron": 2, "reshape": 3, "commutation": 2}.get(f, 1)
        if len(args) != arity:
            self.fail(MatdiffSyntaxError,
                      f"'{f}' takes {arity} argument{'s' if arity > 1 else ''}, got {len(args)}",
                      pos)
        if f == "reshape":
            return self.reshape_call(node)
        if f == "commutation":
            return self.commutation_call(node)
        shapes = [self.shape(a) for a in args]
        s = shapes[0]
        if f in ELEMENTWISE:
            return s
        if f in ("tr", "trace", "det", "logdet", "inv"):
            if not self.u.unify(s[0], s[1]):
                self.fail(MatdiffShapeError, f"'{f}' needs a square matrix, got {self.describe(s)}",
                          pos)
            return s if f == "inv" else self.scalar()
        if f in ("sum", "norm1", "norm2"):
            return self.scalar()
        if f == "diag":
            if self.is_scalar(s):
                return s
            if self.u.is_one(s[1]):
                return (s[0], s[0])
            if not self.u.unify(s[0], s[1]):
                self.fail(MatdiffShapeError,
                          f"'diag' takes a column vector or a square matrix, got {self.describe(s)}",
                          pos)
            return (s[0], self.u.one)
        if f in ("logsumexp", "softmax"):
            if not self.u.unify(s[1], self.u.one):
                self.fail(MatdiffShapeError, f"'{f}' needs a column vector, got {self.describe(s)}",
                          pos)
            return self.scalar() if f == "logsumexp" else s
        if f == "kron":
            t = shapes[1]
            return (self.u.product(s[0], t[0]), self.u.product(s[1], t[1]))
        if f == "vec":
            return (self.u.product(s[0], s[1]), self.u.one)
        raise AssertionError(f)

    def norm_call(self, node: Call) -> DShape:
        args, pos = node.args, node.func_span.start
        if not 1 <= len(args) <= 2 or isinstance(args[0], String):
            self.fail(MatdiffSyntaxError, "'norm' takes an expression and an optional order "
                      "('fro', 2 or 1)", pos)
        s = self.shape(args[0])
        if len(args) == 2:
            p = norm_order(args[1])
            if p is None:
                self.fail(MatdiffTypeError,
                          "unsupported norm order; use 'fro', 2 or 1 ('inf' and other orders "
                          "are not supported)", args[1].span.start)
            if p in (1, 2) and not self.u.is_one(s[1]) and not self.is_scalar(s):
                which = "the spectral norm" if p == 2 else "the induced 1-norm"
                self.fail(MatdiffTypeError,
                          f"norm(X, {p}) of a matrix is {which}, which matdiff does not "
                          f"support; use norm(X, 'fro') or norm1(X)", args[1].span.start)
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
        return "fro" if node.value.lower() in ("fro", "f") else None
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
    return None


# ----------------------------------------------------------------------------- dimension names

NAME_POOL = ["n", "m", "p", "q", "k", "r", "s", "t", "l", "c", "d", "b", "h", "j"]


def dim_names(u: Unifier, taken: set[str]) -> dict[int, str]:
    """Names for the unresolved dimension classes, in order of creation."""
    names: dict[int, str] = {}
    pool = (n for n in itertools.chain(NAME_POOL, (f"n{i}" for i in itertools.count(1)))
            if n not in taken)
    for d in u.dims:
        root = d.find()
        if root.value is None and not root.product and id(root) not in names:
            names[id(root)] = next(pool)
    return names


def _dim_label(d: DimVar, names: dict[int, str]) -> str:
    root = d.find()
    if root.value is not None:
        return str(root.value)
    if root.product:
        return "*".join(_dim_label(p, names) for p in root.product)
    return names.get(id(root), "?")


# ----------------------------------------------------------------------------- search and lowering


def collect_names(node: Node, out: dict[str, int], dims_only: set[str]) -> None:
    """Variables in order of first appearance (positions); dimension arguments aside."""
    match node:
        case Name():
            if node.name not in CONSTANTS:
                out.setdefault(node.name, node.span.start)
        case Unary():
            collect_names(node.operand, out, dims_only)
        case Transpose():
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


def gather_decls(declarations: tuple[Declaration, ...]) -> dict[str, Decl]:
    decls: dict[str, Decl] = {}
    for d in declarations:
        kind = "symmetric" if d.symmetric else d.kind
        dims = tuple(v for v, _ in d.dims)
        for name, span in d.names:
            new = Decl(kind, dims, span.start)
            old = decls.get(name)
            if old is not None and (old.kind, old.dims) != (new.kind, new.dims):
                raise MatdiffTypeError(f"'{name}' is declared twice, differently", span.start)
            decls[name] = new
    return decls


def kind_candidates(name: str, dims: frozenset[str] = frozenset()) -> list[str]:
    """Kinds to try for an undeclared name, the convention first; a declared dimension
    name used as a value is a scalar (LANGUAGE.md: it stands for that size)."""
    first = "scalar" if name in dims else convention(name)
    return [first] + [k for k in ("scalar", "vector", "matrix") if k != first]


def solve(parsed: Parsed, decls: dict[str, Decl], require_scalar: bool,
          prefer_scalar: bool) -> tuple[Checker, dict[str, str]]:
    """Find the assignment of kinds that breaks the fewest naming conventions."""
    names: dict[str, int] = {}
    collect_names(parsed.expr, names, set())
    free = [n for n in names if n not in decls]
    fixed = {n: decls[n].kind for n in names if n in decls}
    dim_names_ = frozenset(str(d) for decl in decls.values() for d in decl.dims)
    candidates = {n: kind_candidates(n, dim_names_) for n in free}

    def attempt(kinds: dict[str, str], scalar: bool) -> Checker:
        ch = Checker(kinds, decls)
        s = ch.shape(parsed.expr)
        if scalar and not (ch.u.unify(s[0], ch.u.one) and ch.u.unify(s[1], ch.u.one)):
            raise _Conflict(MatdiffShapeError(
                f"a gradient needs a scalar function, but this expression is "
                f"{ch.describe(s)}", parsed.expr.span.start))
        return ch

    def search(scalar: bool) -> tuple[Checker, dict[str, str]] | MatdiffError:
        first_error: MatdiffError | None = None
        trials = 0
        deadline = time.monotonic() + KIND_SEARCH_SECONDS
        for deviations in range(len(free) + 1):
            for who in itertools.combinations(range(len(free)), deviations):
                for alts in itertools.product((1, 2), repeat=deviations):
                    kinds = dict(fixed)
                    for i, n in enumerate(free):
                        kinds[n] = candidates[n][0]
                    for i, a in zip(who, alts):
                        kinds[free[i]] = candidates[free[i]][a]
                    trials += 1
                    try:
                        return attempt(kinds, scalar), kinds
                    except _Conflict as c:
                        first_error = first_error or c.error
                    if trials > MAX_KIND_TRIALS or time.monotonic() > deadline:
                        return MatdiffTypeError(
                            "cannot tell the kinds of " + ", ".join(free[:6]) +
                            (" ..." if len(free) > 6 else "") + " from their uses; declare "
                            "them (e.g. 'where X: matrix, y: vector')" +
                            (f" (first conflict: {first_error.message})" if first_error else ""),
                            first_error.position if first_error else None)
        return first_error  # type: ignore[return-value]

    if require_scalar:
        got = search(True)
    elif prefer_scalar:
        got = search(True)
        if isinstance(got, tuple):
            kinds = got[1]
            deviations = [n for n in free if kinds[n] != candidates[n][0]]
            # the scalar-function preference may only read an uppercase name as a scalar
            # (C/2*sum(W.^2)), and not when that leaves nothing but scalars (alpha*X)
            odd = any(not (convention(n) == "matrix" and kinds[n] == "scalar")
                      for n in deviations)
            if deviations and (odd or all(k == "scalar" for k in kinds.values())):
                alt = search(False)
                got = alt if isinstance(alt, tuple) else got
        else:
            alt = search(False)
            got = alt if isinstance(alt, tuple) else got
    else:
        got = search(False)
    if isinstance(got, MatdiffError):
        raise got
    return got


def typecheck(parsed: Parsed, extra: tuple[Declaration, ...] = (), *,
              require_scalar: bool = False, prefer_scalar: bool = True) -> Program:
    """Infer every name's kind and shape and lower the expression to the IR."""
    try:
        decls = gather_decls(parsed.declarations + extra)
        checker, kinds = solve(parsed, decls, require_scalar, prefer_scalar)
        return Lowerer(parsed, checker, kinds, decls).program()
    except MatdiffError as e:
        raise e.with_text(parsed.text)


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

    def dim(self, d: DimVar) -> int | str:
        root = d.find()
        if root.value is not None:
            return root.value
        if root.product:
            from .ir import dim_product

            return dim_product(self.dim(root.product[0]), self.dim(root.product[1]))
        return self.names[id(root)]

    def shape_of(self, node: Node) -> tuple[int | str, int | str]:
        r, c = self.ch.node_shapes[id(node)]
        return (self.dim(r), self.dim(c))

    def program(self) -> Program:
        self.check_unsized()
        expr = self.lower(self.parsed.expr)
        for name in self.order:
            if name not in self.syms and name in self.kinds:
                self.sym(name)
        syms = {n: self.syms[n] for n in self.order if n in self.syms}
        types = {n: shape_text(s.shape, s.kind) for n, s in syms.items()}
        return Program(expr, syms, self.order, types, self.declared, self.parsed.text)

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
            return F.matpow(self.lower(node.left), k)
        if op in ("+", "-"):  # a whole chain a + b - c + ... in one sum
            terms = []
            while isinstance(node, Binary) and node.op in ("+", "-"):
                right = self.lower(node.right)
                terms.append(A.neg(right) if node.op == "-" else right)
                node = node.left
            terms.append(self.lower(node))
            return A.add_list(reversed(terms))
        a, b = self.lower(node.left), self.lower(node.right)
        if op in ("*", "@"):
            return A.mul(a, b)
        if op == ".*":
            return A.hadamard(a, b)
        if op in ("/", "./"):
            return A.div(a, b)
        if op in ("^", ".^"):
            return A.elem_pow(a, b)
        raise AssertionError(op)

    def call(self, node: Call) -> Expr:
        f = node.func
        if f in CONSTANTS or f in ("vector", "matrix"):
            return self.constant(node, "ones" if f in ("vector", "matrix") else f)
        if f == "reshape":
            r, c = self.shape_of(node)
            return F.reshape(self.lower(node.args[0]), r, c)
        if f == "commutation":
            m, n = (self.dim(self.ch.named_dim(dim_argument(a))) for a in node.args)  # type: ignore[arg-type]
            return A.commutation(m, n)
        args = [self.lower(a) for a in node.args if not isinstance(a, String)]
        x = args[0]
        if f in ELEMENTWISE:
            return F.func(f, x)
        simple = {"tr": F.trace, "trace": F.trace, "det": F.det, "logdet": F.logdet,
                  "inv": A.inv, "sum": A.sum_, "logsumexp": F.logsumexp, "softmax": F.softmax,
                  "vec": A.vec, "norm2": F.norm}
        if f in simple:
            return simple[f](x)
        if f == "diag":
            return F.diag(x) if x.shape[1] == 1 else F.diag_part(x)
        if f == "norm1":
            return A.sum_(F.func("abs", x))
        if f == "norm":
            if len(node.args) == 2 and norm_order(node.args[1]) == 1:
                return A.sum_(F.func("abs", x))
            return F.norm(x)
        if f == "kron":
            return A.kron(x, args[1])
        raise AssertionError(f)
