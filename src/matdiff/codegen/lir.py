"""The low-level IR of generated code: array operations a backend prints one by one.

A :class:`Node` is an operation on arrays with a symbolic shape; nodes are
hash-consed by a :class:`Builder`, so building the same operation twice gives
the same node (common-subexpression elimination for free).

Layout (how a shape is held at run time, :func:`layout`):

``scalar``  a 0-d value, for shape (1, 1);
``vec``     a 1-D array, for an n x 1 column or a 1 x n row (a transpose of a
            vector is free: the same array);
``mat``     a 2-D array otherwise.

Operations (``op``; ``args`` are nodes, ``attr`` hashable data):

    arg(name) dimval(dim) const(x) zeros ones eye full(s)     leaves, fills
    add(*xs; signs) mul(*xs) div(a, b) pow(a, b) neg(a)       elementwise, scalars broadcast
    func(a; name)                                             stable elementwise functions
    matmul(a, b) T(a)                                         products by layout: @, outer, dot
    rowscale(v, X) colscale(X, v)                             diag(v)*X, X*diag(v)
    sum rowsum colsum dot(a, b) trace                         reductions (dot = sum(a.*b))
    det logdet inv solve(A, B) solve_right(B, A)              factorisations
    diag diagpart diagprod(P, Q)                              diag(P*Q) = sum(P.*Q', 2)
    logsumexp softmax kron vec reshape(; rows, cols)
    commutation(; m, n)
    select(*factors; candidates)                              a chain ordered at run time
    tensor(*operands; TensorPlan)                             einsum terms (kron, vec, K)
    slot(; index)                                             a factor of a select candidate
    decomp(X; eigh|eigvalsh|svd|svdvals) part(d; index)       (w, V), w, (U, s, V), s; a part
    pick(M; (row, col))                                       M[i, j], M[:, j], M[i, :] (1-based)
    matfun(X; expm|logm|sqrtm) eigfun(eigh; name)             f(X); V*diag(f(w))*V'
    frechet(X, E; (name, with_value)) eigfrechet(eigh, E; name)  df(X, E) (with f(X): a pair)
    sylvester(R, E)                                           the L with R*L + L*R = E
"""

from __future__ import annotations

from typing import Any

Dim = int | str
Shape = tuple[Dim, Dim]

# the closed set of operations (the printer has one emitter for each)
OPS = frozenset({
    "arg", "slot", "dimval", "const", "zeros", "ones", "eye", "full",
    "add", "mul", "div", "pow", "neg", "func",
    "matmul", "T", "rowscale", "colscale",
    "sum", "rowsum", "colsum", "dot", "trace",
    "det", "logdet", "inv", "solve", "solve_right",
    "diag", "diagpart", "diagprod",
    "logsumexp", "softmax", "kron", "vec", "reshape", "commutation",
    "select", "tensor",
    "decomp", "part", "pick", "matfun", "eigfun", "frechet", "eigfrechet", "sylvester",
})


def layout(shape: Shape) -> str:
    if shape == (1, 1):
        return "scalar"
    if shape[0] == 1 or shape[1] == 1:
        return "vec"
    return "mat"


class Node:
    __slots__ = ("args", "attr", "id", "op", "shape")

    def __init__(self, op: str, args: tuple, attr: Any, shape: Shape, id: int):
        self.op, self.args, self.attr, self.shape, self.id = op, args, attr, shape, id

    @property
    def layout(self) -> str:
        return layout(self.shape)

    def __repr__(self) -> str:
        return f"<{self.op}#{self.id} {self.shape} {self.attr!r} {[a.id for a in self.args]}>"


class Builder:
    """Hash-consing node factory."""

    def __init__(self) -> None:
        self.table: dict[tuple, Node] = {}
        self.count = 0

    def make(self, op: str, args: tuple = (), attr: Any = None, shape: Shape = (1, 1)) -> Node:
        assert op in OPS, op
        key = (op, tuple(a.id for a in args), attr, shape)
        node = self.table.get(key)
        if node is None:
            node = Node(op, tuple(args), attr, shape, self.count)
            self.count += 1
            self.table[key] = node
        return node

    def lookup(self, op: str, args: tuple, attr: Any, shape: Shape) -> Node | None:
        return self.table.get((op, tuple(a.id for a in args), attr, shape))
