#!/usr/bin/env python
"""How long matdiff's answers are, and how long they take, as a network gets deeper.

    python benchmarks/answer_length.py            # 2, 4, 8, 16, 32, 48, 64 layers
    python benchmarks/answer_length.py 4 8 16     # chosen depths

For ``norm(W{k+1}*tanh(W{k}*...tanh(W1*x)) - y)^2`` (k tanh layers) it prints, for the
gradient by W1, the length of the answer as printed (with its where clause: activations
h1, h2, ... and back-propagated errors delta1, delta2, ... each written once), the length
of the same answer written out with no names (every activation repeated where it is used,
as matdiff printed before definitions), the time to derive and print each, and the
characters per layer.  With names the answer grows linearly; written out, quadratically.
Nothing is asserted (tests/test_definitions.py asserts the growth); the Markdown table
goes to stdout.
"""

from __future__ import annotations

import os
import sys
import time

try:
    import matdiff  # noqa: F401
except ImportError:  # run from the repository without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from matdiff import api
from matdiff.algebra import clear_caches

DEPTHS = (2, 4, 8, 16, 32, 48, 64)


def network(layers: int) -> str:
    e = "x"
    for i in range(1, layers + 1):
        e = f"tanh(W{i}*{e})"
    return f"norm(W{layers + 1}*{e} - y)^2"


def measure(layers: int) -> tuple[int, float, int, float]:
    """(named length, seconds to derive and print it, flat length, seconds to print it)."""
    clear_caches()
    start = time.perf_counter()
    result = api.answered(api.Request(network(layers), ("W1",), self_check=False)).results[0]
    named = len(result.text_where)
    named_seconds = time.perf_counter() - start
    start = time.perf_counter()
    flat = len(result.flat_text)
    return named, named_seconds, flat, time.perf_counter() - start


def main(argv: list[str]) -> None:
    depths = [int(a) for a in argv] or list(DEPTHS)
    print("| layers | answer (chars) | chars/layer | derive + print | written out (chars) "
          "| print written out |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for k in depths:
        named, t_named, flat, t_flat = measure(k)
        print(f"| {k} | {named} | {named / k:.0f} | {t_named * 1000:.0f} ms | {flat} "
              f"| {t_flat * 1000:.0f} ms |")


if __name__ == "__main__":
    main(sys.argv[1:])
