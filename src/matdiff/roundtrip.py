"""The round trip of a named result: ``text where h1 = ..., r = ...`` must parse back, with
the variables' declarations, to an expression of the same values.

:func:`round_trip_error` is part of the self-check (:func:`matdiff.api.answer`): a named
form that does not parse back, or parses back to other values, is matdiff's bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .check import sample_dims, sample_values
from .errors import MatdiffError
from .evaluate import EvaluationError, evaluate
from .parse import parse_declarations
from .syntax import Declaration

if TYPE_CHECKING:
    from .pipeline import Result

#: Named forms longer than this are not parsed back (type checking a long text costs more
#: than the answer: matdiff's own check of the values still runs).
MAX_CHECKED_LENGTH = 5000

#: The relative difference allowed between the two values (they are the same arithmetic,
#: in another order at most).
TOLERANCE = 1e-8


def declarations_of(result: Result) -> tuple[Declaration, ...]:
    """Each variable of the result's program declared with its type (``W1: matrix(n, m)``),
    and the program's declarations of names it does not use (they may declare a size the
    result uses as a number, as ``n`` in ``n*sigmoid(a)``)."""
    program = result.program
    out: list[Declaration] = []
    for name, kind in program.types.items():
        out.extend(parse_declarations(f"{name}: {kind}"))
    for d in program.declarations:
        if not any(name in program.types for name, _ in d.names):
            out.append(d)
    return tuple(out)


def round_trip_error(result: Result, seed: int = 0) -> str | None:
    """None when the result's named text parses back to its values (or it has no
    definitions, or is longer than MAX_CHECKED_LENGTH, or the same answer written out does
    not parse back either: a limit of the language, not of the names); else what went
    wrong, in words."""
    if not result.shown.texts or len(result.text_where) > MAX_CHECKED_LENGTH:
        return None
    from .pipeline import compile_program

    text = result.text_where
    try:
        again = compile_program(text, declarations_of(result))
    except MatdiffError as e:
        try:
            compile_program(result.flat_text, declarations_of(result))
        except MatdiffError:
            return None
        return f"its named form does not parse back ({e.message})"
    if again.expr.shape != result.expr.shape:
        return (f"its named form parses back to shape {again.expr.shape}, not "
                f"{result.expr.shape}")
    rng = np.random.default_rng(seed)
    syms = {**result.program.syms, **again.syms}
    dims = sample_dims([result.expr, again.expr, *syms.values()], rng)
    values = sample_values(syms.values(), dims, rng, "positive")
    try:
        with np.errstate(all="ignore"):
            want = evaluate(result.expr, values, dims)
            got = evaluate(again.expr, values, dims)
    except EvaluationError as e:
        return f"its named form cannot be evaluated ({e})"
    finite = np.isfinite(want) & np.isfinite(got)
    if not finite.any():
        return None  # no conclusion at this point
    scale = max(1.0, float(np.max(np.abs(want[finite]))))
    error = float(np.max(np.abs(got[finite] - want[finite]))) / scale
    if error > TOLERANCE:  # (where only one is finite, rounding may have overflowed)
        return f"its named form parses back to other values (relative difference {error:.1e})"
    return None
