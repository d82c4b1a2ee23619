"""Parse matdiff's expression language (see LANGUAGE.md) into :mod:`matdiff.syntax` trees.

Public functions:

* :func:`tokenize` -- the text as a list of :class:`Token` (the last one is ``eof``);
* :func:`parse` -- ``EXPR [where DECLS]`` to a :class:`~matdiff.syntax.Parsed`;
* :func:`parse_declarations` -- a bare declaration list (``"A: symmetric matrix, x: vector"``),
  the same grammar as after ``where``.

Every problem is reported as :class:`~matdiff.errors.MatdiffSyntaxError` with a 0-based
code-point offset into the text; no other exception escapes, and deep nesting is refused
(:data:`MAX_DEPTH`, :data:`MAX_TREE_DEPTH`) instead of overflowing Python's stack.

Grammar (tightest binding first)::

    parsed      = expr ["where" decls]
    expr        = level 5: sum of level-4 terms (+ -), left-associative
    term        = level 4: products (* @ .* ./ /), left-associative
    signed      = level 3: ("-" | "+") signed | power
    power       = level 2: postfix [("^" | ".^") exponent]      right-associative
    exponent    = ("-" | "+") exponent | power                   (x^-2, x^-y^2 = x^(-(y^2)))
    postfix     = level 1: atom {"'" | ".'" | ".T"}
    atom        = NAME "(" [arg {"," arg}] ")" | NAME | NUMBER | "(" expr ")"
    arg         = STRING | expr                                  (strings only here)

    decls       = decl {("," | ";") decl}
    decl        = NAME {"," NAME} ":" kind
    kind        = ["symmetric"] ("scalar" | "vector" | "matrix" | "mask") ["(" dim {"," dim} ")"]
    dim         = NAME | positive integer

The expression levels are parsed by precedence climbing (:meth:`_Parser._expression`).

Spans: a node's span covers exactly the text that produced it, so ``text[span]`` re-parses
to the same tree (strings excepted, as they cannot stand alone).  A parenthesised
expression has no node of its own: the inner node is returned with its span widened to
include the parentheses (``(a+b)`` gives a Binary whose span covers the parentheses,
while its ``op_span`` still covers just the ``+``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import NoReturn

from .errors import MatdiffSyntaxError
from .syntax import (
    Binary,
    Call,
    Declaration,
    Name,
    Node,
    Number,
    Parsed,
    Span,
    String,
    Transpose,
    Unary,
)

__all__ = ["MAX_DEPTH", "MAX_TREE_DEPTH", "Token", "parse", "parse_declarations", "tokenize"]

#: Deepest nesting accepted while parsing (parentheses, calls, signs, exponents), so that
#: the recursive descent stays well within Python's recursion limit.
MAX_DEPTH = 200
#: Deepest tree accepted (nodes on a root-to-leaf path).  Chains of one operator
#: (x + x + ... + x, or many transposes) make deep trees without deep parsing; later
#: passes recurse over the tree, so its depth is bounded too.
MAX_TREE_DEPTH = 1500

#: Limits on number literals, so that ``1e999999999`` cannot make us build a huge integer.
MAX_NUMBER_DIGITS = 1000
MAX_EXPONENT = 1000

# ---------------------------------------------------------------------------------------
# Tokens
# ---------------------------------------------------------------------------------------

# Token kinds.
NAME = "name"  # x, Sigma, λ, where (the keyword is a NAME with text "where")
NUMBER = "number"  # 2, .5, 1e-3 (value: Fraction)
STRING = "string"  # 'fro' (value: the text between the quotes)
OPERATOR = "operator"  # + - * @ / ^ .* ./ .^ (text normalised: ∘ and ⊙ become .*)
TRANSPOSE = "transpose"  # ' .' .T
LPAREN = "("
RPAREN = ")"
COMMA = ","
COLON = ":"
SEMICOLON = ";"
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
_PUNCTUATION = {"(": LPAREN, ")": RPAREN, ",": COMMA, ":": COLON, ";": SEMICOLON}
_ASCII_DIGITS = "0123456789"
# After a number's digits, a dot followed by one of these belongs to an operator (2.*x).
_OPERATOR_AFTER_DOT = ("*", "/", "^", "'")
# A quote after one of these token kinds is a transpose; anywhere else it opens a string.
_OPERAND_ENDS = (NAME, NUMBER, RPAREN, TRANSPOSE)


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def _is_name_char(ch: str) -> bool:
    return ch == "_" or _is_digit(ch) or ch.isalpha()


def _is_digit(ch: str) -> bool:
    # Only ASCII digits: str.isdigit would also accept '²' or '٣'.
    return ch != "" and ch in _ASCII_DIGITS


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token at ``len(text)``.

    Raises :class:`MatdiffSyntaxError` for a character that starts no token and for an
    unterminated string.
    """
    return _Lexer(text).run()


class _Lexer:
    """A hand-written scanner; the only context it needs is the previous token (quotes)."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        while True:
            self._skip_spaces()
            if self.pos >= len(self.text):
                self.tokens.append(Token(EOF, "", Span(self.pos, self.pos)))
                return self.tokens
            self.tokens.append(self._next_token())

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
# Parser
# ---------------------------------------------------------------------------------------

# Binary operators and their precedence levels (higher binds tighter).  The numbers are
# internal; LANGUAGE.md numbers the levels the other way round.
_SUM_LEVEL = 1
_PRODUCT_LEVEL = 2
_POWER_LEVEL = 4
_BINARY_LEVELS = {"+": _SUM_LEVEL, "-": _SUM_LEVEL,
                  "*": _PRODUCT_LEVEL, "@": _PRODUCT_LEVEL, ".*": _PRODUCT_LEVEL,
                  "./": _PRODUCT_LEVEL, "/": _PRODUCT_LEVEL,
                  "^": _POWER_LEVEL, ".^": _POWER_LEVEL}
_RIGHT_ASSOCIATIVE = {"^", ".^"}
_SIGNS = ("-", "+")

# A declaration's dimensions: names or positive integers, with their spans.
Dims = tuple[tuple[str | int, Span], ...]

_KINDS = ("scalar", "vector", "matrix", "mask")
_KINDS_TEXT = "scalar, vector, matrix, symmetric matrix or mask"
# (kind, symmetric) -> (number of dimensions, an example)
_DIMENSIONS = {
    ("scalar", False): (0, "scalar"),
    ("vector", False): (1, "vector(n)"),
    ("matrix", False): (2, "matrix(m, n)"),
    ("matrix", True): (1, "symmetric matrix(n)"),
    ("mask", False): (2, "mask(m, n)"),
}


def parse(text: str) -> Parsed:
    """Parse ``EXPR [where DECLS]``.

    >>> parse("x'*A*x where A: symmetric matrix").declarations[0].symmetric
    True
    """
    parser = _Parser(text)
    return parser.guarded(parser.parse_all)


def parse_declarations(text: str) -> tuple[Declaration, ...]:
    """Parse a declaration list alone (``"X, Y: matrix(n, n); N: scalar"``).

    This is the grammar that follows ``where``; positions are offsets into ``text``.
    """
    parser = _Parser(text)
    return parser.guarded(parser.parse_declarations_only)


def _describe(token: Token) -> str:
    """A token as error messages show it: ``'x'``, ``')'`` or ``end of input``."""
    if token.kind == EOF:
        return "end of input"
    return repr(token.text)


def _widen(node: Node, span: Span) -> Node:
    """The same node with a larger span (the parentheses around it)."""
    return dataclasses.replace(node, span=span)


class _Parser:
    """Recursive descent over the token list, with precedence climbing for operators."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    # -- entry points ----------------------------------------------------------------------

    def guarded(self, parse_function):
        """Run ``parse_function``; a stack overflow (a caller that was already deep in
        the stack) becomes the same syntax error as any other too-deep nesting."""
        try:
            return parse_function()
        except RecursionError:
            self._too_deep(self.token.start)

    def parse_all(self) -> Parsed:
        expr = self._expression()
        declarations: tuple[Declaration, ...] = ()
        if self._at_where():
            self._advance()
            declarations = self._declarations()
            self._expect_end_of_declarations()
        else:
            self._expect_end_of_expression()
        self._check_tree_depth(expr)
        return Parsed(expr, declarations, self.text)

    def parse_declarations_only(self) -> tuple[Declaration, ...]:
        declarations = self._declarations()
        self._expect_end_of_declarations()
        return declarations

    # -- token access ----------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def _peek(self) -> Token:
        """The token after the current one (the eof token repeats at the end)."""
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

    def _previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index > 0 else None

    def _advance(self) -> Token:
        token = self.token
        if token.kind != EOF:
            self.index += 1
        return token

    def _at(self, kind: str, text: str | None = None) -> bool:
        return self.token.kind == kind and (text is None or self.token.text == text)

    def _at_where(self) -> bool:
        return self._at(NAME, KEYWORD_WHERE)

    def _error(self, message: str, position: int) -> NoReturn:
        raise MatdiffSyntaxError(message, position, self.text)

    def _too_deep(self, position: int) -> NoReturn:
        self._error(f"expression nested too deeply (more than {MAX_DEPTH} levels)", position)

    @contextlib.contextmanager
    def _nested(self) -> Iterator[None]:
        """Count one level of recursion; refuse to go deeper than MAX_DEPTH."""
        if self.depth >= MAX_DEPTH:
            self._too_deep(self.token.start)
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    # -- error helpers -----------------------------------------------------------------------

    def _starts_operand(self, token: Token) -> bool:
        """Whether ``token`` could begin an operand (used to diagnose ``x y``)."""
        if token.kind == NAME:
            return token.text != KEYWORD_WHERE
        return token.kind in (NUMBER, STRING, LPAREN)

    def _unexpected(self, expected: str, in_expression: bool = True) -> NoReturn:
        """Report the current token where ``expected`` should have been.

        In an expression, two operands side by side (``x y``, ``2(x)``) get a message of
        their own.
        """
        token, previous = self.token, self._previous()
        if in_expression and previous is not None and self._starts_operand(token):
            self._error(f"expected an operator between {_describe(previous)} and "
                        f"{_describe(token)}", token.start)
        self._error(f"expected {expected}, found {_describe(token)}", token.start)

    def _expect_end_of_expression(self) -> None:
        token = self.token
        if token.kind == EOF:
            return
        if token.kind == RPAREN:
            self._error("unexpected ')' without a matching '('", token.start)
        if token.kind == COLON:
            self._error("unexpected ':' (declarations go after 'where', as in "
                        "'x where x: vector')", token.start)
        self._unexpected("an operator, 'where' or end of input")

    def _expect_end_of_declarations(self) -> None:
        if not self._at(EOF):
            self._unexpected("',' or ';' between declarations, or end of input",
                             in_expression=False)

    # -- expressions -----------------------------------------------------------------------

    # The recursion below goes through at most three Python frames per level of nesting
    # (_expression -> _operand -> _group or _call -> _expression), so that MAX_DEPTH
    # levels fit comfortably within Python's default recursion limit of 1000.

    def _expression(self, min_level: int = _SUM_LEVEL) -> Node:
        """Precedence climbing: an operand followed by binary operators of level
        ``>= min_level``; the right operand of a left-associative operator only takes
        tighter operators, that of a right-associative one (``^``) takes its own level too.
        """
        with self._nested():
            left = self._operand()
            while True:
                token = self.token
                level = _BINARY_LEVELS.get(token.text) if token.kind == OPERATOR else None
                if level is None or level < min_level:
                    return left
                self._advance()
                right_level = level if token.text in _RIGHT_ASSOCIATIVE else level + 1
                right = self._expression(right_level)
                left = Binary(token.text, left, right, Span(left.span.start, right.span.end),
                              token.span)

    def _operand(self) -> Node:
        """A signed operand, or an atom with its transposes.

        A sign applies to a whole power (``-x^2`` is ``-(x^2)``, ``a*-b^2`` is
        ``a*(-(b^2))``); it is accepted wherever an operand is, so also at the start of an
        exponent (``x^-2``).  A name directly followed by ``(`` is a call.
        """
        token = self.token
        if token.kind == OPERATOR and token.text in _SIGNS:
            self._advance()
            operand = self._expression(_POWER_LEVEL)
            return Unary(token.text, operand, Span(token.start, operand.span.end))
        if token.kind == LPAREN:
            node = self._group()
        elif token.kind == NAME and token.text != KEYWORD_WHERE:
            node = self._call() if self._peek().kind == LPAREN else self._name()
        elif token.kind == NUMBER:
            self._advance()
            node = Number(token.value, token.text, token.span)
        else:
            self._not_an_operand()
        return self._transposes(node)

    def _transposes(self, node: Node) -> Node:
        """Transposes after an operand: ``x'``, ``x.'``, ``x.T``, ``(a+b)''``."""
        while self._at(TRANSPOSE):
            token = self._advance()
            node = Transpose(node, Span(node.span.start, token.end), token.span)
        return node

    def _name(self) -> Name:
        token = self._advance()
        return Name(token.text, token.span)

    def _not_an_operand(self) -> NoReturn:
        """Explain why the current token cannot start an operand."""
        token, previous = self.token, self._previous()
        if token.kind == STRING:
            self._error("a string can only be a function argument (as in norm(X, 'fro'))",
                        token.start)
        if previous is None:
            if token.kind == NAME:  # the keyword
                self._error("expected an expression before 'where'", token.start)
            self._error(f"expected an expression, found {_describe(token)}", token.start)
        found = _describe(token)
        if token.kind == NAME:
            found = "the keyword 'where'"
        hint = ""
        if previous.text == "*" and token.text == "*":
            hint = " (write a power with ^, as in x^2)"
        self._error(f"expected an operand after {_describe(previous)}, found {found}{hint}",
                    token.start)

    def _group(self) -> Node:
        """``( expr )``: the inner node, its span widened to the parentheses."""
        opening = self._advance()
        inner = self._expression()
        if not self._at(RPAREN):
            self._unexpected(f"')' to close '(' at {opening.start}")
        closing = self._advance()
        return _widen(inner, Span(opening.start, closing.end))

    def _call(self) -> Call:
        """``f(arg, ...)``: the current token is the name, the next one the '('.

        Each argument is a string standing alone or an expression; ``f()`` is allowed
        here, the type checker judges arities.
        """
        name = self._advance()
        opening = self._advance()
        args: list[Node] = []
        if not self._at(RPAREN):
            args.append(self._string_argument() or self._expression())
            while self._at(COMMA):
                self._advance()
                args.append(self._string_argument() or self._expression())
        if not self._at(RPAREN):
            self._unexpected(f"',' or ')' to close '(' at {opening.start}")
        closing = self._advance()
        return Call(name.text, tuple(args), Span(name.start, closing.end), name.span)

    def _string_argument(self) -> String | None:
        """A string that makes up a whole call argument, or None if no string is here."""
        token = self.token
        if token.kind != STRING:
            return None
        if self._peek().kind not in (COMMA, RPAREN):
            self._error("a string can only be a function argument on its own, not part "
                        "of an expression", token.start)
        self._advance()
        return String(token.value, token.span)

    def _check_tree_depth(self, root: Node) -> None:
        """Refuse trees deeper than MAX_TREE_DEPTH (e.g. a sum of thousands of terms), so
        that later recursive passes cannot overflow the stack.  Iterative on purpose."""
        stack = [(root, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_TREE_DEPTH:
                self._error(f"expression too long: its tree is deeper than {MAX_TREE_DEPTH} "
                            "levels (e.g. a sum of that many terms)", node.span.start)
            stack.extend((child, depth + 1) for child in _children(node))

    # -- declarations ----------------------------------------------------------------------

    def _declarations(self) -> tuple[Declaration, ...]:
        """``decl {("," | ";") decl}``.  A comma after a kind always starts a new
        declaration; commas between names (``X, Y: matrix``) come before the colon."""
        declarations = [self._declaration()]
        while self._at(COMMA) or self._at(SEMICOLON):
            self._advance()
            declarations.append(self._declaration())
        self._check_unique(declarations)
        return tuple(declarations)

    def _declaration(self) -> Declaration:
        names = [self._declared_name()]
        while self._at(COMMA):
            self._advance()
            names.append(self._declared_name())
        if not self._at(COLON):
            last = names[-1][0]
            self._unexpected(f"',' or ':' after {last!r} (as in '{last}: matrix')",
                             in_expression=False)
        self._advance()
        kind, symmetric, dims, end = self._kind()
        return Declaration(tuple(names), kind, symmetric, dims, Span(names[0][1].start, end))

    def _declared_name(self) -> tuple[str, Span]:
        token = self.token
        if token.kind != NAME or token.text == KEYWORD_WHERE:
            after = self._previous()
            context = f" after {_describe(after)}" if after is not None else ""
            found = "the keyword 'where'" if token.kind == NAME else _describe(token)
            self._error(f"expected a name to declare{context}, found {found}", token.start)
        self._advance()
        return token.text, token.span

    def _kind(self) -> tuple[str, bool, Dims, int]:
        """``["symmetric"] kind ["(" dims ")"]`` -> (kind, symmetric, dims, end offset)."""
        symmetric = self._at(NAME, "symmetric")
        if symmetric:
            self._advance()
            if not self._at(NAME, "matrix"):
                self._not_symmetric_matrix()
        token = self.token
        if token.kind != NAME:
            self._error(f"expected a kind ({_KINDS_TEXT}) after ':', found "
                        f"{_describe(token)}", token.start)
        if token.text not in _KINDS:
            self._error(f"unknown kind {token.text!r} (expected {_KINDS_TEXT})", token.start)
        self._advance()
        dims: Dims = ()
        end = token.end
        if self._at(LPAREN):
            dims, end = self._dimensions(token.text, symmetric)
        return token.text, symmetric, dims, end

    def _not_symmetric_matrix(self) -> NoReturn:
        token = self.token
        if token.kind == NAME and token.text in _KINDS:
            self._error(f"'symmetric' only applies to a matrix, not to a {token.text}",
                        token.start)
        self._error(f"expected 'matrix' after 'symmetric', found {_describe(token)}",
                    token.start)

    def _dimensions(self, kind: str, symmetric: bool) -> tuple[Dims, int]:
        """``( dim, ... )`` after a kind, checked against the kind's number of dimensions."""
        count, example = _DIMENSIONS[(kind, symmetric)]
        described = f"a {'symmetric ' if symmetric else ''}{kind}"
        opening = self._advance()
        if count == 0:
            self._error(f"{described} takes no dimensions", opening.start)
        dims = [self._dimension()]
        while self._at(COMMA):
            self._advance()
            if len(dims) == count:
                self._error(f"{described} takes {_plural(count, 'dimension')}, as in "
                            f"{example}", self.token.start)
            dims.append(self._dimension())
        if not self._at(RPAREN):
            self._unexpected(f"',' or ')' to close '(' at {opening.start}",
                             in_expression=False)
        if len(dims) < count:
            self._error(f"{described} takes {_plural(count, 'dimension')}, as in {example}",
                        self.token.start)
        closing = self._advance()
        return tuple(dims), closing.end

    def _dimension(self) -> tuple[str | int, Span]:
        """A dimension: a name, a positive integer, or a product of them (``m*n``, the
        size matdiff prints for ``vec(X)`` and ``kron``)."""
        first, span = self._dimension_factor()
        if not (self.token.kind == OPERATOR and self.token.text == "*"):
            return first, span
        factors = [str(first)]
        end = span.end
        while self.token.kind == OPERATOR and self.token.text == "*":
            self._advance()
            factor, fspan = self._dimension_factor()
            factors.append(str(factor))
            end = fspan.end
        return "*".join(sorted(factors)), Span(span.start, end)

    def _dimension_factor(self) -> tuple[str | int, Span]:
        """A name or a positive integer."""
        token = self.token
        if token.kind == NAME and token.text != KEYWORD_WHERE:
            self._advance()
            return token.text, token.span
        if token.kind == NUMBER and all(_is_digit(ch) for ch in token.text):
            if token.value == 0:
                self._error(f"a dimension must be positive, found {token.text!r}", token.start)
            self._advance()
            return int(token.value), token.span
        if token.kind == OPERATOR and token.text == "-":
            self._error("a dimension must be a positive integer or a name, found '-'",
                        token.start)
        self._error("expected a dimension (a name or a positive integer), found "
                    f"{_describe(token)}", token.start)

    def _check_unique(self, declarations: list[Declaration]) -> None:
        """A name may be declared once only."""
        seen: dict[str, Span] = {}
        for declaration in declarations:
            for name, span in declaration.names:
                if name in seen:
                    self._error(f"{name!r} is declared twice (first at {seen[name].start})",
                                span.start)
                seen[name] = span


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node."""
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (Unary, Transpose)):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    return ()
