"""Types and shapes: declarations, then usage, then naming conventions."""

import pytest

from matdiff import MatdiffShapeError, MatdiffSyntaxError, MatdiffTypeError
from matdiff.api import compile_program, declarations_from
from matdiff.typecheck import convention


def types(expr, **decls):
    return compile_program(expr, declarations_from(**decls)).types


@pytest.mark.parametrize("name, kind", [
    ("alpha", "scalar"), ("lambda", "scalar"), ("λ", "scalar"), ("sigma2", "scalar"),
    ("x", "vector"), ("x_1", "vector"), ("y2", "vector"),
    ("X", "matrix"), ("Sigma", "matrix"), ("Σ", "matrix"), ("W_1", "matrix"),
    ("lr", "scalar"), ("rho_k", "scalar"),
])
def test_naming_conventions(name, kind):
    assert convention(name) == kind


def test_conventions_break_ties():
    assert types("x'*A*x") == {"x": "vector(n)", "A": "matrix(n, n)"}


def test_usage_beats_convention():
    # 1/N: N divides, so it is a scalar though it is uppercase
    assert types("1/N * norm(X*W - Y, 'fro')^2")["N"] == "scalar"
    # C/2 * sum(...) is a scalar function only if C is a scalar
    assert types("C/2 * sum(W.^2)") == {"C": "scalar", "W": "matrix(n, m)"}


def test_vector_function_keeps_conventions():
    assert types("A*x") == {"A": "matrix(n, m)", "x": "vector(m)"}
    assert types("alpha*X") == {"alpha": "scalar", "X": "matrix(n, m)"}


def test_declarations_win():
    t = types("norm(X*W - Y, 'fro')^2 / N where X: matrix(N, d), W: matrix(d, c), N: scalar")
    assert t == {"X": "matrix(N, d)", "W": "matrix(d, c)", "Y": "matrix(N, c)", "N": "scalar"}
    assert types("a*b", a="vector", b="scalar") == {"a": "vector(n)", "b": "scalar"}
    assert types("x'*A*x", A="symmetric matrix") == {"x": "vector(n)", "A": "symmetric matrix(n)"}


def test_shared_declaration_and_mask():
    t = types("sum(P.*(X - Y)) where X, Y: matrix, P: mask")
    assert t == {"P": "mask(n, m)", "X": "matrix(n, m)", "Y": "matrix(n, m)"}


def test_integer_sizes():
    assert types("x'*A*x where A: matrix(3, 3)") == {"x": "vector(3)", "A": "matrix(3, 3)"}


def test_unsized_constants_take_context():
    assert types("x'*(eye + A)*x")["A"] == "matrix(n, n)"
    p = compile_program("ones'*x")
    assert p.expr.is_scalar


def test_gradient_requires_scalar():
    p = compile_program("x'*A", require_scalar=True)
    assert p.expr.is_scalar


@pytest.mark.parametrize("expr, error, position, words", [
    ("A*x where A: matrix(m, n), x: vector(k)", MatdiffShapeError, 1,
     ["matrix(m, n)", "vector(k)"]),
    ("x + y where x: vector(n), y: vector(m)", MatdiffShapeError, 2, ["vector(n)", "vector(m)"]),
    ("X/Y where Y: matrix", MatdiffShapeError, 1, ["'/' divides by a scalar"]),
    ("tr(x) where x: vector", MatdiffShapeError, 0, ["square"]),
    ("A^2 where A: matrix(m, n)", MatdiffShapeError, 1, ["square"]),
    ("A^0.5 where A: matrix", MatdiffTypeError, 2, ["integer"]),
    ("norm(X, 1) where X: matrix", MatdiffTypeError, 8, ["induced 1-norm"]),
    ("norm(x, 'inf')", MatdiffTypeError, 8, ["'inf'"]),
    ("softmax(X) where X: matrix", MatdiffShapeError, 0, ["column vector"]),
    ("x where x: vector, x: matrix", MatdiffSyntaxError, None, ["declared twice"]),
    ("sum(ones)", MatdiffTypeError, 4, ["size of 'ones'"]),
    ("foo(x)", MatdiffSyntaxError, 0, ["unknown function 'foo'"]),
    ("kron(A)", MatdiffSyntaxError, 0, ["2 arguments"]),
    ("x'*x + 'fro'", MatdiffSyntaxError, 7, ["string"]),
])
def test_errors_name_shapes_and_positions(expr, error, position, words):
    with pytest.raises(error) as info:
        compile_program(expr)
    e = info.value
    if position is not None:
        assert e.position == position
    for w in words:
        assert w in e.message
    assert "^" in e.caret()


def test_dimension_name_as_scalar():
    p = compile_program("1/N * sum(X) where X: matrix(N, d)")
    assert p.types["N"] == "scalar"
    assert p.syms["X"].shape == ("N", "d")


@pytest.mark.parametrize("expr, position, fix", [
    ("X + b'", 2, "to use it in every row, write ones(n)*b'"),
    ("X - v", 2, "to use it in every column, write v*ones(m)'"),
    ("b' + X where X: matrix(n, m), b: vector(m)", 3, "write ones(n)*b'"),
    ("X*W + c' where X: matrix(n, d)", 4, "write ones(n)*c'"),
])
def test_a_vector_is_not_broadcast_over_a_matrix(expr, position, fix):
    """X + b' stays a shape error (no other reading of the names is tried), and says how
    to add the row to every row."""
    from matdiff import api
    from matdiff.errors import MatdiffShapeError

    with pytest.raises(MatdiffShapeError) as info:
        api.compile_program(expr)
    assert info.value.position == position and info.value.message.endswith(fix)
