"""The console on a 390 px phone: a menu button reaches every page, one pane at a
time, and no page is wider than the screen (issue 21, item 8)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.conversations.e2e.test_delivery_e2e import apple_post
from tests.helpers import inbound_body
from tests.live import BUILD

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

WIDTH = 390
ADMIN = ("e2e-phone-admin", "e2e-phone-admin-password")


def assert_fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"


def test_a_phone_reaches_settings_through_the_menu_without_overflow(
    live_stack: Any, browser: Browser
) -> None:
    live_stack.manage(
        "add_agent", ADMIN[0], "--business", live_stack.business_apple_id,
        "--role", "admin", "--password", ADMIN[1],
    )  # fmt: skip
    customer = f"urn:mbid:{uuid.uuid4().hex}{uuid.uuid4().hex}"
    body = inbound_body(
        business_id=live_stack.business_apple_id,
        customer_id=customer,
        type_="text",
        body="A long question from a phone-sized inbox " * 4,
    )
    assert apple_post(live_stack, body).status_code == 200

    errors: list[str] = []
    context = browser.new_context(viewport={"width": WIDTH, "height": 844})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = live_stack.base_url
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password").fill(ADMIN[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/")

    # The inbox alone, its links behind the menu button.
    menu = page.get_by_role("button", name="Menu")
    settings = page.locator("#console-nav").get_by_role("link", name="Settings")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(settings).to_be_hidden()
    row = page.locator("#inbox-list .row").first
    expect(row).to_be_visible(timeout=15000)
    assert_fits(page)
    BUILD.joinpath("screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(BUILD / "screenshots" / "inbox-390.png"))

    # A conversation replaces the list.
    row.locator("a").first.click()
    page.wait_for_url("**/console/c/*/")
    expect(page.locator("#inbox-list")).to_be_hidden()
    expect(page.locator("#composer, .composer").first).to_be_visible()
    assert_fits(page)

    # The menu opens, closes with Escape, and reaches Settings.
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(settings).to_be_visible()
    page.keyboard.press("Escape")
    expect(settings).to_be_hidden()
    menu.click()
    settings.click()
    page.wait_for_url("**/settings/")
    assert_fits(page)
    sections = page.locator("#settings-sections")
    for name in (
        "Teams & routing",
        "Entry links & QR codes",
        "Sign-in (OAuth)",
        "Apple Pay",
        "Webhooks",
        "Get started",
    ):
        sections.get_by_role("link", name=name).click()
        expect(sections.locator("[aria-current=page]")).to_have_text(name)
        assert_fits(page)
    assert errors == []
    context.close()
