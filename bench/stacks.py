"""The stacks the benchmarks measure: the project in production settings (DEBUG
off, as `make serve` runs it) and the minimal app of bench/baseline/, both under
the same server command, on one PostgreSQL database and one Redis.

``server="daphne"`` runs each app as one Daphne process; ``server="serve"`` runs
each with Gunicorn and ``processes`` Uvicorn workers through
msp_console/gunicorn.conf.py, the command `make serve` runs (its default is one
worker per core). A Celery worker serves the project's queue as in production.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.live import (  # noqa: E402
    BUILD,
    _wait_for_http,
    _wait_for_worker,
    database,
    free_port,
    manage,
)
from tests.msp_console.stack import (  # noqa: E402
    ProductionStack,
    collect_static,
    production_env,
)

AGENT_PASSWORD = "bench-password-1234"
BASELINE_SCHEMA = Path(__file__).resolve().parent / "baseline" / "schema.sql"
SERVERS = ("daphne", "serve")


@dataclass
class BenchStack(ProductionStack):
    """A production stack plus the minimal app beside it."""

    baseline_url: str = ""
    server: str = "daphne"
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def web_pids(self, app: str = "project") -> list[int]:
        """The processes serving requests: Daphne itself, or Gunicorn's workers."""
        parent = self.processes[app].pid
        if self.server == "daphne":
            return [parent]
        children = Path(f"/proc/{parent}/task/{parent}/children")
        return [int(pid) for pid in children.read_text().split()]


def _server_args(server: str, application: str) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if server == "daphne":
        return [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", "{port}", application]
    return [
        str(bin_dir / "gunicorn"),
        "-c",
        str(ROOT / "msp_console" / "gunicorn.conf.py"),
        application,
    ]


def _start_server(
    server: str,
    application: str,
    env: dict[str, str],
    log: Path,
    cleanup: ExitStack,
) -> tuple[str, subprocess.Popen]:
    port = free_port()
    args = [
        arg.replace("{port}", str(port)) for arg in _server_args(server, application)
    ]
    env = {**env, "PORT": str(port), "BIND_ADDRESS": "127.0.0.1"}
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

    cleanup.callback(stop)
    url = f"http://127.0.0.1:{port}"
    _wait_for_http(f"{url}/healthz", process, log, seconds=120)
    return url, process


@contextmanager
def bench_stack(
    *,
    name: str,
    server: str = "daphne",
    processes: int = os.cpu_count() or 1,
    gateway_url: str = "http://127.0.0.1:9/v1",
    extra_env: dict[str, str] | None = None,
    worker_concurrency: int = 4,
) -> Iterator[BenchStack]:
    if server not in SERVERS:
        raise ValueError(f"server must be one of {SERVERS}")
    BUILD.mkdir(exist_ok=True)
    collect_static()
    namespace = f"bench-{uuid.uuid4().hex[:12]}"
    with database() as database_url, ExitStack() as cleanup:
        env = production_env(database_url, namespace)
        env.update(
            {
                "APPLE_GATEWAY_URL": gateway_url,
                "WEB_CONCURRENCY": str(processes),
                "DATABASE_POOL_MAX_SIZE": "8",
                **(extra_env or {}),
            }
        )
        metrics_dir = cleanup.enter_context(tempfile.TemporaryDirectory())
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
        business_id = str(uuid.uuid4())
        manage(env, "add_business", business_id, "--name", "Bench Bikes")
        token = manage(
            env,
            *("add_agent", "bench-agent", "--business", business_id),
            *("--password", AGENT_PASSWORD, "--token"),
        )
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(BASELINE_SCHEMA.read_text())
        started: dict[str, subprocess.Popen] = {}
        project_url, started["project"] = _start_server(
            server,
            "msp_console.asgi:application",
            env,
            BUILD / f"bench-{name}-{server}-project.log",
            cleanup,
        )
        baseline_url, started["baseline"] = _start_server(
            server,
            "bench.baseline.asgi:application",
            {**env, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"},
            BUILD / f"bench-{name}-{server}-baseline.log",
            cleanup,
        )
        worker_log = BUILD / f"bench-{name}-worker.log"
        bin_dir = Path(sys.executable).parent
        with worker_log.open("w") as out:
            worker = subprocess.Popen(
                [
                    str(bin_dir / "celery"),
                    *("-A", "msp_console", "worker", "-P", "threads"),
                    *("-c", str(worker_concurrency), "-l", "INFO"),
                    *("--without-gossip", "--without-mingle"),
                ],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        cleanup.callback(worker.wait, 15)
        cleanup.callback(worker.terminate)
        started["worker"] = worker
        _wait_for_worker(worker_log, worker, seconds=120)
        yield BenchStack(
            instances=[project_url],
            sandbox_url=None,
            business_apple_id=business_id,
            agent_username="bench-agent",
            agent_password=AGENT_PASSWORD,
            agent_token=token,
            env=env,
            baseline_url=baseline_url,
            server=server,
            processes=started,
        )
