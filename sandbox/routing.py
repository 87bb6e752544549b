"""WebSocket route of the customer page."""

from __future__ import annotations

from django.urls import path

from .consumers import CustomerConsumer

websocket_urlpatterns = [path("ws/sandbox/<str:key>/", CustomerConsumer.as_asgi())]
