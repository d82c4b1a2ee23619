"""The SymPy bridge: SymPy matrix expressions read into matdiff and matdiff's answers written
back, both evaluated numerically on random data (SymPy on explicit matrices of small concrete
sizes, matdiff with its own evaluator)."""

from __future__ import annotations

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

import matdiff  # noqa: E402
from matdiff.api import compile_program  # noqa: E402
from matdiff.evaluate import evaluate  # noqa: E402
from matdiff.sympy_bridge import SympyBridgeError, SympyExpression, from_sympy, to_sympy  # noqa: E402

n, m, p = sp.symbols("n m p", integer=True, positive=True)
SIZES = {"n": 3, "m": 2, "p": 4}
X = sp.MatrixSymbol("X", n, m)
A = sp.MatrixSymbol("A", p, n)
B = sp.MatrixSymbol("B", m, p)
S = sp.MatrixSymbol("S", n, n)
T = sp.MatrixSymbol("T", n, n)
x = sp.MatrixSymbol("x", n, 1)
y = sp.MatrixSymbol("y", n, 1)
lam, c = sp.symbols("lam c")
d = sp.Dummy("d")

CASES = [
    sp.Trace(A * X * B),
    x.T * S * x,
    sp.log(sp.Determinant(S)),
    sp.Determinant(S) * lam,
    sp.HadamardProduct(X, X) + 2 * X,
    sp.HadamardPower(X, 3) - X / 3,
    S**3 + S.I,
    sp.MatPow(S, -2),
    sp.Inverse(S) * x,
    X.applyfunc(sp.exp),
    X.applyfunc(sp.Lambda(d, d**2 + 1)),
    X.applyfunc(sp.Lambda(d, sp.tanh(3 * d) * sp.sin(d))),
    sp.Identity(n) - S / 2 + sp.ZeroMatrix(n, n) + sp.OneMatrix(n, n),
    lam * sp.Trace(S) ** 2 - c / 3 * sp.Determinant(S),
    sp.KroneckerProduct(S, X),
    -X.T * A.T,
    sp.Trace(X.T * X) / (2 * lam),
    sp.exp(sp.Trace(S)) + sp.sqrt(lam**2) * sp.cos(c),
    sp.Transpose(A * X) * sp.OneMatrix(p, 1),
    (x - y).T * (S.T * S + sp.Identity(n)) * (x - y) * sp.Rational(3, 2),
    sp.HadamardProduct(S, T.T) * x + sp.Float(0.25) * y,
]


def _values(expr_names: dict[str, str], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name, kind in expr_names.items():
        if kind == "scalar":
            out[name] = np.array([[rng.uniform(0.5, 1.5)]])
            continue
        inner = kind[kind.index("(") + 1:-1].split(", ")
        rows = SIZES.get(inner[0]) or int(inner[0])
        cols = 1 if kind.startswith("vector") else SIZES.get(inner[1]) or int(inner[1])
        value = rng.uniform(-1, 1, (rows, cols))
        if rows == cols:  # well away from singular, for inv and logdet
            value = value @ value.T + rows * np.eye(rows)
        out[name] = value
    return out


def sympy_value(e, values: dict[str, np.ndarray]) -> np.ndarray:
    """SymPy's own numeric value of ``e``: concrete sizes, explicit matrices, doit."""
    e = e.xreplace({s: sp.Integer(SIZES[s.name]) for s in (n, m, p)})
    subs = {}
    for atom in e.atoms(sp.MatrixSymbol):
        subs[atom] = sp.ImmutableMatrix(values[str(atom.name)])
    for atom in e.atoms(sp.Symbol):
        if atom.name in values:
            subs[atom] = sp.Float(float(values[atom.name][0, 0]))
    return _numeric(e.xreplace(subs))


def _numeric(e) -> np.ndarray:
    constant = (sp.Identity, sp.ZeroMatrix, sp.OneMatrix)
    e = e.replace(lambda a: isinstance(a, constant), lambda a: sp.ImmutableMatrix(
        a.as_explicit()))
    out = e.doit()
    if isinstance(out, sp.MatrixBase | sp.MatrixExpr):
        out = out.as_explicit() if isinstance(out, sp.MatrixExpr) else out
        return np.array(out.evalf(), dtype=float)
    return np.array([[float(sp.N(out))]])


def matdiff_value(text: str, values: dict[str, np.ndarray]) -> np.ndarray:
    program = compile_program(text)
    return evaluate(program.expr, values, SIZES)


@pytest.mark.parametrize("e", CASES, ids=[str(e)[:40] for e in CASES])
def test_round_trip_values(e):
    t = from_sympy(e)
    assert isinstance(t, SympyExpression) and isinstance(t, str)
    values = _values(t.declarations)
    want = sympy_value(e, values)
    got = matdiff_value(str(t), values)
    np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-9, atol=1e-9)
    back = to_sympy(t)  # and back to SymPy: the same value
    np.testing.assert_allclose(sympy_value(back, values).reshape(got.shape), want.reshape(
        got.shape), rtol=1e-9, atol=1e-9)


def test_text_and_declarations():
    t = from_sympy(sp.Trace(A * X * B))
    assert str(t) == "tr(A*X*B) where A: matrix(p, n), X: matrix(n, m), B: matrix(m, p)"
    assert t.expression == "tr(A*X*B)"
    assert t.declarations == {"A": "matrix(p, n)", "X": "matrix(n, m)", "B": "matrix(m, p)"}
    assert t.namespace["X"] == X and t.namespace["n"] == n
    assert str(from_sympy(x.T * S * x)) == "x'*S*x where x: vector(n), S: matrix(n, n)"
    concrete = from_sympy(sp.Trace(sp.MatrixSymbol("Z", 3, 3)))
    assert concrete.declarations == {"Z": "matrix(3, 3)"}


def test_helpers_take_the_translation():
    t = from_sympy(sp.Trace(A * X * B))
    assert matdiff.gradient(t, "X").text == "A'*B'"
    assert t.gradient("X").text == "A'*B'"
    assert to_sympy(t.gradient("X"), namespace=t.namespace) == A.T * B.T
    assert t.to_sympy(t.gradient("X")) == A.T * B.T
    assert t.hessian("X", check=False).kind == "hessian"


GRADIENTS = [
    ("1/N * norm(X*W - Y, 'fro')^2", "W"),
    ("sum(log(1 + exp(-y.*(X*w))))", "w"),
    ("logdet(X)", "X"),
    ("-y'*log(softmax(W*x))", "W"),
    ("norm(W2*tanh(W1*x) - y)^2", "W2"),
    ("x'*A*x where A: symmetric matrix", "x"),
    ("logsumexp(x) + sum(sigmoid(x)) + sum(relu(x))", "x"),
]


@pytest.mark.parametrize(("expr", "wrt"), GRADIENTS)
def test_to_sympy_of_gradients(expr, wrt):
    r = matdiff.gradient(expr, wrt)
    program = r.program
    rng = np.random.default_rng(1)
    sizes = {}
    values = {}
    for name, sym in program.syms.items():
        shape = tuple(sizes.setdefault(dim, 3) if isinstance(dim, str) else dim
                      for dim in sym.shape)
        value = rng.uniform(-1, 1, shape)
        if sym.kind == "symmetric":
            value = value + value.T
        if name == "X" and wrt == "X":
            value = value @ value.T + 3 * np.eye(3)
        values[name] = value
    got = evaluate(r.expr, values, sizes)
    e = to_sympy(r)
    e = e.xreplace({s: sp.Integer(sizes[s.name]) for s in e.free_symbols
                    if isinstance(s, sp.Symbol) and s.name in sizes})
    subs = {a: sp.ImmutableMatrix(values[str(a.name)]) for a in e.atoms(sp.MatrixSymbol)}
    subs.update({a: sp.Float(float(values[a.name][0, 0])) for a in e.atoms(sp.Symbol)
                 if a.name in values})
    want = _numeric(e.xreplace(subs))
    np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-9, atol=1e-9)


def test_sympy_diff_agrees_where_layouts_agree():
    """Scalar by matrix: SymPy's .diff has X's shape, as matdiff's gradient."""
    t = from_sympy(sp.Trace(A * X * B))
    assert sp.Trace(A * X * B).diff(X) == to_sympy(t.gradient("X"), namespace=t.namespace)
    q = from_sympy(x.T * S * x)
    g = to_sympy(q.gradient("x"), namespace=q.namespace)
    difference = sp.MatAdd(g, -(x.T * S * x).diff(x)).xreplace({n: sp.Integer(2)})
    assert sp.simplify(difference.as_explicit()) == sp.zeros(2, 1)


def test_sympy_layout_of_matrix_by_matrix():
    """SymPy's d(A*X*B)/dX is an array [i, j, k, l] = dF_kl / dX_ij; matdiff's Jacobian is
    d vec(F) / d vec(X), kron(B', A): the same numbers, arranged differently."""
    a, xx, b = sp.MatrixSymbol("A", 2, 3), sp.MatrixSymbol("X", 3, 2), sp.MatrixSymbol("B", 2, 2)
    arr = sp.Array((a * xx * b).diff(xx).as_explicit())
    assert arr.shape == (3, 2, 2, 2)
    jac = matdiff.jacobian("A*X*B where A: matrix(2, 3), X: matrix(3, 2), B: matrix(2, 2)", "X")
    assert jac.text == "kron(B', A)"
    rng = np.random.default_rng(0)
    va, vb = rng.normal(size=(2, 3)), rng.normal(size=(2, 2))
    J = np.kron(vb.T, va)  # column-major vec on both sides
    subs = {a: sp.ImmutableMatrix(va), b: sp.ImmutableMatrix(vb)}
    for i in range(3):
        for j in range(2):
            for k in range(2):
                for lcol in range(2):
                    want = float(arr[i, j, k, lcol].xreplace(subs))
                    assert J[k + 2 * lcol, i + 3 * j] == pytest.approx(want)


def test_vector_by_vector_is_transposed_in_sympy():
    g = (S * x).diff(x)
    assert g == S.T  # SymPy: denominator layout
    assert matdiff.jacobian("S*x where S: matrix(n, n)", "x").text == "S"  # numerator layout


@pytest.mark.parametrize(("node", "named"), [
    (X[0, 1], "MatrixElement"),
    (sp.MatrixSymbol("tr", 2, 2), "'tr'"),
    (sp.MatPow(S, sp.Rational(1, 2)), "MatPow"),
    (sp.Adjoint(S), "Adjoint"),
    (X.applyfunc(sp.Lambda(d, sp.gamma(d))), "gamma"),
    (sp.HadamardProduct(X, X).applyfunc(sp.Lambda(d, lam * d)), "other symbols"),
    (sp.MatrixSymbol("Z", n + 1, n), "n + 1"),
])
def test_no_counterpart_is_a_clear_error(node, named):
    with pytest.raises(SympyBridgeError) as info:
        from_sympy(node)
    assert isinstance(info.value, matdiff.MatdiffError)
    assert named in info.value.message


def test_scalar_sympy_expressions():
    t = from_sympy(lam**2 + sp.sin(lam) * sp.exp(-lam))
    assert str(t) == "lam^2 + exp(-lam)*sin(lam) where lam: scalar"
    g = t.gradient("lam")
    assert g.text == "2*lam + cos(lam)*exp(-lam) - sin(lam)*exp(-lam)" and g.check().passed
    assert from_sympy(n * sp.Trace(S)).gradient("S").text == "n*eye(n)"  # n: a size, too


def test_to_sympy_of_ir_and_jacobians():
    r = matdiff.jacobian("sigmoid(W*x)", "x")
    e = to_sympy(r)
    rows, cols = (sp.Symbol(d, integer=True, positive=True) for d in r.expr.shape)
    assert isinstance(e, sp.MatrixExpr) and e.shape == (rows, cols)
    assert r.expr.shape == (r.program.syms["W"].shape[0], r.var.shape[0])  # n x m
    assert to_sympy(r.expr) == e


def test_to_sympy_without_counterpart():
    with pytest.raises(SympyBridgeError, match="Vec"):
        to_sympy("vec(X)")
    with pytest.raises(TypeError):
        to_sympy(3.5)
