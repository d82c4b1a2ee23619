"""Parse matdiff's expression language (see LANGUAGE.md) into :mod:`matdiff.syntax` trees.

Public functions:

* :func:`parse` -- ``EXPR [where DECLS]`` to a :class:`~matdiff.syntax.Parsed`; with
  ``index_forms=True`` also the index sums and indexing below (the tree may then hold
  :class:`~matdiff.syntax.IndexSum` and :class:`~matdiff.syntax.Slice` nodes, which
  :func:`matdiff.index_notation.resolve.parse_plain` puts in matrix form);
* :func:`parse_declarations` -- a bare declaration list (``"A: symmetric matrix, x: vector"``),
  the same grammar as after ``where`` (:mod:`matdiff.declarations`).

The tokens come from :mod:`matdiff.lex`.  Every problem is reported as
:class:`~matdiff.errors.MatdiffSyntaxError` with a 0-based code-point offset into the
text; no other exception escapes, and deep nesting is refused (:data:`MAX_DEPTH`, 200
levels of parentheses, calls, signs and exponents; :data:`MAX_TREE_DEPTH`, 1500 levels of
tree, e.g. a sum of 1500 terms) instead of overflowing Python's stack.

Grammar (tightest binding first)::

    parsed      = expr ["where" item {("," | ";") item}]
    item        = NAME "=" expr | decl                           (decl: see declarations.py)
    expr        = level 5: sum of level-4 terms (+ -), left-associative
    term        = level 4: products (* @ .* ./ /), left-associative
    signed      = level 3: ("-" | "+") signed | power
    power       = level 2: postfix [("^" | ".^") exponent]      right-associative
    exponent    = ("-" | "+") exponent | power                   (x^-2, x^-y^2 = x^(-(y^2)))
    postfix     = level 1: atom {"'" | ".'" | ".T"}
    atom        = index_sum | NAME "(" [arg {"," arg}] ")" | slice | NAME | NUMBER
                | "(" expr ")"
    arg         = STRING | expr                                  (strings only here)

  Index forms (only with ``index_forms=True``)::

    index_sum   = "sum" "(" heads "," expr ")"                   sum(j, norm(W[:, j])^2)
    heads       = INDEX {"," INDEX}                              sum(i, j, M[i, j])
                | "(" INDEX "," INDEX ")" "in" NAME              sum((i, j) in Omega, ...)
    slice       = NAME "[" slot {"," slot} "]"                   x[i], M[i, j], W[:, j], W[i, :]
    slot        = INDEX | ":"
    INDEX       = NAME {"'"}             an ASCII name; primes without spaces (j')

  ``sum(...)`` is an index sum when its first argument is an ``INDEX`` or
  ``(i, j) in NAME`` and more arguments follow; otherwise it is the ordinary call
  (``sum(X)``, ``sum(2*X, 1)``; note that ``sum(X, 1)`` is an index sum over ``X``,
  which the summand does not use).  With more than two arguments every one but the last
  must be an ``INDEX``.  Each index is bound in the summand (not twice, and not one an
  enclosing sum binds), must be used there, and only inside brackets; each index inside
  brackets must be bound.  ``sum(i, sum(j, E))`` is the one sum ``sum(i, j, E)``.  An
  index sum's ``(`` without its ``)`` is "unbalanced"; the summand reads as if it were
  the whole text (its end is the "end of input").

The expression levels are parsed by precedence climbing (:meth:`_Parser._expression`).

Spans: a node's span covers exactly the text that produced it, so ``text[span]`` re-parses
to the same tree (strings excepted, as they cannot stand alone).  A parenthesised
expression has no node of its own: the inner node is returned with its span widened to
include the parentheses (``(a+b)`` gives a Binary whose span covers the parentheses,
while its ``op_span`` still covers just the ``+``).  Index sums and slices are the
exception: they keep their own span, which error messages point at.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import NoReturn, TypeVar

from .declarations import DeclarationParser
from .definitions import expand
from .errors import MatdiffSyntaxError
from .lex import (
    COLON,
    COMMA,
    EOF,
    EQUALS,
    KEYWORD_WHERE,
    LBRACKET,
    LPAREN,
    NAME,
    NUMBER,
    OPERATOR,
    RBRACKET,
    RPAREN,
    SEMICOLON,
    STRING,
    TRANSPOSE,
    Token,
    describe,
    tokenize,
)
from .syntax import (
    Binary,
    Call,
    Declaration,
    Definition,
    IndexSum,
    Name,
    Node,
    Number,
    Parsed,
    Selection,
    Slice,
    Span,
    String,
    Transpose,
    Unary,
    children,
    walk,
)

__all__ = ["MAX_DEPTH", "MAX_TREE_DEPTH", "check_tree_depth", "parse", "parse_declarations"]

#: Deepest nesting accepted while parsing (parentheses, calls, signs, exponents, sums),
#: so that the recursive descent stays well within Python's recursion limit.
MAX_DEPTH = 200
#: Deepest tree accepted (nodes on a root-to-leaf path).  Chains of one operator
#: (x + x + ... + x, or many transposes) make deep trees without deep parsing; later
#: passes recurse over the tree, so its depth is bounded too.
MAX_TREE_DEPTH = 1500

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
_INDEX_SUM = "sum"
_ASCII_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

T = TypeVar("T")


def parse(text: str, *, index_forms: bool = False) -> Parsed:
    """Parse ``EXPR [where DECLS]`` (with ``index_forms``, also index sums and indexing).

    >>> parse("x'*A*x where A: symmetric matrix").declarations[0].symmetric
    True
    """
    parser = _Parser(text, index_forms)
    return parser.guarded(parser.parse_all)


def parse_declarations(text: str) -> tuple[Declaration, ...]:
    """Parse a declaration list alone (``"X, Y: matrix(n, n); N: scalar"``).

    This is the grammar that follows ``where``; positions are offsets into ``text``.
    """
    parser = _Parser(text)
    return parser.guarded(parser.parse_declarations_only)


def check_tree_depth(root: Node, text: str) -> None:
    """Refuse trees deeper than MAX_TREE_DEPTH (e.g. a sum of thousands of terms), so
    that later recursive passes cannot overflow the stack.  Iterative on purpose; the
    LaTeX reader checks its trees with it too."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise MatdiffSyntaxError(f"expression too long: its tree is deeper than "
                                     f"{MAX_TREE_DEPTH} levels (e.g. a sum of that many "
                                     "terms)", node.span.start, text)
        stack.extend((child, depth + 1) for child in children(node))


def _widen(node: Node, span: Span) -> Node:
    """The same node with a larger span (the parentheses around it); an index sum or a
    slice keeps its own."""
    if isinstance(node, (IndexSum, Slice)):
        return node
    return dataclasses.replace(node, span=span)


def _is_ascii_name(text: str) -> bool:
    return all(ch in _ASCII_NAME_CHARS for ch in text)


@dataclass(frozen=True)
class _SumLayout:
    """Where the parts of an index sum are: its indices (name, offset), its mask, and the
    token range of its summand (``body`` .. ``close`` - 1, ``close`` being its ')')."""

    indices: tuple[tuple[str, int], ...]
    domain: Name | None
    body: int
    close: int


class _Parser(DeclarationParser):
    """Recursive descent over the token list, with precedence climbing for operators."""

    def __init__(self, text: str, index_forms: bool = False):
        super().__init__(text, tokenize(text, index_forms))
        self.index_forms = index_forms
        self.depth = 0
        self.bound: list[str] = []  # the indices of the enclosing index sums

    # -- entry points ----------------------------------------------------------------------

    def guarded(self, parse_function: Callable[[], T]) -> T:
        """Run ``parse_function``; a stack overflow (a caller that was already deep in
        the stack) becomes the same syntax error as any other too-deep nesting."""
        try:
            return parse_function()
        except RecursionError:
            self._too_deep(self.token.start)

    def parse_all(self) -> Parsed:
        expr = self._expression()
        declarations: tuple[Declaration, ...] = ()
        definitions: tuple[Definition, ...] = ()
        if self.at(NAME, KEYWORD_WHERE):
            self.advance()
            declarations, definitions = self._where_clause()
            self.expect_end_of_declarations()
        else:
            self._expect_end_of_expression()
        self._check_tree_depth(expr)
        if definitions:
            for d in definitions:
                self._check_tree_depth(d.expr)
            expr = expand(expr, definitions, declarations, self.text)
            self._check_tree_depth(expr)
        return Parsed(expr, declarations, self.text, definitions=definitions)

    def _where_clause(self) -> tuple[tuple[Declaration, ...], tuple[Definition, ...]]:
        """``item {("," | ";") item}``: declarations (``X: matrix``) and definitions
        (``h = sigmoid(W1*x)``), in any order."""
        declarations: list[Declaration] = []
        definitions: list[Definition] = []
        while True:
            if self.at(NAME) and self.peek().kind == EQUALS and \
                    self.token.text != KEYWORD_WHERE:
                definitions.append(self._definition())
            else:
                declarations.append(self.declaration())
            if not (self.at(COMMA) or self.at(SEMICOLON)):
                break
            self.advance()
        self._check_unique(declarations)
        return tuple(declarations), tuple(definitions)

    def _definition(self) -> Definition:
        """``NAME = expr``."""
        name = self.advance()
        self.advance()  # '='
        body = self._expression()
        return Definition(name.text, name.span, body, Span(name.start, body.span.end))

    def parse_declarations_only(self) -> tuple[Declaration, ...]:
        declarations = self.declarations()
        self.expect_end_of_declarations()
        return declarations

    # -- nesting ---------------------------------------------------------------------------

    def _too_deep(self, position: int) -> NoReturn:
        self.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)", position)

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

    def _expect_end_of_expression(self) -> None:
        token = self.token
        if token.kind == EOF:
            return
        if token.kind == RPAREN:
            self.error("unexpected ')' without a matching '('", token.start)
        if token.kind == COLON:
            self.error("unexpected ':' (declarations go after 'where', as in "
                       "'x where x: vector')", token.start)
        if token.kind == EQUALS:
            self.error("unexpected '=' (definitions go after 'where', as in "
                       "'norm(h)^2 where h = exp(W*x)')", token.start)
        self.unexpected("an operator, 'where' or end of input")

    # -- expressions -----------------------------------------------------------------------

    # The recursion below goes through at most three Python frames per level of nesting
    # (_expression -> _operand -> _group, _call or _index_sum -> _expression), so that
    # MAX_DEPTH levels fit comfortably within Python's default recursion limit of 1000.

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
                self.advance()
                right_level = level if token.text in _RIGHT_ASSOCIATIVE else level + 1
                right = self._expression(right_level)
                left = Binary(token.text, left, right, Span(left.span.start, right.span.end),
                              token.span)

    def _operand(self) -> Node:
        """A signed operand, or an atom with its transposes.

        A sign applies to a whole power (``-x^2`` is ``-(x^2)``, ``a*-b^2`` is
        ``a*(-(b^2))``); it is accepted wherever an operand is, so also at the start of an
        exponent (``x^-2``).  A name directly followed by ``(`` is a call (or an index
        sum), by ``[`` a slice.
        """
        token = self.token
        node: Node
        if token.kind == OPERATOR and token.text in _SIGNS:
            self.advance()
            operand = self._expression(_POWER_LEVEL)
            return Unary(token.text, operand, Span(token.start, operand.span.end))
        if token.kind == LPAREN:
            node = self._group()
        elif token.kind == NAME and token.text != KEYWORD_WHERE:
            following = self.peek().kind
            if following == LPAREN:
                layout = self._index_sum_layout() if self.index_forms else None
                node = self._call() if layout is None else self._index_sum(layout)
            elif following == LBRACKET and not self._selection_at(self.index + 1):
                node = self._slice()
            else:
                self.advance()
                node = Name(token.text, token.span)
        elif token.kind == NUMBER:
            self.advance()
            assert isinstance(token.value, Fraction)
            node = Number(token.value, token.text, token.span)
        else:
            self._not_an_operand()
        return self._transposes(node)

    def _transposes(self, node: Node) -> Node:
        """Transposes and selections after an operand: ``x'``, ``x.'``, ``x.T``,
        ``(a+b)''``, ``svdU(X)[:, 1]``, ``v[2]``, ``M[1, :]'``."""
        while self.at(TRANSPOSE) or self.at(LBRACKET) and self._selection_at(self.index):
            if self.at(LBRACKET):
                node = self._selection(node)
                continue
            token = self.advance()
            node = Transpose(node, Span(node.span.start, token.end), token.span)
        return node

    def _selection_at(self, k: int) -> bool:
        """Whether the '[' at token k opens a selection at integer positions (no index
        names inside: those are index notation)."""
        kinds = []
        for token in self.tokens[k + 1:]:
            if token.kind == RBRACKET:
                break
            kinds.append(token.kind)
        return NUMBER in kinds and all(kind in (NUMBER, COLON, COMMA) for kind in kinds)

    def _selection(self, node: Node) -> Node:
        """``[k]``, ``[i, j]``, ``[:, j]`` or ``[i, :]`` after an operand: 1-based positions."""
        opening = self.advance()
        inside: list[Token] = []
        while not self.at(RBRACKET):
            inside.append(self.advance())
        kinds = [t.kind for t in inside]
        slot = (NUMBER, COLON)
        if not (len(kinds) == 1 and kinds[0] in slot
                or len(kinds) == 3 and kinds[0] in slot and kinds[1] == COMMA and kinds[2] in slot):
            pattern = (slot, (COMMA,), slot)  # the first token out of it is shown
            wrong = next((t for i, t in enumerate(inside) if i > 2 or t.kind not in pattern[i]),
                         inside[-1] if inside else opening)
            self.error("expected v[k], M[i, j], M[:, j] or M[i, :] (one position, or two "
                       "separated by ','; ranges such as 1:2 are not supported)", wrong.start)
        slots: list[int] = []
        for token in inside[::2]:
            if token.kind == COLON:
                slots.append(0)
                continue
            value = token.value
            assert isinstance(value, Fraction)
            if value.denominator != 1 or value < 1 or "." in token.text:
                self.error("a position inside [ ] is a whole number from 1 (the first "
                           "row or column), or ':' for all of them", token.start)
            slots.append(int(value))
        closing = self.advance()
        span = Span(node.span.start, closing.end)
        if len(slots) == 1:
            if slots[0] == 0:
                self.error("v[:] selects nothing; write v, or v[k] for one entry", opening.start)
            return Selection(node, slots[0], 1, span, Span(opening.start, closing.end), True)
        if slots == [0, 0]:
            self.error("M[:, :] selects nothing; write M, or M[i, j], M[:, j], M[i, :]",
                       opening.start)
        return Selection(node, slots[0], slots[1], span, Span(opening.start, closing.end))

    def _not_an_operand(self) -> NoReturn:
        """Explain why the current token cannot start an operand."""
        token, previous = self.token, self.previous()
        if token.kind == EQUALS and (previous is None or previous.kind != EQUALS):
            self.error("unexpected character '='", token.start)
        if token.kind == STRING:
            self.error("a string can only be a function argument (as in norm(X, 'fro'))",
                       token.start)
        if previous is None:
            if token.kind == NAME:  # the keyword
                self.error("expected an expression before 'where'", token.start)
            self.error(f"expected an expression, found {describe(token)}", token.start)
        found = describe(token)
        if token.kind == NAME:
            found = "the keyword 'where'"
        hint = ""
        if previous.text == "*" and token.text == "*":
            hint = " (write a power with ^, as in x^2)"
        self.error(f"expected an operand after {describe(previous)}, found {found}{hint}",
                   token.start)

    def _group(self) -> Node:
        """``( expr )``: the inner node, its span widened to the parentheses."""
        opening = self.advance()
        inner = self._expression()
        if not self.at(RPAREN):
            self.unexpected(f"')' to close '(' at {opening.start}")
        closing = self.advance()
        return _widen(inner, Span(opening.start, closing.end))

    def _call(self) -> Call:
        """``f(arg, ...)``: the current token is the name, the next one the '('.

        Each argument is a string standing alone or an expression; ``f()`` is allowed
        here, the type checker judges arities.
        """
        name = self.advance()
        opening = self.advance()
        args: list[Node] = []
        if not self.at(RPAREN):
            args.append(self._string_argument() or self._expression())
            while self.at(COMMA):
                self.advance()
                args.append(self._string_argument() or self._expression())
        if not self.at(RPAREN):
            self.unexpected(f"',' or ')' to close '(' at {opening.start}")
        closing = self.advance()
        return Call(name.text, tuple(args), Span(name.start, closing.end), name.span)

    def _string_argument(self) -> String | None:
        """A string that makes up a whole call argument, or None if no string is here."""
        token = self.token
        if token.kind != STRING:
            return None
        if self.peek().kind not in (COMMA, RPAREN):
            self.error("a string can only be a function argument on its own, not part "
                       "of an expression", token.start)
        self.advance()
        assert isinstance(token.value, str)
        return String(token.value, token.span)

    def _check_tree_depth(self, root: Node) -> None:
        check_tree_depth(root, self.text)

    # -- index forms -----------------------------------------------------------------------

    def _index_at(self, k: int) -> tuple[str, int] | None:
        """The index written at token ``k`` (a name with primes: ``j'``) and the token
        after it, or None."""
        token = self.tokens[k]
        if token.kind != NAME or not _is_ascii_name(token.text):
            return None
        name, end = token.text, token.end
        k += 1
        while self.tokens[k].kind == TRANSPOSE and self.tokens[k].text == "'" \
                and self.tokens[k].start == end:
            name, end = name + "'", self.tokens[k].end
            k += 1
        return name, k

    def _index_in(self, first: int, stop: int) -> str | None:
        """The index that tokens ``first .. stop - 1`` are exactly, or None."""
        found = self._index_at(first) if first < stop else None
        return found[0] if found is not None and found[1] == stop else None

    def _segment(self, first: int, stop: int) -> tuple[str, int]:
        """The text of tokens ``first .. stop - 1`` and where it starts (for an empty
        segment: "" at the token that ends it)."""
        if first == stop:
            return "", self.tokens[stop].start
        return self.text[self.tokens[first].start:self.tokens[stop - 1].end], \
            self.tokens[first].start

    def _scan_parentheses(self, opening: int) -> tuple[int | None, list[int]]:
        """The token closing the '(' at ``opening`` (brackets count as parentheses; None
        if the text or the summand ends first, or 'where' comes) and the commas at its
        top level."""
        depth, commas = 0, list[int]()
        for k in range(opening, self.limit):
            token = self.tokens[k]
            if token.kind in (LPAREN, LBRACKET):
                depth += 1
            elif token.kind in (RPAREN, RBRACKET):
                depth -= 1
                if depth == 0:
                    return k, commas
            elif token.kind == COMMA and depth == 1:
                commas.append(k)
            elif token.kind == NAME and token.text == KEYWORD_WHERE:
                break
        return None, commas

    def _pair_in(self, first: int, stop: int) -> tuple[tuple[tuple[str, int], ...], Name] | None:
        """``(i, j) in Omega`` exactly in tokens ``first .. stop - 1``: the two indices
        and the mask's name, else None."""
        tokens = self.tokens
        if tokens[first].kind != LPAREN:
            return None
        i = self._index_at(first + 1)
        if i is None or tokens[i[1]].kind != COMMA:
            return None
        j = self._index_at(i[1] + 1)
        if j is None or tokens[j[1]].kind != RPAREN:
            return None
        k = j[1] + 1
        if k + 2 != stop or not (tokens[k].kind == NAME and tokens[k].text == "in"):
            return None
        domain = tokens[k + 1]
        if domain.kind != NAME or not (domain.text[0] == "_" or domain.text[0].isascii()
                                       and domain.text[0].isalpha()):
            return None
        indices = ((i[0], tokens[first + 1].start), (j[0], tokens[i[1] + 1].start))
        return indices, Name(domain.text, domain.span)

    def _index_sum_layout(self) -> _SumLayout | None:
        """At ``sum(``: the layout of an index sum, or None for the ordinary call."""
        if self.token.text != _INDEX_SUM:
            return None
        opening = self.index + 1
        close, commas = self._scan_parentheses(opening)
        if close is None:
            after = self.tokens[opening + 1]
            found = self._index_at(opening + 1)
            if after.kind == LPAREN or found is not None and self.tokens[found[1]].kind == COMMA:
                self.error("unbalanced '(': no matching ')'", self.tokens[opening].start)
            return None
        if not commas:
            return None
        after = self.tokens[commas[0] + 1]
        if len(commas) == 1 and commas[0] + 2 == close and after.kind == NUMBER:
            return None  # sum(X, 1): the sum down the columns (a dimension), not an index sum
        starts = [opening + 1] + [c + 1 for c in commas[:-1]]
        heads = list(zip(starts, commas))
        pair = self._pair_in(*heads[0])
        if pair is None and self._index_in(*heads[0]) is None:
            return None  # sum(2*X, 1): the ordinary call
        if pair is not None and len(heads) == 1:
            return _SumLayout(pair[0], pair[1], commas[-1] + 1, close)
        indices: list[tuple[str, int]] = []
        for first, stop in heads:
            name = self._index_in(first, stop)
            if name is None:
                found_text, at = self._segment(first, stop)
                self.error("expected an index name in sum(i, ..., EXPR), found "
                           f"{found_text!r}", at)
            indices.append((name, self.tokens[first].start))
        return _SumLayout(tuple(indices), None, commas[-1] + 1, close)

    def _index_sum(self, layout: _SumLayout) -> IndexSum:
        """``sum(i, ..., EXPR)`` or ``sum((i, j) in Omega, EXPR)`` laid out by
        :meth:`_index_sum_layout`; the current token is ``sum``."""
        start = self.token.start
        names = [name for name, _ in layout.indices]
        for name, at in layout.indices:
            if name in self.bound or names.count(name) > 1:
                self.error(f"index {name} is already bound by an enclosing sum", at)
        close = self.tokens[layout.close]
        if layout.body == layout.close:
            self.error("expected the summand after the indices", close.start)
        self.index = layout.body
        self.bound.extend(names)
        with self.within(layout.body, layout.close):
            body = self._expression()
            self._expect_end_of_expression()
        del self.bound[len(self.bound) - len(names):]
        self.index = layout.close + 1
        whole = Span(self.tokens[layout.body].start, self.tokens[layout.close - 1].end)
        if isinstance(body, IndexSum) and body.domain is None and layout.domain is None \
                and body.span == whole:
            names, body = names + list(body.indices), body.body  # sum(i, sum(j, ...))
        for node in walk(body):
            if isinstance(node, Name) and node.name in names:
                self.error(f"the index {node.name} can only be used to index (as in "
                           f"W[:, {node.name}])", node.span.start)
        used = {ix for node in walk(body) if isinstance(node, Slice) for ix in node.indices}
        for name, at in layout.indices:
            if name not in used:
                self.error(f"the index {name} is not used in the summand", at)
        span = Span(start, close.end)
        return IndexSum(tuple(names), layout.domain, body, span,
                        self.text[span.start:span.end])

    def _slice(self) -> Slice:
        """``x[i]``, ``M[i, j]``, ``W[:, j]``, ``W[i, :]``: the current token is the name,
        the next one the '[' (the lexer has checked that a ']' closes it)."""
        name = self.advance()
        opening = self.advance()
        bounds = [self.index]
        while not self.at(RBRACKET):
            if self.at(EOF):  # the summand ended inside the brackets: sum(i, x[i)])
                self.error("unexpected character '['", opening.start)
            if self.at(COMMA):
                bounds.append(self.index)
            self.advance()
        closing = self.token
        bounds.append(self.index)
        self.advance()
        parts: list[str] = []
        for first, stop in zip([bounds[0]] + [b + 1 for b in bounds[1:-1]], bounds[1:]):
            written, at = self._segment(first, stop)
            parts.append(written)
            if stop == first + 1 and self.tokens[first].kind == COLON:
                continue
            index = self._index_in(first, stop)
            if index is None:
                self.error(f"expected an index name or ':' inside [ ], found {written!r}", at)
            if index not in self.bound:
                self.error(f"index {index} is not bound by an enclosing sum({index}, ...)", at)
        span = Span(name.start, closing.end)
        text = self.text[span.start:span.end]
        if len(parts) == 1 and parts[0] != ":":
            return Slice(name.text, "entry", (parts[0],), span, text)
        if len(parts) == 2:
            row, col = parts
            if row == ":" and col != ":":
                return Slice(name.text, "col", (col,), span, text)
            if col == ":" and row != ":":
                return Slice(name.text, "row", (row,), span, text)
            if ":" not in parts:
                return Slice(name.text, "entry", (row, col), span, text)
        self.error("expected x[i], M[i, j], W[:, j] or W[i, :]", opening.end)
