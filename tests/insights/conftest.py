from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_delivery_to_apple(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What is queued is what these tests check; sending it is delivery's business
    (the end-to-end test delivers for real, to the sandbox)."""
    if request.node.get_closest_marker("e2e"):
        return
    monkeypatch.setattr(
        "conversations.tasks.message_deliver.apply_async", lambda *a, **k: None
    )
    monkeypatch.setattr(
        "integrations.tasks.webhook_deliver.delay", lambda *a, **k: None
    )
