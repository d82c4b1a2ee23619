"""Differentiation by differentials, the way the Matrix Cookbook and Magnus & Neudecker do it.

Three small rule tables do all the work:

- ``DIFFERENTIAL``: the forward rule of every operation, ``d f(X)`` as an
  expression linear in the differential ``dX`` (``d inv(X) = -inv(X)*dX*inv(X)``).
- ``PULLBACK``: the adjoint of every *linear* operation, used to read a gradient
  off ``df = G : dX`` (``tr(A*dX*B) = (A'*B') : dX``). Only linear operations
  need one, because a differential is linear in ``dX``.
- ``vec_jacobian``: reads the matrix ``K`` off ``vec(df) = K*vec(dX)`` (the Jacobian,
  in kron/vec form for matrices).

Gradients, Jacobians and derivatives are compositions of these, and the next
order (Hessians, derivatives of matrices by matrices) is the same machinery
applied to a gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

from . import algebra as A
from . import functions as F
from .errors import UnsupportedError
from .ir import (
    Add,
    Diag,
    DiagPart,
    Differential,
    Dim,
    Expr,
    Func,
    Hadamard,
    Kron,
    MatPow,
    Mul,
    Num,
    Pow,
    Reshape,
    Select,
    Sym,
    Transpose,
    Vec,
    differential_tag,
    dim_product,
)
from .ops import ELEMENTWISE, MATRIX_OPS
from .printing import to_text

D = Callable[[Expr], Expr]  # the differential of an operand (already computed)
Dep = Callable[[Expr], bool]  # does a node depend on the differential?
Node = TypeVar("Node", bound=Expr)

# A rule table maps a node class to the rule for nodes of that class. A dict cannot tie each
# value's argument type to its key, so the values take ``Any``; the entries are made by
# ``_forward`` / ``_backward``, which check that the rule takes a node of the key's class,
# and the tables are only looked up with ``type(node)``: every rule gets the node it expects.
Forward = Callable[[Any, D], Expr]
Backward = Callable[[Any, Expr, Dep], list[tuple[Expr, Expr]]]


def _forward(cls: type[Node], rule: Callable[[Node, D], Expr]) -> tuple[type[Expr], Forward]:
    return cls, rule


def _backward(cls: type[Node], rule: Callable[[Node, Expr, Dep], list[tuple[Expr, Expr]]]
              ) -> tuple[type[Expr], Backward]:
    return cls, rule


# ----------------------------------------------------------------------------- forward rules


def _d_add(e: Add, d: D) -> Expr:
    return A.add_list(d(t) for t in e.terms)


def _d_product(e: Mul | Hadamard, d: D, build: Callable[[list[Expr]], Expr]) -> Expr:
    """Product rule for an n-ary product (matrix or elementwise)."""
    fs = list(e.factors)
    terms = []
    for i, f in enumerate(fs):
        df = d(f)
        if not _is_zero(df):
            terms.append(build(fs[:i] + [df] + fs[i + 1:]))
    return A.add_list(terms) if terms else A.zero(e.shape)


def _d_pow(e: Pow, d: D) -> Expr:
    b, p = e.base, e.exponent
    db, dp = d(b), d(p)
    terms = []
    if not _is_zero(db):  # d(b.^p) = p .* b.^(p - 1) .* db + b.^p .* log(b) .* dp
        terms.append(A.hadamard(p, A.elem_pow(b, A.sub(p, A.ONE)), db))
    if not _is_zero(dp):
        terms.append(A.hadamard(e, F.func("log", b), dp))
    return A.add_list(terms) if terms else A.zero(e.shape)


def _d_matpow(e: MatPow, d: D) -> Expr:
    x, k = e.base, e.k
    dx = d(x)
    return A.add_list(A.mul(F.matpow(x, i), dx, F.matpow(x, k - 1 - i)) for i in range(k))


def _d_func(e: Func, d: D) -> Expr:  # d f(u) = f'(u) .* du, f' from the function's record
    return A.hadamard(ELEMENTWISE[e.name].derivative(e.arg, e), d(e.arg))


DIFFERENTIAL: dict[type[Expr], Forward] = dict([
    _forward(Add, _d_add),
    _forward(Mul, lambda e, d: _d_product(e, d, A.mul_list)),
    _forward(Hadamard, lambda e, d: _d_product(e, d, A.hadamard_list)),
    _forward(Pow, _d_pow),
    _forward(MatPow, _d_matpow),
    _forward(Func, _d_func),
    _forward(Transpose, lambda e, d: A.transpose(d(e.arg))),
    _forward(Reshape, lambda e, d: F.reshape(d(e.arg), e.rows, e.cols)),
    _forward(Kron, lambda e, d: A.add(A.kron(d(e.left), e.right), A.kron(e.left, d(e.right)))),
    _forward(Select, lambda e, d: F.rebuild(e, (d(e.arg), e.row, e.col))),
])
DIFFERENTIAL.update((op.node, op.differential) for op in MATRIX_OPS.values())  # tr, det, ...


def _is_zero(e: Expr) -> bool:
    return A.is_zero(e)


def differential(e: Expr, var: Sym) -> Expr:
    """``d e`` with respect to ``var``: an expression linear in ``Differential(var)``."""
    done: dict[int, Expr] = {}

    def d(x: Expr) -> Expr:
        return done[id(x)]

    for node in e.walk():
        if var.name not in node.free:
            done[id(node)] = A.zero(node.shape)
        elif node is var:
            done[id(node)] = Differential(var)
        elif isinstance(node, Differential):
            done[id(node)] = A.zero(node.shape)
        else:
            done[id(node)] = DIFFERENTIAL[type(node)](node, d)
    return done[id(e)]


# ----------------------------------------------------------------------------- adjoints


def _pb_mul(e: Mul, g: Expr, dep: Dep) -> list[tuple[Expr, Expr]]:
    fs = e.factors
    out = []
    scalars = [f for f in fs if f.is_scalar]
    chain = [f for f in fs if not f.is_scalar]
    for i, f in enumerate(fs):
        if not dep(f):
            continue
        if f.is_scalar:
            rest = A.mul_list(fs[:i] + fs[i + 1:])
            out.append((f, inner(g, rest)))
            continue
        j = chain.index(f)
        parts: list[Expr] = list(scalars)
        if j > 0:
            parts.append(A.transpose(A.mul_list(chain[:j])))
        parts.append(g)
        if j + 1 < len(chain):
            parts.append(A.transpose(A.mul_list(chain[j + 1:])))
        out.append((f, A.mul_list(parts)))
    return out


def inner(a: Expr, b: Expr) -> Expr:
    """The Frobenius product ``a : b = sum(a.*b)``."""
    if a.is_scalar or b.is_scalar:
        return A.mul(a, b) if a.is_scalar and b.is_scalar else A.sum_(A.mul(a, b))
    return A.sum_(A.hadamard(a, b))


def _pb_kron(e: Kron, g: Expr, dep: Dep) -> list[tuple[Expr, Expr]]:
    """x'*kron(A, B)*y = tr(X1'*B*Y1*A') with x = vec(X1), y = vec(Y1)."""
    scalars, rest = A.split_scalars(g)
    if not (isinstance(rest, Mul) and len(rest.factors) == 2 and rest.factors[0].shape[1] == 1
            and rest.factors[1].shape[0] == 1):
        raise UnsupportedError("a gradient through kron(...) is supported only when the kron "
                               "is used in a quadratic form x'*kron(A, B)*y")
    u, v = rest.factors[0], A.transpose(rest.factors[1])
    (m, n), (p, q) = e.left.shape, e.right.shape
    x1, y1 = F.reshape(u, p, m), F.reshape(v, q, n)
    out = []
    if dep(e.left):
        out.append((e.left, A.mul_list(scalars + [A.transpose(x1), e.right, y1])))
    if dep(e.right):
        out.append((e.right, A.mul_list(scalars + [x1, e.left, A.transpose(y1)])))
    return out


def _each(fn: Callable[[Node, Expr], Expr], linear: int = 0
          ) -> Callable[[Node, Expr, Dep], list[tuple[Expr, Expr]]]:
    """The pullback rule of a node linear in its operand number ``linear`` (the others do
    not hold the differential): ``fn`` maps the node's cotangent to that operand's."""
    def rule(e: Node, g: Expr, dep: Dep) -> list[tuple[Expr, Expr]]:
        c = e.children[linear]
        return [(c, fn(e, g))] if dep(c) else []
    return rule


PULLBACK: dict[type[Expr], Backward] = dict([
    _backward(Add, lambda e, g, dep: [(t, g) for t in e.terms if dep(t)]),
    _backward(Mul, _pb_mul),
    _backward(Hadamard, lambda e, g, dep: [
        (f, A.hadamard_list([g] + [h for j, h in enumerate(e.factors) if j != i]))
        for i, f in enumerate(e.factors) if dep(f)]),
    _backward(Transpose, _each(lambda e, g: A.transpose(g))),
    _backward(Reshape, _each(lambda e, g: A.vec(g))),
    _backward(Kron, _pb_kron),
    _backward(Select, _each(lambda e, g: A.mul(_picks(e.arg.shape[0], e.row), g,
                                                 A.transpose(_picks(e.arg.shape[1], e.col))))),
])
PULLBACK.update((op.node, _each(op.pullback, op.linear))  # tr, sum, dexpm(X, E), ...
                for op in MATRIX_OPS.values() if op.pullback is not None)


def _picks(n: Dim, k: int) -> Expr:
    """The columns of eye(n) a selection keeps: M[i, j] = P'*M*Q with P = eye(m)[:, i] (all
    of eye(m) for ':') and Q = eye(n)[:, j]; its adjoint puts g back as P*g*Q'."""
    eye = A.identity(n)
    return eye if k == 0 else F.rebuild(Select(eye, 0, k), (eye, 0, k))


def pullback(lin: Expr, target: Differential, cot: Expr = A.ONE) -> Expr:
    """The adjoint of the linear map ``dX -> lin`` applied to ``cot``.

    For a scalar ``lin = df`` and ``cot = 1`` this is the gradient G with
    ``df = G : dX``. Reverse accumulation over the DAG: every shared node once.
    """
    tag = differential_tag(target.var.name)

    def dep(x: Expr) -> bool:
        return tag in x.free

    order = [n for n in lin.walk() if dep(n)]
    cots: dict[int, list[Expr]] = {id(lin): [cot]}
    for node in reversed(order):
        contributions = cots.pop(id(node), [])
        if not contributions:
            continue
        g = A.add_list(contributions)
        if node is target:
            return g
        rule = PULLBACK.get(type(node))
        if rule is None:
            raise AssertionError(f"{type(node).__name__} is not linear in {target!r}")
        for child, contribution in rule(node, g, dep):
            cots.setdefault(id(child), []).append(contribution)
    return A.zero(target.shape)


# ----------------------------------------------------------------------------- Jacobians


def numel(e: Expr) -> Dim:
    return dim_product(e.shape[0], e.shape[1])


def _diag_selector(n: Dim) -> Expr:
    """S with vec(diag(v)) = S*v: n^2 x n, ones where vec(eye(n)) has them."""
    eye = A.identity(n)
    return A.mul(F.diag(A.vec(eye)), A.kron(A.ones((n, 1)), eye))


def vec_jacobian(lin: Expr, target: Differential) -> Expr:
    """The matrix K with ``vec(lin) = K*vec(dX)``, read off rule by rule.

    ``vec(P*dX*Q) = kron(Q', P)*vec(dX)``, ``vec(A.*dX) = diag(vec(A))*vec(dX)``,
    ``vec(dX') = K(m, n)*vec(dX)``; for vectors these are the plain m x n Jacobian
    (``kron(1, A) = A``), and a scalar ``lin`` gives the row ``vec(G)'``.
    """
    tag = differential_tag(target.var.name)
    size = numel(target)
    memo: dict[int, Expr] = {}

    def dep(x: Expr) -> bool:
        return tag in x.free

    def jac(e: Expr) -> Expr:
        if id(e) not in memo:
            memo[id(e)] = _jac(e)
        return memo[id(e)]

    def _jac(e: Expr) -> Expr:
        if not dep(e):
            return A.zero((numel(e), size))
        if e is target:
            return A.identity(size)
        if e.is_scalar:
            return A.transpose(A.vec(pullback(e, target)))
        match e:
            case Add():
                return A.add_list(jac(t) for t in e.terms)
            case Hadamard():
                (i, f), = [(i, f) for i, f in enumerate(e.factors) if dep(f)]
                others = A.hadamard_list([h for j, h in enumerate(e.factors) if j != i])
                return A.mul(F.diag(A.vec(others)), jac(f))
            case Mul():
                return jac_mul(e)
            case Transpose():
                r, c = e.arg.shape
                return A.mul(A.commutation(r, c), jac(e.arg))
            case Vec() | Reshape():
                return jac(e.arg)
            case Select():  # M[i, j] = P'*M*Q: vec = kron(Q', P')*vec(M)
                (m, n), i, j = e.arg.shape, e.row, e.col
                return A.mul(A.kron(A.transpose(_picks(n, j)), A.transpose(_picks(m, i))),
                             jac(e.arg))
            case DiagPart() if isinstance(e.arg, Diag):
                return jac(e.arg.arg)
            case Diag():  # vec(diag(v)) = diag(vec(I))*kron(ones(n), I)*v
                n = e.shape[0]
                return A.mul(_diag_selector(n), jac(e.arg))
            case DiagPart():  # diag(M) = kron(ones(n), I)'*diag(vec(I))*vec(M)
                n = e.shape[0]
                return A.mul(A.transpose(_diag_selector(n)), jac(e.arg))
            case Kron() if e.left.shape[1] == 1 and e.right.shape[1] == 1:
                # kron(a, x) = vec(x*a') and kron(x, b) = vec(b*x') for columns
                if not dep(e.left):
                    return A.mul(A.kron(e.left, A.identity(e.right.shape[0])), jac(e.right))
                if not dep(e.right):
                    return A.mul(A.kron(A.identity(e.left.shape[0]), e.right), jac(e.left))
        raise UnsupportedError(
            f"cannot write the derivative of {to_text(e)} by {target.var.name} in vec/kron form "
            f"(the differential is {to_text(lin)})")

    def jac_mul(e: Mul) -> Expr:
        fs = e.factors
        (i, f), = [(i, f) for i, f in enumerate(fs) if dep(f)]
        if f.is_scalar:  # vec(s(dX) * R) = vec(R) * (d s / d vec(X))
            rest = A.mul_list([h for j, h in enumerate(fs) if j != i])
            return A.mul(A.vec(rest), jac(f))
        scalars = [h for h in fs if h.is_scalar]
        chain = [h for h in fs if not h.is_scalar]
        j = chain.index(f)
        left = A.mul_list(chain[:j]) if j else A.identity(f.shape[0])
        right = A.mul_list(chain[j + 1:]) if j + 1 < len(chain) else A.identity(f.shape[1])
        if isinstance(f, Diag) and right.shape[1] == 1:  # diag(v)*q = q.*v
            return A.mul_list(scalars + [left, F.diag(right), jac(f.arg)])
        outer = A.kron(A.transpose(right), left)
        inner = jac(f)
        if isinstance(inner, Add) and isinstance(outer, Kron):
            # kron(B', A)*(J1 + J2): let each product simplify (mixed products)
            return A.add_list(A.mul_list(scalars + [outer, t]) for t in inner.terms)
        return A.mul_list(scalars + [outer, inner])

    return jac(lin)


# ----------------------------------------------------------------------------- the derivatives


def gradient(f: Expr, var: Sym) -> Expr:
    """The gradient of a scalar f: the matrix G of var's shape with df = G : dvar."""
    g = pullback(differential(f, var), Differential(var))
    if var.kind == "symmetric":
        g = A.mul(Num(Fraction(1, 2)), A.add(g, A.transpose(g)))
    return g


def jacobian(f: Expr, var: Sym) -> Expr:
    """d vec(f) / d vec(var): the m x n Jacobian for vectors, kron/vec form for matrices."""
    return vec_jacobian(differential(f, var), Differential(var))


def hessian(f: Expr, var: Sym, grad: Expr | None = None) -> tuple[Expr, Expr]:
    """The Hessian of a scalar f, as (matrix of vec(var), map on the differential).

    The same machinery applied again: the derivative of the gradient.
    """
    g = gradient(f, var) if grad is None else grad
    dg = differential(g, var)
    if var.is_scalar:
        return derivative(g, var), dg
    h = vec_jacobian(dg, Differential(var))
    if var.kind == "symmetric" and A.transpose(h) is not h:
        # only symmetric directions dS exist: H acts on vec(dS) = P*vec(dS), with
        # P = (I + K)/2, and H*P is the symmetric Hessian (H itself need not be)
        n = var.shape[0]
        size = dim_product(n, n)
        h = A.mul(h, Num(Fraction(1, 2)), A.add(A.identity(size), A.commutation(n, n)))
    return h, dg


def derivative(f: Expr, var: Sym) -> Expr:
    """The entrywise derivative of f with respect to a scalar var."""
    return F.substitute(differential(f, var), {Differential(var): A.ONE})

