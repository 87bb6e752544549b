"""Writes go through while the cache (Redis) that counts them is unreachable."""

from __future__ import annotations

import pytest

from conversations.models import Message
from tests.live import free_port


@pytest.fixture
def unreachable_cache(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens here: every cache call fails to connect.
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }


def test_a_reply_is_accepted_while_the_throttle_cache_is_down(
    api_client, conversation, unreachable_cache
):
    response = api_client.post(
        f"/api/v1/conversations/{conversation.id}/messages/",
        {"text": "Redis is restarting"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Message.objects.filter(body="Redis is restarting").count() == 1
