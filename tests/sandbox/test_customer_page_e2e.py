"""The customer page in a real Chromium against the real stack (Daphne, Celery, PostgreSQL, Redis).

Uses the session fixture ``live_stack`` (``tests/conftest.py``): ``base_url``,
``business_apple_id``, ``agent_token``, ``agent_username`` and ``agent_password``.
The sandbox is the stack's Apple gateway, so everything the agent sends crosses
the strict gateway before it reaches the page.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.sandbox import samples

# No django_db: everything goes through the live stack, and Playwright holds an event loop.
pytestmark = pytest.mark.e2e

GREETING = "Hello from the sandbox 👋🏽🚲 ¿qué tal?"
REPLY = "Thanks for writing! 🙌"


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


@pytest.fixture
def api(live_stack: Any) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=live_stack.base_url,
        headers={"Authorization": f"Token {live_stack.agent_token}"},
        timeout=15,
    ) as client:
        yield client


class AgentSocket:
    """The agent's console WebSocket, read in a thread so tests can wait for events."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for raw in self.socket:
                self.events.put(json.loads(raw))
        except Exception:  # noqa: BLE001 - the socket closes when the test ends
            return

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], seconds: float = 15
    ) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=max(0.05, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.seen.append(event)
            if match(event):
                return event
        raise AssertionError("the agent socket did not see the expected event")


@contextmanager
def agent_socket(stack: Any) -> Iterator[AgentSocket]:
    """Sign in as the agent (session cookie) and open ``/ws/console/``."""
    cookie = stack.agent_cookie()
    with connect(
        stack.agent_socket_url,
        additional_headers={"Cookie": cookie, "Origin": stack.base_url},
    ) as ws:
        yield AgentSocket(ws)


def open_customer_page(browser: Browser, base_url: str, business: str) -> Page:
    page = browser.new_page()
    page.goto(f"{base_url}/sandbox/")
    page.select_option("#business", business)
    page.select_option("#device", "iphone")
    page.fill("#display_name", "Playwright")
    page.click("#start")
    expect(page.locator("#connection")).to_have_attribute(
        "data-state", "open", timeout=15000
    )
    return page


def conversation_of(
    api: httpx.Client, business: str, opaque_id: str
) -> dict[str, Any] | None:
    answer = api.get("/api/v1/conversations/", params={"business": business}).json()
    return next(
        (c for c in answer["results"] if c["customer"]["apple_id"] == opaque_id), None
    )


def messages_of(api: httpx.Client, conversation_id: int) -> list[dict[str, Any]]:
    return api.get(f"/api/v1/conversations/{conversation_id}/messages/").json()[
        "results"
    ]


def test_customer_page_holds_a_conversation(
    live_stack: Any, browser: Browser, api: httpx.Client
) -> None:
    business = live_stack.business_apple_id
    page = open_customer_page(browser, live_stack.base_url, business)
    opaque_id = page.locator(".identity").inner_text().strip()
    assert opaque_id.startswith("urn:mbid:")

    # The customer writes; the text with its emoji arrives byte-exact in our API.
    page.fill("#message-input", GREETING)
    page.click("#send-button")
    expect(page.locator(".row.customer .status").last).to_have_text(
        "Delivered", timeout=15000
    )
    conversation = wait_for(
        lambda: conversation_of(api, business, opaque_id),
        what="conversation in the API",
    )
    wait_for(
        lambda: any(
            m["text"] == GREETING for m in messages_of(api, conversation["id"])
        ),
        what="greeting in the API",
    )

    # Customer typing reaches the agent's console socket.
    with agent_socket(live_stack) as agent:
        agent.wait_for(lambda e: e["type"] == "hello")
        page.locator("#message-input").press_sequentially("One more", delay=20)
        event = agent.wait_for(
            lambda e: (
                e["type"] == "typing"
                and e["data"]["conversation"] == conversation["id"]
                and e["data"]["typing"] is True
            )
        )
        assert event["data"]["who"] == "customer"
        # Idle for ~3 s stops it, once.
        agent.wait_for(
            lambda e: (
                e["type"] == "typing"
                and e["data"]["conversation"] == conversation["id"]
                and e["data"]["typing"] is False
            ),
            seconds=10,
        )
        # One start for eight keystrokes: no storm of indicators.
        starts = [
            e
            for e in agent.seen
            if e["type"] == "typing"
            and e["data"]["conversation"] == conversation["id"]
            and e["data"]["typing"] is True
        ]
        assert len(starts) == 1
    page.fill("#message-input", "")

    # The business types and replies through our API; the page shows both.
    typing = api.post(
        f"/api/v1/conversations/{conversation['id']}/typing/", json={"typing": True}
    )
    assert typing.status_code == 204, typing.text
    expect(page.locator("#business-typing")).to_be_visible(timeout=15000)
    sent = api.post(
        f"/api/v1/conversations/{conversation['id']}/messages/", json={"text": REPLY}
    )
    assert sent.status_code == 201, sent.text
    bubble = page.locator(".row.business .bubble", has_text=REPLY)
    expect(bubble).to_be_visible(timeout=20000)
    expect(page.locator("#business-typing")).to_be_hidden()
    wait_for(
        lambda: (
            api.get(f"/api/v1/messages/{sent.json()['id']}/").json()["status"] == "sent"
        ),
        what="reply marked sent",
    )

    # A tapback on the reply is stored as a reaction to it.
    row = page.locator(".row.business", has_text=REPLY)
    row.hover()
    row.locator(".tapback-button").click()
    row.locator('[data-reaction="loved"]').click()
    expect(page.locator(".row.customer .bubble", has_text="Loved")).to_be_visible(
        timeout=15000
    )
    reaction = wait_for(
        lambda: next(
            (
                m
                for m in messages_of(api, conversation["id"])
                if m["kind"] == "reaction"
            ),
            None,
        ),
        what="reaction in the API",
    )
    assert reaction["text"] == f"Loved \u201c{REPLY}\u201d"
    assert reaction["reaction"]["type"] == "loved"
    assert reaction["reaction"]["target"] == sent.json()["id"]

    # Kept as a CI artifact: what the customer saw.
    page.screenshot(path="build/sandbox-conversation.png")

    # Deleting the conversation closes it, and our next send is refused.
    page.click("#delete-conversation")
    page.click("#confirm-delete")
    expect(page.locator("#closed-banner")).to_be_visible(timeout=15000)
    wait_for(
        lambda: (
            api.get(f"/api/v1/conversations/{conversation['id']}/").json()["status"]
            == "closed"
        ),
        what="conversation closed in the API",
    )
    refused = api.post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        json={"text": "Still there?"},
    )
    assert refused.status_code == 409, refused.text
    page.close()


def test_two_customers_in_two_tabs_stay_apart(
    live_stack: Any, browser: Browser, api: httpx.Client
) -> None:
    business = live_stack.business_apple_id
    first = open_customer_page(browser, live_stack.base_url, business)
    second = open_customer_page(browser, live_stack.base_url, business)
    ids = [p.locator(".identity").inner_text().strip() for p in (first, second)]
    assert ids[0] != ids[1]
    for page, text in ((first, "I am the first"), (second, "I am the second")):
        page.fill("#message-input", text)
        page.click("#send-button")
        expect(page.locator(".row.customer .status").last).to_have_text(
            "Delivered", timeout=15000
        )
    conversation = wait_for(lambda: conversation_of(api, business, ids[1]))
    sent = api.post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        json={"text": "Only for you"},
    )
    assert sent.status_code == 201
    expect(
        second.locator(".row.business .bubble", has_text="Only for you")
    ).to_be_visible(timeout=20000)
    assert first.locator(".row.business").count() == 0
    first.close()
    second.close()


def gateway_post(stack: Any, opaque_id: str, type_: str, **fields: Any) -> str:
    """Send as the platform would, straight to the sandbox gateway; return the message id."""
    env = stack.env
    key = base64.b64decode(env["MSP_SECRETS"].split(",")[0])
    token = jwt.encode(
        {"iss": env["MSP_ID"], "iat": int(time.time())}, key, algorithm="HS256"
    )
    message_id = str(uuid.uuid4())
    body = {
        "id": message_id,
        "sourceId": stack.business_apple_id,
        "destinationId": opaque_id,
        "v": 1,
        "type": type_,
        **fields,
    }
    response = httpx.post(
        f"{stack.base_url}/sandbox/v1/message",
        json=body,
        headers={
            "Authorization": f"Bearer {token}",
            "id": message_id,
            "Source-Id": stack.business_apple_id,
            "Destination-Id": opaque_id,
        },
        timeout=15,
    )
    assert response.status_code == 200, response.text
    return message_id


def test_rich_bubbles_answer_with_their_request_identifier(
    live_stack: Any, browser: Browser, api: httpx.Client
) -> None:
    business = live_stack.business_apple_id
    page = open_customer_page(browser, live_stack.base_url, business)
    opaque_id = page.locator(".identity").inner_text().strip()
    page.fill("#message-input", "Show me what you have")
    page.click("#send-button")
    conversation = wait_for(lambda: conversation_of(api, business, opaque_id))

    def answered(request_identifier: str) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in messages_of(api, conversation["id"])
                if m["kind"] == "interactive"
                and m["request_identifier"] == request_identifier
            ),
            None,
        )

    gateway_post(live_stack, opaque_id, "richLink", richLinkData=samples.RICH_LINK)
    expect(page.locator(".rich-link", has_text="Bikes")).to_be_visible(timeout=10000)

    quick = samples.interactive("quick-reply")
    gateway_post(live_stack, opaque_id, "interactive", interactiveData=quick)
    page.locator(".card", has_text="Which size?").get_by_role(
        "button", name="Large"
    ).click()
    wait_for(lambda: answered(quick["data"]["requestIdentifier"]), what="quick reply")

    # Images make the list picker's reply larger than 10 KB: it goes by reference.
    picker = samples.interactive("listPicker")
    big = base64.b64encode(samples.PNG_1PX + bytes(16_000)).decode()
    picker["data"]["images"] = [{"identifier": "1", "data": big}]
    gateway_post(live_stack, opaque_id, "interactive", interactiveData=picker)
    page.locator(".card", has_text="Pick one").get_by_role(
        "button", name="Choose"
    ).click()
    page.locator(".sheet label.item", has_text="Espresso").click()
    page.locator(".sheet").get_by_role("button", name="Send").click()
    expect(
        page.locator(".row.customer", has_text="sent as interactiveDataRef")
    ).to_be_visible(timeout=10000)
    wait_for(
        lambda: answered(picker["data"]["requestIdentifier"]),
        what="list picker reply by reference",
    )

    event = samples.interactive("event")
    gateway_post(live_stack, opaque_id, "interactive", interactiveData=event)
    page.locator(".card", has_text="Pick one").last.get_by_role(
        "button", name="Choose a time"
    ).click()
    page.locator(".sheet .item").first.click()
    wait_for(lambda: answered(event["data"]["requestIdentifier"]), what="time picker")

    form = samples.interactive("dynamic")
    gateway_post(live_stack, opaque_id, "interactive", interactiveData=form)
    page.locator(".card", has_text="Survey").get_by_role("button", name="Start").click()
    page.locator(".sheet label.item", has_text="Red").click()
    page.locator(".sheet").get_by_role("button", name="Next").click()
    page.locator(".sheet input").fill("Jo")
    page.locator(".sheet").get_by_role("button", name="Submit").click()
    reply = wait_for(lambda: answered(form["data"]["requestIdentifier"]), what="form")
    assert reply["direction"] == "in"
    page.screenshot(path="build/sandbox-rich-bubbles.png", full_page=True)
    page.close()
