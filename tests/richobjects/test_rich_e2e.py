"""Rich objects end to end: console picker and bot API → strict sandbox gateway → customer page → answer in the console.

Real Daphne, Celery, PostgreSQL and Redis (``live_stack``), Debian's Chromium.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e


SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "E2E quick": (
        "quick_reply",
        {"summary": "Which size, {{customer.name}}?", "items": ["Small", "Large"]},
    ),
    "E2E list": (
        "list_picker",
        {
            "received": {"title": "Pick a bike"},
            "sections": [
                {
                    "title": "Bikes",
                    "items": [
                        {"id": "g700", "title": "Gravel 700"},
                        {"id": "r500", "title": "Road 500"},
                    ],
                }
            ],
        },
    ),
    "E2E time": (
        "time_picker",
        {
            "received": {"title": "Book a fitting"},
            "title": "Bike fitting",
            "slots": [
                {"id": "a", "start": "2031-12-01T10:00+0000", "duration": 1800},
                {"id": "b", "start": "2031-12-01T11:00+0000", "duration": 1800},
            ],
        },
    ),
    "E2E form": (
        "form",
        {
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
        },
    ),
}

SEED = """
import json
from conversations.models import Business
from richobjects import services
from richobjects.models import RichObject
business = Business.objects.get(apple_id={business!r})
ids = {{}}
for name, (kind, spec) in json.loads({specs!r}).items():
    found = RichObject.objects.filter(business=business, name=name).first()
    if found is None:
        found = services.rich_object_create(business=business, name=name, kind=kind, spec=spec, tags=["e2e"])
        services.rich_object_publish(rich_object=found)
    ids[name] = found.id
print(json.dumps(ids))
"""


def wait_for(
    predicate: Callable[[], Any], seconds: float = 20, what: str = "condition"
) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not met in {seconds}s")


@pytest.fixture(scope="module")
def library(live_stack: Any) -> dict[str, int]:
    output = live_stack.manage(
        "shell",
        "-c",
        SEED.format(business=live_stack.business_apple_id, specs=json.dumps(SPECS)),
    )
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture
def api(live_stack: Any) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_stack.base_url,
        headers={"Authorization": f"Token {live_stack.agent_token}"},
        timeout=15,
    ) as client:
        yield client


def open_customer(browser: Browser, stack: Any, device: str) -> tuple[Page, str]:
    page = browser.new_context().new_page()
    page.goto(f"{stack.base_url}/sandbox/")
    page.select_option("#business", stack.business_apple_id)
    page.select_option("#device", device)
    page.fill("#display_name", "Robin")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    page.fill("#message-input", "Hello, I need help")
    page.click("#send-button")
    return page, page.locator(".identity").inner_text().strip()


def conversation_id(api: httpx.Client, stack: Any, opaque_id: str) -> int:
    def find() -> int | None:
        answer = api.get(
            "/api/v1/conversations/", params={"business": stack.business_apple_id}
        )
        for conversation in answer.json()["results"]:
            if conversation["customer"]["apple_id"] == opaque_id:
                return conversation["id"]
        return None

    return wait_for(find, what="conversation in the API")


def open_console(browser: Browser, stack: Any, conversation: int) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{stack.base_url}/accounts/login/")
    page.get_by_label("Username").fill(stack.agent_username)
    page.get_by_label("Password").fill(stack.agent_password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{stack.base_url}/console/")
    page.goto(f"{stack.base_url}/console/c/{conversation}/")
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def pick_and_send(
    console: Page,
    query: str,
    name: str,
    *,
    slash: bool = False,
    params: dict[str, str] | None = None,
) -> None:
    if slash:
        console.locator("#composer-text").focus()
        console.keyboard.press("/")
        # "/" opens the canned-reply menu; its last entry is the library.
        console.locator("#canned-options [data-rich]").click()
    else:
        console.click("#rich-button")
    expect(console.locator("#rich-picker")).to_be_visible()
    console.fill("#rich-search", query)
    expect(console.locator(".rich-option")).to_have_count(1)
    console.locator(".rich-option", has_text=name).click()
    expect(console.locator("#rich-preview")).to_be_visible()
    for param, value in (params or {}).items():
        console.locator(f'input.rich-param[data-param="{param}"]').fill(value)
    console.click("#rich-send")
    expect(console.locator("#rich-picker")).to_be_hidden()


def messages(api: httpx.Client, conversation: int) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/conversations/{conversation}/messages/").json()["results"]


def answer_of(api: httpx.Client, conversation: int, question_id: int) -> dict | None:
    return next(
        (
            m
            for m in messages(api, conversation)
            if m["direction"] == "in"
            and (m["rich"] or {}).get("reply", {}).get("question") == question_id
        ),
        None,
    )


def last_sent(api: httpx.Client, conversation: int, name: str) -> dict[str, Any]:
    return wait_for(
        lambda: next(
            (
                m
                for m in reversed(messages(api, conversation))
                if (m["rich"] or {}).get("name") == name and m["status"] == "sent"
            ),
            None,
        ),
        what=f"{name} sent",
    )


def test_every_picker_from_console_and_api_is_answered_and_shown(
    live_stack: Any, browser: Browser, api: httpx.Client, library: dict[str, int]
) -> None:
    customer, opaque_id = open_customer(browser, live_stack, "iphone")
    conversation = conversation_id(api, live_stack, opaque_id)
    console = open_console(browser, live_stack, conversation)

    # Quick reply from the console ("/" shortcut), answered on the device.
    pick_and_send(
        console, "quick", "E2E quick", slash=True, params={"customer.name": "Robin"}
    )
    card = customer.locator(".card", has_text="Which size, Robin?")
    card.get_by_role("button", name="Large").click()
    question = last_sent(api, conversation, "E2E quick")
    assert question["rich"]["sent_as"] == "interactive"
    reply = wait_for(
        lambda: answer_of(api, conversation, question["id"]), what="quick answer"
    )
    assert "Large" in reply["rich"]["reply"]["summary"]
    expect(
        console.locator(f".answer-card[data-question='{question['id']}']")
    ).to_contain_text("Large", timeout=15000)

    # List picker from the console (button), answered on the device.
    pick_and_send(console, "list", "E2E list")
    customer.locator(".card", has_text="Pick a bike").get_by_role(
        "button", name="Choose"
    ).click()
    customer.locator(".sheet label.item", has_text="Road 500").click()
    customer.locator(".sheet").get_by_role("button", name="Send").click()
    question = last_sent(api, conversation, "E2E list")
    wait_for(lambda: answer_of(api, conversation, question["id"]), what="list answer")
    expect(
        console.locator(f".answer-card[data-question='{question['id']}']")
    ).to_contain_text("Road 500", timeout=15000)

    # Time picker by a bot through the API.
    sent = api.post(
        f"/api/v1/conversations/{conversation}/rich/",
        json={"object": library["E2E time"], "auto_reply": True},
    )
    assert sent.status_code == 201, sent.text
    customer.locator(".card", has_text="Book a fitting").get_by_role(
        "button", name="Choose a time"
    ).click()
    customer.locator(".sheet .item").first.click()
    reply = wait_for(
        lambda: answer_of(api, conversation, sent.json()["id"]), what="time answer"
    )
    assert reply["rich"]["reply"]["summary"]
    expect(
        console.locator(f".answer-card[data-question='{sent.json()['id']}']")
    ).to_be_visible(timeout=15000)

    # Form by the API too, answered page by page.
    sent = api.post(
        f"/api/v1/conversations/{conversation}/rich/",
        json={"object": library["E2E form"], "auto_reply": True},
    )
    assert sent.status_code == 201, sent.text
    customer.locator(".card", has_text="Book a service").get_by_role(
        "button", name="Start"
    ).click()
    customer.locator(".sheet label.item", has_text="Gears").click()
    customer.locator(".sheet").get_by_role("button", name="Next").click()
    customer.locator(".sheet input").fill("Robin")
    customer.locator(".sheet").get_by_role("button", name="Submit").click()
    reply = wait_for(
        lambda: answer_of(api, conversation, sent.json()["id"]), what="form answer"
    )
    assert "Robin" in reply["rich"]["reply"]["summary"]
    expect(
        console.locator(f".answer-card[data-question='{sent.json()['id']}']")
    ).to_contain_text("Robin", timeout=15000)
    expect(console.locator(".rich-sent-interactive").first).to_be_visible()
    console.screenshot(path="build/rich-objects-console.png", full_page=True)
    customer.screenshot(path="build/rich-objects-customer.png", full_page=True)


def test_old_device_gets_the_text_alternative(
    live_stack: Any, browser: Browser, api: httpx.Client, library: dict[str, int]
) -> None:
    customer, opaque_id = open_customer(browser, live_stack, "iphone_old")
    conversation = conversation_id(api, live_stack, opaque_id)
    console = open_console(browser, live_stack, conversation)

    # The console warns before sending, then shows which went out.
    console.click("#rich-button")
    console.fill("#rich-search", "form")
    console.locator(".rich-option", has_text="E2E form").click()
    expect(console.locator(".rich-fallback")).to_be_visible()
    console.click("#rich-send")
    sent = last_sent(api, conversation, "E2E form")
    assert sent["rich"]["sent_as"] == "text_alternative"
    assert sent["kind"] == "text"
    expect(
        console.locator(f"#m{sent['id']} .rich-sent-text_alternative")
    ).to_be_visible()
    # The device shows plain text, not an unsupported bubble.
    expect(
        customer.locator(".row.business .bubble", has_text=sent["text"])
    ).to_be_visible(timeout=15000)
    assert customer.locator(".unsupported").count() == 0

    # The same library's quick reply still goes out as a bubble on this device.
    bot = api.post(
        f"/api/v1/conversations/{conversation}/rich/",
        json={
            "object": library["E2E quick"],
            "params": {"customer.name": "Sam"},
            "auto_reply": True,
        },
    )
    assert bot.status_code == 201, bot.text
    assert bot.json()["rich"]["sent_as"] == "interactive"
    expect(customer.locator(".card", has_text="Which size, Sam?")).to_be_visible(
        timeout=15000
    )
