"""matdiff in Jupyter and IPython: ``%load_ext matdiff``, then

    %matdiff norm(W*u - v)^2 --wrt u --check
    %%matdiff --wrt x --steps
    x'*A*x where A: symmetric matrix
    sum(log(1 + exp(-y.*(X*w)))) + 1/2*norm(x)^2

The line magic takes an expression and the command line's options (parsed by the command
line's own parser, :func:`matdiff.cli.build_parser`, into the same :class:`matdiff.Request`);
the cell magic takes the options on its first line and one expression a line (blank lines and
lines starting with ``#`` are skipped). Each answer displays as typeset math (``text/latex``),
plain text (``text/plain``, what the command line prints) and an HTML table (``text/html``)
with the types, every derivative's LaTeX and text, its linear map, its numeric check and, when
asked for, its steps. The renderers here need no IPython; only the magics do.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import shlex
from collections.abc import Iterable
from typing import Any

from . import api, cli

__all__ = ["Answers", "answer_bundle", "load_ipython_extension", "parse_magic_line",
           "result_bundle", "run_cell", "run_line"]

_STYLE = ("<style>.matdiff{font-family:system-ui,sans-serif;font-size:14px;margin:4px 0}"
          ".matdiff table{border-collapse:collapse;margin-top:4px}"
          ".matdiff th{text-align:left;font-weight:600;padding:4px 12px 4px 0;"
          "vertical-align:top;white-space:nowrap}"
          ".matdiff td{padding:4px 0;vertical-align:top}"
          ".matdiff code{background:#f4f4f4;padding:1px 4px;border-radius:3px}"
          ".matdiff .ok{color:#1a7f37}.matdiff .bad{color:#cf222e}.matdiff .muted{color:#666}"
          ".matdiff ol{margin:2px 0 2px 18px;padding:0}"
          ".matdiff .expr{font-weight:600}</style>")


# --- rendering: an answer as a MIME bundle -------------------------------------------------


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _display_math(latex: str) -> str:
    return f'<span class="matdiff-tex">$${_e(latex)}$$</span>'


def _inline_math(latex: str) -> str:
    return f'<span class="matdiff-tex">\\({_e(latex)}\\)</span>'


def _check_html(r: api.Result, checked: bool) -> str:
    if not checked:
        return '<span class="muted">not checked (--no-check)</span>'
    c = r.check()
    if c.max_rel_error is None:
        return f'<span class="muted">{_e(c.message or "not checked")}</span>'
    cls, word = ("ok", "passed") if c.passed else ("bad", "FAILED")
    return (f'<span class="{cls}">max relative error {c.max_rel_error:.1e} ({word})</span> '
            '<span class="muted">against central finite differences at a random point</span>')


def _result_rows(r: api.Result, checked: bool) -> list[str]:
    rows = [f"<tr><th>{_e(r.kind)} wrt <code>{_e(r.wrt)}</code><br>"
            f'<span class="muted">{_e(r.shape)}</span></th>'
            f"<td>{_display_math(r.latex_where)}<code>{_e(r.text_where)}</code></td></tr>"]
    if r.map is not None and r.map_latex is not None and r.map_text is not None:
        rows.append(f"<tr><th>map</th><td>{_inline_math(r.map_latex)} &nbsp; "
                    f"<code>{_e(r.map_text)}</code></td></tr>")
    rows.append(f"<tr><th>check</th><td>{_check_html(r, checked)}</td></tr>")
    if r.steps:
        items = "".join(f"<li>{_inline_math(s.latex) if s.latex else f'<code>{_e(s.text)}</code>'}"
                        f' <span class="muted">[{_e(s.rule)}]</span></li>' for s in r.steps)
        rows.append(f"<tr><th>steps</th><td><ol>{items}</ol></td></tr>")
    if r.verdict is not None:
        rows.append(f"<tr><th>your answer</th><td><b>{_e(r.verdict.verdict)}</b>: "
                    f"{_e(r.verdict.message)}</td></tr>")
    return rows


def _answer_html(a: api.Answer) -> str:
    head = f'<div class="expr"><code>{_e(a.request.expression)}</code></div>'
    if a.error is not None:
        caret = a.error.with_text(a.request.expression).caret()
        return (f'<div class="matdiff">{head}<div class="bad">{_e(a.error.kind)} error</div>'
                f"<pre>{_e(caret)}</pre></div>")
    parts = [head]
    if a.read_as is not None:
        parts.append(f'<div class="muted">read as <code>{_e(a.read_as)}</code></div>')
    parts += [f'<div class="muted">note: {_e(n)}</div>' for n in a.notes]
    types = "; ".join(f"<code>{_e(n)}</code> {_e(t)}" for n, t in a.types.items())
    parts.append(f"<div>types: {types}</div>")
    checked = a.request.check or a.request.self_check
    rows = [row for r in a.results for row in _result_rows(r, checked)]
    rows += [f'<tr><th>no derivative wrt <code>{_e(s.wrt)}</code></th>'
             f'<td class="muted">{_e(s.reason)}</td></tr>' for s in a.skipped]
    parts.append("<table>" + "".join(rows) + "</table>")
    if a.code is not None:
        parts.append(f"<details><summary>generated code ({_e(a.request.code or '')})</summary>"
                     f"<pre>{_e(a.code)}</pre></details>")
    return '<div class="matdiff">' + "".join(parts) + "</div>"


def _answer_text(a: api.Answer) -> str:
    if a.error is not None:
        return a.error.with_text(a.request.expression).caret()
    if a.code is not None:
        return cli.render_text(a) + "\n" + a.code
    req = a.request
    # the check's figures are shown whenever the answer was checked
    shown = api.Request(req.expression, req.wrt, req.declarations, latex=req.latex,
                        check=req.check or req.self_check)
    return cli.render_text(api.Answer(shown, a.program, a.results, a.skipped))


def _answer_latex(a: api.Answer) -> str | None:
    if a.error is not None or not a.results:
        return None
    rows = [f"\\text{{{r.kind} wrt }} {_wrt_latex(r.wrt)} &:\\quad {r.latex_where}"
            for r in a.results]
    return "$$\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}$$"


def _wrt_latex(name: str) -> str:
    from .printing import latex_name

    return latex_name(name)


def answer_bundle(a: api.Answer) -> dict[str, str]:
    """An answer (or its error) as text/plain, text/html and, when it has results, text/latex."""
    out = {"text/plain": _answer_text(a), "text/html": _STYLE + _answer_html(a)}
    latex = _answer_latex(a)
    if latex is not None:
        out["text/latex"] = latex
    return out


def result_bundle(r: api.Result) -> dict[str, str]:
    """One result: its LaTeX, its text and an HTML table with its check (and steps)."""
    from .conventions import label

    html_rows = "".join(_result_rows(r, True))
    how = label(r)
    return {"text/plain": f"{r.kind} wrt {r.wrt} ({r.shape}{', ' + how if how else ''}):  "
                          f"{r.text_where}",
            "text/latex": f"$${r.latex_where}$$",
            "text/html": _STYLE + f'<div class="matdiff"><table>{html_rows}</table></div>'}


class Answers:
    """The answers of a ``%%matdiff`` cell, displayed one after the other; a list otherwise."""

    def __init__(self, answers: Iterable[api.Answer]):
        self.answers = list(answers)

    def __iter__(self) -> Any:
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    def __getitem__(self, i: int) -> api.Answer:
        return self.answers[i]

    def __repr__(self) -> str:
        return "\n\n".join(f"{a.request.expression}\n{_answer_text(a)}" for a in self.answers)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        bundles = [answer_bundle(a) for a in self.answers]
        out = {"text/plain": repr(self),
               "text/html": _STYLE + "<hr>".join(b["text/html"].removeprefix(_STYLE)
                                                 for b in bundles)}
        latex = [b["text/latex"] for b in bundles if "text/latex" in b]
        if latex:
            out["text/latex"] = "\n".join(latex)
        return out


# --- the magics ----------------------------------------------------------------------------


class MagicUsageError(ValueError):
    """A bad magic line: the command line's parser refused it (the message says why)."""


_OPTION = re.compile(r"(?:^|\s)(--[A-Za-z])")


def _split(line: str) -> tuple[str, str]:
    """The expression and the options of a magic line: the expression runs up to the first
    word that starts with ``--`` and a letter after a space (an option), unless it is
    quoted as a whole."""
    line = line.strip()
    if line[:1] in ("'", '"'):
        end = line.find(line[0], 1)
        while end != -1 and end + 1 < len(line) and not line[end + 1].isspace():
            end = line.find(line[0], end + 1)
        if end != -1:
            return line[1:end], line[end + 1:]
    options = [m for m in _OPTION.finditer(line) if m.start(1) > 0]
    if not options:
        return line, ""
    cut = options[0].start(1)
    return line[:cut].strip(), line[cut:]


def parse_magic_line(line: str, expression: str | None = None) -> Any:
    """The magic line's options through the command line's parser; ``expression`` given (a
    cell's line), the magic line holds options only. None after ``--help`` (printed)."""
    parser = cli.build_parser()
    if expression is None:
        expression, options = _split(line)
        if not expression:
            raise MagicUsageError("%matdiff needs an expression, e.g. %matdiff x'*A*x --wrt x")
    else:
        options = line
    try:
        words = shlex.split(options)
    except ValueError as e:
        raise MagicUsageError(f"cannot read the options {options!r}: {e}") from None
    argv = cli.protect_expression(words, parser) + ["--", expression]
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            return parser.parse_args(argv)
    except SystemExit as stop:
        if stop.code == 0:  # --help: argparse printed it
            return None
        message = err.getvalue().strip().splitlines()
        raise MagicUsageError(message[-1] if message else "bad options") from None


def run_line(line: str) -> Any:
    """What ``%matdiff LINE`` displays: the :class:`matdiff.Answer` (``--json``: its JSON)."""
    args = parse_magic_line(line)
    if args is None:  # --help
        return None
    answer = api.answer(cli.request(args))
    return answer.to_json() if args.json else answer


def run_cell(line: str, cell: str) -> Any:
    """What ``%%matdiff LINE`` with ``CELL`` displays: one answer per expression line."""
    expressions = [t.strip() for t in cell.splitlines()]
    expressions = [t for t in expressions if t and not t.startswith("#")]
    if not expressions:
        raise MagicUsageError("%%matdiff needs one expression a line in the cell")
    answers = []
    json_out = False
    for text in expressions:
        args = parse_magic_line(line, expression=text)
        if args is None:  # --help
            return None
        json_out = args.json
        answers.append(api.answer(cli.request(args)))
    if json_out:
        return [a.to_json() for a in answers]
    return Answers(answers)


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%matdiff`` / ``%%matdiff`` (``%load_ext matdiff``)."""
    from IPython.core.error import UsageError

    def matdiff(line: str, cell: str | None = None) -> Any:
        try:
            return run_line(line) if cell is None else run_cell(line, cell)
        except MagicUsageError as e:
            raise UsageError(f"%matdiff: {e}") from None

    matdiff.__doc__ = (__doc__ or "") + "\n" + cli.build_parser().format_help()
    ipython.register_magic_function(matdiff, magic_kind="line_cell", magic_name="matdiff")
    # answers and results display as LaTeX, text and HTML (with the checks) from now on; the
    # display lives here, so the core knows nothing of notebooks
    bundles = ipython.display_formatter.mimebundle_formatter
    bundles.for_type(api.Answer, answer_bundle)
    bundles.for_type(api.Result, result_bundle)


def unload_ipython_extension(ipython: Any) -> None:  # pragma: no cover - nothing to undo
    """Nothing to undo: the magic stays until the kernel restarts."""
