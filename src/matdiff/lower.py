"""Lowering: the syntax tree, with the shapes the checker found, to the IR through the
smart constructors of :mod:`matdiff.algebra` and :mod:`matdiff.functions`."""

from __future__ import annotations

from . import algebra as A
from . import functions as F
from .dims import DimVar, dim_names
from .errors import MatdiffTypeError
from .ir import Expr, Sym, dim_product, shape_text
from .ops import ELEMENTWISE
from .shapes import (
    ALONG,
    BUILTINS,
    CONSTANTS,
    Checker,
    Decl,
    collect_names,
    dim_argument,
    integer_exponent,
    norm_order,
)
from .syntax import Binary, Call, Name, Node, Number, Parsed, String, Transpose, Unary


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
            return dim_product(self.dim(root.product[0]), self.dim(root.product[1]))
        return self.names[id(root)]

    def shape_of(self, node: Node) -> tuple[int | str, int | str]:
        r, c = self.ch.node_shapes[id(node)]
        return (self.dim(r), self.dim(c))

    def lower_all(self) -> Expr:
        """The IR of the whole expression; afterwards :attr:`syms` holds every variable
        (in order of first appearance)."""
        self.check_unsized()
        expr = self.lower(self.parsed.expr)
        for name in self.order:
            if name not in self.syms and name in self.kinds:
                self.sym(name)
        self.syms = {n: self.syms[n] for n in self.order if n in self.syms}
        return expr

    def types(self) -> dict[str, str]:
        """Each variable's type as text (``matrix(n, m)``)."""
        return {n: shape_text(s.shape, s.kind) for n, s in self.syms.items()}

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
            term: Node = node
            while isinstance(term, Binary) and term.op in ("+", "-"):
                right = self.lower(term.right)
                terms.append(A.neg(right) if term.op == "-" else right)
                term = term.left
            terms.append(self.lower(term))
            return A.add_list(reversed(terms))
        a, b = self.lower(node.left), self.lower(node.right)
        if op in ("*", "@"):
            return A.mul(a, b)
        if op == ".*":
            return A.hadamard(a, b)
        if op in ("/", "./"):
            return F.div(a, b)
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
        if f in ALONG and len(node.args) == 2:  # sum(X, 1), softmax(X, 2), ...
            k = node.args[1]
            assert isinstance(k, Number)
            return F.along(f, self.lower(node.args[0]), int(k.value))
        args = [self.lower(a) for a in node.args if not isinstance(a, String)]
        x = args[0]
        if f in ELEMENTWISE:
            return F.func(f, x)
        simple = {"tr": F.trace, "trace": F.trace, "det": F.det, "logdet": F.logdet,
                  "inv": F.inv, "sum": A.sum_, "logsumexp": F.logsumexp, "softmax": F.softmax,
                  "vec": A.vec, "norm2": F.norm, "mean": F.mean}
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
