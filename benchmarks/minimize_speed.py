"""Time to a given tolerance: matdiff.minimize against SciPy with JAX gradients and SciPy
with finite-difference gradients.

    python benchmarks/minimize_speed.py            # realistic sizes (a few minutes)
    python benchmarks/minimize_speed.py --quick    # small sizes: a smoke run

Three problems, each minimized from the same start by :func:`scipy.optimize.minimize`:

    ridge regression     1/2*norm(X*w - y)^2 + lambda/2*norm(w)^2          X 10^4 x 10^2
    logistic regression  sum(softplus(-y.*(X*w))) + lambda/2*norm(w)^2     X 10^4 x 10^2
    factorization        1/2*norm(P.*(M - U*V'),'fro')^2
                         + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)   M 1000 x 1000,
                                                                           10 % observed, rank 10

The gradient comes from matdiff (``matdiff.minimize``: the generated NumPy code), from
``jax.jit(jax.value_and_grad)`` (float64) or from SciPy's finite differences (``jac=None``,
2-point; one function evaluation per unknown per gradient). A run stops at the first iterate
whose value is within a relative 1e-8 of the optimum (ridge: the closed form; logistic: a
Newton solve to machine precision; factorization, not convex: the value a long matdiff run
from the same start reaches, within 1e-6), through SciPy's callback. One-time setup (matdiff
generating and loading its code, JAX tracing and compiling) is timed apart: every method runs
once untimed, then --repeats timed runs (median). BLAS and XLA use one thread.
The Markdown table goes to stdout and to benchmarks/results/minimize_speed.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                      "intra_op_parallelism_threads=1")
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import jax  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import optimize  # noqa: E402

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

import matdiff  # noqa: E402
import matdiff.optimize as mo  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "minimize_speed.md"
RIDGE = "1/2*norm(X*w - y)^2 + lambda/2*norm(w)^2"
LOGISTIC = "sum(softplus(-y.*(X*w))) + lambda/2*norm(w)^2"
FACTOR = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2) "
          "where P: mask")


class Reached(Exception):
    pass


class Problem:
    """data, start, wrt, the JAX function of the packed unknowns, the optimum's value."""

    name: str
    expr: str
    wrt: list[str]
    rel: float = 1e-8

    def pack(self, values: dict) -> np.ndarray:
        return np.concatenate([np.asarray(values[n]).reshape(-1, order="F") for n in self.wrt])

    def jax_fun(self):
        raise NotImplementedError

    def numpy_fun(self):
        raise NotImplementedError


class Ridge(Problem):
    name, expr, wrt = "ridge regression", RIDGE, ["w"]

    def __init__(self, n, d, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n, d))
        self.y = self.X @ rng.normal(size=d) + rng.normal(size=n)
        self.lam = 1.0
        self.start = {"w": np.zeros(d)}
        self.data = {"X": self.X, "y": self.y, "lambda": self.lam}
        w = np.linalg.solve(self.X.T @ self.X + self.lam * np.eye(d), self.X.T @ self.y)
        self.optimum = self.numpy_fun()(w)
        self.size = f"X {n} x {d}"

    def numpy_fun(self):
        X, y, lam = self.X, self.y, self.lam
        return lambda w: 0.5 * np.sum((X @ w - y) ** 2) + lam / 2 * w @ w

    def jax_fun(self):
        X, y, lam = jnp.asarray(self.X), jnp.asarray(self.y), self.lam
        return lambda w: 0.5 * jnp.sum((X @ w - y) ** 2) + lam / 2 * w @ w


class Logistic(Ridge):
    name, expr = "logistic regression", LOGISTIC

    def __init__(self, n, d, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.normal(size=(n, d)) / np.sqrt(d)
        self.y = np.sign(self.X @ rng.normal(size=d) * 3 + rng.normal(size=n))
        self.lam = 1.0
        self.start = {"w": np.zeros(d)}
        self.data = {"X": self.X, "y": self.y, "lambda": self.lam}
        exact = matdiff.minimize(LOGISTIC, "w", "trust-exact", w=np.zeros(d), X=self.X, y=self.y,
                                 lambda_=1.0, options={"gtol": 1e-12})
        self.optimum = exact.fun
        self.size = f"X {n} x {d}"

    def numpy_fun(self):
        X, y, lam = self.X, self.y, self.lam
        return lambda w: np.sum(np.logaddexp(0, -y * (X @ w))) + lam / 2 * w @ w

    def jax_fun(self):
        X, y, lam = jnp.asarray(self.X), jnp.asarray(self.y), self.lam
        return lambda w: jnp.sum(jnp.logaddexp(0, -y * (X @ w))) + lam / 2 * w @ w


class Factorization(Problem):
    name, expr, wrt, rel = "masked factorization", FACTOR, ["U", "V"], 1e-6

    def __init__(self, n, k, observed=0.1, seed=0):
        rng = np.random.default_rng(seed)
        self.M = rng.normal(size=(n, k)) @ rng.normal(size=(k, n)) + 0.1 * rng.normal(size=(n, n))
        self.P = (rng.random((n, n)) < observed).astype(float)
        self.lam = 1.0
        self.n, self.k = n, k
        self.start = {"U": rng.normal(size=(n, k)), "V": rng.normal(size=(n, k))}
        self.data = {"M": self.M, "P": self.P, "lambda": self.lam}
        ref = matdiff.minimize(FACTOR, ["U", "V"], **self.start, **{"M": self.M, "P": self.P},
                               lambda_=self.lam, options={"maxiter": 5000, "ftol": 1e-15,
                                                          "gtol": 1e-10})
        self.optimum = ref.fun
        self.size = f"M {n} x {n}, {observed:.0%} observed, rank {k}"

    def split(self, x, lib):
        n, k = self.n, self.k
        U = x[:n * k].reshape((k, n)).T  # column-major, as matdiff packs
        V = x[n * k:].reshape((k, n)).T
        return U, V

    def numpy_fun(self):
        M, P, lam = self.M, self.P, self.lam

        def f(x):
            U, V = self.split(x, np)
            R = P * (M - U @ V.T)
            return 0.5 * np.sum(R * R) + lam / 2 * (np.sum(U * U) + np.sum(V * V))
        return f

    def jax_fun(self):
        M, P, lam = jnp.asarray(self.M), jnp.asarray(self.P), self.lam

        def f(x):
            U, V = self.split(x, jnp)
            R = P * (M - U @ V.T)
            return 0.5 * jnp.sum(R * R) + lam / 2 * (jnp.sum(U * U) + jnp.sum(V * V))
        return f


# --- the runs --------------------------------------------------------------------------------


def target_callback(problem, state):
    goal = problem.optimum + problem.rel * abs(problem.optimum)

    def callback(intermediate_result):
        state["nit"] += 1
        if intermediate_result.fun <= goal:
            state["reached"] = True
            raise StopIteration
    return callback


def run_matdiff(problem, method):
    state = {"nit": 0, "reached": False}
    goal = problem.optimum + problem.rel * abs(problem.optimum)

    def cb(it):
        state["nit"] = it.nit
        state["reached"] = it.fun <= goal
        return state["reached"]

    t = time.perf_counter()
    r = matdiff.minimize(problem.expr, problem.wrt, method, callback=cb,
                         **problem.start, data=problem.data,
                         options={"maxiter": 100000, "gtol": 1e-12, "ftol": 0}
                         if method == "L-BFGS-B" else {"maxiter": 100000, "gtol": 1e-12})
    return time.perf_counter() - t, state["nit"], r.nfev, r.fun, state["reached"]


def run_scipy(problem, fun, jac, method="L-BFGS-B"):
    state = {"nit": 0, "reached": False}
    x0 = problem.pack(problem.start)
    t = time.perf_counter()
    r = optimize.minimize(fun, x0, jac=jac, method=method,
                          callback=target_callback(problem, state),
                          options={"maxiter": 100000, "gtol": 1e-12, "ftol": 0})
    return time.perf_counter() - t, state["nit"], r.nfev, float(r.fun), state["reached"]


def fmt_time(s):
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.2f} s"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fd-max-seconds", type=float, default=120.0,
                    help="skip finite differences when one gradient alone is estimated to "
                         "cost this much times the iterations matdiff needed")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    if args.quick:
        problems = [Ridge(1000, 20), Logistic(1000, 20), Factorization(100, 3)]
    else:
        problems = [Ridge(10_000, 100), Logistic(10_000, 100), Factorization(1000, 10)]
    started = time.perf_counter()
    rows = []
    for prob in problems:
        f_np = prob.numpy_fun()
        t = time.perf_counter()
        mo._COMPILED.clear()
        mo._PROGRAMS.clear()
        mo._program(prob.expr)  # parse and type the expression, as matdiff.minimize does
        mo._compiled(prob.expr, tuple(prob.wrt), False)  # and generate and load its code
        setup_md = time.perf_counter() - t
        t = time.perf_counter()
        vg = jax.jit(jax.value_and_grad(prob.jax_fun()))
        x0 = prob.pack(prob.start)
        jax.block_until_ready(vg(x0))
        setup_jax = time.perf_counter() - t

        def jax_fg(x, vg=vg):
            v, g = vg(x)
            return float(v), np.asarray(g)

        methods = [("matdiff.minimize (L-BFGS-B, exact gradient)", setup_md,
                    lambda p=prob: run_matdiff(p, "L-BFGS-B"))]
        if len(prob.wrt) == 1:
            methods.append(("matdiff.minimize (trust-ncg, exact Hessian products)", setup_md,
                            lambda p=prob: run_matdiff(p, "trust-ncg")))
        else:
            methods.append(("matdiff.minimize (trust-ncg, gradient-difference Hessian products)",
                            setup_md, lambda p=prob: run_matdiff(p, "trust-ncg")))
        methods.append(("SciPy L-BFGS-B + jax.jit(value_and_grad)", setup_jax,
                        lambda p=prob, fg=jax_fg: run_scipy(p, fg, True)))
        # finite differences: feasible when (unknowns + 1) evaluations per gradient fit
        t = time.perf_counter()
        for _ in range(5):
            f_np(x0)
        per_eval = (time.perf_counter() - t) / 5
        per_grad = per_eval * (x0.size + 1)
        methods.append(("SciPy L-BFGS-B + finite differences", 0.0,
                        (lambda p=prob, f=f_np: run_scipy(p, f, None)), per_grad))
        reference_nit = None
        for entry in methods:
            label, setup, fn = entry[:3]
            if len(entry) == 4:
                estimate = entry[3] * max(reference_nit or 1, 1) * 1.5
                if estimate > args.fd_max_seconds:
                    rows.append((prob, label, None, None, None, None, None,
                                 f"skipped: {x0.size + 1} evaluations per gradient, "
                                 f"{fmt_time(entry[3])} each gradient, ~{estimate:.0f} s to "
                                 f"converge (est.)"))
                    print(f"{prob.name}: {label}: skipped", flush=True)
                    continue
            fn()  # untimed warm-up
            runs = [fn() for _ in range(repeats)]
            seconds = statistics.median(r[0] for r in runs)
            _, nit, nfev, fval, reached = runs[0]
            if reference_nit is None:
                reference_nit = nit
            rows.append((prob, label, seconds, nit, nfev, fval, setup, "" if reached else
                         "did not reach the tolerance"))
            print(f"{prob.name}: {label}: {fmt_time(seconds)}, {nit} iterations, "
                  f"{nfev} evaluations, f = {fval:.10g}{'' if reached else ' (NOT REACHED)'}",
                  flush=True)
    total = time.perf_counter() - started
    write(rows, total, args.quick)


def write(rows, total, quick):
    lines = [f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}; numpy {np.__version__}, scipy {scipy.__version__}, "
             f"jax {jax.__version__}; one BLAS/XLA thread; float64. "
             f"{'Quick run. ' if quick else ''}Total run {total:.0f} s.", "",
             "| problem | size | method | time to tolerance | iterations | function + gradient "
             "evaluations | one-time setup | final value |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for prob, label, seconds, nit, nfev, fval, setup, note in rows:
        if seconds is None:
            lines.append(f"| {prob.name} | {prob.size} | {label} | {note} | - | - | - | - |")
            continue
        extra = f" ({note})" if note else ""
        lines.append(f"| {prob.name} | {prob.size} | {label} | {fmt_time(seconds)}{extra} | "
                     f"{nit} | {nfev} | {fmt_time(setup) if setup else '-'} | {fval:.10g} |")
    lines += ["", "Tolerance: the value within a relative 1e-8 of the optimum (ridge: closed "
              "form; logistic: Newton to machine precision), 1e-6 for the factorization (the "
              "value of a long matdiff run from the same start)."]
    text = "\n".join(lines) + "\n"
    print(text)
    if not quick:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
