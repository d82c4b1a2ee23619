"""The web page as a new user finds it (issue 14), in a real browser as in test_browser.py,
whose fixtures this module uses: one test per problem found, each with a screenshot in
``tests/artifacts/``.
"""

from __future__ import annotations

import json

import pytest
from test_browser import (
    ARTIFACTS,
    assert_rendered,
    browser,
    page,
    result,
    screenshot,
    server,
    type_and_derive,
    wait_idle,
)

__all__ = ["browser", "page", "server"]  # fixtures, imported to be used here

LATEX = r"\|Xw - y\|^2"
NETWORK = "norm(W4*tanh(W3*tanh(W2*tanh(W1*x))) - y)^2"
SUM = "tr(A*X*B*X'*C) + x'*X*y + sum(X.^2) + logdet(X)"


def shown(page) -> list[str]:
    return page.locator(".result").evaluate_all("cs => cs.map(c => c.dataset.wrt)")


def count_requests(page) -> list[str]:
    """The bodies of the requests to the API from now on (a list that grows)."""
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.post_data or "")
            if r.url.endswith("/api/derive") else None)
    return sent


def snap(locator, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# ---- 1. LaTeX with implicit products: the ticks and kinds are matdiff's names -------------

def test_latex_implicit_products_can_be_ticked_and_declared(page):
    type_and_derive(page, LATEX)
    assert shown(page) == ["X", "w", "y"]
    page.uncheck("#variables input.by[data-name='y']")
    wait_idle(page)
    assert shown(page) == ["X", "w"]
    assert "wrt=X" in page.url and "wrt=w" in page.url and "wrt=y" not in page.url

    page.select_option("#variables select.kind[data-name='X']", "symmetric matrix")
    wait_idle(page)
    row = page.locator("#variables tr[data-name='X']")
    assert "symmetric matrix(n)" in row.inner_text() and "declared" in row.inner_text()
    assert page.locator("#variables select.kind[data-name='X']").input_value() \
        == "symmetric matrix"
    assert_rendered(result(page, "w"), "2*X*(X*w - y)")
    assert shown(page) == ["X", "w"]  # the choice of variables held
    assert "declare=X" in page.url
    screenshot(page, "issue14-latex-implicit")

    other = page.context.new_page()  # and the address brings both back
    other.goto(page.url)
    other.wait_for_selector(".result[data-wrt='w']")
    assert other.locator(".result").evaluate_all("cs => cs.map(c => c.dataset.wrt)") \
        == ["X", "w"]
    assert other.locator(".result[data-wrt='w'] .plain code").first.inner_text() \
        == "2*X*(X*w - y)"


# ---- 2. a kind declared for one expression is not carried over to another ----------------

def test_a_kind_stays_with_its_expression(page):
    type_and_derive(page, "x'*A*x")
    page.select_option("#variables select.kind[data-name='A']", "symmetric matrix")
    wait_idle(page)
    assert_rendered(result(page, "x"), "2*A*x")

    type_and_derive(page, "norm(A*x - b)^2")  # another expression: inference again
    assert page.locator("#variables select.kind[data-name='A']").input_value() == ""
    assert "inferred" in page.locator("#variables tr[data-name='A']").inner_text()
    assert_rendered(result(page, "A"), "2*(A*x - b)*x'")
    assert "declare=" not in page.url
    offer = page.locator("#dropped")
    assert offer.is_visible() and "A: symmetric matrix" in offer.inner_text()
    screenshot(page, "issue14-kind-not-carried")

    offer.locator("button").click()  # declared again, on purpose
    wait_idle(page)
    assert "symmetric matrix(n)" in page.locator("#variables tr[data-name='A']").inner_text()
    assert "declare=A" in page.url and offer.is_hidden()

    type_and_derive(page, "norm(A*x - b)^2 ")  # the same expression (spaces aside): kept
    assert "declared" in page.locator("#variables tr[data-name='A']").inner_text()

    type_and_derive(page, "A*B")  # no longer offered once gone unused
    type_and_derive(page, "tr(A)")
    assert page.locator("#dropped").is_hidden()


def test_the_table_belongs_to_the_answered_expression(page):
    type_and_derive(page, "x'*A*x")
    page.fill("#expression", "tr(A*B)")  # typed, not derived yet: the table is x'*A*x's
    page.select_option("#variables select.kind[data-name='A']", "symmetric matrix")
    wait_idle(page)
    page.wait_for_selector(".result[data-wrt='B']")
    assert "inferred" in page.locator("#variables tr[data-name='A']").inner_text()
    assert "x" not in shown(page) and "declare=" not in page.url
    assert "A: symmetric matrix" in page.locator("#dropped").inner_text()
    page.uncheck("#variables input.by[data-name='B']")
    assert shown(page) == ["A"]
    page.fill("#expression", "x'*A*x")  # ticks of another expression: only its names
    page.press("#expression", "Enter")
    wait_idle(page)
    assert shown(page) == ["A"]
    page.fill("#expression", "x'*B*x")
    page.press("#expression", "Enter")
    wait_idle(page)
    assert sorted(shown(page)) == ["B", "x"]


# ---- 3. checking one's answer: pick the variable, no unticking; ticks do not re-derive ----

def test_check_an_answer_without_unticking(page):
    sent = count_requests(page)
    page.locator("#answer-box summary").click()
    page.fill("#expression", "norm(W*u - v)^2")
    page.fill("#answer", "2*(W*u - v)*u'")
    page.press("#answer", "Enter")  # one Enter: derived, then the answer checked by W
    page.wait_for_selector(".verdict")
    wait_idle(page)
    assert page.locator("#check-by").input_value() == "W"  # the likely parameter
    assert page.locator(".result[data-wrt='W'] .verdict.correct").count() == 1
    assert len(sent) == 2

    page.select_option("#check-by", "u")  # another variable: picked, not ticked
    page.fill("#answer", "2*W'*(W*u - v)")
    page.press("#answer", "Enter")
    page.wait_for_selector(".result[data-wrt='u'] .verdict")
    wait_idle(page)
    assert page.locator(".result[data-wrt='u'] .verdict.correct").count() == 1
    assert sorted(shown(page)) == ["W", "u", "v"]  # what is shown stays
    assert page.locator(".verdict").count() == 1
    assert "answer=" in page.url and "by=u" in page.url
    screenshot(page, "issue14-check-answer")

    page.fill("#answer", "")  # no answer: every variable again, then ticks choose among them
    page.press("#expression", "Enter")
    wait_idle(page)
    assert sorted(shown(page)) == ["W", "u", "v"]
    before = len(sent)
    page.uncheck("#variables input.by[data-name='u']")
    page.uncheck("#variables input.by[data-name='v']")
    assert shown(page) == ["W"] and "wrt=W" in page.url
    page.check("#variables input.by[data-name='v']")
    assert sorted(shown(page)) == ["W", "v"]
    assert len(sent) == before  # shown again from the answer already there


@pytest.mark.parametrize("expression,by", [
    ("1/N * norm(X*W - Y, 'fro')^2", "W"), ("x'*A*x", "x"), ("tr(A*X*B)", "X"),
    ("-1/2*logdet(S) - 1/2*(x - mu)'*inv(S)*(x - mu)", "x"), ("logdet(S) + a*tr(S)", "S")])
def test_the_answer_is_checked_by_the_likely_parameter(page, expression, by):
    type_and_derive(page, expression)
    assert page.locator("#check-by").input_value() == by
    page.check("#variables input.by[data-name='" + by + "']")  # all ticked already
    options = page.locator("#check-by option").evaluate_all("os => os.map(o => o.value)")
    assert sorted(options) == sorted(page.locator("#variables tbody tr").evaluate_all(
        "rs => rs.map(r => r.dataset.name)"))


def test_ticks_keep_the_verdict(page):
    type_and_derive(page, "norm(W*u - v)^2")
    sent = count_requests(page)
    page.locator("#answer-box summary").click()
    page.select_option("#check-by", "v")  # nothing to check yet: nothing asked
    assert sent == []
    page.fill("#answer", "-2*(W*u - v)")
    page.press("#answer", "Enter")
    page.wait_for_selector(".result[data-wrt='v'] .verdict.correct")
    wait_idle(page)
    assert len(sent) == 1 and '"verify"' in sent[0]  # the derivatives were there already
    page.uncheck("#variables input.by[data-name='u']")
    page.wait_for_selector(".result[data-wrt='u']", state="detached")
    wait_idle(page)
    assert sorted(shown(page)) == ["W", "v"]
    assert page.locator(".result[data-wrt='v'] .verdict.correct").count() == 1

    page.fill("#answer", "-2*(W*u - v) +")  # a mistake in the answer is shown in the answer
    page.press("#answer", "Enter")
    page.wait_for_selector("#error:not([hidden])")
    assert page.locator("#error-message").inner_text().startswith("in your answer")
    assert page.locator("#error-context").inner_text().startswith("-2*(W*u - v) +")
    assert page.locator("#error-context mark.error-token.end").count() == 1  # at its end
    assert page.locator("#answer").get_attribute("aria-invalid") == "true"
    assert page.locator("#expression").get_attribute("aria-invalid") is None


# ---- 4. how LaTeX was read: a line above f, not a raw heading at the bottom ----------------

def test_read_as_is_a_reading_not_a_raw_field(page):
    type_and_derive(page, LATEX)
    reading = page.locator("#reading .read-as")
    assert reading.is_visible()
    assert reading.locator("code").inner_text() == "norm(X*w - y)^2"
    assert page.locator("#extras").inner_text() == ""
    assert page.get_by_text("read_as").count() == 0
    box = reading.bounding_box()
    assert box is not None and box["y"] < page.locator("#function").bounding_box()["y"]

    type_and_derive(page, r"\mathbf{1}^\top x")
    assert "bold 1" in page.locator("#reading .note").inner_text()
    assert page.locator("#extras").inner_text() == ""
    screenshot(page, "issue14-read-as")

    type_and_derive(page, "x'*A*x")  # plain text: nothing to say
    assert page.locator("#reading").inner_text() == ""


# ---- 5. ones is a bold 1 -------------------------------------------------------------------

def test_ones_is_typeset_bold(page):
    type_and_derive(page, "sum(x)")
    card = result(page, "x")
    assert_rendered(card, "ones(n)")
    one = card.locator(".formula [mathvariant='bold']")
    assert one.text_content() == "1"
    assert int(one.evaluate("e => getComputedStyle(e).fontWeight")) >= 700

    type_and_derive(page, "x'*ones(n) + x'*X*y")  # in a sum too (the text writes 1)
    card = result(page, "x")
    assert_rendered(card, "1 + X*y")
    assert card.locator("annotation").text_content().startswith("\\mathbf{1} + ")
    assert int(card.locator(".formula [mathvariant='bold']").evaluate(
        "e => getComputedStyle(e).fontWeight")) >= 700
    snap(card, "issue14-ones")


# ---- 6. a 390 px phone: no horizontal scroll -------------------------------------------------

def page_width(page) -> int:
    return page.evaluate("Math.max(document.documentElement.scrollWidth, "
                         "document.body.scrollWidth)")


def test_fits_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    assert page_width(page) <= 390
    type_and_derive(page, NETWORK)
    page.locator("#answer-box summary").click()
    assert page_width(page) <= 390
    assert page.locator("#variables tr[data-name='W1'] select.kind").is_visible()
    page.select_option("#variables select.kind[data-name='x']", "symmetric matrix")
    wait_idle(page)
    assert page_width(page) <= 390
    type_and_derive(page, "A*x + y where A: matrix(m,n), x: vector(k)")  # an error
    assert page.locator("#error").is_visible()
    assert page_width(page) <= 390
    type_and_derive(page, "1/N * norm(X*W - Y, 'fro')^2")
    page.check("input[name='order'][value='hessian']")
    wait_idle(page)
    assert page_width(page) <= 390
    screenshot(page, "issue14-phone")


# ---- 7. long answers stay in their box -------------------------------------------------------

def inside(page, selector: str) -> bool:
    """Every element matching selector ends within its result card (what overflows it is
    inside a box that scrolls)."""
    return page.evaluate("""s => [...document.querySelectorAll(s)].every(e => {
        const card = e.closest('.result').getBoundingClientRect();
        const r = e.getBoundingClientRect();
        return r.left >= card.left - 0.5 && r.right <= card.right + 0.5; })""", selector)


def test_a_long_sum_wraps_between_terms(page):
    page.set_viewport_size({"width": 390, "height": 844})
    type_and_derive(page, SUM)
    text = result(page, "X").locator(".plain code").first.inner_text()
    box = result(page, "X").locator(".formula")
    terms = box.locator(".term")
    assert terms.count() == 5
    tops = {round(t.bounding_box()["y"]) for t in terms.all()}
    assert len(tops) >= 2  # on more than one line
    assert box.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
    assert inside(page, ".result .formula, .result .plain code")
    snap(result(page, "X"), "issue14-long-sum")

    page.set_viewport_size({"width": 1100, "height": 900})  # room enough: one formula again
    page.wait_for_function("() => !document.querySelector('.formula.terms')")
    assert_rendered(result(page, "X"), text)


# one long product, which names cannot shorten (each factor is used once)
LONG_TERM = "tr(" + "*".join(f"Layer{i}" for i in range(1, 23)) + "*W1)"  # 23 variables


def test_a_long_term_scrolls_inside_its_box(page):
    for width in (1100, 390):
        page.set_viewport_size({"width": width, "height": 900})
        type_and_derive(page, LONG_TERM)
        box = result(page, "W1").locator(".formula")
        assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # it scrolls, within
        assert box.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert inside(page, ".result .formula, .result .plain, .result .plain code")
        assert page_width(page) <= width
        text = result(page, "W1").locator(".plain code").first
        assert text.evaluate("e => e.scrollWidth <= e.clientWidth + 1")  # the text wraps
        snap(result(page, "W1"), f"issue14-long-term-{width}")


def test_definitions_are_listed_under_where(page):
    """An answer with named subexpressions (stubbed: the engine may not give them yet)."""
    answer = {
        "expression": "norm(W2*tanh(W1*x) - y)^2",
        "function": {"text": "norm(W2*tanh(W1*x) - y)^2", "shape": "scalar"},
        "types": {"W2": "matrix(n, m)", "W1": "matrix(m, k)", "x": "vector(k)",
                  "y": "vector(n)"},
        "results": [{
            "wrt": "W1", "kind": "gradient", "shape": "matrix(m, k)",
            "text": "2*(W2'*r.*(1 - h1.^2))*x'",
            "latex": "2 (W_{2}^\\top r \\odot (\\mathbf{1} - h_{1}^{\\circ 2})) x^\\top",
            "definitions": [
                {"name": "h1", "text": "tanh(W1*x)", "latex": "\\tanh\\left(W_{1} x\\right)"},
                {"name": "r", "text": "W2*h1 - y", "latex": "W_{2} h_{1} - y"},
                {"name": "<img src=x onerror=alert(1)>", "text": "<b>not html</b>"},
            ],
        }],
    }
    page.route("**/api/derive", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    type_and_derive(page, answer["expression"])
    card = result(page, "W1")
    where = card.locator(".where-box")
    assert where.locator(".label").inner_text() == "where"
    items = where.locator("li")
    assert items.count() == 3
    assert items.nth(0).locator("math").count() == 1
    assert "h" in items.nth(0).inner_text() and "tanh" in items.nth(0).inner_text()
    assert items.nth(2).inner_text() == "<img src=x onerror=alert(1)> = <b>not html</b>"
    assert page.locator("#results img, #results b").count() == 0  # text, never HTML
    listed = card.locator(".where-text li").all_inner_texts()
    assert listed[:2] == ["h1 = tanh(W1*x)", "r = W2*h1 - y"]
    assert card.locator(".katex-error").count() == 0
    assert page.get_by_text("definitions").count() == 0  # not shown as a raw field
    card.locator("button.copy").first.click()
    page.wait_for_function("() => document.querySelector('button.copy').textContent "
                           "=== 'Copied'")
    assert page.evaluate("navigator.clipboard.readText()").startswith(
        "2*(W2'*r.*(1 - h1.^2))*x' where h1 = tanh(W1*x), r = W2*h1 - y")
    snap(card, "issue14-definitions")


def test_layout_and_convention_are_labels_not_raw_fields(page):
    """Fields of the answers the page may get soon (stubbed): a Jacobian's layout, a
    symmetric gradient's convention, an answer correct under an assumption."""
    answer = {
        "expression": "softmax(x) + trace(S)*x",
        "function": {"text": "softmax(x) + tr(S)*x", "shape": "vector(n)"},
        "types": {"x": "vector(n)", "S": "symmetric matrix(n)"},
        "results": [
            {"wrt": "x", "kind": "jacobian", "shape": "matrix(n, n)", "layout": "denominator",
             "text": "diag(s) - s*s'", "latex": "\\operatorname{diag}(s) - s s^\\top",
             "verify": {"verdict": "wrong", "suggestion": None,
                        "message": "your answer is correct if the Jacobian is laid out in "
                                   "the numerator layout. As written: wrong",
                        "correct_if": ["the Jacobian is laid out in the numerator layout"]}},
            {"wrt": "S", "kind": "jacobian", "shape": "matrix(n, n*n)",
             "convention": "cookbook", "text": "x*vec(eye(n))'", "latex": "x \\cdots"},
        ],
    }
    page.route("**/api/derive", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(answer)))
    type_and_derive(page, answer["expression"])
    assert "(n × n, denominator layout, the transpose)" in \
        result(page, "x", "jacobian").locator("h3").inner_text()
    assert "Matrix Cookbook convention" in result(page, "S", "jacobian").locator("h3").inner_text()
    assert page.locator(".extra").count() == 0
    assert page.locator(".verdict.conditional").count() == 1


def test_a_derivative_that_is_a_map_alone_is_labelled(page):
    """expm(X) by X has no matrix form: the card says it is the derivative as a map."""
    type_and_derive(page, "expm(X)")
    card = page.locator(".result[data-kind='map']")
    assert card.locator("h3").inner_text().startswith("Jacobian as a map by")
    assert "dexpm(X, dX)" in card.locator(".plain code").first.inner_text()
