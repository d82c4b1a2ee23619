"""The LaTeX reader's expressions and commands, and the entry point :func:`parse_latex`."""

from __future__ import annotations

import dataclasses
import sys
from fractions import Fraction
from typing import NoReturn

from ..definitions import expand
from ..errors import MatdiffError, MatdiffSyntaxError
from ..index_notation.resolve import translate
from ..lex import check_length
from ..parse import check_tree_depth
from ..syntax import (
    Binary,
    Call,
    Declaration,
    Definition,
    Name,
    Node,
    Number,
    Span,
    Translated,
    Unary,
    has_index_nodes,
)
from ..unparse import to_plain
from .cursor import describe, widen
from .means import finish_means, mean_of_sum
from .readings import choose
from .spectral import SpectralValues
from .tokens import Tok
from .vocabulary import (
    ACCENTS,
    BARS,
    CLOSERS,
    EQUALS_CMDS,
    GREEK,
    OPENERS,
    PRODUCT_CMDS,
    SIZES_EITHER,
    SIZES_OPEN,
    STRIP_STYLES,
    WORD_STYLES,
    bare_function,
    function_command,
    function_word,
    letter_name,
)
from .where import SliceDecl, find_where, where_clause

__all__ = ["LatexReader", "parse_latex", "read_index_tree"]


class LatexReader(SpectralValues):
    """Recursive descent over a LaTeX formula's tokens."""

    def parse_top(self) -> Node:
        toks = self.toks
        # \[ .. \], \( .. \), \begin{equation} .. \end{equation}
        if len(toks) > 1 and toks[0].kind == "cmd" and toks[0].text in ("[", "("):
            closing = "]" if toks[0].text == "[" else ")"
            if toks[-2].kind == "cmd" and toks[-2].text == closing:
                del toks[-2]
            del toks[0]
        if toks[0].kind == "cmd" and toks[0].text == "begin" and len(toks) > 2:
            close = self.matching_brace(1) if toks[1].text == "{" else 0
            del toks[:close + 1]
            for k in range(len(toks) - 2, -1, -1):
                if toks[k].kind == "cmd" and toks[k].text == "end":
                    del toks[k:-1]
                    break
        if toks[0].kind == "eof":
            self.error("empty formula", toks[0].start)
        self.skip_left_hand_side()
        node = self.expr()
        while self.peek().kind == "sym" and self.peek().text in ",.;":
            self.next()
        if self.peek().kind != "eof":
            self.unexpected_after()
        return finish_means(node, self.mean_products, self.declared, self.notes)

    def skip_left_hand_side(self) -> None:
        """``F(U, V) = ...``, ``L := ...``: read what follows the one top-level '='."""
        depth, equals = 0, []
        for k, t in enumerate(self.toks):
            if t.kind == "sym" and t.text in "({[":
                depth += 1
            elif t.kind == "sym" and t.text in ")}]":
                depth -= 1
            elif depth == 0 and (t.kind == "sym" and t.text == "="
                                 or t.kind == "cmd" and t.text in EQUALS_CMDS):
                equals.append(k)
        if not equals:
            return
        if len(equals) > 1:
            self.error("more than one '=': give the function alone (or 'f = formula')",
                       self.toks[equals[1]].start)
        k = equals[0]
        if self.toks[k].kind == "cmd" and self.toks[k].text == "stackrel":
            self.error("unsupported LaTeX command \\stackrel", self.toks[k].start)
        if k == 0:
            self.error("expected a formula before '='", self.toks[k].start)
        lhs = self.text[self.toks[0].start:self.toks[k].start].strip()
        if lhs.endswith(":"):
            lhs = lhs[:-1].strip()
        self.notes.append(f"read the right-hand side of '{lhs} = ...'")
        self.i = k + 1

    def expr(self) -> Node:
        left = self.term()
        while True:
            t = self.peek()
            if t.kind == "sym" and t.text in "+-":
                self.next()
                right = self.term()
                left = Binary(t.text, left, right, Span(left.span.start, right.span.end),
                              Span(t.start, t.end))
            elif t.kind == "cmd" and t.text in ("pm", "mp"):
                self.unsupported_cmd(t)
            else:
                return left

    def product_op(self, t: Tok) -> str | None:
        if t.kind == "sym" and t.text in ("*", "/"):
            return t.text
        if t.kind == "cmd" and t.text in PRODUCT_CMDS:
            return PRODUCT_CMDS[t.text]
        return None

    def term(self) -> Node:
        left = self.unary()
        while True:
            t = self.peek()
            op = self.product_op(t)
            if op:
                self.next()
                nxt = self.peek()
                if not (self.starts_atom(nxt) or nxt.kind == "sym" and nxt.text in "+-"):
                    self.placeholder_error(t)
                right = self.unary()
                span = Span(left.span.start, right.span.end)
                if op == "kron":
                    left = Call("kron", (left, right), span, Span(t.start, t.end))
                else:
                    left = self.product(Binary(op, left, right, span, Span(t.start, t.end)))
            elif self.starts_atom(t):
                right = self.factor()
                left = self.product(Binary("*", left, right, Span(left.span.start,
                                                                  right.span.end),
                                           Span(right.span.start, right.span.start)))
            else:
                return left

    def product(self, node: Binary) -> Node:
        """A product; ``\\frac{1}{N}\\sum_{i=1}^{N} ...`` the mean of the sum's terms
        (:mod:`.means`: undone at the end if N appears elsewhere)."""
        mean = mean_of_sum(node) if node.op == "*" else None
        if mean is None:
            return node
        self.mean_products[id(mean)] = node
        return mean

    def unary(self) -> Node:
        t = self.peek()
        if t.kind == "sym" and t.text in "+-":
            self.next()
            operand = self.unary()
            return Unary(t.text, operand, Span(t.start, operand.span.end))
        return self.factor()

    def factor(self) -> Node:
        t = self.peek()
        if t.kind == "cmd" and t.text in ("sum", "prod"):
            if t.text == "prod":
                self.unsupported_cmd(t)
            return self.index_sum()
        return self.atom()

    def atom(self) -> Node:
        t = self.peek()
        if t.kind == "letter":
            return self.letters()
        if t.kind == "num":
            self.next()
            node = Number(Fraction(t.text), t.text, Span(t.start, t.end))
            return self.postfix(node)
        if t.kind == "sym":
            if (t.kind, t.text) in OPENERS and (t.text not in BARS or self.bar_depth == 0):
                return self.delimited()
            self.expected_operand(t)
        if t.kind == "eof":
            self.expected_operand(t)
        return self.command()

    def expected_operand(self, t: Tok) -> NoReturn:
        if t.kind == "eof":
            self.error("expected an operand at the end of the formula", t.start)
        if t.kind == "sym" and t.text in "_^":
            self.error(f"bad {'subscript' if t.text == '_' else 'superscript'}: "
                       f"'{t.text}' must follow a name", t.start)
        if t.kind == "cmd" and t.text == "cdot":
            self.placeholder_error(t)
        if t.kind == "cmd" and t.text == "right":
            self.error("'\\right' without a matching '\\left'", t.start)
        if (t.kind, t.text) in CLOSERS:
            self.error(f"unbalanced {describe(t)}: nothing to close", t.start)
        self.error(f"expected an operand, found {describe(t)}", t.start)

    def command(self) -> Node:
        t = self.peek()
        name = t.text
        if name in GREEK:
            value = self.spectral_value(t)  # \lambda_1(S), \sigma_{\max}(X)
            if value is not None:
                return value
            self.next()
            node = self.name_atom(GREEK[name], t.start, t.end)
            if name in ("sigma", "phi", "varphi", "psi") and self.opens_group(self.peek()):
                self.note_once(f"read \\{name}(...) as the scalar {GREEK[name]} times (...); for "
                               "the logistic function write \\operatorname{sigmoid}(...)")
            return node
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            self.next()
            num = self.argument()
            den = self.argument()
            node = Binary("/", num, den, Span(t.start, den.span.end),
                          Span(t.start, t.end))
            return self.postfix(node)
        if name == "sqrt":
            self.next()
            if self.at("sym", "["):
                self.error("unsupported: a root other than the square root", self.peek().start)
            arg = self.argument()
            root = Call("sqrt", (arg,), Span(t.start, arg.span.end), Span(t.start, t.end))
            return self.postfix(self.matrix_site(root, False))
        func = function_command(name)
        if func is not None:
            self.next()
            return self.function(func, t.start, Span(t.start, t.end))
        if name in STRIP_STYLES:
            self.next()
            return self.styled(t)
        if name in WORD_STYLES:
            self.next()
            return self.word(t)
        if name in ACCENTS:
            self.next()
            return self.accent(t)
        if name == "mathbb":
            self.next()
            return self.blackboard(t)
        if name in ("color", "textcolor"):
            self.next()
            self.skip_group()
            if name == "textcolor":
                return self.argument_atom()
            return self.factor()
        if name == "left" or name in SIZES_OPEN or name in SIZES_EITHER:
            return self.delimited()
        if (t.kind, name) in OPENERS:
            return self.delimited()
        if name == "sum":
            return self.index_sum()
        self.unsupported_cmd(t)

    def skip_group(self) -> None:
        if not self.at("sym", "{"):
            self.error("expected '{' here", self.peek().start)
        self.i = self.matching_brace(self.i) + 1

    def argument(self) -> Node:
        """A one-token argument (``\\frac1N``) or a braced group, as a node."""
        t = self.peek()
        if t.kind == "sym" and t.text == "{":
            close = self.matching_brace(self.i)
            node = self.parse_range(self.i + 1, close, self.expr)
            self.i = close + 1
            return widen(node, Span(t.start, self.toks[close].end))
        return self.argument_atom()

    def argument_atom(self) -> Node:
        t = self.peek()
        if t.kind == "num":
            self.split_num()
            t = self.next()
            return Number(Fraction(t.text), t.text, Span(t.start, t.end))
        if t.kind == "letter":
            self.next()
            return Name(letter_name(t.text), Span(t.start, t.end))
        if t.kind == "sym" and t.text == "{":
            return self.argument()
        if t.kind == "cmd" and t.text in GREEK:
            self.next()
            return Name(GREEK[t.text], Span(t.start, t.end))
        if t.kind == "cmd" and (t.text in STRIP_STYLES or t.text in WORD_STYLES):
            self.next()
            inner = self.argument()
            return widen(inner, Span(t.start, inner.span.end))
        if t.kind == "eof":
            self.error("expected an argument at the end of the formula", t.start)
        if t.kind == "cmd" and t.text not in OPENERS:
            self.unsupported_cmd(t)
        self.error(f"expected an argument (a letter, a digit or a {{group}}), found "
                   f"{describe(t)}", t.start)

    def letters(self) -> Node:
        """A letter, or a run of letters spelling a function (``tr(``) or a Greek name."""
        t = self.peek()
        run = [t]
        k = 1
        while self.peek(k).kind == "letter" and self.peek(k).start == run[-1].end:
            run.append(self.peek(k))
            k += 1
        word = "".join(x.text for x in run)
        after = self.peek(k)
        if k == 1 and letter_name(t.text) in ("lambda", "sigma"):  # λ_1(S)
            value = self.spectral_value(t)
            if value is not None:
                return value
        if bare_function(word) and (
                (after.kind, after.text) in OPENERS and after.text not in BARS
                or after.kind == "cmd" and after.text in ("left", *SIZES_OPEN, *SIZES_EITHER)):
            self.i += k
            func = function_word(word)
            assert func is not None
            return self.function(func, t.start, Span(t.start, run[-1].end))
        if len(run) >= 3 and word in GREEK and word not in self.declared:
            self.i += k
            self.notes.append(f"read the letters {word} as the Greek letter \\{word}")
            return self.name_atom(GREEK[word], t.start, run[-1].end)
        self.next()
        return self.name_atom(letter_name(t.text), t.start, t.end, letter=True)


def parse_latex(text: str, extra: tuple[Declaration, ...] = ()) -> Translated:
    """Read a LaTeX formula (with an optional ``where`` clause) into a syntax tree.

    ``extra`` are declarations given beside the text (the CLI's ``--declare``).  The
    result is a :class:`~matdiff.syntax.Parsed` (a :class:`Translated`, with ``plain``,
    the formula in the plain language, and ``notes``, how it was read).

    >>> parse_latex(r"\\frac1N \\left\\|XW-Y\\right\\|_{\\text{F}}^2").plain
    "1/N*norm(X*W - Y, 'fro')^2"
    """
    check_length(text)
    _check_brackets(text)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, _stack_depth() + MAX_READER_FRAMES))
    try:
        translated = _parse_latex(text, extra)
    except RecursionError:
        raise MatdiffSyntaxError("formula nested too deeply", 0, text) from None
    except MatdiffError as e:
        e.text = text
        raise
    finally:
        sys.setrecursionlimit(limit)
    check_tree_depth(translated.expr, text)
    return translated


#: The reader's recursion (and the translation of its tree) may use this many Python
#: frames: a formula nested deeper (braces, fractions, roots, signs, ...) is "nested too
#: deeply", whatever the interpreter's own recursion limit.
MAX_READER_FRAMES = 2500


#: The deepest nesting of brackets and braces read: deeper ones are refused before
#: reading, in one pass (the reader would take time to refuse them).
MAX_BRACKET_DEPTH = 100


def _check_brackets(text: str) -> None:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{([":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise MatdiffSyntaxError(f"formula nested too deeply (more than "
                                         f"{MAX_BRACKET_DEPTH} brackets)", i, text)
        elif ch in "})]":
            depth -= 1


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def _parse_latex(text: str, extra: tuple[Declaration, ...]) -> Translated:
    choices: dict = {}
    written, declarations, notes, definitions = read_with_definitions(text, extra, choices)
    expr = expand(written, definitions, declarations, text) if definitions else written
    translated = translate(expr, declarations, text, tuple(extra), tuple(notes))
    chosen = choose(translated, choices, tuple(extra))
    plain = chosen.plain
    trees = [written] + [d.expr for d in definitions]
    # read as written (the names, then their definitions and the declarations), unless a
    # reading by type (e^{X} as expm) changed the expanded formula
    if definitions and chosen is translated and not any(has_index_nodes(t) for t in trees):
        declared = plain.partition(" where ")[2]
        items = [f"{d.name} = {to_plain(d.expr)}" for d in definitions]
        plain = to_plain(written) + " where " + ", ".join(items + ([declared] if declared
                                                                   else []))
    return dataclasses.replace(chosen, definitions=definitions, plain=plain)


def read_index_tree(text: str, extra: tuple[Declaration, ...] = (),
                    choices: dict | None = None
                    ) -> tuple[Node, tuple[Declaration, ...], list[str]]:
    """The formula's tree before sums are put in matrix form (it may hold
    :class:`~matdiff.syntax.IndexSum` and ``Slice`` nodes), the where clause's
    declarations, and the notes so far; ``choices`` receives the sites whose reading
    depends on types (:mod:`.readings`)."""
    expr, declarations, notes, definitions = read_with_definitions(text, extra, choices)
    if definitions:
        expr = expand(expr, definitions, declarations, text)
    return expr, declarations, notes


def read_with_definitions(text: str, extra: tuple[Declaration, ...] = (),
                          choices: dict | None = None
                          ) -> tuple[Node, tuple[Declaration, ...], list[str],
                                     tuple[Definition, ...]]:
    """:func:`read_index_tree`, the tree as written (defined names not yet substituted), with
    the where clause's definitions (``h = \\exp(W x)``, after ``where`` or ``\\text{where}``)."""
    where, clause = find_where(text)
    end = len(text) if where < 0 else where
    declarations: tuple[Declaration, ...] = ()
    slice_decls: dict[tuple[str, str], SliceDecl] = {}
    ranges: list[tuple[int, int, int]] = []
    if where >= 0:
        declarations, slice_decls = where_clause(text, clause, ranges)
        if not declarations and not slice_decls and not ranges:
            raise MatdiffSyntaxError("expected declarations after 'where'", where, text)
        # ", where" and "$ where": the punctuation belongs to the prose
        end = where
    declared = {n for d in declarations + tuple(extra) for n, _ in d.names}
    parser = LatexReader(text, 0, end, slice_decls, declared)
    expr = parser.parse_top()
    if choices is not None:
        choices.update(parser.choices)
    notes = parser.notes
    definitions: list[Definition] = []
    for a, equals, b in ranges:
        lhs = text[a:equals]
        at = a + len(lhs) - len(lhs.lstrip())
        if not lhs.strip():
            raise MatdiffSyntaxError("expected a name before '='", equals, text)
        name = LatexReader(text, a, equals, {}, declared).parse_top()
        if not isinstance(name, Name):
            raise MatdiffSyntaxError("expected a name before '=' (a definition gives a name "
                                     "to an expression, as in 'h = \\exp(W x)')", at, text)
        if equals + 1 >= b or not text[equals + 1:b].strip():
            raise MatdiffSyntaxError("expected an expression after '='", equals + 1, text)
        reader = LatexReader(text, equals + 1, b, slice_decls, declared)
        body = reader.parse_top()
        notes += reader.notes
        if choices is not None:
            choices.update(reader.choices)
        definitions.append(Definition(name.name, name.span, body, Span(a, b)))
    return expr, declarations, notes, tuple(definitions)

