"""Exact arithmetic on the numbers of an expression, and the bounds that keep every number
matdiff holds small enough to compute with, print and check.

The bounds (a number outside them is a :class:`NumberError`, kind ``unsupported``, which
the lowering places at the text that made the number):

* **range** -- every number (as written, folded from constants, or made by
  differentiation) is 0 or between ``1e-308`` and ``1e308`` in absolute value: the range
  of the floating-point numbers that the numeric check and the generated code compute
  with.  A power of numbers is judged by its value even when it stays a power:
  ``2^(2^32)`` (about ``10^1292913986``) is refused, its digits are never computed.
* **digits** -- the numerator and the denominator of a number have at most
  :data:`MAX_DIGITS` digits each (a sum of fractions such as ``1/2 + 1/3 + 1/5 + ...``
  can stay in range while its denominator grows without bound).
* **real numbers** -- a negative number to a power that is not an integer
  (``(-8)^(1/3)``) is not a real number, and 0 to a negative power (``1/0``) divides by
  zero: both are errors.
* **folding** -- ``b^p`` of numbers becomes one number only when it is rational and its
  numerator and denominator stay below ``2^MAX_FOLDED_BITS`` (``2^10 = 1024``,
  ``4^(1/2) = 2``, ``(8/27)^(2/3) = 4/9``); a larger one stays a power and is printed as
  written (``2^100``, ``3^(1/2)``), so that no printed constant runs to hundreds of digits.
* **matrix powers** -- ``X^k`` for ``|k| <= MAX_MATRIX_POWER`` (64), as written; a product
  of powers of one matrix merges only while the merged power stays within it
  (``X^64*X^64`` stays so): the derivative of ``X^k`` has ``k`` terms.

Number literals (:mod:`matdiff.lex`) have at most 1000 digits and an exponent of at most
1000 (``1e999`` is then refused here, by its range), and a text has at most
:data:`matdiff.lex.MAX_TEXT_LENGTH` characters.
"""

from __future__ import annotations

import math
from fractions import Fraction

from .errors import UnsupportedError

__all__ = ["MAX_DIGITS", "MAX_FOLDED_BITS", "MAX_MAGNITUDE", "MAX_MATRIX_POWER", "NumberError",
           "check_number", "exact_power"]

#: The largest size of a number: every nonzero number is between 1/MAX_MAGNITUDE and
#: MAX_MAGNITUDE in absolute value.
MAX_MAGNITUDE = 10**308
_LOG10_MAX = 308
#: The most digits a number's numerator or denominator may have.
MAX_DIGITS = 1200
_MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))
#: A power of numbers is folded into one number only below 2^MAX_FOLDED_BITS (20 digits).
MAX_FOLDED_BITS = 64
#: The largest matrix power, as written (``X^64``) or merged (``X^32*X^32``).
MAX_MATRIX_POWER = 64

_FAST_BITS = 1000  # a number whose parts have at most this many bits is surely in range
_SHORT = 24  # a number or power is named in a message by its digits up to this length
_RANGE = "matdiff works with numbers between 1e-308 and 1e308 in size (and 0)"

Number = int | Fraction


class NumberError(UnsupportedError):
    """A number matdiff cannot work with: too large, too small, with too many digits, not
    real, or a division by zero.  ``subject`` names the number (:meth:`about` puts the
    text that made it in its place), ``problem`` says what is wrong with it."""

    def __init__(self, subject: str, problem: str, position: int | None = None,
                 text: str | None = None):
        super().__init__(f"{subject} {problem}", position, text)
        self.subject = subject
        self.problem = problem

    def about(self, subject: str, position: int | None) -> NumberError:
        """The same error about ``subject`` (the text that made the number), at ``position``."""
        return NumberError(subject, self.problem, position, self.text)


# ----------------------------------------------------------------------------- the range


def _log10(value: Fraction) -> float:
    """log10 of a nonzero number's absolute value (exact parts of any size)."""
    return math.log10(abs(value.numerator)) - math.log10(value.denominator)


def _power_of_ten(exponent: float) -> str:
    """``10^1292913986``, or ``10^(4.0e+153)`` for an exponent too long to write out."""
    if math.isinf(exponent):
        return "10^(" + ("-" if exponent < 0 else "") + "1e308 or more)"
    if abs(exponent) < 1e15:
        return f"10^{round(exponent)}"
    return f"10^({exponent:.1e})"


def too_large(subject: str, log10: float) -> NumberError:
    return NumberError(subject, f"is too large a number (about {_power_of_ten(log10)}); "
                                f"{_RANGE}")


def too_small(subject: str, log10: float) -> NumberError:
    return NumberError(subject, f"is too small a number (about {_power_of_ten(log10)}); "
                                f"{_RANGE}")


def describe(value: Number) -> str:
    """A number as messages name it: its digits when short, else ``a constant the
    calculation needs`` (the lowering names the text that made it instead)."""
    text = str(value)
    return text if len(text) <= _SHORT else "a constant the calculation needs"


def check_number(value: Number) -> None:
    """Raise :class:`NumberError` unless ``value`` is within the bounds (module docstring).

    Cheap for the numbers of everyday expressions (a look at their bit lengths)."""
    if type(value) is int and value.bit_length() <= _FAST_BITS:
        return
    exact = Fraction(value)
    top, bottom = exact.numerator.bit_length(), exact.denominator.bit_length()
    if top <= _FAST_BITS and bottom <= _FAST_BITS and abs(top - bottom) <= _FAST_BITS:
        return
    if exact == 0:
        return
    if abs(exact) > MAX_MAGNITUDE:
        raise too_large(describe(value), _log10(exact))
    if abs(exact) * MAX_MAGNITUDE < 1:
        raise too_small(describe(value), _log10(exact))
    if top > _MAX_BITS or bottom > _MAX_BITS:
        digits = round(max(top, bottom) * math.log10(2))
        raise NumberError(describe(value), f"has too many digits (about {digits} in its "
                                           f"numerator or denominator; matdiff works with "
                                           f"at most {MAX_DIGITS})")


# ----------------------------------------------------------------------------- powers


def _in_parentheses(value: Fraction) -> str:
    text = describe(value.numerator if value.denominator == 1 else value)
    return text if text.isdigit() else f"({text})"


def power_text(b: Fraction, p: Fraction) -> str:
    """``2^4294967296``, ``(-8)^(1/3)``; ``a power of constants`` when that is long."""
    text = f"{_in_parentheses(b)}^{_in_parentheses(p)}"
    return text if len(text) <= 2 * _SHORT else "a power of constants"


def _as_float(value: Fraction) -> float:
    """A number as a float, infinite when it is too large for one."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def exact_power(b: Number, p: Number) -> Fraction | None:
    """``b^p`` as an exact number when it is rational and small enough to fold (``3^-1 =
    1/3``, ``4^(1/2) = 2``, ``(8/27)^(2/3) = 4/9``); None when it stays a power
    (``2^(1/2)``, ``2^100``).

    Raises :class:`NumberError` when ``b^p`` is no number matdiff can work with: outside
    the range (judged from its logarithm, without computing it), not real (a negative
    ``b`` and a ``p`` that is not an integer), or a division by zero (``b = 0``, ``p < 0``).
    """
    b, p = Fraction(b), Fraction(p)
    if p == 0:
        return Fraction(1)
    if b == 0:
        if p < 0:
            raise NumberError(power_text(b, p), "divides by zero")
        return Fraction(0)
    if b < 0 and p.denominator != 1:
        raise NumberError(power_text(b, p), "is not a real number (a negative number to a "
                                            "power that is not an integer)")
    if b == 1:
        return Fraction(1)
    if b == -1:
        return Fraction(-1 if p.numerator % 2 else 1)
    log10 = _as_float(p) * _log10(b)
    if log10 > _LOG10_MAX:
        raise too_large(power_text(b, p), log10)
    if log10 < -_LOG10_MAX:
        raise too_small(power_text(b, p), log10)
    top, bottom = abs(b.numerator), b.denominator
    if abs(_as_float(p)) * max(math.log2(top), math.log2(bottom)) > MAX_FOLDED_BITS:
        return None
    k = p.denominator
    if k > 1:  # a k-th root: r^k = n needs 2^k <= n for n >= 2
        if any(n > 1 and k >= n.bit_length() for n in (top, bottom)):
            return None
        root = Fraction(int_root(top, k), int_root(bottom, k) or 1)
        if root ** k != abs(b):
            return None
        b = root
    return b ** p.numerator


def int_root(n: int, k: int) -> int:
    """The integer r with r^k = n when there is one (else a number whose k-th power is not
    n); ``n`` has fewer than 1000 bits, or no root is found."""
    if k == 1 or n in (0, 1):
        return n
    r = round(float(n) ** (1.0 / k)) if n.bit_length() < 1000 else 0
    for c in (r - 1, r, r + 1):
        if c >= 0 and c ** k == n:
            return c
    return r
