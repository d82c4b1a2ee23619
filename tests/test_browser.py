"""The web page in a real browser: headless Chromium, driven by Playwright, against
``matdiff serve`` started on a free port.

Typing each seed question must show typeset math (KaTeX's MathML) and the expected plain
text; a bad expression must show its message with the offending part highlighted.
Screenshots go to ``tests/artifacts/``. The browser is Debian's ``chromium`` (``make test``
installs it with apt-get where it can), or the one named by ``MATDIFF_CHROMIUM``; the tests are
skipped, saying why, only when no browser can be launched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import matdiff
from matdiff import cli

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MASKED = ("1/2*norm(P.*(M - U*V'), 'fro')^2 + lambda/2*(norm(U,'fro')^2 + norm(V,'fro')^2)"
          " where P: mask")
SEEDS = [
    ("1/N * norm(X*W - Y, 'fro')^2", {"W": "2/N * X'*(X*W - Y)"}),
    ("norm(W*u - v)^2", {"u": "2*W'*(W*u - v)", "v": "-2*(W*u - v)", "W": "2*(W*u - v)*u'"}),
    (MASKED, {"U": "lambda*U - (P.*(M - U*V'))*V", "V": "lambda*V - (P.*(M - U*V'))'*U"}),
    ("C/2 * sum(W.^2)", {"W": "C*W"}),
]


def chromium_path() -> str | None:
    """Debian's chromium (or MATDIFF_CHROMIUM); None: Playwright's own, if it has one."""
    if os.environ.get("MATDIFF_CHROMIUM"):
        return os.environ["MATDIFF_CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``matdiff serve`` in a subprocess on a free port; its address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    root = str(Path(matdiff.__file__).resolve().parents[1])  # this very matdiff
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [
        root, os.environ.get("PYTHONPATH")])))
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "matdiff", "serve", "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"matdiff serve did not start:\n{log.read_text()}")
            time.sleep(0.1)
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("no browser driver: the 'playwright' package is not installed "
                    "(pip install -e '.[test]')")
    exe = chromium_path()
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS, timeout=30_000)
    except Error as e:  # no browser here: say so, and which one was tried
        pw.stop()
        pytest.skip(f"no browser could be launched ({exe or 'Playwright-managed Chromium'}): "
                    f"{str(e).splitlines()[0]}. Install Debian's chromium (make test does, as "
                    "root) or set MATDIFF_CHROMIUM")
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1100, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    # a 400 answer is logged as a failed resource load: that is the page working
    page.on("console", lambda m: errors.append(f"console: {m.text}")
            if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.goto(server)
    page.wait_for_selector("html[data-ready='1']")
    yield page
    context.close()
    assert not errors


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def type_and_derive(page, expression: str) -> None:
    box = page.locator("#expression")
    box.fill("")
    box.press_sequentially(expression)
    box.press("Enter")
    wait_idle(page)


def wait_idle(page) -> None:
    page.wait_for_function("() => !document.body.classList.contains('busy')")


def result(page, wrt: str, kind: str = "gradient"):
    return page.locator(f".result[data-wrt='{wrt}'][data-kind='{kind}']")


def assert_rendered(card, text: str) -> None:
    """The card shows typeset math (KaTeX's MathML, no KaTeX error) and the plain text."""
    assert card.locator(".formula").first.locator(".katex math").count() == 1
    assert card.locator(".katex-error").count() == 0
    assert card.locator(".plain code").first.inner_text() == text


# ---- the seed questions ----------------------------------------------------------------------

@pytest.mark.parametrize("expression,expected", SEEDS, ids=["seed1", "seed2", "seed3", "seed4"])
def test_seed_question_is_typeset(page, expression, expected):
    type_and_derive(page, expression)
    assert page.locator("#error").is_hidden()
    for wrt, text in expected.items():
        card = result(page, wrt)
        assert_rendered(card, text)
        assert "passed" in card.locator(".check").inner_text()
    screenshot(page, f"seed-{SEEDS.index((expression, expected)) + 1}")


# ---- errors --------------------------------------------------------------------------------------

def test_error_is_highlighted(page):
    expression = "A*x + y where A: matrix(m,n), x: vector(k)"
    type_and_derive(page, expression)
    assert page.locator("#error").is_visible()
    assert "inner dimensions" in page.locator("#error-message").inner_text()
    assert page.locator("#error-context").inner_text() == expression
    mark = page.locator("#error-context mark.error-token")
    assert mark.inner_text() == "*"  # position 1, the product
    assert page.locator("#expression").get_attribute("aria-invalid") == "true"
    assert page.locator("#output").is_hidden()
    screenshot(page, "error")

    type_and_derive(page, "x'*A*x +")  # at the end of the input
    assert page.locator("#error-context mark.error-token.end").count() == 1
    type_and_derive(page, "x'*A*x + log(norm(foo, 'inf'))")
    assert page.locator("#error").is_visible()

    type_and_derive(page, "x'*A*x")  # fixed: the error goes away
    assert page.locator("#error").is_hidden()
    assert_rendered(result(page, "x"), "(A + A')*x")


def test_a_refused_request_shows_the_server_s_message(page):
    # a 413 (a declared size over the web's limit) is shown as the error it is
    type_and_derive(page, "sum(X) where X: matrix(8000, 8000)")
    assert page.locator("#error").is_visible()
    message = page.locator("#error-message").inner_text()
    assert "8000 x 8000" in message and "at most 1000" in message
    type_and_derive(page, "sum(X) where X: matrix(80, 80)")
    assert page.locator("#error").is_hidden()
    assert_rendered(result(page, "X"), "ones(80, 80)")


# ---- choices: variables, kinds, Hessian, examples, the address -----------------------------------

def test_declare_a_kind_in_the_table(page):
    type_and_derive(page, "x'*A*x")
    assert_rendered(result(page, "x"), "(A + A')*x")
    page.select_option("#variables select.kind[data-name='A']", "symmetric matrix")
    wait_idle(page)
    assert_rendered(result(page, "x"), "2*A*x")
    row = page.locator("#variables tr[data-name='A']")
    assert "symmetric matrix(n)" in row.inner_text() and "declared" in row.inner_text()
    sizes = page.locator("#variables input.sizes[data-name='x']")
    sizes.fill("k")
    sizes.press("Enter")
    wait_idle(page)
    assert "vector(k)" in page.locator("#variables tr[data-name='x']").inner_text()
    assert "declare=A" in page.url


def test_choose_variables_and_share_the_address(page, browser):
    type_and_derive(page, "norm(W*u - v)^2")
    assert result(page, "u").count() == 1
    page.uncheck("#variables input.by[data-name='u']")
    wait_idle(page)
    page.uncheck("#variables input.by[data-name='v']")
    wait_idle(page)
    assert result(page, "u").count() == 0 and result(page, "v").count() == 0
    assert_rendered(result(page, "W"), "2*(W*u - v)*u'")
    shared = page.url
    assert "#expr=" in shared and "wrt=W" in shared

    other = page.context.new_page()  # opening the shared address fills the box and derives
    other.goto(shared)
    other.wait_for_selector(".result[data-wrt='W']")
    assert other.locator("#expression").input_value() == "norm(W*u - v)^2"
    assert other.locator(".result").count() == 1
    assert_rendered(other.locator(".result[data-wrt='W']"), "2*(W*u - v)*u'")


def test_hessian(page):
    type_and_derive(page, "1/N * norm(X*W - Y, 'fro')^2")
    page.check("input[name='order'][value='hessian']")
    wait_idle(page)
    card = result(page, "W", "hessian")
    assert_rendered(card, "2/N * kron(eye(p), X'*X)")
    assert card.locator(".map-text").inner_text() == "2/N * X'*X*dW"
    assert card.locator(".formula.map math").count() == 1
    screenshot(page, "hessian")


def test_examples_dropdown(page):
    labels = page.locator("#examples option").all_inner_texts()
    for expression, _ in SEEDS:
        assert any(expression in label for label in labels), expression
    index = next(i for i, label in enumerate(labels) if MASKED in label) - 1
    page.select_option("#examples", str(index))
    wait_idle(page)
    page.wait_for_selector(".result[data-wrt='V']")
    assert page.locator("#expression").input_value() == MASKED
    assert sorted(page.locator(".result").evaluate_all("cs => cs.map(c => c.dataset.wrt)")) \
        == ["U", "V"]
    assert_rendered(result(page, "U"), "lambda*U - (P.*(M - U*V'))*V")


def test_copy_button(page):
    type_and_derive(page, "C/2 * sum(W.^2)")
    card = result(page, "W")
    button = card.locator("button.copy").first
    button.click()
    button.wait_for(state="visible")
    page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == "C*W"


def _cli_has(option: str) -> bool:
    return any(a.dest == option for a in cli.build_parser()._actions)


@pytest.mark.skipif(not _cli_has("steps"), reason="the CLI has no --steps yet")
def test_steps(page):
    type_and_derive(page, "C/2 * sum(W.^2)")
    page.check("#steps")
    wait_idle(page)
    steps = result(page, "W").locator(".steps li")
    assert steps.count() >= 2
    assert steps.first.locator("math").count() == 1


@pytest.mark.skipif(not _cli_has("verify"), reason="the CLI has no --verify yet")
def test_check_your_answer_from_the_address(page, server):
    page.goto(server + "#expr=norm(W*u+-+v)%5E2&wrt=u&answer=2*W%27*(W*u+-+v)")
    page.wait_for_selector(".result[data-wrt='u'] .verdict")
    assert page.locator(".verdict.correct").count() == 1


@pytest.mark.skipif(not _cli_has("code"), reason="the CLI has no --code yet")
def test_generated_code_is_shown(page):
    type_and_derive(page, "C/2 * sum(W.^2)")
    page.select_option("#code", "numpy")
    wait_idle(page)
    code = page.locator(".extra[data-key='code'] pre")
    assert "import numpy" in code.inner_text()
    assert "code=numpy" in page.url
