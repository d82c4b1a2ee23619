"""Printing a plan as a self-contained Python module, for any array backend.

The backend-neutral part lives here: evaluation order (children before
parents, outputs in order), which nodes get a temporary (used more than once,
or a statement of their own) and which are written inline, operator
precedence, the function's prologue (conversion of the inputs, the shape
checks with their messages, the sizes bound from the shapes), the return and
the ``check()`` helper.  A backend (``numpy_backend.py`` ...) says how each
operation is written.
"""

from __future__ import annotations

import keyword
import re
import textwrap
from dataclasses import dataclass, field

from ..errors import UnsupportedError
from . import tensor as TS
from .lir import Node, layout

ATOM, POW, UNARY, MUL, MATMUL, ADD = 100, 90, 80, 70, 70.5, 60


@dataclass
class Output:
    name: str  # the Python variable
    node: Node
    kind: str  # value | gradient | hessian | jacobian | derivative | map
    wrt: str | None
    description: str


@dataclass
class VarInfo:
    name: str  # matdiff name
    py: str  # Python identifier
    shape: tuple
    kind: str  # scalar | vector | matrix | symmetric | mask
    dim_scalar: bool = False  # a dimension name used as a scalar


@dataclass
class Spec:
    """Everything the printer needs beyond the plan."""

    expression: str
    types: dict
    variables: list[VarInfo]
    outputs: list[Output]
    domain: str
    wrt: list[str]
    hessian: bool
    extra_dims: list[str] = field(default_factory=list)  # sizes no variable's shape gives
    map_output: Output | None = None
    notes: list[str] = field(default_factory=list)


class Backend:
    """How operations are written.  Subclasses set ``xp`` and override what differs."""

    name = "numpy"
    xp = "np"
    imports = ["import numpy as np"]
    supports_scatter = True
    operator_reductions = False  # dot_mat / diagprod written with operators: atoms needed
    broadcast_outer = True  # an einsum that sums nothing is written as a broadcast product

    def __init__(self) -> None:
        self.helpers: dict[str, str] = {}

    # -- small pieces
    def helper(self, name: str, source: str) -> str:
        self.helpers.setdefault(name, textwrap.dedent(source).strip("\n"))
        return name

    def unsupported(self, what: str) -> None:
        raise UnsupportedError(f"the {self.name} backend cannot generate code for {what}")

    def zeros(self, shape_code: str) -> str:
        return f"{self.xp}.zeros({shape_code})"

    def ones(self, shape_code: str) -> str:
        return f"{self.xp}.ones({shape_code})"

    def full(self, shape_code: str, value: str) -> str:
        return f"{self.xp}.full({shape_code}, {value})"

    def eye(self, n: str) -> str:
        return f"{self.xp}.eye({n})"

    def func(self, name: str, x: str) -> str:
        xp = self.xp
        simple = {"exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "abs",
                  "sign"}
        if name in simple:
            return f"{xp}.{name}({x})"
        if name == "relu":
            return f"{xp}.maximum({x}, 0.0)"
        if name == "softplus":
            return f"{xp}.logaddexp(0.0, {x})"
        if name == "sigmoid":
            self.helper("_sigmoid", f'''
                def _sigmoid(x):
                    """1/(1 + exp(-x)) without overflow: exp of -|x| only."""
                    e = {xp}.exp(-{xp}.abs(x))
                    return {xp}.where(x >= 0, 1.0, e) / (1.0 + e)
            ''')
            return f"_sigmoid({x})"
        raise AssertionError(name)

    def outer(self, a: str, b: str) -> str:
        return f"{self.xp}.outer({a}, {b})"

    def dot_mat(self, a: str, b: str, b_transposed: bool) -> str:
        if b_transposed:
            return f"{self.xp}.einsum('ij,ji->', {a}, {b})"
        return f"{self.xp}.vdot({a}, {b})"

    def sum_axis(self, x: str, axis: int) -> str:
        return f"{x}.sum(axis={axis})"

    def trace(self, x: str) -> str:
        return f"{self.xp}.trace({x})"

    def det(self, x: str) -> str:
        return f"{self.xp}.linalg.det({x})"

    def logdet(self, x: str) -> str:
        return f"{self.xp}.linalg.slogdet({x})[1]"

    def inv(self, x: str) -> str:
        return f"{self.xp}.linalg.inv({x})"

    def solve(self, a: str, b: str) -> str:
        return f"{self.xp}.linalg.solve({a}, {b})"

    def diag(self, v: str) -> str:
        return f"{self.xp}.diag({v})"

    def diagpart(self, x: str) -> str:
        return f"{self.xp}.diagonal({x})"

    def diagprod(self, p: str, q: str) -> str:
        return f"{self.xp}.einsum('ij,ji->i', {p}, {q})"

    def logsumexp(self, x: str) -> str:
        xp = self.xp
        self.helper("_logsumexp", f'''
            def _logsumexp(x):
                """log(sum(exp(x))), shifted by the maximum: no overflow."""
                m = x.max()
                return m + {xp}.log({xp}.exp(x - m).sum())
        ''')
        return f"_logsumexp({x})"

    def softmax(self, x: str) -> str:
        xp = self.xp
        self.helper("_softmax", f'''
            def _softmax(x):
                """exp(x)/sum(exp(x)), shifted by the maximum: no overflow."""
                e = {xp}.exp(x - x.max())
                return e / e.sum()
        ''')
        return f"_softmax({x})"

    def kron(self, a: str, b: str) -> str:
        return f"{self.xp}.kron({a}, {b})"

    def commutation(self, m: str, n: str) -> str:
        self.helper("_commutation", f'''
            def _commutation(m, n):
                """K with K @ vec(A) = vec(A.T) for an m x n matrix A (vec stacks columns)."""
                i, j = np.meshgrid(np.arange(m), np.arange(n), indexing="ij")
                k = np.zeros((m * n, m * n))
                k[(i * n + j).reshape(-1), (j * m + i).reshape(-1)] = 1.0
                return {self.from_numpy("k")}
        ''')
        return f"_commutation({m}, {n})"

    def from_numpy(self, name: str) -> str:
        """The backend's array from the NumPy array ``name`` (built by a helper)."""
        return name

    def einsum(self, spec: str, ops: list[str]) -> str:
        return f"{self.xp}.einsum('{spec}', {', '.join(ops)}, optimize=True)"

    def diag_add(self, buf: str, sizes: str, pattern: tuple, value: str) -> list[str]:
        """Statements adding ``value`` (indexed by distinct letters) into a diagonal view."""
        self.helper("_diagonal_view", '''
            def _diagonal_view(buf, sizes, pattern):
                """A writable view of buf reshaped to sizes, whose axes with the same letter
                in pattern are one axis (a diagonal): the block structure of a kron."""
                full = buf.reshape(sizes)
                shape, strides = [0] * (max(pattern) + 1), [0] * (max(pattern) + 1)
                for axis, letter in enumerate(pattern):
                    shape[letter] = sizes[axis]
                    strides[letter] += full.strides[axis]
                return np.lib.stride_tricks.as_strided(full, shape, strides)
        ''')
        return [f"_diagonal_view({buf}, {sizes}, {pattern})[...] += {value}"]

    def add_into(self, buf: str, value: str) -> list[str]:
        return [f"{buf} += {value}"]

    def reshape(self, x: str, sizes: str) -> str:
        return f"{x}.reshape({sizes})"

    def transpose(self, x: str) -> str:
        return f"{x}.T"

    # -- function boundary
    def to_array(self, x: str) -> str:
        return f"np.asarray({x}, dtype=np.float64)"

    def to_scalar(self, x: str) -> str:
        return f"np.float64(np.asarray({x}, dtype=np.float64).reshape(()))"

    def to_numpy(self) -> str:
        return "np.asarray(x, dtype=np.float64)"

    def dim_scalar(self, d: str) -> str:
        return f"np.float64({d})"

    def wrap_function(self, name: str) -> list[str]:
        return []

    def header_notes(self) -> list[str]:
        return []

    def function_name(self) -> str:
        return "f"

    def extra_params(self) -> list[str]:
        return []

    def return_statement(self, returns: str) -> str:
        return f"return {returns}"

    def preamble(self) -> list[str]:
        return []

    def call_for_check(self) -> str:
        return "f"

    def shape_of(self, x: str) -> str:
        return f"tuple({x}.shape)"

    def boundary_helpers(self) -> str:
        conv = self.to_array("x")
        return textwrap.dedent(f'''
            def _matrix(x, name, text):
                x = {conv}
                if x.ndim != 2:
                    raise ValueError(f"{{name}} must be a {{text}}; got an array of shape {{tuple(x.shape)}}")
                return x


            def _vector(x, name, text, keep=False):
                x = {conv}
                shape = tuple(x.shape)
                if x.ndim == 2 and 1 in shape:
                    x = x.reshape(-1)
                if x.ndim != 1:
                    raise ValueError(f"{{name}} must be a {{text}} (a 1-D or n x 1 array); got an "
                                     f"array of shape {{shape}}")
                return (x, shape) if keep else x


            def _scalar(x, name):
                x = {conv}
                if x.ndim > 2 or tuple(x.shape) not in ((), (1,), (1, 1)):
                    raise ValueError(f"{{name}} must be a scalar; got an array of shape {{tuple(x.shape)}}")
                return x.reshape(())
        ''').strip("\n")


# ----------------------------------------------------------------------------- the printer


class Printer:
    def __init__(self, backend: Backend, spec: Spec):
        self.be = backend
        self.spec = spec
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        reserved = {"np", "jnp", "jax", "torch", "da", "dask", "math", "f", "check", "value"}
        self.taken = reserved | {v.py for v in spec.variables}
        self.dimname: dict[str, str] = {}
        for v in spec.variables:
            for d in v.shape:
                for a in _atoms(d):
                    if isinstance(a, str) and a not in self.dimname:
                        self.dimname[a] = self._dim_py(a)
        for d in spec.extra_dims:
            if d not in self.dimname:
                self.dimname[d] = self._dim_py(d)
        self.tmp = "t" if not any(re.fullmatch(r"t\d+", n) for n in self.taken) else "tmp_"
        self.counter = 0

    def _dim_py(self, d: str) -> str:
        py = d if d.isidentifier() and not keyword.iskeyword(d) else "dim_" + re.sub(r"\W", "_", d)
        while py in self.taken:
            py = py + "_"
        self.taken.add(py)
        return py

    # -- sizes
    def dim(self, d) -> str:
        parts = []
        for a in _atoms(d):
            if isinstance(a, int):
                parts.append(str(a))
            else:
                if a not in self.dimname:
                    self.dimname[a] = self._dim_py(a)
                parts.append(self.dimname[a])
        return "*".join(parts)

    def size(self, s: TS.Size) -> str:
        k, names = s
        parts = ([str(k)] if k != 1 or not names else []) + [self.dim(n) for n in names]
        return "*".join(parts)

    def shape_code(self, shape) -> str:
        lay = layout(shape)
        if lay == "scalar":
            return "()"
        if lay == "vec":
            return f"({self.dim(shape[0] if shape[1] == 1 else shape[1])},)"
        return f"({self.dim(shape[0])}, {self.dim(shape[1])})"

    # -- scheduling
    def schedule(self, roots: list[Node]) -> tuple[list[Node], dict[int, int]]:
        order: list[Node] = []
        seen: set[int] = set()
        uses: dict[int, int] = {}
        for r in roots:
            stack = [(r, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    order.append(n)
                    continue
                if n.id in seen:
                    continue
                seen.add(n.id)
                stack.append((n, True))
                for a in reversed(n.args):
                    if a.id not in seen:
                        stack.append((a, False))
        for n in order:
            for a in n.args:
                uses[a.id] = uses.get(a.id, 0) + 1
        for r in roots:
            uses[r.id] = uses.get(r.id, 0) + 1
        return order, uses

    def emit(self, roots: list[Output]) -> list[str]:
        order, uses = self.schedule([o.node for o in roots])
        out_names = {}
        for o in roots:
            out_names.setdefault(o.node.id, o.name)
        self.code: dict[int, tuple[str, int]] = {}
        body: list[str] = []
        for n in order:
            text, prec, stmts = self.node(n)
            body.extend(stmts)
            if stmts and text.isidentifier():  # the statements assigned it
                if n.id in out_names:
                    body.append(f"{out_names[n.id]} = {text}")
                    text = out_names[n.id]
                self.code[n.id] = (text, ATOM)
                continue
            inline = (n.op in ("arg", "const", "dimval", "slot")
                      or (n.op == "T" and n.layout == "vec")
                      or (n.op == "T" and n.args[0].op == "arg")
                      or (uses.get(n.id, 0) <= 1 and n.id not in out_names and not stmts
                          and len(text) <= 70))
            if n.id in out_names and not (n.op == "arg"):
                name = out_names[n.id]
                body.append(f"{name} = {text}")
                self.code[n.id] = (name, ATOM)
            elif inline:
                self.code[n.id] = (text, prec)
            else:
                self.counter += 1
                name = f"{self.tmp}{self.counter}"
                body.append(f"{name} = {text}")
                self.code[n.id] = (name, ATOM)
        self.final = {o.name: self.code[o.node.id][0] for o in roots}
        return body

    def c(self, n: Node, prec: int = 0, right: bool = False) -> str:
        text, p = self.code[n.id]
        if p < prec or (right and p == prec) or (int(p) == int(prec) == MUL and p != prec):
            return f"({text})"
        return text

    # -- one node: (expression, precedence, statements before it)
    def node(self, n: Node) -> tuple[str, int, list[str]]:
        be, op = self.be, n.op
        a = n.args
        if op == "arg":
            return self.var_py(n.attr), ATOM, []
        if op == "slot":
            return self.slot_code[n.attr], ATOM, []
        if op == "const":
            return _num(n.attr), (ATOM if n.attr >= 0 else UNARY), []
        if op == "dimval":
            return be.dim_scalar(self.dim(n.attr)), ATOM, []
        if op == "zeros":
            return (be.zeros(self.shape_code(n.shape)) if n.layout != "scalar" else "0.0"), ATOM, []
        if op == "ones":
            return (be.ones(self.shape_code(n.shape)) if n.layout != "scalar" else "1.0"), ATOM, []
        if op == "full":
            return be.full(self.shape_code(n.shape), self.c(a[0])), ATOM, []
        if op == "eye":
            return be.eye(self.dim(n.shape[0])), ATOM, []
        if op == "add":
            parts = []
            for i, (s, x) in enumerate(zip(n.attr, a)):
                t = self.c(x, ADD, right=(i > 0 and s < 0))
                parts.append(t if i == 0 and s > 0 else (f"- {t}" if s < 0 else f"+ {t}"))
            text = " ".join(parts)
            if text.startswith("- "):
                text = "-" + text[2:]
            return text, ADD, []
        if op == "mul":
            return " * ".join(self.c(x, MUL, right=(i > 0)) for i, x in enumerate(a)), MUL, []
        if op == "div":
            return f"{self.c(a[0], MUL)} / {self.c(a[1], MUL, right=True)}", MUL, []
        if op == "pow":
            return f"{self.c(a[0], POW + 1)} ** {self.c(a[1], POW)}", POW, []
        if op == "neg":
            return f"-{self.c(a[0], UNARY)}", UNARY, []
        if op == "func":
            if n.attr == "sqrt" and a[0].op == "dot":  # a norm
                pass
            return be.func(n.attr, self.c(a[0])), ATOM, []
        if op == "matmul":
            l, r = a
            if l.layout == "vec" and r.layout == "vec" and l.shape[1] == 1 and r.shape[0] == 1:
                pr = POW if be.operator_reductions else 0
                return be.outer(self.c(l, pr), self.c(r, pr)), (MUL if pr else ATOM), []
            return f"{self.c(l, MATMUL)} @ {self.c(r, MATMUL, right=True)}", MATMUL, []
        if op == "T":
            if n.layout == "vec":
                t, p = self.code[a[0].id]
                return t, p, []
            return be.transpose(self.c(a[0], ATOM)), ATOM, []
        if op == "rowscale":
            return f"{self.c(a[0], ATOM)}[:, None] * {self.c(a[1], MUL, right=True)}", MUL, []
        if op == "colscale":
            return f"{self.c(a[0], MUL)} * {self.c(a[1], MUL, right=True)}", MUL, []
        if op == "sum":
            return f"{self.c(a[0], ATOM)}.sum()", ATOM, []
        if op == "rowsum":
            return be.sum_axis(self.c(a[0], ATOM), 1), ATOM, []
        if op == "colsum":
            return be.sum_axis(self.c(a[0], ATOM), 0), ATOM, []
        if op == "dot":
            x, y = a
            if x.layout == "vec":
                return f"{self.c(x, MATMUL)} @ {self.c(y, MATMUL, right=True)}", MATMUL, []
            if x.op == "T" and y.op != "T":
                x, y = y, x
            pr = POW if be.operator_reductions else 0
            if y.op == "T":
                return be.dot_mat(self.c(x, pr), self.c(y.args[0], pr), True), ATOM, []
            return be.dot_mat(self.c(x, pr), self.c(y, pr), False), ATOM, []
        if op == "trace":
            return be.trace(self.c(a[0])), ATOM, []
        if op == "det":
            return be.det(self.c(a[0])), ATOM, []
        if op == "logdet":
            return be.logdet(self.c(a[0])), ATOM, []
        if op == "inv":
            return be.inv(self.c(a[0])), ATOM, []
        if op == "solve":
            return be.solve(self.c(a[0]), self.c(a[1])), ATOM, []
        if op == "solve_right":  # B*inv(A) = solve(A', B')'
            bb, aa = a
            at = self.c(aa.args[0]) if aa.op == "T" else be.transpose(self.c(aa, ATOM))
            if bb.layout == "vec":
                return be.solve(at, self.c(bb)), ATOM, []
            bt = self.c(bb.args[0]) if bb.op == "T" else be.transpose(self.c(bb, ATOM))
            return be.transpose(f"{be.solve(at, bt)}"), ATOM, []
        if op == "diag":
            return be.diag(self.c(a[0])), ATOM, []
        if op == "diagpart":
            return be.diagpart(self.c(a[0])), ATOM, []
        if op == "diagprod":
            pr = POW if be.operator_reductions else 0
            return be.diagprod(self.c(a[0], pr), self.c(a[1], pr)), ATOM, []
        if op == "logsumexp":
            return be.logsumexp(self.c(a[0])), ATOM, []
        if op == "softmax":
            return be.softmax(self.c(a[0])), ATOM, []
        if op == "kron":
            ops = [self._as2d(x) for x in a]
            text = be.kron(*ops)
            if n.layout == "vec":
                text = be.reshape(text, "-1")
            return text, ATOM, []
        if op == "vec":
            x = a[0]
            if x.layout != "mat":
                t, p = self.code[x.id]
                return t, p, []
            return be.reshape(be.transpose(self.c(x, ATOM)), "-1"), ATOM, []
        if op == "reshape":
            rows, cols = n.attr
            if n.layout != "mat":
                t, p = self.code[a[0].id]
                return t, p, []
            return be.transpose(be.reshape(self.c(a[0], ATOM), f"{self.dim(cols)}, {self.dim(rows)}")), ATOM, []
        if op == "commutation":
            m, nn = n.attr
            return be.commutation(self.dim(m), self.dim(nn)), ATOM, []
        if op == "select":
            return self.select(n)
        if op == "tensor":
            return self.tensor(n)
        raise AssertionError(f"no printer for {op}")

    def _as2d(self, x: Node) -> str:
        t = self.c(x, ATOM)
        if x.layout == "vec":
            return f"{t}[:, None]" if x.shape[1] == 1 else f"{t}[None, :]"
        if x.layout == "scalar":
            return self.be.reshape(t, "1, 1")
        return t

    def var_py(self, name: str) -> str:
        for v in self.spec.variables:
            if v.name == name:
                return v.py
        return _py(name)

    # -- a chain ordered at run time
    def select(self, n: Node) -> tuple[str, int, list[str]]:
        self.counter += 1
        name = f"{self.tmp}{self.counter}"
        saved = getattr(self, "slot_code", None)
        self.slot_code = {i: self.c(x, ATOM) for i, x in enumerate(n.args)}
        cands = []
        for cost, cn in n.attr:
            cost = re.sub("\x00(.*?)\x01", lambda m: self.dim(m.group(1)), cost)
            sub = Printer.__new__(Printer)
            sub.__dict__.update(self.__dict__)
            sub.code = {}
            order, _ = sub.schedule([cn])
            for m in order:
                t, p, st = sub.node(m)
                assert not st
                sub.code[m.id] = (t, p)
            cands.append((cost, sub.code[cn.id][0]))
        self.slot_code = saved
        stmts = ["# the cheapest order of this product depends on the sizes: compare flop counts"]
        if len(cands) == 2:
            stmts += [f"if {cands[0][0]} <= {cands[1][0]}:", f"    {name} = {cands[0][1]}",
                      "else:", f"    {name} = {cands[1][1]}"]
        else:
            cs = ", ".join(f"{c}" for c, _ in cands)
            stmts.append(f"_costs = [{cs}]")
            for i, (_, code) in enumerate(cands):
                kw = "if" if i == 0 else "elif"
                if i == len(cands) - 1:
                    stmts += ["else:", f"    {name} = {code}"]
                else:
                    stmts += [f"{kw} _costs[{i}] == min(_costs):", f"    {name} = {code}"]
        return name, ATOM, stmts

    # -- kron-structured terms
    def tensor(self, n: Node) -> tuple[str, int, list[str]]:
        plan: TS.TensorPlan = n.attr
        be = self.be
        self.counter += 1
        name = f"{self.tmp}{self.counter}"
        lay = n.layout
        final = {"scalar": None, "vec": "-1",
                 "mat": f"{self.dim(n.shape[0])}, {self.dim(n.shape[1])}"}[lay]
        stmts = ["# Kronecker structure: einsum terms, no kron(...) formed"]
        term_codes = []
        for t in plan.terms:
            term_codes.append(self.term(t, n.args))
        simple = [not tc["scatter"] for tc in term_codes]
        if len(term_codes) == 1 and simple[0]:
            v = term_codes[0]["value"]
            stmts.append(f"{name} = {be.reshape(v, final) if final else v}")
            return name, ATOM, stmts
        if lay == "scalar":
            stmts.append(f"{name} = " + " + ".join(tc["value"] for tc in term_codes))
            return name, ATOM, stmts
        if not self.be.supports_scatter and not all(simple):
            self.be.unsupported("a Kronecker product with a repeated index (a block diagonal)")
        stmts.append(f"{name} = {be.zeros(self.shape_code(n.shape))}")
        for tc in term_codes:
            if not tc["scatter"]:
                stmts += be.add_into(name, be.reshape(tc["value"], final))
            else:
                stmts += be.diag_add(name, tc["sizes"], tc["pattern"], tc["value"])
        return name, ATOM, stmts

    def term(self, t: TS.TermPlan, args: tuple) -> dict:
        be = self.be
        in_ops = {c for _, ls in t.ops for c in ls}
        uniq: list[str] = []
        for l in t.out:
            if l not in uniq:
                uniq.append(l)
        present = [l for l in uniq if l in in_ops]
        coef_parts = []
        num = t.num
        negate = num < 0
        num = abs(num)
        if num != 1:
            coef_parts.append(_num(num))
        coef_parts += [self.c(args[i], MUL) for i in t.coefs]
        coef_parts += [be.dim_scalar(self.size(t.sizes[l])) for l in t.free]
        ops_code = []
        for i, ls in t.ops:
            x = args[i]
            natural = {"vec": 1, "mat": 2, "scalar": 0}[x.layout]
            code = self.c(x, ATOM)
            if len(ls) != natural:
                code = be.reshape(code, ", ".join(self.size(t.sizes[l]) for l in ls))
            ops_code.append(code)
        if t.ops:
            spec = ",".join("".join(ls) for _, ls in t.ops) + "->" + "".join(present)
            trivial = len(t.ops) == 1 and "".join(t.ops[0][1]) == "".join(present)
            if coef_parts:
                # scale the operand with the fewest indices
                k = min(range(len(t.ops)), key=lambda i: len(t.ops[i][1]))
                ops_code[k] = " * ".join(coef_parts + [_paren(ops_code[k])])
            if negate:
                ops_code[k if coef_parts else 0] = "-" + _paren(ops_code[k if coef_parts else 0])
            letters = [c for _, ls in t.ops for c in ls]
            outer = (len(t.ops) > 1 and len(set(letters)) == len(letters)
                     and set(letters) == set(present) and be.broadcast_outer
                     and all(len(ls) <= 2 for _, ls in t.ops))
            if trivial:
                value = ops_code[0]
            elif outer:  # no index is summed: a broadcast product, not an einsum
                parts = []
                for (_, ls), code in zip(t.ops, ops_code):
                    if len(ls) == 2 and present.index(ls[0]) > present.index(ls[1]):
                        code = be.transpose(_paren(code))
                    idx = ", ".join(":" if c in ls else "None" for c in present)
                    parts.append(f"{_paren(code)}[{idx}]")
                value = "(" + " * ".join(parts) + ")"
            else:
                value = be.einsum(spec, ops_code)
        else:
            value = " * ".join(coef_parts) if coef_parts else "1.0"
            value = "-" + _paren(value) if negate else value
        scatter = len(uniq) != len(t.out) or len(present) != len(uniq)
        res = {"value": value, "scatter": scatter}
        if scatter:
            if len(present) != len(uniq) and t.ops:
                idx = ", ".join(":" if l in present else "None" for l in uniq)
                res["value"] = f"{_paren(value)}[{idx}]"
            res["sizes"] = "(" + ", ".join(self.size(t.sizes[l]) for l in t.out) + ",)"
            res["pattern"] = tuple(uniq.index(l) for l in t.out)
        return res


def _paren(code: str) -> str:
    return code if re.fullmatch(r"[\w.]+(\(.*\))?", code) and code.count("(") <= 1 else f"({code})"


def _num(x: float) -> str:
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _atoms(d):
    if isinstance(d, int):
        return [d]
    return [int(p) if p.isdigit() else p for p in str(d).split("*")]


def _py(name: str) -> str:
    if keyword.iskeyword(name) or name in ("np", "jnp", "jax", "torch", "da", "dask", "math",
                                           "f", "check", "value"):
        return name + "_"
    return name
