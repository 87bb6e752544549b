"""Schema-driven fuzzing: schemathesis runs every operation of ``/api/schema/``
against a live stack (Daphne, a Celery worker, PostgreSQL, Redis) with a token and
a seeded business and conversation. No 5xx; every answer matches the schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.contract.seed import customer_writes
from tests.live import BUILD, LiveStack, live_stack

pytestmark = pytest.mark.e2e

# Bounded: the run takes about a minute on two cores.
# FUZZ_SEED and FUZZ_MAX_EXAMPLES explore further than the default run.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


# Daphne (Twisted) parses multipart bodies itself and answers a malformed one with
# a bare 400 before the app runs; negative multipart cases would test Twisted.
CONFIG = """
[parameters]
{parameters}

[[operations]]
include-path = "/api/v1/conversations/{{conversation_id}}/attachments/"
generation.mode = "positive"
"""


@pytest.fixture(scope="module")
def stack() -> Iterator[LiveStack]:
    # The write throttle would answer most fuzzed writes with 429, untested.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("API_WRITE_RATE", "100000/min")
        with live_stack(name="fuzz") as running:
            yield running


def seed(stack: LiveStack) -> dict[str, int]:
    """A customer writes in; the agent answers once: real ids to aim at."""
    customer_writes(stack, "Hello, fuzzer")
    with httpx.Client(
        base_url=stack.base_url,
        headers={"Authorization": f"Token {stack.agent_token}"},
        timeout=10,
    ) as api:
        conversation = api.get("/api/v1/conversations/").json()["results"][0]
        sent = api.post(
            f"/api/v1/conversations/{conversation['id']}/messages/",
            json={"text": "Hi!"},
        ).json()
    return {
        "conversation_id": conversation["id"],
        "business_id": conversation["business"]["id"],
        "message_id": sent["id"],
    }


def test_every_operation_survives_fuzzing_and_matches_the_schema(
    stack: LiveStack, tmp_path: Path
) -> None:
    ids = seed(stack)
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        CONFIG.format(parameters="".join(f'"path.{k}" = {v}\n' for k, v in ids.items()))
    )
    report = BUILD / "fuzz"
    shutil.rmtree(report, ignore_errors=True)
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{stack.base_url}/api/schema/",
        "--url",
        stack.base_url,
        "--header",
        f"Authorization: Token {stack.agent_token}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        os.environ.get("FUZZ_SEED", "17"),
        "--workers",
        "2",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--report",
        "junit,json",
        "--report-dir",
        str(report),
    ]
    started = time.monotonic()
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,  # its cache (.schemathesis/) stays out of the checkout
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    # The counts (operations, test cases, checks) for whoever runs it with -s.
    print(output[-2500:], f"\nfuzzing took {elapsed:.0f} s")  # noqa: T201
    assert result.returncode == 0, output[-12000:]
    run = json.loads(max(report.glob("json-*.json")).read_text())
    assert run["complete"]
    assert run["exit_code"] == 0
    operations, cases = run["operations"], run["test_cases"]
    assert operations["tested"] == operations["total"] >= 26
    assert cases["generated"] >= operations["total"] * 10
    assert cases["with_failures"] == cases["errored"] == 0
    assert not run["warnings"]["rate_limited"]
    print(  # noqa: T201
        f"schemathesis: {operations['tested']} operations, "
        f"{cases['generated']} test cases, {len(CHECKS.split(','))} checks each"
    )
