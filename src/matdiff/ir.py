"""The typed expression (IR): immutable, hash-consed nodes with symbolic shapes.

Grammar::

    Expr = Sym(name, shape, kind)            a variable; kind in scalar | vector | matrix
                                             | symmetric | mask
         | Differential(var: Sym)            dX, the differential of a variable
         | Num(value: Number)                a scalar constant (int when whole, else Fraction)
         | Zero(shape) | Ones(shape) | Identity(n)
         | Add(terms)                        n-ary, every term of the node's shape
         | Mul(factors)                      product: 1 x 1 factors scale, the others chain
         | Hadamard(factors)                 elementwise product, every factor of one shape
         | Pow(base, exponent)               elementwise (or scalar) power; the exponent
                                             is a scalar or of the base's shape
         | MatPow(base, k)                   matrix power, integer k >= 2
         | Func(name, arg)                   elementwise function (exp, log, sigmoid, ...)
         | Transpose(x) | Trace(X) | Det(X) | LogDet(X) | Inv(X)
         | Diag(v)                           column vector -> diagonal matrix
         | DiagPart(X)                       square matrix -> column vector of its diagonal
         | Sum(X) | Norm(x)                   sum of entries; 2-norm / Frobenius norm
         | LogSumExp(X, dim) | Softmax(X, dim) along dimension 1 (each column) or 2 (each
                                             row): logsumexp(X, 1) is 1 x n (a scalar for a
                                             vector), logsumexp(X, 2) m x 1; softmax m x n
         | Kron(A, B) | Vec(X) | Reshape(v, rows, cols)
         | Commutation(m, n)                 K with K*vec(A) = vec(A') for A m x n
         | Size(dim)                         the size of a dimension, as a scalar (the n of
                                             mean(x) = sum(x)/n)
         | Expm(X) | Logm(X) | Sqrtm(X)      matrix functions of a square matrix
         | DExpm(X, E) | DLogm(X, E) | DSqrtm(X, E)  their Frechet derivatives at X along E
         | EigVals(S) | EigVecs(S)           of a symmetric S: ascending eigenvalues, vectors
         | SVals(X) | SvdU(X) | SvdV(X)      the thin SVD (values descending)
         | SpectralNorm(X) | NuclearNorm(X)  norm(X, 2) and norm(X, 'nuc') of a matrix
         | Select(M, i, j)                   M[i, j], M[:, j] (i = 0), M[i, :] (j = 0), v[i]

A shape is a pair of dimensions; a dimension is a positive ``int`` or a symbolic
name (``str``). ``(1, 1)`` is a scalar, ``(n, 1)`` a column vector.

Nodes are interned: building the same node twice returns the same object, so
equality is identity and costs nothing. Each node has ``key``, a structural
hash that is the same in every process (it orders the terms of sums), and
``shape``. Build nodes with the smart constructors of :mod:`matdiff.algebra`;
the raw constructors here only check shapes (the IR checker).
"""

from __future__ import annotations

import functools
import inspect
import zlib
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any, ClassVar, Protocol, Self

from .exact import check_number

Dim = int | str
Shape = tuple[Dim, Dim]
SCALAR: Shape = (1, 1)
Number = int | Fraction  # an exact constant: int when whole (fast), else Fraction



class FunctionInfo(Protocol):
    """What the IR and the rewrite rules need of an elementwise function's record (read-only,
    so a frozen dataclass record satisfies it)."""

    @property
    def name(self) -> str: ...

    @property
    def zero_at_zero(self) -> bool: ...


# The elementwise functions ``Func`` may name, filled by :mod:`matdiff.ops.elementwise`
# (the records live there; the IR only needs to know that a name is one).
FUNCTIONS: dict[str, FunctionInfo] = {}


@functools.lru_cache(maxsize=4096)
def _text_hash(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def _stable_hash(value: Any) -> int:
    """A hash that does not change between processes (str hashes do)."""
    t = type(value)
    if t is int:
        return hash((value, 1))
    if t is str:
        return _text_hash(value)
    if t is tuple:
        return hash(tuple(v.key if isinstance(v, Expr) else _stable_hash(v) for v in value))
    if isinstance(value, Expr):
        return value.key
    if isinstance(value, Fraction):
        return hash((value.numerator, value.denominator))
    return hash(value)


def _field_property(i: int) -> property:
    """A read-only property giving a node's ``i``-th argument (its ``i``-th declared field)."""

    def get(node: Expr) -> Any:
        return node.args[i]

    return property(get)


class Expr:
    """Base of all IR nodes. A subclass declares its fields as annotations, in the order of
    the constructor's arguments, and computes ``shape``; the fields become read-only
    properties over ``args`` and the node's ``match`` pattern."""

    __slots__ = ("__weakref__", "_free", "args", "children", "key", "shape")
    fields: ClassVar[tuple[str, ...]] = ()
    _table: ClassVar[dict[tuple, Expr]] = {}
    args: tuple[Any, ...]
    shape: Shape
    key: int
    children: tuple[Expr, ...]
    _free: frozenset[str] | None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        own = inspect.get_annotations(cls)  # this class's own fields, as written
        cls.fields = tuple(n for n, t in own.items() if not str(t).startswith("ClassVar"))
        # The node's positional ``match`` pattern, made here per subclass. Set through setattr:
        # mypy refuses an assignment to __match_args__ (it reads the class body's only).
        setattr(cls, "__match_args__", cls.fields)  # noqa: B010
        for i, name in enumerate(cls.fields):  # named read-only access to args
            setattr(cls, name, _field_property(i))

    def __new__(cls, *args: Any) -> Self:
        lookup = (cls, args)
        found = Expr._table.get(lookup)
        if found is not None:
            return found  # type: ignore[return-value]  # the table maps (cls, args) to a cls
        node = object.__new__(cls)
        node.args = args
        kids: list[Expr] = []
        keys = [_text_hash(cls.__name__)]
        for a in args:
            if isinstance(a, Expr):
                kids.append(a)
                keys.append(a.key)
            else:
                if type(a) is tuple:
                    kids.extend(x for x in a if isinstance(x, Expr))
                keys.append(_stable_hash(a))
        node.children = tuple(kids)
        node.shape = node._infer_shape()
        node.key = hash(tuple(keys))
        node._free = None
        Expr._table[lookup] = node
        return node

    def __reduce__(self) -> tuple[type[Expr], tuple[Any, ...]]:
        # pickling / copying goes through the interning constructor
        return (type(self), self.args)

    def _infer_shape(self) -> Shape:
        raise NotImplementedError

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    @property
    def free(self) -> frozenset[str]:
        """Names of the variables (and differentials, as 'd' + name) the node depends on."""
        if self._free is None:
            acc: frozenset[str] = frozenset()
            for c in self.children:
                acc = acc | c.free
            self._free = acc
        return self._free

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self.args))})"

    def walk(self, children: Callable[[Expr], tuple[Expr, ...]] | None = None) -> Iterator[Expr]:
        """Every distinct node of the DAG, children before parents (``children`` may pick
        which operands to follow; by default all of them)."""
        kids = children or (lambda n: n.children)
        seen: set[int] = set()
        stack: list[tuple[Expr, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if id(node) in seen:
                continue
            if expanded:
                seen.add(id(node))
                yield node
                continue
            stack.append((node, True))
            for c in reversed(kids(node)):
                if id(c) not in seen:
                    stack.append((c, False))


def differential_tag(name: str) -> str:
    """How a differential dX shows in ``Expr.free`` (cannot clash with a variable's name)."""
    return "\u2202" + name


class IRShapeError(AssertionError):
    """An IR node was built with shapes that do not fit: a bug in matdiff, not in user input."""


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise IRShapeError(what)


def is_vector_shape(shape: Shape) -> bool:
    return shape[1] == 1 and shape[0] != 1


def chain_shape(factors: tuple[Expr, ...]) -> Shape:
    """Shape of a product whose 1 x 1 factors scale and whose other factors chain."""
    rows: Dim | None = None
    cols: Dim | None = None
    for f in factors:
        if f.is_scalar:
            continue
        if cols is not None:
            _need(cols == f.shape[0], f"product of {rows}x{cols} and {f.shape}")
        else:
            rows = f.shape[0]
        cols = f.shape[1]
    if rows is None or cols is None:
        return SCALAR
    return (rows, cols)


# ----------------------------------------------------------------------------- leaves


class Sym(Expr):
    name: str
    dims: Shape
    kind: str

    def _infer_shape(self) -> Shape:
        return self.args[1]

    @property
    def free(self) -> frozenset[str]:
        return frozenset({self.args[0]})


class Differential(Expr):
    var: Sym

    def _infer_shape(self) -> Shape:
        return self.args[0].shape

    @property
    def free(self) -> frozenset[str]:
        return frozenset({differential_tag(self.args[0].name)})


class Num(Expr):
    value: Number

    def __new__(cls, value: Any) -> Self:
        """The value is an ``int`` when whole (fast arithmetic), else a ``Fraction``; one
        outside the bounds of :mod:`matdiff.exact` is a :class:`~matdiff.exact.NumberError`."""
        if type(value) is not int:
            value = Fraction(value)
            if value.denominator == 1:
                value = value.numerator
        check_number(value)  # in range, with not too many digits (exact.py)
        return super().__new__(cls, value)

    def _infer_shape(self) -> Shape:
        return SCALAR


class Zero(Expr):
    dims: Shape

    def _infer_shape(self) -> Shape:
        return self.args[0]


class Ones(Expr):
    dims: Shape

    def _infer_shape(self) -> Shape:
        return self.args[0]


class Identity(Expr):
    n: Dim

    def _infer_shape(self) -> Shape:
        return (self.args[0], self.args[0])


# ----------------------------------------------------------------------------- n-ary


class Add(Expr):
    terms: tuple[Expr, ...]

    def _infer_shape(self) -> Shape:
        terms = self.args[0]
        _need(len(terms) >= 2, "Add needs two terms")
        shape = terms[0].shape
        _need(all(t.shape == shape for t in terms), "Add of different shapes")
        return shape


class Mul(Expr):
    factors: tuple[Expr, ...]

    def _infer_shape(self) -> Shape:
        _need(len(self.args[0]) >= 2, "Mul needs two factors")
        return chain_shape(self.args[0])


class Hadamard(Expr):
    factors: tuple[Expr, ...]

    def _infer_shape(self) -> Shape:
        factors = self.args[0]
        _need(len(factors) >= 2, "Hadamard needs two factors")
        shape = factors[0].shape
        _need(all(f.shape == shape for f in factors), "Hadamard of different shapes")
        return shape


# ----------------------------------------------------------------------------- unary and others


class Pow(Expr):
    base: Expr
    exponent: Expr

    def _infer_shape(self) -> Shape:
        base, ex = self.args
        if ex.is_scalar:
            return base.shape
        _need(base.is_scalar or base.shape == ex.shape, "Pow exponent of another shape")
        return ex.shape


class MatPow(Expr):
    base: Expr
    k: int

    def _infer_shape(self) -> Shape:
        s = self.args[0].shape
        _need(s[0] == s[1] and isinstance(self.args[1], int), "MatPow of a non-square matrix")
        return s


class Func(Expr):
    name: str
    arg: Expr

    def _infer_shape(self) -> Shape:
        _need(self.args[0] in FUNCTIONS, f"unknown function {self.args[0]}")
        return self.args[1].shape


class Transpose(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        r, c = self.args[0].shape
        return (c, r)


def _square(node: Expr) -> Dim:
    r, c = node.shape
    _need(r == c, f"{type(node).__name__} of a non-square {r}x{c}")
    return r


class Trace(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        _square(self.args[0])
        return SCALAR


class Det(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        _square(self.args[0])
        return SCALAR


class LogDet(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        _square(self.args[0])
        return SCALAR


class Inv(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        n = _square(self.args[0])
        return (n, n)


class Diag(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        _need(self.args[0].shape[1] == 1, "Diag of a non-vector")
        n = self.args[0].shape[0]
        return (n, n)


class DiagPart(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        return (_square(self.args[0]), 1)


class Sum(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        return SCALAR


class Norm(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        return SCALAR


class LogSumExp(Expr):
    """log(sum(exp(.))) along a dimension: of each column (dim 1; a scalar for a column
    vector, 1 x n for a matrix) or of each row (dim 2; m x 1)."""

    arg: Expr
    dim: int

    def __new__(cls, arg: Expr, dim: int = 1) -> Self:  # of a vector: dimension 1
        return super().__new__(cls, arg, dim)

    def _infer_shape(self) -> Shape:
        rows, cols = self.args[0].shape
        _need(self.args[1] in (1, 2) and self.args[0].shape[self.args[1] - 1] != 1,
              "logsumexp over single entries")
        return (1, cols) if self.args[1] == 1 else (rows, 1)


class Softmax(Expr):
    """exp(.)/sum(exp(.)) along a dimension: of each column (dim 1; of a column vector, the
    usual softmax) or of each row (dim 2)."""

    arg: Expr
    dim: int

    def __new__(cls, arg: Expr, dim: int = 1) -> Self:  # of a vector: dimension 1
        return super().__new__(cls, arg, dim)

    def _infer_shape(self) -> Shape:
        _need(self.args[1] in (1, 2) and self.args[0].shape[self.args[1] - 1] != 1,
              "softmax over single entries")
        return self.args[0].shape


# ----------------------------------------------------------------------------- spectral


def _same_square(node: Expr) -> Shape:
    n = _square(node.args[0])
    return (n, n)


class Expm(Expr):
    """The matrix exponential of a square matrix."""

    arg: Expr
    _infer_shape = _same_square


class Logm(Expr):
    """The principal matrix logarithm (no eigenvalue on the closed negative real axis)."""

    arg: Expr
    _infer_shape = _same_square


class Sqrtm(Expr):
    """The principal matrix square root (no eigenvalue on the closed negative real axis)."""

    arg: Expr
    _infer_shape = _same_square


def _frechet_shape(node: Expr) -> Shape:
    n = _square(node.args[0])
    _need(node.args[1].shape == (n, n), "Frechet direction of another shape")
    return (n, n)


class DExpm(Expr):
    """The Frechet derivative of expm at X in the direction E: expm(X + t*E) = expm(X) +
    t*dexpm(X, E) + O(t^2)."""

    arg: Expr
    direction: Expr
    _infer_shape = _frechet_shape


class DLogm(Expr):
    """The Frechet derivative of logm at X in the direction E."""

    arg: Expr
    direction: Expr
    _infer_shape = _frechet_shape


class DSqrtm(Expr):
    """The Frechet derivative of sqrtm at X in the direction E."""

    arg: Expr
    direction: Expr
    _infer_shape = _frechet_shape


class EigVals(Expr):
    """The eigenvalues of a symmetric matrix, ascending, as a column."""

    arg: Expr

    def _infer_shape(self) -> Shape:
        return (_square(self.args[0]), 1)


class EigVecs(Expr):
    """Orthonormal eigenvectors of a symmetric matrix as columns, in the order of EigVals."""

    arg: Expr
    _infer_shape = _same_square


def dim_min(a: Dim, b: Dim) -> Dim:
    """The smaller of two dimensions: symbolic (``'min(m,n)'``) when it cannot be told."""
    if a == b:
        return a
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    if a == 1 or b == 1:
        return 1
    for x, y in ((a, b), (b, a)):  # min(min(m,n), n) = min(m,n)
        if isinstance(x, str) and x.startswith("min(") and str(y) in x[4:-1].split(","):
            return x
    first, second = sorted((str(a), str(b)))
    return f"min({first},{second})"


class SVals(Expr):
    """The singular values of an m x n matrix, descending: a min(m, n) column."""

    arg: Expr

    def _infer_shape(self) -> Shape:
        return (dim_min(*self.args[0].shape), 1)


class SvdU(Expr):
    """The left singular vectors of the thin SVD, as the columns of an m x min(m, n) matrix."""

    arg: Expr

    def _infer_shape(self) -> Shape:
        m, n = self.args[0].shape
        return (m, dim_min(m, n))


class SvdV(Expr):
    """The right singular vectors of the thin SVD: X = svdU(X)*diag(svals(X))*svdV(X)'."""

    arg: Expr

    def _infer_shape(self) -> Shape:
        m, n = self.args[0].shape
        return (n, dim_min(m, n))


def _scalar_shape(node: Expr) -> Shape:
    return SCALAR


class SpectralNorm(Expr):
    """norm(X, 2) of a matrix: its largest singular value."""

    arg: Expr
    _infer_shape = _scalar_shape


class NuclearNorm(Expr):
    """norm(X, 'nuc'): the sum of the singular values."""

    arg: Expr
    _infer_shape = _scalar_shape


class Select(Expr):
    """``M[:, k]`` = Select(M, 0, k), ``M[k, :]``, ``v[k]`` = Select(v, k, 1): 1-based, 0 = ':'."""

    arg: Expr
    row: int
    col: int

    def _infer_shape(self) -> Shape:
        (m, n), i, j = self.args[0].shape, self.args[1], self.args[2]
        _need(isinstance(i, int) and isinstance(j, int) and i >= 0 and j >= 0,
              "Select positions are integers >= 0")
        for at, size in ((i, m), (j, n)):
            _need(not (isinstance(size, int) and at > size), "Select position out of range")
        return (m if i == 0 else 1, n if j == 0 else 1)


def dim_product(a: Dim, b: Dim) -> Dim:
    """The product of two dimensions, symbolic when either is a name (``'m*n'``)."""
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 1:
        return b
    if b == 1:
        return a
    factors = sorted(str(a).split("*") + str(b).split("*"))  # m*n and n*m are one size
    return "*".join(factors)


class Kron(Expr):
    left: Expr
    right: Expr

    def _infer_shape(self) -> Shape:
        (a, b), (c, d) = self.args[0].shape, self.args[1].shape
        return (dim_product(a, c), dim_product(b, d))


class Vec(Expr):
    arg: Expr

    def _infer_shape(self) -> Shape:
        r, c = self.args[0].shape
        return (dim_product(r, c), 1)


class Reshape(Expr):
    """Column-major reshape of a vector into a ``rows x cols`` matrix (the inverse of vec)."""

    arg: Expr
    rows: Dim
    cols: Dim

    def _infer_shape(self) -> Shape:
        return (self.args[1], self.args[2])


class Size(Expr):
    """The size of a dimension as a scalar: ``n`` for a dimension named n, ``m*n``, 3."""

    dim: Dim

    def _infer_shape(self) -> Shape:
        return SCALAR


class Commutation(Expr):
    """The commutation matrix K(m, n): K(m, n)*vec(A) = vec(A') for an m x n matrix A."""

    m: Dim
    n: Dim

    def _infer_shape(self) -> Shape:
        size = dim_product(self.args[0], self.args[1])
        return (size, size)


# ----------------------------------------------------------------------------- cost


_OPERATOR_SIZE = {"Add": 3, "Mul": 1, "Hadamard": 2}  # " + ", "*", ".*" between operands
_CALL_NAME = {"Trace": "tr", "Det": "det", "LogDet": "logdet", "Inv": "inv", "Diag": "diag",
              "DiagPart": "diag", "Sum": "sum", "Norm": "norm", "LogSumExp": "logsumexp",
              "Softmax": "softmax", "Kron": "kron", "Vec": "vec", "Reshape": "reshape",
              "Commutation": "commutation", "Zero": "zeros", "Ones": "ones",
              "Identity": "eye", "Expm": "expm", "Logm": "logm", "Sqrtm": "sqrtm",
              "DExpm": "dexpm", "DLogm": "dlogm", "DSqrtm": "dsqrtm", "EigVals": "eigvals",
              "EigVecs": "eigvecs", "SVals": "svals", "SvdU": "svdU", "SvdV": "svdV",
              "SpectralNorm": "norm", "NuclearNorm": "norm"}


def size(e: Expr) -> int:
    """About how many characters ``e`` takes to write out (shared subexpressions counted each
    time they are written): the structural cost by which simplification prefers one form to
    another. It looks only at the tree, never at a printer."""
    memo: dict[int, int] = {}
    for node in e.walk():
        inner = sum(memo[id(c)] for c in node.children)
        if isinstance(node, _BINDS_TIGHTER_THAN_ADD):  # a sum operand is written in ( )
            inner += 2 * sum(isinstance(c, Add) for c in node.children)
        memo[id(node)] = _own_size(node) + inner
    return memo[id(e)]


_BINDS_TIGHTER_THAN_ADD = (Mul, Hadamard, Pow, MatPow, Transpose)


def _own_size(node: Expr) -> int:
    """The characters a node adds around its operands' text."""
    kind = type(node).__name__
    if kind in _OPERATOR_SIZE:
        return _OPERATOR_SIZE[kind] * (len(node.children) - 1)
    match node:
        case Sym() | Func():
            return len(node.args[0]) + (2 if isinstance(node, Func) else 0)
        case Differential():
            return 1 + len(node.args[0].args[0])
        case Num():
            return len(str(node.args[0]))
        case Pow():
            return 2
        case MatPow():
            return 1 + len(str(node.args[1]))
        case Transpose():
            return 1
        case Size():
            return len(str(node.args[0]))
    dims = [a for a in node.args if not isinstance(a, Expr | tuple)]
    return len(_CALL_NAME.get(kind, kind)) + 2 + sum(len(str(d)) + 2 for d in dims)


def split_product(t: Expr) -> tuple[Number, list[Expr], list[Expr]]:
    """A term as (number, scalar factors, chain of matrices): ``2*a*X*Y`` -> (2, [a], [X, Y])."""
    if isinstance(t, Num):
        return t.value, [], []
    if isinstance(t, Mul):
        coeff: Number = 1
        scalars: list[Expr] = []
        chain: list[Expr] = []
        for f in t.factors:
            if isinstance(f, Num):
                coeff *= f.value
            elif f.is_scalar:
                scalars.append(f)
            else:
                chain.append(f)
        return coeff, scalars, chain
    if t.is_scalar:
        return 1, [t], []
    return 1, [], [t]


def size_of(d: Dim) -> Expr:
    """The size of a dimension as a scalar: a number, or ``Size`` of a named one."""
    return Num(d) if isinstance(d, int) else Size(d)


def dims_of(node: Expr) -> tuple[Dim, ...]:
    """The dimensions a node uses: those of its shape, and the one a ``Size`` stands for."""
    return (*node.shape, node.args[0]) if isinstance(node, Size) else node.shape


def kind_of_shape(shape: Shape) -> str:
    if shape == SCALAR:
        return "scalar"
    if shape[1] == 1:
        return "vector"
    return "matrix"


def shape_text(shape: Shape, kind: str | None = None) -> str:
    """``scalar``, ``vector(n)``, ``matrix(m, n)``, ``symmetric matrix(n)``, ``mask(m, n)``."""
    base = kind_of_shape(shape)
    if kind == "symmetric":
        return f"symmetric matrix({shape[0]})"
    if kind == "mask":
        return f"mask({shape[0]}, {shape[1]})"
    if base == "scalar":
        return "scalar"
    if base == "vector":
        return f"vector({shape[0]})"
    return f"matrix({shape[0]}, {shape[1]})"
