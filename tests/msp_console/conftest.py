from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.gateway_stand_in import GatewayStandIn
from tests.live import MSP_ID, MSP_SECRET
from tests.msp_console.stack import ProductionStack, collect_static, production_stack


@pytest.fixture(scope="session")
def collected_static() -> None:
    collect_static()


@pytest.fixture(scope="module")
def gateway() -> Iterator[GatewayStandIn]:
    stand_in = GatewayStandIn(msp_id=MSP_ID, secret_b64=MSP_SECRET).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def two_instances(
    collected_static: None, gateway: GatewayStandIn
) -> Iterator[ProductionStack]:
    """Two machines behind a load balancer and one worker; Apple is a stand-in."""
    with production_stack(name="two", gateway_url=gateway.url) as stack:
        yield stack


@pytest.fixture(scope="module")
def production_with_sandbox(collected_static: None) -> Iterator[ProductionStack]:
    """One instance of several processes and a worker; the sandbox runs as its
    own process (a development server) playing Apple and the customer's phone.
    The TLS proxy's redirect is left to the proxy, so browsers speak plain HTTP
    (Chromium keeps Secure cookies for 127.0.0.1, a secure context)."""
    with production_stack(
        name="sandbox",
        instances=1,
        extra_env={"TRUSTED_PROXY": "False", "DJANGO_SECURE_SSL_REDIRECT": "False"},
    ) as stack:
        yield stack
