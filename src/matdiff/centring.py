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

from . import algebra as A
from .ir import Add, Dim, Expr, Mul, Num, Ones, Pow, size_of, split_product


def collect_means(e: Expr) -> Expr:
    """``ones*(a + ones*b)*c`` as ``ones*a*c + ones*ones*b*c`` (merged), else ``e``."""
    if not isinstance(e, Mul):
        return e
    fs = list(e.factors)
    for i, f in enumerate(fs):
        if not isinstance(f, Add):
            continue
        left = i > 0 and isinstance(fs[i - 1], Ones)
        right = i + 1 < len(fs) and isinstance(fs[i + 1], Ones)
        if (left and _has_end_ones(f, 0)) or (right and _has_end_ones(f, -1)):
            before, after = fs[:i], fs[i + 1:]
            out = A.add_list(A.mul_list([*before, t, *after]) for t in f.terms)
            return collect_means(out)
    return e


def _has_end_ones(s: Add, end: int) -> bool:
    """Whether a term of the sum starts (end 0) or ends (end -1) with ``ones``."""
    for t in s.terms:
        _, _, chain = split_product(t)
        if chain and isinstance(chain[end], Ones):
            return True
    return False


def mean_form(scalars: list[Expr], chain: list[Expr]) -> tuple[list[Expr], int, Dim, Expr] | None:
    """``ones(k, n)*Y/n`` as ``ones(k)*mean(Y, 1)`` and ``Y*ones(m, k)/m`` as
    ``mean(Y, 2)*ones(k)'`` (k = 1: the mean alone): (the scalars left, the dimension,
    k, Y); else None."""
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
        return left, dim, outer, rest[0] if len(rest) == 1 else Mul(tuple(rest))
    return None


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
