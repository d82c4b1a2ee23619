"""Matrix-chain ordering by flop count, for concrete or symbolic sizes.

A chain is a list of factors, each with a *kind* and a symbolic shape:

``dense``   an r x c array: the product of two dense groups costs r*k*c
            multiply-adds (a matrix-vector product r*k, a dot product k);
``diag``    diag(v), n x n, held as the vector v: applying it to an r x c
            group is a broadcast scaling (r*c), never the n x n matrix;
``inv``     inv(A), n x n, never formed: applying it to an n x c group is a
            solve (LU: 2/3 n^3 + 2 n^2 c);
``ones``    a vector of ones (n x 1 or 1 x n): applying it is a row or column
            sum (r*c).

:func:`plan` finds the cheapest parenthesisation by dynamic programming.  With
symbolic sizes it samples sizes (log-uniform, seeded) and collects the trees that
are optimal somewhere; one tree means a static decision, several mean a runtime
choice between their cost polynomials (:func:`cost_text`), evaluated on the
actual sizes when the generated function runs.  Intervals that are already
computed elsewhere (common subexpressions) cost nothing.

Pure Python: no numpy here (``import matdiff`` must stay light).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

Dim = int | str
Tree = int | tuple  # a leaf index, or (left, right)

N_SAMPLES = 48
MAX_CANDIDATES = 3


@dataclass(frozen=True)
class CFactor:
    kind: str  # dense | diag | inv | ones
    shape: tuple[Dim, Dim]


# ----------------------------------------------------------------------------- sizes


def dim_atoms(d: Dim) -> list[Dim]:
    """``'m*n'`` -> ``['m', 'n']``; ``6`` -> ``[6]``."""
    if isinstance(d, int):
        return [d]
    return [int(p) if p.isdigit() else p for p in str(d).split("*")]


def dim_value(d: Dim, sizes: Mapping[str, int]) -> int:
    v = 1
    for a in dim_atoms(d):
        v *= a if isinstance(a, int) else sizes[a]
    return v


def symbols_of(shapes: Sequence[tuple[Dim, Dim]]) -> list[str]:
    out: set[str] = set()
    for s in shapes:
        for d in s:
            out.update(a for a in dim_atoms(d) if isinstance(a, str))
    return sorted(out)


def sample_sizes(names: Sequence[str], count: int = N_SAMPLES, seed: int = 0) -> list[dict]:
    """Size assignments that cover the regimes: all equal, and log-uniform in [2, 10^4]."""
    rng = random.Random(seed)
    out = [{n: 100 for n in names}, {n: 1000 for n in names}]
    for _ in range(count):
        out.append({n: round(10 ** rng.uniform(0.3, 4.0)) for n in names})
    return out


# ----------------------------------------------------------------------------- cost model


def group_kind(kinds: Sequence[str], i: int, j: int) -> str:
    if i == j:
        return kinds[i]
    if all(k == "diag" for k in kinds[i:j + 1]):
        return "diag"
    return "dense"


def pair_cost(kl: str, kr: str, r: int, k: int, c: int) -> float:
    """Cost of (r x k group of kind kl) times (k x c group of kind kr)."""
    if kl == "diag" and kr == "diag":
        return k
    if kl == "diag":
        return k * c
    if kr == "diag":
        return r * k
    if kl == "ones" and kr == "ones":
        return k
    if kl == "ones":
        return k * c
    if kr == "ones":
        return r * k
    if kl == "inv":
        return 2 * k ** 3 / 3 + 2 * k * k * c
    if kr == "inv":
        return 2 * k ** 3 / 3 + 2 * k * k * r
    return r * k * c


def _pair_cost_text(kl: str, kr: str, r: str, k: str, c: str) -> str:
    def prod(*xs: str) -> str:
        xs = tuple(x for x in xs if x != "1")
        return "*".join(xs) if xs else "1"

    if kl == "diag" and kr == "diag":
        return k
    if kl in ("diag", "ones") and kr in ("diag", "ones") and kl == kr:
        return k
    if kl in ("diag", "ones"):
        return prod(k, c)
    if kr in ("diag", "ones"):
        return prod(r, k)
    if kl == "inv":
        return f"(2*{k}**3/3 + 2*{prod(k, k, c)})"
    if kr == "inv":
        return f"(2*{k}**3/3 + 2*{prod(k, k, r)})"
    return prod(r, k, c)


def best_tree(shapes: Sequence[tuple[int, int]], kinds: Sequence[str],
              known: Callable[[int, int], bool] = lambda i, j: False) -> tuple[Tree, float]:
    """The cheapest parenthesisation for concrete sizes (dynamic programming, O(k^3))."""
    k = len(shapes)
    cost = [[0.0] * k for _ in range(k)]
    split: list[list[int]] = [[-1] * k for _ in range(k)]
    for length in range(2, k + 1):
        for i in range(0, k - length + 1):
            j = i + length - 1
            if known(i, j):
                cost[i][j] = 0.0
                continue
            best, arg = float("inf"), -1
            for s in range(i, j):
                c = (cost[i][s] + cost[s + 1][j]
                     + pair_cost(group_kind(kinds, i, s), group_kind(kinds, s + 1, j),
                                 shapes[i][0], shapes[s][1], shapes[j][1]))
                if c < best - 1e-9:
                    best, arg = c, s
            cost[i][j], split[i][j] = best, arg

    def build(i: int, j: int) -> Tree:
        if i == j or split[i][j] < 0:
            return i if i == j else (i, j, "known")
        s = split[i][j]
        return (build(i, s), build(s + 1, j))

    return build(0, k - 1), cost[0][k - 1]


def tree_cost(tree: Tree, shapes: Sequence[tuple[int, int]], kinds: Sequence[str]) -> float:
    def rec(t: Tree) -> tuple[int, int, float]:
        if isinstance(t, int):
            return t, t, 0.0
        if len(t) == 3:  # a known interval
            return t[0], t[1], 0.0
        i, s, cl = rec(t[0])
        s2, j, cr = rec(t[1])
        return i, j, cl + cr + pair_cost(group_kind(kinds, i, s), group_kind(kinds, s2, j),
                                         shapes[i][0], shapes[s][1], shapes[j][1])

    return rec(tree)[2]


def cost_text(tree: Tree, shapes: Sequence[tuple[Dim, Dim]], kinds: Sequence[str],
              name: Callable[[str], str]) -> str:
    """The cost of a tree as a Python expression in the size variables."""
    terms: list[str] = []

    def dim(d: Dim) -> str:
        return "*".join(str(a) if isinstance(a, int) else name(a) for a in dim_atoms(d))

    def rec(t: Tree) -> tuple[int, int]:
        if isinstance(t, int):
            return t, t
        if len(t) == 3:
            return t[0], t[1]
        i, s = rec(t[0])
        _, j = rec(t[1])
        terms.append(_pair_cost_text(group_kind(kinds, i, s), group_kind(kinds, s + 1, j),
                                     dim(shapes[i][0]), dim(shapes[s][1]), dim(shapes[j][1])))
        return i, j

    rec(tree)
    return " + ".join(terms) if terms else "0"


def plan(factors: Sequence[CFactor], known: Callable[[int, int], bool] = lambda i, j: False,
         ) -> list[Tree]:
    """The candidate trees: one (a static decision) or several (chosen at run time by cost).

    Candidates are ordered by how often they are optimal over the sampled sizes.
    """
    shapes = [f.shape for f in factors]
    kinds = [f.kind for f in factors]
    if len(factors) <= 2:
        t, _ = best_tree([(1, 1)] * len(factors), kinds, known) if factors else (0, 0)
        return [t]
    names = symbols_of(shapes)
    if not names:
        t, _ = best_tree([(dim_value(a, {}), dim_value(b, {})) for a, b in shapes], kinds, known)
        return [t]
    wins: dict[Tree, int] = {}
    samples = sample_sizes(names)
    for sizes in samples:
        num = [(dim_value(a, sizes), dim_value(b, sizes)) for a, b in shapes]
        t, _ = best_tree(num, kinds, known)
        wins.setdefault(t, 0)
        wins[t] += 1
    ranked = sorted(wins, key=lambda t: -wins[t])
    if len(ranked) == 1:
        return ranked
    # the most frequent winners; a runner-up is kept only where it beats the ones kept
    # by more than 1% somewhere
    chosen = ranked[:MAX_CANDIDATES]
    keep = [chosen[0]]
    for t in chosen[1:]:
        gain = False
        for sizes in samples:
            num = [(dim_value(a, sizes), dim_value(b, sizes)) for a, b in shapes]
            if tree_cost(t, num, kinds) < 0.99 * min(tree_cost(u, num, kinds) for u in keep):
                gain = True
                break
        if gain:
            keep.append(t)
    return keep


def typical_cost(factors: Sequence[CFactor]) -> float:
    """The optimal cost averaged (geometrically) over sampled sizes: for static choices
    between whole alternatives (where to split a trace, where to put a scale)."""
    import math

    shapes = [f.shape for f in factors]
    kinds = [f.kind for f in factors]
    names = symbols_of(shapes)
    samples = sample_sizes(names, 16) if names else [{}]
    total = 0.0
    for sizes in samples:
        num = [(dim_value(a, sizes), dim_value(b, sizes)) for a, b in shapes]
        _, c = best_tree(num, kinds) if len(num) > 1 else (0, 0.0)
        total += math.log1p(c)
    return total / len(samples)


def typical_size(shape: tuple[Dim, Dim]) -> float:
    import math

    names = symbols_of([shape])
    samples = sample_sizes(names, 16) if names else [{}]
    return sum(math.log(dim_value(shape[0], s) * dim_value(shape[1], s)) for s in samples) / len(
        samples)
