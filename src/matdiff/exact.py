"""Exact arithmetic on the numbers of an expression, bounded so that no input can make it
run for long or fill memory (``2^(2^(2^5))`` stays a power instead of a 4-billion-bit
integer)."""

from __future__ import annotations

from fractions import Fraction

from .ir import Number

MAX_EXACT_BITS = 4000  # numbers folded exactly stay below about 1,200 digits


def exact_power(b: Number, p: Number) -> Fraction | None:
    """``b^p`` as an exact number when it is rational (``3^-1 = 1/3``, ``4^(1/2) = 2``,
    ``(8/27)^(2/3) = 4/9``) and not huge; else None (the power stays symbolic)."""
    b, p = Fraction(b), Fraction(p)
    if (b == 0 and p < 0) or (b < 0 and p.denominator != 1):
        return None
    size = max(b.numerator.bit_length(), b.denominator.bit_length())
    if abs(p) * size > MAX_EXACT_BITS:
        return None
    root = Fraction(int_root(b.numerator, p.denominator), int_root(b.denominator,
                                                                     p.denominator) or 1)
    if root ** p.denominator != b:
        return None
    return root ** p.numerator


def int_root(n: int, k: int) -> int:
    """The integer r with r^k = n when there is one (else a number whose k-th power is not n)."""
    if k == 1 or n in (0, 1):
        return n
    r = round(float(n) ** (1.0 / k)) if n.bit_length() < 1000 else 0
    for c in (r - 1, r, r + 1):
        if c >= 0 and c ** k == n:
            return c
    return r
