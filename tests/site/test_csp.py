"""The Content-Security-Policy: sent on the site, the admin and the API docs, and none of them
breaks under it (headless Chromium reports no violation, and the pages still work)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User

from tests.support.browser import DESKTOP
from .test_browser import feature, seat, site_settings  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation, whether or not Chromium also logs it to the console.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def csp_page(chromium):
    context = chromium.new_context(viewport=DESKTOP, locale="en-US")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    console = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    return context, page, console


def assert_no_violation(page, console):
    assert page.evaluate("window.__csp") == []
    assert [text for text in console if "Content Security Policy" in text] == []


def test_the_policy_is_on_the_site_the_admin_and_the_docs(client, db):
    for path in ("/", "/admin/login/", "/api/docs/"):
        policy = client.get(path)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy, path
        assert "unsafe-eval" not in policy and not re.search(r"script-src[^;]*unsafe-inline", policy)


def test_the_seat_picker_works_under_the_policy(chromium, live_server, feature):  # noqa: F811
    context, page, console = csp_page(chromium)
    page.goto(f"{live_server.url}/showtimes/{feature.pk}/")
    seat(page, "C4").click()  # site.js runs: the selection and the total update without a reload
    expect(seat(page, "C4")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-selected-labels]")).to_have_text("C4")
    assert_no_violation(page, console)
    page.goto(f"{live_server.url}/")
    assert_no_violation(page, console)
    context.close()


def test_the_admin_and_the_api_docs_work_under_the_policy(chromium, live_server, feature):  # noqa: F811
    User.objects.create_superuser("root", "root@example.com", "pw-12345678")
    context, page, console = csp_page(chromium)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-12345678")
    page.locator("input[type=submit]").click()
    expect(page.locator("#site-name")).to_be_visible()
    assert_no_violation(page, console)
    page.goto(f"{live_server.url}/admin/cinema/showtime/")
    page.locator("#action-toggle").check()  # the changelist's own JS runs
    expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")
    assert_no_violation(page, console)
    page.goto(f"{live_server.url}/admin/cinema/showtime/{feature.pk}/change/")
    expect(page.locator("#showtime_form")).to_be_visible()
    assert_no_violation(page, console)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Cinema booking API")
    assert_no_violation(page, console)
    context.close()
