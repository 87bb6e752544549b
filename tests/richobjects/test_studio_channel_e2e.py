"""The studio and the console picker in a real browser, for a business with an
empty library (issue 20 items 2, 7, 9, 10): the picker explains the empty
library and leads to the studio; every starter round-trips exactly between
the form and the JSON tab; relative time slots, the iMessage app picker and a
rich-link image are edited without JSON; the picker marks what a Mac cannot
show before the agent picks it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import png_bytes

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")
ADMIN, PASSWORD = "empty-admin", "empty-password"
KINDS = {
    "quick_reply": "Quick reply",
    "list_picker": "List picker",
    "time_picker": "Time picker",
    "form": "Form",
    "apple_pay": "Apple Pay",
    "authentication": "Sign in",
    "imessage_app": "iMessage app",
    "rich_link": "Rich link",
}
SETUP = """
import json
from businesses.models import ChannelSettings, IMessageApp
from conversations.models import Business, Conversation, Customer
business = Business.objects.create(apple_id="empty-co-e2e", name="Empty Co")
ChannelSettings.objects.create(business=business, timezone="Europe/Paris")
IMessageApp.objects.create(
    business=business, app_id="1234567", name="Acme Configurator",
    bid="com.apple.messages.MSMessageExtensionBalloonPlugin:ABCDE12345:com.acme.ext",
    url="https://acme.example/app?start=1",
)
customer = Customer.objects.create(business=business, apple_id="urn:mbid:mac-e2e")
mac = Conversation.objects.create(
    business=business, customer=customer,
    capabilities=["QUICK", "LIST", "TIME"], device_agent="Mac OS X/15.0",
)
print(json.dumps({"business": business.pk, "conversation": mac.pk}))
"""


@pytest.fixture(scope="module")
def empty_business(live_stack: Any) -> dict[str, int]:
    output = live_stack.manage("shell", "-c", SETUP)
    ids = json.loads(output.strip().splitlines()[-1])
    live_stack.manage(
        "add_agent",
        ADMIN,
        "--business",
        "empty-co-e2e",
        "--password",
        PASSWORD,
        "--role",
        "admin",
    )
    return ids


def sign_in(browser: Browser, stack: Any) -> Page:
    page = browser.new_context(viewport={"width": 1360, "height": 1000}).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    page.errors = errors  # type: ignore[attr-defined]
    return page


def field(page: Page, path: str, control: str = "input, select, textarea") -> Any:
    return page.locator(f'[data-path="{path}"]').first.locator(control).first


def new_object(page: Page, stack: Any, business: int, kind: str) -> None:
    page.goto(
        f"{stack.base_url}/console/businesses/{business}/library/new/?kind={kind}"
    )
    expect(page.locator("#studio-fields .sf-field").first).to_be_visible()


def touch_the_form(page: Page) -> str:
    """An edit that changes nothing, so the form writes the JSON; returns it."""
    first = page.locator("#studio-fields input[type=text]").first
    first.focus()
    page.keyboard.press("End")
    page.keyboard.type("x")
    page.keyboard.press("Backspace")
    return page.locator("#id_spec").input_value()


def publish(page: Page, name: str) -> None:
    page.locator("#id_name").fill(name)
    expect(page.locator("#rich-preview")).to_have_attribute(
        "data-state", "valid", timeout=10000
    )
    page.get_by_role("button", name="Save and publish").click()
    expect(page.locator(".flash")).to_contain_text("Published")


def test_empty_library_round_trips_and_channel_facts_in_the_browser(
    live_stack: Any, browser: Browser, empty_business: dict[str, int], tmp_path: Path
) -> None:
    business, conversation = empty_business["business"], empty_business["conversation"]
    page = sign_in(browser, live_stack)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    # --- item 7: the picker explains the empty library and leads to the studio -------
    page.goto(f"{live_stack.base_url}/console/c/{conversation}/")
    page.click("#rich-button")
    expect(page.locator(".rich-empty")).to_contain_text("The library is empty")
    expect(page.locator(".rich-empty")).not_to_contain_text("Nothing matches")
    page.get_by_role("link", name="Create the first rich object").click()
    page.wait_for_url(f"**/console/businesses/{business}/library/new/")

    # --- item 2: form → JSON → form → JSON is byte-identical for every starter -------
    for kind in KINDS:
        new_object(page, live_stack, business, kind)
        served = page.locator("#id_spec").input_value()
        written = touch_the_form(page)
        page.get_by_role("tab", name="JSON").click()
        page.get_by_role("tab", name="Form").click()
        again = touch_the_form(page)
        assert served == written == again, kind
        page.screenshot(
            path=str(SCREENSHOTS / f"studio-starter-{kind}.png"), full_page=True
        )
        if kind == "apple_pay":
            expect(page.locator('[data-info="merchant"]')).to_contain_text(
                "Apple Pay is not set up"
            )
            expect(
                page.locator('[data-info="merchant"]').get_by_role("link")
            ).to_have_attribute(
                "href", f"/integrations/businesses/{business}/apple-pay/"
            )
        if kind == "authentication":
            expect(page.locator('[data-info="oauth"]')).to_contain_text(
                "No sign-in provider"
            )

    # --- item 2: the iMessage app comes from the business's apps ---------------------
    new_object(page, live_stack, business, "imessage_app")
    expect(field(page, "app", "select")).to_have_value("0")
    expect(field(page, "app_id")).to_have_value("1234567")
    expect(field(page, "extension_bundle_id")).to_have_value("com.acme.ext")
    field(page, "app_id").fill("42")
    expect(field(page, "app", "select")).to_have_value("0")
    page.locator('[data-path="app"] select').select_option(
        label="Acme Configurator (1234567)"
    )
    expect(field(page, "app_id")).to_have_value("1234567")
    publish(page, "Configurator")

    # --- item 10: relative slots, in the business's zone, edited without JSON ----------
    new_object(page, live_stack, business, "time_picker")
    expect(page.locator('[data-info="timeZone"]')).to_contain_text("Europe/Paris")
    field(page, "relative_slots.days").fill("2")
    field(page, "relative_slots.from").fill("09:00")
    page.get_by_role("tab", name="JSON").click()
    spec = json.loads(page.locator("#id_spec").input_value())
    assert spec["relative_slots"]["days"] == 2
    assert spec["relative_slots"]["from"] == "09:00"
    assert "slots" not in spec
    page.get_by_role("tab", name="Form").click()
    expect(page.locator("#rich-preview")).to_have_attribute("data-state", "valid")
    expect(page.locator("#rich-preview .rp-choices .rp-item").first).to_contain_text(
        "CE"  # CET or CEST: Paris time
    )
    # The text a Mac gets lists the slots, numbered, in Paris time.
    page.get_by_label("Mac, Watch or older iPhone (text)").check()
    expect(page.locator("#rich-preview .rp-text")).to_contain_text("1. ")
    expect(page.locator("#rich-preview .rp-text")).to_contain_text(":00-")
    page.get_by_label("iPhone (shows it)").check()
    page.screenshot(path=str(SCREENSHOTS / "studio-relative-slots.png"), full_page=True)
    publish(page, "Fitting")

    # --- item 2: a rich link's image, uploaded in the form ---------------------------
    picture = tmp_path / "shop.png"
    picture.write_bytes(png_bytes(800, 450))
    new_object(page, live_stack, business, "rich_link")
    field(page, "url").fill("https://acme.example/shop")
    page.locator('[data-path="image"] input[type=file]').set_input_files(str(picture))
    expect(field(page, "image", "select")).to_have_value(
        re.compile(r"^image\d+$"), timeout=10000
    )
    expect(page.locator("#rich-preview .rp-image")).to_be_visible(timeout=10000)
    page.screenshot(
        path=str(SCREENSHOTS / "studio-rich_link-image.png"), full_page=True
    )
    publish(page, "Shop link")

    new_object(page, live_stack, business, "form")
    publish(page, "Questions")

    # --- item 9: the picker marks what this Mac cannot show, before picking -----------
    page.goto(f"{live_stack.base_url}/console/c/{conversation}/")
    page.click("#rich-button")
    expect(page.locator(".rich-option")).to_have_count(4)
    for name in ("Questions", "Configurator"):
        option = page.locator(".rich-option", has_text=name)
        expect(option).to_have_attribute("data-device-shows", "false")
        expect(option).to_contain_text("goes as text on this device")
    for name in ("Fitting", "Shop link"):
        expect(page.locator(".rich-option", has_text=name)).to_have_attribute(
            "data-device-shows", "true"
        )
    page.screenshot(path=str(SCREENSHOTS / "picker-device-marks.png"))
    page.locator(".rich-option", has_text="Questions").click()
    expect(page.locator(".rich-alt")).to_contain_text(
        "1. What is it about? (choose one)"
    )
    expect(page.locator(".rich-alt")).to_contain_text("1.1 An order")
    page.click("#rich-send")
    expect(page.locator("#rich-picker")).to_be_hidden()
    expect(page.locator("#timeline .rich-sent-text_alternative")).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]
