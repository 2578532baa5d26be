"""Fixtures of the site's tests: Playwright on Debian's Chromium (NOTES.md), and booking helpers."""

import os
from pathlib import Path

import pytest


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
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
def allow_orm_beside_playwright():
    """Playwright keeps an event loop in the main thread from its first use to the end of the
    session, and Django refuses ORM calls next to a running loop unless this is set (NOTES.md).
    Set from the first browser test on, not at import: a test that runs before it and starts
    `manage.py check --deploy` in a subprocess must not inherit it."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, allow_orm_beside_playwright):
    return {
        **browser_type_launch_args,
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
