"""Step-by-step derivations in the differential style, and an index-notation view.

The derivation the best answers to our users' questions write by hand:

1. name the inner pieces (``R = X*W - Y``);
2. write f with them, using the Frobenius product ``A : B = sum(A.*B)``;
3. take the differential, rule by rule (``d(R : R) = 2*R : dR``);
4. the differential of each piece (``dR = X*dW``), substituted;
5. move everything to the form ``G : dW`` (``A : B*C = B'*A : C``);
6. read off the gradient ``G``.

Every step is an equation ``lhs = rhs`` whose two sides are IR expressions, so
tests can check each one on random data (:func:`step_values`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import algebra as A
from . import functions as F
from .differentiate import differential
from .errors import UnsupportedError
from .factor import factor
from .ir import (
    Add,
    Det,
    Differential,
    EigVecs,
    Expr,
    Func,
    Hadamard,
    Identity,
    Inv,
    LogDet,
    LogSumExp,
    Mul,
    Norm,
    Num,
    Pow,
    Softmax,
    Sum,
    Sym,
    Trace,
    Transpose,
    differential_tag,
)
from .ops import MATRIX_OPS
from .printing import LatexPrinter, TextPrinter

if TYPE_CHECKING:
    from .pipeline import Result
    from .typecheck import Program

MATRIX_NAMES = ["R", "S", "T", "Q", "Z", "E", "H", "G"]
VECTOR_NAMES = ["r", "s", "t", "q", "z", "e", "h", "g"]
SCALAR_NAMES = ["c", "k", "a", "b"]


@dataclass(frozen=True)
class Frob:
    """The Frobenius product ``left : right`` (a display form of ``sum(left.*right)``)."""

    left: Expr
    right: Expr

    def value(self) -> Expr:
        if self.left.is_scalar:
            return A.mul(self.left, self.right)
        return A.sum_(A.hadamard(self.left, self.right))


Side = Expr | list  # an expression, or a sum of (coefficient, Frob) terms


@dataclass
class Step:
    rule: str
    lhs: str  # the left side, as text ("df", "R", "grad")
    rhs: Side
    text: str = ""
    latex: str = ""
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"rule": self.rule, "text": self.text, "latex": self.latex}


class Derivation:
    """Builds the steps for the gradient of a scalar f with respect to one variable."""

    def __init__(self, program: Program, result: Result) -> None:
        self.program = program
        self.result = result
        self.var: Sym = result.var
        self.f: Expr = program.expr
        self.pieces: list[tuple[Sym, Expr]] = []  # name -> definition in the pieces before it
        self.expand: dict[Expr, Expr] = {}  # piece symbol -> definition in the variables
        self.steps: list[Step] = []
        used = set(program.syms) | {"d" + n for n in program.syms}
        self.free_names = {k: [n for n in names if n not in used] for k, names in (
            ("matrix", MATRIX_NAMES), ("vector", VECTOR_NAMES), ("scalar", SCALAR_NAMES))}

    # -- pieces
    def choose_pieces(self) -> Expr:
        """Name the compound arguments of nonlinear operations that depend on the variable."""
        name = self.var.name
        replaced: dict[int, Expr] = {}
        for node in self.f.walk():
            if name not in node.free:
                continue
            for child in _nonlinear_arguments(node):
                if id(child) in replaced or not _worth_naming(child, self.var):
                    continue
                sym = self.new_piece(child, replaced)
                if sym is not None:
                    replaced[id(child)] = sym
        return _replace(self.f, replaced)

    def new_piece(self, definition: Expr, replaced: dict[int, Expr]) -> Sym | None:
        kind = ("scalar" if definition.is_scalar else
                "vector" if definition.shape[1] == 1 else "matrix")
        names = self.free_names[kind]
        if not names:
            return None
        sym = Sym(names.pop(0), definition.shape, kind)
        self.pieces.append((sym, _replace(definition, replaced)))
        self.expand[sym] = definition
        return sym

    # -- steps
    def build(self) -> list[Step]:
        self.add("the function", "f", self.f)
        f_named = self.choose_pieces()
        for sym, definition in self.pieces:
            self.add("definition", sym.name, definition)
        if self.pieces:
            moving = {self.var.name} | {p.name for p, _ in self.pieces}
            self.add("rewrite with the pieces", "f", _display_frob(f_named, moving))
        syms = [s for s, _ in self.pieces]
        moving = {self.var.name} | {p.name for p in syms}
        df = A.add_list([differential(f_named, s) for s in syms + [self.var]])
        self.add(_rules_of(f_named, moving), "df", _frob_form(factor(df)))
        for sym, definition in reversed(self.pieces):
            d_piece = A.add_list(differential(definition, s) for s in syms + [self.var])
            self.add(_rules_of(definition, moving), "d" + sym.name, factor(d_piece))
            df = F.substitute(df, {Differential(sym): d_piece})
            self.add(f"substitute d{sym.name}", "df", _frob_form(factor(df)))
        self.pull_back(df)
        return self.steps

    def pull_back(self, df: Expr) -> None:
        """Move every term to ``G : dX``, one identity at a time."""
        target = Differential(self.var)
        terms = _frob_form(factor(df))
        for _ in range(40):
            moved: list[tuple[Expr, Frob]] = []
            rules: list[str] = []
            for coeff, fr in terms:
                new, rule = _move(fr, target)
                moved.extend((A.mul(coeff, c), x) for c, x in new)
                if rule:
                    rules.append(rule)
            if not rules:
                break
            terms = moved
            self.add(", ".join(dict.fromkeys(rules)), "df", terms)
        g = factor(A.add_list(A.mul(c, fr.left) for c, fr in terms))
        if len(terms) > 1:
            self.add("collect the terms", "df", [(A.ONE, Frob(g, target))])
        g_named = g
        grad = self.result.expr
        if self.pieces and _has_eigvecs(g):
            expanded = F.substitute(g, {sym: d for sym, d in self.pieces})
            if not _has_eigvecs(expanded):  # V*diag(exp(eigvals(S)))*V' is expm(S)
                self.add("V*diag(f(eigvals(S)))*V' = f(S), V = eigvecs(S) (spectral theorem)",
                         "G", expanded)
        if self.var.kind == "symmetric":
            self.add("symmetric variable: the gradient is (G + G')/2", "grad", grad)
            return
        self.add("read off the gradient", f"grad_{self.var.name} f", g_named)
        if self.pieces:
            self.add("expand the pieces", f"grad_{self.var.name} f", grad)

    def add(self, rule: str, lhs: str, rhs: Side) -> None:
        self.steps.append(Step(rule, lhs, rhs))


# ----------------------------------------------------------------------------- helpers


def _nonlinear_arguments(node: Expr) -> list[Expr]:
    if isinstance(node, (Func, Norm, LogDet, Det, Inv, LogSumExp, Softmax)):
        return [node.children[0]]
    if isinstance(node, Pow):
        return [node.base]
    if isinstance(node, Hadamard):
        return [f for f in node.factors if isinstance(f, (Add, Mul))]
    if isinstance(node, Sum) and isinstance(node.arg, Hadamard):
        return [f for f in node.arg.factors]
    return []


def _worth_naming(e: Expr, var: Sym) -> bool:
    if var.name not in e.free or isinstance(e, (Sym, Norm, Func)):
        return False
    if isinstance(e, Transpose) and isinstance(e.arg, Sym):
        return False
    # a product of scalars and at most one variable (2*a*X) reads well as it is
    return not (isinstance(e, Mul) and all(f.is_scalar or isinstance(f, Sym) for f in e.factors)
                and sum(not f.is_scalar for f in e.factors) <= 1)


def _replace(e: Expr, replaced: dict[int, Expr]) -> Expr:
    """e with the named nodes (by identity in the original tree) replaced by their names."""
    done: dict[int, Expr] = {}
    for node in e.walk():
        if id(node) in replaced:
            done[id(node)] = replaced[id(node)]
        elif not node.children or isinstance(node, Differential):
            done[id(node)] = node
        else:
            args = tuple(tuple(done[id(x)] for x in a) if isinstance(a, tuple)
                         else done[id(a)] if isinstance(a, Expr) else a for a in node.args)
            same = all(x is y for x, y in zip(args, node.args))
            done[id(node)] = node if same else F.rebuild(node, args)
    return done[id(e)]


def _display_frob(e: Expr, moving: set[str]) -> Side:
    """f written with ``:`` where it reads better: ``norm(R)^2 = R : R``."""
    terms = e.terms if isinstance(e, Add) else (e,)
    out = []
    for t in terms:
        scalars, rest = _coeff_and_rest(t, moving)
        if isinstance(rest, Pow) and isinstance(rest.base, Norm) and rest.exponent == Num(2):
            out.append((scalars, Frob(rest.base.arg, rest.base.arg)))
        elif isinstance(rest, Sum) and isinstance(rest.arg, Hadamard) and \
                len(rest.arg.factors) == 2:
            out.append((scalars, Frob(*rest.arg.factors)))
        else:
            out.append((scalars, Frob(A.ONE, rest)))
    return out


def _coeff_and_rest(t: Expr, moving: set[str]) -> tuple[Expr, Expr]:
    """Split off the scalar factors that do not depend on the variable or the pieces."""
    if isinstance(t, Mul):
        const = [f for f in t.factors if f.is_scalar and not (f.free & moving)]
        rest = [f for f in t.factors if f not in const]
        if const and rest:
            return A.mul_list(const), A.mul_list(rest)
    return A.ONE, t


def _frob_form(lin: Expr) -> list[tuple[Expr, Frob]]:
    """A scalar linear form as a sum of ``coefficient * (G : L)``."""
    terms = lin.terms if isinstance(lin, Add) else (lin,)
    out = []
    for t in terms:
        c, rest = _split_dependent(t)
        if isinstance(rest, Sum) and isinstance(rest.arg, Hadamard):
            dep = [f for f in rest.arg.factors if _has_differential(f)]
            other = [f for f in rest.arg.factors if not _has_differential(f)]
            if len(dep) == 1 and other:
                out.append((c, Frob(A.hadamard_list(other), dep[0])))
                continue
        if isinstance(rest, Trace):
            out.append((c, Frob(A.identity(rest.arg.shape[0]), rest.arg)))
            continue
        if isinstance(rest, Mul) and len(rest.factors) == 2 and rest.factors[0].shape[0] == 1:
            a, b = A.transpose(rest.factors[0]), rest.factors[1]  # a'*b = a : b
            if _has_differential(a) and not _has_differential(b):
                a, b = b, a
            if not _has_differential(a):
                out.append((c, Frob(a, b)))
                continue
        out.append((c, Frob(A.ONE, rest)))
    return out


def _has_eigvecs(e: Expr) -> bool:
    return any(isinstance(n, EigVecs) for n in e.walk())


def _has_differential(e: Expr) -> bool:
    return any(tag.startswith(differential_tag("")) for tag in e.free)


def _split_dependent(t: Expr) -> tuple[Expr, Expr]:
    """Split a scalar term into its constant scalar factors and the part with a differential."""
    if isinstance(t, Mul):
        const = [f for f in t.factors if f.is_scalar and not _has_differential(f)]
        dep = [f for f in t.factors if f not in const]
        if const and dep:
            return A.mul_list(const), A.mul_list(dep)
    return A.ONE, t


def _move(fr: Frob, target: Differential) -> tuple[list[tuple[Expr, Frob]], str | None]:
    """One identity applied to ``G : L``, towards ``G' : dX``."""
    g, lin = fr.left, fr.right
    if lin is target:
        return [(A.ONE, fr)], None
    if not _has_differential(lin):
        return [(A.ONE, fr)], None
    match lin:
        case Add():
            return [(A.ONE, Frob(g, t)) for t in lin.terms if _has_differential(t)], \
                "A : (B + C) = A : B + A : C"
        case Transpose():
            return [(A.ONE, Frob(A.transpose(g), lin.arg))], "A : B' = A' : B"
        case _ if (op := MATRIX_OPS.get(type(lin))) and op.pullback and op.adjoint_rule:
            # tr, sum, diag, vec: the operation's own adjoint, named by its record
            return [(A.ONE, Frob(op.pullback(lin, g), lin.args[op.linear]))], op.adjoint_rule
        case Hadamard():
            dep = [f for f in lin.factors if _has_differential(f)]
            other = [f for f in lin.factors if not _has_differential(f)]
            if len(dep) == 1:
                return [(A.ONE, Frob(A.hadamard_list([g] + other), dep[0]))], \
                    "A : (B.*C) = (A.*B) : C"
        case Mul():
            fs = lin.factors
            deps = [i for i, f in enumerate(fs) if _has_differential(f)]
            if len(deps) == 1:
                i = deps[0]
                f = fs[i]
                scalars = [h for h in fs if h.is_scalar and h is not f]
                if f.is_scalar:
                    rest = A.mul_list([h for j, h in enumerate(fs) if j != i])
                    return [(A.ONE, Frob(Frob(g, rest).value(), f))], "A : (s*B) = (A : B)*s"
                chain = [h for h in fs if not h.is_scalar]
                j = chain.index(f)
                left, right = chain[:j], chain[j + 1:]
                new_g = A.mul_list(scalars + ([A.transpose(A.mul_list(left))] if left else [])
                                   + [g] + ([A.transpose(A.mul_list(right))] if right else []))
                if isinstance(g, type(A.identity(2))) and (left or right):
                    rule = "tr(B*C*D) = B'*D' : C" if left and right else (
                        "tr(B*C) = B' : C" if left else "tr(C*D) = D' : C")
                elif left and right:
                    rule = "A : B*C*D = B'*A*D' : C"
                elif left:
                    rule = "A : B*C = B'*A : C"
                elif right:
                    rule = "A : C*D = A*D' : C"
                else:
                    rule = "A : s*C = s*A : C"
                return [(A.ONE, Frob(new_g, f))], rule
    raise UnsupportedError(f"no step-by-step rule moves {TextPrinter().text(lin)} towards "
                           f"d{target.var.name}")


def _rules_of(e: Expr, moving: set[str]) -> str:
    """The differentiation rules a differential uses, named for the reader."""
    names = []
    squared = {id(n.base) for n in e.walk()
               if isinstance(n, Pow) and isinstance(n.base, Norm) and n.exponent == Num(2)}
    for node in e.walk():
        if id(node) in squared or not (node.free & moving):
            continue
        match node:
            case Pow() if isinstance(node.base, Norm) and node.exponent == Num(2):
                names.append("d(R : R) = 2*R : dR")
            case Mul() if sum(1 for f in node.factors if f.free) > 1:
                names.append("product rule")
            case Hadamard():
                names.append("product rule (Hadamard)")
            case Func():
                names.append(f"chain rule: d {node.name}(u) = {node.name}'(u) .* du")
            case Pow() if not isinstance(node.base, Norm):
                names.append("power rule")
            case _ if type(node) in MATRIX_OPS:  # tr, det, softmax, ...: the record's rule
                rule = MATRIX_OPS[type(node)].rule
                if rule is not None:
                    names.append(rule)
    names = list(dict.fromkeys(names))
    return "; ".join(names[:4]) if names else "linearity"


# ----------------------------------------------------------------------------- printing


def _render(step: Step, order: dict[str, int], sized: frozenset[str]) -> None:
    text = TextPrinter(order, sized)
    latex = LatexPrinter(order)
    rhs_t, rhs_l = _render_side(step.rhs, text, latex)
    lhs_l = _latex_lhs(step.lhs, latex)
    step.text = f"{step.lhs} = {rhs_t}"
    step.latex = f"{lhs_l} = {rhs_l}"


def _latex_lhs(lhs: str, latex: LatexPrinter) -> str:
    from .printing import latex_name

    if lhs.startswith("grad_"):
        name = lhs[5:].split()[0]
        return f"\\nabla_{{{latex_name(name)}}} f"
    if lhs == "df":
        return "\\mathrm{d}f"
    if lhs.startswith("d") and len(lhs) > 1:
        return "\\mathrm{d}" + latex_name(lhs[1:])
    return latex_name(lhs)


def _render_side(side: Side, text: TextPrinter, latex: LatexPrinter) -> tuple[str, str]:
    if isinstance(side, Expr):
        return text.text(side), latex.text(side)
    parts_t, parts_l = [], []
    for i, (coeff, fr) in enumerate(side):
        negative = A.split_coeff(coeff)[0] < 0
        c = A.neg(coeff) if negative else coeff
        if A.is_one(fr.left):
            body_t, body_l = text.text(fr.right), latex.text(fr.right)
        elif isinstance(fr.left, Identity):
            body_t = f"tr({text.text(fr.right)})"
            body_l = f"\\operatorname{{tr}}\\left({latex.text(fr.right)}\\right)"
        else:
            body_t = f"{text.paren(fr.left, 3)} : {text.paren(fr.right, 3)}"
            body_l = f"{latex.paren(fr.left, 3)} : {latex.paren(fr.right, 3)}"
        if not A.is_one(c):
            ct, cl = text.paren(c, 2), latex.paren(c, 2)
            sep = " * " if "/" in ct else "*"
            bare = A.is_one(fr.left) or isinstance(fr.left, Identity)
            body_t = f"{ct}{sep}{body_t}" if not bare else f"{ct}*{body_t}"
            body_l = f"{cl} {body_l}"
        if i == 0:
            parts_t.append(("-" if negative else "") + body_t)
            parts_l.append(("-" if negative else "") + body_l)
        else:
            parts_t.append((" - " if negative else " + ") + body_t)
            parts_l.append((" - " if negative else " + ") + body_l)
    return "".join(parts_t), "".join(parts_l)


def side_value(side: Side) -> Expr:
    """The IR value of one side of a step (Frobenius products as sums)."""
    if isinstance(side, Expr):
        return side
    return A.add_list(A.mul(c, fr.value()) for c, fr in side)


def steps(program: Program, result: Result) -> list[Step]:
    """The derivation of ``result`` (a gradient), every step rendered as text and LaTeX."""
    if result.kind != "gradient":
        raise UnsupportedError("step-by-step derivations are given for gradients of scalar "
                               "functions")
    d = Derivation(program, result)
    out = d.build()
    for s in out:
        _render(s, program.order, program.declared_dims)
        s.meta["expand"] = d.expand
        s.meta["pieces"] = d.pieces
        s.meta["var"] = d.var
    last = out[-1] if out else None
    if last is not None and result.shown.texts and last.lhs.startswith("grad_"):
        # the answer as it is printed: its repeated parts named once (matdiff.naming)
        last.text = f"{last.lhs} = {result.text_where}"
        last.latex = f"{_latex_lhs(last.lhs, LatexPrinter())} = {result.latex_where}"
    return out


def step_values(step: Step) -> Expr:
    """The right side with every named piece expanded: what the step claims, in the
    original variables (and the differential of the variable), for numeric checks."""
    expand: dict[Expr, Expr] = step.meta.get("expand", {})
    pieces: list[tuple[Sym, Expr]] = step.meta.get("pieces", [])
    value = side_value(step.rhs)
    mapping: dict[Expr, Expr] = dict(expand)
    for sym, _ in pieces:
        mapping[Differential(sym)] = differential(expand[sym], step.meta["var"])
    return F.substitute(value, mapping) if mapping else value


# ----------------------------------------------------------------------------- index notation

INDEX_NAMES = "klpqrstuvabcdefgh"


class IndexPrinter:
    """Entries of an expression in index notation: ``[X*W]_ij = sum_k X_ik W_kj``."""

    def __init__(self, text: TextPrinter):
        self.text = text
        self.used: list[str] = []

    def fresh(self, taken: set[str]) -> str:
        for c in INDEX_NAMES:
            if c not in taken and c not in self.used:
                self.used.append(c)
                return c
        raise UnsupportedError("expression too large for the index view")

    def entry(self, e: Expr, i: str | None, j: str | None, taken: set[str]) -> str:
        """``e[i, j]`` (an index is None where the dimension is 1)."""
        taken = taken | {x for x in (i, j) if x}
        if e.is_scalar:
            return self.text.paren(e, 4)
        match e:
            case Sym():
                sub = "".join(x for x in (i, j) if x)
                return f"{e.name}_{sub}" if len(sub) == 1 else f"{e.name}_{{{sub}}}"
            case Transpose():
                return self.entry(e.arg, j, i, taken)
            case Add():
                out = ""
                ordered = sorted(e.terms, key=lambda t: A.split_coeff(t)[0] < 0)
                for n, t in enumerate(ordered):
                    negative = A.split_coeff(t)[0] < 0
                    body = self.entry(A.neg(t) if negative else t, i, j, taken)
                    out += ("-" if negative else "") + body if n == 0 else (
                        (" - " if negative else " + ") + body)
                return f"({out})"
            case Hadamard():
                return " ".join(self.entry(f, i, j, taken) for f in e.factors)
            case Func():
                return f"{e.name}({self.entry(e.arg, i, j, taken)})"
            case Pow() if e.exponent.is_scalar:
                return f"({self.entry(e.base, i, j, taken)})^{self.text.paren(e.exponent, 4)}"
            case Mul():
                return self.product(e, i, j, taken)
        sub = ",".join(x for x in (i, j) if x)
        return f"[{self.text.text(e)}]_{{{sub}}}"

    def product(self, e: Mul, i: str | None, j: str | None, taken: set[str]) -> str:
        scalars = [f for f in e.factors if f.is_scalar]
        chain = [f for f in e.factors if not f.is_scalar]
        idx = [i]
        sums = []
        for f in chain[:-1]:
            if f.shape[1] == 1:
                idx.append(None)
            else:
                k = self.fresh(taken)
                taken = taken | {k}
                sums.append(k)
                idx.append(k)
        idx.append(j)
        parts = [self.text.paren(A.mul_list(scalars), 3)] if scalars else []
        parts += [self.entry(f, idx[n], idx[n + 1], taken) for n, f in enumerate(chain)]
        body = " ".join(parts)
        return f"sum_{','.join(sums)} {body}" if sums else body


def index_steps(program: Program, result: Result) -> list[Step]:
    """The entry-by-entry view: f in indices, then each entry of the gradient."""
    if result.kind != "gradient":
        raise UnsupportedError("the index view is given for gradients of scalar functions")
    text = TextPrinter(program.order, program.declared_dims)
    var = result.var
    f = program.expr
    steps_: list[Step] = []
    r, c = var.shape
    i = "i" if r != 1 else None
    j = "j" if c != 1 else None
    taken = {"i", "j"}
    printer = IndexPrinter(text)
    steps_.append(Step("f in entries", "f", f, text=f"f = {_index_of_function(f, printer, taken)}"))
    sub = "".join(x for x in (i, j) if x)
    entry = printer.entry(result.expr, i, j, taken)
    lhs = f"df/d{var.name}_{sub}" if len(sub) == 1 else f"df/d{var.name}_{{{sub}}}"
    steps_.append(Step("differentiate entry by entry", lhs, result.expr, text=f"{lhs} = {entry}"))
    steps_.append(Step("in matrix form", lhs, result.expr,
                       text=f"{lhs} = [{text.text(result.expr)}]_{{{sub}}}"))
    for s in steps_:
        s.latex = _index_latex(s.text)
    return steps_


def _index_of_function(f: Expr, printer: IndexPrinter, taken: set[str]) -> str:
    text = printer.text
    terms = f.terms if isinstance(f, Add) else (f,)
    out = []
    for t in terms:
        c: Expr = A.ONE
        rest = t
        if isinstance(t, Mul):
            main = [g for g in t.factors if isinstance(g, Sum) or (
                isinstance(g, Pow) and isinstance(g.base, Norm))]
            if main:
                rest = main[-1]
                c = A.mul_list([g for g in t.factors if g is not rest])
        pre = "" if A.is_one(c) else text.paren(c, 3) + " * "
        if isinstance(rest, Pow) and isinstance(rest.base, Norm) and rest.exponent == Num(2):
            x = rest.base.arg
            i, j = _entry_indices(x)
            sub = ",".join(k for k in (i, j) if k)
            inner = printer.entry(x, i, j, taken)
            inner = inner if inner.startswith("(") and inner.endswith(")") else f"({inner})"
            out.append(f"{pre}sum_{sub} {inner}^2")
        elif isinstance(rest, Sum):
            x = rest.arg
            i, j = _entry_indices(x)
            sub = ",".join(k for k in (i, j) if k)
            out.append(f"{pre}sum_{sub} {printer.entry(x, i, j, taken)}")
        else:
            out.append(pre + text.text(rest))
    return " + ".join(out)


def _entry_indices(x: Expr) -> tuple[str, str | None]:
    """The indices of x's entries: (i, j) for a matrix, (i, None) for a column vector."""
    return ("i", "j") if x.shape[1] != 1 else ("i", None)


def _index_latex(s: str) -> str:
    """A light LaTeX rendering of the index view."""
    import re

    s = re.sub(r"sum_([a-z](?:,[a-z])*)", lambda m: f"\\sum_{{{m.group(1)}}}", s)
    s = s.replace("*", " ")
    return s
