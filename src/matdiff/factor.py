"""Factoring: the last simplification pass, to the forms people write.

``2*X'*X*W - 2*X'*Y`` becomes ``2*X'*(X*W - Y)`` and ``A*x + A'*x`` becomes
``(A + A')*x``: a factor common to every term of a sum (a number, a scalar, a
leading or trailing matrix of the product) is taken out, as long as no term is
left empty (``A*x + x`` stays, rather than ``(A + eye)*x``).
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd
from typing import TypeVar

from . import algebra as A
from . import functions as F
from .centring import collect_means
from .ir import Add, Diag, Expr, Hadamard, Kron, Mul, Num, Number, Ones, Pow, size, split_product
from .textbook import better_diagonal, common_denominator, diagonal_chains, rewrite_product

Node = TypeVar("Node", bound=Expr)


def factor(e: Expr) -> Expr:
    return F.map_bottom_up(e, lambda n: factor_sum(collect_means(rewrite_product(n))))


def _parts(t: Expr) -> tuple[Number, list[Expr], list[Expr]]:
    """A term as (number, scalar factors, chain of matrices)."""
    return split_product(t)


def _common_number(coeffs: list[Number]) -> Fraction:
    num = 0
    den = 1
    for c in coeffs:
        num = gcd(num, c.numerator)
        den = den * c.denominator // gcd(den, c.denominator)
    g = Fraction(num, den)
    return -g if all(c < 0 for c in coeffs) else g


def _common_scalars(lists: list[list[Expr]]) -> list[Expr]:
    common = list(lists[0])
    for lst in lists[1:]:
        rest = list(lst)
        keep = []
        for s in common:
            if s in rest:
                rest.remove(s)
                keep.append(s)
        common = keep
    return common


def _common_prefix(chains: list[list[Expr]], reverse: bool) -> int:
    k = 0
    shortest = min(len(c) for c in chains)
    while k < shortest - 1:
        at = -1 - k if reverse else k
        first = chains[0][at]
        if all(c[at] is first for c in chains[1:]):
            k += 1
        else:
            break
    return k


def factor_sum(e: Expr) -> Expr:
    """The sum with its common factors out; or its elementwise expansion, collected and then
    factored, when that writes its atoms fewer times (``(1 - y).*s - y.*(1 - s)`` is
    ``s - y``, while ``s.*(1 - s).*(1 - 2*s)`` stays as it is)."""
    if not isinstance(e, Add):
        return e
    factored = _factor(e)
    expanded = expand_elementwise(e)
    if expanded is not e:
        expanded = _factor(expanded) if isinstance(expanded, Add) else expanded
        factored = expanded if _occurrences(expanded) < _occurrences(factored) else factored
    over = common_denominator(e, _collected)  # 1./d - 2*u./d.^2 = (d - 2*u)./d.^2
    return over if over is not None and size(over) < size(factored) else factored


def _factor(e: Add) -> Expr:
    whole = _factor_all(e)
    if whole is not e or len(e.terms) < 3:
        return whole
    return _factor_groups(e)


def _factor_groups(e: Add) -> Expr:
    """Factor the terms that share their scalars and an end of their product:
    ``A*x/c + A'*x/c - 2*b/c^2*x`` -> ``(A + A')*x/c - 2*b/c^2*x``."""
    out: Expr = e
    for end in (-1, 0):  # trailing factors first, then leading ones
        if not isinstance(out, Add):
            break
        groups: dict[tuple, list[Expr]] = {}
        for t in out.terms:
            _, scalars, chain = _parts(t)
            key = (tuple(sorted(id(s) for s in scalars)), id(chain[end]) if chain else None)
            groups.setdefault(key, []).append(t)
        if any(len(g) > 1 for g in groups.values()):
            grouped = A.add_list(_factor_all(A.add_list(g)) if len(g) > 1 else g[0]
                                 for g in groups.values())
            if size(grouped) < size(out):  # only when it reads shorter
                out = grouped
    return out


def _split_terms(e: Add, cls: type[Node]) -> list[tuple[list[Expr], Node]] | None:
    """Every term as (scalar factors, the rest) when each rest is a ``cls`` node, else None."""
    parts: list[tuple[list[Expr], Node]] = []
    for t in e.terms:
        scalars, rest = A.split_scalars(t)
        if not isinstance(rest, cls):
            return None
        parts.append((scalars, rest))
    return parts


def _factor_kron(e: Add) -> Expr | None:
    """``kron(A, B) - kron(A, C) = kron(A, B - C)`` (and on the right)."""
    parts = _split_terms(e, Kron)
    if parts is None:
        return None
    lefts = {id(r.left) for _, r in parts}
    rights = {id(r.right) for _, r in parts}
    if len(lefts) == 1:
        left = parts[0][1].left
        return A.kron(left, factor_sum(A.add_list(A.mul_list(s + [r.right]) for s, r in parts)))
    if len(rights) == 1:
        right = parts[0][1].right
        return A.kron(factor_sum(A.add_list(A.mul_list(s + [r.left]) for s, r in parts)), right)
    return None


def _factor_diag(e: Add) -> Expr | None:
    """``diag(a) - diag(b) = diag(a - b)``."""
    parts = _split_terms(e, Diag)
    if parts is None:
        return None
    return F.diag(factor_sum(A.add_list(A.mul_list(s + [r.arg]) for s, r in parts)))


def _powers_of(e: Expr) -> dict[Expr, int]:
    """An elementwise product as base -> whole exponent (``s.*(1 - s).^2``)."""
    out: dict[Expr, int] = {}
    for f in e.factors if isinstance(e, Hadamard) else (e,):
        if isinstance(f, Pow) and isinstance(f.exponent, Num) and \
                isinstance(f.exponent.value, int) and f.exponent.value > 0:
            out[f.base] = out.get(f.base, 0) + f.exponent.value
        else:
            out[f] = out.get(f, 0) + 1
    return out


def _factor_hadamard(e: Add) -> Expr | None:
    """``s.*(1 - s).^2 - s.^2.*(1 - s) = s.*(1 - s).*(1 - 2*s)``: elementwise factors
    common to every term, taken out when that reads shorter."""
    if e.shape[0] == 1 and e.shape[1] == 1:
        return None
    parts = [A.split_scalars(t) for t in e.terms]
    powers = [_powers_of(r) for _, r in parts]
    common = {b: min(p.get(b, 0) for p in powers) for b in powers[0]}
    common = {b: k for b, k in common.items() if k > 0 and b.shape == e.shape}
    if not common:
        return None
    rests = []
    for (scalars, _), p in zip(parts, powers):
        left = [A.elem_pow(b, Num(k - common.get(b, 0))) for b, k in p.items()]
        rests.append(A.mul_list(scalars + [A.hadamard_list(left) if left else A.ones(e.shape)]))
    pulled = A.hadamard_list([A.elem_pow(b, Num(k)) for b, k in common.items()])
    out = A.hadamard(pulled, factor_sum(A.add_list(rests)))
    return out if size(out) < size(e) else None


def _factor_all(e: Expr) -> Expr:
    if not isinstance(e, Add):
        return e
    k = _factor_kron(e) or _factor_diag(e) or _factor_hadamard(e)
    if k is not None:
        return k
    parts = [_parts(t) for t in e.terms]
    out = _factor_parts(e, parts)
    diagonal = diagonal_chains(e.terms, parts)  # s.*v - s*s'*v = (diag(s) - s*s')*v
    if diagonal is not None:
        other = _factor_parts(e, diagonal)
        if better_diagonal(other, out):
            return other
    return out


def _factor_parts(e: Add, parts: list[tuple[Number, list[Expr], list[Expr]]]) -> Expr:
    number = _common_number([p[0] for p in parts])
    if max(abs(p[0] / number) for p in parts) >= 100:  # 0.001 + x'*x, not 0.001*(1 + 1000*x'*x)
        number = Fraction(-1 if all(p[0] < 0 for p in parts) else 1)
    scalars = _common_scalars([p[1] for p in parts])
    chains = [p[2] for p in parts]
    has_chain = all(chains)
    left = _common_prefix(chains, False) if has_chain else 0
    if has_chain:
        trimmed = [c[left:] for c in chains]
        right = _common_prefix(trimmed, True)
    else:
        right = 0
    pulled_something = bool(scalars) or left or right
    if not pulled_something and abs(number) == 1:
        return e
    inner_terms = []
    for coeff, sc, chain in parts:
        rest_scalars = list(sc)
        for s in scalars:
            rest_scalars.remove(s)
        rest_chain = chain[left:len(chain) - right]
        inner_terms.append(A.mul_list([Num(coeff / number)] + rest_scalars + rest_chain))
    inner = factor_sum(A.add_list(inner_terms))
    prefix = chains[0][:left] if has_chain else []
    suffix = chains[0][len(chains[0]) - right:] if right else []
    return A.mul_list([Num(number)] + scalars + prefix + [inner] + suffix)


# ----------------------------------------------------------------------------- the ring
# Sums of elementwise products are polynomials in their atoms (the operands that are not
# sums, elementwise products, powers or numbers): expanded and collected, terms cancel
# that no factoring finds: (1 - y).*s - y.*(1 - s) = s - y.

MAX_MONOMIALS = 32  # larger expansions are not tried (they would rarely read shorter)
Monomial = tuple[tuple[int, int], ...]  # (id of an atom, its power), sorted
Polynomial = dict[Monomial, Number]


def expand_elementwise(e: Add) -> Expr:
    """``e`` expanded and collected as a polynomial in its atoms; ``e`` itself when it has
    no elementwise product or the expansion would be too large."""
    if not any(isinstance(t, Hadamard) or isinstance(A.split_coeff(t)[1], Hadamard)
               for t in e.terms):
        return e
    atoms: dict[int, Expr] = {}
    poly = _polynomial(e, atoms)
    if poly is None:
        return e
    return _rebuild(poly, atoms, e.shape)


def _collected(e: Add) -> Expr:
    """``e`` expanded and collected as a polynomial in its atoms (``e`` when too large)."""
    atoms: dict[int, Expr] = {}
    poly = _polynomial(e, atoms)
    return e if poly is None else _rebuild(poly, atoms, e.shape)


def _polynomial(e: Expr, atoms: dict[int, Expr]) -> Polynomial | None:
    coeff, rest = A.split_coeff(e)
    if coeff != 1:
        inner = _polynomial(rest, atoms)
        return None if inner is None else {m: c * coeff for m, c in inner.items()}
    match rest:
        case Num():
            return {(): rest.value}
        case Ones():
            return {(): 1}
        case Add():
            return _sum([_polynomial(t, atoms) for t in rest.terms])
        case Hadamard():
            return _product([_polynomial(f, atoms) for f in rest.factors])
        case Pow() if isinstance(rest.exponent, Num) and rest.exponent.value > 1 \
                and rest.exponent.value.denominator == 1 and isinstance(rest.base, Add):
            base = _polynomial(rest.base, atoms)
            return _product([base] * int(rest.exponent.value))
        case Pow() if isinstance(rest.exponent, Num) and rest.exponent.value.denominator == 1:
            atoms[id(rest.base)] = rest.base
            return {((id(rest.base), int(rest.exponent.value)),): 1}
    atoms[id(rest)] = rest
    return {((id(rest), 1),): 1}


def _occurrences(e: Expr) -> int:
    """How many times the atoms of the ring are written out in ``e``."""
    memo: dict[int, int] = {}
    for node in e.walk():
        if isinstance(node, Add | Hadamard | Num | Ones) or (
                isinstance(node, Pow) and isinstance(node.exponent, Num)) or (
                isinstance(node, Mul) and A.split_coeff(node)[0] != 1):
            memo[id(node)] = sum(memo[id(c)] for c in node.children
                                 if not isinstance(c, Num))
        else:
            memo[id(node)] = 1
    return memo[id(e)]


def _sum(polys: list[Polynomial | None]) -> Polynomial | None:
    out: Polynomial = {}
    for p in polys:
        if p is None:
            return None
        for m, c in p.items():
            out[m] = out.get(m, 0) + c
    return {m: c for m, c in out.items() if c != 0} if len(out) <= MAX_MONOMIALS else None


def _product(polys: list[Polynomial | None]) -> Polynomial | None:
    out: Polynomial | None = {(): 1}
    for p in polys:
        if p is None or out is None:
            return None
        terms: list[Polynomial | None] = [{_times(m1, m2): c1 * c2}
                                          for m1, c1 in out.items() for m2, c2 in p.items()]
        if len(terms) > MAX_MONOMIALS:
            return None
        out = _sum(terms)
    return out


def _times(a: Monomial, b: Monomial) -> Monomial:
    powers = dict(a)
    for atom, k in b:
        powers[atom] = powers.get(atom, 0) + k
    return tuple(sorted((atom, k) for atom, k in powers.items() if k != 0))


def _rebuild(poly: Polynomial, atoms: dict[int, Expr], shape: tuple) -> Expr:
    terms = []
    for monomial, coeff in poly.items():
        factors = [A.elem_pow(atoms[atom], Num(k)) for atom, k in monomial]
        body = A.hadamard_list(factors) if factors else A.ones(shape)
        terms.append(A.mul(Num(coeff), body))
    return A.add_list(terms) if terms else A.zero(shape)
