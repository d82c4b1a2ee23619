"""The IPython extension: ``%load_ext matdiff``, the ``%matdiff`` line magic and the
``%%matdiff`` cell magic in a kernel-less InteractiveShell, the MIME bundles they display, and
one rendered cell in headless Chromium (KaTeX typesets the math, as Jupyter's MathJax would)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

pytest.importorskip("IPython")

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import matdiff
from matdiff.notebook import Answers, _split, parse_magic_line

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "matdiff")
    return shell


def bundle(ip, obj) -> dict:
    data, _ = ip.display_formatter.format(obj)
    return data


def test_line_magic_answers_and_displays(ip):
    a = ip.run_line_magic("matdiff", "x'*A*x --wrt x --declare 'A: symmetric matrix' --steps")
    assert isinstance(a, matdiff.Answer) and a.ok
    assert [r.text for r in a.results] == ["2*A*x"]
    data = bundle(ip, a)
    assert {"text/plain", "text/html", "text/latex"} <= set(data)
    assert "gradient wrt x (n):  2*A*x" in data["text/plain"]
    assert "check:  max relative error" in data["text/plain"]
    assert "[read off the gradient]" in data["text/plain"]
    assert data["text/latex"].startswith("$$") and "2 A x" in data["text/latex"]
    page = data["text/html"]
    assert "<code>2*A*x</code>" in page and "$$2 A x$$" in page
    assert "(passed)" in page and "steps" in page and "read off the gradient" in page
    assert "symmetric matrix(n)" in page


def test_line_magic_matches_the_command_line(ip, capsys):
    line = "norm(W*u - v)^2 --wrt u --wrt W --check"
    a = ip.run_line_magic("matdiff", line)
    assert a.to_json() == matdiff.answer(matdiff.Request(
        "norm(W*u - v)^2", ("u", "W"), check=True)).to_json()
    from matdiff import cli

    cli.main(["norm(W*u - v)^2", "--wrt", "u", "--wrt", "W", "--check"])
    assert bundle(ip, a)["text/plain"] == capsys.readouterr().out.rstrip("\n")


def test_quoted_expression_and_leading_minus(ip):
    a = ip.run_line_magic("matdiff", "\"-y'*log(softmax(W*x))\" --wrt W")
    assert a.results[0].text == "(sum(y)*softmax(W*x) - y)*x'"
    b = ip.run_line_magic("matdiff", "-y'*log(softmax(W*x)) --wrt W")
    assert b.results[0].text == a.results[0].text
    c = ip.run_line_magic("matdiff", "norm(x - y)^2 --wrt x --verify '-2*(x - y)'")
    assert c.results[0].verdict.verdict == "wrong_value"


def test_split():
    assert _split("x'*A*x --wrt x") == ("x'*A*x", "--wrt x")
    assert _split("x - -y --wrt x") == ("x - -y", "--wrt x")
    assert _split("'a - b' --json") == ("a - b", " --json")
    assert _split("norm(W*u - v)^2") == ("norm(W*u - v)^2", "")


def test_help(ip, capsys):
    assert ip.run_line_magic("matdiff", "x --help") is None
    assert "--wrt NAME" in capsys.readouterr().out


def test_json_option(ip):
    out = ip.run_line_magic("matdiff", "x'*x --json")
    assert out["results"][0]["text"] == "2*x"


def test_hessian_map_and_code(ip):
    a = ip.run_line_magic("matdiff", "1/N * norm(X*W - Y, 'fro')^2 --wrt W --hessian "
                                     "--code numpy")
    data = bundle(ip, a)
    assert "2/N * X&#x27;*X*dW" in data["text/html"] or "2/N * X'*X*dW" in data["text/html"]
    assert "generated code (numpy)" in data["text/html"]
    assert "def f(" in data["text/plain"]


def test_error_is_displayed_not_raised(ip):
    a = ip.run_line_magic("matdiff", "A*x + y where A: matrix(m,n), x: vector(k)")
    assert not a.ok
    data = bundle(ip, a)
    assert data["text/plain"].startswith("error: matrix product")
    assert "shape error" in data["text/html"] and "^" in data["text/html"]
    assert "text/latex" not in data


def test_bad_options_are_usage_errors(ip):
    with pytest.raises(UsageError, match="--code"):
        ip.run_line_magic("matdiff", "x'*x --code fortran")
    with pytest.raises(UsageError, match="needs an expression"):
        ip.run_line_magic("matdiff", "")
    with pytest.raises(UsageError, match="unrecognized arguments"):
        ip.run_line_magic("matdiff", "x'*x --frobnicate")


def test_cell_magic(ip):
    cell = """
    # least squares, then the log-determinant
    1/N * norm(X*W - Y, 'fro')^2

    logdet(W)
    """
    out = ip.run_cell_magic("matdiff", "--wrt W --steps", cell)
    assert isinstance(out, Answers) and len(out) == 2
    assert [a.results[0].text for a in out] == ["2/N * X'*(X*W - Y)", "inv(W)'"]
    data = bundle(ip, out)
    assert data["text/plain"].startswith("1/N * norm(X*W - Y, 'fro')^2\ntypes:")
    assert data["text/html"].count('<div class="matdiff">') == 2
    assert data["text/latex"].count("aligned") == 4
    with pytest.raises(UsageError, match="one expression a line"):
        ip.run_cell_magic("matdiff", "", "\n# nothing\n")


def test_cell_magic_through_run_cell(ip):
    res = ip.run_cell("%%matdiff --wrt x\nx'*A*x\nsum(exp(x))\n")
    assert res.success and [a.results[0].text for a in res.result] == ["(A + A')*x", "exp(x)"]


def test_result_bundle(ip):
    r = matdiff.gradient("x'*A*x", "x")
    data, _ = ip.display_formatter.format(r)  # registered by %load_ext matdiff
    assert data["text/plain"] == "gradient wrt x (vector(n)):  (A + A')*x"
    assert data["text/latex"] == f"$${r.latex}$$"
    assert "(passed)" in data["text/html"]


def test_parse_magic_line_uses_the_cli_parser():
    args = parse_magic_line("x'*A*x --wrt x --declare 'A: symmetric matrix' --hessian")
    assert (args.expression, args.wrt, args.declare, args.hessian) == (
        "x'*A*x", ["x"], ["A: symmetric matrix"], True)


def test_import_matdiff_stays_light():
    import subprocess
    import sys

    code = ("import sys, matdiff; assert callable(matdiff.load_ipython_extension); "
            "print(sorted(m for m in ('IPython', 'sympy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_rendered_cell_screenshot(ip, tmp_path):
    """The HTML bundle of a cell in headless Chromium, math typeset by the vendored KaTeX."""
    from test_browser import ARTIFACTS, CHROMIUM_ARGS, chromium_path

    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("no browser driver: the 'playwright' package is not installed")
    out = ip.run_cell_magic("matdiff", "--wrt W --steps",
                            "1/N * norm(X*W - Y, 'fro')^2\n")
    page_html = render_page(bundle(ip, out)["text/html"])
    path = tmp_path / "cell.html"
    path.write_text(page_html)
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS,
                                         timeout=30_000)
        except Error as e:
            pytest.skip(f"no browser could be launched: {str(e).splitlines()[0]}")
        page = browser.new_page(viewport={"width": 900, "height": 600})
        page.goto(path.as_uri())
        page.wait_for_selector("html[data-ready='1']")
        assert page.locator(".matdiff-tex math").count() >= 9  # answer and steps typeset
        assert "(passed)" in page.inner_text(".matdiff")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notebook_cell.png"), full_page=True)
        browser.close()


def render_page(fragment: str) -> str:
    """A page holding an HTML bundle as a notebook's output area would, with KaTeX rendering
    the ``$$...$$`` and ``\\(...\\)`` spans as Jupyter's MathJax does."""
    katex = (ROOT / "src/matdiff/web/static/katex/katex.min.js").read_text()
    script = """
    for (const el of document.querySelectorAll('.matdiff-tex')) {
      const t = el.textContent; const display = t.startsWith('$$');
      katex.render(display ? t.slice(2, -2) : t.slice(2, -2), el,
                   {displayMode: display, output: 'mathml', throwOnError: true});
    }
    document.documentElement.dataset.ready = '1';
    """
    return ("<!doctype html><html><head><meta charset='utf-8'><style>body{margin:16px;"
            "font-family:system-ui}.prompt{color:#303f9f;font-family:monospace}"
            ".input{background:#f7f7f7;border:1px solid #e0e0e0;padding:6px;"
            "font-family:monospace;white-space:pre}</style></head><body>"
            "<div class='prompt'>In [1]:</div><div class='input'>"
            + html.escape("%%matdiff --wrt W --steps\n1/N * norm(X*W - Y, 'fro')^2")
            + "</div><div class='prompt'>Out[1]:</div>" + fragment
            + f"<script>{katex}</script><script>{script}</script></body></html>")


def test_tex_spans_are_well_formed(ip):
    out = ip.run_line_magic("matdiff", "1/N * norm(X*W - Y, 'fro')^2 --wrt W --steps")
    spans = re.findall(r'<span class="matdiff-tex">(.*?)</span>', bundle(ip, out)["text/html"])
    assert spans and all(s.startswith(("$$", "\\(")) for s in spans)
