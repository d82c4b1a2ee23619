"""Python source text: operator precedences, number literals, identifiers, size atoms."""

from __future__ import annotations

import keyword
import re

from .lir import Dim

# precedences of the generated expressions (higher binds tighter); @ shares * and / 's
# level in Python but gets its own here, so that a product of the two is parenthesised
ATOM, POW, UNARY, MUL, MATMUL, ADD = 100.0, 90.0, 80.0, 70.0, 70.5, 60.0

# names the generated module uses itself: a variable with one of them is renamed
RESERVED = frozenset({"np", "jnp", "jax", "torch", "da", "dask", "math", "f", "check", "value"})


def paren(code: str) -> str:
    """``code`` in parentheses unless it is a name, attribute or a single call."""
    return code if re.fullmatch(r"[\w.]+(\(.*\))?", code) and code.count("(") <= 1 else f"({code})"


def num(x: float) -> str:
    """A number literal: integral values without a decimal point."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def atoms(d: Dim) -> list[int | str]:
    """The factors of a size: ``"2*n"`` -> ``[2, "n"]``."""
    if isinstance(d, int):
        return [d]
    if is_min(d):  # one atom, bound from its operands (:func:`min_operands`)
        return [d]
    return [int(p) if p.isdigit() else p for p in str(d).split("*")]


def py_name(name: str) -> str:
    """The Python identifier of a matdiff variable (a keyword or reserved name gets a ``_``)."""
    if keyword.iskeyword(name) or name in RESERVED:
        return name + "_"
    return name


def dim_py(d: str, taken: set[str]) -> str:
    """A fresh Python identifier for the dimension ``d``, added to ``taken``."""
    py = d if d.isidentifier() and not keyword.iskeyword(d) else "dim_" + re.sub(r"\W", "_", d)
    while py in taken:
        py = py + "_"
    taken.add(py)
    return py


def is_min(d: Dim) -> bool:
    """The smaller of two sizes, ``min(m,n)`` (the thin SVD's): no input's shape gives it."""
    return isinstance(d, str) and d.startswith("min(") and d.endswith(")")


def min_operands(d: str) -> list[str]:
    """The sizes ``min(m,n)`` is the smaller of."""
    return [p.strip() for p in d[4:-1].split(",")]
