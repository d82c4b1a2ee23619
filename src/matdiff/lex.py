"""The lexer of matdiff's plain expression language (see LANGUAGE.md).

:func:`tokenize` splits a text into :class:`Token` objects, the last one of kind ``eof``.
Every problem is a :class:`~matdiff.errors.MatdiffSyntaxError` at a 0-based code-point
offset.

Bounds: a text has at most :data:`MAX_TEXT_LENGTH` (20000) characters (longer is an
``unsupported`` error at the first character past it); a number literal at most
:data:`MAX_NUMBER_DIGITS` (1000) digits and an exponent (``1e-3``) of at most
:data:`MAX_EXPONENT` (1000).  The value of a number is bounded later, by its range
(:mod:`matdiff.exact`: ``1e999`` is too large).

Brackets are tokens only with ``index_forms=True`` (the indexing ``W[:, j]`` of index
sums) and only where indexing can be: a ``[`` must follow a name made of ASCII letters,
digits and ``_`` (spaces between are allowed), its ``]`` must be the next bracket, and both
come before the ``where`` keyword.  Any other bracket is an unexpected character, as it is
without index forms.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import NoReturn

from .errors import MatdiffSyntaxError, UnsupportedError
from .syntax import Span

__all__ = ["MAX_EXPONENT", "MAX_NUMBER_DIGITS", "MAX_TEXT_LENGTH", "Token", "TokenStream",
           "check_length", "describe", "tokenize"]

#: Limits on number literals, so that ``1e999999999`` cannot make us build a huge integer
#: (a number must also be within the range of :mod:`matdiff.exact`: ``1e999`` is refused
#: there).
MAX_NUMBER_DIGITS = 1000
MAX_EXPONENT = 1000
#: The longest text read (plain or LaTeX), so that reading and checking it stay quick.
MAX_TEXT_LENGTH = 20_000

# Token kinds.
NAME = "name"  # x, Sigma, λ, where (the keyword is a NAME with text "where")
NUMBER = "number"  # 2, .5, 1e-3 (value: Fraction)
STRING = "string"  # 'fro' (value: the text between the quotes)
OPERATOR = "operator"  # + - * @ / ^ .* ./ .^ (text normalised: ∘ and ⊙ become .*)
TRANSPOSE = "transpose"  # ' .' .T
LPAREN = "("
RPAREN = ")"
LBRACKET = "["  # only with index forms
RBRACKET = "]"
COMMA = ","
COLON = ":"
SEMICOLON = ";"
EQUALS = "="  # only in a where clause's definitions (h = exp(W1*x))
EOF = "eof"

KEYWORD_WHERE = "where"


@dataclass(frozen=True)
class Token:
    """One lexical token: its kind, its (normalised) text, where it is, and its value."""

    kind: str
    text: str
    span: Span
    value: Fraction | str | None = None

    @property
    def start(self) -> int:
        return self.span.start

    @property
    def end(self) -> int:
        return self.span.end


_SINGLE_CHAR_OPERATORS = {"+": "+", "-": "-", "*": "*", "@": "@", "/": "/", "^": "^",
                          "∘": ".*", "⊙": ".*"}
_DOT_OPERATORS = (".*", "./", ".^")
_PUNCTUATION = {"(": LPAREN, ")": RPAREN, ",": COMMA, ":": COLON, ";": SEMICOLON,
                "=": EQUALS}
_ASCII_DIGITS = "0123456789"
# After a number's digits, a dot followed by one of these belongs to an operator (2.*x).
_OPERATOR_AFTER_DOT = ("*", "/", "^", "'")
# A quote after one of these token kinds is a transpose; anywhere else it opens a string.
_OPERAND_ENDS = (NAME, NUMBER, RPAREN, RBRACKET, TRANSPOSE)
# a selection at integer positions: [k], [i, j], [:, j], [i, :]
_SELECTION = re.compile(r"\[[ \t]*(?:\d+|:)[ \t]*(?:,[ \t]*(?:\d+|:)[ \t]*)?\]")
_ASCII_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch == "_" or _is_digit(ch) or ch.isalpha()


def _is_digit(ch: str) -> bool:
    # Only ASCII digits: str.isdigit would also accept '²' or '٣'.
    return ch != "" and ch in _ASCII_DIGITS


def tokenize(text: str, index_forms: bool = False) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token at ``len(text)``.

    Raises :class:`MatdiffSyntaxError` for a character that starts no token, for an
    unterminated string and for a bracket where indexing cannot be (any bracket, unless
    ``index_forms``); :class:`UnsupportedError` for a text longer than MAX_TEXT_LENGTH.
    """
    check_length(text)
    return _Lexer(text, index_forms).run()


def check_length(text: str) -> None:
    """Refuse a text longer than MAX_TEXT_LENGTH (an ``unsupported`` error at the first
    character past the limit)."""
    if len(text) > MAX_TEXT_LENGTH:
        raise UnsupportedError(f"the text is too long ({len(text)} characters); matdiff "
                               f"reads at most {MAX_TEXT_LENGTH}", MAX_TEXT_LENGTH, text)


class _Lexer:
    """A hand-written scanner; the context it needs is the previous token (quotes,
    brackets), whether a bracket is open, and whether ``where`` has been seen."""

    def __init__(self, text: str, index_forms: bool = False):
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []
        self.index_forms = index_forms
        self.open_bracket: Token | None = None
        self.after_where = False
        self.in_definition = False  # after 'where', inside 'name = ...'
        self.depth = 0  # parentheses open after 'where'

    def run(self) -> list[Token]:
        while True:
            self._skip_spaces()
            if self.pos >= len(self.text):
                self._bracket_must_be_closed()
                self.tokens.append(Token(EOF, "", Span(self.pos, self.pos)))
                return self.tokens
            token = self._next_token()
            if token.kind == NAME and token.text == KEYWORD_WHERE:
                self._bracket_must_be_closed()
                self.after_where = True
            elif self.after_where:  # a definition's body (h = ...) may index, as the function
                self._track_definition(token.kind)
            self.tokens.append(token)

    def _track_definition(self, kind: str) -> None:
        """Whether the tokens after 'where' are inside a definition's body: from its '=' to
        the ',' or ';' that ends it (outside parentheses)."""
        if kind == EQUALS and self.depth == 0:
            self.in_definition = True
        elif kind == LPAREN:
            self.depth += 1
        elif kind == RPAREN:
            self.depth -= 1
        elif kind in (COMMA, SEMICOLON) and self.depth == 0:
            self.in_definition = False

    # -- brackets ------------------------------------------------------------------------

    def _bracket(self) -> Token:
        """``[`` or ``]`` where indexing may be, else an unexpected character. A selection
        at integer positions (``svdU(X)[:, 1]``, ``v[2]``) may follow any operand."""
        ch, start = self.text[self.pos], self.pos
        if (ch == "[" and self.open_bracket is None and self.tokens  # also in a definition
                and self.tokens[-1].kind in _OPERAND_ENDS and _SELECTION.match(self.text, start)):
            self.pos += 1
            self.open_bracket = self._make(LBRACKET, start)
            return self.open_bracket
        declaring = self.after_where and not self.in_definition
        if ch == "]" and self.open_bracket is not None and (not self.index_forms or declaring):
            self.open_bracket = None
            self.pos += 1
            return self._make(RBRACKET, start)
        if ch == "[" and not declaring and self.tokens and \
                self.tokens[-1].kind in _OPERAND_ENDS and not (
                    self.index_forms and self._indexable_name_before()):
            self._error("'[' selects at whole-number positions from 1: v[2], M[1, 2], "
                        "M[:, 1] or M[1, :] (index names such as M[i, j] only inside "
                        "sum(i, ...))", start)
        if not self.index_forms or declaring:
            self._error(f"unexpected character {ch!r}", start)
        if ch == "[":
            if self.open_bracket is not None:  # a bracket inside brackets: x[y[i]]
                self._error("unexpected character '['", self.open_bracket.start)
            if not self._indexable_name_before():
                self._error("unexpected character '['", start)
            self.pos += 1
            self.open_bracket = self._make(LBRACKET, start)
            return self.open_bracket
        if self.open_bracket is None:
            self._error("unexpected character ']'", start)
        self.open_bracket = None
        self.pos += 1
        return self._make(RBRACKET, start)

    def _indexable_name_before(self) -> bool:
        """Whether the previous token is a name of ASCII letters, digits and ``_`` that
        does not directly follow a number (``2x[i]``)."""
        if not self.tokens or self.tokens[-1].kind != NAME:
            return False
        name = self.tokens[-1]
        if not all(ch in _ASCII_NAME_CHARS for ch in name.text):
            return False
        return name.start == 0 or self.text[name.start - 1] not in _ASCII_NAME_CHARS

    def _bracket_must_be_closed(self) -> None:
        if self.open_bracket is not None:
            self._error("unexpected character '['", self.open_bracket.start)

    # -- helpers -------------------------------------------------------------------------

    def _char(self, offset: int = 0) -> str:
        """The character at ``pos + offset``, or "" past the end."""
        i = self.pos + offset
        return self.text[i] if i < len(self.text) else ""

    def _error(self, message: str, position: int) -> NoReturn:
        raise MatdiffSyntaxError(message, position, self.text)

    def _skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _make(self, kind: str, start: int, text: str | None = None,
              value: Fraction | str | None = None) -> Token:
        """A token from ``start`` to the current position."""
        if text is None:
            text = self.text[start:self.pos]
        return Token(kind, text, Span(start, self.pos), value)

    def _previous_ends_operand(self) -> bool:
        return bool(self.tokens) and self.tokens[-1].kind in _OPERAND_ENDS

    def _dot_t_at(self, i: int) -> bool:
        """Whether ``.T`` starts at ``i`` and is not the start of a longer name (``.Tx``)."""
        text = self.text
        return (text.startswith(".T", i)
                and not (i + 2 < len(text) and _is_name_char(text[i + 2])))

    # -- dispatch ------------------------------------------------------------------------

    def _next_token(self) -> Token:
        ch = self._char()
        if _is_name_start(ch):
            return self._name()
        if _is_digit(ch) or (ch == "." and _is_digit(self._char(1))):
            return self._number()
        if ch == ".":
            return self._dot()
        if ch == "'":
            return self._quote_transpose() if self._previous_ends_operand() else self._string()
        if ch == '"':
            return self._string()
        if ch in _SINGLE_CHAR_OPERATORS:
            self.pos += 1
            return self._make(OPERATOR, self.pos - 1, _SINGLE_CHAR_OPERATORS[ch])
        if ch in _PUNCTUATION:
            self.pos += 1
            return self._make(_PUNCTUATION[ch], self.pos - 1)
        if ch in "[]":
            return self._bracket()
        self._error(f"unexpected character {ch!r}", self.pos)

    # -- token kinds ---------------------------------------------------------------------

    def _name(self) -> Token:
        start = self.pos
        while self.pos < len(self.text) and _is_name_char(self.text[self.pos]):
            self.pos += 1
        return self._make(NAME, start)

    def _dot(self) -> Token:
        """A token starting with a dot that is not a number: .* ./ .^ .' .T"""
        start = self.pos
        pair = self.text[start:start + 2]
        if pair in _DOT_OPERATORS:
            self.pos += 2
            return self._make(OPERATOR, start)
        if pair == ".'" or self._dot_t_at(start):
            self.pos += 2
            return self._make(TRANSPOSE, start)
        self._error("unexpected character '.' (expected '.*', './', '.^', '.T' or a number "
                    "such as .5)", start)

    def _quote_transpose(self) -> Token:
        self.pos += 1
        return self._make(TRANSPOSE, self.pos - 1)

    def _string(self) -> Token:
        start = self.pos
        quote = self.text[start]
        end = self.text.find(quote, start + 1)
        if end < 0:
            self._error(f"unterminated string: no closing {quote} for the one at {start}",
                        start)
        self.pos = end + 1
        return self._make(STRING, start, value=self.text[start + 1:end])

    def _digits(self) -> str:
        start = self.pos
        while _is_digit(self._char()):
            self.pos += 1
        return self.text[start:self.pos]

    def _dot_belongs_to_number(self) -> bool:
        """At a dot after a number's digits: ``2.5``, ``2.`` yes; ``2.*x``, ``2.'``, ``2.T`` no."""
        return (self._char() == "."
                and self._char(1) not in _OPERATOR_AFTER_DOT
                and not self._dot_t_at(self.pos))

    def _exponent_follows(self) -> bool:
        """At ``e``/``E``: whether it starts an exponent (``e3``, ``e-3``), not a name."""
        if self._char() not in ("e", "E"):
            return False
        if self._char(1) in ("+", "-"):
            return _is_digit(self._char(2))
        return _is_digit(self._char(1))

    def _number(self) -> Token:
        start = self.pos
        whole = self._digits()
        fraction = ""
        if self._dot_belongs_to_number():
            self.pos += 1
            fraction = self._digits()
        exponent = 0
        if self._exponent_follows():
            self.pos += 1
            sign = -1 if self._char() == "-" else 1
            if self._char() in ("+", "-"):
                self.pos += 1
            exponent = sign * self._exponent_value(self._digits(), start)
        value = self._number_value(whole + fraction, exponent - len(fraction), start)
        return self._make(NUMBER, start, value=value)

    def _exponent_value(self, digits: str, start: int) -> int:
        significant = digits.lstrip("0") or "0"
        if len(significant) > len(str(MAX_EXPONENT)) or int(significant) > MAX_EXPONENT:
            self._error(f"exponent too large in a number (at most {MAX_EXPONENT})", start)
        return int(significant)

    def _number_value(self, digits: str, power_of_ten: int, start: int) -> Fraction:
        """``int(digits) * 10**power_of_ten`` as an exact fraction."""
        if len(digits) > MAX_NUMBER_DIGITS:
            self._error(f"number with too many digits (at most {MAX_NUMBER_DIGITS})", start)
        mantissa = int(digits)
        if power_of_ten >= 0:
            return Fraction(mantissa * 10**power_of_ten)
        return Fraction(mantissa, 10**-power_of_ten)


# ---------------------------------------------------------------------------------------
# Reading tokens
# ---------------------------------------------------------------------------------------


def describe(token: Token) -> str:
    """A token as error messages show it: ``'x'``, ``')'`` or ``end of input``."""
    if token.kind == EOF:
        return "end of input"
    return repr(token.text)


class TokenStream:
    """A cursor over a text's tokens, for the recursive-descent parsers.

    :meth:`within` restricts reading to a range of the tokens (the summand of an index
    sum): its last token then reads as the end of input, and at its first token there is
    no previous one, so that errors read as if the range were the whole text.
    """

    def __init__(self, text: str, tokens: list[Token]):
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.first = 0
        self.limit = len(tokens) - 1
        self.end = tokens[-1]

    @property
    def token(self) -> Token:
        return self.tokens[self.index] if self.index < self.limit else self.end

    def peek(self) -> Token:
        """The token after the current one (the end of input repeats at the end)."""
        following = self.index + 1
        return self.tokens[following] if following < self.limit else self.end

    def previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index > self.first else None

    def advance(self) -> Token:
        token = self.token
        if token.kind != EOF:
            self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.token
        return token.kind == kind and (text is None or token.text == text)

    def error(self, message: str, position: int) -> NoReturn:
        raise MatdiffSyntaxError(message, position, self.text)

    @contextlib.contextmanager
    def within(self, first: int, limit: int) -> Iterator[None]:
        """Read the tokens ``first .. limit - 1`` (the token at ``limit`` is the end)."""
        saved = (self.first, self.limit, self.end)
        at = self.tokens[limit].start
        self.first, self.limit, self.end = first, limit, Token(EOF, "", Span(at, at))
        try:
            yield
        finally:
            self.first, self.limit, self.end = saved
