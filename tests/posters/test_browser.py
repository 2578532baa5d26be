"""The site's cards with seed_demo's posters, in headless Chromium: every poster loads a WebP
size through srcset (the browser picks it), served from MEDIA_URL by the app."""

import pytest
from django.core.management import call_command


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_cards_load_the_poster_sizes(chromium, live_server, settings, tmp_path, screenshot):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.DEBUG = True  # static files through the finders
    call_command("seed_demo", verbosity=0)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("networkidle")

    images = page.locator("img.poster")
    assert images.count() == 5
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
        source = image.evaluate("img => img.currentSrc")
        assert "/media/posters/" in source and source.endswith(".webp")
    assert failed == []
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "home-with-posters", full_page=False)
