#!/usr/bin/env bash
# The production web server: collect static files, then Gunicorn with
# WEB_CONCURRENCY Uvicorn workers (HTTP and WebSockets) on $PORT. Settings come
# from the environment only (see README "Deploying"); migrations are a release
# step of their own (`manage.py migrate`) run before new code serves.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export PORT="${PORT:-8000}"
# One metrics directory per server start, shared by its worker processes.
if [ -z "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  PROMETHEUS_MULTIPROC_DIR="$(mktemp -d -t msp-metrics.XXXXXX)"
  export PROMETHEUS_MULTIPROC_DIR
fi
# COLLECTSTATIC=0 when the image build (or a test session) has collected already.
if [ "${COLLECTSTATIC:-1}" != 0 ]; then
  "$VENV/bin/python" manage.py collectstatic --noinput -v 0
fi
exec "$VENV/bin/gunicorn" -c msp_console/gunicorn.conf.py msp_console.asgi:application
