"""Tests of matdiff.parse: lexical rules, precedence, spans, where clauses and errors."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matdiff.errors import MatdiffSyntaxError
from matdiff.lex import tokenize
from matdiff.parse import MAX_DEPTH, MAX_TREE_DEPTH, parse, parse_declarations
from matdiff.syntax import (
    Binary,
    Call,
    Declaration,
    Name,
    Number,
    Parsed,
    Span,
    String,
    Transpose,
    Unary,
)

# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def sexpr(node) -> str:
    """The tree as a fully parenthesised prefix expression.

    Names and numbers print as written, strings in single quotes, a unary sign as
    ``(- x)``, a transpose as ``(' x)``, a call as ``(call f a b)``.
    """
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Number):
        return node.text
    if isinstance(node, String):
        return f"'{node.value}'"
    if isinstance(node, Unary):
        return f"({node.op} {sexpr(node.operand)})"
    if isinstance(node, Binary):
        return f"({node.op} {sexpr(node.left)} {sexpr(node.right)})"
    if isinstance(node, Transpose):
        return f"(' {sexpr(node.operand)})"
    if isinstance(node, Call):
        return "(call " + " ".join([node.func, *map(sexpr, node.args)]) + ")"
    raise TypeError(node)


def p(text: str) -> str:
    """Parse an expression without declarations and render it."""
    parsed = parse(text)
    assert parsed.declarations == ()
    return sexpr(parsed.expr)


def error(text: str, parser=parse) -> MatdiffSyntaxError:
    with pytest.raises(MatdiffSyntaxError) as info:
        parser(text)
    return info.value


def kinds(text: str) -> list[tuple[str, str]]:
    """(kind, text) of every token but the final eof."""
    tokens = tokenize(text)
    assert tokens[-1].kind == "eof" and tokens[-1].span == Span(len(text), len(text))
    return [(t.kind, t.text) for t in tokens[:-1]]


def walk(node):
    yield node
    children = ()
    if isinstance(node, Call):
        children = node.args
    elif isinstance(node, (Unary, Transpose)):
        children = (node.operand,)
    elif isinstance(node, Binary):
        children = (node.left, node.right)
    for child in children:
        yield from walk(child)


# ---------------------------------------------------------------------------------------
# Lexical rules
# ---------------------------------------------------------------------------------------


class TestNames:
    @pytest.mark.parametrize("name", ["x", "X", "x_1", "rho2", "_a", "Sigma", "alpha",
                                      "λ", "Σ", "αβ2", "σ_x", "where_", "wherever"])
    def test_names(self, name):
        assert kinds(name) == [("name", name)]
        assert p(name) == name

    def test_greek_expressions(self):
        assert p("λ*x") == "(* λ x)"
        assert p("Σ") == "Σ"
        assert p("x'*Σ*x") == "(* (* (' x) Σ) x)"

    def test_name_cannot_start_with_digit(self):
        e = error("2x")
        assert e.position == 1
        assert e.message == "expected an operator between '2' and 'x'"


class TestNumbers:
    @pytest.mark.parametrize("text, value", [
        ("2", Fraction(2)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("2.", Fraction(2)),
        ("1e-3", Fraction(1, 1000)),
        ("1E+3", Fraction(1000)),
        ("1e3", Fraction(1000)),
        ("2.5e1", Fraction(25)),
        ("2.e3", Fraction(2000)),
        (".25E-2", Fraction(1, 400)),
        ("007", Fraction(7)),
        ("0.1", Fraction(1, 10)),
    ])
    def test_number_values_are_exact(self, text, value):
        number = parse(text).expr
        assert isinstance(number, Number)
        assert number.value == value and isinstance(number.value, Fraction)
        assert number.text == text
        assert number.span == Span(0, len(text))

    @pytest.mark.parametrize("text, expected", [
        ("2.*x", "(.* 2 x)"),
        ("2./x", "(./ 2 x)"),
        ("2.^x", "(.^ 2 x)"),
        ("2.'", "(' 2)"),
        ("2.T", "(' 2)"),
        ("2.5.*x", "(.* 2.5 x)"),
        ("2..*x", "(.* 2. x)"),
        ("2. * x", "(* 2. x)"),
        ("2.*.5", "(.* 2 .5)"),
        ("1e-3*x", "(* 1e-3 x)"),
    ])
    def test_dot_belongs_to_operator(self, text, expected):
        assert p(text) == expected

    def test_dot_operator_tokens(self):
        assert kinds("2.*x") == [("number", "2"), ("operator", ".*"), ("name", "x")]
        assert kinds("2.^x") == [("number", "2"), ("operator", ".^"), ("name", "x")]
        assert kinds("2./x") == [("number", "2"), ("operator", "./"), ("name", "x")]
        assert kinds("2.'") == [("number", "2"), ("transpose", ".'")]
        assert kinds("2.") == [("number", "2.")]

    def test_e_without_digits_is_a_name(self):
        e = error("2e")
        assert (e.position, e.message) == (1, "expected an operator between '2' and 'e'")
        assert kinds("2e+x") == [("number", "2"), ("name", "e"), ("operator", "+"),
                                 ("name", "x")]

    def test_huge_exponent_is_refused_quickly(self):
        e = error("1e999999999")
        assert e.position == 0 and "exponent too large" in e.message
        e = error("x + 1e-" + "9" * 5000)
        assert e.position == 4 and "exponent too large" in e.message

    def test_leading_zeros_in_exponent(self):
        assert parse("1e" + "0" * 3000 + "3").expr.value == 1000

    def test_too_many_digits_is_refused(self):
        e = error("1" * 5000)
        assert e.position == 0 and "too many digits" in e.message


class TestStringsAndTransposes:
    def test_string_argument(self):
        assert p("norm(X, 'fro')") == "(call norm X 'fro')"
        assert p("norm(X,'fro')") == "(call norm X 'fro')"
        assert p('norm(X, "fro")') == "(call norm X 'fro')"
        assert p("f('a', 'b')") == "(call f 'a' 'b')"
        assert p("f(\"it's\")") == "(call f 'it's')"

    def test_string_node(self):
        call = parse("norm(X, 'fro')").expr
        assert call.args[1] == String("fro", Span(8, 13))

    def test_transpose_after_operands(self):
        assert p("x'*y") == "(* (' x) y)"
        assert p("x' * y") == "(* (' x) y)"
        assert p("(a)'") == "(' a)"
        assert p("x''") == "(' (' x))"
        assert p("(a+b)''") == "(' (' (+ a b)))"
        assert p("2'") == "(' 2)"
        assert p("f(x)'") == "(' (call f x))"
        assert p("x '") == "(' x)"

    def test_dot_t_transpose(self):
        assert p("X.T") == "(' X)"
        assert p("(A*B).T") == "(' (* A B))"
        assert p("x.T'") == "(' (' x))"
        assert p("x'.T") == "(' (' x))"
        assert p("X.T*Y") == "(* (' X) Y)"
        assert p("X.T.T") == "(' (' X))"
        assert p("X.'") == "(' X)"
        assert kinds("x.T") == [("name", "x"), ("transpose", ".T")]
        assert kinds("x.T'") == [("name", "x"), ("transpose", ".T"), ("transpose", "'")]

    def test_dot_t_followed_by_name_char_is_not_a_transpose(self):
        for text in ("x.Tx", "x.T2", "x.T_"):
            e = error(text)
            assert e.position == 1 and e.message.startswith("unexpected character '.'")

    def test_quote_after_operator_opens_string(self):
        assert kinds("f(x, 'a')") == [("name", "f"), ("(", "("), ("name", "x"), (",", ","),
                                       ("string", "'a'"), (")", ")")]
        assert kinds("x+'a'")[2] == ("string", "'a'")
        assert kinds("('a')")[1] == ("string", "'a'")

    def test_transpose_spans(self):
        node = parse("(A*B).T").expr
        assert node.span == Span(0, 7) and node.op_span == Span(5, 7)
        node = parse("x'").expr
        assert node.span == Span(0, 2) and node.op_span == Span(1, 2)

    def test_stray_string_is_an_error(self):
        e = error("'fro' + x")
        assert e.position == 0
        assert "a string can only be a function argument" in e.message
        e = error("x + 'fro'")
        assert e.position == 4
        assert "a string can only be a function argument" in e.message
        e = error("norm(X, 'fro' + 1)")
        assert e.position == 8
        assert "a string can only be a function argument" in e.message
        e = error("f(('fro'))")
        assert e.position == 3
        assert "a string can only be a function argument" in e.message

    def test_string_after_operand(self):
        e = error('x "fro"')
        assert e.position == 2
        assert e.message == """expected an operator between 'x' and '"fro"'"""

    @pytest.mark.parametrize("text, position", [
        ("norm(X, 'fro)", 8),
        ('norm(X, "fro)', 8),
        ("x + '", 4),
        ("'", 0),
        ('"', 0),
    ])
    def test_unterminated_string(self, text, position):
        e = error(text)
        assert e.position == position
        assert e.message.startswith("unterminated string")


class TestOperatorTokens:
    def test_all_operators(self):
        assert [t for _, t in kinds("a+b-c*d@e.*f./g/h^i.^j")[1::2]] == [
            "+", "-", "*", "@", ".*", "./", "/", "^", ".^"]

    @pytest.mark.parametrize("symbol", ["∘", "⊙"])
    def test_hadamard_symbols_are_normalised(self, symbol):
        node = parse(f"A{symbol}B").expr
        assert sexpr(node) == "(.* A B)"
        assert node.op_span == Span(1, 2)
        assert p(f"A {symbol} B*C") == "(* (.* A B) C)"

    def test_at_is_a_product(self):
        assert p("A@B") == "(@ A B)"
        assert p("A@B*C + D") == "(+ (* (@ A B) C) D)"

    def test_whitespace(self):
        assert p("  x\t+\n y  ") == "(+ x y)"

    @pytest.mark.parametrize("char", ["$", "#", "!", "=", "[", "{", "%", "&", "\\", "\x00",
                                      "²", "٣", "€"])
    def test_unexpected_character(self, char):
        e = error(f"x + {char}")
        assert e.position == 4
        assert e.message == f"unexpected character {char!r}"


# ---------------------------------------------------------------------------------------
# Precedence and associativity
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    # level 4 and 5: left-associative, products before sums
    ("2/N * X", "(* (/ 2 N) X)"),
    ("a*b*c", "(* (* a b) c)"),
    ("a-b-c", "(- (- a b) c)"),
    ("a-b+c", "(+ (- a b) c)"),
    ("a+b*c", "(+ a (* b c))"),
    ("a*b+c", "(+ (* a b) c)"),
    ("a/b/c", "(/ (/ a b) c)"),
    ("A.*B./C", "(./ (.* A B) C)"),
    ("A*B.*C", "(.* (* A B) C)"),
    ("1/N * norm(X*W - Y, 'fro')^2",
     "(* (/ 1 N) (^ (call norm (- (* X W) Y) 'fro') 2))"),
    # level 2: power, right-associative
    ("a^b^c", "(^ a (^ b c))"),
    ("a.^b.^c", "(.^ a (.^ b c))"),
    ("a^b.^c", "(^ a (.^ b c))"),
    ("a*b^c", "(* a (^ b c))"),
    ("a^b*c", "(* (^ a b) c)"),
    ("W.^2", "(.^ W 2)"),
    # exponent signs
    ("x^-2", "(^ x (- 2))"),
    ("x^+2", "(^ x (+ 2))"),
    ("x^-y^2", "(^ x (- (^ y 2)))"),
    ("x^--2", "(^ x (- (- 2)))"),
    ("2^-1*4", "(* (^ 2 (- 1)) 4)"),
    ("X^-1", "(^ X (- 1))"),
    ("X^(-1)", "(^ X (- 1))"),
    # level 3: unary signs, looser than power
    ("-x^2", "(- (^ x 2))"),
    ("-x", "(- x)"),
    ("+x", "(+ x)"),
    ("--x", "(- (- x))"),
    ("-+x", "(- (+ x))"),
    ("-a*b", "(* (- a) b)"),
    ("-a+b", "(+ (- a) b)"),
    ("a*-b", "(* a (- b))"),
    ("a*-b^2", "(* a (- (^ b 2)))"),
    ("a+-b^2*c", "(+ a (* (- (^ b 2)) c))"),
    ("a - -b", "(- a (- b))"),
    ("-2/N*X", "(* (/ (- 2) N) X)"),
    # level 1: transposes and calls
    ("x'^2", "(^ (' x) 2)"),
    ("2^x'", "(^ 2 (' x))"),
    ("-x'", "(- (' x))"),
    ("x'*A*x", "(* (* (' x) A) x)"),
    ("f(x)^2", "(^ (call f x) 2)"),
    ("f(x)'*g(y)", "(* (' (call f x)) (call g y))"),
    # parentheses group
    ("(a+b)*c", "(* (+ a b) c)"),
    ("a-(b-c)", "(- a (- b c))"),
    ("(a^b)^c", "(^ (^ a b) c)"),
    ("(-x)^2", "(^ (- x) 2)"),
    ("((x))", "x"),
    # calls
    ("f()", "(call f)"),
    ("f (x)", "(call f x)"),
    ("f(x, y, z)", "(call f x y z)"),
    ("f(g(x), h(y, 2))", "(call f (call g x) (call h y 2))"),
    ("eye", "eye"),
    ("eye(n)", "(call eye n)"),
    ("vector(1)", "(call vector 1)"),
    ("matrix(1)", "(call matrix 1)"),
    ("ones(m, n)", "(call ones m n)"),
    ("sum(log(1 + exp(-y.*(X*w))))",
     "(call sum (call log (+ 1 (call exp (.* (- y) (* X w))))))"),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)",
     "(+ (* (/ 1 2) (^ (call norm (.* P (- M (* U (' V)))) 'fro') 2)) "
     "(* (/ lambda 2) (+ (^ (call norm U 'fro') 2) (^ (call norm V 'fro') 2))))"),
])
def test_precedence(text, expected):
    assert p(text) == expected


# ---------------------------------------------------------------------------------------
# Spans
# ---------------------------------------------------------------------------------------


class TestSpans:
    def test_binary_span_and_operator(self):
        node = parse("a + b*c").expr
        assert node.span == Span(0, 7) and node.op_span == Span(2, 3)
        assert node.right.span == Span(4, 7) and node.right.op_span == Span(5, 6)

    def test_dot_operator_span(self):
        node = parse("A .* B").expr
        assert node.op_span == Span(2, 4)

    def test_call_spans(self):
        node = parse("x + norm(X, 'fro')").expr.right
        assert node.span == Span(4, 18) and node.func_span == Span(4, 8)

    def test_unary_span(self):
        node = parse("a * -b").expr.right
        assert isinstance(node, Unary) and node.span == Span(4, 6)

    def test_parentheses_widen_the_inner_span(self):
        text = "2*(a + b)"
        node = parse(text).expr.right
        assert node.span == Span(2, 9) and text[2:9] == "(a + b)"
        assert node.op_span == Span(5, 6)
        assert parse("((x))").expr == Name("x", Span(0, 5))

    def test_unicode_positions_are_code_points(self):
        node = parse("λ∘Σ + 𝑥").expr  # 𝑥 is outside the BMP, still one code point
        assert node.op_span == Span(4, 5)
        assert node.left.op_span == Span(1, 2)
        assert node.right == Name("𝑥", Span(6, 7))
        assert error("λ + $").position == 4
        assert error("𝑥 + $").position == 4

    @pytest.mark.parametrize("text", [
        "x'*A*x", "1/N * norm(X*W - Y, 'fro')^2", "-x^2 + (a+b)'*c", "a*-b^2",
        "x^-y^2", "f(g(x), (h))''", "2.*x.^2.'", "(((a)))*((b))",
    ])
    def test_every_span_reparses_to_its_node(self, text):
        check_spans(text, parse(text).expr)


def check_spans(text: str, root) -> None:
    """Every node's span is a well-formed expression giving back the same tree."""
    for node in walk(root):
        if isinstance(node, String):
            assert text[node.span.start:node.span.end][1:-1] == node.value
            continue
        piece = text[node.span.start:node.span.end]
        assert sexpr(parse(piece).expr) == sexpr(node), piece


# ---------------------------------------------------------------------------------------
# Where clauses and declarations
# ---------------------------------------------------------------------------------------


def decls(text: str) -> list[tuple]:
    """Declarations without spans: (names, kind, symmetric, dims)."""
    return [(tuple(n for n, _ in d.names), d.kind, d.symmetric, tuple(v for v, _ in d.dims))
            for d in parse(text).declarations]


class TestWhere:
    def test_no_where_clause(self):
        assert parse("x'*A*x") == Parsed(parse("x'*A*x").expr, (), "x'*A*x")

    def test_simple(self):
        assert decls("x'*A*x where A: symmetric matrix, x: vector") == [
            (("A",), "matrix", True, ()), (("x",), "vector", False, ())]

    def test_shared_kind(self):
        assert decls("X*Y*N where X, Y: matrix, N: scalar") == [
            (("X", "Y"), "matrix", False, ()), (("N",), "scalar", False, ())]

    def test_dimensions(self):
        text = "norm(X*W - Y, 'fro')^2 / N where X: matrix(N, d), W: matrix(d, c), N: scalar"
        assert decls(text) == [(("X",), "matrix", False, ("N", "d")),
                               (("W",), "matrix", False, ("d", "c")),
                               (("N",), "scalar", False, ())]
        assert sexpr(parse(text).expr) == (
            "(/ (^ (call norm (- (* X W) Y) 'fro') 2) N)")

    @pytest.mark.parametrize("kind, expected", [
        ("scalar", ("scalar", False, ())),
        ("vector", ("vector", False, ())),
        ("vector(n)", ("vector", False, ("n",))),
        ("vector(3)", ("vector", False, (3,))),
        ("matrix", ("matrix", False, ())),
        ("matrix(m, n)", ("matrix", False, ("m", "n"))),
        ("matrix(2,3)", ("matrix", False, (2, 3))),
        ("symmetric matrix", ("matrix", True, ())),
        ("symmetric matrix(n)", ("matrix", True, ("n",))),
        ("mask", ("mask", False, ())),
        ("mask(m, n)", ("mask", False, ("m", "n"))),
        ("matrix (m, n)", ("matrix", False, ("m", "n"))),
    ])
    def test_all_kinds(self, kind, expected):
        assert decls(f"A where A: {kind}") == [(("A",), *expected)]

    def test_integer_dimensions_are_ints(self):
        (declaration,) = parse("A where A: matrix(2, n)").declarations
        assert declaration.dims[0] == (2, Span(18, 19))
        assert isinstance(declaration.dims[0][0], int)

    def test_semicolon_separator(self):
        assert decls("x where A: matrix; x: vector, y: vector") == [
            (("A",), "matrix", False, ()), (("x",), "vector", False, ()),
            (("y",), "vector", False, ())]

    def test_spans(self):
        text = "x where X, Y: matrix(n, d), N: scalar"
        first, second = parse(text).declarations
        assert first.names == (("X", Span(8, 9)), ("Y", Span(11, 12)))
        assert first.dims == (("n", Span(21, 22)), ("d", Span(24, 25)))
        assert text[first.span.start:first.span.end] == "X, Y: matrix(n, d)"
        assert text[second.span.start:second.span.end] == "N: scalar"

    def test_where_with_unicode_names(self):
        assert decls("λ*x where λ: scalar, x: vector(n)") == [
            (("λ",), "scalar", False, ()), (("x",), "vector", False, ("n",))]

    def test_parsed_keeps_text(self):
        text = "x where x: vector"
        assert parse(text).text == text

    def test_where_prefix_names_are_names(self):
        assert p("wherever + where_") == "(+ wherever where_)"


class TestParseDeclarations:
    def test_basic(self):
        assert parse_declarations("A: symmetric matrix") == (
            Declaration((("A", Span(0, 1)),), "matrix", True, (), Span(0, 19)),)

    def test_several(self):
        result = parse_declarations("X, Y: matrix(n, n); N: scalar, v: vector(3)")
        assert [(d.kind, [n for n, _ in d.names]) for d in result] == [
            ("matrix", ["X", "Y"]), ("scalar", ["N"]), ("vector", ["v"])]
        assert result[2].dims == ((3, Span(41, 42)),)

    def test_positions_are_in_the_given_text(self):
        e = error("A: matrx", parse_declarations)
        assert e.position == 3
        assert e.message == ("unknown kind 'matrx' (expected scalar, vector, matrix, "
                             "symmetric matrix or mask)")

    @pytest.mark.parametrize("text, position, message", [
        ("", 0, "expected a name to declare, found end of input"),
        ("   ", 3, "expected a name to declare, found end of input"),
        ("where A: matrix", 0, "expected a name to declare, found the keyword 'where'"),
        ("A: matrix x", 10, "expected ',' or ';' between declarations, or end of input, "
                            "found 'x'"),
        ("A B: matrix", 2, "expected ',' or ':' after 'A' (as in 'A: matrix'), found 'B'"),
        ("A: matrix )", 10, "expected ',' or ';' between declarations, or end of input, "
                            "found ')'"),
        ("A: matrix,", 10, "expected a name to declare after ',', found end of input"),
        ("x + y", 2, "expected ',' or ':' after 'x' (as in 'x: matrix'), found '+'"),
    ])
    def test_errors(self, text, position, message):
        e = error(text, parse_declarations)
        assert (e.position, e.message) == (position, message)


class TestWhereErrors:
    @pytest.mark.parametrize("text, position, message", [
        ("x where", 7, "expected a name to declare after 'where', found end of input"),
        ("x where A", 9, "expected ',' or ':' after 'A' (as in 'A: matrix'), found end of "
                         "input"),
        ("x where A matrix", 10, "expected ',' or ':' after 'A' (as in 'A: matrix'), found "
                                 "'matrix'"),
        ("x where A:", 10, "expected a kind (scalar, vector, matrix, symmetric matrix or "
                           "mask) after ':', found end of input"),
        ("x where A: 3", 11, "expected a kind (scalar, vector, matrix, symmetric matrix or "
                             "mask) after ':', found '3'"),
        ("x where A: matrx", 11, "unknown kind 'matrx' (expected scalar, vector, matrix, "
                                 "symmetric matrix or mask)"),
        ("x where A: Matrix", 11, "unknown kind 'Matrix' (expected scalar, vector, matrix, "
                                  "symmetric matrix or mask)"),
        ("x where A: symmetric", 20, "expected 'matrix' after 'symmetric', found end of "
                                     "input"),
        ("x where A: symmetric vector", 21, "'symmetric' only applies to a matrix, not to a "
                                            "vector"),
        ("x where A: symmetric mask", 21, "'symmetric' only applies to a matrix, not to a "
                                          "mask"),
        ("x where A: scalar(n)", 17, "a scalar takes no dimensions"),
        ("x where A: vector(n, m)", 21, "a vector takes 1 dimension, as in vector(n)"),
        ("x where A: matrix(n)", 19, "a matrix takes 2 dimensions, as in matrix(m, n)"),
        ("x where A: matrix(m, n, k)", 24, "a matrix takes 2 dimensions, as in matrix(m, n)"),
        ("x where A: mask(m)", 17, "a mask takes 2 dimensions, as in mask(m, n)"),
        ("x where A: symmetric matrix(n, n)", 31,
         "a symmetric matrix takes 1 dimension, as in symmetric matrix(n)"),
        ("x where A: matrix()", 18, "expected a dimension (a name or a positive integer), "
                                    "found ')'"),
        ("x where A: matrix(0, n)", 18, "a dimension must be positive, found '0'"),
        ("x where A: matrix(-1, n)", 18, "a dimension must be a positive integer or a name, "
                                         "found '-'"),
        ("x where A: matrix(2.5, n)", 18, "expected a dimension (a name or a positive "
                                          "integer), found '2.5'"),
        ("x where A: matrix(1e3, n)", 18, "expected a dimension (a name or a positive "
                                          "integer), found '1e3'"),
        ("x where A: matrix(m, n", 22, "expected ',' or ')' to close '(' at 17, found end "
                                       "of input"),
        ("x where A: matrix B: matrix", 18, "expected ',' or ';' between declarations, or "
                                            "end of input, found 'B'"),
        ("x where A: matrix(m n)", 20, "expected ',' or ')' to close '(' at 17, found 'n'"),
        ("x where A: matrix,", 18, "expected a name to declare after ',', found end of "
                                   "input"),
        ("x where A: matrix where B: matrix", 18,
         "expected ',' or ';' between declarations, or end of input, found 'where'"),
        ("x where where: matrix", 8, "expected a name to declare after 'where', found the "
                                     "keyword 'where'"),
        ("x where x: vector, x: matrix", 19, "'x' is declared twice (first at 8)"),
        ("x where x, x: vector", 11, "'x' is declared twice (first at 8)"),
        ("x where 2: matrix", 8, "expected a name to declare after 'where', found '2'"),
    ])
    def test_errors(self, text, position, message):
        e = error(text)
        assert (e.message, e.position) == (message, position)


# ---------------------------------------------------------------------------------------
# Errors in expressions
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, position, message", [
    ("", 0, "expected an expression, found end of input"),
    ("   ", 3, "expected an expression, found end of input"),
    ("x +", 3, "expected an operand after '+', found end of input"),
    ("x * ", 4, "expected an operand after '*', found end of input"),
    ("x^", 2, "expected an operand after '^', found end of input"),
    ("-", 1, "expected an operand after '-', found end of input"),
    ("* x", 0, "expected an expression, found '*'"),
    ("x ** 2", 3, "expected an operand after '*', found '*' (write a power with ^, as in "
                  "x^2)"),
    ("x + * y", 4, "expected an operand after '+', found '*'"),
    ("(x", 2, "expected ')' to close '(' at 0, found end of input"),
    ("((x)", 4, "expected ')' to close '(' at 0, found end of input"),
    ("2*(x + (y)", 10, "expected ')' to close '(' at 2, found end of input"),
    ("(x,y)", 2, "expected ')' to close '(' at 0, found ','"),
    ("()", 1, "expected an operand after '(', found ')'"),
    ("x)", 1, "unexpected ')' without a matching '('"),
    ("(x))", 3, "unexpected ')' without a matching '('"),
    (")", 0, "expected an expression, found ')'"),
    ("f(x", 3, "expected ',' or ')' to close '(' at 1, found end of input"),
    ("f(", 2, "expected an operand after '(', found end of input"),
    ("f(x,)", 4, "expected an operand after ',', found ')'"),
    ("f(,x)", 2, "expected an operand after '(', found ','"),
    ("f(x y)", 4, "expected an operator between 'x' and 'y'"),
    ("x y", 2, "expected an operator between 'x' and 'y'"),
    ("2 3", 2, "expected an operator between '2' and '3'"),
    ("2(x)", 1, "expected an operator between '2' and '('"),
    ("(a)(b)", 3, "expected an operator between ')' and '('"),
    ("x'(y)", 2, "expected an operator between \"'\" and '('"),
    ("f(x)(y)", 4, "expected an operator between ')' and '('"),
    ("x.5", 1, "expected an operator between 'x' and '.5'"),
    ("2..5", 2, "expected an operator between '2.' and '.5'"),
    ("x, y", 1, "expected an operator, 'where' or end of input, found ','"),
    ("x; y", 1, "expected an operator, 'where' or end of input, found ';'"),
    ("x: vector", 1, "unexpected ':' (declarations go after 'where', as in 'x where x: "
                     "vector')"),
    ("where x: vector", 0, "expected an expression before 'where'"),
    ("x + where", 4, "expected an operand after '+', found the keyword 'where'"),
    ("where + x", 0, "expected an expression before 'where'"),
    ("(x where x: vector)", 3, "expected ')' to close '(' at 0, found 'where'"),
    ("f(where)", 2, "expected an operand after '(', found the keyword 'where'"),
    ("'fro'", 0, "a string can only be a function argument (as in norm(X, 'fro'))"),
    ("norm(X, 'fro' 'x')", 8, "a string can only be a function argument on its own, not "
                              "part of an expression"),
    ("x $ y", 2, "unexpected character '$'"),
    (".x", 0, "unexpected character '.' (expected '.*', './', '.^', '.T' or a number such "
              "as .5)"),
    ("x.", 1, "unexpected character '.' (expected '.*', './', '.^', '.T' or a number such "
              "as .5)"),
    (".T", 0, "expected an expression, found '.T'"),
    ("x + '", 4, "unterminated string: no closing ' for the one at 4"),
    ("x'' + 'a", 6, "unterminated string: no closing ' for the one at 6"),
])
def test_expression_errors(text, position, message):
    e = error(text)
    assert (e.message, e.position) == (message, position)
    assert e.kind == "syntax"
    assert e.text == text  # attached, so the caret display works


def test_caret_display():
    e = error("(x + y")
    assert e.caret() == ("error: expected ')' to close '(' at 0, found end of input\n"
                         "  (x + y\n"
                         "        ^")


# ---------------------------------------------------------------------------------------
# Deep nesting
# ---------------------------------------------------------------------------------------


class TestDepth:
    @pytest.mark.parametrize("text", [
        "(" * 5000 + "x" + ")" * 5000,
        "-" * 5000 + "x",
        "+-" * 2500 + "x",
        "x" + "^x" * 5000,
        "x^" + "-" * 5000 + "x",
        "f(" * 5000 + "x" + ")" * 5000,
        "(" * 5000,
        "(-" * 3000 + "x",
    ], ids=lambda text: f"{text[:8]}...{len(text)}")
    def test_too_deep_is_a_syntax_error(self, text):
        e = error(text)
        assert e.message == f"expression nested too deeply (more than {MAX_DEPTH} levels)"
        assert 0 <= e.position <= len(text)

    @pytest.mark.parametrize("text", [
        "x" + "+x" * 5000,
        "x" + "'" * 5000,
        "x" + ".T" * 5000,
    ], ids=lambda text: f"{text[:8]}...{len(text)}")
    def test_too_long_chain_is_a_syntax_error(self, text):
        e = error(text)
        assert e.message.startswith(
            f"expression too long: its tree is deeper than {MAX_TREE_DEPTH}")
        assert 0 <= e.position <= len(text)

    def test_long_chain_allowed(self):
        parse("x" + "+x" * (MAX_TREE_DEPTH - 1))

    @pytest.mark.parametrize("text", [
        "(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1),
        "-" * (MAX_DEPTH - 1) + "x",
        "f(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1),
        "x" + "^x" * (MAX_DEPTH - 1),
        "x" + "+x" * (MAX_DEPTH - 1),
        "x" + "'" * (MAX_DEPTH - 1),
    ], ids=lambda text: f"{text[:8]}...{len(text)}")
    def test_deep_but_allowed(self, text):
        parse(text)

    def test_allowed_nesting_fits_a_small_stack(self):
        """The deepest accepted input needs well under Python's default 1000 frames."""
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(800)
        try:
            parse("(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
            parse("f(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
        finally:
            sys.setrecursionlimit(limit)

    def test_stack_overflow_becomes_syntax_error(self):
        """Even a caller that is already deep in the stack gets a syntax error."""

        def deep(n):
            return deep(n - 1) if n else parse("(" * 150 + "x" + ")" * 150)

        with pytest.raises(MatdiffSyntaxError) as info:
            deep(sys.getrecursionlimit() - 300)
        assert "nested too deeply" in info.value.message

    def test_long_input_is_fast(self):
        terms = [f"f(x{i}, 'fro')*y'" for i in range(MAX_DEPTH // 2)]
        parsed = parse(" + ".join(terms))
        assert sexpr(parsed.expr.right) == f"(* (call f x{len(terms) - 1} 'fro') (' y))"
        e = error("x + " * (MAX_DEPTH * 10) + "$")
        assert e.message == "unexpected character '$'"


# ---------------------------------------------------------------------------------------
# Property-based tests
# ---------------------------------------------------------------------------------------

LANGUAGE_CHARS = list("xyAB λΣ_02.5eET'\"()+-*/^@,:;∘⊙\t") + ["where", "matrix", "symmetric"]
FRAGMENTS = ["x", "A", "λ", "f", "norm", "2", ".5", "2.", "1e-3", "(", ")", "'", ".T", ".'",
             "+", "-", "*", "/", "@", ".*", "./", "^", ".^", "∘", ",", " ", "'fro'", '"fro"',
             " where ", "x: vector", "A: symmetric matrix", "(n, m)", ";", ":"]


def check_outcome(text: str) -> Parsed | None:
    """Parsing gives a tree or a well-positioned syntax error, never anything else."""
    try:
        parsed = parse(text)
    except MatdiffSyntaxError as e:
        assert isinstance(e.position, int) and 0 <= e.position <= len(text)
        assert e.message
        return None
    assert isinstance(parsed, Parsed) and parsed.text == text
    return parsed


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(LANGUAGE_CHARS), st.characters()), max_size=60)
       .map("".join))
def test_random_text_only_raises_syntax_errors(text):
    check_outcome(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_random_fragments_parse_with_consistent_spans(text):
    parsed = check_outcome(text)
    if parsed is not None:
        check_spans(text, parsed.expr)


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_random_declarations_only_raise_syntax_errors(text):
    try:
        parse_declarations(text)
    except MatdiffSyntaxError as e:
        assert 0 <= e.position <= len(text)


# Random trees, printed fully parenthesised, parse back to themselves.

NUMBER_TEXTS = ["2", "0.5", ".5", "2.", "1e-3", "1E+3", "10"]
names = st.sampled_from(["x", "y", "A", "W", "λ", "Σ", "x_1", "rho2", "eye"])


@st.composite
def trees(draw, depth=0):
    """(source text, expected s-expression) of a random expression."""
    choice = draw(st.integers(0, 6 if depth < 4 else 1))
    if choice == 0:
        name = draw(names)
        return name, name
    if choice == 1:
        number = draw(st.sampled_from(NUMBER_TEXTS))
        return number, number
    if choice == 2:
        op = draw(st.sampled_from(["-", "+"]))
        text, tree = draw(trees(depth + 1))
        return f"({op}{text})", f"({op} {tree})"
    if choice == 3:
        op = draw(st.sampled_from(["+", "-", "*", "@", ".*", "./", "/", "^", ".^"]))
        left_text, left = draw(trees(depth + 1))
        right_text, right = draw(trees(depth + 1))
        space = draw(st.sampled_from([" ", "  "]))
        return f"({left_text}{space}{op} {right_text})", f"({op} {left} {right})"
    if choice == 4:
        text, tree = draw(trees(depth + 1))
        mark = draw(st.sampled_from(["'", ".T", ".'"]))
        return f"({text}){mark}", f"(' {tree})"
    if choice == 5:
        func = draw(st.sampled_from(["f", "norm", "tr", "σ"]))
        args = draw(st.lists(st.one_of(trees(depth + 1),
                                       st.sampled_from([("'fro'", "'fro'"),
                                                        ('"x"', "'x'")])), max_size=3))
        text = f"{func}(" + ", ".join(a for a, _ in args) + ")"
        return text, "(call " + " ".join([func, *(t for _, t in args)]) + ")"
    text, tree = draw(trees(depth + 1))
    return f"({text})", tree


@settings(max_examples=300)
@given(trees())
def test_printed_trees_parse_back(case):
    text, expected = case
    parsed = parse(text)
    assert sexpr(parsed.expr) == expected
    check_spans(text, parsed.expr)
