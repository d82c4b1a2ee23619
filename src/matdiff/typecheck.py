"""Types and shapes: from the syntax tree to the typed IR.

Types come, in this order of authority, from (1) declarations, (2) inference
from usage and (3) naming conventions (LANGUAGE.md). The kind (scalar, vector,
matrix) of each undeclared name is searched: assignments that break fewer
naming conventions are tried first, and the first assignment whose uses all
fit wins. Within one assignment, dimensions are unified (union-find), so
``X*W - Y`` ties X's rows to Y's rows. When nothing fits, the error is the one
the conventional assignment meets, naming both shapes and the operator.

One assignment is checked by :class:`~matdiff.shapes.Checker` (:mod:`matdiff.shapes`,
dimensions in :mod:`matdiff.dims`); :mod:`matdiff.lower` then builds the IR through the
smart constructors of :mod:`matdiff.algebra`.  :func:`typecheck` runs the whole of it.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

from .errors import MatdiffError, MatdiffShapeError, MatdiffTypeError
from .ir import Expr, Sym, shape_text
from .lower import Lowerer
from .names import GREEK, GREEK_UNICODE
from .parse import check_names
from .shapes import Checker, Conflict, Decl, collect_names
from .syntax import Declaration, Parsed

__all__ = ["Program", "convention", "gather_decls", "kind_candidates", "solve", "typecheck"]

MAX_KIND_TRIALS = 4000
KIND_SEARCH_SECONDS = 0.75  # each search (there may be two): answers stay within ~2 s


# ----------------------------------------------------------------------------- kinds


def convention(name: str) -> str:
    """The naming convention: Greek -> scalar, single lowercase letter -> vector,
    uppercase initial -> matrix, anything else -> scalar. Suffixes keep the base's."""
    base = name.split("_")[0] or name
    stripped = base.rstrip("0123456789") or base
    if stripped.lower() in GREEK and stripped.islower() or stripped in GREEK_UNICODE:
        return "scalar"
    if stripped[0].isupper():
        return "matrix"
    if len(stripped) == 1 and stripped.isalpha() and stripped.islower():
        return "vector"
    return "scalar"


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
    first = "scalar" if name in dims else convention(name)
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
    elif prefer_scalar:
        got = search(True)
        if isinstance(got, tuple):
            kinds = got[1]
            deviations = [n for n in free if kinds[n] != candidates[n][0]]
            # the scalar-function preference may only read an uppercase name as a scalar
            # (C/2*sum(W.^2)), and not when that leaves nothing but scalars (alpha*X)
            odd = any(not (convention(n) == "matrix" and kinds[n] == "scalar")
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


def typecheck(parsed: Parsed, extra: tuple[Declaration, ...] = (), *,
              require_scalar: bool = False, prefer_scalar: bool = True) -> Program:
    """Infer every name's kind and shape and lower the expression to the IR."""
    try:
        check_names(parsed.expr, parsed.text)  # at most MAX_NAMES (parse.py)
        decls = gather_decls(parsed.declarations + extra)
        checker, kinds = solve(parsed, decls, require_scalar, prefer_scalar)
        lowered = Lowerer(parsed, checker, kinds, decls)
        expr = lowered.lower_all()
        return Program(expr, lowered.syms, lowered.order, lowered.types(), lowered.declared,
                       parsed.text)
    except MatdiffError as e:
        e.with_text(parsed.text)
        raise

