"""Businesses in a real browser against the live stack, with the sandbox as Apple:
linking a Business ID through the landing page, and an entry link whose customer
is routed to the right team with the automatic greeting."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")
ADMIN = "e2e-business-admin"
ADMIN_PASSWORD = "e2e-admin-password"
GREETING = "Welcome to repairs 🔧 a mechanic will be with you shortly."


@pytest.fixture(scope="module")
def business_admin(live_stack: Any) -> str:
    live_stack.manage(
        "add_agent",
        ADMIN,
        "--business",
        live_stack.business_apple_id,
        "--role",
        "admin",
        "--password",
        ADMIN_PASSWORD,
    )
    return ADMIN


def watch_errors(page: Page, errors: list[str]) -> None:
    # Refused forms answer 400 on purpose; Chromium logs that as a console error.
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "status of 400" not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def png_bytes() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/console/")


def test_a_brand_signs_up_and_links_its_business_id(
    live_stack: Any, browser: Browser
) -> None:
    errors: list[str] = []
    context = browser.new_context()
    page = context.new_page()
    watch_errors(page, errors)
    base = live_stack.base_url

    page.goto(f"{base}/landing/?id=not-a-business-id")
    expect(page.locator("#landing-error")).to_contain_text(
        "does not carry a valid Apple Business ID"
    )

    apple_id = str(uuid.uuid4())
    # Linking needs proof: the brand comes with its MSP operator's signed link.
    grant_path = live_stack.manage("link_grant", apple_id).strip()
    page.goto(f"{base}{grant_path}&name=Velo%20Paris")
    expect(page.locator("#landing-apple-id")).to_have_text(apple_id)
    page.click("#landing-sign-up")
    page.get_by_label("Username").fill("velo-owner")
    page.get_by_label("Password", exact=True).fill("Velo-paris-2025!")
    page.get_by_label("Password confirmation").fill("Velo-paris-2025!")
    page.click("#signup-button")

    # Back on the landing page, signed in: the brand's name is offered.
    expect(page.get_by_label("Name of the new business account")).to_have_value(
        "Velo Paris"
    )
    page.click("#link-button")
    # The new owner lands on the checklist; nothing is done yet.
    page.wait_for_url("**/console/businesses/*/get-started/")
    expect(page.locator(".flash")).to_contain_text(
        f"{apple_id} is now linked to Velo Paris"
    )
    expect(page.locator("h1")).to_have_text("Get started with Velo Paris")
    checklist = page.locator("#checklist")
    expect(checklist.locator("[data-done=true]")).to_have_count(0)
    expect(checklist.locator(".step")).to_have_count(5)
    checklist.get_by_role("link", name="Channel settings").click()
    expect(page.locator("h1")).to_have_text("Channel settings of Velo Paris")

    # The new admin saves channel settings; a bad MIME type is explained.
    page.get_by_label("Display name").fill("Vélo Paris ✨")
    page.get_by_label("Away message").fill("Closed now, back at 9.")
    page.get_by_label("Allowed attachment types").fill("image/*, pdf")
    page.click("#save-settings")
    expect(page.locator(".has-errors .errors")).to_contain_text("Not MIME types: pdf")
    page.get_by_label("Allowed attachment types").fill("image/*, application/pdf")
    page.click("#save-settings")
    expect(page.locator(".flash")).to_contain_text("Channel settings saved.")
    expect(page.get_by_label("Display name")).to_have_value("Vélo Paris ✨")

    # The checklist ticks itself from what the business now has.
    page.get_by_role("link", name="Get started").click()
    expect(checklist.locator("[data-step=settings]")).to_have_attribute(
        "data-done", "true"
    )
    expect(checklist.locator("[data-step=logo]")).to_have_attribute(
        "data-done", "false"
    )
    checklist.get_by_role("link", name="Logo").click()
    page.get_by_label("Upload a logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    page.click("#save-settings")
    expect(page.locator("#logo-preview")).to_be_visible()
    page.get_by_role("link", name="Entry links & QR codes").click()
    page.get_by_label("Name").fill("Shop window")
    page.click("#save-entry")
    page.get_by_role("link", name="Get started").click()
    for step in ("settings", "logo", "entry-link"):
        expect(checklist.locator(f"[data-step={step}]")).to_have_attribute(
            "data-done", "true"
        )
    for step in ("agents", "library"):
        expect(checklist.locator(f"[data-step={step}]")).to_have_attribute(
            "data-done", "false"
        )
    expect(page.locator("#checklist-progress")).to_contain_text("3 of 5 steps done")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "onboarding.png"), full_page=True)

    # A second visit with the same ID says it is already linked.
    page.goto(f"{base}/landing/?id={apple_id}")
    expect(page.locator("#landing-status")).to_contain_text(
        "already linked to Velo Paris"
    )
    expect(page.locator("#link-form")).to_have_count(0)

    assert errors == []
    context.close()


def test_an_entry_link_routes_its_customer_to_the_right_team(
    live_stack: Any, browser: Browser, business_admin: str
) -> None:
    errors: list[str] = []
    base = live_stack.base_url
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    admin = context.new_page()
    watch_errors(admin, errors)
    sign_in(admin, base, business_admin, ADMIN_PASSWORD)

    # Teams and a rule: intent "repair" goes to Repairs with a greeting.
    admin.get_by_role("link", name="Settings").click()
    admin.get_by_role("link", name="Teams & routing").click()
    admin.fill("#id_team-name", "Repairs")
    admin.locator("#team-form").get_by_label(live_stack.agent_username).check()
    admin.click("#save-team")
    expect(admin.locator("#team-table")).to_contain_text(live_stack.agent_username)
    admin.fill("#id_rule-name", "Repair links")
    admin.fill("#id_rule-match_intent", "repair now")
    admin.select_option("#id_rule-team", label="Repairs")
    admin.click("#save-rule")
    expect(admin.locator("#rule-form .errors")).to_contain_text(
        "The intent may only use letters"
    )
    admin.fill("#id_rule-match_intent", "repair")
    admin.select_option("#id_rule-team", label="Repairs")
    admin.select_option("#id_rule-priority", "high")
    admin.fill("#id_rule-reply_text", GREETING)
    admin.click("#save-rule")
    expect(admin.locator("#rule-table")).to_contain_text("Repair links")

    # The entry link, with its copy button and QR downloads.
    admin.get_by_role("link", name="Entry links & QR codes").click()
    admin.get_by_label("Name").fill("Workshop")
    admin.get_by_label("Intent (biz-intent-id)").fill("repair")
    admin.get_by_label("Group (biz-group-id)").fill("paris-11")
    admin.get_by_label("Prefilled message (body)").fill("My bike needs a fix & a check")
    admin.click("#save-entry")
    link = admin.get_by_label("Link for Workshop")
    expected = (
        f"https://bcrw.apple.com/urn:biz:{live_stack.business_apple_id}"
        "?biz-intent-id=repair&biz-group-id=paris-11"
        "&body=My%20bike%20needs%20a%20fix%20%26%20a%20check"
    )
    expect(link).to_have_value(expected)
    entry = admin.locator(".entry", has_text="Workshop")
    entry.get_by_role("button", name="Copy").click()
    expect(entry.get_by_role("button", name="Copied")).to_be_visible()
    assert admin.evaluate("navigator.clipboard.readText()") == expected
    with admin.expect_download() as png:
        entry.get_by_role("link", name="QR code (PNG)").click()
    assert png.value.suggested_filename == "qr-Workshop.png"
    assert Path(png.value.path()).read_bytes().startswith(b"\x89PNG")
    with admin.expect_download() as svg:
        entry.get_by_role("link", name="QR code (SVG)").click()
    assert b"<svg" in Path(svg.value.path()).read_bytes()
    sandbox_url = entry.get_by_role("link", name="Try it in the sandbox").get_attribute(
        "href"
    )

    # The customer arrives through the link on the sandbox (Apple's side).
    customer_context = browser.new_context()
    customer = customer_context.new_page()
    customer.goto(f"{base}{sandbox_url}")
    expect(customer.locator("#intent")).to_have_value("repair")
    expect(customer.locator("#group")).to_have_value("paris-11")
    customer.select_option("#device", "iphone")
    customer.fill("#display_name", "Routed customer")
    customer.click("#start")
    expect(customer.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    expect(customer.locator("#message-input")).to_have_value(
        "My bike needs a fix & a check"
    )
    customer.click("#send-button")
    expect(customer.locator(".row.business .bubble", has_text=GREETING)).to_be_visible(
        timeout=20000
    )

    # The agent sees the route in the conversation header.
    agent_context = browser.new_context(viewport={"width": 1280, "height": 900})
    agent = agent_context.new_page()
    watch_errors(agent, errors)
    sign_in(agent, base, live_stack.agent_username, live_stack.agent_password)
    row = agent.locator("#inbox-list .row", has_text="paris-11")
    expect(row).to_be_visible(timeout=15000)
    row.locator("a").click()
    agent.wait_for_url("**/console/c/*/")
    route = agent.locator("#conversation-route")
    expect(route).to_contain_text("Routed to team Repairs")
    expect(route).to_contain_text("rule Repair links")
    expect(route).to_contain_text("priority High")
    expect(agent.locator("#timeline")).to_contain_text(GREETING)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    agent.screenshot(path=str(SCREENSHOTS / "businesses-routed-conversation.png"))
    admin.screenshot(
        path=str(SCREENSHOTS / "businesses-entry-points.png"), full_page=True
    )

    assert errors == []
    customer_context.close()
    agent_context.close()
    context.close()
