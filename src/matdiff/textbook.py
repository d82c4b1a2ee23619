"""Rewrites to the forms textbooks print, applied by the factoring pass (:mod:`matdiff.factor`).

**Inverses cancel in a product.** ``A'*inv(A*X*B)'*B' = inv(X)'`` and
``X'^2*inv(X^3)' = inv(X)'``: an inverse of a product is read as the product of the inverses
of its square blocks, in reverse order, and a factor beside its own inverse (or powers of
one base) cancels. Only square blocks are split: for square ``P`` and ``Q`` of one size,
``det(P*Q) = det(P)*det(Q)``, so ``P*Q`` is invertible exactly when both are, and
``inv(P*Q) = inv(Q)*inv(P)`` holds wherever ``inv(P*Q)`` is defined. The rewrite is thus an
identity on the whole domain of the expression it rewrites; it assumes nothing about the
user's matrices (``inv(X'*A*X)`` with ``X`` not square is not split: there ``X`` has no
inverse). A rewritten product is kept only when something cancelled.

**The Jacobian of diag(x) between its neighbours** is a diagonal matrix:
``kron(v', eye(n))*diag(vec(eye(n)))*kron(ones(n), M) = diag(v)*M``.

**Fractions over one denominator.** ``1./(1 + x.^2) - 2*x.^2./(1 + x.^2).^2`` is
``(1 - x.^2)./(1 + x.^2).^2``: elementwise terms that each divide by a power of one base
are written over its highest power, the numerator collected (kept when shorter).

**Diagonal matrices make a common factor.** ``s.*v - s*s'*v = (diag(s) - s*s')*v``: in a sum
of column vectors, an elementwise product ``s.*v`` is read as ``diag(s)*v`` when ``v`` ends
every other term's product, so that it can be taken out (the factoring pass keeps the result
when it reads shorter, or when it writes a differential fewer times: a linear map reads as
``(diag(s) - s*s')*dW*x*x'``, the matrix applied to the direction).
"""

from __future__ import annotations

from collections.abc import Callable

from . import algebra as A
from . import functions as F
from .ir import (
    Add,
    Diag,
    Differential,
    Expr,
    Hadamard,
    Identity,
    Inv,
    Kron,
    MatPow,
    Mul,
    Num,
    Number,
    Ones,
    Pow,
    Transpose,
    Vec,
    size,
    split_product,
)

Atom = tuple[Expr, int]  # a base and its integer power; a negative power is an inverse


def _square(e: Expr) -> bool:
    return e.shape[0] == e.shape[1]


def _has_inverse(e: Expr) -> bool:
    while isinstance(e, Transpose | MatPow):
        e = e.args[0]
    return isinstance(e, Inv)


def _transposed(atoms: list[Atom]) -> list[Atom]:
    """The atoms of ``M'`` from those of ``M``."""
    return [(A.transpose(b), k) for b, k in reversed(atoms)]


def _atoms(f: Expr) -> list[Atom]:
    """A chain factor as a product of powers: ``inv(X^3)'`` -> ``[(X', -3)]``."""
    match f:
        case Inv():
            return _inverse_atoms(f.arg)
        case MatPow():
            inner = _atoms(f.base)
            if len(inner) == 1:
                return [(inner[0][0], inner[0][1] * f.k)]
        case Transpose() if _has_inverse(f.arg):
            return _transposed(_atoms(f.arg))
    return [(f, 1)]


def _blocks(factors: tuple[Expr, ...]) -> list[list[Expr]]:
    """The factors of a square product split where every part is square (and of one size)."""
    n = factors[0].shape[0]
    out: list[list[Expr]] = [[]]
    for f in factors:
        out[-1].append(f)
        if f.shape[1] == n:
            out.append([])
    return [b for b in out if b]


def _inverse_atoms(g: Expr) -> list[Atom]:
    """The atoms of ``inv(g)``: the inverse of each square block of g, in reverse order."""
    match g:
        case MatPow():
            return [(b, -k) for b, k in reversed(_atoms(g))]
        case Transpose():
            return _transposed(_inverse_atoms(g.arg))
        case Inv():
            return _atoms(g.arg)
        case Mul() if not any(f.is_scalar for f in g.factors):
            blocks = _blocks(g.factors)
            if len(blocks) > 1:
                out: list[Atom] = []
                for block in reversed(blocks):
                    if len(block) == 1:
                        out += _inverse_atoms(block[0])
                    else:
                        out.append((Mul(tuple(block)), -1))
                return out
    return [(g, -1)]


def rewrite_product(e: Expr) -> Expr:
    """A product with the rules of this module applied (inverses, diagonal selections)."""
    return select_diagonal(cancel_inverses(e))


def select_diagonal(e: Expr) -> Expr:
    """``kron(v', eye(n))*diag(vec(eye(n)))*kron(ones(n), M) = diag(v)*M``: the Jacobian of
    ``diag(x)`` (which selects the diagonal entries of ``vec``) between its neighbours, as
    the chain rule through ``diag(v)`` writes it. An identity: row i of the left two factors
    picks row i + n*i of the right one, which is row i of M, times v_i."""
    if not isinstance(e, Mul) or len(e.factors) < 3:
        return e
    fs = list(e.factors)
    for i in range(len(fs) - 2):
        a, b, c = fs[i:i + 3]
        if not (isinstance(a, Kron) and isinstance(b, Diag) and isinstance(c, Kron)):
            continue
        n = a.right.shape[0]
        if a.left.shape[0] == 1 and a.right is Identity(n) and b.arg is Vec(Identity(n)) \
                and isinstance(c.left, Ones) and c.left.shape == (n, 1) \
                and c.right.shape[0] == n:
            return A.mul_list(fs[:i] + [F.diag(A.transpose(a.left)), c.right] + fs[i + 3:])
    return e


def cancel_inverses(e: Expr) -> Expr:
    """The product with each factor beside its own inverse cancelled (see the module's
    docstring); ``e`` itself when nothing cancels."""
    if not isinstance(e, Mul) or not any(_has_inverse(f) for f in e.factors):
        return e
    number, scalars, chain = split_product(e)
    stack: list[Atom] = []
    cancelled = False
    for f in chain:
        for base, k in _atoms(f):
            if stack and stack[-1][0] is base and _square(base):
                prev = stack.pop()[1]
                cancelled |= (prev > 0) != (k > 0)
                if prev + k:
                    stack.append((base, prev + k))
            else:
                stack.append((base, k))
    if not cancelled:
        return e
    rebuilt = _rebuild(stack) or [Identity(e.shape[0])]
    return A.mul_list([Num(number)] + scalars + rebuilt)


def _rebuild(atoms: list[Atom]) -> list[Expr]:
    """Atoms back to factors; a run of inverses is one inverse of the product, written with
    the fewer transposes: ``[(B', -1), (A', -1)]`` -> ``inv(A*B)'``."""
    out: list[Expr] = []
    run: list[Atom] = []

    def flush() -> None:
        if run:
            m = A.mul_list(F.matpow(b, -k) for b, k in reversed(run))
            plain, flipped = F.inv(m), A.transpose(F.inv(A.transpose(m)))
            out.append(flipped if A.transpose_count(flipped) < A.transpose_count(plain)
                       else plain)
            run.clear()

    for base, k in atoms:
        if k < 0:
            run.append((base, k))
        else:
            flush()
            out.append(F.matpow(base, k))
    flush()
    return out


# ----------------------------------------------------------------------------- diagonals


def diagonal_chains(terms: tuple[Expr, ...],
                    parts: list[tuple[Number, list[Expr], list[Expr]]]) -> \
        list[tuple[Number, list[Expr], list[Expr]]] | None:
    """The terms' (number, scalars, chain) with each ``s.*v`` of a sum of column vectors read
    as the chain ``diag(s)*v``, when ``v``'s product ends as every other term's does; None
    when no term is so read."""
    if not terms or terms[0].shape[1] != 1 or terms[0].shape[0] == 1:
        return None
    ends = {id(c[-1]) for _, _, c in parts if c and not isinstance(c[-1], Hadamard)}
    if len(ends) != 1:
        return None
    (end,) = ends
    out = []
    changed = False
    for (number, scalars, chain) in parts:
        if len(chain) == 1 and isinstance(chain[0], Hadamard) and len(chain[0].factors) == 2:
            s, v = chain[0].factors
            for weights, rest in ((s, v), (v, s)):
                _, inner_scalars, inner = split_product(rest) if isinstance(rest, Mul) else \
                    (1, [], [rest])
                if inner and id(inner[-1]) == end and not inner_scalars:
                    chain = [Diag(weights)] + inner
                    changed = True
                    break
        out.append((number, scalars, chain))
    return out if changed else None


def differentials(e: Expr) -> int:
    """How many times printing ``e`` writes a differential (``dX``)."""
    memo: dict[int, int] = {}
    for node in e.walk():
        memo[id(node)] = int(isinstance(node, Differential)) + \
            sum(memo[id(c)] for c in node.children)
    return memo[id(e)]


def better_diagonal(diagonal: Expr, plain: Expr) -> bool:
    """Is the form with diagonal matrices better: shorter, or with fewer differentials."""
    fewer = differentials(diagonal) < differentials(plain)
    return size(diagonal) < size(plain) or (fewer and size(diagonal) <= size(plain) + 8)


# ----------------------------------------------------------------------------- fractions


def common_denominator(e: Expr, collect: Callable[[Add], Expr]) -> Expr | None:
    """An elementwise sum whose every term divides by a power of one base, written over its
    highest power with the numerator collected by ``collect`` (and the factors common to
    every term outside it); None when the terms do not have that form."""
    if not isinstance(e, Add) or e.shape == (1, 1):
        return None
    base: Expr | None = None
    parts: list[tuple[Number, list[Expr], int]] = []
    for t in e.terms:
        coeff, rest = A.split_coeff(t)
        factors = list(rest.factors) if isinstance(rest, Hadamard) else [rest]
        powers = [(f, _negative_power(f)) for f in factors if _negative_power(f)]
        if len(powers) != 1:
            return None
        (p, k), = powers
        if base is not None and p.args[0] is not base:
            return None
        base = p.args[0]
        parts.append((coeff, [f for f in factors if f is not p], k))
    if base is None:
        return None
    top = max(k for _, _, k in parts)
    common = [f for f in parts[0][1] if all(any(g is f for g in o) for _, o, _ in parts[1:])]
    parts = [(coeff, [f for f in others if not any(f is g for g in common)], k)
             for coeff, others, k in parts]
    numerator = A.add_list(
        A.mul(Num(coeff), A.hadamard_list(others + [A.elem_pow(base, Num(top - k))])
              if others or top > k else A.ones(e.shape))
        for coeff, others, k in parts)
    if isinstance(numerator, Add):
        numerator = collect(numerator)
    return A.hadamard_list(common + [numerator, A.elem_pow(base, Num(-top))])


def _negative_power(f: Expr) -> int:
    """k for ``u.^-k`` (k a positive whole number), else 0."""
    if isinstance(f, Pow) and isinstance(f.exponent, Num):
        value = f.exponent.value
        if isinstance(value, int) and value < 0:
            return -value
    return 0
