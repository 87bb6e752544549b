"""Production mode with real processes: `make serve` instances (scripts/serve.sh:
Gunicorn, Uvicorn workers, DEBUG off, WhiteNoise), one Celery worker, PostgreSQL
and Redis; Apple is a stand-in or the sandbox running as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from tests.live import (
    BUILD,
    E2E_REDIS_URL,
    MSP_ID,
    MSP_SECRET,
    ROOT,
    _wait_for_http,
    _wait_for_worker,
    database,
    free_port,
    manage,
)

STATIC_ROOT = BUILD / "production-static"
# What the TLS proxy in front adds to every request it forwards.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass
class ProductionStack:
    instances: list[str]
    sandbox_url: str | None
    business_apple_id: str
    agent_username: str
    agent_password: str
    agent_token: str
    env: dict[str, str]
    logs: list[Path] = field(default_factory=list)
    # The worker's own /metrics (WORKER_METRICS_PORT), as a scraper reaches it.
    worker_metrics_url: str = ""

    @property
    def base_url(self) -> str:
        return self.instances[0]

    def client(self, base_url: str | None = None) -> httpx.Client:
        """A client behind the TLS proxy; Secure cookies are sent as over HTTPS."""
        return httpx.Client(
            base_url=base_url or self.base_url,
            headers=PROXY_HEADERS,
            timeout=15,
        )

    def agent_cookie(self, base_url: str | None = None) -> str:
        with self.client(base_url) as browser:
            browser.get("/accounts/login/")
            # httpx keeps Secure cookies off plain HTTP; the proxy makes it HTTPS.
            csrf = browser.cookies["csrftoken"]
            response = browser.post(
                "/accounts/login/",
                data={
                    "username": self.agent_username,
                    "password": self.agent_password,
                    "csrfmiddlewaretoken": csrf,
                },
                headers={
                    "Referer": f"https://{browser.base_url.netloc.decode()}/",
                    "Cookie": f"csrftoken={csrf}",
                },
            )
            if response.status_code != 302 or "sessionid" not in browser.cookies:
                raise RuntimeError(f"agent login failed: {response.status_code}")
            return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def production_env(database_url: str, namespace: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DOTENV_PATH": "",
        "DJANGO_SETTINGS_MODULE": "msp_console.settings",
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": f"production-test-{uuid.uuid4().hex}{uuid.uuid4().hex}",
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXY": "True",
        "DATABASE_URL": database_url,
        "DATABASE_POOL_MAX_SIZE": "4",
        "REDIS_URL": E2E_REDIS_URL,
        "CHANNELS_PREFIX": namespace,
        "CELERY_QUEUE": namespace,
        "MSP_ID": MSP_ID,
        "MSP_SECRETS": MSP_SECRET,
        "APPLE_TIMEOUT_SECONDS": "5",
        "STATIC_ROOT": str(STATIC_ROOT),
        "COLLECTSTATIC": "0",
        "METRICS_TOKEN": "metrics-test-token",
        "PYTHONUNBUFFERED": "1",
    }


def collect_static() -> None:
    """Once per session: what an image build does before any instance starts."""
    env = production_env("postgres://unused@127.0.0.1/unused", "collect")
    manage(env, "collectstatic", "--noinput", "-v", "0")


def _start(
    args: list[str], env: dict[str, str], log: Path, stack: ExitStack
) -> subprocess.Popen:
    with log.open("w") as out:
        process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()

    stack.callback(stop)
    return process


@contextmanager
def production_stack(
    *,
    name: str,
    instances: int = 2,
    web_concurrency: int = 2,
    gateway_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[ProductionStack]:
    """``instances`` servers started like `make serve`, one worker, and unless a
    ``gateway_url`` is given, the sandbox as its own (development) process playing
    Apple and posting webhooks to the first instance."""
    BUILD.mkdir(exist_ok=True)
    namespace = f"prod-{uuid.uuid4().hex[:12]}"
    ports = [free_port() for _ in range(instances)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    sandbox_port = free_port()
    worker_metrics_port = free_port()
    sandbox_url = None if gateway_url else f"http://127.0.0.1:{sandbox_port}"
    bin_dir = Path(sys.executable).parent
    with database() as database_url, ExitStack() as processes:
        env = production_env(database_url, namespace)
        env["APPLE_GATEWAY_URL"] = gateway_url or f"{sandbox_url}/sandbox/v1"
        # Browsers in the tests speak plain HTTP to the instances, so their
        # Origin is http://; behind a real proxy it is the https:// site itself.
        env["CSRF_TRUSTED_ORIGINS"] = ",".join(urls)
        env.update(extra_env or {})
        sandbox_env = {
            **env,
            "DJANGO_DEBUG": "True",
            "SANDBOX_ENABLED": "True",
            "TRUSTED_PROXY": "False",
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            "STATIC_ROOT": str(BUILD / "production-sandbox-static"),
            "SANDBOX_WEBHOOK_URL": f"{urls[0]}/message",
            "CHANNELS_PREFIX": f"{namespace}-sandbox",
            "CELERY_QUEUE": f"{namespace}-sandbox",
        }
        # database() is migrated already, the sandbox's tables included.
        business_id = str(uuid.uuid4())
        manage(env, "add_business", business_id, "--name", "Production Bikes")
        token = manage(
            env,
            "add_agent",
            "prod-agent",
            "--business",
            business_id,
            "--password",
            "prod-password-1234",
            "--token",
        )
        logs: list[Path] = []
        servers = []
        for index, port in enumerate(ports):
            log = BUILD / f"production-{name}-web{index}.log"
            servers.append(
                _start(
                    [str(ROOT / "scripts" / "serve.sh")],
                    {
                        **env,
                        "PORT": str(port),
                        "BIND_ADDRESS": "127.0.0.1",
                        "WEB_CONCURRENCY": str(web_concurrency),
                        "VENV": str(bin_dir.parent),
                    },
                    log,
                    processes,
                )
            )
            logs.append(log)
        worker_log = BUILD / f"production-{name}-worker.log"
        worker = _start(
            [
                str(bin_dir / "celery"),
                "-A",
                "msp_console",
                "worker",
                "-P",
                "threads",
                "-c",
                "4",
                "-l",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            {**env, "WORKER_METRICS_PORT": str(worker_metrics_port)},
            worker_log,
            processes,
        )
        logs.append(worker_log)
        if sandbox_url:
            sandbox_log = BUILD / f"production-{name}-sandbox.log"
            sandbox = _start(
                [
                    str(bin_dir / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(sandbox_port),
                    "msp_console.asgi:application",
                ],
                sandbox_env,
                sandbox_log,
                processes,
            )
            logs.append(sandbox_log)
            _wait_for_http(f"{sandbox_url}/sandbox/", sandbox, sandbox_log)
        for url, server, log in zip(urls, servers, logs, strict=False):
            _wait_for_http(f"{url}/healthz", server, log)
        _wait_for_worker(worker_log, worker)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(httpx.get(f"{u}/readyz").status_code == 200 for u in urls):
                break
            time.sleep(0.2)
        yield ProductionStack(
            instances=urls,
            sandbox_url=sandbox_url,
            business_apple_id=business_id,
            agent_username="prod-agent",
            agent_password="prod-password-1234",
            agent_token=token,
            env=env,
            logs=logs,
            worker_metrics_url=f"http://127.0.0.1:{worker_metrics_port}/metrics",
        )
