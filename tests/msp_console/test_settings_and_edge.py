"""Production refuses unsafe settings; the edge refuses webhooks before reading them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from asgiref.testing import ApplicationCommunicator

from msp_console.edge import EdgeMiddleware
from tests.live import ROOT

SAFE = {
    "PATH": "/usr/bin:/bin",
    "DOTENV_PATH": "",
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "MSP_ID": "msp",
    "MSP_SECRETS": "c2VjcmV0",
    "FIELD_ENCRYPTION_KEY": "k" * 43 + "=",
}


def settings_with(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import msp_console.settings as s\n{code}"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DATABASE_URL": ""}, "DATABASE_URL is required"),
        ({"REDIS_URL": ""}, "REDIS_URL is required"),
        ({"SANDBOX_ENABLED": "True"}, "SANDBOX_ENABLED must be off"),
    ],
)
def test_production_refuses_to_start_unsafe(change, message):
    result = settings_with({**SAFE, **change})
    assert result.returncode != 0
    assert message in result.stderr


def test_production_defaults_are_hardened():
    result = settings_with(
        SAFE,
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, getattr(s, 'SECURE_PROXY_SSL_HEADER', None),"
        " s.DATABASES['default']['CONN_MAX_AGE'],"
        " 'pool' in s.DATABASES['default']['OPTIONS'])",
    )
    assert result.stdout.split() == [
        "31536000",
        "True",
        "True",
        "True",
        "None",  # X-Forwarded-Proto is not trusted without TRUSTED_PROXY
        "0",
        "True",
    ], result.stderr
    trusted = settings_with(
        {**SAFE, "TRUSTED_PROXY": "True"}, "print(s.SECURE_PROXY_SSL_HEADER)"
    )
    assert trusted.stdout.strip() == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_the_real_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        'export DJANGO_DEBUG=True\nMSP_ID="from file" # a comment\nLOG_LEVEL=DEBUG\n'
    )
    result = settings_with(
        {**SAFE, "DOTENV_PATH": str(env_file)},
        "from msp_console.env import load_dotenv\nimport os\nload_dotenv()\n"
        "print(os.environ['DJANGO_DEBUG'], os.environ['MSP_ID'],"
        " os.environ['LOG_LEVEL'])",
    )
    assert result.stdout.split() == ["False", "msp", "DEBUG"], result.stderr


def test_production_check_deploy_is_clean():
    # The production environment of README "Deploying".
    env = {
        **SAFE,
        "DJANGO_SETTINGS_MODULE": "msp_console.settings",
        "DJANGO_SECRET_KEY": "q8$Zr!v2@Lk#9pW^t5&mN*e7(Yc)uB0_hJ3-gF6+xD1=sA4~Kp2%Vw9",
        "ALLOWED_HOSTS": "console.example.com",
        "TRUSTED_PROXY": "True",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


class NeverCalled:
    async def __call__(self, scope, receive, send) -> None:
        raise AssertionError("the app must not see this request")


async def webhook(headers: list[tuple[bytes, bytes]]) -> tuple[int, bytes, bool]:
    body_read = False

    async def receive():
        nonlocal body_read
        body_read = True
        return {"type": "http.request", "body": b"x", "more_body": True}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/message",
        "headers": headers,
        "client": ("198.51.100.7", 1234),
    }
    communicator = ApplicationCommunicator(EdgeMiddleware(NeverCalled()), scope)
    communicator.input_queue.get = receive  # type: ignore[method-assign]
    await communicator.wait(timeout=2)
    start = await communicator.receive_output()
    body = await communicator.receive_output()
    return start["status"], body["body"], body_read


@pytest.mark.asyncio
async def test_anonymous_webhook_is_401_before_the_body_is_read():
    status, body, read = await webhook([(b"content-length", b"52428800")])
    assert (status, read) == (401, False)
    assert b"Authorization header missing" in body


@pytest.mark.asyncio
async def test_oversized_webhook_is_413_before_the_body_is_read():
    status, _, read = await webhook(
        [(b"authorization", b"Bearer x"), (b"content-length", b"52428800")]
    )
    assert (status, read) == (413, False)


@pytest.mark.asyncio
async def test_metrics_refuse_strangers():
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/metrics",
        "headers": [(b"authorization", b"Bearer guessed")],
        "client": ("198.51.100.7", 1234),
    }
    communicator = ApplicationCommunicator(EdgeMiddleware(NeverCalled()), scope)
    await communicator.wait(timeout=2)
    assert (await communicator.receive_output())["status"] == 403


def test_the_loaded_application_is_kept_out_of_full_collections() -> None:
    """A web process's modules, settings and routes live as long as it does. The
    cyclic collector scanning them all on each full collection stalled every
    webhook and push in flight for 80-110 ms (bench/latency.py): the ASGI
    entry freezes them, so the collector sees only what requests make."""
    result = settings_with(
        {**SAFE, "DJANGO_SETTINGS_MODULE": "msp_console.settings"},
        "import gc, msp_console.asgi\n"
        "print(gc.get_freeze_count(), len(gc.get_objects()))",
    )
    assert result.returncode == 0, result.stderr
    frozen, tracked = map(int, result.stdout.split())
    assert frozen > 50_000
    assert tracked < frozen // 100
