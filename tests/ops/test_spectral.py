"""The matrix- and spectral-function records against independent oracles: the Frechet
derivatives against central differences of SciPy's expm/logm/sqrtm, their adjoints, the
eigenvalue and singular-value rules against differences of NumPy's eigh/svd, and the
refusals where a derivative does not exist (tied eigenvalues)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

from matdiff import algebra as A
from matdiff.errors import UnsupportedError
from matdiff.evaluate import evaluate
from matdiff.ir import (
    DExpm,
    Differential,
    DLogm,
    DSqrtm,
    EigVals,
    EigVecs,
    Expm,
    Logm,
    NuclearNorm,
    Select,
    SpectralNorm,
    Sqrtm,
    SVals,
    SvdU,
    SvdV,
    Sym,
)
from matdiff.ops import MATRIX_OPS
from matdiff.ops.spectral_numpy import ties

N = 4
RNG = np.random.default_rng(7)
X = Sym("X", (N, N), "matrix")
E = Sym("E", (N, N), "matrix")
S = Sym("S", (N, N), "symmetric")
R = Sym("R", (N, N - 1), "matrix")  # rectangular: the thin SVD


def _well_conditioned() -> np.ndarray:
    """Eigenvalues near 3, none on the negative axis: logm and sqrtm are smooth there."""
    return 3 * np.eye(N) + 0.4 * RNG.standard_normal((N, N))


def _symmetric() -> np.ndarray:
    b = RNG.standard_normal((N, N))
    return (b + b.T) / 2 + np.diag(np.arange(N, dtype=float))  # distinct eigenvalues


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def _differences(f, x: np.ndarray, v: np.ndarray, h: float = 1e-5) -> np.ndarray:
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


SCIPY = {Expm: scipy.linalg.expm, Logm: scipy.linalg.logm, Sqrtm: scipy.linalg.sqrtm}
FRECHET = {DExpm: Expm, DLogm: Logm, DSqrtm: Sqrtm}


@pytest.mark.parametrize("node", list(FRECHET), ids=lambda t: t.__name__)
def test_frechet_agrees_with_differences_of_the_function(node):
    x, e = _well_conditioned(), RNG.standard_normal((N, N))
    got = evaluate(node(X, E), {"X": x, "E": e}, {})
    numeric = np.real(_differences(SCIPY[FRECHET[node]], x, e))
    assert _rel(got, numeric) < 1e-7


@pytest.mark.parametrize("node", list(SCIPY), ids=lambda t: t.__name__)
def test_forward_rule_is_the_frechet_derivative(node):
    x, v = _well_conditioned(), RNG.standard_normal((N, N))
    op = MATRIX_OPS[node]
    d = op.differential(node(X), lambda e: Differential(X) if e is X else e)
    got = evaluate(d, {"X": x, "dX": v}, {})
    assert _rel(got, np.real(_differences(SCIPY[node], x, v))) < 1e-7
    assert _rel(evaluate(node(X), {"X": x}, {}), np.real(SCIPY[node](x))) < 1e-12


@pytest.mark.parametrize("node", list(FRECHET), ids=lambda t: t.__name__)
def test_frechet_pullback_is_the_adjoint(node):
    x, e, g = _well_conditioned(), RNG.standard_normal((N, N)), RNG.standard_normal((N, N))
    op = MATRIX_OPS[node]
    back = op.pullback(node(X, E), Sym("G", (N, N), "matrix"))
    lhs = np.sum(evaluate(back, {"X": x, "G": g}, {}) * e)
    rhs = np.sum(g * evaluate(node(X, E), {"X": x, "E": e}, {}))
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs))


@pytest.mark.parametrize("node", list(FRECHET), ids=lambda t: t.__name__)
def test_second_derivative_by_the_matrix_is_refused(node):
    op = MATRIX_OPS[node]
    with pytest.raises(UnsupportedError, match="no closed form"):
        op.differential(node(X, E), lambda e: Differential(X) if e is X else A.zero(e.shape))


def test_frechet_in_a_commuting_direction_is_the_plain_derivative():
    from matdiff.ops import spectral

    t = Sym("t", (1, 1), "scalar")
    assert spectral.dexpm(A.mul(t, X), X) is A.mul(X, spectral.expm(A.mul(t, X)))
    x = _well_conditioned()
    eye = A.identity(N)
    for build, node in ((spectral.dexpm, DExpm), (spectral.dlogm, DLogm),
                        (spectral.dsqrtm, DSqrtm)):
        simple = build(X, eye)
        assert not isinstance(simple, node)
        assert _rel(evaluate(simple, {"X": x}, {}), evaluate(node(X, eye), {"X": x}, {})) < 1e-8


@pytest.mark.parametrize("node, x, value", [
    (EigVals, S, _symmetric), (EigVecs, S, _symmetric), (SVals, R, None),
    (SpectralNorm, R, None), (NuclearNorm, R, None)],
    ids=lambda p: getattr(p, "__name__", ""))
def test_spectral_forward_rules_match_differences(node, x, value):
    point = value() if value else RNG.standard_normal(x.shape)
    v = RNG.standard_normal(x.shape)
    if x.kind == "symmetric":
        v = (v + v.T) / 2
    op = MATRIX_OPS[node]
    d = op.differential(node(x), lambda e: Differential(x) if e is x else e)
    got = evaluate(d, {x.name: point, "d" + x.name: v}, {})
    numeric = _differences(lambda p: evaluate(node(x), {x.name: p}, {}), point, v, 1e-6)
    assert _rel(got, numeric) < 1e-6


def test_spectral_values_agree_with_numpy():
    s, r = _symmetric(), RNG.standard_normal((N, N - 1))
    assert np.allclose(evaluate(EigVals(S), {"S": s}, {})[:, 0], np.linalg.eigvalsh(s))
    assert np.allclose(evaluate(SVals(R), {"R": r}, {})[:, 0], np.linalg.svd(r)[1])
    assert np.isclose(evaluate(SpectralNorm(R), {"R": r}, {})[0, 0], np.linalg.norm(r, 2))
    assert np.isclose(evaluate(NuclearNorm(R), {"R": r}, {})[0, 0], np.linalg.norm(r, "nuc"))
    u, sv, v = (evaluate(e, {"R": r}, {}) for e in (SvdU(R), SVals(R), SvdV(R)))
    assert np.allclose(u @ np.diag(sv[:, 0]) @ v.T, r)
    w, vecs = evaluate(EigVals(S), {"S": s}, {}), evaluate(EigVecs(S), {"S": s}, {})
    assert np.allclose(vecs @ np.diag(w[:, 0]) @ vecs.T, s)
    assert np.allclose(evaluate(Select(SvdU(R), 0, 1), {"R": r}, {}), u[:, :1])


def test_ties_are_found():
    def at(point):
        return lambda e: evaluate(e, point, {})

    what, matrix, gap = ties([A.sum_(EigVals(S))], at({"S": np.eye(N)}))
    assert (what, matrix, gap) == ("eigenvalues", S, 0.0)
    assert ties([SvdU(R)], at({"R": np.eye(N)[:, :N - 1]}))[0] == "singular values"
    assert ties([SvdU(R)], at({"R": np.diag([3.0, 2.0, 0.0])[:, :N - 1] if N == 3 else
                                np.vstack([np.diag([3.0, 2.0, 1.0]), np.zeros((1, 3))])})) is None
    assert ties([EigVecs(S)], at({"S": _symmetric()})) is None


def test_the_check_names_a_tie_where_the_result_has_no_match():
    import matdiff
    from matdiff.check import _try_point

    r = matdiff.gradient("eigvals(S)[2] where S: symmetric matrix(3)", "S")
    assert r.text == "eigvecs(S)[:, 2]*eigvecs(S)[:, 2]'"
    assert r.check().passed  # at a random point the eigenvalues are distinct
    # at diag(1, 2, 2) the middle eigenvalue ties with the largest: it has no derivative
    # (one-sided ones differ), and the check says so instead of reporting an error
    tied = {"S": np.diag([1.0, 2.0, 2.0])}
    got = _try_point(r.program.expr, r.var, r.expr, "gradient", tied, {},
                     np.random.default_rng(0))
    assert isinstance(got, str) and got.startswith("eigenvalues of S tie")
    # the smallest eigenvalue of x*x' is 0 (tied n - 1 times), a constant: the tie does not
    # keep the answer, 0, from matching the differences
    zero = matdiff.gradient("eigvals(x*x')[1]", "x")
    assert zero.check().passed


def test_logm_and_sqrtm_outside_their_domain_are_not_finite():
    x = -np.eye(N)  # eigenvalues on the negative real axis: no principal logarithm
    assert not np.all(np.isfinite(evaluate(Logm(X), {"X": x}, {})))
    assert not np.all(np.isfinite(evaluate(Sqrtm(X), {"X": x}, {})))


def test_svd_vectors_have_no_derivative_here():
    for node in (SvdU, SvdV):
        with pytest.raises(UnsupportedError, match="singular vectors"):
            MATRIX_OPS[node].differential(node(R), lambda e: Differential(R))


@pytest.mark.parametrize("text, plain", [
    ("expm(x)", "exp(x)"), ("logm(x)", "log(x)"), ("sqrtm(x)", "sqrt(x)"),
    ("eigvals(x)", "x"), ("svals(x)", "abs(x)"), ("dexpm(x, e)", "e*exp(x)")])
def test_a_one_by_one_matrix_function_is_the_scalar_function(text, plain):
    # once an internal error (Expm of a scalar) when the names were read as scalars
    from matdiff.api import compile_program

    decls = " where x, e: scalar"
    assert compile_program(text + decls).expr is compile_program(plain + decls).expr


@pytest.mark.parametrize("text, message", [
    ("eye[:, 3]", "column 3 is out of range"),
    ("x[5] where x: vector(3)", "row 5 is out of range"),
    ("M[2, :] where M: matrix(1, 4)", "row 2 is out of range"),
])
def test_selections_out_of_range_are_errors_with_positions(text, message):
    from matdiff.api import compile_program
    from matdiff.errors import MatdiffError

    with pytest.raises(MatdiffError) as info:
        compile_program(text)
    assert message in info.value.message and info.value.position == text.index("[")


@pytest.mark.parametrize("text", [
    # once internal errors, found by a random mix of the new functions
    "tr(svdU(Y)')", "logm(svdU(x))", "svals(svdV(X))",
    "dexpm(exp(dsqrtm(X, A)), Y) where X: matrix(3, 3)",
    "norm(dexpm(dsqrtm(X, x), Y), 2) where X: matrix(3, 3)",
])
def test_mixed_spectral_expressions_are_answers_or_clear_errors(text):
    from matdiff.api import Request, answer
    from matdiff.errors import InternalError

    a = answer(Request(text))
    assert not isinstance(a.error, InternalError), a.error
    if a.error is None:
        assert all(r.check().outcome != "failed" for r in a.results)


def test_the_thin_svd_of_a_vector_has_one_column():
    from matdiff.api import compile_program

    assert compile_program("svdU(x)").expr.shape == ("n", 1)
    assert compile_program("svals(X) where X: matrix(m, n)").expr.shape == ("min(m,n)", 1)
    assert compile_program("svals(svdV(X)) where X: matrix(m, n)").expr.shape == ("min(m,n)", 1)


@pytest.mark.parametrize("text, at", [
    # x[1:2] was once read as x[1] (the ':' taken for a slot): a range is an error
    ("x[1:2]", 3), ("X[1 2]", 4), ("X[1,,2]", 4), ("X[1, 2, 3]", 6), ("X[, 1]", 2),
])
def test_malformed_selections_are_errors(text, at):
    from matdiff.api import compile_program
    from matdiff.errors import MatdiffSyntaxError

    with pytest.raises(MatdiffSyntaxError) as info:
        compile_program(text)
    assert "expected v[k], M[i, j]" in info.value.message and info.value.position == at


@pytest.mark.parametrize("text, hint", [
    ("eig(S)", "matdiff writes it eigvals"), ("svd(X)", "matdiff writes it svals"),
    ("expmm(X)", "did you mean expm?"), ("X^0.5", "sqrtm(X) is the matrix square root"),
])
def test_a_name_from_elsewhere_gets_matdiffs(text, hint):
    from matdiff.api import compile_program
    from matdiff.errors import MatdiffError

    with pytest.raises(MatdiffError) as info:
        compile_program(text)
    assert hint in info.value.message
