"""Means and the centring projection: ``ones(n, n)`` distributed over a sum that has
``ones`` terms, so that repeated means collapse.

``ones(n)*mean(X, 1)`` is ``ones(n, n)*X/n``, and the centring ``P = eye(n) - ones(n, n)/n``
is idempotent because ``ones(n, n)*ones(n, n) = n*ones(n, n)``.  A derivative through a
centring builds ``ones(n, n)*(2*X - ones(n, n)*X/n)/n``; distributing the ``ones`` over the
sum lets the smart constructors merge ``ones*ones`` (:func:`matdiff.algebra.mul_list`) and
collect the terms: ``ones(n, n)*X/n``, printed ``ones(n)*mean(X, 1)``.

The rule applies only when a term of the sum starts (or, on the right, ends) with ``ones``
next to the ``ones`` outside: then every such term merges and the sum gets no longer.
"""

from __future__ import annotations

from typing import NamedTuple

from . import algebra as A
from . import functions as F
from .ir import (
    Add,
    Diag,
    Dim,
    Expr,
    Hadamard,
    Mul,
    Num,
    Ones,
    Pow,
    Sum,
    size,
    size_of,
    split_product,
)


def collect_means(e: Expr) -> Expr:
    """``ones*(a + ones*b)*c`` as ``ones*a*c + ones*ones*b*c`` (merged), else ``e``; a sum
    next to ``ones`` is also distributed when that writes it shorter (a term that vanishes:
    the centred ``(X - X*ones(d, d)/d)*ones(d, d)`` is 0)."""
    if not isinstance(e, Mul):
        return e
    fs = list(e.factors)
    for i, f in enumerate(fs):
        left = i > 0 and isinstance(fs[i - 1], Ones)
        right = i + 1 < len(fs) and isinstance(fs[i + 1], Ones)
        if not (left or right):
            continue
        if isinstance(f, Hadamard):  # (v*ones(1, k)).*Y next to ones: diag(v)*Y
            scaled = _as_scaling(f, right)
            if scaled is not None:
                out = collect_means(A.mul_list([*fs[:i], scaled, *fs[i + 1:]]))
                if size(out) < size(e):
                    return out
            continue
        if not isinstance(f, Add):
            continue
        before, after = fs[:i], fs[i + 1:]
        out = A.add_list(collect_means(A.mul_list([*before, t, *after])) for t in f.terms)
        if (left and _has_end_ones(f, 0)) or (right and _has_end_ones(f, -1)) \
                or size(out) < size(e):
            return out
    return e


def _as_scaling(h: Hadamard, ones_right: bool) -> Expr | None:
    """``(v*ones(1, k)).*Y`` as ``diag(v)*Y`` (for ones on the right of it) and
    ``(ones(k, 1)*w').*Y`` as ``Y*diag(w)`` (ones on its left); else None."""
    for j, g in enumerate(h.factors):
        coeff, scalars, chain = split_product(g)
        if len(chain) != 2:
            continue
        v, o = chain if ones_right else chain[::-1]
        if not isinstance(o, Ones) or o.shape != ((1, o.shape[1]) if ones_right
                                                  else (o.shape[0], 1)):
            continue
        rest = A.hadamard_list([x for k, x in enumerate(h.factors) if k != j])
        d = F.diag(v if ones_right else A.transpose(v))
        scale = A.mul_list([Num(coeff), *scalars, d])
        return A.mul_list([scale, rest] if ones_right else [rest, scale])
    return None


def _has_end_ones(s: Add, end: int) -> bool:
    """Whether a term of the sum starts (end 0) or ends (end -1) with ``ones``."""
    for t in s.terms:
        _, _, chain = split_product(t)
        if chain and isinstance(chain[end], Ones):
            return True
    return False


def mean_form(scalars: list[Expr], chain: list[Expr]) -> MeanForm | None:
    """``ones(k, n)*Y/n`` as ``ones(k)*mean(Y, 1)`` and ``Y*ones(m, k)/m`` as
    ``mean(Y, 2)*ones(k)'`` (k = 1: the mean alone); a diagonal scaling stays outside,
    ``diag(v)*mean(G, 2)*ones(k)'``.  None when the chain is no such mean."""
    if len(chain) < 2:
        return None
    for end, dim in ((0, 1), (-1, 2)):
        j = chain[end]
        if not isinstance(j, Ones):
            continue
        inner, outer = (j.shape[1], j.shape[0]) if end == 0 else (j.shape[0], j.shape[1])
        left = _divided_by(scalars, inner)
        if left is None:
            continue
        rest = chain[1:] if end == 0 else chain[:-1]
        k = 0  # the diagonal scalings on the far side of the mean (they commute with it)
        while k < len(rest) - 1 and isinstance(rest[-1 - k if end == 0 else k], Diag):
            k += 1
        if end == 0:
            inside, outside = rest[:len(rest) - k], rest[len(rest) - k:]
        else:
            inside, outside = rest[k:], rest[:k]
        y = inside[0] if len(inside) == 1 else Mul(tuple(inside))
        return MeanForm(left, dim, outer, y, tuple(outside))
    return None


class MeanForm(NamedTuple):
    scalars: list[Expr]  # the scalar factors left
    dim: int  # 1: the mean of each column, 2: of each row
    repeat: Dim  # the size of the ones vector that repeats the mean (1: none)
    of: Expr  # the matrix (or vector) averaged
    scaling: tuple[Expr, ...]  # diag(...) factors: after the mean (dim 1), before it (dim 2)


def _divided_by(scalars: list[Expr], n: Dim) -> list[Expr] | None:
    """The scalar factors with one ``1/n`` taken out (None when there is no ``n^-k``)."""
    size = size_of(n)
    for i, s in enumerate(scalars):
        if (isinstance(s, Pow) and s.args[0] == size and isinstance(s.args[1], Num)
                and s.args[1].value < 0):
            k = s.args[1].value + 1
            kept = [] if k == 0 else [Pow(size, Num(k))]
            return scalars[:i] + kept + scalars[i + 1:]
    return None


def sum_means(scalars: list[Expr]) -> tuple[list[Expr], list[Expr]] | None:
    """``sum(x)/n`` for a vector x of n entries: (the scalars without them, the vectors
    whose means they are); None when there is none."""
    means: list[Expr] = []
    rest = list(scalars)
    for s in scalars:
        if not (isinstance(s, Sum) and 1 in s.args[0].shape and s.args[0].shape != (1, 1)):
            continue
        r, c = s.args[0].shape
        left = _divided_by([x for x in rest if x is not s], r if c == 1 else c)
        if left is not None:
            rest = left
            means.append(s.args[0])
    return (rest, means) if means else None


def sum_form(chain: list[Expr]) -> tuple[int, Dim, Expr] | None:
    """``H*ones(k, q)`` as ``sum(H, 2)*ones(q)'`` and ``ones(n, k)*H`` as ``ones(n)*sum(H, 1)``
    for an elementwise product H (the row sums of ``G.*S`` in a softmax gradient):
    (the dimension, the size of the ones vector repeating the sums, H); else None."""
    if len(chain) != 2:
        return None
    a, b = chain
    if isinstance(a, Hadamard) and isinstance(b, Ones) and a.shape[1] != 1:
        return 2, b.shape[1], a
    if isinstance(a, Ones) and isinstance(b, Hadamard) and b.shape[0] != 1:
        return 1, a.shape[0], b
    return None
