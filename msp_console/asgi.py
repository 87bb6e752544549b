"""ASGI entry: HTTP to Django, WebSockets through the session auth stack, and the
edge (health, metrics, cheap webhook refusals) in front of both."""

from __future__ import annotations

import gc
import os

from django.core.asgi import get_asgi_application

from msp_console.env import load_dotenv

load_dotenv()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_console.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from conversations.routing import websocket_urlpatterns  # noqa: E402
from msp_console.edge import EdgeMiddleware  # noqa: E402

patterns = list(websocket_urlpatterns)
if settings.SANDBOX_ENABLED:
    from sandbox.routing import websocket_urlpatterns as sandbox_patterns

    patterns += sandbox_patterns

application = EdgeMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                AuthMiddlewareStack(URLRouter(patterns))
            ),
        }
    )
)

# What is loaded by now lives as long as the process: frozen out of the cyclic
# collector's sight, a full collection scans only what requests made since.
# Scanning everything took 80-110 ms with ~190,000 objects, a stall of every
# webhook and push in flight (bench/latency.py, one Daphne process).
gc.freeze()
