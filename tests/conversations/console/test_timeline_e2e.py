"""The conversation timeline on a team's first day, in a real browser.

A customer on the sandbox page answers a form; the agent, whose browser is in
Tokyo, sees the answer once as a card, every time in their own zone, the
device's details folded away, "Sent to Apple" under what went out, toasts clear
of the composer, and a rich picker that works from the keyboard. axe-core
(vendored) then checks the inbox, the conversation, the settings and the
library pages for serious or critical violations.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.accessibility import assert_accessible

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path("build/screenshots")
ADMIN, PASSWORD = "timeline-admin", "timeline-password"
AGENT_ZONE = "Asia/Tokyo"
GMT_PLUS_9 = re.compile(r"GMT\+9")
TYPED_NAME = "Quillon Marsh"  # appears once in the timeline, or the answer repeats

FORM_NAME = "Timeline service form"
FORM_SPEC = {
    "received": {"title": "Service request"},
    "splash": {
        "header": "Book a service",
        "text": "Two questions",
        "button_title": "Start",
    },
    "pages": [
        {
            "id": "kind",
            "type": "select",
            "title": "What needs fixing?",
            "next": "name",
            "items": [
                {"id": "brakes", "title": "Brakes", "value": "brakes"},
                {"id": "gears", "title": "Gears", "value": "gears"},
            ],
        },
        {"id": "name", "type": "input", "title": "Your name"},
    ],
}

SEED = """
import json
from conversations.models import Business
from richobjects import services
from richobjects.models import RichObject
business = Business.objects.get(apple_id={business!r})
found = RichObject.objects.filter(business=business, name={name!r}).first()
if found is None:
    found = services.rich_object_create(
        business=business, name={name!r}, kind="form", spec=json.loads({spec!r}), tags=["timeline"]
    )
    services.rich_object_publish(rich_object=found)
print(json.dumps({{"object": found.id, "business": business.id}}))
"""


def wait_for(
    predicate: Callable[[], Any], seconds: float = 20, what: str = "it"
) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen in {seconds}s")


@pytest.fixture(scope="module")
def seeded(live_stack: Any) -> dict[str, int]:
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
    output = live_stack.manage(
        "shell",
        "-c",
        SEED.format(
            business=live_stack.business_apple_id,
            name=FORM_NAME,
            spec=json.dumps(FORM_SPEC),
        ),
    )
    return json.loads(output.strip().splitlines()[-1])


def open_customer(browser: Browser, stack: Any) -> tuple[Page, str]:
    page = browser.new_context().new_page()
    page.goto(f"{stack.base_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", "iphone")
    page.fill("#display_name", "Timeline customer")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    page.fill("#message-input", "Hello, my gears slip")
    page.click("#send-button")
    return page, page.locator(".identity").inner_text().strip()


def find_conversation(stack: Any, opaque_id: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        answer = httpx.get(
            f"{stack.base_url}/api/v1/conversations/",
            params={"business": stack.business_apple_id},
            headers={"Authorization": f"Token {stack.agent_token}"},
            timeout=10,
        ).json()
        return next(
            (c for c in answer["results"] if c["customer"]["apple_id"] == opaque_id),
            None,
        )

    return wait_for(find, what="the conversation in the API")


def sign_in_in_tokyo(browser: Browser, stack: Any, errors: list[str]) -> Page:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        timezone_id=AGENT_ZONE,
        locale="en-US",
    )
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    return page


def tokyo_clock(iso: str) -> str:
    """How en-US writes the time of day ("3:07 PM") in the agent's zone."""
    local = datetime.fromisoformat(iso).astimezone(ZoneInfo(AGENT_ZONE))
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


def test_form_answer_reads_once_in_the_agents_zone_and_pages_pass_axe(
    live_stack: Any, browser: Browser, seeded: dict[str, int]
) -> None:
    customer, opaque_id = open_customer(browser, live_stack)
    conversation = find_conversation(live_stack, opaque_id)
    errors: list[str] = []
    console = sign_in_in_tokyo(browser, live_stack, errors)
    console.goto(f"{live_stack.base_url}/console/c/{conversation['id']}/")
    expect(console.locator("#connection")).to_have_text("Live")

    # One clock for everyone: the inbox row (server-rendered) and the timeline
    # (drawn in the browser) both say the customer's time in Tokyo.
    first = console.locator("#timeline .msg-in").first
    iso = first.locator("time").get_attribute("datetime")
    assert iso
    expect(first.locator("time")).to_contain_text(tokyo_clock(iso))
    expect(first.locator("time")).to_have_attribute("title", GMT_PLUS_9)
    row_time = console.locator(
        f'#inbox-list a[href^="/console/c/{conversation["id"]}/"] time'
    )
    expect(row_time).to_have_attribute("title", GMT_PLUS_9)
    row_iso = row_time.get_attribute("datetime")
    assert row_iso
    expect(row_time).to_contain_text(tokyo_clock(row_iso))

    # The device's details are folded until asked for.
    details = console.locator("#tech-details")
    expect(console.locator("#capabilities")).to_be_hidden()
    details.locator("summary").click()
    expect(console.locator("#capabilities")).to_contain_text("forms")

    # The picker from the keyboard: arrows into the results, Enter picks, Esc
    # closes and puts the agent back in the composer.
    console.click("#rich-button")
    console.fill("#rich-search", FORM_NAME)
    expect(console.locator(".rich-option")).to_have_count(1)
    console.locator("#rich-search").press("ArrowDown")
    expect(console.locator(".rich-option").first).to_be_focused()
    console.keyboard.press("Enter")
    expect(console.locator("#rich-preview")).to_be_visible()
    expect(console.locator(".rich-option").first).to_have_attribute(
        "aria-selected", "true"
    )
    assert_accessible(console, "the rich picker")
    console.keyboard.press("Escape")
    expect(console.locator("#rich-picker")).to_be_hidden()
    expect(console.locator("#composer-text")).to_be_focused()

    console.click("#rich-button")
    console.fill("#rich-search", FORM_NAME)
    expect(console.locator(".rich-option")).to_have_count(1)
    console.locator("#rich-search").press("ArrowDown")
    console.keyboard.press("Enter")
    console.click("#rich-send")
    expect(console.locator("#rich-picker")).to_be_hidden()
    question = console.locator("#timeline li.rich-interactive").last
    # Apple gives no delivery receipts: accepted is all the console can say.
    expect(question.locator(".state")).to_have_text("Sent to Apple", timeout=15000)

    customer.locator(".card", has_text="Book a service").get_by_role(
        "button", name="Start"
    ).click()
    customer.locator(".sheet label.item", has_text="Gears").click()
    customer.locator(".sheet").get_by_role("button", name="Next").click()
    customer.locator(".sheet input").fill(TYPED_NAME)
    customer.locator(".sheet").get_by_role("button", name="Submit").click()

    # The answer shows once: a card with the question and key/value rows; the
    # question only links to it.
    card = console.locator("#timeline .answer-card")
    expect(card).to_have_count(1, timeout=15000)
    expect(card.locator(".answer-question")).to_contain_text("Form")
    expect(card.locator(".answer-question")).to_contain_text("Service request")
    expect(card.locator("dt")).to_have_text(["What needs fixing?", "Your name"])
    expect(card.locator("dd")).to_have_text(["Gears", TYPED_NAME])
    expect(question.locator(".answered-link")).to_be_visible()
    assert console.locator("#timeline").inner_text().count(TYPED_NAME) == 1
    # The time under the card is the agent's too.
    card_iso = card.locator("time").get_attribute("datetime")
    assert card_iso
    expect(card.locator("time")).to_contain_text(tokyo_clock(card_iso))

    # A toast sits clear of the composer and goes by itself.
    console.click("#assign-me")
    toast = console.locator("#toast")
    expect(toast).to_be_visible()
    box, composer = toast.bounding_box(), console.locator("#composer").bounding_box()
    assert box
    assert composer
    assert box["y"] + box["height"] <= composer["y"], "the toast covers the composer"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card.scroll_into_view_if_needed()
    console.screenshot(path=str(SCREENSHOTS / "conversation-form-answer.png"))
    expect(toast).to_be_hidden(timeout=8000)

    assert_accessible(console, "a conversation with an answer card")
    console.goto(f"{live_stack.base_url}/console/")
    assert_accessible(console, "the inbox")
    business = seeded["business"]
    console.goto(f"{live_stack.base_url}/console/businesses/{business}/settings/")
    # Each business-hours control has its own name, not just a column header.
    expect(console.get_by_label("Open on Monday")).to_have_count(1)
    expect(console.get_by_label("Monday opens")).to_have_count(1)
    expect(console.get_by_label("Sunday closes")).to_have_count(1)
    assert_accessible(console, "the channel settings")
    console.goto(f"{live_stack.base_url}/console/businesses/{business}/library/")
    assert_accessible(console, "the library")
    console.goto(
        f"{live_stack.base_url}/console/businesses/{business}/library/{seeded['object']}/"
    )
    expect(console.locator("#rich-preview")).to_have_attribute(
        "data-state", "valid", timeout=10000
    )
    assert_accessible(console, "the library editor")
    assert errors == []
