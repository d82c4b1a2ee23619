"""matdiff's generated code against autodiff and a hand-written NumPy closed form.

    python benchmarks/vs_autodiff.py            # n in {100, 1000, 3000}, m = 2n rows
    python benchmarks/vs_autodiff.py --quick    # n in {50, 200}: a smoke run

Five functions, each with its value, gradient and Hessian:

    quadratic form       x'*A*x                                    wrt x (n)
    logistic regression  sum(softplus(-y.*(X*w)))                  wrt w (n), X m x n
    factorization        1/2*norm(P.*(M - U*V'),'fro')^2, P mask   wrt U (n x 5), M n x m
    least squares        1/N*norm(X*W - Y,'fro')^2                 wrt W (n x 10), X m x n
    tanh network         norm(W2*tanh(W1*x) - y)^2                 wrt W1 (5 x n), W2 10 x 5

Timed in one run: matdiff's generated NumPy, JAX and PyTorch code (value + gradient; NumPy
and JAX also value + gradient + Hessian), jax.jit(jax.value_and_grad), jax.jit(jax.hessian),
torch.func.grad_and_value / torch.func.hessian, and a hand-written NumPy closed form.  The
gradients are timed in turn, a block of calls of each per round in a random order, so that
the load of a shared machine weighs on all of them alike.

Three batched rows, one size each, gradients by every variable named:

    attention       sum(G.*(softmax(Q*K'/sqrt(d), 2)*V))    wrt Q, K, V (n = m = 512, d = p = 64)
    cross-entropy   sum(logsumexp(X*W, 2)) - sum(Y.*(X*W))  wrt W (X 4096 x 256, k = 100)
    layer norm      sum(G.*(diag(1./sqrt(mean(Xc.^2, 2) + e))*Xc))  wrt X (4096 x 256),
                    Xc = X - mean(X, 2)*ones(d)' typed out in full

For them jax.jit(jax.value_and_grad) takes the data as arguments, as matdiff's code does
(closed over, XLA computes X'*Y of the cross-entropy once, at compile time).
Every result is checked equal (relative error < 1e-7) to the hand-written one.
Median wall times; the BLAS / XLA / torch thread counts are fixed (--threads, default 1)
and recorded; with one thread the process is also pinned to one CPU (XLA's CPU runtime
runs loops and dots on a thread pool of its own whatever XLA_FLAGS say).  An autodiff
Hessian is skipped (and the table says why) when its memory (parameters x the largest
intermediate, for the batched Hessian-vector products) exceeds --max-gb, or its time,
estimated from its gradient's time, exceeds --max-seconds; a Hessian matrix larger than
--max-hessian-gb is not formed by anyone (matdiff's map form, ``hessian_map_<X>``, is the
way to use it). The Markdown table goes to stdout and to
benchmarks/results/vs_autodiff.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from single_thread import threads_from_argv

THREADS = threads_from_argv()  # before numpy / jax / torch are imported
# XLA's CPU runtime splits loops and dots over a pool of its own whatever XLA_FLAGS say
# (measured: 1.4-1.8 CPU seconds a second on this 2-core machine): one thread means one
# core, for every library, by the process's CPU affinity
PINNED = None
if THREADS == 1 and hasattr(os, "sched_setaffinity"):
    PINNED = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {PINNED})

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import jax  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import torch  # noqa: E402

import matdiff  # noqa: E402

torch.set_num_threads(THREADS)
RESULTS = Path(__file__).parent / "results" / "vs_autodiff.md"


def sigmoid(z):
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


# ----------------------------------------------------------------------------- the problems


class Problem:
    name: str
    expr: str
    wrt: str

    def params(self, n) -> int:
        raise NotImplementedError


class Quadratic(Problem):
    name, expr, wrt = "quadratic form x'*A*x", "x'*A*x", "x"

    def data(self, n, rng):
        return {"A": rng.standard_normal((n, n)), "x": rng.standard_normal(n)}

    def hand(self, A, x):
        Ax = A @ x
        return x @ Ax, Ax + A.T @ x

    def hand_hess(self, A, x):
        return A + A.T

    def jax_f(self, d):
        A = d["A"]
        return (lambda x: x @ (A @ x)), d["x"]

    def torch_f(self, d):
        A = d["A"]
        return (lambda x: x @ (A @ x)), d["x"]

    def nparams(self, n):
        return n

    def intermediate(self, n):
        return n


class Logistic(Problem):
    name, expr, wrt = "logistic regression", "sum(softplus(-y.*(X*w)))", "w"

    def data(self, n, rng):
        X = rng.standard_normal((2 * n, n)) / np.sqrt(n)
        return {"y": np.sign(rng.standard_normal(2 * n)), "X": X, "w": rng.standard_normal(n)}

    def hand(self, y, X, w):
        z = -y * (X @ w)
        return np.logaddexp(0.0, z).sum(), -(X.T @ (y * sigmoid(z)))

    def hand_hess(self, y, X, w):
        s = sigmoid(-y * (X @ w))
        return X.T @ ((s * (1 - s) * y * y)[:, None] * X)

    def jax_f(self, d):
        X, y = d["X"], d["y"]
        return (lambda w: jnp.sum(jax.nn.softplus(-y * (X @ w)))), d["w"]

    def torch_f(self, d):
        X, y = d["X"], d["y"]
        zero = torch.zeros((), dtype=torch.float64)
        return (lambda w: torch.logaddexp(-y * (X @ w), zero).sum()), d["w"]

    def nparams(self, n):
        return n

    def intermediate(self, n):
        return 2 * n


class Factorization(Problem):
    name, wrt = "masked factorization (rank 5)", "U"
    expr = "1/2*norm(P.*(M - U*V'), 'fro')^2 where P: mask"

    def data(self, n, rng):
        m, p = 2 * n, 5
        return {"P": (rng.random((n, m)) < 0.3).astype(float), "M": rng.standard_normal((n, m)),
                "U": rng.standard_normal((n, p)), "V": rng.standard_normal((m, p))}

    def hand(self, P, M, U, V):
        R = P * (M - U @ V.T)
        return 0.5 * np.vdot(R, R), -(R @ V)

    def hand_hess(self, P, M, U, V):
        n, p = U.shape
        T = np.einsum("ik,ka,kb->iab", P, V, V, optimize=True)
        H = np.zeros((n * p, n * p))
        idx = np.arange(n)
        for a in range(p):
            for b in range(p):
                H[a * n + idx, b * n + idx] = T[:, a, b]
        return H

    def jax_f(self, d):
        P, M, V = d["P"], d["M"], d["V"]
        return (lambda U: 0.5 * jnp.sum((P * (M - U @ V.T)) ** 2)), d["U"]

    def torch_f(self, d):
        P, M, V = d["P"], d["M"], d["V"]
        return (lambda U: 0.5 * ((P * (M - U @ V.T)) ** 2).sum()), d["U"]

    def nparams(self, n):
        return 5 * n

    def intermediate(self, n):
        return 2 * n * n


class LeastSquares(Problem):
    name, wrt = "least squares (c = 10)", "W"
    expr = "1/N * norm(X*W - Y, 'fro')^2"

    def data(self, n, rng):
        m = 2 * n
        return {"N": float(m), "X": rng.standard_normal((m, n)),
                "W": rng.standard_normal((n, 10)), "Y": rng.standard_normal((m, 10))}

    def hand(self, N, X, W, Y):
        R = X @ W - Y
        return np.vdot(R, R) / N, (2 / N) * (X.T @ R)

    def hand_hess(self, N, X, W, Y):
        return np.kron(np.eye(W.shape[1]), (2 / N) * (X.T @ X))

    def jax_f(self, d):
        X, Y, N = d["X"], d["Y"], d["N"]
        return (lambda W: jnp.sum((X @ W - Y) ** 2) / N), d["W"]

    def torch_f(self, d):
        X, Y, N = d["X"], d["Y"], d["N"]
        return (lambda W: ((X @ W - Y) ** 2).sum() / N), d["W"]

    def nparams(self, n):
        return 10 * n

    def intermediate(self, n):
        return 20 * n


class Network(Problem):
    name, wrt = "tanh network (5 hidden)", "W1"
    expr = "norm(W2*tanh(W1*x) - y)^2"

    def data(self, n, rng):
        return {"W2": rng.standard_normal((10, 5)), "W1": rng.standard_normal((5, n)) / np.sqrt(n),
                "x": rng.standard_normal(n), "y": rng.standard_normal(10)}

    def hand(self, W2, W1, x, y):
        t = np.tanh(W1 @ x)
        r = W2 @ t - y
        return r @ r, np.outer(2 * (1 - t * t) * (W2.T @ r), x)

    def hand_hess(self, W2, W1, x, y):
        t = np.tanh(W1 @ x)
        r = W2 @ t - y
        d = 1 - t * t
        mid = d[:, None] * (W2.T @ W2) * d - 2 * np.diag(t * d * (W2.T @ r))
        return np.kron(np.outer(x, x), 2 * mid)

    def jax_f(self, d):
        W2, x, y = d["W2"], d["x"], d["y"]
        return (lambda W1: jnp.sum((W2 @ jnp.tanh(W1 @ x) - y) ** 2)), d["W1"]

    def torch_f(self, d):
        W2, x, y = d["W2"], d["x"], d["y"]
        return (lambda W1: ((W2 @ torch.tanh(W1 @ x) - y) ** 2).sum()), d["W1"]

    def nparams(self, n):
        return 5 * n

    def intermediate(self, n):
        return 10


# ----------------------------------------------------------------------------- batched rows
# One size each (the sizes of the issue); gradients by several variables at once.


def softmax_rows(Z):
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


class Attention(Problem):
    name, wrt = "attention (n = m = 512, d = p = 64)", ("Q", "K", "V")
    expr = "sum(G.*(softmax(Q*K'/sqrt(d), 2)*V)) where d: scalar"
    size = "512"

    def data(self, n, rng):
        n, m, d, p = (512, 512, 64, 64) if n >= 512 else (n, n, 8, 8)
        return {"G": rng.standard_normal((n, p)), "Q": rng.standard_normal((n, d)),
                "K": rng.standard_normal((m, d)), "d": float(d),
                "V": rng.standard_normal((m, p))}

    def hand(self, G, Q, K, d, V):
        c = 1 / np.sqrt(d)
        S = softmax_rows(c * (Q @ K.T))
        GV = G @ V.T
        dZ = S * (GV - (GV * S).sum(axis=1, keepdims=True))
        return np.vdot(G, S @ V), c * (dZ @ K), c * (dZ.T @ Q), S.T @ G

    def jax_f(self, d):
        def f(Q, K, V, data):
            c = 1 / jnp.sqrt(data["d"])
            return jnp.sum(data["G"] * (jax.nn.softmax(c * (Q @ K.T), axis=1) @ V))
        return f, (d["Q"], d["K"], d["V"])

    def torch_f(self, d):
        G, c = d["G"], 1 / float(np.sqrt(d["d"]))
        return ((lambda Q, K, V: (G * (torch.softmax(c * (Q @ K.T), 1) @ V)).sum()),
                (d["Q"], d["K"], d["V"]))


class CrossEntropy(Problem):
    name, wrt = "softmax cross-entropy (n = 4096, d = 256, k = 100)", ("W",)
    expr = "sum(logsumexp(X*W, 2)) - sum(Y.*(X*W))"
    size = "4096"

    def data(self, n, rng):
        n, d, k = (4096, 256, 100) if n >= 512 else (n, 16, 10)
        return {"X": rng.standard_normal((n, d)) / np.sqrt(d), "W": rng.standard_normal((d, k)),
                "Y": np.eye(k)[rng.integers(0, k, n)]}

    def hand(self, X, W, Y):
        Z = X @ W
        m = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - m)
        s = E.sum(axis=1, keepdims=True)
        return (m + np.log(s)).sum() - np.vdot(Y, Z), X.T @ (E / s - Y)

    def jax_f(self, d):
        def f(W, data):
            Z = data["X"] @ W
            return jnp.sum(jax.nn.logsumexp(Z, axis=1)) - jnp.sum(data["Y"] * Z)
        return f, (d["W"],)

    def torch_f(self, d):
        X, Y = d["X"], d["Y"]
        return (lambda W: torch.logsumexp(X @ W, 1).sum() - (Y * (X @ W)).sum()), (d["W"],)


LN = "(X - mean(X, 2)*ones(d)')"  # each row of X centred


class LayerNorm(Problem):
    name, wrt = "layer norm (n = 4096, d = 256)", ("X",)
    expr = (f"sum(G.*(diag(1./sqrt(mean({LN}.^2, 2) + e))*{LN})) where e: scalar")
    size = "4096"

    def data(self, n, rng):
        n, d = (4096, 256) if n >= 512 else (n, 16)
        return {"G": rng.standard_normal((n, d)), "X": rng.standard_normal((n, d)), "e": 1e-5}

    def hand(self, G, X, e):
        Xc = X - X.mean(axis=1, keepdims=True)
        r = 1 / np.sqrt((Xc * Xc).mean(axis=1, keepdims=True) + e)
        Xh = Xc * r
        grad = r * (G - G.mean(axis=1, keepdims=True) - Xh * (G * Xh).mean(axis=1, keepdims=True))
        return np.vdot(G, Xh), grad

    def jax_f(self, d):
        def f(X, data):
            Xc = X - jnp.mean(X, axis=1, keepdims=True)
            r = 1 / jnp.sqrt(jnp.mean(Xc * Xc, axis=1, keepdims=True) + data["e"])
            return jnp.sum(data["G"] * Xc * r)
        return f, (d["X"],)

    def torch_f(self, d):
        G, e = d["G"], float(d["e"])

        def f(X):
            Xc = X - X.mean(1, keepdim=True)
            return (G * Xc / torch.sqrt((Xc * Xc).mean(1, keepdim=True) + e)).sum()
        return f, (d["X"],)


PROBLEMS = [Quadratic(), Logistic(), Factorization(), LeastSquares(), Network()]
BATCHED = [Attention(), CrossEntropy(), LayerNorm()]


# ----------------------------------------------------------------------------- timing


def timeit(fn, budget: float, reps: int = 7) -> float:
    """Median wall time: a warm-up call, then up to ``reps`` calls within ``budget`` s."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first > budget:
        return first  # too slow to repeat: the first (post-compile for numpy) call
    times = []
    start = time.perf_counter()
    while len(times) < reps:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget:
            break
    return statistics.median(times)


def time_together(fns: dict, budget: float, rounds: int = 12) -> dict:
    """Median wall times of several functions timed in turn, so that a change in the
    machine's load hits them all alike: each round runs every function once, in a new
    random order, as a block of calls of at least 2 ms (a fast function is called
    several times in a row and timed warm, as alone; one call, cold, pays for the cache
    the others took).  At least three rounds; more while the budget (per function) lasts."""
    reps = {}
    for k, fn in fns.items():  # a warm-up call, which sizes the block
        t = time.perf_counter()
        fn()
        reps[k] = max(1, min(1000, int(2e-3 / max(time.perf_counter() - t, 1e-7))))
    times: dict = {k: [] for k in fns}
    keys = list(fns)
    order = random.Random(0)
    start = time.perf_counter()
    for r in range(rounds):
        order.shuffle(keys)
        for k in keys:
            fn, n = fns[k], reps[k]
            t = time.perf_counter()
            for _ in range(n):
                fn()
            times[k].append((time.perf_counter() - t) / n)
        if r >= 2 and time.perf_counter() - start > budget * len(fns):
            break
    return {k: statistics.median(v) for k, v in times.items()}


def block(x):
    if isinstance(x, (tuple, list)):
        for y in x:
            block(y)
    elif hasattr(x, "block_until_ready"):
        x.block_until_ready()
    return x


def vec_hessian(H, shape) -> np.ndarray:
    """An autodiff Hessian (shape + shape, row-major) as the matrix of vec (column-major)."""
    H = np.asarray(H)
    if len(shape) == 1:
        return H
    r, c = shape
    return H.reshape(r, c, r, c).transpose(1, 0, 3, 2).reshape(r * c, r * c)


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


class Row:
    def __init__(self, problem, n):
        self.problem, self.n = problem, n
        self.t: dict[str, float | str] = {}
        self.errors: list[str] = []


def run_one(prob: Problem, n: int, args) -> Row:
    row = Row(prob, n)
    rng = np.random.default_rng(n)
    d = prob.data(n, rng)
    budget = args.budget
    batched = isinstance(prob.wrt, tuple)
    wrts = list(prob.wrt) if batched else [prob.wrt]
    md_np = matdiff.compile(prob.expr, wrts, "numpy")
    md_jx = matdiff.compile(prob.expr, wrts, "jax")
    md_tc = matdiff.compile(prob.expr, wrts, "torch")
    fnp, fjx, ftc = md_np.module.f, md_jx.module.f, md_tc.module.f
    dj = {k: jnp.asarray(v) for k, v in d.items()}
    dt = {k: torch.as_tensor(v) for k, v in d.items()}
    py = {v.name: v.py for v in md_np.spec.variables}
    kw = {py[k]: v for k, v in d.items()}
    kwj = {py[k]: v for k, v in dj.items()}
    kwt = {py[k]: v for k, v in dt.items()}

    # ---- gradients
    ref_v, *ref_g = prob.hand(**d)
    out = fnp(**kw)
    outj = block(fjx(**kwj))
    outc = ftc(**kwt)
    jf, x0 = prob.jax_f(dj)
    x0s = x0 if batched else (x0,)
    argnums = tuple(range(len(x0s)))
    jvg = jax.jit(jax.value_and_grad(jf, argnums=argnums))
    if batched:  # the data are arguments, as matdiff's are: XLA cannot fold X'*Y once
        x0s = (*x0s, {k: v for k, v in dj.items() if k not in wrts})
    outa = block(jvg(*x0s))
    tf, t0 = prob.torch_f(dt)
    t0s = t0 if batched else (t0,)
    tvg = torch.func.grad_and_value(tf, argnums=argnums)
    outt = tvg(*t0s)
    row.t.update(time_together({
        "hand": lambda: prob.hand(**d), "md_np": lambda: fnp(**kw),
        "md_jax": lambda: block(fjx(**kwj)), "md_torch": lambda: ftc(**kwt),
        "jax_grad": lambda: block(jvg(*x0s)), "torch_grad": lambda: tvg(*t0s)}, budget))
    for name, (v, *g) in [("matdiff numpy", out), ("matdiff jax", outj),
                          ("matdiff torch", outc), ("jax.grad", (outa[0], *outa[1])),
                          ("torch.func.grad", (outt[1], *outt[0]))]:
        err = max([rel(v, ref_v)] + [rel(np.asarray(a), b) for a, b in zip(g, ref_g)])
        if not err < 1e-7:
            row.errors.append(f"{name} gradient differs: {err:.1e}")
    if batched:  # gradients only: their Hessians are 10^10 entries and more
        for key in ("md_np_h", "md_jax_h", "hand_h", "jax_h", "torch_h"):
            row.t[key] = "-"
        return row
    md_np_h = matdiff.compile(prob.expr, prob.wrt, "numpy", hessian=True)
    md_jx_h = matdiff.compile(prob.expr, prob.wrt, "jax", hessian=True)
    fnp_h, fjx_h = md_np_h.module.f, md_jx_h.module.f

    # ---- Hessians
    k = prob.nparams(n)
    hgb = k * k * 8 / 1e9
    if hgb > args.max_hessian_gb:
        for key in ("md_np_h", "md_jax_h", "hand_h", "jax_h", "torch_h"):
            row.t[key] = f"skipped: a {k} x {k} Hessian is {hgb:.0f} GB"
        return row
    ref_h = prob.hand_hess(**d)
    row.t["hand_h"] = timeit(lambda: prob.hand_hess(**d), budget)
    outh = fnp_h(**kw)
    row.t["md_np_h"] = timeit(lambda: fnp_h(**kw), budget)
    if rel(outh[2], ref_h) > 1e-7:
        row.errors.append(f"matdiff numpy Hessian differs: {rel(outh[2], ref_h):.1e}")
    del outh
    if hgb * 3 < args.max_gb:
        outjh = block(fjx_h(**kwj))
        row.t["md_jax_h"] = timeit(lambda: block(fjx_h(**kwj)), budget)
        if rel(np.asarray(outjh[2]), ref_h) > 1e-7:
            row.errors.append("matdiff jax Hessian differs")
        del outjh
    else:
        row.t["md_jax_h"] = "skipped: memory"
    mem = k * prob.intermediate(n) * 8 / 1e9 + 2 * hgb
    # a Hessian by autodiff is about one gradient per parameter (batched); measured:
    # torch.func.hessian of x'*A*x at n = 3000 takes minutes, so the estimate is generous
    est = k * max(float(row.t["jax_grad"]), float(row.t["torch_grad"]))
    for key, make in (("jax_h", lambda: jax.jit(jax.hessian(jf))),
                      ("torch_h", lambda: torch.func.hessian(tf))):
        if mem > args.max_gb:
            row.t[key] = f"skipped: needs ~{mem:.0f} GB"
            continue
        if est > args.max_seconds:
            row.t[key] = f"skipped: ~{est:.0f} s (est.)"
            continue
        h = make()
        arg = x0 if key == "jax_h" else t0
        H = block(h(arg))
        err = rel(vec_hessian(H, tuple(np.shape(arg))), ref_h)
        if err > 1e-7:
            row.errors.append(f"{key} differs: {err:.1e}")
        del H
        row.t[key] = timeit(lambda h=h, arg=arg: block(h(arg)), budget, reps=3)
    return row


# ----------------------------------------------------------------------------- the table


def fmt(t) -> str:
    if isinstance(t, str):
        return t
    if t is None:
        return "-"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.1f} ms"
    return f"{t:.2f} s"


def ratio(a, b) -> str:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b > 0:
        return f"{a / b:.2f}"
    return "-"


def speedup(slow, fast) -> str:
    if isinstance(slow, (int, float)) and isinstance(fast, (int, float)) and fast > 0:
        return f"{slow / fast:.0f}x" if slow / fast >= 10 else f"{slow / fast:.1f}x"
    return "-"


def size_of(r: Row) -> str:
    return getattr(r.problem, "size", None) if r.n >= 512 and isinstance(r.problem.wrt, tuple) \
        else str(r.n)


def table(rows: list[Row], info: str) -> str:
    out = [info, "", "Gradients (value and gradient):", "",
           "| function | n | matdiff NumPy | matdiff JAX | matdiff PyTorch | hand NumPy | "
           "jax.jit(grad) | torch.func.grad | NumPy / hand | best matdiff / jax.grad | "
           "best matdiff / best other |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        t = r.t
        best = min(t["md_np"], t["md_jax"], t["md_torch"])
        other = min(t["hand"], t["jax_grad"], t["torch_grad"])
        out.append(f"| {r.problem.name} | {size_of(r)} | {fmt(t['md_np'])} | {fmt(t['md_jax'])} | "
                   f"{fmt(t['md_torch'])} | {fmt(t['hand'])} | {fmt(t['jax_grad'])} | "
                   f"{fmt(t['torch_grad'])} | {ratio(t['md_np'], t['hand'])} | "
                   f"{ratio(best, t['jax_grad'])} | {ratio(best, other)} |")
    out += ["", "Hessians (value, gradient and Hessian matrix; autodiff: the Hessian alone):", "",
            "| function | n | matdiff NumPy | matdiff JAX | hand NumPy | jax.jit(hessian) | "
            "torch.func.hessian | jax.hessian / matdiff | torch / matdiff |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        t = r.t
        if isinstance(r.problem.wrt, tuple):
            continue  # gradients only
        out.append(f"| {r.problem.name} | {r.n} | {fmt(t.get('md_np_h'))} | "
                   f"{fmt(t.get('md_jax_h'))} | {fmt(t.get('hand_h'))} | {fmt(t.get('jax_h'))} | "
                   f"{fmt(t.get('torch_h'))} | {speedup(t.get('jax_h'), t.get('md_np_h'))} | "
                   f"{speedup(t.get('torch_h'), t.get('md_np_h'))} |")
    errs = [f"- {r.problem.name}, n = {r.n}: {e}" for r in rows for e in r.errors]
    out += ["", "Results checked equal to the hand-written closed form (relative error < 1e-7): "
            + ("all." if not errs else "NOT all:")] + errs
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="n in {50, 200}")
    p.add_argument("--sizes", type=int, nargs="*")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--budget", type=float, default=1.5, help="seconds per measurement")
    p.add_argument("--max-gb", type=float, default=12.0)
    p.add_argument("--max-hessian-gb", type=float, default=2.5)
    p.add_argument("--max-seconds", type=float, default=8.0)
    p.add_argument("--only", help="run the problems whose name contains this")
    args = p.parse_args(argv)
    sizes = args.sizes or ([50, 200] if args.quick else [100, 1000, 3000])
    start = time.time()
    load0 = os.getloadavg()[0]
    rows = []
    with threadpool_limits(limits=args.threads):
        blas = sorted({f"{i['internal_api']} {i.get('version')} ({i['num_threads']} thread"
                       f"{'s' if i['num_threads'] != 1 else ''})" for i in threadpool_info()})
        for n in sizes:
            for prob in PROBLEMS:
                if args.only and args.only not in prob.name:
                    continue
                r = run_one(prob, n, args)
                rows.append(r)
                print(f"# {prob.name} n={n} done at {time.time() - start:.0f} s", file=sys.stderr)
        for prob in BATCHED:
            if args.only and args.only not in prob.name:
                continue
            n = 64 if args.quick else 512
            rows.append(run_one(prob, n, args))
            print(f"# {prob.name} done at {time.time() - start:.0f} s", file=sys.stderr)
    info = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; numpy {np.__version__}, jax {jax.__version__}, "
            f"torch {torch.__version__}; float64.  Threads fixed to {args.threads}: "
            f"{'; '.join(blas)}; XLA single-threaded (XLA_FLAGS), torch.set_num_threads("
            f"{args.threads})"
            f"{f'; the process pinned to CPU {PINNED}' if PINNED is not None else ''}"
            f".  Median wall times; sizes n, m = 2n rows.  Total run "
            f"{time.time() - start:.0f} s; load average {load0:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after (other processes on the machine).")
    text = table(rows, info)
    print(text)
    if not args.quick and not args.sizes and not args.only:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text("# matdiff generated code vs autodiff\n\n"
                           "`python benchmarks/vs_autodiff.py`\n\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
