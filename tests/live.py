"""Real processes for end-to-end tests: a PostgreSQL database, Daphne, a Celery
worker (and beat, when asked) on Redis, started the way production runs them."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import shutil
import signal
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
import jwt
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


def apple_bearer() -> str:
    """The Authorization header Apple's gateway sends us."""
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())},
        base64.b64decode(MSP_SECRET),
        algorithm="HS256",
    )
    return f"Bearer {token}"


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
    name: str = "stack"
    worker_concurrency: int = 4
    processes: list[subprocess.Popen] = field(default_factory=list)
    worker: subprocess.Popen | None = None
    workers_started: int = 0

    def worker_start(self) -> subprocess.Popen:
        """Start a Celery worker (another one after a kill) and wait until it is ready."""
        self.workers_started += 1
        log = BUILD / f"e2e-{self.name}-celery-{self.workers_started}.log"
        worker = _start_celery(
            self.env, log, "worker", *_worker_args(self.worker_concurrency)
        )
        self.processes.append(worker)
        self.worker = worker
        _wait_for_log(log, worker, "ready.")
        return worker

    def worker_kill(self) -> None:
        """SIGKILL, as the OOM killer or a lost machine would: no clean shutdown."""
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(timeout=10)
        self.worker = None

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


def _migrations_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


TEMPLATE_PREFIX = "msp_e2e_template_"


def _admin(sql: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def migrated_template() -> str:
    """A database with every migration applied (the sandbox's too), built once
    per set of migrations and copied for each stack: migrating a fresh database
    takes longer than everything else a stack does at start.

    Built under a name of its own and renamed when done, so a stack of another
    test run never copies a half-migrated one."""
    name = TEMPLATE_PREFIX + _migrations_fingerprint()
    if _admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
        return name
    building = f"msp_e2e_building_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{building}"')
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "msp_console.settings",
            "DJANGO_DEBUG": "True",
            "SANDBOX_ENABLED": "True",
            "DATABASE_URL": PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + building,
            "DOTENV_PATH": "",
        }
        manage(env, "migrate", "--noinput")
        _admin(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    except (RuntimeError, psycopg.errors.DuplicateDatabase):
        pass  # Another run built it first; its copy is as good.
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
    for (stale,) in _admin(
        "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
        (TEMPLATE_PREFIX + "%", name),
    ):
        # Templates of older migrations; one in use stays until next time.
        with contextlib.suppress(psycopg.Error):
            _admin(f'DROP DATABASE IF EXISTS "{stale}"')
    if not _admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
        raise RuntimeError("the migrated template database could not be built")
    return name


@contextmanager
def database() -> Iterator[str]:
    """A fresh, fully migrated database of the stack's own."""
    template = migrated_template()
    name = f"msp_e2e_{uuid.uuid4().hex[:10]}"
    for attempt in range(20):
        try:
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
            break
        except psycopg.errors.ObjectInUse:
            # Another stack is copying the template this very moment.
            if attempt == 19:
                raise
            time.sleep(0.25)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for_http(
    url: str, process: subprocess.Popen, log: Path, seconds: float = 90
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


def _wait_for_log(
    log: Path, process: subprocess.Popen, line: str, seconds: float = 40
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{log.name} exited early:\n{log.read_text()[-3000:]}")
        if line in log.read_text():
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"{log.name} not ready in {seconds}s:\n{log.read_text()[-3000:]}"
    )


def _wait_for_worker(log: Path, process: subprocess.Popen, seconds: float = 90) -> None:
    _wait_for_log(log, process, "ready.", seconds)


def _worker_args(concurrency: int) -> list[str]:
    return [
        "-P",
        "threads",
        "-c",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
    ]


def _start_celery(
    env: dict[str, str], log: Path, command: str, *args: str
) -> subprocess.Popen:
    bin_dir = Path(sys.executable).parent
    with log.open("w") as out:
        return subprocess.Popen(
            [
                str(bin_dir / "celery"),
                "-A",
                "msp_console",
                command,
                "--loglevel",
                "INFO",
                *args,
            ],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@dataclass
class RedisServer:
    """A Redis of the test's own, to stop and start without touching the shared one."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        assert self.process is None
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not listen on {self.port}")

    def stop(self) -> None:
        """Gone at once, everything it held lost (no persistence), like a crash."""
        if self.process is None:
            return
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    directory = BUILD / f"redis-{uuid.uuid4().hex[:8]}"
    directory.mkdir(parents=True)
    server = RedisServer(port=free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def live_stack(
    *,
    gateway_url: str | None = None,
    name: str = "stack",
    worker_concurrency: int = 4,
    extra_env: dict[str, str] | None = None,
    beat: bool = False,
) -> Iterator[LiveStack]:
    """Daphne + a Celery worker against a fresh database; the gateway defaults to the
    sandbox inside the same server. ``beat`` adds the scheduler (the sweepers: set
    MESSAGE_SWEEP_SECONDS in ``extra_env`` to sweep often)."""
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
            name=name,
            worker_concurrency=worker_concurrency,
        )
        server_log = BUILD / f"e2e-{name}-daphne.log"
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
        schedule_file = BUILD / f"e2e-{namespace}-celerybeat-schedule"
        if beat:
            beat_log = BUILD / f"e2e-{name}-beat.log"
            stack.processes.append(
                _start_celery(
                    env,
                    beat_log,
                    "beat",
                    "-s",
                    str(schedule_file),
                )
            )
        try:
            _wait_for_http(f"{base_url}/api/schema/", server, server_log)
            stack.worker_start()
            yield stack
        finally:
            for process in stack.processes:
                process.terminate()
            for process in stack.processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
            for leftover in BUILD.glob(f"{schedule_file.name}*"):
                leftover.unlink(missing_ok=True)
