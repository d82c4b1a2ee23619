"""The command line: ``matdiff EXPR [--wrt NAME]... [--declare DECL]... [--hessian] [--latex] [--check] [--json]``.

Exit status: 0 on success, 1 for a bad expression (with a caret under the
offending spot, or a JSON error object with ``--json``), 2 for a bad command
line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from . import api
from .errors import MatdiffError, UnsupportedError
from .ir import shape_text
from .parse import parse_declarations
from .syntax import Declaration

EXAMPLES = """examples:
  matdiff "1/N * norm(X*W - Y, 'fro')^2" --wrt W
  matdiff "x'*A*x" --declare "A: symmetric matrix" --check
  matdiff "sum(log(1 + exp(-y.*(X*w))))" --wrt w --latex
  matdiff "norm(W*u - v)^2" --json
  matdiff "1/N * norm(X*W - Y, 'fro')^2" --wrt W --hessian
  matdiff "A*X*B" --wrt X
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
                   help="check every result against finite differences on random data")
    p.add_argument("--hessian", action="store_true",
                   help="also give the Hessian (and, for a matrix variable, its linear map)")
    p.add_argument("--steps", nargs="?", const="matrix", choices=["matrix", "index"],
                   help="show the derivation step by step (differentials; or 'index' for "
                        "entries and sums)")
    p.add_argument("--verify", metavar="CANDIDATE",
                   help="check your own answer for the derivative (needs exactly one --wrt)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    # --- generated code (issue 4)
    p.add_argument("--code", choices=["numpy", "jax", "torch", "dask"],
                   help="print a Python module computing the value and the derivatives "
                        "(with --json: a \"code\" field)")
    # --- LaTeX input (issue 7)
    p.add_argument("--latex-input", action="store_true",
                   help="the expression is LaTeX (a where clause may follow in the plain language)")
    return p


def _declarations(texts: list[str]) -> tuple[Declaration, ...]:
    out: list[Declaration] = []
    for t in texts:
        try:
            out.extend(parse_declarations(t))
        except MatdiffError as e:
            raise MatdiffError(f"in --declare {t!r}: {e.message}", None) from None
    return tuple(out)


def run(args: argparse.Namespace) -> dict:
    """Derive what the command line asks for; the JSON object the CLI prints."""
    decls = _declarations(args.declare)
    program = api.compile_program(args.expression, decls, require_scalar=args.hessian,
                                  latex=getattr(args, "latex_input", False))  # issue 7
    wrt = args.wrt or api.differentiable(program)
    results, skipped = [], []
    for name in wrt:
        try:
            results.append(api.derive(program, name))
            if args.hessian:
                results.append(api.derive_hessian(program, name, results[-1]))
        except UnsupportedError as e:
            if args.wrt:
                raise
            skipped.append({"wrt": name, "reason": e.message})
    if not results and skipped:
        raise UnsupportedError(skipped[0]["reason"]).with_text(args.expression)
    if not results:
        raise UnsupportedError("the expression has no variable to differentiate by").with_text(
            args.expression)
    if getattr(args, "steps", None):
        from .explain import index_steps, steps

        make = index_steps if args.steps == "index" else steps
        for r in results:
            if r.kind == "gradient":
                r.steps = make(program, r)
    if args.verify is not None:
        if len(args.wrt) != 1:
            raise UnsupportedError("--verify needs exactly one --wrt: the variable your answer "
                                   "is the derivative by").with_text(args.expression)
        from .verdict import verify_result

        results[0].verdict = verify_result(results[0], args.verify)
    out: dict = {
        "expression": args.expression,
        "function": {"text": results[0].function, "shape": shape_text(program.expr.shape)},
        "types": program.types,
        "results": [r.to_json(with_check=args.check) for r in results],
    }
    if skipped:
        out["skipped"] = skipped
    if getattr(args, "code", None):  # --- generated code (issue 4)
        from .codegen import build

        names = [r.wrt for r in results if r.kind != "hessian"]
        out["code"] = build(args.expression, names, args.code, args.hessian, decls,
                            program=program, results=results).source
    read_as, notes = api.reading(program)  # issue 7: how LaTeX / index sums were read
    if read_as is not None:
        out["read_as"] = read_as
    if notes:
        out["notes"] = list(notes)
    return out


def _dims(shape: str) -> str:
    """``matrix(d, c)`` -> ``d x c``; ``vector(n)`` -> ``n``."""
    inner = shape[shape.index("(") + 1:-1] if "(" in shape else ""
    return " x ".join(p.strip() for p in inner.split(",")) if inner else "scalar"


def render_text(out: dict, latex: bool) -> str:
    lines = ["types: " + "; ".join(f"{n} {t}" for n, t in out["types"].items())]
    # issue 7: how LaTeX / index sums were read, before the types
    lines[:0] = ([f"read as: {out['read_as']}"] if "read_as" in out else []) + [
        f"note: {note}" for note in out.get("notes", [])]
    for r in out["results"]:
        lines.append(f"{r['kind']} wrt {r['wrt']} ({_dims(r['shape'])}):  {r['text']}")
        if "map" in r:
            lines.append(f"  map:    {r['map']}")
        for step in r.get("steps", []):
            lines.append(f"  {step['text']}    [{step['rule']}]")
        if "verify" in r:
            lines.append(f"  your answer: {r['verify']['verdict']}: {r['verify']['message']}")
        if latex:
            lines.append(f"  latex:  {r['latex']}")
        if "check" in r:
            c = r["check"]
            verdict = "passed" if c["passed"] else "FAILED"
            lines.append(f"  check:  max relative error {c['max_rel_error']:.1e} ({verdict})")
    for s in out.get("skipped", []):
        lines.append(f"no derivative wrt {s['wrt']}: {s['reason']}")
    return "\n".join(lines)


VALUED_OPTIONS = {"--wrt", "--declare", "--verify"}  # --steps takes an optional value


def protect_expression(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """An expression may start with '-' (``-y'*log(p)``): pass it after ``--``."""
    known = {s for a in parser._actions for s in a.option_strings}
    out: list[str] = []
    expression = None
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            return argv
        if a in VALUED_OPTIONS and i + 1 < len(argv):
            out += [a, argv[i + 1]]
            i += 2
            continue
        if (expression is None and a.startswith("-") and a.split("=")[0] not in known
                and not a.lstrip("-").isidentifier()):
            expression = a
        else:
            out.append(a)
        i += 1
    return out + ["--", expression] if expression is not None else out


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # `matdiff serve [--host H] [--port P]`: the web page (issue 6)
        from .web.server import main as serve

        return serve(argv[1:])
    parser = build_parser()
    argv = protect_expression(argv, parser)
    args = parser.parse_args(argv)  # exits 2 on a bad command line
    try:
        out = run(args)
    except MatdiffError as e:
        if args.json:
            print(json.dumps({"error": e.to_json()}))
        else:
            e.with_text(args.expression)
            print(e.caret(), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    elif getattr(args, "code", None):  # --- generated code (issue 4): the module alone
        print(out["code"], end="")
    else:
        print(render_text(out, args.latex))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
