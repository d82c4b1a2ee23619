"""The web page shows an answer's warnings above its results (a real browser, as in
test_browser.py, whose fixtures this module uses)."""

from __future__ import annotations

from test_browser import browser, page, result, screenshot, server, type_and_derive, wait_idle

__all__ = ["browser", "page", "server"]  # fixtures, imported to be used here


def test_warning_above_the_results(page):
    type_and_derive(page, "x'*A*x/2 + b'*x + c")
    warning = page.locator("#results > p.warning")
    assert warning.count() == 1
    assert warning.inner_text().startswith("Warning: c is read as a scalar, not a vector")
    assert "where c: vector" in warning.inner_text()
    first = page.locator("#results > *").first
    assert first.evaluate("e => e.classList.contains('warning')")  # above the results
    assert result(page, "x").is_visible()
    assert page.locator("#extras").inner_text() == ""  # not shown twice
    screenshot(page, "warning")

    page.select_option("#variables select.kind[data-name='c']", "scalar")  # declared: no warning
    wait_idle(page)
    assert page.locator("#results > p.warning").count() == 0
    assert result(page, "x").is_visible()


def test_no_warning_for_conventional_names(page):
    type_and_derive(page, "x'*A*x")
    assert page.locator("#results > p.warning").count() == 0
