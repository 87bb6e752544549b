#!/usr/bin/env bash
# Start the demo: migrate, seed, and serve Daphne with the sandbox. When Redis
# answers, a real Celery worker (and beat) runs beside it; otherwise tasks run
# in-process (eager) and the channel layer is in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv
# .env is read by the Python entry points themselves (msp_console/env.py, never
# over the real environment); the shell asks them for the values it needs.
{
  read -r env_debug; read -r env_sandbox; read -r env_redis; read -r env_gateway
  read -r env_public; read -r env_applepay; read -r env_ssl
} < <(
  "$VENV/bin/python" -c 'import sys; from msp_console.env import print_values; print_values(sys.argv[1:])' DJANGO_DEBUG SANDBOX_ENABLED REDIS_URL \
    APPLE_GATEWAY_URL PUBLIC_BASE_URL APPLE_PAY_SESSION_URL DJANGO_SECURE_SSL_REDIRECT
)
export DJANGO_DEBUG="${env_debug:-True}"
export DJANGO_SECURE_SSL_REDIRECT="${env_ssl:-False}"
export SANDBOX_ENABLED="${env_sandbox:-True}"
PORT="${PORT:-8000}"
# The sandbox plays the webhook receiver, processor and OAuth provider on loopback.
export ALLOWED_PRIVATE_NETWORKS="${ALLOWED_PRIVATE_NETWORKS:-127.0.0.0/8,::1/128}"
export APPLE_GATEWAY_URL="${env_gateway:-http://127.0.0.1:${PORT}/sandbox/v1}"
# The sandbox also plays Apple Pay, the demo's OAuth provider and its payment
# processor; payment gateway and OAuth redirect URLs name this server.
export PUBLIC_BASE_URL="${env_public:-http://127.0.0.1:${PORT}}"
case "${SANDBOX_ENABLED,,}" in
  true | 1 | yes | on)
    export APPLE_PAY_SESSION_URL="${env_applepay:-http://127.0.0.1:${PORT}/sandbox/applepay/paymentSession}"
    ;;
esac
REDIS_URL="${env_redis}"
if [ -n "$REDIS_URL" ]; then export REDIS_URL; fi
if [ -z "${REDIS_URL:-}" ] && "$VENV/bin/python" -c "import redis,sys; redis.Redis(socket_connect_timeout=1).ping()" 2>/dev/null; then
  export REDIS_URL="redis://127.0.0.1:6379/0"
fi

"$VENV/bin/python" manage.py migrate --noinput
"$VENV/bin/python" manage.py seed_demo
"$VENV/bin/python" manage.py seed_sandbox_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  mkdir -p build
  "$VENV/bin/celery" -A msp_console worker -B -s build/celerybeat-schedule -P threads -c 4 -l WARNING &
  pids+=($!)
fi

echo
echo "  Agent console:                http://127.0.0.1:${PORT}/console/  (agent/agent; admin/admin sees Settings)"
echo "  Customer page (the sandbox):  http://127.0.0.1:${PORT}/sandbox/"
echo "  API docs:                     http://127.0.0.1:${PORT}/api/docs/"
echo "  Admin:                        http://127.0.0.1:${PORT}/admin/  (admin/admin, agent/agent)"
echo
"$VENV/bin/daphne" -b 127.0.0.1 -p "$PORT" msp_console.asgi:application
