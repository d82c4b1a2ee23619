"""Types and shapes: from the syntax tree to the typed IR.

Types come, in this order of authority, from (1) declarations, (2) inference
from usage and (3) naming conventions (LANGUAGE.md). The kind (scalar, vector,
matrix) of each undeclared name is searched: assignments that break fewer
naming conventions are tried first, and the first assignment whose uses all
fit wins. Within one assignment, dimensions are unified (union-find), so
``X*W - Y`` ties X's rows to Y's rows. When nothing fits, the error is the one
the conventional assignment meets, naming both shapes and the operator; so is an
error the conventional assignment meets that re-reading names would only hide
(a *decisive* conflict: softmax of a matrix, a matrix to a non-integer power), and
a gradient asked of an expression that only all-scalar readings make scalar.
What the winning assignment assumes against the conventions, or an undeclared
scalar added to every entry of a vector, is the program's ``warnings``
(:mod:`matdiff.assumptions`): the answer says so and names the declaration.

One assignment is checked by :class:`~matdiff.shapes.Checker` (:mod:`matdiff.shapes`,
dimensions in :mod:`matdiff.dims`); :mod:`matdiff.lower` then builds the IR through the
smart constructors of :mod:`matdiff.algebra`.  :func:`typecheck` runs the whole of it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from .assumptions import Reading, TypingWarning, additive_only, warnings_for
from .errors import MatdiffError, MatdiffShapeError, MatdiffTypeError
from .ir import Expr, Sym, shape_text
from .lower import Lowerer
from .names import GREEK, GREEK_UNICODE
from .shapes import Checker, Conflict, Decl, collect_names
from .syntax import Declaration, Definition, Node, Parsed

__all__ = ["Program", "TypingWarning", "convention", "convention_rule", "gather_decls",
           "kind_candidates", "solve", "typecheck"]

MAX_KIND_TRIALS = 4000
KIND_SEARCH_SECONDS = 0.75  # each search (there may be two): answers stay within ~2 s


# ----------------------------------------------------------------------------- kinds


def convention(name: str) -> str:
    """The naming convention: Greek -> scalar, single lowercase letter -> vector,
    uppercase initial -> matrix, anything else -> scalar. Suffixes keep the base's."""
    return convention_rule(name)[0]


def convention_rule(name: str, dims: frozenset[str] = frozenset()) -> tuple[str, str]:
    """The conventional kind of an undeclared name and the rule that gives it, in words."""
    if name in dims:
        return "scalar", "a dimension name used as a value is a scalar"
    base = name.split("_")[0] or name
    stripped = base.rstrip("0123456789") or base
    if stripped.lower() in GREEK and stripped.islower() or stripped in GREEK_UNICODE:
        return "scalar", "a lowercase Greek name is a scalar unless declared"
    if stripped[0].isupper():
        return "matrix", "a name starting with an uppercase letter is a matrix unless declared"
    if len(stripped) == 1 and stripped.isalpha() and stripped.islower():
        return "vector", "a single lowercase letter is a vector unless declared"
    return "scalar", "a lowercase name of several letters is a scalar unless declared"


@dataclass
class Program:
    """A typed expression: the IR and everything the printers and checker need."""

    expr: Expr
    syms: dict[str, Sym]
    order: dict[str, int]
    types: dict[str, str]
    declared_dims: frozenset[str]
    text: str
    dim_sizes: dict[str, int] = field(default_factory=dict)
    declarations: tuple[Declaration, ...] = ()  # of the where clause and the caller
    read_as: str | None = None  # LaTeX input: the formula in the plain language
    notes: tuple[str, ...] = ()  # how LaTeX or index notation was read
    warnings: tuple[TypingWarning, ...] = ()  # readings the text does not say (assumptions)
    definitions: tuple[Definition, ...] = ()  # of the where clause (substituted in expr)

    @property
    def shape_text(self) -> str:
        return shape_text(self.expr.shape)


# ----------------------------------------------------------------------------- the search


def gather_decls(declarations: tuple[Declaration, ...]) -> dict[str, Decl]:
    decls: dict[str, Decl] = {}
    for d in declarations:
        kind = "symmetric" if d.symmetric else d.kind
        dims = tuple(v for v, _ in d.dims)
        for name, span in d.names:
            new = Decl(kind, dims, span.start)
            old = decls.get(name)
            if old is not None and (old.kind, old.dims) != (new.kind, new.dims):
                raise MatdiffTypeError(f"'{name}' is declared twice, differently", span.start)
            decls[name] = new
    return decls


def kind_candidates(name: str, dims: frozenset[str] = frozenset()) -> list[str]:
    """Kinds to try for an undeclared name, the convention first; a declared dimension
    name used as a value is a scalar (LANGUAGE.md: it stands for that size)."""
    first = convention_rule(name, dims)[0]
    return [first] + [k for k in ("scalar", "vector", "matrix") if k != first]


def solve(parsed: Parsed, decls: dict[str, Decl], require_scalar: bool,
          prefer_scalar: bool) -> tuple[Checker, dict[str, str]]:
    """Find the assignment of kinds that breaks the fewest naming conventions."""
    names: dict[str, int] = {}
    collect_names(parsed.expr, names, set())
    free = [n for n in names if n not in decls]
    fixed = {n: decls[n].kind for n in names if n in decls}
    dim_names_ = frozenset(str(d) for decl in decls.values() for d in decl.dims)
    candidates = {n: kind_candidates(n, dim_names_) for n in free}

    def attempt(kinds: dict[str, str], scalar: bool) -> Checker:
        ch = Checker(kinds, decls)
        s = ch.shape(parsed.expr)
        if scalar and not (ch.u.unify(s[0], ch.u.one) and ch.u.unify(s[1], ch.u.one)):
            raise Conflict(MatdiffShapeError(
                f"a gradient needs a scalar function, but this expression is "
                f"{ch.describe(s)}", parsed.expr.span.start))
        return ch

    def search(scalar: bool) -> tuple[Checker, dict[str, str]] | MatdiffError:
        first_error: MatdiffError | None = None
        trials = 0
        deadline = time.monotonic() + KIND_SEARCH_SECONDS
        for deviations in range(len(free) + 1):
            for who in itertools.combinations(range(len(free)), deviations):
                for alts in itertools.product((1, 2), repeat=deviations):
                    kinds = dict(fixed)
                    for n in free:
                        kinds[n] = candidates[n][0]
                    for i, a in zip(who, alts):
                        kinds[free[i]] = candidates[free[i]][a]
                    trials += 1
                    try:
                        return attempt(kinds, scalar), kinds
                    except Conflict as c:
                        if c.decisive and trials == 1:  # the conventional reading's own error
                            raise c.error from None
                        first_error = first_error or c.error
                    if trials > MAX_KIND_TRIALS or time.monotonic() > deadline:
                        return MatdiffTypeError(
                            "cannot tell the kinds of " + ", ".join(free[:6]) +
                            (" ..." if len(free) > 6 else "") + " from their uses; declare "
                            "them (e.g. 'where X: matrix, y: vector')" +
                            (f" (first conflict: {first_error.message})" if first_error else ""),
                            first_error.position if first_error else None)
        return first_error  # type: ignore[return-value]

    if require_scalar:
        got = search(True)
        if isinstance(got, tuple):
            deviations = [n for n in free if got[1][n] != candidates[n][0]]
            if deviations and all(k == "scalar" for k in got[1].values()):
                # every name read as a scalar to make a gradient possible (A*x --hessian):
                # the expression as written is not a scalar, and that is the answer
                alt = search(False)
                if isinstance(alt, tuple):
                    shape = alt[0].node_shapes[id(parsed.expr)]
                    if not alt[0].is_scalar(shape):
                        raise not_scalar(alt[0].describe(shape), deviations,
                                         parsed.expr.span.start)
    elif prefer_scalar:
        got = search(True)
        if isinstance(got, tuple):
            kinds = got[1]
            deviations = [n for n in free if kinds[n] != candidates[n][0]]
            # the scalar-function preference may only read as a scalar an uppercase name
            # (C/2*sum(W.^2)) or a lowercase one that is only ever a term of a sum (c in
            # x'*A*x/2 + b'*x + c: a constant), and not when that leaves nothing but scalars
            # (alpha*X, x + y); the answer warns of the reading (matdiff.assumptions)
            terms = additive_only(parsed.expr)
            odd = any(not (kinds[n] == "scalar" and (
                candidates[n][0] == "matrix" or candidates[n][0] == "vector" and n in terms))
                for n in deviations)
            if deviations and (odd or all(k == "scalar" for k in kinds.values())):
                alt = search(False)
                got = alt if isinstance(alt, tuple) else got
        else:
            alt = search(False)
            got = alt if isinstance(alt, tuple) else got
    else:
        got = search(False)
    if isinstance(got, MatdiffError):
        raise got
    return got


def not_scalar(shape: str, names: list[str], position: int) -> MatdiffShapeError:
    """The error for a gradient of an expression that only all-scalar readings make scalar."""
    listed = ", ".join(names)
    return MatdiffShapeError(
        f"a gradient needs a scalar function, but this expression is {shape}; only reading "
        f"every name as a scalar would make it one; if {listed} "
        f"{'are scalars' if len(names) > 1 else 'is a scalar'}, declare "
        f"{'them' if len(names) > 1 else 'it'}: where {listed}: scalar", position)


def typecheck(parsed: Parsed, extra: tuple[Declaration, ...] = (), *,
              require_scalar: bool = False, prefer_scalar: bool = True) -> Program:
    """Infer every name's kind and shape and lower the expression to the IR."""
    try:
        decls = gather_decls(parsed.declarations + extra)
        checker, kinds = solve(parsed, decls, require_scalar, prefer_scalar)
        lowered = Lowerer(parsed, checker, kinds, decls)
        expr = lowered.lower_all()
        types = lowered.types()
        # the index-notation resolver pins the kinds it inferred as declarations of no
        # length in the text: those names were not declared by the user
        pinned = {name for d in parsed.declarations + extra for name, span in d.names
                  if span.start == span.end}
        return Program(expr, lowered.syms, lowered.order, types, lowered.declared,
                       parsed.text,
                       warnings=assumed(parsed, decls, pinned, checker, lowered, types))
    except MatdiffError as e:
        e.with_text(parsed.text)
        raise


def assumed(parsed: Parsed, decls: dict[str, Decl], pinned: set[str], checker: Checker,
            lowered: Lowerer, types: dict[str, str]) -> tuple[TypingWarning, ...]:
    """The warnings for the readings inference made that the text does not say."""
    sizes: set[str] = set()  # names the text uses as sizes (eye(m)): dimensions too
    collect_names(parsed.expr, {}, sizes)
    dims = frozenset(str(d) for decl in decls.values() for d in decl.dims) | sizes
    kinds = lowered.kinds
    conventional = {n: convention_rule(n, dims) for n in kinds
                    if n not in decls or n in pinned and decls[n].kind != "mask"}

    def is_scalar(node: Node) -> bool:
        s = checker.node_shapes.get(id(node))
        return s is not None and checker.is_scalar(s)

    def fits(name: str) -> str | None:
        try:
            Checker({**kinds, name: conventional[name][0]}, decls).shape(parsed.expr)
        except Conflict as c:
            return c.error.message
        return None

    reading = Reading(conventional, kinds, types, is_scalar,
                      lambda node: shape_text(lowered.shape_of(node)), fits, dims)
    return warnings_for(parsed.expr, reading)

