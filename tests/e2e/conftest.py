"""Browser fixtures of the Playwright tests: one Chromium per module, a fresh Chinese-locale page per
test that fails the test on any console error (e.g. a resource the CSP blocked, or an htmx error)."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e_kit import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is missing: run `make browser` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="zh-CN")
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.renkou_errors = errors  # a test that provokes an error response checks and clears it
    yield pg
    ctx.close()
    assert errors == []
