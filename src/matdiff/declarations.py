"""The declaration grammar: what follows ``where`` (and the CLI's ``--declare``)::

    decls       = decl {("," | ";") decl}
    decl        = NAME {"," NAME} ":" kind
    kind        = ["symmetric"] ("scalar" | "vector" | "matrix" | "mask") ["(" dim {"," dim} ")"]
    dim         = factor {"*" factor}                            (m*n, sorted: "m*n")
    factor      = NAME | positive integer                         (at most MAX_DIMENSION)

:class:`DeclarationParser` reads it from a :class:`~matdiff.lex.TokenStream`; the
expression parser (:mod:`matdiff.parse`) extends it.
"""

from __future__ import annotations

from typing import NoReturn

from .errors import UnsupportedError
from .lex import (
    COLON,
    COMMA,
    EOF,
    EQUALS,
    KEYWORD_WHERE,
    LPAREN,
    NAME,
    NUMBER,
    OPERATOR,
    RPAREN,
    SEMICOLON,
    STRING,
    Token,
    TokenStream,
    describe,
)
from .syntax import Declaration, Span

#: The largest size a declaration may give (larger ones are an ``unsupported`` error; the
#: numeric check does not evaluate beyond workload.MAX_ENTRIES entries and workload.MAX_FLOPS).
MAX_DIMENSION = 10**6

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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class DeclarationParser(TokenStream):
    """Recursive descent over declarations."""

    def unexpected(self, expected: str, in_expression: bool = True) -> NoReturn:
        """Report the current token where ``expected`` should have been.

        In an expression, two operands side by side (``x y``, ``2(x)``) get a message of
        their own.
        """
        token, previous = self.token, self.previous()
        if in_expression and previous is not None and self.starts_operand(token):
            self.error(f"expected an operator between {describe(previous)} and "
                       f"{describe(token)}", token.start)
        self.error(f"expected {expected}, found {describe(token)}", token.start)

    def starts_operand(self, token: Token) -> bool:
        """Whether ``token`` could begin an operand (used to diagnose ``x y``)."""
        if token.kind == NAME:
            return token.text != KEYWORD_WHERE
        return token.kind in (NUMBER, STRING, LPAREN)

    def expect_end_of_declarations(self) -> None:
        if not self.at(EOF):
            self.unexpected("',' or ';' between declarations, or end of input",
                            in_expression=False)

    def declarations(self) -> tuple[Declaration, ...]:
        """``decl {("," | ";") decl}``.  A comma after a kind always starts a new
        declaration; commas between names (``X, Y: matrix``) come before the colon."""
        declarations = [self.declaration()]
        while self.at(COMMA) or self.at(SEMICOLON):
            self.advance()
            declarations.append(self.declaration())
        self._check_unique(declarations)
        return tuple(declarations)

    def declaration(self) -> Declaration:
        names = [self._declared_name()]
        while self.at(COMMA):
            self.advance()
            names.append(self._declared_name())
        if self.at(EQUALS):
            self.error("a definition names one expression: write it after 'where', on its own "
                       "(as in 'norm(h)^2 where h = exp(W*x), W: matrix')", self.token.start)
        if not self.at(COLON):
            last = names[-1][0]
            self.unexpected(f"',' or ':' after {last!r} (as in '{last}: matrix')",
                            in_expression=False)
        self.advance()
        kind, symmetric, dims, end = self._kind()
        return Declaration(tuple(names), kind, symmetric, dims, Span(names[0][1].start, end))

    def _declared_name(self) -> tuple[str, Span]:
        token = self.token
        if token.kind != NAME or token.text == KEYWORD_WHERE:
            after = self.previous()
            context = f" after {describe(after)}" if after is not None else ""
            found = "the keyword 'where'" if token.kind == NAME else describe(token)
            self.error(f"expected a name to declare{context}, found {found}", token.start)
        self.advance()
        return token.text, token.span

    def _kind(self) -> tuple[str, bool, Dims, int]:
        """``["symmetric"] kind ["(" dims ")"]`` -> (kind, symmetric, dims, end offset)."""
        symmetric = self.at(NAME, "symmetric")
        if symmetric:
            self.advance()
            if not self.at(NAME, "matrix"):
                self._not_symmetric_matrix()
        token = self.token
        if token.kind != NAME:
            self.error(f"expected a kind ({_KINDS_TEXT}) after ':', found "
                       f"{describe(token)}", token.start)
        if token.text not in _KINDS:
            self.error(f"unknown kind {token.text!r} (expected {_KINDS_TEXT})", token.start)
        self.advance()
        dims: Dims = ()
        end = token.end
        if self.at(LPAREN):
            dims, end = self._dimensions(token.text, symmetric)
        return token.text, symmetric, dims, end

    def _not_symmetric_matrix(self) -> NoReturn:
        token = self.token
        if token.kind == NAME and token.text in _KINDS:
            self.error(f"'symmetric' only applies to a matrix, not to a {token.text}",
                       token.start)
        self.error(f"expected 'matrix' after 'symmetric', found {describe(token)}",
                   token.start)

    def _dimensions(self, kind: str, symmetric: bool) -> tuple[Dims, int]:
        """``( dim, ... )`` after a kind, checked against the kind's number of dimensions."""
        count, example = _DIMENSIONS[(kind, symmetric)]
        described = f"a {'symmetric ' if symmetric else ''}{kind}"
        opening = self.advance()
        if count == 0:
            self.error(f"{described} takes no dimensions", opening.start)
        dims = [self._dimension()]
        while self.at(COMMA):
            self.advance()
            if len(dims) == count:
                self.error(f"{described} takes {plural(count, 'dimension')}, as in "
                           f"{example}", self.token.start)
            dims.append(self._dimension())
        if not self.at(RPAREN):
            self.unexpected(f"',' or ')' to close '(' at {opening.start}",
                            in_expression=False)
        if len(dims) < count:
            self.error(f"{described} takes {plural(count, 'dimension')}, as in {example}",
                       self.token.start)
        closing = self.advance()
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
            self.advance()
            factor, fspan = self._dimension_factor()
            factors.append(str(factor))
            end = fspan.end
        return "*".join(sorted(factors)), Span(span.start, end)

    def _dimension_factor(self) -> tuple[str | int, Span]:
        """A name or a positive integer."""
        token = self.token
        if token.kind == NAME and token.text != KEYWORD_WHERE:
            self.advance()
            return token.text, token.span
        if token.kind == NUMBER and token.text.isascii() and token.text.isdigit():
            if token.value == 0:
                self.error(f"a dimension must be positive, found {token.text!r}", token.start)
            if int(token.text) > MAX_DIMENSION:  # at most 1000 digits (lex.py)
                raise UnsupportedError(f"a dimension can be at most {MAX_DIMENSION}, found "
                                       f"{token.text[:30]}", token.start, self.text)
            self.advance()
            return int(token.text), token.span
        if token.kind == OPERATOR and token.text == "-":
            self.error("a dimension must be a positive integer or a name, found '-'",
                       token.start)
        self.error("expected a dimension (a name or a positive integer), found "
                   f"{describe(token)}", token.start)

    def _check_unique(self, declarations: list[Declaration]) -> None:
        """A name may be declared once only."""
        seen: dict[str, Span] = {}
        for declaration in declarations:
            for name, span in declaration.names:
                if name in seen:
                    self.error(f"{name!r} is declared twice (first at {seen[name].start})",
                               span.start)
                seen[name] = span
