"""The Dask backend (issue 4): least squares and logistic regression, value and gradient,
on a dask.distributed LocalCluster with row-chunked data, against NumPy; a subset of
the case table on the synchronous scheduler; clear errors for what dask.array lacks."""

from __future__ import annotations

import importlib.util
import os
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

if importlib.util.find_spec("dask") is None or importlib.util.find_spec("distributed") is None:
    pytest.skip("dask / dask.distributed cannot be imported: `pip install 'matdiff[dask]'` to "
                "test the Dask backend", allow_module_level=True)

import dask
import dask.array as da
from cases import CASES
from test_codegen import run_case

import matdiff
from matdiff.errors import UnsupportedError

LSQ = "1/N * norm(X*W - Y, 'fro')^2"
LOGREG = "sum(softplus(-y.*(X*w))) + lambda/2*norm(w)^2"


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        c = Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_least_squares_on_a_cluster(client):
    rng = np.random.default_rng(0)
    m, n, c = 4000, 30, 10
    X, W, Y = rng.standard_normal((m, n)), rng.standard_normal((n, c)), rng.standard_normal((m, c))
    fd = matdiff.compile(LSQ, "W", backend="dask")
    fn = matdiff.compile(LSQ, "W", backend="numpy")
    Xd, Yd = da.from_array(X, chunks=(500, n)), da.from_array(Y, chunks=(500, c))
    value, grad = fd(N=m, X=Xd, W=W, Y=Yd)
    value0, grad0 = fn(N=m, X=X, W=W, Y=Y)
    assert isinstance(grad, np.ndarray)
    assert float(value) == pytest.approx(float(value0), rel=1e-12)
    np.testing.assert_allclose(grad, grad0, rtol=1e-10)
    # lazy: one graph for both outputs, computed once on the cluster
    lazy = fd.module.f(m, Xd, W, Yd, compute=False)
    assert all(isinstance(x, da.Array) for x in lazy)
    _v2, g2 = dask.compute(*lazy)
    np.testing.assert_allclose(g2, grad0, rtol=1e-10)


def test_logistic_regression_on_a_cluster(client):
    rng = np.random.default_rng(1)
    m, n = 6000, 20
    X, w = rng.standard_normal((m, n)), rng.standard_normal(n) / 4
    y = np.sign(rng.standard_normal(m))
    fd = matdiff.compile(LOGREG, "w", backend="dask")
    fn = matdiff.compile(LOGREG, "w", backend="numpy")
    Xd, yd = da.from_array(X, chunks=(1000, n)), da.from_array(y, chunks=1000)
    value, grad = fd(X=Xd, y=yd, w=w, **{"lambda": 0.1})
    value0, grad0 = fn(X=X, y=y, w=w, **{"lambda": 0.1})
    assert float(value) == pytest.approx(float(value0), rel=1e-12)
    np.testing.assert_allclose(grad, grad0, rtol=1e-10)
    assert grad.shape == (n,)


SUBSET = [c for c in CASES if not c.xfail][::6]


@pytest.mark.parametrize("c", SUBSET, ids=[c.id for c in SUBSET])
def test_dask_case(c):
    with dask.config.set(scheduler="synchronous"), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        try:
            run_case(c.expr, c.wrt, c.decls, c.domain, "dask", False, tol=1e-7)
        except UnsupportedError as e:
            assert "dask backend cannot generate code" in str(e)
            pytest.skip(str(e))


@pytest.mark.parametrize("expr, wrt", [("logdet(X)", "X"), ("det(X)", "X")])
def test_unsupported_is_a_clear_error(expr, wrt):
    with pytest.raises(UnsupportedError, match="dask backend cannot generate code for"):
        matdiff.compile(expr, wrt, backend="dask")
