"""Test settings: the real settings plus in-process channel layer and eager Celery."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_DEBUG", "True")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "False")
os.environ.setdefault("SANDBOX_ENABLED", "True")

from .settings import *  # noqa: F403
from .settings import BASE_DIR

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
MSP_ID = "test-msp"
# base64 of "test-secret-for-the-msp-console-suite"
MSP_SECRETS = ["dGVzdC1zZWNyZXQtZm9yLXRoZS1tc3AtY29uc29sZS1zdWl0ZQ=="]
APPLE_GATEWAY_URL = "http://apple.test/v1"
MEDIA_ROOT = BASE_DIR / "build" / "test-media"
# The stand-ins for processors, identity providers and pages run on loopback;
# tests of the guard itself set this back to [].
ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8", "::1/128"]
# The suite's in-process database connections must close for real at teardown
# (the test database is dropped); the pool is exercised by tests/production/.
DATABASES["default"].get("OPTIONS", {}).pop("pool", None)  # noqa: F405
# WhiteNoise looks for the collected files at start; the suite serves from the
# finders, so an empty folder keeps it quiet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
