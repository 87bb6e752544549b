from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Business, Conversation, Membership
from tests.factories import (
    BusinessFactory,
    ConversationFactory,
    MembershipFactory,
    UserFactory,
)
from tests.live import LiveStack
from tests.live import live_stack as start_live_stack


@pytest.fixture(autouse=True, scope="session")
def _close_the_sync_threads_connections(django_db_setup: None) -> Iterator[None]:
    """Async tests run their database reads through ``sync_to_async``, in
    asgiref's own thread, which no request cycle closes: left open, its
    connection kept the test database from being dropped at the end of the run.
    Closed before the database is (this finaliser runs before its setup's)."""
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings: pytest.FixtureRequest) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }


@pytest.fixture(autouse=True)
def _fresh_process_memos() -> None:
    """What a process remembers between requests (a business by Apple id,
    whether it has webhook endpoints, Apple's verified tokens) starts empty in
    each test, as in a fresh process: rows of an earlier test were rolled back
    under it, settings it verified with were put back."""
    from conversations.apple.auth import verified_forget
    from conversations.services import business_lookup
    from integrations import endpoint_presence

    business_lookup.forget()
    endpoint_presence.forget()
    verified_forget()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request or a test that
    activated Spanish in this thread must not leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def business(db: None) -> Business:
    return BusinessFactory(name="Acme Bikes")


@pytest.fixture
def agent(business: Business):
    user = UserFactory(username="alice")
    MembershipFactory(user=user, business=business, role=Membership.Role.AGENT)
    return user


@pytest.fixture
def conversation(business: Business) -> Conversation:
    return ConversationFactory(customer__business=business)


@pytest.fixture
def api_client(agent) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=agent)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: Playwright's event loop must not outlive it,
    or the database tests after it would run inside that loop."""
    from tests.browser import launch_chromium

    with launch_chromium() as launched:
        yield launched


@pytest.fixture(scope="session")
def live_stack() -> Iterator[LiveStack]:
    """Daphne + Celery worker + PostgreSQL + Redis, with the sandbox as Apple."""
    with start_live_stack(name="sandbox") as stack:
        yield stack


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: httpx.Headers
    content: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class AppleGatewayStandIn:
    """Apple's gateway at the client's one HTTP seam: records, and fails on demand."""

    requests: list[RecordedRequest] = field(default_factory=list)
    failures: list[tuple[int, str]] = field(default_factory=list)
    # path (or full URL) → handler, for calls that need an answer with a body
    routes: dict[str, Any] = field(default_factory=dict)

    def fail_next(self, times: int, *, status: int, body: str = "") -> None:
        self.failures.extend([(status, body)] * times)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(
            RecordedRequest(
                request.method, request.url.path, request.headers, request.read()
            )
        )
        if self.failures:
            status, body = self.failures.pop(0)
            return httpx.Response(status, text=body)
        route = self.routes.get(str(request.url)) or self.routes.get(request.url.path)
        if route is not None:
            return route(request)
        return httpx.Response(200)


@pytest.fixture
def apple_gateway(monkeypatch: pytest.MonkeyPatch) -> AppleGatewayStandIn:
    from conversations.apple import client as apple_client

    stand_in = AppleGatewayStandIn()

    def http_client(*, timeout: httpx.Timeout, transport: Any = None) -> httpx.Client:
        return httpx.Client(
            timeout=timeout, transport=httpx.MockTransport(stand_in.handle)
        )

    monkeypatch.setattr(apple_client, "_http_client", http_client)
    return stand_in


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations() -> None:
    """The .mo catalogues are built, not committed: build them when a .po is newer
    (as `make install` does), so a bare pytest run shows the Spanish console."""
    from scripts.compile_messages import compile_catalogues

    compile_catalogues()
