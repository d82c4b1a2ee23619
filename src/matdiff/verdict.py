"""Checking a user's own answer: correct, wrong shape (and why), or wrong value (and how).

>>> v = verify("norm(W*u - v)^2 where W: matrix(n, n)", "u", "2*(W*u - v)*W'")
>>> v.verdict, v.suggestion
('wrong_shape', "2*W'*(W*u - v)")
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from . import algebra as A
from . import functions as F
from .conventions import check_choice, cookbook, from_cookbook, relabel
from .errors import (
    MatdiffError,
    MatdiffShapeError,
    MatdiffSyntaxError,
    MatdiffTypeError,
    UnsupportedError,
)
from .factor import factor
from .ir import Add, Differential, Expr, Mul, Shape, shape_text, size
from .parse import parse, parse_declarations
from .pipeline import Result, compile_program, declarations_from, derive
from .printing import to_text
from .syntax import Binary, Node, Unary
from .typecheck import Program

if TYPE_CHECKING:  # NumPy is imported when a check first runs: `import matdiff` stays free of it
    import numpy as np

POINTS = 3
MAX_REORDERED_FACTORS = 4


@dataclass(frozen=True)
class Verdict:
    """``verdict``: correct | wrong_shape | wrong_value (for the function as written);
    ``assumptions``: for an answer that is not right as written, the common assumptions under
    which it is (found by numeric checks under each, never from the answer's text)."""

    verdict: str  # correct | wrong_shape | wrong_value
    message: str
    suggestion: str | None = None
    expected: str | None = None
    assumptions: tuple[str, ...] = ()

    def to_json(self) -> dict:
        out: dict[str, object] = {"verdict": self.verdict, "message": self.message,
                                  "suggestion": self.suggestion}
        if self.assumptions:
            out["correct_if"] = list(self.assumptions)
        return out


def verify(expr: str, wrt: str, candidate: str, *, layout: str = "numerator",
           convention: str = "matdiff", **declarations: str) -> Verdict:
    """Is ``candidate`` the derivative of ``expr`` with respect to ``wrt`` (in ``layout``
    and ``convention``, see :mod:`matdiff.conventions`)?"""
    check_choice(layout, convention)
    program = compile_program(expr, declarations_from(**declarations))
    result = derive(program, wrt)
    relabel(result, layout, convention)
    return verify_result(result, candidate)


# ----------------------------------------------------------------------------- typing the answer


def _declarations_of(program: Program) -> str:
    return ", ".join(f"{n}: {t}" for n, t in program.types.items())


def _compile_answer(program: Program, text: str) -> Program:
    """Type the candidate with the function's types (every name declared)."""
    decls = parse_declarations(_declarations_of(program)) if program.types else ()
    return compile_program(text, decls)


def _unknown_name(program: Program, text: str) -> str | None:
    sizes = {str(d) for sym in program.syms.values() for d in sym.shape}  # n of 2/n*X'*r
    unknown = _names(parse(text).expr) - set(program.types) - sizes - {"eye", "ones", "zeros"}
    return sorted(unknown)[0] if unknown else None


def _names(node: Node) -> set[str]:
    from .shapes import collect_names

    out: dict[str, int] = {}
    collect_names(node, out, set())
    return set(out)


# ----------------------------------------------------------------------------- numbers


def sample_dims_of(result: Result, seed: int) -> dict[str, int]:
    """The sizes :func:`_values` draws for ``seed``."""
    import numpy as np

    from .check import sample_dims

    return sample_dims([result.program.expr, result.expr], np.random.default_rng(seed))


def _values(result: Result, seed: int) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    import numpy as np

    from .check import sample_dims, sample_values

    rng = np.random.default_rng(seed)
    dims = sample_dims([result.program.expr, result.expr], rng)
    syms = list(result.program.syms.values())
    for domain in ("normal", "positive", "spd"):
        values = sample_values(syms, dims, rng, domain)
        try:
            ref = _eval(result.expr, values, dims)
        except Exception:  # a singular draw: try the next domain
            continue
        if np.all(np.isfinite(ref)):
            return values, dims
    return values, dims


def _eval(e: Expr, values: Mapping[str, object], dims: Mapping[str, int]) -> np.ndarray:
    import numpy as np

    from .evaluate import evaluate

    with np.errstate(all="ignore"):
        return evaluate(e, values, dims)


Assume = Callable[["dict[str, np.ndarray]", "np.random.Generator"], None]


def _pairs(result: Result, other: Expr, mine: Expr | None = None,
           assume: Assume | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """matdiff's result (or ``mine``) and ``other`` at the random points, the values changed
    in place by ``assume`` (an assumption such as a symmetric A) when given."""
    import numpy as np

    from .workload import too_large

    mine = result.expr if mine is None else mine
    for seed in range(POINTS):
        dims = sample_dims_of(result, seed)
        refusal = too_large([result.program.expr, result.expr, other], dims)
        if refusal is not None:  # nothing is allocated at sizes such as matrix(8000, 8000)
            raise UnsupportedError("your answer cannot be compared with matdiff's: "
                                   + refusal.replace("not checked numerically: ", ""))
        values, dims = _values(result, seed)
        if assume is not None:
            assume(values, np.random.default_rng(100 + seed))
        yield _eval(mine, values, dims), _eval(other, values, dims)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    import numpy as np

    if a.shape != b.shape or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return False
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-12)
    return float(np.max(np.abs(a - b))) <= 1e-8 * scale


def _equal(result: Result, other: Expr, mine: Expr | None = None,
           assume: Assume | None = None) -> bool:
    mine = result.expr if mine is None else mine
    if other.shape != mine.shape:
        return False
    return all(_close(r, c) for r, c in _pairs(result, other, mine, assume))


def _factor_between(result: Result, other: Expr) -> Fraction | None:
    """c with other = c * result at every point, as a simple fraction."""
    import numpy as np

    ratios = []
    for r, c in _pairs(result, other):
        if r.shape != c.shape:
            return None
        denom = float(np.sum(r * r))
        if denom == 0:
            return None
        k = float(np.sum(r * c)) / denom
        if not _close(c, k * r):
            return None
        ratios.append(k)
    f = Fraction(ratios[0]).limit_denominator(12)
    if all(abs(float(f) - k) <= 1e-8 * max(1, abs(k)) for k in ratios) and f != 0:
        return f
    return None


def _size_factor(result: Result, other: Expr, k: Fraction) -> str | None:
    """Why ``other = k*result`` when k varies with the size n of a dimension (``k = n``,
    ``1/n``, ``n/2``): the factor is measured again with that size changed, so a number that
    happens to equal n at the points drawn is not taken for it."""
    import numpy as np

    from .check import sample_dims, sample_values

    drawn = sample_dims_of(result, 0)
    for name, n in drawn.items():
        rng = np.random.default_rng(7)
        exprs = [result.program.expr, result.expr]
        dims = sample_dims(exprs, rng, {**drawn, name: n + 1})  # that size alone changed
        values = sample_values(list(result.program.syms.values()), dims, rng, "normal")
        try:
            r, c = _eval(result.expr, values, dims), _eval(other, values, dims)
        except Exception:  # a draw the expressions do not take: no claim
            return None
        denom = float(np.sum(r * r))
        if not denom:
            return None
        change = float(np.sum(r * c)) / denom / float(k)
        for power in (1, -1):
            if abs(change - ((n + 1) / n) ** power) <= 1e-8:
                q = Fraction(float(k) / n ** power).limit_denominator(12)
                if q == 1:
                    return f"an extra factor {name}" if power == 1 else \
                        f"missing a factor 1/{name}"
                return f"off by a factor {_times(q, name if power == 1 else '1/' + name)}"
    return None


def _times(q: Fraction, what: str) -> str:
    """q*n written simply: n/2, 2*n, -n, 2/n."""
    if q == -1:
        return f"-{what}"
    if what.startswith("1/"):
        return f"{q.numerator}/({q.denominator}*{what[2:]})" if q.denominator != 1 else \
            f"{q.numerator}/{what[2:]}"
    if q.numerator == 1:
        return f"{what}/{q.denominator}"
    return f"{q}*{what}"


# ----------------------------------------------------------------------------- the verdict


def verify_result(result: Result, candidate: str) -> Verdict:
    program = result.program
    kind = result.kind
    expected = result.text_where
    try:
        unknown = _unknown_name(program, candidate)
        if unknown:
            return Verdict("wrong_value", f"your answer uses '{unknown}', which is not in the "
                           f"expression; the {kind} is {expected}", expected, expected)
        answer = _compile_answer(program, candidate)
    except MatdiffSyntaxError as e:
        raise MatdiffSyntaxError(f"in your answer: {e.message}", e.position, candidate) from None
    except (MatdiffShapeError, MatdiffTypeError) as e:
        return _shape_mismatch(result, candidate, e)
    c = answer.expr
    if c.shape != result.expr.shape:
        want = shape_text(result.expr.shape)
        got = shape_text(c.shape)
        msg = (f"your answer is {_size(c.shape)} ({got}), but the {kind} wrt {result.wrt} is "
               f"{_size(result.expr.shape)} ({want})")
        if kind == "gradient":
            msg += f", the shape of {result.wrt}"
        suggestion = _suggest(result, candidate)
        transposed = _equal(result, A.transpose(c))
        if suggestion is None and transposed:
            suggestion = f"({candidate})'"
            msg += "; your answer is the transpose of the right one"
        verdict = Verdict("wrong_shape", msg + _did_you_mean(suggestion), suggestion, expected)
        return _with_assumptions(verdict, [_other_layout(result)] if transposed else [])
    if _equal(result, c):
        return _correct(result, c, candidate)
    return _with_assumptions(_wrong_value(result, c, candidate), _assumptions(result, c))


def _size(shape: Shape) -> str:
    return f"{shape[0]} x {shape[1]}"


def _did_you_mean(suggestion: str | None) -> str:
    return f"; did you mean {suggestion}?" if suggestion else ""


def _correct(result: Result, c: Expr, candidate: str) -> Verdict:
    same_text = candidate.replace(" ", "") == result.text_where.replace(" ", "")
    if same_text:
        return Verdict("correct", f"correct: {result.text_where}", None, result.text_where)
    diff = factor(A.sub(result.expr, c))
    how = ("they are equal symbolically" if A.is_zero(diff)
           else f"checked numerically at {POINTS} random points")
    return Verdict("correct", f"correct, written differently from matdiff's "
                   f"{result.text_where} ({how})", None, result.text_where)


def _wrong_value(result: Result, c: Expr, candidate: str) -> Verdict:
    expected = result.text_where
    k = _factor_between(result, c)
    why = None if k is None else _size_factor(result, c, k)
    if why is not None:  # n, the size of a dimension (2*X'*r for 2/n * X'*r)
        return Verdict("wrong_value", f"not quite: {why} (a size of the problem); the "
                       f"{result.kind} is {expected}", expected, expected)
    if k is not None:
        if k == -1:
            why = "the sign is wrong"
        elif k.numerator == 1:
            why = f"missing a factor {k.denominator}"
        elif k.denominator == 1:
            why = f"an extra factor {k.numerator}"
        else:
            why = f"off by a factor {k}"
        return Verdict("wrong_value", f"not quite: {why}; the {result.kind} is {expected}",
                       expected, expected)
    if c.shape[0] == c.shape[1] and _equal(result, A.transpose(c)):
        return Verdict("wrong_value", f"transposed: the {result.kind} is {expected}", expected,
                       expected)
    suggestion = _suggest(result, candidate)
    if suggestion:
        return Verdict("wrong_value", f"the factors are in the wrong order or transposed"
                       f"{_did_you_mean(suggestion)}", suggestion, expected)
    diff = simplified_difference(result.expr, c)
    text = to_text(diff, result.program.order, result.program.declared_dims)
    msg = f"wrong: the {result.kind} is {expected}"
    if len(text) <= 2 * max(len(expected), 20):
        msg += f"; it differs from yours by {text}"
    return Verdict("wrong_value", msg, expected, expected)


# ----------------------------------------------------------------------------- shapes


def _shape_mismatch(result: Result, candidate: str, error: MatdiffError) -> Verdict:
    """Explain where the answer's shapes do not fit, with the shapes of both sides."""
    program = result.program
    msg = error.message
    try:
        node = _binary_at(parse(candidate).expr, error.position)
    except MatdiffError:
        node = None
    if node is not None:
        left = candidate[node.left.span.start:node.left.span.end]
        right = candidate[node.right.span.start:node.right.span.end]
        ls, rs = _shape_of(program, left), _shape_of(program, right)
        if ls and rs:
            what = "multiplies" if node.op in ("*", "@") else f"combines with '{node.op}'"
            msg = (f"the shapes do not fit: at position {node.op_span.start}, "
                   f"'{_clip(candidate[node.span.start:node.span.end])}' {what} {_clip(left)} "
                   f"({_size(ls)}) by {_clip(right)} ({_size(rs)})")
    suggestion = _suggest(result, candidate)
    return Verdict("wrong_shape", msg + _did_you_mean(suggestion), suggestion, result.text_where)


def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _shape_of(program: Program, text: str) -> Shape | None:
    try:
        return _compile_answer(program, text).expr.shape
    except MatdiffError:
        return None


def _binary_at(node: Node, position: int | None) -> Binary | None:
    if position is None:
        return None
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Binary) and n.op_span.start == position:
            return n
        stack.extend(c for c in _children(n))
    return None


def _children(node: Node) -> list[Node]:
    out = []
    for name in ("left", "right", "operand"):
        c = getattr(node, name, None)
        if c is not None:
            out.append(c)
    out.extend(getattr(node, "args", ()) or ())
    return out


# ----------------------------------------------------------------------------- suggestions


def _factors(node: Node, text: str) -> list[str] | None:
    """The user's product a*b*c as its factors' texts (a unary minus kept in front)."""
    sign = ""
    while isinstance(node, Unary) and node.op == "-":
        sign = "-" if not sign else ""
        node = node.operand
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Binary) and n.op in ("*", "@"):
            walk(n.left)
            walk(n.right)
        else:
            s = text[n.span.start:n.span.end]
            if isinstance(n, Binary) and n.op in ("+", "-") and not s.startswith("("):
                s = f"({s})"
            out.append(s)

    walk(node)
    if len(out) < 2:
        return None
    if sign:
        out[0] = "-" + out[0]
    return out


def _suggest(result: Result, candidate: str) -> str | None:
    """A reordering and/or transposition of the user's own factors that is right."""
    try:
        factors = _factors(parse(candidate).expr, candidate)
    except MatdiffError:
        return None
    if not factors:
        return None
    program = result.program
    scalars = [f for f in factors if _is_scalar_text(program, f)]
    mats = [f for f in factors if f not in scalars]
    if not mats or len(mats) > MAX_REORDERED_FACTORS:
        return None
    best: tuple[int, str] | None = None
    for order in itertools.permutations(range(len(mats))):
        moved = sum(1 for i, j in enumerate(order) if i != j)
        for flips in itertools.product((False, True), repeat=len(mats)):
            cost = moved + sum(flips)
            if cost == 0 or (best and cost >= best[0]):
                continue
            parts = [_transposed(mats[i]) if flip else mats[i] for i, flip in zip(order, flips)]
            text = "*".join(scalars + parts)
            try:
                c = _compile_answer(program, text).expr
            except MatdiffError:
                continue
            if _equal(result, c):
                best = (cost, text)
    return best[1] if best else None


def _is_scalar_text(program: Program, text: str) -> bool:
    shape = _shape_of(program, text)
    return shape == (1, 1)


def _transposed(text: str) -> str:
    if text.endswith("'") and not text.endswith("''"):
        return text[:-1]
    simple = text.replace("_", "a").isalnum() or (text.startswith("(") and text.endswith(")"))
    return f"{text}'" if simple else f"({text})'"


# ----------------------------------------------------------------------------- differences


MAX_EXPANDED_TERMS = 64


def simplified_difference(a: Expr, b: Expr) -> Expr:
    """``a - b`` factored, or expanded (products over sums) and then factored when that is
    shorter: ``2*X'*(X*w - y) - 2*X'*(X*w + y)`` is ``-4*X'*y``."""
    diff = A.sub(a, b)
    plain = factor(diff)
    expanded = _expand(diff)
    if expanded is None:
        return plain
    other = factor(expanded)
    return other if size(other) < size(plain) else plain


def _expand(e: Expr) -> Expr | None:
    """Products (and numbers) distributed over sums, bottom-up; None when that writes more
    than MAX_EXPANDED_TERMS terms."""
    done: dict[int, Expr] = {}
    for node in e.walk():
        new = F.rebuild(node, tuple(
            tuple(done[id(x)] for x in a) if isinstance(a, tuple)
            else (done[id(a)] if isinstance(a, Expr) else a) for a in node.args)) \
            if node.children and not isinstance(node, Differential) else node
        if isinstance(new, Mul):
            spread = _distribute(list(new.factors))
            if spread is None:
                return None
            new = spread
        done[id(node)] = new
    return done[id(e)]


def _distribute(factors: list[Expr]) -> Expr | None:
    for i, f in enumerate(factors):
        if isinstance(f, Add):
            if len(f.terms) > MAX_EXPANDED_TERMS:
                return None
            terms = []
            for t in f.terms:
                term = _distribute(factors[:i] + [t] + factors[i + 1:])
                if term is None:
                    return None
                terms.append(term)
            out = A.add_list(terms)
            if isinstance(out, Add) and len(out.terms) > MAX_EXPANDED_TERMS:
                return None
            return out
    return A.mul_list(factors)


# ----------------------------------------------------------------------------- assumptions
# An answer that is not the derivative of the function as written is often the derivative
# under an assumption a textbook makes without saying: a symmetric matrix, a label vector
# that sums to 1, the other layout, the Matrix Cookbook's convention for symmetric matrices.
# Each is decided by numeric checks at random points that satisfy the assumption, never by
# the answer's text.


def _with_assumptions(v: Verdict, assumptions: list[str]) -> Verdict:
    if not assumptions:
        return v
    said = "; or ".join(assumptions)
    return Verdict(v.verdict, f"your answer is correct if {said}. As written: {v.message}",
                   v.suggestion, v.expected, tuple(assumptions))


def _other_layout(result: Result) -> str:
    """The phrase for an answer that is the transpose of the result."""
    if result.kind == "jacobian":
        if result.layout == "denominator":
            return ("the Jacobian is laid out in the numerator layout (m x n for f (m) by x "
                    "(n), matdiff's default)")
        return ("the Jacobian is laid out in the denominator layout (the transpose of "
                "matdiff's numerator layout; --layout denominator gives it)")
    return (f"the derivative by {result.wrt} is laid out as its transpose (the numerator "
            f"layout for a scalar by a matrix; matdiff's gradient has the shape of "
            f"{result.wrt})")


def _assumptions(result: Result, c: Expr) -> list[str]:
    """The common assumptions under which ``c`` is right (see above): the other layout, the
    Cookbook's convention, a symmetric matrix; else a data vector that sums to 1 or is
    one-hot."""
    out: list[str] = []
    syms = result.program.syms
    try:
        if c.shape[0] == c.shape[1] and c.shape[0] != 1 and _equal(result, A.transpose(c)):
            out.append(_other_layout(result))
        if result.convention == "cookbook" and _equal(result, c, from_cookbook(result.expr)):
            out.append(f"the gradient by the symmetric {result.wrt} follows matdiff's "
                       f"convention, (G + G')/2 (this answer is in the Matrix Cookbook's)")
        if result.convention == "matdiff" and _equal(result, c, cookbook(result.expr)):
            out.append(f"the gradient by the symmetric {result.wrt} follows the Matrix "
                       f"Cookbook's convention, G + G' - G.*eye(n) (matdiff's is (G + G')/2; "
                       f"--convention cookbook gives it)")
        for name, sym in syms.items():
            if sym.kind == "matrix" and sym.shape[0] == sym.shape[1] and \
                    _equal(result, c, assume=_symmetric(name)):
                out.append(f"{name} is symmetric ({name} = {name}')")
        for name, sym in syms.items():  # a data vector, when nothing above explains it
            if out or sym.kind != "vector" or name == result.wrt:
                continue
            if _equal(result, c, assume=_sums_to_one(name)):
                out.append(f"sum({name}) = 1 ({name} one-hot, or any probability vector)")
            elif _equal(result, c, assume=_one_hot(name)):
                out.append(f"{name} is one-hot (a single 1, zeros elsewhere)")
        for name, sym in syms.items():  # labels of a batch: a row (column) of each sample
            if out or sym.kind != "matrix" or name == result.wrt:
                continue
            for axis, what in ((1, "row"), (0, "column")):
                if _equal(result, c, assume=_sums_to_one(name, axis)):
                    out.append(f"each {what} of {name} sums to 1 (one-hot labels, or "
                               f"probabilities, one {what} a sample)")
                    break
    except (UnsupportedError, ArithmeticError, ValueError):  # too large to compare, or a
        return []  # singular draw under an assumption: nothing is claimed
    return out


def _symmetric(name: str) -> Assume:
    def assume(values: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        x = values[name]
        values[name] = (x + x.T) / 2
    return assume


def _sums_to_one(name: str, axis: int | None = None) -> Assume:
    """Entries of both signs that sum to 1 (not only a one-hot or a positive vector): all of
    them, or each row (axis 1) or column (axis 0) of a matrix."""
    def assume(values: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        y = values[name]
        size = y.size if axis is None else y.shape[axis]
        values[name] = y - y.mean(axis=axis, keepdims=axis is not None) + 1 / size
    return assume


def _one_hot(name: str) -> Assume:
    def assume(values: dict[str, np.ndarray], rng: np.random.Generator) -> None:
        y = values[name] * 0
        y.reshape(-1)[int(rng.integers(y.size))] = 1.0
        values[name] = y
    return assume
