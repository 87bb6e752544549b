"""Two `make serve` instances and one worker, as two machines behind a load
balancer: nothing needs sticky routing."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from websockets.sync.client import connect

from tests.gateway_stand_in import GatewayStandIn
from tests.helpers import inbound_body, inbound_request
from tests.live import MSP_ID, MSP_SECRET
from tests.msp_console.stack import PROXY_HEADERS, ProductionStack

pytestmark = pytest.mark.e2e


def wait_for(predicate: Callable[[], Any], seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def apple_post(base_url: str, body: dict[str, Any]) -> httpx.Response:
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())},
        base64.b64decode(MSP_SECRET),
        algorithm="HS256",
    )
    data, headers = inbound_request(body, authorization=f"Bearer {token}")
    return httpx.post(f"{base_url}/message", content=data, headers=headers, timeout=10)


def api(stack: ProductionStack, base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Token {stack.agent_token}", **PROXY_HEADERS},
        timeout=10,
    )


def test_webhook_at_a_reaches_a_socket_on_b_and_bs_reply_is_delivered(
    two_instances: ProductionStack, gateway: GatewayStandIn
) -> None:
    a, b = two_instances.instances
    # Signed in at A, the session works at B: sessions live in PostgreSQL.
    cookie = two_instances.agent_cookie(a)
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    with connect(
        b.replace("http://", "ws://") + "/ws/console/",
        additional_headers={"Cookie": cookie, "Origin": b},
    ) as socket:
        assert json.loads(socket.recv(timeout=5))["type"] == "hello"
        body = inbound_body(
            business_id=two_instances.business_apple_id,
            customer_id=customer,
            body="Hello from machine A 👋",
        )
        assert apple_post(a, body).status_code == 200
        event = json.loads(socket.recv(timeout=10))
        assert event["type"] == "message.created"
        assert event["data"]["text"] == "Hello from machine A 👋"
        conversation_id = event["data"]["conversation"]

        with api(two_instances, b) as client:
            sent = client.post(
                f"/api/v1/conversations/{conversation_id}/messages/",
                json={"text": "Answered from machine B ✅"},
            )
        assert sent.status_code == 201, sent.text
        message_id = sent.json()["id"]
        # The worker delivers; B's socket hears the status change.
        while True:
            event = json.loads(socket.recv(timeout=20))
            if (
                event["type"] == "message.status_changed"
                and event["data"]["id"] == message_id
                and event["data"]["status"] == "sent"
            ):
                break
    received = [
        r for r in gateway.messages() if r.headers["destination-id"] == customer
    ]
    assert [r.body["body"] for r in received] == ["Answered from machine B ✅"]
    with api(two_instances, a) as client:
        assert client.get(f"/api/v1/messages/{message_id}/").json()["status"] == "sent"
    # The worker counts what it delivered and serves it on its own port.
    worker_metrics = httpx.get(two_instances.worker_metrics_url, timeout=5).text
    assert 'msp_deliveries_total{outcome="sent"} 1.0' in worker_metrics
    assert "msp_delivery_attempts_count 1.0" in worker_metrics


def test_every_asset_of_console_admin_and_api_docs_answers_200(
    two_instances: ProductionStack,
) -> None:
    with two_instances.client() as browser:
        cookie = two_instances.agent_cookie()
        pages = ["/console/", "/api/docs/", "/accounts/login/", "/admin/login/"]
        assets: set[str] = set()
        for page in pages:
            response = browser.get(page, headers={"Cookie": cookie})
            assert response.status_code == 200, page
            assets |= set(re.findall(r'(?:src|href)="(/static/[^"]+)"', response.text))
        assert any(path.startswith("/static/console/js/") for path in assets)
        for path in sorted(assets):
            response = browser.get(path)
            assert response.status_code == 200, path
            # Hashed names: cached for good by browsers and proxies.
            assert "immutable" in response.headers.get("cache-control", ""), path
        gzipped = browser.get(
            next(p for p in assets if p.endswith(".js")),
            headers={"Accept-Encoding": "gzip"},
        )
        assert gzipped.headers.get("content-encoding") == "gzip"


def test_health_and_readiness_answer_over_plain_http_without_logging(
    two_instances: ProductionStack,
) -> None:
    a = two_instances.instances[0]
    # No proxy header: a load balancer probing by address over plain HTTP.
    assert httpx.get(f"{a}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{a}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "migrations": "ok",
    }
    # Everything else over plain HTTP goes to HTTPS.
    assert httpx.get(f"{a}/console/").status_code == 301
    time.sleep(0.5)
    log = two_instances.logs[0].read_text()
    assert "/healthz" not in log
    assert "/readyz" not in log


def test_logs_are_json_with_a_request_id_and_extra_fields(
    two_instances: ProductionStack,
) -> None:
    a = two_instances.instances[0]
    request_id = uuid.uuid4().hex
    with two_instances.client(a) as client:
        client.get("/accounts/login/", headers={"X-Request-ID": request_id})
    line = wait_for(
        lambda: next(
            (
                json.loads(line)
                for line in two_instances.logs[0].read_text().splitlines()
                if request_id in line
            ),
            None,
        )
    )
    assert line["request_id"] == request_id
    assert line["message"] == "http.request"
    assert line["path"] == "/accounts/login/"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    # Gunicorn's own lines (its start, each worker booting) are JSON too.
    server_lines = [
        json.loads(text)
        for text in two_instances.logs[0].read_text().splitlines()
        if '"gunicorn.error"' in text
    ]
    assert any("Booting worker" in line["message"] for line in server_lines)
    for text in two_instances.logs[0].read_text().splitlines():
        if text.strip():
            json.loads(text)  # every line of the web machine is JSON


def test_metrics_need_the_token_and_show_webhooks_queue_and_sockets(
    two_instances: ProductionStack,
) -> None:
    a = two_instances.instances[0]
    assert httpx.post(f"{a}/message", content=b"{}").status_code == 401
    # 127.0.0.1 is allowed by default; behind the proxy the client is remote.
    remote = {"X-Forwarded-For": "203.0.113.9"}
    assert httpx.get(f"{a}/metrics", headers=remote).status_code == 403
    metrics = httpx.get(
        f"{a}/metrics",
        headers={**remote, "Authorization": "Bearer metrics-test-token"},
    )
    assert metrics.status_code == 200
    text = metrics.text
    assert 'msp_webhooks_total{code="401"}' in text
    assert 'msp_webhooks_total{code="200"}' in text
    assert "msp_inbound_seconds_bucket" in text
    assert 'msp_celery_queue_depth{queue="' in text
    assert "msp_agent_sockets" in text
