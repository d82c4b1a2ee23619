"""Smart constructors for the functions of the language, built on the ring operations of
:mod:`matdiff.algebra`, and rebuilding a node from new operands. The rules:

- ``func``: ``log(1 + exp(u)) = softplus(u)``; ``log(exp(u)) = u``;
  ``log(softmax(z)) = z - logsumexp(z)``; ``f(0) = 0`` when the function's record says so.
- ``trace``: linear, ``tr(A') = tr(A)``, ``tr(a*b') = b'*a``, ``tr(diag(v)) = sum(v)``.
- ``diag``/``diag_part``, ``det``, ``logdet``, ``inv``-free powers and reshapes: scalars
  pulled out, identities and transposes seen through.
"""

from __future__ import annotations

from collections.abc import Callable

from .algebra import (
    MINUS_ONE,
    ONE,
    add_list,
    elem_pow,
    hadamard,
    hadamard_list,
    is_one,
    is_zero,
    kron,
    mul,
    mul_list,
    neg,
    one_plus_exp,
    ones,
    split_scalars,
    sub,
    sum_,
    transpose,
    vec,
)
from .ir import (
    FUNCTIONS,
    Add,
    Det,
    Diag,
    DiagPart,
    Differential,
    Dim,
    Expr,
    Func,
    Hadamard,
    Identity,
    Inv,
    Kron,
    LogDet,
    LogSumExp,
    MatPow,
    Mul,
    Norm,
    Num,
    Ones,
    Pow,
    Reshape,
    Softmax,
    Sum,
    Sym,
    Trace,
    Transpose,
    Vec,
    Zero,
    dim_product,
    size_of,
)


def trace(e: Expr) -> Expr:
    if e.is_scalar:
        return e
    match e:
        case Add():
            return add_list(trace(t) for t in e.terms)
        case Transpose():
            return trace(e.arg)
        case Zero():
            return Num(0)
        case Identity() if isinstance(e.n, int):
            return Num(e.n)
        case Diag():
            return sum_(e.arg)
        case Kron():
            return mul(trace(e.left), trace(e.right))
        case Mul():
            scalars, rest = split_scalars(e)
            if scalars:
                return mul_list(scalars + [trace(rest)])
            fs = e.factors
            if fs[0].shape[1] == 1:  # tr(a*R) = R*a, a 1 x 1 chain, for a column a
                return mul_list(list(fs[1:]) + [fs[0]])
    return Trace(e)


def diag(v: Expr) -> Expr:
    """Column vector -> diagonal matrix."""
    if v.is_scalar:
        return v
    match v:
        case Zero():
            return Zero((v.shape[0], v.shape[0]))
        case Ones():
            return Identity(v.shape[0])
        case Mul():
            scalars, rest = split_scalars(v)
            if scalars:
                return mul_list(scalars + [diag(rest)])
    return Diag(v)


def diag_part(m: Expr) -> Expr:
    """Square matrix -> column vector of its diagonal."""
    if m.is_scalar:
        return m
    match m:
        case Diag():
            return m.arg
        case Zero():
            return Zero((m.shape[0], 1))
        case Identity():
            return ones((m.shape[0], 1))
        case Transpose():
            return diag_part(m.arg)
        case Add():
            return add_list(diag_part(t) for t in m.terms)
        case Mul():
            scalars, rest = split_scalars(m)
            if scalars:
                return mul_list(scalars + [diag_part(rest)])
            fs = m.factors
            if isinstance(fs[0], Diag):  # diag(diag(v)*R) = v.*diag(R)
                return hadamard(fs[0].arg, diag_part(mul_list(fs[1:])))
            if isinstance(fs[-1], Diag):  # diag(L*diag(v)) = diag(L).*v
                return hadamard(diag_part(mul_list(fs[:-1])), fs[-1].arg)
            for k in range(1, len(fs)):  # diag(P*Q) with P a column: (P).*(Q')
                left, right = mul_list(fs[:k]), mul_list(fs[k:])
                if left.shape[1] == 1:
                    return hadamard(left, transpose(right))
    return DiagPart(m)


def norm(x: Expr) -> Expr:
    if x.is_scalar:
        return Func("abs", x)
    if isinstance(x, Kron):  # norm(kron(A, B)) = norm(A)*norm(B)
        return mul(norm(x.left), norm(x.right))
    return Norm(x)


def func(name: str, x: Expr) -> Expr:
    if name == "log":
        u = one_plus_exp(x)
        if u is not None:
            return Func("softplus", u)
        if isinstance(x, Func) and x.name == "exp":
            return x.arg
        if is_one(x):
            return Num(0)
        if isinstance(x, Transpose) and isinstance(x.arg, Softmax):
            return transpose(func("log", x.arg))
        if isinstance(x, Softmax):  # log(softmax(z)) = z - logsumexp(z), along its dimension
            lse = logsumexp(x.arg, x.dim)
            if x.shape[1] == 1:
                return sub(x.arg, lse)  # a vector: the scalar is broadcast
            spread = mul(ones((x.shape[0], 1)), lse) if x.dim == 1 else \
                mul(lse, transpose(ones((x.shape[1], 1))))
            return sub(x.arg, spread)
    if name == "exp" and is_zero(x):
        return ones(x.shape)
    if is_zero(x) and FUNCTIONS[name].zero_at_zero:
        return x
    return Func(name, x)


def det(x: Expr) -> Expr:
    if x.is_scalar:
        return x
    if isinstance(x, Transpose):
        return det(x.arg)
    if isinstance(x, Identity):
        return ONE
    return Det(x)


def logdet(x: Expr) -> Expr:
    if x.is_scalar:
        return func("log", func("abs", x))
    if isinstance(x, Transpose):
        return logdet(x.arg)
    if isinstance(x, Identity):
        return Num(0)
    if isinstance(x, Inv):
        return neg(logdet(x.arg))
    return LogDet(x)


def matpow(x: Expr, k: int) -> Expr:
    if x.is_scalar:
        return elem_pow(x, Num(k))
    if k == 0:
        return Identity(x.shape[0])
    if k == 1:
        return x
    if k < 0:
        return matpow(inv(x), -k)
    if isinstance(x, Identity):
        return x
    return MatPow(x, k)


def reshape(v: Expr, rows: Dim, cols: Dim) -> Expr:
    if cols == 1:
        return v
    if rows == 1:
        return transpose(v)
    if isinstance(v, Vec) and v.arg.shape == (rows, cols):
        return v.arg
    scalars, rest = split_scalars(v)
    if scalars:
        return mul_list(scalars + [reshape(rest, rows, cols)])
    return Reshape(v, rows, cols)


def logsumexp(x: Expr, dim: int = 1) -> Expr:
    """log(sum(exp(.))) along dimension 1 (each column) or 2 (each row); over single
    entries, the entries."""
    return x if x.shape[dim - 1] == 1 else LogSumExp(x, dim)


def softmax(x: Expr, dim: int = 1) -> Expr:
    """exp(.)/sum(exp(.)) along dimension 1 (each column) or 2 (each row)."""
    if x.shape[dim - 1] == 1:  # over single entries
        return ones(x.shape)
    return Softmax(x, dim)


def along(name: str, x: Expr, dim: int) -> Expr:
    """``sum``, ``mean``, ``logsumexp`` or ``softmax`` of ``x`` along dimension 1 (down the
    columns: ``sum(X, 1) = ones(m)'*X``) or 2 (along the rows: ``sum(X, 2) = X*ones(n)``)."""
    if name == "logsumexp":
        return logsumexp(x, dim)
    if name == "softmax":
        return softmax(x, dim)
    rows, cols = x.shape
    total = mul(transpose(ones((rows, 1))), x) if dim == 1 else mul(x, ones((cols, 1)))
    if name == "mean":
        return mul(total, elem_pow(size_of(rows if dim == 1 else cols), MINUS_ONE))
    return total


def mean(x: Expr) -> Expr:
    """The mean of all entries: sum(X)/(m*n)."""
    return mul(sum_(x), elem_pow(size_of(dim_product(x.shape[0], x.shape[1])), MINUS_ONE))


def differential(var: Sym) -> Expr:
    return Differential(var)


def div(a: Expr, b: Expr) -> Expr:
    """``a / b`` for a scalar b, or ``a ./ b`` elementwise."""
    if b.is_scalar:
        return mul(a, elem_pow(b, MINUS_ONE))
    return hadamard(a, elem_pow(b, MINUS_ONE))


def inv(x: Expr) -> Expr:
    if x.is_scalar:
        return elem_pow(x, MINUS_ONE)
    match x:
        case Inv():
            return x.arg
        case Identity():
            return x
        case Transpose():
            return transpose(inv(x.arg))
        case Mul():
            scalars, rest = split_scalars(x)
            if scalars:
                return mul(elem_pow(mul_list(scalars), MINUS_ONE), inv(rest))
    return Inv(x)


_UNARY = {
    Transpose: transpose, Trace: trace, Sum: sum_, Diag: diag, DiagPart: diag_part,
    Norm: norm, Det: det, LogDet: logdet, Inv: inv, Vec: vec,
}


def rebuild(e: Expr, args: tuple) -> Expr:
    """Build a node of e's type from new arguments, through the smart constructors."""
    t = type(e)
    if t in _UNARY:
        return _UNARY[t](args[0])
    if t is Add:
        return add_list(args[0])
    if t is Mul:
        return mul_list(args[0])
    if t is Hadamard:
        return hadamard_list(args[0])
    if t is Pow:
        return elem_pow(args[0], args[1])
    if t is MatPow:
        return matpow(args[0], args[1])
    if t is Func:
        return func(args[0], args[1])
    if t is Kron:
        return kron(args[0], args[1])
    if t is Reshape:
        return reshape(args[0], args[1], args[2])
    if t is Softmax:
        return softmax(args[0], args[1])
    if t is LogSumExp:
        return logsumexp(args[0], args[1])
    if t in CONSTRUCTORS:
        return CONSTRUCTORS[t](*args)
    return t(*args)


# Smart constructors that operation records add (expm, dexpm, selections, ...)
CONSTRUCTORS: dict[type[Expr], Callable[..., Expr]] = {}


def map_bottom_up(e: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild the DAG bottom-up, applying ``fn`` to every rebuilt node (shared nodes once)."""
    done: dict[int, Expr] = {}
    for node in e.walk():
        if not node.children:
            new = node
        else:
            args = tuple(
                tuple(done[id(x)] for x in a) if isinstance(a, tuple)
                else (done[id(a)] if isinstance(a, Expr) and not isinstance(node, Differential)
                      else a)
                for a in node.args
            )
            new = node if all(x is y for x, y in zip(args, node.args)) else rebuild(node, args)
        done[id(node)] = fn(new)
    return done[id(e)]


def substitute(e: Expr, mapping: dict[Expr, Expr]) -> Expr:
    """Replace nodes (by identity) and simplify on the way up."""
    return map_bottom_up(e, lambda n: mapping.get(n, n))
