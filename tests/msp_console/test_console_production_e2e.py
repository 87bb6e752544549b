"""The console-with-sandbox browser test, against production mode: DEBUG off,
WhiteNoise's hashed assets, several server processes, a separate worker, and the
sandbox as its own process (the production server refuses to mount it), which is
how a business would try a staging deployment."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.conversations.console.test_console_with_sandbox_e2e import (
    test_agent_and_customer_hold_a_conversation as conversation_flow,
)
from tests.msp_console.stack import ProductionStack

pytestmark = pytest.mark.e2e


def test_console_and_sandbox_hold_a_conversation_in_production_mode(
    production_with_sandbox: ProductionStack, browser: Browser
) -> None:
    assert production_with_sandbox.sandbox_url
    conversation_flow(production_with_sandbox, browser)
