"""Generated code (issue 4): every backend's module, executed on random data, agrees with
the reference interpreter (matdiff.evaluate) and with finite differences (its check());
snapshots of a few modules; the efficiency decisions (chain order, shared
subexpressions, broadcasts, solves, einsum for kron) have tests of their own.

The NumPy backend runs every case of tests/cases.py and every Hessian of
tests/hessian_cases.py; JAX and PyTorch run a subset (each is skipped, with the
reason, only when it cannot be imported).  Dask: tests/test_codegen_dask.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

import hessian_cases
from cases import CASES

import matdiff
from matdiff import api
from matdiff.check import sample_dims, sample_values
from matdiff.codegen import build, chain, generate, load
from matdiff.errors import UnsupportedError
from matdiff.evaluate import evaluate

SNAPSHOTS = Path(__file__).parent / "snapshots"
TOL = 1e-7
GRAD_CASES = [c for c in CASES if not c.xfail]
HESS_CASES = [c for c in hessian_cases.CASES if c.kind == "hessian" and not c.xfail]


def _needs(module: str):
    if importlib.util.find_spec(module) is None:
        return pytest.mark.skip(reason=f"{module} cannot be imported: `pip install "
                                       f"'matdiff[{module}]'` to test its backend")
    return lambda f: f


def to_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().numpy()
    return np.asarray(x, dtype=float)


def run_case(expr: str, wrt: str, decls: dict, domain: str, backend: str, hessian: bool,
             check: bool = False, tol: float = TOL) -> str:
    """Generate, execute on random data, compare every output with the interpreter."""
    gen = build(expr, wrt, backend, hessian, decls)
    fn = load(gen)
    program = api.compile_program(expr, api.declarations_from(**decls), require_scalar=hessian)
    r = api.derive(program, wrt)
    exprs = [program.expr, r.expr]
    if hessian:
        exprs.append(api.derive_hessian(program, wrt, r).expr)
    rng = np.random.default_rng(1)
    dims = sample_dims(exprs + [program.syms[wrt]], rng)
    values = sample_values(program.syms.values(), dims, rng, domain)
    with np.errstate(all="ignore"):
        want = [evaluate(e, values, dims) for e in exprs]
    got = fn(**values)
    assert len(got) == len(want)
    for k, (g, w) in enumerate(zip(got, want)):
        g = to_numpy(g)
        if k == 1 and r.kind == "gradient":  # the gradient comes back in the input's shape
            assert g.shape == np.shape(values[wrt]) or g.size == 1
        g, w = g.reshape(-1), w.reshape(-1)
        assert g.shape == w.shape, f"output {k}: shape {g.shape}, expected {w.shape}"
        err = np.linalg.norm(g - w) / max(np.linalg.norm(w), 1e-8)
        assert err <= tol, f"output {k}: relative error {err:.1e}\n{gen.source}"
    if check:
        fn.check()
    return gen.source


# ----------------------------------------------------------------------------- numpy: every case


@pytest.mark.parametrize("c", GRAD_CASES, ids=[c.id for c in GRAD_CASES])
def test_numpy_case(c):
    run_case(c.expr, c.wrt, c.decls, c.domain, "numpy", False)


@pytest.mark.parametrize("c", HESS_CASES, ids=[c.id for c in HESS_CASES])
def test_numpy_hessian(c):
    run_case(c.expr, c.wrt, c.decls, c.domain, "numpy", True)


CHECKED = GRAD_CASES[::3] + HESS_CASES[::3]


@pytest.mark.parametrize("c", CHECKED, ids=[c.id for c in CHECKED])
def test_numpy_check_helper(c):
    """The module's own check() (finite differences of the generated function) passes."""
    fn = load(build(c.expr, c.wrt, "numpy", c in HESS_CASES, c.decls))
    assert fn.check() < 1e-6


# ----------------------------------------------------------------------------- jax, torch: subsets

SUBSET = GRAD_CASES[::20]
HESS_SUBSET = [c for c in HESS_CASES if c.wrt in ("x", "X", "W", "U")][::9]


@_needs("torch")
@pytest.mark.parametrize("c", GRAD_CASES[::2], ids=[c.id for c in GRAD_CASES[::2]])
def test_torch_case(c):
    try:
        run_case(c.expr, c.wrt, c.decls, c.domain, "torch", False, tol=1e-6)
    except UnsupportedError as e:  # PyTorch has no logm or sqrtm of a general matrix
        assert any(f"{f}(" in c.expr for f in ("logm", "sqrtm")), str(e)
        assert "the torch backend cannot generate code" in str(e)


@_needs("torch")
@pytest.mark.parametrize("c", HESS_CASES[::2], ids=[c.id for c in HESS_CASES[::2]])
def test_torch_hessian(c):
    run_case(c.expr, c.wrt, c.decls, c.domain, "torch", True, check=True, tol=1e-6)


@_needs("jax")
@pytest.mark.parametrize("c", SUBSET, ids=[c.id for c in SUBSET])
def test_jax_case(c):
    run_case(c.expr, c.wrt, c.decls, c.domain, "jax", False, tol=1e-6)


@_needs("jax")
@pytest.mark.parametrize("c", HESS_SUBSET, ids=[c.id for c in HESS_SUBSET])
def test_jax_hessian(c):
    run_case(c.expr, c.wrt, c.decls, c.domain, "jax", True, check=True, tol=1e-6)


BENCH = [
    ("x'*A*x", "x", {}),
    ("sum(softplus(-y.*(X*w)))", "w", {}),
    ("1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask", "U", {}),
    ("1/N * norm(X*W - Y, 'fro')^2", "W", {}),
    ("norm(W2*tanh(W1*x) - y)^2", "W1", {}),
]


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("expr, wrt, decls", BENCH, ids=[b[0] for b in BENCH])
def test_benchmark_functions(backend, expr, wrt, decls):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} cannot be imported")
    run_case(expr, wrt, decls, "normal", backend, True, check=True, tol=1e-6)


# ----------------------------------------------------------------------------- the API


def test_import_matdiff_imports_no_backend():
    code = ("import sys, matdiff, matdiff.codegen; "
            "print([m for m in ('numpy', 'jax', 'torch', 'dask') if m in sys.modules])")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1] / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_compile_vectors_1d_or_column():
    f = matdiff.compile("norm(A*x - b)^2", "x")
    rng = np.random.default_rng(0)
    A, x, b = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(5)
    v1, g1 = f(A=A, x=x, b=b)
    v2, g2 = f(A=A, x=x[:, None], b=b[:, None])
    assert g1.shape == (3,) and g2.shape == (3, 1)
    np.testing.assert_allclose(g1, 2 * A.T @ (A @ x - b))
    np.testing.assert_allclose(g2[:, 0], g1)
    assert float(v1) == pytest.approx(float(v2))


def test_compile_several_wrt_and_hessian():
    f = matdiff.compile("norm(W*u - v)^2", ["u", "W"], hessian=True)
    rng = np.random.default_rng(1)
    W, u, v = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(4)
    _value, gu, gW, Hu, HW = f(W=W, u=u, v=v)
    r = W @ u - v
    np.testing.assert_allclose(gu, 2 * W.T @ r)
    np.testing.assert_allclose(gW, 2 * np.outer(r, u))
    np.testing.assert_allclose(Hu, 2 * W.T @ W)
    assert HW.shape == (12, 12)
    assert f.check() < 1e-6


def test_compile_keyword_names_and_declarations():
    f = matdiff.compile("x'*A*x + lambda*norm(x)^2", "x", A="symmetric matrix")
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([1.0, -1.0])
    _value, g = f(x=x, A=A, **{"lambda": 0.5})
    np.testing.assert_allclose(g, 2 * A @ x + x)
    assert "2 * (A @ x)" in f.source or "A @ x" in f.source


def test_shape_errors_are_clear():
    f = matdiff.compile("1/N * norm(X*W - Y, 'fro')^2", "W")
    X, W, Y = np.ones((5, 3)), np.ones((4, 2)), np.ones((5, 2))
    with pytest.raises(ValueError, match=r"W must be a matrix\(m, p\) with m = 3 \(the columns "
                                         r"of X\); got shape \(4, 2\)"):
        f(N=5, X=X, W=W, Y=Y)
    with pytest.raises(ValueError, match="X must be a matrix"):
        f(N=5, X=np.ones(5), W=W, Y=Y)


def test_dimension_used_as_scalar_defaults_to_its_size():
    f = matdiff.compile("1/N * norm(X*W - Y, 'fro')^2 where X: matrix(N, d)", "W")
    rng = np.random.default_rng(2)
    X, W, Y = rng.standard_normal((6, 3)), rng.standard_normal((3, 2)), rng.standard_normal((6, 2))
    value, g = f(X=X, W=W, Y=Y)
    np.testing.assert_allclose(g, 2 / 6 * X.T @ (X @ W - Y))
    value2, _ = f(X=X, W=W, Y=Y, N=12)
    assert float(value2) == pytest.approx(float(value) / 2)


def test_unknown_backend():
    with pytest.raises(UnsupportedError, match="unknown backend"):
        generate("x'*x", "x", backend="fortran")


def test_hessian_map_of_a_matrix_variable():
    f = matdiff.compile("1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask", "U", hessian=True)
    assert "hessian_map_U" in f.source and "cheaper linear map" in f.source
    rng = np.random.default_rng(3)
    P = (rng.random((6, 5)) < 0.5).astype(float)
    M, U, V = rng.standard_normal((6, 5)), rng.standard_normal((6, 2)), rng.standard_normal((5, 2))
    dU = rng.standard_normal((6, 2))
    _, _, H = f(P=P, M=M, U=U, V=V)
    hv = f.hessian_map_U(P, M, U, V, dU)
    np.testing.assert_allclose(H @ dU.T.reshape(-1), hv.T.reshape(-1))


# ----------------------------------------------------------------------------- the CLI


def test_cli_code(capsys):
    from matdiff.cli import main

    assert main(["sum(softplus(-y.*(X*w)))", "--wrt", "w", "--code", "numpy"]) == 0
    src = capsys.readouterr().out
    compile(src, "<generated>", "exec")
    assert src.startswith('"""Generated by matdiff') and "def check(" in src
    assert main(["x'*A*x", "--wrt", "x", "--hessian", "--code", "torch", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "import torch" in out["code"] and "hess_x" in out["code"]


def test_cli_code_unsupported_is_a_clear_error(capsys):
    from matdiff.cli import main

    assert main(["logdet(X)", "--wrt", "X", "--code", "dask"]) == 1
    assert "dask backend cannot generate code for logdet" in capsys.readouterr().err


# ----------------------------------------------------------------------------- decisions


def body(src: str) -> str:
    start = src.index("def f(") if "def f(" in src else src.index("def _f(")
    end = src.index("def hessian_map") if "def hessian_map" in src else src.index("_SIZES")
    return src[start:end]


def test_cse_shared_between_value_gradient_hessian():
    src = body(generate("1/N * norm(X*W - Y, 'fro')^2", "W", hessian=True))
    assert src.count("X @ W - Y") == 1
    assert "np.kron" not in src  # kron(eye(p), X'*X): the diagonal blocks only
    assert src.count("X.T @ X") == 1


def test_quadratic_form_no_temporary_matrix():
    src = body(generate("x'*A*x", "x"))
    assert "A + A.T" not in src  # (A + A')*x as A*x + A'*x: no n x n temporary
    assert src.count("A @ x") == 1  # shared by the value x'*(A*x) and the gradient
    assert "A.T @ x" in src


def test_matrix_chain_order_tall_x():
    # X'*X*w is evaluated X'*(X*w): never the m x m product
    src = body(generate("norm(X*w - y)^2", "w"))
    assert "X.T @ X" not in src and "X @ w - y" in src
    # the chain ordering itself, concretely
    factors = [chain.CFactor("dense", (5, 1000)), chain.CFactor("dense", (1000, 5)),
               chain.CFactor("dense", (5, 1))]
    assert chain.plan(factors) == [(0, (1, 2))]
    factors = [chain.CFactor("dense", ("m", "n")), chain.CFactor("dense", ("n", "m")),
               chain.CFactor("dense", ("m", 1))]
    assert chain.plan(factors) == [(0, (1, 2))]  # for every size: X'*(X*w)


def test_matrix_chain_order_decided_at_run_time():
    factors = [chain.CFactor("dense", ("a", "b")), chain.CFactor("dense", ("b", "c")),
               chain.CFactor("dense", ("c", "d"))]
    trees = chain.plan(factors)
    assert sorted(trees, key=str) == sorted([((0, 1), 2), (0, (1, 2))], key=str)
    f = matdiff.compile("sum(A*B*C)", "B")
    assert "depends on the sizes" in f.source or "_costs" in f.source or "sum(" in f.source
    f = matdiff.compile("norm(A*B*C, 'fro')^2", "B")
    assert "the cheapest order of this product depends on the sizes" in f.source
    rng = np.random.default_rng(4)
    for a, b, c, d in [(2, 40, 3, 50), (50, 3, 40, 2)]:  # both branches
        A, B, C = (rng.standard_normal(s) for s in [(a, b), (b, c), (c, d)])
        value, g = f(A=A, B=B, C=C)
        R = A @ B @ C
        assert float(value) == pytest.approx(np.sum(R * R))
        np.testing.assert_allclose(g, 2 * A.T @ R @ C.T)


def test_known_intervals_cost_nothing():
    factors = [chain.CFactor("dense", (1, 100)), chain.CFactor("dense", (100, 100)),
               chain.CFactor("dense", (100, 1))]
    tree, cost = chain.best_tree([(1, 100), (100, 100), (100, 1)], ["dense"] * 3,
                                 known=lambda i, j: (i, j) == (1, 2))
    assert tree == (0, (1, 2, "known")) and cost == 100
    assert chain.plan(factors, known=lambda i, j: (i, j) == (0, 1)) == [((0, 1, "known"), 2)]


def test_diag_is_a_broadcast_and_inv_a_solve():
    src = body(generate("norm(diag(v)*X - Y, 'fro')^2", "X"))
    assert "v[:, None] * X" in src and "np.diag" not in src
    src = body(generate("norm(inv(A)*b - c)^2", "c"))
    assert "np.linalg.solve(A, b)" in src and "np.linalg.inv" not in src
    src = body(generate("tr(A*X*B)", "A"))
    src2 = body(generate("tr(A*B)", "A"))
    assert "np.einsum('ij,ji->'" in src2 or "np.vdot" in src2
    assert "np.trace" not in src2


def test_kron_applied_to_a_vector_is_never_formed():
    src = body(generate("vec(Y)'*kron(A, B)*vec(X)", "X"))
    assert "np.kron" not in src and "einsum" in src


def test_stable_forms():
    src = generate("sum(softplus(-y.*(X*w)))", "w")
    assert "np.logaddexp(0.0," in src and "_sigmoid" in src
    assert "np.exp(-np.abs(x))" in src
    src = generate("logsumexp(W*x)", "W")
    assert "x.max()" in src
    assert "slogdet" in generate("logdet(S) where S: symmetric matrix", "S")
    f = matdiff.compile("sum(softplus(-y.*(X*w)))", "w")
    X = np.array([[800.0], [-800.0]])
    value, g = f(y=np.array([1.0, 1.0]), X=X, w=np.array([1.0]))
    assert np.isfinite(value) and np.all(np.isfinite(g))


def test_trace_of_product_is_an_elementwise_sum():
    src = body(generate("tr(A*X*B)", "X"))
    assert "np.trace" not in src


# ----------------------------------------------------------------------------- snapshots

SNAPSHOT_CASES = {
    "numpy_least_squares.py": ("1/N * norm(X*W - Y, 'fro')^2", "W", "numpy", True, {}),
    "numpy_logistic.py": ("sum(softplus(-y.*(X*w)))", "w", "numpy", True, {}),
    "numpy_quadratic_form.py": ("x'*A*x", "x", "numpy", False, {}),
    "numpy_factorization.py": ("1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask", "U", "numpy",
                               True, {}),
    "jax_logistic.py": ("sum(softplus(-y.*(X*w)))", "w", "jax", False, {}),
    "torch_tanh_network.py": ("norm(W2*tanh(W1*x) - y)^2", "W1", "torch", False, {}),
    "dask_least_squares.py": ("1/N * norm(X*W - Y, 'fro')^2", "W", "dask", False, {}),
    # each backend's spelling of the elementwise functions (from their operation records)
    "torch_logistic.py": ("sum(softplus(-y.*(X*w)))", "w", "torch", True, {}),
    "dask_logistic.py": ("sum(softplus(-y.*(X*w)))", "w", "dask", False, {}),
    "torch_relu_network.py": ("norm(W2*relu(W1*x) - y)^2", "W1", "torch", False, {}),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_snapshot(name):
    expr, wrt, backend, hessian, decls = SNAPSHOT_CASES[name]
    src = generate(expr, wrt, backend, hessian, **decls)
    path = SNAPSHOTS / name
    if os.environ.get("MATDIFF_UPDATE_SNAPSHOTS") or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(src)
    assert src == path.read_text(), (f"{name} changed; if intended, regenerate with "
                                     "MATDIFF_UPDATE_SNAPSHOTS=1")


@pytest.mark.parametrize("name", ["numpy", "jax", "torch"])
def test_commutation_helper_of_each_backend(name):
    """One helper builds K(m, n) with NumPy; each backend converts it to its own array."""
    from matdiff.codegen.backend_base import Backend

    module = {"numpy": "matdiff.codegen.numpy_backend", "jax": "matdiff.codegen.jax_backend",
              "torch": "matdiff.codegen.torch_backend"}[name]
    mod = pytest.importorskip(module)
    cls = next(c for c in vars(mod).values()
               if isinstance(c, type) and issubclass(c, Backend) and c is not Backend)
    be = cls()
    call = be.commutation("2", "3")
    namespace: dict = {}
    for line in be.imports:
        exec(line, namespace)  # the backend's own import lines, fixed text
    exec(be.helpers["_commutation"], namespace)
    k = np.asarray(eval(call, namespace))
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(k @ a.reshape(-1, order="F"), a.T.reshape(-1, order="F"))


INJECTIONS = [  # (expression, read as LaTeX): user text that once escaped the docstring
    ('\\|x\\|^2 % """;print("INJECTED");"""', True),
    ('\\|x\\|^2 % \\"""\\nprint("INJECTED")\\n', True),
    ("\\xi^2", True),
    ("\\upsilon^2 + \\Upsilon_{1}", True),
    ("\\|x\\|^2 % a\x00b \u2028 c\\", True),
]


@pytest.mark.parametrize("expr, latex", INJECTIONS)
@pytest.mark.parametrize("backend", ["numpy", "torch", "jax", "dask"])
def test_user_text_never_reaches_generated_code(expr, latex, backend, capsys):
    """The expression is shown in the module's docstring as an escaped literal: the module
    compiles, running it executes nothing of the user's, and __doc__ holds the text as typed."""
    from matdiff.cli import main

    args = [expr, "--code", backend] + (["--latex-input"] if latex else [])
    assert main(args) == 0
    src = capsys.readouterr().out
    module = ast.parse(src)  # it compiles
    prints = [n for n in ast.walk(module)
              if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "print"]
    assert prints == []
    doc = ast.get_docstring(module, clean=False)
    assert doc is not None and doc.split("\n")[2] == "    " + expr


def test_every_low_level_operation_has_a_printer():
    """The printer's dispatch table covers the closed set of LIR operations, no more."""
    from matdiff.codegen.lir import OPS
    from matdiff.codegen.printer import EMITTERS

    assert set(EMITTERS) == set(OPS)


@pytest.mark.parametrize("name", ["numpy", "jax", "torch", "dask"])
def test_elementwise_spelling_comes_from_the_operation_record(name, monkeypatch):
    """A backend writes an elementwise function as its record says (the backend's own entry,
    else the default), adding the record's helper once, with the backend's array module."""
    import dataclasses

    from matdiff.codegen import backend
    from matdiff.ops import ELEMENTWISE, Code

    helper = "def _softsign(x):\n    return x / (1.0 + {xp}.abs(x))"
    record = dataclasses.replace(
        ELEMENTWISE["exp"], name="softsign",
        code={"default": Code("_softsign({x})", helper, "_softsign"),
              "torch": Code("torch.nn.functional.softsign({x})")})
    monkeypatch.setitem(ELEMENTWISE, "softsign", record)
    be = backend(name)()
    calls = {be.func("softsign", "z"), be.func("softsign", "z")}
    if name == "torch":
        assert calls == {"torch.nn.functional.softsign(z)"} and be.helpers == {}
    else:
        assert calls == {"_softsign(z)"}
        assert be.helpers == {"_softsign": helper.format(xp=be.xp)}


@pytest.mark.parametrize("name", ["numpy", "jax", "torch", "dask"])
def test_every_elementwise_record_is_written_by_every_backend(name):
    from matdiff.codegen import backend
    from matdiff.ops import ELEMENTWISE

    be = backend(name)()
    for fn in ELEMENTWISE:
        ast.parse(be.func(fn, "x"), mode="eval")
    for source in be.helpers.values():
        ast.parse(source)


@pytest.mark.parametrize("name", ["numpy", "jax", "torch", "dask"])
def test_an_elementwise_spelling_that_is_no_single_call_becomes_a_helper(name, monkeypatch):
    """An operator expression, or one using its argument twice, is a helper function of its
    own: the argument is computed once and the result binds as an atom (``.sum()`` after it
    sums the function, not its last operand)."""
    import dataclasses

    from matdiff.codegen import backend
    from matdiff.ops import ELEMENTWISE, Code

    record = dataclasses.replace(ELEMENTWISE["exp"], name="softsign",
                                 code={"default": Code("{x} / (1.0 + {xp}.abs({x}))")})
    monkeypatch.setitem(ELEMENTWISE, "softsign", record)
    be = backend(name)()
    assert be.func("softsign", "a @ b") == "_softsign(a @ b)"
    assert be.helpers["_softsign"] == f"def _softsign(x):\n    return x / (1.0 + {be.xp}.abs(x))"


def test_codegen_names_no_elementwise_function():
    """How a function is written is its operation record's business (matdiff.ops): no
    code-generation module spells one itself."""
    import matdiff.codegen as codegen_package

    names = ("softplus", "relu", "tanh", "sinh", "cosh", "sigmoid")
    for path in Path(codegen_package.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert not [n for n in names if re.search(rf"\b{n}\b", text)], path.name


def test_jax_writes_no_transposed_matrix_times_vector():
    """XLA on CPU copies A for A.T @ v (12x slower than v @ A at n = 3000): the JAX code
    writes the product the other way round, with the same numbers."""
    pytest.importorskip("jax")
    for expr, wrt in [("x'*A*x", "x"), ("sum(softplus(-y.*(X*w)))", "w"),
                      ("norm(W2*tanh(W1*x) - y)^2", "W1"), ("u'*A'*B*x", "x")]:
        src = body(generate(expr, wrt, "jax"))
        assert not re.search(r"\.T @ ", src), src  # these have no matrix-matrix products
        run_case(expr, wrt, {}, "normal", "jax", False)
    assert "x @ A" in body(generate("x'*A*x", "x", "jax"))


def test_a_row_sum_broadcast_is_a_view_not_an_outer_product():
    """v*ones(1, q) inside an expression is a broadcast (no n x q array of ones times v);
    returned, it is a real array the caller may change in place."""
    expr = "sum(G.*(softmax(Q*K'/sqrt(d), 2)*V)) where d: scalar"
    src = body(generate(expr, "Q"))
    assert "np.outer" not in src and "np.broadcast_to(" in src
    run_case(expr, "Q", {}, "normal", "numpy", False)
    f = matdiff.compile("sum(x'*X)", "X")
    _, g = f(x=np.array([1.0, 2.0]), X=np.zeros((2, 3)))
    g += 1.0
    assert np.array_equal(g, [[2.0, 2.0, 2.0], [3.0, 3.0, 3.0]])


@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_softmax_next_to_its_logsumexp_reuses_it(backend):
    """A value with logsumexp and a gradient with softmax of the same argument: the softmax
    is exp(x - logsumexp(x)), no second maximum, exp and sum; still finite for huge x."""
    pytest.importorskip(backend)
    expr = "sum(logsumexp(X*W, 2)) - sum(Y.*(X*W))"
    src = body(generate(expr, "W", backend))
    assert "softmax" not in src and src.count("logsumexp") == 1, src
    run_case(expr, "W", {}, "normal", backend, False)
    run_case("logsumexp(W*x) - y'*W*x", "W", {}, "normal", backend, False)
    f = matdiff.compile(expr, "W", backend)
    X = np.array([[1000.0, -1000.0], [3.0, 1.0]])
    value, g = f(X=X, W=np.eye(2), Y=np.eye(2))
    assert np.isfinite(to_numpy(value)) and np.all(np.isfinite(to_numpy(g)))
    # against the hand-written closed form X'*(softmax(X*W, 2) - Y) at W = I
    S = np.exp(X - X.max(axis=1, keepdims=True))
    S /= S.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(to_numpy(g), X.T @ (S - np.eye(2)), rtol=1e-12, atol=1e-12)
