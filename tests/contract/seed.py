"""A customer writing in through Apple's signed webhook: real data to aim the API at."""

from __future__ import annotations

import base64
import time
import uuid

import httpx
import jwt

from tests.helpers import inbound_body, inbound_request
from tests.live import MSP_ID, MSP_SECRET, LiveStack


def customer_writes(stack: LiveStack, text: str = "Hello") -> str:
    """A new customer's first message; returns their opaque Apple id."""
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())},
        base64.b64decode(MSP_SECRET),
        algorithm="HS256",
    )
    customer = f"urn:mbid:AQAAY-{uuid.uuid4().hex}"
    body = inbound_body(
        business_id=stack.business_apple_id, customer_id=customer, body=text
    )
    data, headers = inbound_request(body, authorization=f"Bearer {token}")
    answer = httpx.post(f"{stack.base_url}/message", content=data, headers=headers)
    assert answer.is_success, answer.text
    return customer
