"""The plain language's index forms, read by the one parser (matdiff.parse with
index_forms): sum(j, E), sum(i, j, E), sum((i, j) in Omega, E), x[i], M[i, j], W[:, j],
W[i, :]; their trees and spans, their errors and positions, and what parse_plain makes
of them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matdiff
from matdiff import api
from matdiff.errors import MatdiffError, MatdiffSyntaxError
from matdiff.index_notation.resolve import parse_plain
from matdiff.lex import tokenize
from matdiff.parse import parse
from matdiff.syntax import Binary, Call, IndexSum, Name, Parsed, Slice, Span, Transpose, walk


def indexed(text: str) -> Parsed:
    return parse(text, index_forms=True)


def syntax_error(text: str) -> MatdiffSyntaxError:
    with pytest.raises(MatdiffSyntaxError) as info:
        parse_plain(text)
    e = info.value
    assert e.text == text
    return e


# -- trees and spans -----------------------------------------------------------------------


def test_index_sum_and_slice_nodes():
    expr = indexed("sum(j, norm(W[:, j])^2)").expr
    assert isinstance(expr, IndexSum)
    assert expr.indices == ("j",) and expr.domain is None
    assert expr.span == Span(0, 23) and expr.source == "sum(j, norm(W[:, j])^2)"
    column = next(n for n in walk(expr) if isinstance(n, Slice))
    assert (column.base, column.kind, column.indices) == ("W", "col", ("j",))
    assert column.span == Span(12, 19) and column.text == "W[:, j]"


@pytest.mark.parametrize("text, kind, indices", [
    ("x[i]", "entry", ("i",)),
    ("M[i, j]", "entry", ("i", "j")),
    ("W[:, j]", "col", ("j",)),
    ("W[i, :]", "row", ("i",)),
    ("W[ i , : ]", "row", ("i",)),
    ("x [i]", "entry", ("i",)),
])
def test_slices(text, kind, indices):
    names = sorted(set(indices))
    expr = indexed(f"sum({', '.join(names)}, {text})").expr
    assert isinstance(expr, IndexSum)
    assert isinstance(expr.body, Slice)
    assert (expr.body.kind, expr.body.indices, expr.body.text) == (kind, indices, text)


def test_several_indices_and_nested_sums_are_one_sum():
    for text in ("sum(i, j, M[i, j])", "sum(i, sum(j, M[i, j]))", "sum(i,  sum(j, M[i,j]) )"):
        expr = indexed(text).expr
        assert isinstance(expr, IndexSum) and expr.indices == ("i", "j"), text
        assert expr.source == text.rstrip()[:len(expr.source)]


def test_a_bracketed_or_scaled_inner_sum_stays_a_sum_of_its_own():
    for text in ("sum(i, (sum(j, M[i, j])))", "sum(i, 2*sum(j, M[i, j]))"):
        expr = indexed(text).expr
        assert isinstance(expr, IndexSum) and expr.indices == ("i",), text


def test_sum_over_the_entries_of_a_mask():
    expr = indexed("sum((i, j) in Omega, M[i, j])").expr
    assert isinstance(expr, IndexSum)
    assert expr.indices == ("i", "j")
    assert expr.domain == Name("Omega", Span(14, 19))


def test_primed_indices():
    expr = indexed("sum(j', W[:, j'])").expr
    assert isinstance(expr, IndexSum) and expr.indices == ("j'",)
    assert isinstance(expr.body, Slice) and expr.body.indices == ("j'",)


def test_parentheses_keep_the_span_of_a_sum_and_of_a_slice():
    expr = indexed("(sum(i, (x[i])))'").expr
    assert isinstance(expr, Transpose)
    assert isinstance(expr.operand, IndexSum) and expr.operand.span == Span(1, 15)
    assert expr.operand.body.span == Span(9, 13)


def test_transposes_and_operators_after_index_forms():
    expr = indexed("sum(i, x[i]'*y[i]) + 1").expr
    assert isinstance(expr, Binary) and isinstance(expr.left, IndexSum)
    product = expr.left.body
    assert isinstance(product, Binary) and isinstance(product.left, Transpose)


def test_sum_of_entries_stays_the_ordinary_call():
    for text in ("sum(X)", "sum(2*X, 1)", "sum(1, x)", "sum((x+y), 1)"):
        expr = indexed(text).expr
        assert isinstance(expr, Call) and expr.func == "sum", text
    assert parse_plain("sum(X)") == matdiff.parse("sum(X)")


def test_sum_of_a_name_and_more_is_an_index_sum():
    # sum(X, 1) and sum(X, 2) are the sums down the columns and along the rows (a number
    # second is a dimension); any other second argument makes X an index, here unused
    assert api.compile_program("sum(X, 1)").expr.shape == (1, "m")
    assert api.compile_program("sum(X, 2)").expr.shape == ("n", 1)
    e = syntax_error("sum(X, y)")
    assert (e.position, e.message) == (4, "the index X is not used in the summand")
    with pytest.raises(MatdiffError, match="the dimension of 'sum' is 1"):
        api.compile_program("sum(X, 3)")
    assert api.compile_program("sum(2*X, 1)").expr.shape == (1, "m")  # the ordinary call
    with pytest.raises(MatdiffError) as info:
        api.compile_program("sum(2*X, 3)")
    assert (info.value.position, info.value.message) == (
        9, "the dimension of 'sum' is 1 (down the columns) or 2 (along the rows), written as "
        "the number")


SELECTION_ONLY = ("'[' selects at whole-number positions from 1: v[2], M[1, 2], M[:, 1] or "
                  "M[1, :] (index names such as M[i, j] only inside sum(i, ...))")


def test_parse_alone_refuses_the_index_forms():
    with pytest.raises(MatdiffSyntaxError) as info:
        parse("sum(j, W[:, j])")
    assert (info.value.position, info.value.message) == (8, SELECTION_ONLY)
    expr = parse("sum(j, x)").expr
    assert isinstance(expr, Call) and len(expr.args) == 2


def test_brackets_are_tokens_only_where_indexing_can_be():
    tokens = tokenize("W[:, j] where W: matrix", index_forms=True)
    assert [t.kind for t in tokens[:6]] == ["name", "[", ":", ",", "name", "]"]
    for text, position in [("x + [", 4), ("(x)[i]", 3), ("x[y[i]]", 1), ("x[i]]", 4),
                           ("x[i", 1), ("λ[i]", 1), ("2x[i]", 2),
                           ("sum(i, x[i]) where x[i]: vector", 20),
                           ("sum(i, x[i where x: vector])", 8)]:
        with pytest.raises(MatdiffSyntaxError) as info:
            tokenize(text, index_forms=True)
        assert info.value.position == position, text
        # after an operand that cannot be indexed, '[' can only be a selection
        expected = SELECTION_ONLY if text in ("(x)[i]", "λ[i]", "2x[i]") else \
            f"unexpected character {text[position]!r}"
        assert info.value.message == expected, text


# -- errors and their positions ------------------------------------------------------------


@pytest.mark.parametrize("text, position, message", [
    # a summand's errors read as if the summand were the whole text
    ("sum(i, x[i] +)", 13, "expected an operand after '+', found end of input"),
    ("sum(i, * x[i])", 7, "expected an expression, found '*'"),
    ("sum(i, 'a')", 7, "a string can only be a function argument (as in norm(X, 'fro'))"),
    ("sum(i, x[i] y)", 12, "expected an operator between ']' and 'y'"),
    ("sum(i, x[i]) y", 13, "expected an operator between ')' and 'y'"),
    ("sum(i, x[i]:)", 11,
     "unexpected ':' (declarations go after 'where', as in 'x where x: vector')"),
    # inside a nested index sum
    ("sum(i, sum(j, M[i, k]))", 19, "index k is not bound by an enclosing sum(k, ...)"),
    ("sum(i, x[i]*sum(j, M[i, j] -))", 28, "expected an operand after '-', found end of input"),
    ("sum(i, sum(i, x[i]))", 11, "index i is already bound by an enclosing sum"),
    ("sum(i, sum(j, i*M[i, j]))", 14, "the index i can only be used to index (as in W[:, i])"),
    ("sum(i, j, sum(k, x[i]))", 14, "the index k is not used in the summand"),
    # slices with bad indices
    ("sum(i, x[i+1])", 9, "expected an index name or ':' inside [ ], found 'i+1'"),
    ("sum(i, x[])", 9, "expected an index name or ':' inside [ ], found ''"),
    ("sum(i, x[f(i,j)])", 9, "expected an index name or ':' inside [ ], found 'f(i'"),
    ("sum(i, x[λ])", 9, "expected an index name or ':' inside [ ], found 'λ'"),
    ("sum(i, x[i '])", 9, "expected an index name or ':' inside [ ], found \"i '\""),
    ("sum(i, W[:, :])", 9, "expected x[i], M[i, j], W[:, j] or W[i, :]"),
    ("sum(i, W[:])", 9, "expected x[i], M[i, j], W[:, j] or W[i, :]"),
    ("sum(i, W[ :, i, i])", 9, "expected x[i], M[i, j], W[:, j] or W[i, :]"),
    ("sum(i,j, M[i,j,k])", 15, "index k is not bound by an enclosing sum(k, ...)"),
    ("sum(i, x[j])", 9, "index j is not bound by an enclosing sum(j, ...)"),
    ("x[i]", 2, "index i is not bound by an enclosing sum(i, ...)"),
    ("sum(x[i])", 6, "index i is not bound by an enclosing sum(i, ...)"),
    # the indices
    ("sum(i, i, x[i])", 4, "index i is already bound by an enclosing sum"),
    ("sum(i, 2, x[i])", 7, "expected an index name in sum(i, ..., EXPR), found '2'"),
    ("sum(i, , x)", 7, "expected an index name in sum(i, ..., EXPR), found ''"),
    ("sum(i,x[i],2)", 6, "expected an index name in sum(i, ..., EXPR), found 'x[i]'"),
    ("sum((i, j) in Omega, x, M[i,j])", 4,
     "expected an index name in sum(i, ..., EXPR), found '(i, j) in Omega'"),
    ("sum(i, )", 7, "expected the summand after the indices"),
    ("sum(j, x)", 4, "the index j is not used in the summand"),
    # parentheses
    ("sum(i, x[i]", 3, "unbalanced '(': no matching ')'"),
    ("sum(i, x[i] where x: vector)", 3, "unbalanced '(': no matching ')'"),
    ("sum((x+y)", 3, "unbalanced '(': no matching ')'"),
    ("sum(X + 1", 9, "expected ',' or ')' to close '(' at 3, found end of input"),
])
def test_errors(text, position, message):
    e = syntax_error(text)
    assert (e.position, e.message) == (position, message)
    assert e.caret().splitlines()[2] == "  " + " " * position + "^"


def test_no_placeholder_name_reaches_a_message():
    for text in ("sum(i, x[i] y)", "sum(i, x[i]) wher x: vector", "sum(k, A[:, k]) j"):
        assert "_q" not in syntax_error(text).message


@pytest.mark.parametrize("text", [
    "sum(i, " + "(" * 300 + "x[i]" + ")" * 300 + ")",
    "".join(f"sum(i{k}, " for k in range(250)) + "*".join(f"x[i{k}]" for k in range(250))
    + ")" * 250,
])
def test_deep_index_sums_are_refused_cleanly(text):
    e = syntax_error(text)
    assert e.message == "expression nested too deeply (more than 200 levels)"


# -- parse_plain -----------------------------------------------------------------------------


def test_parse_plain_reads_index_notation_as_matrix_form():
    parsed = parse_plain("sum(i, x[i]*y[i]) where x: vector")
    assert parsed.plain == "x'*y where x: vector"  # type: ignore[attr-defined]
    assert parsed.notes == ("read sum(i, x[i]*y[i]) as x'*y",)  # type: ignore[attr-defined]


def test_parse_plain_error_in_the_where_clause_points_into_the_text():
    text = "sum(i, x[i]) where x: vektor"
    e = syntax_error(text)
    assert e.position == text.index("vektor") and "unknown kind" in e.message


# -- random text ---------------------------------------------------------------------------

FRAGMENTS = ["sum(", "i", "j", "k'", ",", " ", "x", "[", "]", ":", "(", ")", "W", "M", "*",
             "+", "-", "^2", "'", ".T", " in ", "Omega", "norm(", "'fro'", "2", " where ",
             "x: vector", "λ", ".*", "/", ";"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join))
def test_random_index_text_gets_an_answer_or_a_positioned_error(text):
    try:
        parse_plain(text)
    except MatdiffError as e:
        assert e.message
        assert e.position is None or 0 <= e.position <= len(text)
