"""The built-in numeric check of a derivative (the CLI's ``--check``, the API's ``.check()``).

A symbolic result is compared with central finite differences of the function
at a random point, along a few random directions.

Sampling
--------
* :func:`sample_dims` gives every symbolic dimension a size; distinct
  dimensions get distinct sizes (3, 4, 5, 6, 2, 7, ..., never a size that an
  integer dimension of the expressions already uses), so that a transposed or
  mis-shaped result cannot hide behind equal sizes.  Product dimensions
  (``"m*n"``) are not sampled: :mod:`matdiff.evaluate` derives them.
* :func:`sample_values` draws every variable in a *domain*:

  ``normal``    standard normal entries, pushed 0.5 away from zero
                (``x + 0.5*sign(x)``) so that ``1./x``, ``log(abs(x))`` and
                the like are not evaluated next to their singularity, where
                finite differences are inaccurate; square matrices get
                ``+ 3*I`` so that inverses and determinants are well
                conditioned.
  ``positive``  entries uniform in [0.5, 2]; square matrices get ``+ 3*I``
                too (the entries stay positive).
  ``spd``       square matrices symmetric positive definite (``B*B'/n + I``),
                everything else as in ``positive``.

  A symmetric matrix is symmetrised in every domain; a mask is random 0/1
  with both values present; a scalar variable whose name is a dimension takes
  that dimension's size as its value.

Points in the function's domain (:func:`candidate_points`)
----------------------------------------------------------
The domains are tried in the order above, one draw each (the same seed); a
point is abandoned (and the next one tried) when an evaluation gives
non-finite numbers or a singular matrix.  For most functions the first draw
works and nothing else is done.  When none of the three works (``log(b - A*x)``
with ``b - A*x`` negative somewhere, ``log(1 - x'*x)`` with ``x'*x > 1``), the
draws are moved, a bounded and deterministic sequence (at most
``ATTEMPTS_PER_SEED`` points for each of ``1 + REDRAWS`` seeds):

* every variable scaled towards 0 (by 0.1, 0.01);
* one variable shifted by +10, +100 (``ones``, or ``ones + I`` for a square
  matrix, times the shift), and in the ``normal`` domain by -10, -100 too;
* one variable shifted and the others scaled by 0.1;
* all of it again with the seeds ``seed + 1``, ``seed + 2``.

Masks and dimension scalars are never moved; symmetric draws stay symmetric
and SPD ones SPD (positive factors, positive shifts of ``ones + I``).  The
report's ``adjustment`` says how the point used was moved (None: as drawn).
When no point gives a finite function, the report has no error
(``max_rel_error`` None, ``outcome`` ``"unchecked"``) and the message
NO_FINITE_POINT, "could not find a point where the function is finite";
NO_FINITE_DIFFERENCES when the function is finite at points but never around
them; when the function is finite but the *result* never is, the check fails
with the message RESULT_NOT_FINITE.  No field of a report is NaN or infinite.

Check procedure (:func:`check`)
-------------------------------
At the first point that works, for ``N_DIRECTIONS`` random directions ``V``
(symmetric when ``wrt`` is symmetric; both scaled so that ``max|V_ij| = 1``) the
directional derivative of ``f`` is estimated by central differences with
Richardson extrapolation, all entries of ``f`` at once::

    h    = 1e-3 * max(1, max_ij |X_ij|)           X = the value of wrt
    D(t) = (f(X + t V) - f(X - t V)) / (2 t)
    est  = (4 D(h/2) - D(h)) / 3                  the first extrapolation

continued (Ridders' method, see :func:`_richardson`) with the steps h/4,
h/8, ... and higher orders while that lowers the tableau's own error estimate;
on smooth functions this gives ~1e-10, and it stays accurate next to a pole
or a nearly singular matrix, where one fixed step is not.  When ``X +- hV``
leaves the function's domain (``f`` finite at ``X`` but not there), ``h`` is
divided by STEP_SHRINK = 4 until it is not, at most MAX_STEP_SHRINKS times.  The estimate
``est`` is compared with the prediction ``pred`` read from the result (see
:func:`check`).  The error of one direction is (norms are Frobenius norms
over all entries)::

    rel_error(est, pred) = ||est - pred|| / max(||est||, ||pred||, 1e-6)

``max_rel_error`` is the largest error over the directions, and over the
symmetry tests where they apply (``asym(R) = ||R - R'|| / max(||R||, 1e-6)``
for a Hessian, and for the gradient with respect to a symmetric matrix).
The check passes when ``max_rel_error <= tol``.

Sizes: a check whose evaluation would make more than ``workload.MAX_ENTRIES`` array entries or
``workload.MAX_FLOPS`` multiply-adds is not done (``unchecked``, with the message of
:func:`matdiff.workload.too_large`): declared sizes such as ``matrix(8000, 8000)``, or krons
of krons.

This module imports only numpy (besides matdiff's IR and evaluator); the rest
of matdiff imports it lazily.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from . import ir
from .evaluate import evaluate, resolve_shape
from .ops.spectral_numpy import ties
from .printing import to_text
from .workload import too_large

__all__ = [
    "DOMAINS",
    "KINDS",
    "NO_FINITE_DIFFERENCES",
    "NO_FINITE_POINT",
    "RESULT_NOT_FINITE",
    "CheckReport",
    "Point",
    "candidate_points",
    "check",
    "combine_reports",
    "directional_derivative",
    "numeric_gradient",
    "relative_error",
    "sample_dims",
    "sample_values",
]

DOMAINS = ("normal", "positive", "spd")
KINDS = ("gradient", "derivative", "jacobian", "hessian", "map")

N_DIRECTIONS = 3
BASE_STEP = 1e-3  # the first finite-difference step, before scaling by the point's entries
MAX_LEVELS = 10  # at most this many steps (h, h/2, ..., h/2**9) in the Richardson tableau
MIN_LEVELS = 4  # always try the steps down to h/2**4 (h may straddle a nearby pole)
PATIENCE = 2  # then stop when the best estimate has not improved for this many levels
CONVERGED = 1e-13  # stop when the estimated relative error is this small
ROUNDING_ALLOWANCE = 100.0  # times eps*|f|/h: the rounding noise of a difference
REL_FLOOR = 1e-6  # the denominator floor of the relative error, so that zeros compare well
SIZE_POOL_START = (3, 4, 5, 6, 2, 7)  # dimension sizes, in order of preference
NORMAL_SHIFT = 0.5  # how far "normal" entries are pushed away from zero
DIAGONAL_SHIFT = 3.0  # added to the diagonal of square matrices in "normal" / "positive"
MAX_STEP_SHRINKS = 12  # a step that leaves f's domain is divided by STEP_SHRINK at most this often
STEP_SHRINK = 4.0
# Moving a draw into the function's domain (only when the first draws give non-finite values):
SCALES = (0.1, 0.01)  # every variable scaled towards 0 (1 - x'*x > 0, acos(x), ...)
SHIFTS = (10.0, 100.0)  # one variable shifted (b - A*x > 0, log(x - 1), ...)
OTHERS_SCALE = 0.1  # ... and the others scaled towards 0, the last resort
REDRAWS = 2  # the whole search is repeated with the seeds seed + 1, ..., seed + REDRAWS
ATTEMPTS_PER_SEED = 40  # at most this many points are tried with each seed


NO_FINITE_POINT = "could not find a point where the function is finite"
NO_FINITE_DIFFERENCES = ("could not find a point where the function is finite around the "
                         "point (its finite differences are not finite)")
NOT_DIFFERENTIABLE = ("not differentiable at the points tried (the result assumes distinct "
                      "eigenvalues or singular values)")
RESULT_NOT_FINITE = "the result is not finite at any point tried where the function is finite"

TIE_SUSPECT = 1e-6  # an error above this at a point where eigenvalues tie is not judged
# What makes a domain unusable at a point (besides non-finite values).
_NUMERIC_FAILURES = (np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError, OverflowError)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of a numeric check.

    ``outcome`` is ``"passed"``, ``"failed"`` or ``"unchecked"`` (no point was
    found where the function and its finite differences are finite: the
    result could not be compared with anything).  No field is ever NaN or
    infinite: where there is no error to report, ``max_rel_error`` is None
    and ``message`` says why.
    """

    max_rel_error: float | None  # None when no point gave finite values (see message)
    passed: bool
    domain: str  # the domain the point was drawn from, or "none"
    dims: dict  # the sizes used for the symbolic dimensions
    message: str | None = None  # why there is no error (NO_FINITE_POINT, ...), else None
    adjustment: str | None = None  # how the draw was moved into f's domain; None: as drawn

    @property
    def outcome(self) -> str:
        if self.passed:
            return "passed"
        if self.max_rel_error is None and self.message != RESULT_NOT_FINITE:
            return "unchecked"
        return "failed"

    def to_json(self) -> dict:
        """The report as JSON-ready data (no NaN, no Infinity)."""
        out: dict = {"max_rel_error": self.max_rel_error, "passed": self.passed,
                     "outcome": self.outcome, "domain": self.domain, "dims": dict(self.dims)}
        if self.message is not None:
            out["message"] = self.message
        if self.adjustment is not None:
            out["adjustment"] = self.adjustment
        return out


def combine_reports(*reports: CheckReport) -> CheckReport:
    """One report for several checks of one derivative (say its matrix and its linear map).

    Failed if any failed, else unchecked if any was unchecked, else passed;
    the error is the largest one reported (None when a check that decides the
    outcome has none).
    """
    if not reports:
        raise ValueError("combine_reports needs at least one report")
    errors = [r.max_rel_error for r in reports if r.max_rel_error is not None]
    for outcome in ("failed", "unchecked"):
        deciding = [r for r in reports if r.outcome == outcome]
        if deciding:
            first = deciding[0]
            error = max(errors) if errors and first.max_rel_error is not None else None
            return CheckReport(error, False, first.domain, first.dims, first.message,
                               first.adjustment)
    first = reports[0]
    return CheckReport(max(errors), True, first.domain, first.dims, None, first.adjustment)


# -------------------------------------------------------------------------------------- dimensions


def _dim_parts(dim: ir.Dim) -> list[ir.Dim]:
    """The atomic factors of a dimension: ``"m*n"`` -> ``["m", "n"]``, ``"m*3"`` -> ``["m", 3]``."""
    if isinstance(dim, int):
        return [dim]
    if "*" in dim:
        return [q for p in dim.split("*") for q in _dim_parts(p.strip())]
    if dim.startswith("min(") and dim.endswith(")"):  # min(m,n): both are sampled
        return [q for p in dim[4:-1].split(",") for q in _dim_parts(p.strip())]
    return [int(dim) if dim.isdigit() else dim]


def _dims_of(exprs: Iterable[ir.Expr]) -> tuple[set[str], set[int]]:
    """The symbolic dimension names and the integer dimensions in the shapes of all nodes."""
    names: set[str] = set()
    ints: set[int] = set()
    for expr in exprs:
        for node in expr.walk():
            for dim in ir.dims_of(node):
                for part in _dim_parts(dim):
                    if isinstance(part, int):
                        ints.add(part)
                    else:
                        names.add(part)
    return names, ints


def _size_pool(count: int, taken: set[int]) -> list[int]:
    """``count`` distinct sizes >= 2, in preference order, avoiding the ``taken`` ones."""
    pool: list[int] = []
    candidate = max(SIZE_POOL_START) + 1
    for size in SIZE_POOL_START:
        if len(pool) < count and size not in taken:
            pool.append(size)
    while len(pool) < count:
        if candidate not in taken:
            pool.append(candidate)
        candidate += 1
    return pool


def sample_dims(
    exprs: Iterable[ir.Expr], rng: np.random.Generator, fixed: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Sizes for every symbolic dimension of ``exprs``, distinct for distinct dimensions.

    ``fixed`` sizes are kept (and returned too); the other names get the first
    free sizes of 3, 4, 5, 6, 2, 7, 8, ..., shuffled by ``rng`` among themselves.
    """
    fixed = dict(fixed or {})
    names, ints = _dims_of(exprs)
    free = sorted(names - set(fixed))
    sizes = _size_pool(len(free), ints | set(fixed.values()))
    order: list[int] = [int(i) for i in rng.permutation(len(sizes))] if sizes else []
    dims = dict(fixed)
    for name, index in zip(free, order):
        dims[name] = int(sizes[index])
    return dims


# ------------------------------------------------------------------------------------------ values


def _is_square_matrix(sym: ir.Sym, shape: tuple[int, int]) -> bool:
    return sym.kind in ("matrix", "symmetric") and shape[0] == shape[1]


def _mask(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Random 0/1 entries, with both values present when there are at least two entries."""
    mask = rng.integers(0, 2, size=shape).astype(float)
    flat = mask.reshape(-1)  # a view
    if flat.size >= 2 and (flat.min() == flat.max()):
        flat[rng.integers(flat.size)] = 1.0 - flat[0]
    return mask


def _normal(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Standard normal entries pushed away from zero by NORMAL_SHIFT."""
    x = rng.standard_normal(shape)
    return x + NORMAL_SHIFT * np.where(x >= 0, 1.0, -1.0)


def _positive(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.5, 2.0, size=shape)


def _spd(n: int, rng: np.random.Generator) -> np.ndarray:
    """A symmetric positive definite matrix with eigenvalues >= 1."""
    b = rng.standard_normal((n, n))
    return b @ b.T / n + np.eye(n)


def _sample_one(sym: ir.Sym, shape: tuple[int, int], rng: np.random.Generator, domain: str):
    """The value of one (non-mask, non-dimension) variable in a domain."""
    square = _is_square_matrix(sym, shape)
    if domain == "spd" and square:
        return _spd(shape[0], rng)
    if domain == "normal":
        value = _normal(shape, rng)
    elif domain in ("positive", "spd"):
        value = _positive(shape, rng)
    else:
        raise ValueError(f"unknown domain {domain!r}; expected one of {DOMAINS}")
    if sym.kind == "symmetric":
        value = (value + value.T) / 2
    if square:
        value = value + DIAGONAL_SHIFT * np.eye(shape[0])
    return value


def sample_values(
    syms: Iterable[ir.Sym], dims: Mapping[str, int], rng: np.random.Generator, domain: str
) -> dict[str, np.ndarray]:
    """A random value (a 2-D float array) for every variable, drawn in ``domain``."""
    values: dict[str, np.ndarray] = {}
    for sym in syms:
        shape = resolve_shape(sym.shape, dims)
        if sym.kind == "mask":
            values[sym.name] = _mask(shape, rng)
        elif sym.is_scalar and sym.name in dims:  # a dimension name used as a scalar
            values[sym.name] = np.array([[float(dims[sym.name])]])
        else:
            values[sym.name] = _sample_one(sym, shape, rng, domain)
    return values


# ---------------------------------------------------------------- points in the function's domain


def _adjustable(sym: ir.Sym, dims: Mapping[str, int]) -> bool:
    """Whether a variable's draw may be scaled or shifted: not a mask (0/1 data) and not a
    dimension name used as a scalar (it is the dimension's size)."""
    return sym.kind != "mask" and not (sym.is_scalar and sym.name in dims)


def _shift_pattern(value: np.ndarray) -> np.ndarray:
    """What a shift adds (times a constant): ones, and for a square matrix ones + I, which is
    symmetric positive definite and well conditioned (so symmetric and SPD draws stay so,
    and an inverse stays well defined)."""
    rows, cols = value.shape
    pattern = np.ones((rows, cols))
    if rows == cols and rows > 1:
        pattern += np.eye(rows)
    return pattern


def _scale(values: dict[str, np.ndarray], names: Iterable[str], factor: float) -> None:
    for name in names:
        values[name] = factor * values[name]


Change = Callable[[dict[str, np.ndarray]], None]


def _unchanged(values: dict[str, np.ndarray]) -> None:
    return None


def _scaling(names: list[str], factor: float) -> Change:
    def change(values: dict[str, np.ndarray]) -> None:
        _scale(values, names, factor)

    return change


def _shifting(name: str, shift: float, others: list[str], factor: float) -> Change:
    def change(values: dict[str, np.ndarray]) -> None:
        _scale(values, others, factor)
        values[name] = values[name] + shift * _shift_pattern(values[name])

    return change


def _adjustments(adjustable: list[str]) -> list[tuple[str | None, Change, tuple[str, ...]]]:
    """The ways a draw is moved, in order: none; every variable scaled towards 0; one
    variable shifted (towards large positive values, and in the "normal" domain also
    towards negative ones: a positive shift keeps "positive" and "spd" draws so); one
    variable shifted and the others scaled towards 0.  Each is (a description, an in-place
    change of the values, the domains it applies to)."""
    out: list[tuple[str | None, Change, tuple[str, ...]]] = [(None, _unchanged, DOMAINS)]
    if not adjustable:
        return out
    for factor in SCALES:
        out.append((f"every variable scaled by {factor:g}", _scaling(adjustable, factor),
                    DOMAINS))
    for others_factor in (1.0, OTHERS_SCALE):
        if others_factor != 1.0 and len(adjustable) < 2:
            continue
        for size in SHIFTS:
            for name in adjustable:
                others = [n for n in adjustable if n != name]
                for shift in (size, -size):
                    text = f"{name} shifted by {shift:+g}"
                    if others_factor != 1.0:
                        text += f", the other variables scaled by {others_factor:g}"
                    out.append((text, _shifting(name, shift, others, others_factor),
                                DOMAINS if shift > 0 else ("normal",)))
    return out


@dataclass(frozen=True)
class Point:
    """A candidate point for the check: the domain it was drawn in, how it was moved
    (None: as drawn), the sizes, the values, and the generator to draw directions from."""

    domain: str
    adjustment: str | None
    dims: dict
    values: dict
    rng: np.random.Generator


def candidate_points(
    exprs: list[ir.Expr],
    syms: list[ir.Sym],
    rng_seed: int = 0,
    fixed_dims: Mapping[str, int] | None = None,
    scale: float = 1.0,
) -> Iterator[Point]:
    """The points the check tries, in order (deterministic): at most ATTEMPTS_PER_SEED for
    each of the 1 + REDRAWS seeds.

    First one draw in each domain of DOMAINS (with the seed ``rng_seed``): the first
    of these gives finite values for most functions, and the check stops there.  Then
    each domain's draw moved by :func:`_adjustments` (scaled towards 0, one variable
    shifted, ...), then all of it again for the seeds ``rng_seed + 1``, ...,
    ``rng_seed + REDRAWS``.  Every adjustment keeps the declared kinds: masks are not
    changed, symmetric draws stay symmetric, and SPD draws stay SPD (scaled by a positive
    factor, or shifted by a positive multiple of ones + I).
    """
    for seed in range(rng_seed, rng_seed + REDRAWS + 1):
        dims = sample_dims(exprs, np.random.default_rng(seed), fixed_dims)
        adjustable = [s.name for s in syms if _adjustable(s, dims)]
        schedule = [(domain, text, change) for text, change, domains in _adjustments(adjustable)
                    for domain in DOMAINS if domain in domains]
        for domain, text, change in schedule[:ATTEMPTS_PER_SEED]:
            rng = np.random.default_rng(seed)
            dims = sample_dims(exprs, rng, fixed_dims)
            values = sample_values(syms, dims, rng, domain)
            change(values)
            if scale != 1.0:  # a tamer point: every variable's draw scaled towards 0
                _scale(values, [s.name for s in syms if _adjustable(s, dims)], scale)
            if seed != rng_seed:
                text = f"redrawn with seed {seed}" + ("" if text is None else f", {text}")
            yield Point(domain, text, dims, values, rng)


def _collect_syms(exprs: Iterable[ir.Expr]) -> list[ir.Sym]:
    """Every variable of the expressions (by name, sorted), each name with one declaration."""
    found: dict[str, ir.Sym] = {}
    for expr in exprs:
        for node in expr.walk():
            if isinstance(node, ir.Sym):
                other = found.setdefault(node.name, node)
                if other is not node:
                    raise ValueError(f"variable {node.name} is declared twice differently")
    return [found[name] for name in sorted(found)]


# ------------------------------------------------------------------------------ finite differences


def _norm(x: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(x).reshape(-1)))


def relative_error(est: np.ndarray, pred: np.ndarray, floor: float = REL_FLOOR) -> float:
    """``||est - pred|| / max(||est||, ||pred||, floor)`` with Frobenius norms."""
    return _norm(est - pred) / max(_norm(est), _norm(pred), floor)


def _asymmetry(r: np.ndarray) -> float:
    """How far a square matrix is from symmetric, relative to its size."""
    return _norm(r - r.T) / max(_norm(r), REL_FLOOR)


def _step(x: np.ndarray) -> float:
    """The finite-difference step for a point: 1e-3, scaled up for large entries."""
    return BASE_STEP * max(1.0, float(np.max(np.abs(x))))


def _richardson(
    central: Callable[[float], np.ndarray], h: float, first: np.ndarray | None = None
) -> np.ndarray:
    """Ridders' method: repeated Richardson extrapolation of central differences.

    ``central(t)`` is the central difference with step ``t`` (error a series in
    ``t**2``).  The steps ``h, h/2, h/4, ...`` fill a Neville tableau::

        T[0][i] = central(h / 2**i)
        T[j][i] = (4**j T[j-1][i] - T[j-1][i-1]) / (4**j - 1)

    so ``T[1][1] = (4 D(h/2) - D(h)) / 3`` is the plain Richardson estimate.
    Each entry's error is estimated from its neighbours; the entry with the
    smallest estimate is returned.  The tableau grows to at least MIN_LEVELS
    steps (the first steps may straddle a nearby pole of tan, or a nearly
    singular matrix), then until the best estimate has not improved for
    PATIENCE levels (rounding error takes over), is good to CONVERGED, or
    MAX_LEVELS is reached.  A non-finite difference stops it.  ``first`` is
    ``central(h)`` when the caller has it already.
    """
    previous = [central(h) if first is None else first]
    best, best_error, improved_at = previous[0], math.inf, 0
    for level in range(1, MAX_LEVELS):
        h /= 2
        row = [central(h)]
        if not _all_finite(row[0]):
            break
        factor = 4.0
        for order in range(1, level + 1):
            row.append((factor * row[order - 1] - previous[order - 1]) / (factor - 1))
            factor *= 4.0
            error = max(_norm(row[order] - row[order - 1]), _norm(row[order] - previous[order - 1]))
            if error < best_error:
                best, best_error, improved_at = row[order], error, level
        if best_error <= CONVERGED * _norm(best):
            break  # as good as float64 gets
        if level >= MIN_LEVELS and level - improved_at >= PATIENCE:
            break  # smaller steps only add rounding error
        previous = row
    return best


def directional_derivative(
    f: ir.Expr,
    wrt: ir.Sym,
    values: Mapping[str, np.ndarray],
    dims: Mapping[str, int],
    direction: np.ndarray,
) -> np.ndarray:
    """The derivative of ``f`` at ``values`` along ``direction`` (f's shape), numerically.

    Central differences ``(f(X + tV) - f(X - tV)) / (2t)`` of all entries of
    ``f`` at once, from ``t = h = 1e-3 * max(1, max|X_ij|)`` down, extrapolated
    by :func:`_richardson`.  When ``X +- hV`` leaves the function's domain (the
    difference is not finite while ``f(X)`` is), ``h`` is divided by STEP_SHRINK,
    at most MAX_STEP_SHRINKS times; the result is not finite when no step works.
    """
    x = np.asarray(values[wrt.name], dtype=np.result_type(values[wrt.name], float))
    x = x.reshape(direction.shape)
    point = dict(values)

    def f_at(t: float) -> np.ndarray:
        point[wrt.name] = x + t * direction
        return evaluate(f, point, dims)

    def central(t: float) -> np.ndarray:
        return (f_at(t) - f_at(-t)) / (2 * t)

    h = _step(x)
    first = central(h)
    for _ in range(MAX_STEP_SHRINKS):
        if _all_finite(first):
            break
        h /= STEP_SHRINK
        first = central(h)
    return _richardson(central, h, first)


def numeric_gradient(
    f: ir.Expr, wrt: ir.Sym, values: Mapping[str, np.ndarray], dims: Mapping[str, int]
) -> np.ndarray:
    """The finite-difference gradient of a scalar ``f``, entry by entry (wrt's shape).

    Each entry of ``wrt`` is perturbed on its own (Richardson central
    differences).  For a symmetric ``wrt`` the result is symmetrised,
    ``(G + G')/2``, matdiff's convention for symmetric variables.
    """
    if not f.is_scalar:
        raise ValueError("numeric_gradient needs a scalar function")
    shape = resolve_shape(wrt.shape, dims)
    grad = np.zeros(shape, dtype=np.result_type(values[wrt.name], float))
    for index in np.ndindex(*shape):
        unit = np.zeros(shape)
        unit[index] = 1.0
        grad[index] = directional_derivative(f, wrt, values, dims, unit)[0, 0]
    if wrt.kind == "symmetric":
        grad = (grad + grad.T) / 2
    return grad


# ------------------------------------------------------------------------------------- predictions


def _vec(x: np.ndarray) -> np.ndarray:
    return x.reshape((-1, 1), order="F")


def _predict(
    kind: str,
    f_shape: tuple[int, int],
    wrt: ir.Sym,
    result: ir.Expr,
    r: np.ndarray | None,
    values: Mapping[str, np.ndarray],
    dims: Mapping[str, int],
    v: np.ndarray,
) -> np.ndarray:
    """The directional derivative along ``v`` that the result claims (``r`` = its value)."""
    if kind == "gradient":
        return np.array([[np.sum(r * v)]])
    if kind == "derivative":
        return r * v[0, 0]
    if kind in ("jacobian", "hessian"):
        return (r @ _vec(v)).reshape(f_shape, order="F")
    # "map": the result is linear in the differential d<wrt>
    return evaluate(result, {**values, "d" + wrt.name: v}, dims)


def _direction(wrt: ir.Sym, shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A random direction (symmetric for a symmetric variable) with max |entry| = 1."""
    v = rng.standard_normal(shape)
    if wrt.kind == "symmetric":
        v = (v + v.T) / 2
    return v / np.max(np.abs(v))


def _expected_result_shape(kind: str, f_shape, wrt_shape) -> tuple[int, int] | None:
    """The value shape the result must have (None for "map", checked by evaluation)."""
    if kind == "gradient":
        return wrt_shape
    if kind == "derivative":
        return f_shape
    if kind in ("jacobian", "hessian"):
        return (f_shape[0] * f_shape[1], wrt_shape[0] * wrt_shape[1])
    return None


def _all_finite(*arrays: np.ndarray) -> bool:
    return all(bool(np.all(np.isfinite(a))) for a in arrays)


# Why a point could not be used, in increasing order of how far the check got.
_FUNCTION, _DIFFERENCES, _RESULT = 1, 2, 3


def _errors_at_point(
    f: ir.Expr,
    wrt: ir.Sym,
    result: ir.Expr,
    kind: str,
    values: dict[str, np.ndarray],
    dims: dict[str, int],
    rng: np.random.Generator,
) -> tuple[float, float] | int | str:
    """The largest relative error at one point, plain and with the rounding allowance (the
    verdict uses the second); or, when the point gives non-finite values (or a singular
    matrix), what was not finite: _FUNCTION (f), _DIFFERENCES (f near the point, for
    every step tried) or _RESULT (the result, where f and its differences are finite);
    or why the derivative does not exist at the point (eigenvalues that tie), as text."""
    stage = _FUNCTION
    try:
        f_value = evaluate(f, values, dims)
        if not _all_finite(f_value):
            return _FUNCTION
        stage = _RESULT
        r = None if kind == "map" else evaluate(result, values, dims)
        if r is not None and not _all_finite(r):
            return _RESULT
        wrt_shape = resolve_shape(wrt.shape, dims)
        expected = _expected_result_shape(kind, f_value.shape, wrt_shape)
        if expected is not None and r is not None and r.shape != expected:
            raise ValueError(f"a {kind} result must have shape {expected}, it has {r.shape}")
        errors = []
        symmetric = kind == "hessian" or (kind == "gradient" and wrt.kind == "symmetric")
        if r is not None and symmetric:
            errors.append((_asymmetry(r), _asymmetry(r)))
        # rounding in f(x + h v) - f(x - h v) limits what differences can show: a large f
        # with a small derivative (|f| = 1e7, |df| = 1) is only checked to ~1e-6
        noise = ROUNDING_ALLOWANCE * np.finfo(float).eps * _norm(f_value) / _step(
            np.asarray(values[wrt.name]))
        for _ in range(N_DIRECTIONS):
            v = _direction(wrt, wrt_shape, rng)
            stage = _DIFFERENCES
            est = directional_derivative(f, wrt, values, dims, v)
            if not _all_finite(est):
                return _DIFFERENCES
            stage = _RESULT
            pred = _predict(kind, f_value.shape, wrt, result, r, values, dims, v)
            if not _all_finite(pred):
                return _RESULT
            scale = max(_norm(est), _norm(pred), REL_FLOOR)
            errors.append((_norm(est - pred) / scale, max(_norm(est - pred) - noise, 0.0) / scale))
    except _NUMERIC_FAILURES:
        return stage
    # the reported error is the plain one; the verdict allows for the rounding noise
    reported, judged = max(e[0] for e in errors), max(e[1] for e in errors)
    if not math.isfinite(reported) or not math.isfinite(judged):  # norms that overflow
        return _DIFFERENCES
    tie = ties([f, result], lambda e: evaluate(e, values, dims)) if judged > TIE_SUSPECT else None
    if tie is not None:  # no match where eigenvalues tie: no derivative to compare with
        return f"{tie[0]} of {to_text(tie[1])} tie (a gap of {tie[2]:.1e})"
    return reported, judged


def _try_point(f, wrt, result, kind, values, dims, rng) -> tuple[float, float] | int | str:
    """:func:`_errors_at_point` with numpy's warnings silenced."""
    with np.errstate(all="ignore"):
        return _errors_at_point(f, wrt, result, kind, values, dims, rng)


# --------------------------------------------------------------------------------------- the check


def _validate(f: ir.Expr, wrt: ir.Sym, result: ir.Expr, kind: str) -> None:
    """Errors in the request itself (not numeric failures)."""
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; expected one of {KINDS}")
    if not isinstance(wrt, ir.Sym):
        raise ValueError("the variable of differentiation must be a Sym")
    if wrt.kind == "mask":
        raise ValueError(f"{wrt.name} is a mask (constant data): it cannot be differentiated")
    if kind == "gradient" and not f.is_scalar:
        raise ValueError("a gradient needs a scalar function")
    if kind == "derivative" and not wrt.is_scalar:
        raise ValueError("a derivative (entrywise) needs a scalar variable")
    if kind == "hessian" and f.shape != wrt.shape:
        raise ValueError("for a hessian check, f must be the gradient (the variable's shape)")
    if kind == "map" and result.shape != f.shape:
        raise ValueError("a linear map on the differential must have the function's shape")


def check(
    f: ir.Expr,
    wrt: ir.Sym,
    result: ir.Expr,
    kind: str,
    *,
    rng_seed: int = 0,
    tol: float = 1e-6,
    fixed_dims: Mapping[str, int] | None = None,
    scale: float = 1.0,
) -> CheckReport:
    """Check numerically that ``result`` is the derivative of ``f`` with respect to ``wrt``.

    ``kind`` says how ``result`` predicts the directional derivative ``df``
    along a direction ``V`` (a random value of ``wrt``'s shape):

    * ``"gradient"``: f scalar, result of wrt's shape, ``df = sum(result .* V)``;
      for a symmetric wrt the result must also be symmetric.
    * ``"derivative"``: wrt scalar, result of f's shape, ``df = result * V``.
    * ``"jacobian"``: result is (numel f) x (numel wrt), ``vec(df) = result * vec(V)``
      (column-major vec).
    * ``"hessian"``: ``f`` is the gradient expression and result the
      (numel wrt) x (numel wrt) Hessian: checked as the Jacobian of ``f``, and
      it must be symmetric.
    * ``"map"``: result contains ``Differential(wrt)``, linear in it;
      ``df = result`` evaluated with ``d<wrt> = V``.

    ``fixed_dims`` pins the sizes of some dimensions; ``scale`` multiplies every
    variable's draw (masks and dimension sizes excepted).  See the module docstring
    for the domains, the finite differences and the error formula.
    """
    _validate(f, wrt, result, kind)
    exprs = [f, result, wrt]
    syms = _collect_syms(exprs)
    dims: dict[str, int] = {}
    furthest = 0  # how far the check got at the points that could not be used
    tie: str | None = None  # why the derivative did not exist at a point, if it did not
    for seed in range(rng_seed, rng_seed + REDRAWS + 1):  # before anything is allocated
        dims = sample_dims(exprs, np.random.default_rng(seed), fixed_dims)
        refusal = too_large(exprs, dims)
        if refusal is not None:
            return CheckReport(None, False, "none", dims, refusal)
    for point in candidate_points(exprs, syms, rng_seed, fixed_dims, scale):
        dims = point.dims
        outcome = _try_point(f, wrt, result, kind, point.values, dims, point.rng)
        if isinstance(outcome, tuple):
            reported, judged = outcome
            return CheckReport(reported, bool(judged <= tol), point.domain, dims,
                               adjustment=point.adjustment)
        if isinstance(outcome, str):
            tie = tie or outcome
            continue
        furthest = max(furthest, outcome)
    if tie is not None:  # what the result assumes does not hold at any point tried
        return CheckReport(None, False, "none", dims, f"{NOT_DIFFERENTIABLE}: {tie}")
    message = {_RESULT: RESULT_NOT_FINITE, _DIFFERENCES: NO_FINITE_DIFFERENCES}.get(
        furthest, NO_FINITE_POINT)
    return CheckReport(None, False, "none", dims, message)
