"""Real processes for end-to-end tests: a PostgreSQL database, Daphne and a Celery
worker on Redis, started the way production runs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
PG_ADMIN_URL = os.environ.get(
    "E2E_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
E2E_REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/9")
MSP_ID = "e2e-msp"
# base64 of "end-to-end-secret-for-msp-console!"
MSP_SECRET = "ZW5kLXRvLWVuZC1zZWNyZXQtZm9yLW1zcC1jb25zb2xlIQ=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveStack:
    base_url: str
    business_apple_id: str
    agent_username: str
    agent_password: str
    agent_token: str
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str) -> str:
        return manage(self.env, *args)

    @property
    def sandbox_url(self) -> str:
        """Where the customer page lives: the sandbox is mounted in this server."""
        return self.base_url

    @property
    def agent_socket_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/console/"

    def agent_cookie(self) -> str:
        """Sign the agent in through the login form; return the Cookie header value."""
        with httpx.Client(base_url=self.base_url, timeout=15) as browser:
            browser.get("/accounts/login/")
            response = browser.post(
                "/accounts/login/",
                data={
                    "username": self.agent_username,
                    "password": self.agent_password,
                    "csrfmiddlewaretoken": browser.cookies["csrftoken"],
                },
                headers={"Referer": f"{self.base_url}/accounts/login/"},
            )
            if response.status_code != 302 or "sessionid" not in browser.cookies:
                raise RuntimeError(f"agent login failed: {response.status_code}")
            return "; ".join(f"{k}={v}" for k, v in browser.cookies.items())


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


@contextmanager
def database() -> Iterator[str]:
    name = f"msp_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_http(
    url: str, process: subprocess.Popen, log: Path, seconds: float = 30
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(
        f"server did not answer in {seconds}s:\n{log.read_text()[-3000:]}"
    )


def _wait_for_worker(log: Path, process: subprocess.Popen, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()[-3000:]}")
        if "ready." in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(f"worker not ready in {seconds}s:\n{log.read_text()[-3000:]}")


@contextmanager
def live_stack(
    *,
    gateway_url: str | None = None,
    name: str = "stack",
    worker_concurrency: int = 4,
    extra_env: dict[str, str] | None = None,
) -> Iterator[LiveStack]:
    """Daphne + a Celery worker against a fresh database; the gateway defaults to the
    sandbox inside the same server."""
    BUILD.mkdir(exist_ok=True)
    port = free_port()
    # Stacks alive at the same time, even from other test runs, must not share
    # a queue or channel groups (group names such as business.1 repeat).
    namespace = f"e2e-{uuid.uuid4().hex[:12]}"
    base_url = f"http://127.0.0.1:{port}"
    with database() as database_url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "msp_console.settings",
            "DJANGO_DEBUG": "True",
            "DJANGO_SECURE_SSL_REDIRECT": "False",
            "DJANGO_SECRET_KEY": "e2e-secret-key",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": E2E_REDIS_URL,
            "CHANNELS_PREFIX": namespace,
            "CELERY_QUEUE": namespace,
            "MSP_ID": MSP_ID,
            "MSP_SECRETS": MSP_SECRET,
            "APPLE_GATEWAY_URL": gateway_url or f"{base_url}/sandbox/v1",
            "APPLE_TIMEOUT_SECONDS": "5",
            "SANDBOX_ENABLED": str(gateway_url is None),
            "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8,::1/128",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        manage(env, "migrate", "--noinput")
        business_id = str(uuid.uuid4())
        manage(env, "add_business", business_id, "--name", "E2E Bikes")
        token = manage(
            env,
            "add_agent",
            "e2e-agent",
            "--business",
            business_id,
            "--password",
            "e2e-password",
            "--token",
        )
        stack = LiveStack(
            base_url=base_url,
            business_apple_id=business_id,
            agent_username="e2e-agent",
            agent_password="e2e-password",
            agent_token=token,
            env=env,
        )
        server_log = BUILD / f"e2e-{name}-daphne.log"
        worker_log = BUILD / f"e2e-{name}-celery.log"
        bin_dir = Path(sys.executable).parent
        with server_log.open("w") as out:
            server = subprocess.Popen(
                [
                    str(bin_dir / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "msp_console.asgi:application",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stack.processes.append(server)
        with worker_log.open("w") as out:
            worker = subprocess.Popen(
                [
                    str(bin_dir / "celery"),
                    "-A",
                    "msp_console",
                    "worker",
                    "-P",
                    "threads",
                    "-c",
                    str(worker_concurrency),
                    "--loglevel",
                    "INFO",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        stack.processes.append(worker)
        try:
            _wait_for_http(f"{base_url}/api/schema/", server, server_log)
            _wait_for_worker(worker_log, worker)
            yield stack
        finally:
            for process in stack.processes:
                process.terminate()
            for process in stack.processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
