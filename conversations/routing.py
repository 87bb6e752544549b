from __future__ import annotations

from django.urls import path

from .consumers import AgentConsumer

websocket_urlpatterns = [path("ws/console/", AgentConsumer.as_asgi())]
