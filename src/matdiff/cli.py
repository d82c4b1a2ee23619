"""The command line: ``matdiff EXPR [--wrt NAME]... [--declare DECL]... [--hessian] [--latex]
[--check] [--steps [index]] [--verify ANSWER] [--code BACKEND] [--latex-input]
[--layout numerator|denominator] [--convention matdiff|cookbook] [--json]``.

A translator: the options become one :class:`matdiff.api.Request`, and the
:class:`matdiff.api.Answer` of :func:`matdiff.api.answer` is printed as text or as JSON.

Exit status: 0 on success, 1 for a bad expression (with a caret under the
offending spot, or a JSON error object with ``--json``), 2 for a bad command
line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import api
from .conventions import label

EXAMPLES = """examples:
  matdiff "1/N * norm(X*W - Y, 'fro')^2" --wrt W
  matdiff "x'*A*x" --declare "A: symmetric matrix" --check
  matdiff "sum(log(1 + exp(-y.*(X*w))))" --wrt w --latex
  matdiff "norm(W*u - v)^2" --json
  matdiff "1/N * norm(X*W - Y, 'fro')^2" --wrt W --hessian
  matdiff "A*X*B" --wrt X
  matdiff "softmax(W*x)" --wrt x --layout denominator
  matdiff "x'*S*x where S: symmetric matrix" --wrt S --convention cookbook
  matdiff "x'*A*x" --wrt x --verify "2*A*x"
  matdiff serve --port 8000     # the web page, at http://127.0.0.1:8000/
"""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="matdiff",
        description="Derivatives of matrix expressions in closed form, numerically checked.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("expression", help="the expression, in the matdiff language")
    p.add_argument("--wrt", action="append", default=[], metavar="NAME",
                   help="differentiate with respect to NAME (repeatable; default: every variable)")
    p.add_argument("--declare", action="append", default=[], metavar="DECL",
                   help='declare types, e.g. "A: symmetric matrix" or "X: matrix(N, d)"')
    p.add_argument("--latex", action="store_true", help="also print LaTeX")
    p.add_argument("--check", action="store_true",
                   help="show the check of every result against finite differences on random "
                        "data (every result is checked before it is printed in any case)")
    p.add_argument("--no-check", action="store_true",
                   help="do not check the results numerically before printing them")
    p.add_argument("--hessian", action="store_true",
                   help="also give the Hessian (and, for a matrix variable, its linear map)")
    p.add_argument("--steps", nargs="?", const="matrix", choices=list(api.STEPS),
                   help="show the derivation step by step (differentials; or 'index' for "
                        "entries and sums)")
    p.add_argument("--verify", metavar="CANDIDATE",
                   help="check your own answer for the derivative (needs exactly one --wrt)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    # --- generated code (issue 4)
    p.add_argument("--code", choices=list(api.BACKENDS),
                   help="print a Python module computing the value and the derivatives "
                        "(with --json: a \"code\" field)")
    # --- LaTeX input (issue 7)
    p.add_argument("--latex-input", action="store_true",
                   help="the expression is LaTeX (a where clause may follow in the plain language)")
    # --- layouts and conventions (issue 14)
    p.add_argument("--layout", choices=list(api.LAYOUTS), default="numerator",
                   help="a Jacobian's layout: numerator (matdiff's: m x n for f (m) by x (n)) "
                        "or denominator (its transpose)")
    p.add_argument("--convention", choices=list(api.CONVENTIONS), default="matdiff",
                   help="the gradient by a symmetric matrix: matdiff's (G + G')/2 or the "
                        "Matrix Cookbook's G + G' - G.*eye(n)")
    return p


def request(args: argparse.Namespace) -> api.Request:
    """The command line's options as a request to :func:`matdiff.api.answer`."""
    return api.Request(args.expression, tuple(args.wrt), tuple(args.declare),
                       latex_input=args.latex_input, hessian=args.hessian, latex=args.latex,
                       steps=args.steps, verify=args.verify, code=args.code, check=args.check,
                       self_check=not args.no_check, layout=args.layout,
                       convention=args.convention)


def run(args: argparse.Namespace) -> dict:
    """The JSON object the command line prints for these options."""
    return api.answer(request(args)).to_json()


# --- the text rendering ---------------------------------------------------------------------

def _dims(shape: str) -> str:
    """``matrix(d, c)`` -> ``d x c``; ``vector(n)`` -> ``n``."""
    inner = shape[shape.index("(") + 1:-1] if "(" in shape else ""
    if not inner:
        return "scalar"
    parts, depth, start = [], 0, 0  # split at the top-level commas: min(m,n) is one size
    for i, ch in enumerate(inner + ","):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    return " x ".join(parts)


def render_text(answer: api.Answer) -> str:
    """The answer as the command line prints it without ``--json``."""
    lines = [f"read as: {answer.read_as}"] if answer.read_as is not None else []
    lines += [f"note: {note}" for note in answer.notes]
    lines += [f"warning: {w.message}" for w in answer.warnings]
    lines.append("types: " + "; ".join(f"{n} {t}" for n, t in answer.types.items()))
    for r in answer.results:
        lines += _result_lines(r, answer.request)
    lines += [f"no derivative wrt {s.wrt}: {s.reason}" for s in answer.skipped]
    return "\n".join(lines)


def _result_lines(r: api.Result, req: api.Request) -> list[str]:
    how = label(r)
    kind = r.kind if r.kind != "map" else "hessian (as a map)" if r.of is not None else \
        "jacobian (as a map)"  # no kron/vec form: dF = dexpm(X, dX)
    lines = [f"{kind} wrt {r.wrt} ({_dims(r.shape)}{', ' + how if how else ''}):  {r.text}"]
    lines += [f"  {'where' if k == 0 else '     '} {name} = {text}"
              for k, (name, text) in enumerate(r.shown.texts)]
    if r.map is not None:
        lines.append(f"  map:    {r.map_text}")
    lines += [f"  {step.text}    [{step.rule}]" for step in r.steps or ()]
    if r.verdict is not None:
        lines.append(f"  your answer: {r.verdict.verdict}: {r.verdict.message}")
    if req.latex:
        lines.append(f"  latex:  {r.latex_where}")
    if req.check:
        c = r.check()
        verdict = "passed" if c.passed else "FAILED"
        if c.max_rel_error is None:
            verdict = "not checked" if c.outcome == "unchecked" else verdict
            lines.append(f"  check:  {c.message} ({verdict})")
        else:
            lines.append(f"  check:  max relative error {c.max_rel_error:.1e} ({verdict})")
    return lines


def print_answer(answer: api.Answer, as_json: bool) -> int:
    """Print the answer (an error on stderr, with a caret, or as JSON); the exit status."""
    if as_json:
        obj = answer.to_json()  # an error object is printed ASCII-only, as it always was
        print(json.dumps(obj, ensure_ascii=not answer.ok, allow_nan=False))
    elif answer.error is not None:
        print(answer.error.with_text(answer.request.expression).caret(), file=sys.stderr)
    elif answer.code is not None:  # the generated module alone
        print(answer.code, end="")
    else:
        print(render_text(answer))
    return 0 if answer.ok else 1


# --- the command line's own syntax ----------------------------------------------------------

# --steps takes an optional value
VALUED_OPTIONS = {"--wrt", "--declare", "--verify", "--layout", "--convention"}


def _option(arg: str, known: set[str]) -> str | None:
    """The option ``arg`` names (``--ver=x``: ``--verify``, as argparse abbreviates)."""
    name = arg.split("=", 1)[0]
    if name in known:
        return name
    longer = [k for k in known if name.startswith("--") and k.startswith(name)]
    return longer[0] if len(longer) == 1 else None


def protect_expression(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """Arguments that start with '-' but are not options reach argparse unmistaken: an
    expression (``-y'*log(p)``) after ``--``, an option's value (``--verify -2*x``) joined to
    the option (``--verify=-2*x``)."""
    known = {s for a in parser._actions for s in a.option_strings}
    out: list[str] = []
    expression = None
    rest = list(argv)
    while rest:
        a = rest.pop(0)
        if a == "--":
            return out + [a] + rest if expression is None else list(argv)
        option = _option(a, known)
        if option in VALUED_OPTIONS and "=" not in a and rest:
            out += _with_value(a, rest.pop(0), known)
        elif expression is None and a.startswith("-") and option is None \
                and not a.lstrip("-").isidentifier():
            expression = a
        else:
            out.append(a)
    return out + ["--", expression] if expression is not None else out


def _with_value(option: str, value: str, known: set[str]) -> list[str]:
    """``--verify -2*x`` as ``--verify=-2*x``: argparse would take ``-2*x`` for an option."""
    if value.startswith("-") and value != "--" and _option(value, known) is None:
        return [f"{option}={value}"]
    return [option, value]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # `matdiff serve [--host H] [--port P]`: the web page (issue 6)
        from .web.server import main as serve

        return serve(argv[1:])
    parser = build_parser()
    args = parser.parse_args(protect_expression(argv, parser))  # exits 2 on a bad command line
    return print_answer(api.answer(request(args)), args.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
