"""The library studio in a real browser, as a business admin who never types JSON.

Against the live stack (Daphne, Celery, PostgreSQL, Redis, the sandbox as
Apple): build and publish a list picker with two sections and images, a time
picker with three slots, a two-page form and a quick reply with a placeholder;
restore an earlier version; send one to a sandbox customer and see the answer
in the console. Screenshots of each editor go to build/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import png_bytes

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")
ADMIN, PASSWORD = "studio-admin", "studio-password"


@pytest.fixture(scope="module")
def admin(live_stack: Any) -> str:
    live_stack.manage(
        "add_agent",
        ADMIN,
        "--business",
        live_stack.business_apple_id,
        "--password",
        PASSWORD,
        "--role",
        "admin",
    )
    # Business admins need no staff access: the console is their home.
    live_stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model as g; "
        f"g().objects.filter(username='{ADMIN}').update(is_staff=False)",
    )
    return ADMIN


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
    """The control editing spec field ``path`` (the form labels every field; paths
    tell repeated ones apart)."""
    return page.locator(f'[data-path="{path}"]').first.locator(control).first


def start(page: Page, kind_label: str, name: str) -> None:
    page.get_by_role("link", name="Library").first.click()
    page.get_by_role("link", name="New object").click()
    page.get_by_role("link", name=kind_label, exact=True).click()
    expect(page.locator("#studio-fields .sf-field").first).to_be_visible()
    page.get_by_label("Name").fill(name)


def preview_ok(page: Page) -> None:
    expect(page.locator("#rich-preview")).to_have_attribute(
        "data-state", "valid", timeout=10000
    )


def publish(page: Page, kind: str) -> None:
    preview_ok(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"studio-{kind}.png"), full_page=True)
    page.get_by_role("button", name="Save and publish").click()
    expect(page.locator(".flash")).to_contain_text("Published")
    expect(page.locator("#draft-banner")).to_have_count(0)


def test_admin_builds_every_picker_restores_and_tries_it_on_a_customer(
    live_stack: Any, browser: Browser, admin: str, tmp_path: Path
) -> None:
    page = sign_in(browser, live_stack)
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(180, 180))

    # --- list picker: two sections, images ---------------------------------------
    start(page, "List picker", "Studio: bikes")
    field(page, "received.title").fill("Pick your bike")
    page.locator('[data-path="received.image"] input[type=file]').set_input_files(
        str(logo)
    )
    expect(field(page, "received.image", "select")).to_have_value(
        # Named after its library id, which other tests' uploads move on.
        re.compile(r"^image\d+$"),
        timeout=10000,
    )
    field(page, "sections[0].title").fill("Bikes")
    field(page, "sections[0].items[0].title").fill("Gravel 700")
    field(page, "sections[0].items[0].image", "select").select_option(label="logo")
    page.get_by_role("button", name="Add section").click()
    # The new section's first field has the focus: the keyboard carries on.
    expect(field(page, "sections[1].title")).to_be_focused()
    page.keyboard.type("Extras")
    field(page, "sections[1].multiple_selection").check()
    field(page, "sections[1].items[0].title").fill("Lock")
    page.locator('[data-path="sections[1]"] .sf-add').click()
    field(page, "sections[1].items[1].title").fill("Lamp")
    # A builder rule shows beside its field as you type, and clears when fixed.
    field(page, "sections[1].items[1].title").fill("")
    expect(
        page.locator('[data-path="sections[1].items[1].title"] .sf-error')
    ).to_have_text("is required", timeout=10000)
    field(page, "sections[1].items[1].title").fill("Lamp")
    expect(
        page.locator('[data-path="sections[1].items[1].title"] .sf-error')
    ).to_be_hidden()
    # Reorder with the keyboard: Lamp before Lock.
    page.locator('[data-path="sections[1].items[1]"] .sf-up').focus()
    page.keyboard.press("Enter")
    expect(field(page, "sections[1].items[0].title")).to_have_value("Lamp")
    preview_ok(page)
    expect(page.locator("#rich-preview .rp-section")).to_have_count(2)
    expect(page.locator("#rich-preview .rp-image")).to_be_visible()
    # The device without list pickers gets the numbered text.
    page.get_by_label("Mac, Watch or older iPhone (text)").check()
    expect(page.locator("#rich-preview .rp-text")).to_contain_text("1. Gravel 700")
    page.get_by_label("iPhone (shows it)").check()
    # The JSON tab shows what the form wrote.
    page.get_by_role("tab", name="JSON").click()
    expect(page.locator("#id_spec")).to_have_value(
        re.compile(r'"multiple_selection": true')
    )
    page.get_by_role("tab", name="Form").click()
    publish(page, "list_picker")
    list_url = page.url

    # --- time picker: three slots ---------------------------------------------------
    start(page, "Time picker", "Studio: fitting")
    field(page, "title").fill("Bike fitting")
    field(page, "timezone_offset", "select").select_option(label="UTC+01:00")
    # The starter's slots are relative to the send time; these three are fixed.
    page.get_by_role("button", name="Remove slots relative to the send time").click()
    for _ in range(3):
        page.get_by_role("button", name="Add slot", exact=True).click()
    expect(page.locator('[data-path^="slots["].sf-item')).to_have_count(3)
    field(page, "slots[2].start").fill("2031-03-04T15:00")
    preview_ok(page)
    expect(page.locator("#rich-preview .rp-choices .rp-item")).to_have_count(3)
    expect(page.locator("#rich-preview")).to_contain_text("15:00")
    publish(page, "time_picker")

    # --- form: two pages, the flow shown -----------------------------------------------
    start(page, "Form", "Studio: service")
    field(page, "pages[0].title").fill("What needs fixing?")
    field(page, "pages[0].items[0].title").fill("Brakes")
    field(page, "pages[1].title").fill("Your name")
    expect(page.locator(".sf-flow")).to_contain_text("Start: topic")
    expect(page.locator(".sf-flow")).to_contain_text("name (input) → submits the form")
    # A next page that does not exist is refused beside the field.
    field(page, "pages[0].next", "select").select_option("")
    field(page, "pages[1].id").fill("other")
    expect(page.locator("#studio-form")).to_contain_text("unknown", timeout=10000)
    field(page, "pages[1].id").fill("name")
    field(page, "pages[0].next", "select").select_option("name")
    publish(page, "form")

    # --- quick reply with a placeholder -----------------------------------------------
    start(page, "Quick reply", "Studio: greeting")
    field(page, "summary").fill("Which size, ")
    page.get_by_label("Placeholder", exact=True).select_option("customer.name")
    page.get_by_role("button", name="Insert into the field I was in").click()
    expect(field(page, "summary")).to_have_value("Which size, {{customer.name|there}}")
    field(page, "items[0].title").fill("Small")
    field(page, "items[1].title").fill("Large")
    page.get_by_label("Fill placeholders for a sample customer").check()
    expect(page.locator("#rich-preview")).to_contain_text("Which size, Jane Appleseed")
    publish(page, "quick_reply")

    # --- versions: change, publish, compare, restore ------------------------------------
    field(page, "items[1].title").fill("Extra large")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#draft-banner")).to_contain_text("agents still send version 1")
    page.get_by_role("link", name="Versions and history").click()
    expect(page.locator("#diff")).to_contain_text("items[1]")
    expect(page.locator("#diff")).to_contain_text("Extra large")
    page.screenshot(path=str(SCREENSHOTS / "studio-history.png"), full_page=True)
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.locator(".flash")).to_contain_text("Restored version 1")
    expect(field(page, "items[1].title")).to_have_value("Large")

    # --- try it on a sandbox customer, answer, see it in the console ----------------------
    customer = browser.new_context().new_page()
    customer.goto(f"{live_stack.base_url}/sandbox/")
    customer.select_option("#business", live_stack.business_apple_id)
    customer.select_option("#device", "iphone")
    customer.fill("#display_name", "Studio Sam")
    customer.click("#start")
    expect(customer.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    customer.fill("#message-input", "Hello from the studio test")
    customer.click("#send-button")
    expect(customer.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    page.goto(list_url)
    try_it = page.locator("form.try-it")
    try_it.get_by_label("Customer").select_option(label="Studio Sam (iPhone (iOS 18))")
    with page.context.expect_page() as opened:
        try_it.get_by_role("button", name="Send the saved version").click()
    opened.value.wait_for_load_state()
    customer.locator(".card", has_text="Pick your bike").get_by_role(
        "button", name="Choose"
    ).click()
    customer.locator(".sheet label.item", has_text="Gravel 700").click()
    customer.locator(".sheet").get_by_role("button", name="Send").click()

    page.goto(f"{live_stack.base_url}/console/")
    opaque_id = customer.locator(".identity").inner_text().strip()
    page.locator("#inbox-list .row", has_text=opaque_id).locator("a").click()
    expect(page.locator("#timeline .answer-card").last).to_contain_text(
        "Gravel 700", timeout=20000
    )
    assert page.errors == []  # type: ignore[attr-defined]
