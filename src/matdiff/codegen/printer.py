"""Printing a plan as the statements of a Python function, for any array backend.

The backend-neutral part lives here: which nodes get a temporary and which are
written inline (:mod:`.schedule`), operator precedence, the names of the
sizes, and the emission of each low-level operation -- a table keyed by the op,
one small method each, that leaves the spelling of array calls to the backend
(:mod:`.backend_base`).  Kronecker-structured nodes are printed by
:mod:`.tensor_print`; the module around the function by :mod:`.module`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import NamedTuple

from . import tensor as TS
from .backend_base import Backend
from .lir import OPS, Dim, Node, Shape, layout
from .pytext import ADD, ATOM, MATMUL, MUL, POW, RESERVED, UNARY, atoms, dim_py, num, py_name
from .schedule import inline, schedule
from .spec import Output, Spec
from .tensor_print import tensor


class Emitted(NamedTuple):
    """One node printed: its expression, that expression's precedence, statements before it."""

    text: str
    prec: float
    stmts: tuple[str, ...] = ()


Emitter = Callable[["Printer", Node], Emitted]
EMITTERS: dict[str, Emitter] = {}


def emits(*ops: str) -> Callable[[Emitter], Emitter]:
    """Register the decorated method as the printer of ``ops``."""
    def register(fn: Emitter) -> Emitter:
        for op in ops:
            assert op in OPS and op not in EMITTERS, op
            EMITTERS[op] = fn
        return fn
    return register


# one-argument operations that are a backend call each
_CALLS: dict[str, Callable[[Backend, str], str]] = {
    "trace": lambda be, x: be.trace(x),
    "det": lambda be, x: be.det(x),
    "logdet": lambda be, x: be.logdet(x),
    "inv": lambda be, x: be.inv(x),
    "diag": lambda be, x: be.diag(x),
    "diagpart": lambda be, x: be.diagpart(x),
    "logsumexp": lambda be, x: be.logsumexp(x),
    "softmax": lambda be, x: be.softmax(x),
}


class Printer:
    """The body of one generated function: the nodes of a plan as statements, with the
    names of the sizes and temporaries it chooses."""

    def __init__(self, backend: Backend, spec: Spec):
        self.be = backend
        self.spec = spec
        self.code: dict[int, tuple[str, float]] = {}  # node id -> (expression, precedence)
        self.final: dict[str, str] = {}  # output name -> the expression holding it
        self.slot_code: dict[int, str] = {}  # the factors of the chain being selected
        self.taken = set(RESERVED) | {v.py for v in spec.variables}
        self.dimname: dict[str, str] = {}
        for v in spec.variables:
            for d in v.shape:
                for a in atoms(d):
                    if isinstance(a, str) and a not in self.dimname:
                        self.dimname[a] = dim_py(a, self.taken)
        for d in spec.extra_dims:
            if d not in self.dimname:
                self.dimname[d] = dim_py(d, self.taken)
        self.tmp = "t" if not any(re.fullmatch(r"t\d+", n) for n in self.taken) else "tmp_"
        self.counter = 0
        self.outputs: set[int] = set()  # the nodes returned (never a read-only view)

    def answer_name(self, n: Node) -> str | None:
        """The name the printed answer gives this node (``h1``), once and if free."""
        wanted = self.spec.names.get(n.id)
        if wanted is None:
            return None
        name = py_name(wanted)
        if name in self.taken or re.fullmatch(rf"{re.escape(self.tmp)}\d+", name):
            return None
        self.taken.add(name)
        return name

    def fresh(self) -> str:
        """A new temporary's name."""
        self.counter += 1
        return f"{self.tmp}{self.counter}"

    # -- sizes
    def dim(self, d: Dim) -> str:
        parts = []
        for a in atoms(d):
            if isinstance(a, int):
                parts.append(str(a))
            else:
                if a not in self.dimname:
                    self.dimname[a] = dim_py(a, self.taken)
                parts.append(self.dimname[a])
        return "*".join(parts)

    def size(self, s: TS.Size) -> str:
        k, names = s
        parts = ([str(k)] if k != 1 or not names else []) + [self.dim(n) for n in names]
        return "*".join(parts)

    def shape_code(self, shape: Shape) -> str:
        lay = layout(shape)
        if lay == "scalar":
            return "()"
        if lay == "vec":
            return f"({self.dim(shape[0] if shape[1] == 1 else shape[1])},)"
        return f"({self.dim(shape[0])}, {self.dim(shape[1])})"

    def var_py(self, name: str) -> str:
        for v in self.spec.variables:
            if v.name == name:
                return v.py
        return py_name(name)

    # -- statements
    def emit(self, roots: list[Output]) -> list[str]:
        """The statements computing ``roots``; ``self.final`` then names each output's value."""
        order, uses = schedule([o.node for o in roots])
        self.outputs = {o.node.id for o in roots}
        self.from_lse = _softmax_from_logsumexp(order)
        named = {m.id for m in self.from_lse.values()}
        out_names: dict[int, str] = {}
        for o in roots:
            out_names.setdefault(o.node.id, o.name)
        self.code = {}
        body: list[str] = []
        for n in order:
            text, prec, stmts = self.node(n)
            body.extend(stmts)
            name = out_names.get(n.id)
            if stmts and text.isidentifier():  # the statements assigned it
                if name is not None:
                    body.append(f"{name} = {text}")
                    text = name
                self.code[n.id] = (text, ATOM)
            elif name is not None and n.op != "arg":
                body.append(f"{name} = {text}")
                self.code[n.id] = (name, ATOM)
            elif n.id not in named and n.id not in self.spec.names and inline(
                    n, text, uses.get(n.id, 0), name is not None, bool(stmts)):
                self.code[n.id] = (text, prec)
            else:
                name = self.answer_name(n) or self.fresh()
                body.append(f"{name} = {text}")
                self.code[n.id] = (name, ATOM)
        self.final = {o.name: self.code[o.node.id][0] for o in roots}
        return body

    def c(self, n: Node, prec: float = 0, right: bool = False) -> str:
        """``n``'s expression as an operand at precedence ``prec`` (parenthesised if needed)."""
        text, p = self.code[n.id]
        if p < prec or (right and p == prec) or (int(p) == int(prec) == MUL and p != prec):
            return f"({text})"
        return text

    def node(self, n: Node) -> Emitted:
        """One node: (expression, precedence, statements before it)."""
        emitter = EMITTERS.get(n.op)
        if emitter is None:
            raise AssertionError(f"no printer for {n.op}")
        return emitter(self, n)

    def same(self, n: Node) -> Emitted:
        """The node's argument, unchanged (a layout-free operation)."""
        return Emitted(*self.code[n.args[0].id])

    # -- leaves and fills
    @emits("arg")
    def _arg(self, n: Node) -> Emitted:
        return Emitted(self.var_py(n.attr), ATOM)

    @emits("slot")
    def _slot(self, n: Node) -> Emitted:
        return Emitted(self.slot_code[n.attr], ATOM)

    @emits("const")
    def _const(self, n: Node) -> Emitted:
        return Emitted(num(n.attr), ATOM if n.attr >= 0 else UNARY)

    @emits("dimval")
    def _dimval(self, n: Node) -> Emitted:
        return Emitted(self.be.dim_scalar(self.dim(n.attr)), ATOM)

    @emits("zeros")
    def _zeros(self, n: Node) -> Emitted:
        if n.layout == "scalar":
            return Emitted("0.0", ATOM)
        return Emitted(self.be.zeros(self.shape_code(n.shape)), ATOM)

    @emits("ones")
    def _ones(self, n: Node) -> Emitted:
        if n.layout == "scalar":
            return Emitted("1.0", ATOM)
        return Emitted(self.be.ones(self.shape_code(n.shape)), ATOM)

    @emits("full")
    def _full(self, n: Node) -> Emitted:
        return Emitted(self.be.full(self.shape_code(n.shape), self.c(n.args[0])), ATOM)

    @emits("eye")
    def _eye(self, n: Node) -> Emitted:
        return Emitted(self.be.eye(self.dim(n.shape[0])), ATOM)

    # -- elementwise
    @emits("add")
    def _add(self, n: Node) -> Emitted:
        parts = []
        for i, (s, x) in enumerate(zip(n.attr, n.args)):
            t = self.c(x, ADD, right=(i > 0 and s < 0))
            parts.append(t if i == 0 and s > 0 else (f"- {t}" if s < 0 else f"+ {t}"))
        text = " ".join(parts)
        if text.startswith("- "):
            text = "-" + text[2:]
        return Emitted(text, ADD)

    @emits("mul")
    def _mul(self, n: Node) -> Emitted:
        return Emitted(" * ".join(self.c(x, MUL, right=(i > 0)) for i, x in enumerate(n.args)),
                       MUL)

    @emits("div")
    def _div(self, n: Node) -> Emitted:
        a, b = n.args
        return Emitted(f"{self.c(a, MUL)} / {self.c(b, MUL, right=True)}", MUL)

    @emits("pow")
    def _pow(self, n: Node) -> Emitted:
        a, b = n.args
        return Emitted(f"{self.c(a, POW + 1)} ** {self.c(b, POW)}", POW)

    @emits("neg")
    def _neg(self, n: Node) -> Emitted:
        return Emitted(f"-{self.c(n.args[0], UNARY)}", UNARY)

    @emits("func")
    def _func(self, n: Node) -> Emitted:
        return Emitted(self.be.func(n.attr, self.c(n.args[0])), ATOM)

    # -- products and layout
    @emits("matmul")
    def _matmul(self, n: Node) -> Emitted:
        l, r = n.args
        if l.layout == "vec" and r.layout == "vec" and l.shape[1] == 1 and r.shape[0] == 1:
            if n.id not in self.outputs and (r.op == "ones" or l.op == "ones"):
                # v*ones(1, q): each row v(i), a broadcast view instead of an n x q array
                v = f"{self.c(l, ATOM)}[:, None]" if r.op == "ones" else self.c(r, ATOM)
                return Emitted(self.be.broadcast(v, self.shape_code(n.shape)), ATOM)
            pr = self._reduction_prec()
            return Emitted(self.be.outer(self.c(l, pr), self.c(r, pr)), MUL if pr else ATOM)
        if self.be.transposed_matvec_copies:
            # A.T @ v as v @ A, v @ A.T as A @ v: the same product without the transpose
            if r.layout == "vec" and (a := self._untransposed(l)) is not None:
                return Emitted(f"{self.c(r, MATMUL)} @ {self.c(a, MATMUL, right=True)}", MATMUL)
            if l.layout == "vec" and (a := self._untransposed(r)) is not None:
                return Emitted(f"{self.c(a, MATMUL)} @ {self.c(l, MATMUL, right=True)}", MATMUL)
        return Emitted(f"{self.c(l, MATMUL)} @ {self.c(r, MATMUL, right=True)}", MATMUL)

    def _untransposed(self, n: Node) -> Node | None:
        """The matrix whose transpose ``n`` is, when it can be written in its place (not
        when the transpose is named and the matrix is written inline in that name)."""
        if n.op != "T" or n.layout != "mat":
            return None
        a = n.args[0]
        if self.code[n.id][0].isidentifier() and not self.code[a.id][0].isidentifier():
            return None
        return a

    @emits("T")
    def _transpose(self, n: Node) -> Emitted:
        if n.layout == "vec":  # a 1-D array is its own transpose
            return self.same(n)
        return Emitted(self.be.transpose(self.c(n.args[0], ATOM)), ATOM)

    @emits("rowscale")
    def _rowscale(self, n: Node) -> Emitted:
        v, x = n.args
        return Emitted(f"{self.c(v, ATOM)}[:, None] * {self.c(x, MUL, right=True)}", MUL)

    @emits("colscale")
    def _colscale(self, n: Node) -> Emitted:
        x, v = n.args
        return Emitted(f"{self.c(x, MUL)} * {self.c(v, MUL, right=True)}", MUL)

    @emits("kron")
    def _kron(self, n: Node) -> Emitted:
        text = self.be.kron(*(self._as2d(x) for x in n.args))
        if n.layout == "vec":
            text = self.be.reshape(text, "-1")
        return Emitted(text, ATOM)

    def _as2d(self, x: Node) -> str:
        t = self.c(x, ATOM)
        if x.layout == "vec":
            return f"{t}[:, None]" if x.shape[1] == 1 else f"{t}[None, :]"
        if x.layout == "scalar":
            return self.be.reshape(t, "1, 1")
        return t

    @emits("vec")
    def _vec(self, n: Node) -> Emitted:
        x = n.args[0]
        if x.layout != "mat":
            return self.same(n)
        return Emitted(self.be.reshape(self.be.transpose(self.c(x, ATOM)), "-1"), ATOM)

    @emits("reshape")
    def _reshape(self, n: Node) -> Emitted:
        if n.layout != "mat":
            return self.same(n)
        rows, cols = n.attr
        flat = self.be.reshape(self.c(n.args[0], ATOM), f"{self.dim(cols)}, {self.dim(rows)}")
        return Emitted(self.be.transpose(flat), ATOM)

    @emits("commutation")
    def _commutation(self, n: Node) -> Emitted:
        m, k = n.attr
        return Emitted(self.be.commutation(self.dim(m), self.dim(k)), ATOM)

    # -- reductions
    def _reduction_prec(self) -> float:
        """The precedence the operands of a reduction call need (atoms, if it is operators)."""
        return POW if self.be.operator_reductions else 0

    @emits("sum")
    def _sum(self, n: Node) -> Emitted:
        return Emitted(f"{self.c(n.args[0], ATOM)}.sum()", ATOM)

    @emits("rowsum")
    def _rowsum(self, n: Node) -> Emitted:
        return Emitted(self.be.sum_axis(self.c(n.args[0], ATOM), 1), ATOM)

    @emits("colsum")
    def _colsum(self, n: Node) -> Emitted:
        return Emitted(self.be.sum_axis(self.c(n.args[0], ATOM), 0), ATOM)

    @emits("dot")
    def _dot(self, n: Node) -> Emitted:
        x, y = n.args
        if x.layout == "vec":
            return Emitted(f"{self.c(x, MATMUL)} @ {self.c(y, MATMUL, right=True)}", MATMUL)
        if x.op == "T" and y.op != "T":
            x, y = y, x
        pr = self._reduction_prec()
        if y.op == "T":
            return Emitted(self.be.dot_mat(self.c(x, pr), self.c(y.args[0], pr), True), ATOM)
        return Emitted(self.be.dot_mat(self.c(x, pr), self.c(y, pr), False), ATOM)

    @emits("diagprod")
    def _diagprod(self, n: Node) -> Emitted:
        pr = self._reduction_prec()
        p, q = n.args
        return Emitted(self.be.diagprod(self.c(p, pr), self.c(q, pr)), ATOM)

    @emits(*_CALLS)
    def _call(self, n: Node) -> Emitted:
        lse = self.from_lse.get(n.id)
        if lse is not None:  # softmax(x) = exp(x - logsumexp(x)), the latter computed
            return Emitted(self.be.softmax_from_logsumexp(self.c(n.args[0], ADD),
                                                          self.c(lse, ATOM), n.attr), ATOM)
        if n.attr is not None:  # softmax or logsumexp of a matrix, along the axis
            return Emitted(self.be.along(n.op, self.c(n.args[0]), n.attr), ATOM)
        return Emitted(_CALLS[n.op](self.be, self.c(n.args[0])), ATOM)

    # -- solves
    @emits("solve")
    def _solve(self, n: Node) -> Emitted:
        a, b = n.args
        return Emitted(self.be.solve(self.c(a), self.c(b)), ATOM)

    @emits("solve_right")
    def _solve_right(self, n: Node) -> Emitted:
        """B*inv(A) = solve(A', B')'."""
        b, a = n.args
        at = self._transposed(a)
        if b.layout == "vec":
            return Emitted(self.be.solve(at, self.c(b)), ATOM)
        return Emitted(self.be.transpose(self.be.solve(at, self._transposed(b))), ATOM)

    def _transposed(self, x: Node) -> str:
        return self.c(x.args[0]) if x.op == "T" else self.be.transpose(self.c(x, ATOM))

    # -- matrix and spectral functions (:mod:`.spectral`)
    @emits("decomp")
    def _decomp(self, n: Node) -> Emitted:
        x = n.args[0]
        if x.layout != "vec":
            return Emitted(self.be.decomp(n.attr, self.c(x)), ATOM)
        # the SVD of a vector: of its 2-D form, the values then in the node's layout
        return Emitted(self._flat(self.be.decomp(n.attr, self._as2d(x)), n), ATOM)

    @emits("part")
    def _part(self, n: Node) -> Emitted:
        text = f"{self.c(n.args[0], ATOM)}[{n.attr}]"
        return Emitted(self._flat(text, n) if n.args[0].args[0].layout == "vec" else text,
                       ATOM)

    def _flat(self, text: str, n: Node) -> str:
        """A 2-D (or 1-D) result reshaped to ``n``'s layout: 1-D for a vector, 0-d for a
        scalar."""
        if n.layout == "mat" or n.op == "decomp" and n.attr in ("svd", "eigh"):
            return text
        return self.be.reshape(text, "-1" if n.layout == "vec" else "()")

    @emits("pick")
    def _pick(self, n: Node) -> Emitted:
        """M[i, j], M[:, j], M[i, :] (1-based, 0 for all) as 0-based slicing; a vector is
        1-D in the generated code, so it takes one index."""
        x = n.args[0]
        row, col = n.attr
        if x.layout == "vec":
            index = str((row if x.shape[1] == 1 else col) - 1)
        else:
            index = ", ".join(":" if k == 0 else str(k - 1) for k in (row, col))
        return Emitted(f"{self.c(x, ATOM)}[{index}]", ATOM)

    @emits("matfun")
    def _matfun(self, n: Node) -> Emitted:
        return Emitted(self.be.matfun(n.attr, self.c(n.args[0])), ATOM)

    @emits("eigfun")
    def _eigfun(self, n: Node) -> Emitted:
        return Emitted(self.be.eigfun(n.attr, self.c(n.args[0])), ATOM)

    @emits("frechet")
    def _frechet(self, n: Node) -> Emitted:
        name, with_value = n.attr
        x, e = (self.c(a) for a in n.args)
        return Emitted(self.be.frechet(name, x, e, with_value), ATOM)

    @emits("eigfrechet")
    def _eigfrechet(self, n: Node) -> Emitted:
        return Emitted(self.be.eigfrechet(n.attr, *(self.c(a) for a in n.args)), ATOM)

    @emits("sylvester")
    def _sylvester(self, n: Node) -> Emitted:
        return Emitted(self.be.sylvester(*(self.c(a) for a in n.args)), ATOM)

    # -- statements of their own
    @emits("tensor")
    def _tensor(self, n: Node) -> Emitted:
        name, stmts = tensor(self, n)
        return Emitted(name, ATOM, tuple(stmts))

    @emits("select")
    def _select(self, n: Node) -> Emitted:
        """A chain ordered at run time: each candidate order with its flop count, the
        cheapest chosen by comparing them."""
        name = self.fresh()
        saved = self.slot_code
        self.slot_code = {i: self.c(x, ATOM) for i, x in enumerate(n.args)}
        cands = [(self._cost(cost), self._candidate(cn)) for cost, cn in n.attr]
        self.slot_code = saved
        stmts = ["# the cheapest order of this product depends on the sizes: compare flop counts"]
        if len(cands) == 2:
            stmts += [f"if {cands[0][0]} <= {cands[1][0]}:", f"    {name} = {cands[0][1]}",
                      "else:", f"    {name} = {cands[1][1]}"]
            return Emitted(name, ATOM, tuple(stmts))
        stmts.append(f"_costs = [{', '.join(c for c, _ in cands)}]")
        for i, (_, code) in enumerate(cands[:-1]):
            stmts += [f"{'if' if i == 0 else 'elif'} _costs[{i}] == min(_costs):",
                      f"    {name} = {code}"]
        stmts += ["else:", f"    {name} = {cands[-1][1]}"]
        return Emitted(name, ATOM, tuple(stmts))

    def _cost(self, cost: str) -> str:
        """A flop count with its dimensions (marked \\x00name\\x01) named as in the code."""
        return re.sub("\x00(.*?)\x01", lambda m: self.dim(m.group(1)), cost)

    def _candidate(self, root: Node) -> str:
        """One order of a chain as a single expression over the slots."""
        sub = copy.copy(self)  # the same names and slots; its own expressions
        sub.code = {}
        order, _ = schedule([root])
        for m in order:
            text, prec, stmts = sub.node(m)
            assert not stmts
            sub.code[m.id] = (text, prec)
        return sub.code[root.id][0]


def _softmax_from_logsumexp(order: list[Node]) -> dict[int, Node]:
    """The softmax nodes whose logsumexp (same argument, same axis) is computed before them
    (a value and its gradient): by the softmax's id, that logsumexp node."""
    lse: dict[tuple[int, object], Node] = {}
    out: dict[int, Node] = {}
    for n in order:
        if n.op == "logsumexp":
            lse.setdefault((n.args[0].id, n.attr), n)
        elif n.op == "softmax" and (n.args[0].id, n.attr) in lse:
            out[n.id] = lse[(n.args[0].id, n.attr)]
    return out
