"""Smart constructors: build IR nodes already in canonical, simplified form.

Every pass (lowering, differentiation, pullback, factoring) builds nodes only
through these functions, so an expression is simplified as it is built, in
time linear in its size. The rules, each with the identity it rests on:

- ``add``: flatten; ``0 + x = x``; ``a*x + b*x = (a+b)*x``; a scalar added to
  a matrix is broadcast (``s + X = s*ones + X``); terms sorted by their key.
- ``mul``: flatten; ``0*x = 0``; ``1*x = x``; ``I*X = X*I = X``; numbers
  multiplied; scalar factors commute to the front with powers collected
  (``N^-1 * N = 1``).
- ``hadamard``: scalars pulled out (``(2*A).*B = 2*(A.*B)``); ``ones.*X = X``;
  powers of one base collected (``X.*X = X.^2``); ``P.^k = P`` for a mask;
  ``exp(u)./(1 + exp(u)) = sigmoid(u)``.
- ``transpose``: pushed to the leaves (``(A*B)' = B'*A'``) but kept outside
  ``inv``; ``A' = A`` for symmetric ``A``, scalars, ``eye`` and ``diag(v)``.
- ``sum``: linear (sums and scalars pulled out), ``sum(a.*b) = a'*b`` for vectors.

The functions of the language built on these (``tr``, ``diag``, ``det``,
elementwise functions, ...) have their constructors in :mod:`matdiff.functions`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .exact import MAX_MATRIX_POWER, exact_power
from .ir import (
    SCALAR,
    Add,
    Commutation,
    Diag,
    Dim,
    Expr,
    Func,
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
    Reshape,
    Shape,
    Sum,
    Sym,
    Transpose,
    Vec,
    Zero,
    chain_shape,
    dim_product,
    size_of,
)

ONE = Num(1)
MINUS_ONE = Num(-1)


def num(value: Number) -> Num:
    return Num(value)


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Num) and e.value == 0)


def is_one(e: Expr) -> bool:
    return isinstance(e, Num) and e.value == 1


def zero(shape: Shape) -> Expr:
    return Num(0) if shape == SCALAR else Zero(shape)


def ones(shape: Shape) -> Expr:
    return ONE if shape == SCALAR else Ones(shape)


def identity(n: Dim) -> Expr:
    return ONE if n == 1 else Identity(n)


# ----------------------------------------------------------------------------- coefficients


def split_coeff(e: Expr) -> tuple[Number, Expr]:
    """``3*A*x`` -> ``(3, A*x)``; a bare number n -> ``(n, 1)``."""
    if isinstance(e, Num):
        return e.value, ONE
    if isinstance(e, Mul) and isinstance(e.factors[0], Num):
        rest = e.factors[1:]
        return e.factors[0].value, rest[0] if len(rest) == 1 else Mul(rest)
    return 1, e


def split_scalars(e: Expr) -> tuple[list[Expr], Expr]:
    """Split the scalar factors off a product: ``2*a*X*Y`` -> ``([2, a], X*Y)``."""
    if e.is_scalar:
        return [e], ONE
    if isinstance(e, Mul):
        scalars = [f for f in e.factors if f.is_scalar]
        if scalars:
            chain = [f for f in e.factors if not f.is_scalar]
            return scalars, chain[0] if len(chain) == 1 else Mul(tuple(chain))
    return [], e


# ----------------------------------------------------------------------------- add


def add(*terms: Expr) -> Expr:
    return add_list(terms)


def add_list(terms: Iterable[Expr]) -> Expr:
    flat: list[Expr] = []
    for t in terms:
        if isinstance(t, Add):
            flat.extend(t.terms)
        else:
            flat.append(t)
    if not flat:
        return Num(0)
    shape = _broadcast_shape([t.shape for t in flat])
    coeffs: dict[Expr, Number] = {}
    original: dict[Expr, Expr | None] = {}  # the term itself while it is seen once
    for t in flat:
        if t.shape != shape:  # a scalar broadcast over the matrix
            t = mul(t, Ones(shape))
        if is_zero(t):
            continue
        c, rest = split_coeff(t)
        if rest in coeffs:
            coeffs[rest] += c
            original[rest] = None
        else:
            coeffs[rest] = c
            original[rest] = t
    out = [original[rest] or mul(Num(c), rest) for rest, c in coeffs.items() if c != 0]
    if not out:
        return zero(shape)
    if shape != SCALAR and len(out) > 1:
        scales = _broadcast_scalars(out)
        if scales is not None:  # 1 + a*ones(n) = (1 + a)*ones(n): the shape stays in the text
            return mul(add_list(scales), Ones(shape))
    if len(out) == 1:
        return out[0]
    out.sort(key=lambda t: t.key)
    return Add(tuple(out))


def _broadcast_scalar(t: Expr) -> Expr | None:
    """s for a term s*ones(shape), else None."""
    if isinstance(t, Ones):
        return ONE
    if isinstance(t, Mul) and isinstance(t.factors[-1], Ones) and all(
            f.is_scalar for f in t.factors[:-1]):
        return mul_list(t.factors[:-1])
    return None


def _broadcast_scalars(terms: list[Expr]) -> list[Expr] | None:
    """[s1, s2, ...] when the terms are s1*ones(shape), s2*ones(shape), ..., else None."""
    scales: list[Expr] = []
    for t in terms:
        s = _broadcast_scalar(t)
        if s is None:
            return None
        scales.append(s)
    return scales


def _broadcast_shape(shapes: list[Shape]) -> Shape:
    for s in shapes:
        if s != SCALAR:
            return s
    return SCALAR


def neg(e: Expr) -> Expr:
    return mul(MINUS_ONE, e)


def sub(a: Expr, b: Expr) -> Expr:
    return add(a, neg(b))


# ----------------------------------------------------------------------------- mul


def mul(*factors: Expr) -> Expr:
    return mul_list(factors)


def _scalar_power(f: Expr) -> tuple[Expr, Number, Expr | None]:
    """A scalar factor as base ^ (number + symbolic part)."""
    if isinstance(f, Pow) and f.base.is_scalar:
        if isinstance(f.exponent, Num):
            return f.base, f.exponent.value, None
        c, rest = _split_number_term(f.exponent)
        return f.base, c, rest
    return f, 1, None


def _split_number_term(e: Expr) -> tuple[Number, Expr]:
    """``p - 1`` -> ``(-1, p)``."""
    if isinstance(e, Add):
        nums = [t for t in e.terms if isinstance(t, Num)]
        if nums:
            rest = [t for t in e.terms if not isinstance(t, Num)]
            return sum((t.value for t in nums), 0), add_list(rest)
    return 0, e


# Rules that operation records add: a node's transpose, and rewrites of a matrix chain
TRANSPOSED: dict[type[Expr], Callable[[Expr], Expr | None]] = {}
CHAIN_RULES: list[Callable[[list[Expr]], list[Expr]]] = []


def mul_list(factors: Iterable[Expr]) -> Expr:
    coeff: Number = 1
    powers: dict[Expr, Number] = {}
    sym_powers: dict[Expr, list[Expr]] = {}
    chain: list[Expr] = []
    zero_seen = False

    def take_scalar(f: Expr) -> None:
        nonlocal coeff, zero_seen
        if isinstance(f, Num):
            coeff *= f.value
            zero_seen |= f.value == 0
            return
        base, p, symbolic = _scalar_power(f)
        powers[base] = powers.get(base, 0) + p
        if symbolic is not None:
            sym_powers.setdefault(base, []).append(symbolic)

    for f in factors:
        if isinstance(f, Mul) and (not f.is_scalar or all(g.is_scalar for g in f.factors)):
            for g in f.factors:
                (take_scalar if g.is_scalar else chain.append)(g)
        elif isinstance(f, Mul):  # a scalar made by a chain (x'*y): scalars out, chain atomic
            inner = [g for g in f.factors if not g.is_scalar]
            for g in f.factors:
                if g.is_scalar:
                    take_scalar(g)
            take_scalar(_scalar_chain(inner) if len(inner) > 1 else inner[0])
        elif f.is_scalar:
            take_scalar(f)
        elif isinstance(f, Zero):
            zero_seen = True
            chain.append(f)
        else:
            chain.append(f)
    shape = chain_shape(tuple(chain))
    if zero_seen:
        return zero(shape)
    if len(chain) >= 2:
        chain, sizes = _merge_ones(chain)
        for size in sizes:
            take_scalar(size)
    if len(chain) >= 2:
        for rule in CHAIN_RULES:  # operations that add their own (spectral products)
            chain = rule(chain)
    if len(chain) >= 2:
        chain = _merge_powers([f for f in chain if not isinstance(f, Identity)] or chain[:1])
        if len(chain) >= 2 and shape == SCALAR:
            take_scalar(_scalar_chain(chain))
            chain = []
    if len(powers) >= 2:
        _sign_over_abs(powers)
        _ratios(powers, SCALAR_RATIOS)
    scalars: list[Expr] = []
    for base, p in powers.items():
        if base in sym_powers:
            scalars.append(elem_pow(base, add_list([Num(p)] + sym_powers[base])))
            continue
        if p == 0:
            continue
        if isinstance(base, Num):  # a number to a power: exact when rational, else kept
            exact = exact_power(base.value, p)
            if exact is not None:
                coeff *= exact
                continue
        scalars.append(base if p == 1 else Pow(base, Num(p)))
    scalars.sort(key=lambda s: s.key)
    out: list[Expr] = ([Num(coeff)] if coeff != 1 else []) + scalars + chain
    if not out:
        return ONE
    if len(out) == 1:
        return out[0]
    return Mul(tuple(out))


SCALAR_RATIOS = {("sinh", "cosh"): "tanh", ("sin", "cos"): "tan"}


def _ratios(powers: dict[Expr, Number], table: dict[tuple[str, str], str]) -> None:
    """``sinh(u)/cosh(u) = tanh(u)``, ``sin(u)/cos(u) = tan(u)``."""
    for base in list(powers):
        if not (isinstance(base, Func) and powers.get(base) == 1):
            continue
        for (top, bottom), name in table.items():
            if base.name == top:
                b = Func(bottom, base.arg)
                if powers.get(b, 0) == -1:
                    powers[base] = 0
                    powers[b] = 0
                    t = Func(name, base.arg)
                    powers[t] = powers.get(t, 0) + 1


def _inverse_pair(a: Expr, b: Expr) -> bool:
    """``X*inv(X)``, ``inv(X)*X`` and their transposes."""
    def un_t(e: Expr) -> tuple[Expr, bool]:
        return (e.arg, True) if isinstance(e, Transpose) else (e, False)

    (a0, ta), (b0, tb) = un_t(a), un_t(b)
    if ta != tb:
        return False
    return (isinstance(b0, Inv) and b0.arg is a0) or (isinstance(a0, Inv) and a0.arg is b0)


def _sign_over_abs(powers: dict[Expr, Number]) -> None:
    """``sign(u)/abs(u) = 1/u`` (the derivative of log|u|)."""
    for base in list(powers):
        if isinstance(base, Func) and base.name == "sign" and powers[base] == 1:
            a = Func("abs", base.arg)
            if powers.get(a, 0) <= -1:
                powers[base] = 0
                powers[a] += 1
                powers[base.arg] = powers.get(base.arg, 0) - 1


def _merge_ones(chain: list[Expr]) -> tuple[list[Expr], list[Expr]]:
    """``ones(m, k)*ones(k, n) = k*ones(m, n)``: the merged chain and the sizes taken out."""
    out: list[Expr] = []
    sizes: list[Expr] = []
    for f in chain:
        if out and isinstance(out[-1], Ones) and isinstance(f, Ones):
            inner = f.shape[0]
            sizes.append(size_of(inner))
            merged = (out[-1].shape[0], f.shape[1])
            out.pop()
            if merged != SCALAR:
                out.append(Ones(merged))
        else:
            out.append(f)
    return out, sizes


def _merge_powers(chain: list[Expr]) -> list[Expr]:
    """``X*X = X^2``, ``X^2*X = X^3`` for adjacent equal square factors;
    ``diag(v)*q = v.*q`` and ``q'*diag(v) = (v.*q)'`` for vectors q."""
    out: list[Expr] = []
    for f in chain:
        if out and _inverse_pair(out[-1], f):  # X*inv(X) = I
            n = f.shape[1]
            out.pop()
            if not out:
                out.append(Identity(n))
            continue
        merged = _merge_kron(out[-1], f) if out else None
        if merged is not None:
            out[-1] = merged
            continue
        if out and isinstance(out[-1], Ones) and isinstance(f, Ones) and out[-1].shape[1] == 1:
            prev = out.pop()  # ones(n)*ones(1, m) = ones(n, m)
            out.append(ones((prev.shape[0], f.shape[1])))
            continue
        if out and isinstance(out[-1], Ones) and f.shape[1] == 1 and not isinstance(f, Ones):
            prev = out.pop()  # ones(n, m)*v = sum(v)*ones(n)
            out.append(mul(sum_(f), ones((prev.shape[0], 1))))
            continue
        if out and isinstance(out[-1], Diag) and f.shape[1] == 1:
            out[-1] = hadamard(out[-1].arg, f)
            continue
        if out and isinstance(f, Diag) and out[-1].shape[0] == 1:
            out[-1] = transpose(hadamard(f.arg, transpose(out[-1])))
            continue
        base, k = (f.base, f.k) if isinstance(f, MatPow) else (f, 1)
        if out and base.shape[0] == base.shape[1]:
            prev = out[-1]
            pbase, pk = (prev.base, prev.k) if isinstance(prev, MatPow) else (prev, 1)
            if pbase is base and pk + k <= MAX_MATRIX_POWER:  # X^64*X^64 stays so
                out[-1] = MatPow(base, pk + k)
                continue
        out.append(f)
    return _absorb_power_bases(out)


def _merge_kron(prev: Expr, f: Expr) -> Expr | None:
    """The product ``prev*f`` as one Kronecker product (or vec) when a rule applies, else None."""
    if isinstance(prev, Kron) and isinstance(f, Kron) and \
            prev.left.shape[1] == f.left.shape[0] and prev.right.shape[1] == f.right.shape[0]:
        return kron(mul(prev.left, f.left), mul(prev.right, f.right))  # kron(A, B)*kron(C, D)
    if isinstance(prev, Kron) and prev.left.shape[1] == 1 and \
            not isinstance(f, Kron) and f.shape[1] != 1 and prev.right.shape[1] == f.shape[0]:
        return kron(prev.left, mul(prev.right, f))  # kron(a, B)*M = kron(a, B*M), a a column
    if isinstance(f, Kron) and f.left.shape[0] == 1 and not isinstance(prev, Kron) \
            and prev.shape[0] != 1 and prev.shape[1] == f.right.shape[0]:
        return kron(f.left, mul(prev, f.right))  # M*kron(a', B) = kron(a', M*B), a' a row
    if isinstance(prev, Kron) and isinstance(f, Vec) and \
            prev.left.shape[1] == f.arg.shape[1] and prev.right.shape[1] == f.arg.shape[0]:
        return vec(mul(prev.right, f.arg, transpose(prev.left)))  # kron(A, B)*vec(X) = vec(B*X*A')
    return None


def _repeated_runs(chain: list[Expr]) -> list[Expr]:
    """``X'*A'*X'*A' = (X'*A')^2``: a square run of factors written twice in a row."""
    n = len(chain)
    for j in range(2, n // 2 + 1):
        for i in range(n - 2 * j + 1):
            run = chain[i:i + j]
            if chain[i + j:i + 2 * j] == run:
                base = Mul(tuple(run))
                if base.shape[0] == base.shape[1] and not any(f.is_scalar for f in run):
                    return _repeated_runs(chain[:i] + [MatPow(base, 2)] + chain[i + 2 * j:])
    return chain


def _absorb_power_bases(chain: list[Expr]) -> list[Expr]:
    """``(X*A)^2*X*A = (X*A)^3``: a product base written out beside its power."""
    chain = _repeated_runs(chain)
    changed = True
    while changed:
        changed = False
        for i, f in enumerate(chain):
            if not (isinstance(f, MatPow) and isinstance(f.base, Mul)) \
                    or f.k >= MAX_MATRIX_POWER:
                continue
            b = list(f.base.factors)
            if any(g.is_scalar for g in b):
                continue
            j = len(b)
            if chain[i + 1:i + 1 + j] == b:
                chain = chain[:i] + [MatPow(f.base, f.k + 1)] + chain[i + 1 + j:]
                changed = True
                break
            if i >= j and chain[i - j:i] == b:
                chain = chain[:i - j] + [MatPow(f.base, f.k + 1)] + chain[i + 1:]
                changed = True
                break
            if chain[i + 1:i + 2] == b[:1]:  # (P*Q)^k*P = P*(Q*P)^k: powers to the right
                rotated = Mul(tuple(b[1:] + b[:1]))
                chain = chain[:i] + [b[0], MatPow(rotated, f.k)] + chain[i + 2:]
                changed = True
                break
            after = chain[i + 1] if i + 1 < len(chain) else None
            if isinstance(after, MatPow) and after.base is f.base \
                    and f.k + after.k <= MAX_MATRIX_POWER:
                chain = chain[:i] + [MatPow(f.base, f.k + after.k)] + chain[i + 2:]
                changed = True
                break
    return chain


def _hadamard_size(e: Expr) -> int:
    _, rest = split_scalars(e)
    return len(rest.factors) if isinstance(rest, Hadamard) else (0 if rest is ONE else 1)


def _scalar_chain(chain: list[Expr]) -> Expr:
    """A 1 x 1 product: ``ones(1, n)*v = sum(v)``; otherwise written in one orientation
    (``a'*b`` or ``b'*a``, whichever sorts first), so equal scalars are one node."""
    if isinstance(chain[0], Ones) and len(chain) >= 2:
        return sum_(mul_list(chain[1:]))
    if isinstance(chain[-1], Ones) and len(chain) >= 2:
        return sum_(mul_list(chain[:-1]))
    if len(chain) == 2 and chain[0].shape[0] == 1 and chain[1].shape[1] == 1:
        u, v = transpose(chain[0]), chain[1]  # u'*v = sum(u.*v): does the product cancel?
        if isinstance(u, Vec) and isinstance(v, Vec) and u.arg.shape == v.arg.shape:
            return sum_(hadamard(u.arg, v.arg))  # vec(Y)'*vec(Z) = sum(Y.*Z)
        prod = hadamard(u, v)
        merged = any(isinstance(f, Pow) for f in (prod.factors if isinstance(prod, Hadamard)
                                                  else (prod,)))
        if not merged and _hadamard_size(prod) < _hadamard_size(u) + _hadamard_size(v):
            return sum_(prod)
    forward = Mul(tuple(chain))
    flipped = [transpose(f) for f in reversed(chain)]
    if any(isinstance(f, (Mul, Add)) for f in flipped) or len(flipped) != len(chain):
        return forward
    backward = Mul(tuple(flipped))
    if transpose_count(backward) < transpose_count(forward) or (
            transpose_count(backward) == transpose_count(forward) and backward.key < forward.key):
        return backward
    return forward


# ----------------------------------------------------------------------------- hadamard


def _elem_power(f: Expr) -> tuple[Expr, Expr]:
    if isinstance(f, Pow):
        return f.base, f.exponent
    return f, ONE


def hadamard(*factors: Expr) -> Expr:
    return hadamard_list(factors)


def hadamard_list(factors: Iterable[Expr]) -> Expr:
    flat: list[Expr] = []
    for f in factors:
        flat.extend(f.factors if isinstance(f, Hadamard) else [f])
    shape = _broadcast_shape([f.shape for f in flat])
    if shape == SCALAR:
        return mul_list(flat)
    scale: list[Expr] = []
    powers: dict[Expr, Expr] = {}
    for f in flat:
        if f.is_scalar:
            scale.append(f)
            continue
        s, rest = split_scalars(f)
        scale.extend(s)
        if isinstance(rest, Zero):
            return Zero(shape)
        if isinstance(rest, Ones):
            continue
        if isinstance(rest, Hadamard):
            items = list(rest.factors)
        else:
            items = [rest]
        for item in items:
            base, p = _elem_power(item)
            powers[base] = add(powers[base], p) if base in powers else p
    for base in list(powers):  # sign(u)./abs(u) = 1./u
        if isinstance(base, Func) and base.name == "sign" and powers[base] is ONE:
            a = Func("abs", base.arg)
            pa = powers.get(a)
            if isinstance(pa, Num) and pa.value <= -1:
                del powers[base]
                powers[a] = add(powers[a], ONE)
                powers[base.arg] = add(powers.get(base.arg, Num(0)), MINUS_ONE)
    terms: list[Expr] = []
    for base, p in powers.items():
        terms.append(elem_pow(base, p))
    terms = _recognise_sigmoid(terms)
    terms = _hadamard_identities(terms)
    terms = [t for t in terms if not isinstance(t, Ones)]
    terms.sort(key=lambda t: t.key)
    if not terms:
        body: Expr = Ones(shape)
    elif len(terms) == 1:
        body = terms[0]
    else:
        body = Hadamard(tuple(terms))
    return mul_list(scale + [body]) if scale else body


def _hadamard_identities(terms: list[Expr]) -> list[Expr]:
    """``relu(u).*sign(relu(u)) = relu(u)``; ``sinh(u)./cosh(u) = tanh(u)``."""
    out = list(terms)
    for t in terms:
        if isinstance(t, Func) and t.name == "sign" and isinstance(t.arg, Func) and \
                t.arg.name == "relu" and t.arg in out:
            out.remove(t)
    for t in list(out):
        for (top, bottom), name in SCALAR_RATIOS.items():
            if isinstance(t, Func) and t.name == top and t in out:
                b = Pow(Func(bottom, t.arg), MINUS_ONE)
                if b in out:
                    out.remove(t)
                    out.remove(b)
                    out.append(Func(name, t.arg))
    return out


def _recognise_sigmoid(terms: list[Expr]) -> list[Expr]:
    """``exp(u) .* (1 + exp(u)).^-1 = sigmoid(u)``; ``exp(u) .* sigmoid(-u) = sigmoid(u)``."""
    for i, t in enumerate(terms):
        u = _sigmoid_partner(t)
        if u is None:
            continue
        e = Func("exp", u)
        if e in terms:
            rest = [x for j, x in enumerate(terms) if j != i and x is not e]
            return rest + [Func("sigmoid", u)]
    return terms


def _sigmoid_partner(t: Expr) -> Expr | None:
    """u when ``exp(u) .* t = sigmoid(u)``: t is ``sigmoid(-u)`` or ``(1 + exp(u)).^-1``."""
    if isinstance(t, Func) and t.name == "sigmoid":
        return neg(t.arg)
    if isinstance(t, Pow) and t.exponent is MINUS_ONE:
        return one_plus_exp(t.base)
    return None


def one_plus_exp(e: Expr) -> Expr | None:
    """If e is ``1 + exp(u)`` (the 1 perhaps broadcast), return u."""
    if isinstance(e, Add) and len(e.terms) == 2:
        a, b = e.terms
        for one_, ex in ((a, b), (b, a)):
            unit = is_one(one_) or isinstance(one_, Ones)
            if unit and isinstance(ex, Func) and ex.name == "exp":
                return ex.arg
    return None


def elem_pow(base: Expr, p: Expr) -> Expr:
    """Elementwise (or scalar) power ``base .^ p`` with a scalar exponent."""
    if is_zero(p):
        return ones(base.shape)
    if is_one(p):
        return base
    if isinstance(p, Num):
        if isinstance(base, Num):
            exact = exact_power(base.value, p.value)
            if exact is not None:
                return Num(exact)
        if isinstance(base, (Ones,)):
            return base
        if isinstance(base, Zero) and p.value > 0:
            return base
        if (isinstance(base, Sym) and base.kind == "mask" or isinstance(base, Identity)) \
                and p.value > 0:
            return base  # P.*P = P for a mask of zeros and ones, and I.^k = I
        if isinstance(base, Mul) and p.value > 0 and p.value.denominator == 1:
            sc, rest = split_scalars(base)
            if sc and isinstance(rest, (Identity, Ones)):  # (2*eye).^2 = 4*eye
                return mul(elem_pow(mul_list(sc), p), rest)
        if isinstance(base, Pow) and isinstance(base.exponent, Num) and p.value.denominator == 1:
            return elem_pow(base.base, Num(base.exponent.value * p.value))
        if isinstance(base, Hadamard) and p.value.denominator == 1:
            return hadamard_list(elem_pow(f, p) for f in base.factors)
        if p.value == -1:
            u = one_plus_exp(base)
            if u is not None:
                return Func("sigmoid", neg(u))
        if base.is_scalar and isinstance(base, Mul) and p.value.denominator == 1:
            return mul_list([elem_pow(f, p) for f in base.factors]) if all(
                f.is_scalar for f in base.factors) else Pow(base, p)
    return Pow(base, p)


# ----------------------------------------------------------------------------- transpose


_TCOUNT: dict[int, int] = {}
_TRANSPOSED: dict[int, Expr] = {}


def clear_caches() -> None:
    """Forget every interned node and the memo tables keyed by node identity (together:
    an identity may be reused once its node is freed). For long-running processes and
    for fair cold-cache timings; never while another thread is deriving."""
    Expr._table.clear()
    _TCOUNT.clear()
    _TRANSPOSED.clear()
    for constant in (ONE, MINUS_ONE):  # module constants stay the interned ones
        Expr._table[(Num, constant.args)] = constant


def transpose_count(e: Expr) -> int:
    """How many transpose marks printing e takes."""
    got = _TCOUNT.get(id(e))
    if got is None:
        got = int(isinstance(e, Transpose)) + sum(transpose_count(c) for c in e.children)
        _TCOUNT[id(e)] = got
    return got


def transpose(e: Expr) -> Expr:
    """e', pushed towards the leaves unless that writes more transposes than it saves."""
    got = _TRANSPOSED.get(id(e))
    if got is None:
        got = _transpose(e)
        _TRANSPOSED[id(e)] = got
    return got


def _transpose(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    match e:
        case Transpose():
            return e.arg
        case Sym() if e.kind == "symmetric":
            return e
        case Identity() | Diag():
            return e
        case Commutation():
            return commutation(e.n, e.m)
        case Zero():
            return Zero((e.shape[1], e.shape[0]))
        case Ones():
            return Ones((e.shape[1], e.shape[0]))
        case Add():
            return _cheaper(e, add_list(transpose(t) for t in e.terms))
        case Mul():
            return mul_list(transpose(f) for f in reversed(e.factors))
        case Hadamard():
            return _cheaper(e, hadamard_list(transpose(f) for f in e.factors))
        case Pow():
            return _cheaper(e, elem_pow(transpose(e.base), transpose(e.exponent)))
        case Func():
            return _cheaper(e, Func(e.name, transpose(e.arg)))
        case MatPow():
            return MatPow(transpose(e.base), e.k)
        case Inv() if transpose(e.arg) is e.arg:
            return e
        case Kron():
            return kron(transpose(e.left), transpose(e.right))
    rule = TRANSPOSED.get(type(e))  # operations that add their own (expm(S)' = expm(S))
    return (rule(e) if rule else None) or Transpose(e)


def _cheaper(e: Expr, pushed: Expr) -> Expr:
    """(P.*(M - U*V'))' stays as it is rather than P'.*(M' - V*U')."""
    if transpose_count(pushed) <= transpose_count(e) + (0 if isinstance(e, (Func, Pow)) else 1):
        return pushed
    return Transpose(e)


# ----------------------------------------------------------------------------- reductions


def sum_(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    match e:
        case Add():
            return add_list(sum_(t) for t in e.terms)
        case Transpose():
            return sum_(e.arg)
        case Zero():
            return Num(0)
        case Ones():  # sum(ones(m, n)) = m*n
            return size_of(dim_product(e.shape[0], e.shape[1]))
        case Diag():
            return sum_(e.arg)
        case Mul():
            scalars, rest = split_scalars(e)
            if scalars:
                return mul_list(scalars + [sum_(rest)])
        case Hadamard() if len(e.factors) == 2 and e.shape[1] == 1:
            a, b = e.factors
            return mul(transpose(a), b)
        case Pow() if e.shape[1] == 1 and e.exponent == Num(2):
            return mul(transpose(e.base), e.base)  # sum(x.^2) = x'*x
        case Kron():
            return mul(sum_(e.left), sum_(e.right))
    if isinstance(e, Mul) and (isinstance(e.factors[0], Diag) or isinstance(e.factors[-1], Diag)):
        return mul(ones((1, e.shape[0])), e, ones((e.shape[1], 1)))  # ones'*diag(x)*A*ones
    return Sum(e)


def kron(a: Expr, b: Expr) -> Expr:
    if a.is_scalar or b.is_scalar:
        return mul(a, b)
    if isinstance(a, Zero) or isinstance(b, Zero):
        return Zero((dim_product(a.shape[0], b.shape[0]), dim_product(a.shape[1], b.shape[1])))
    # kron(row, column) and kron(column, row) are outer products
    if a.shape[0] == 1 and b.shape[1] == 1:
        return mul(b, a)
    if a.shape[1] == 1 and b.shape[0] == 1:
        return mul(a, b)
    if isinstance(a, Identity) and isinstance(b, Identity):  # kron(I_m, I_n) = I_mn
        return Identity(dim_product(a.n, b.n))
    sa, ra = split_scalars(a)
    sb, rb = split_scalars(b)
    if sa or sb:
        return mul_list(sa + sb + [kron(ra, rb)])
    return Kron(a, b)


def vec(x: Expr) -> Expr:
    if x.shape[1] == 1:
        return x
    if x.shape[0] == 1:
        return transpose(x)
    if isinstance(x, Reshape):
        return x.arg
    scalars, rest = split_scalars(x)
    if scalars:
        return mul_list(scalars + [vec(rest)])
    if isinstance(x, Add):
        return add_list(vec(t) for t in x.terms)
    return Vec(x)


def commutation(m: Dim, n: Dim) -> Expr:
    """K(m, n) with K*vec(A) = vec(A') for A m x n; the identity when A is a vector."""
    if m == 1 or n == 1:
        return identity(dim_product(m, n))
    return Commutation(m, n)
