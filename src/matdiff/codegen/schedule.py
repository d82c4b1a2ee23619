"""Statements: the order in which nodes are computed and which of them get a name.

Children come before parents and the outputs in the order asked for.  A node
used once is written inline where it is used (when short); one used more than
once, an output, or a node printed as statements of its own gets a variable.
"""

from __future__ import annotations

from .lir import Node

INLINE_WIDTH = 70  # a longer expression gets a temporary even when used once


def schedule(roots: list[Node]) -> tuple[list[Node], dict[int, int]]:
    """Every node reachable from ``roots``, children first; and how often each is used."""
    order: list[Node] = []
    seen: set[int] = set()
    for r in roots:
        stack = [(r, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
                continue
            if n.id in seen:
                continue
            seen.add(n.id)
            stack.append((n, True))
            for a in reversed(n.args):
                if a.id not in seen:
                    stack.append((a, False))
    uses: dict[int, int] = {}
    for n in order:
        for a in n.args:
            uses[a.id] = uses.get(a.id, 0) + 1
    for r in roots:
        uses[r.id] = uses.get(r.id, 0) + 1
    return order, uses


def is_free(n: Node) -> bool:
    """Nodes that cost nothing to repeat: leaves, and the transpose of a vector or input."""
    return (n.op in ("arg", "const", "dimval", "slot")
            or (n.op == "T" and (n.layout == "vec" or n.args[0].op == "arg")))


# factorisations and matrix functions: always named, so that an expression reaching
# through a node to its argument (``dot`` of a transpose) never repeats one
NAMED = frozenset({"decomp", "matfun", "eigfun", "frechet", "eigfrechet", "sylvester"})


def inline(n: Node, text: str, uses: int, is_output: bool, has_statements: bool) -> bool:
    """Whether ``n``'s expression is written where it is used, rather than named."""
    if is_free(n):
        return True
    if n.op in NAMED:
        return False
    return uses <= 1 and not is_output and not has_statements and len(text) <= INLINE_WIDTH
