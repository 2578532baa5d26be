"""Fixtures of the site's tests: headless Chromium through Playwright (NOTES.md), screenshots."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"

UNSTICK = ".booking-bar { position: static !important; }"


def pytest_collection_modifyitems(config, items):
    """Run with `-p no:playwright` (fast runs), the browser tests are skipped, not errors."""
    if config.pluginmanager.hasplugin("playwright"):
        return
    skip = pytest.mark.skip(reason="pytest-playwright is disabled (-p no:playwright)")
    here = Path(__file__).resolve().parent
    for item in items:
        if "browser" in item.keywords and here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """How Debian's Chromium is launched here (NOTES.md: `playwright install` cannot download)."""
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="module")
def chromium(browser_type_launch_args):
    """One headless Chromium per test module, with Playwright stopped after it.

    Not pytest-playwright's session-wide `browser`, on purpose (and not named so, which would
    make the plugin parametrize and reorder these tests): Playwright keeps an asyncio
    loop running in the main thread while it lives, and Django refuses ORM calls beside a
    running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set (NOTES.md). Scoped to this module,
    the variable is set only while these tests run: no other test, nor a subprocess such as
    `manage.py check --deploy`, inherits it, and no later test runs beside a live loop."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(**browser_type_launch_args)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def screenshot(request):
    """screenshot(page, "step-name"): saves test-results/screenshots/<test>/<nn>-<step>.png."""
    folder = SCREENSHOTS / request.node.name.replace("[", "-").replace("]", "")
    folder.mkdir(parents=True, exist_ok=True)
    counter = {"n": 0}

    def take(page, step, full_page=True):
        counter["n"] += 1
        path = folder / f"{counter['n']:02d}-{step}.png"
        # In a full-page shot the sticky selection bar would sit over the middle of the map.
        page.screenshot(path=str(path), full_page=full_page, style=UNSTICK if full_page else None)
        return path

    return take
