"""Naming tables shared by the front ends, the type checker and the printers.

* :data:`GREEK` -- the names of the lowercase Greek letters (``alpha`` .. ``omega``), which
  the language reads as scalars and the printers set as ``\\alpha`` ...;
* :data:`GREEK_UNICODE` / :data:`GREEK_UPPER_UNICODE` -- the Greek characters and their
  names (``λ`` -> ``lambda``, ``Σ`` -> ``Sigma``).
"""

from __future__ import annotations

__all__ = ["GREEK", "GREEK_UNICODE", "GREEK_UPPER_UNICODE"]

GREEK: list[str] = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega"]
GREEK_UNICODE: dict[str, str] = dict(zip("αβγδεζηθικλμνξοπρστυφχψω", GREEK))
GREEK_UPPER_UNICODE: dict[str, str] = dict(
    zip("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ", [g.capitalize() for g in GREEK]))
