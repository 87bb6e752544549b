"""The baseline of bench/inbound.py: the least Django that does the inbound work.

No apps, no middleware, DEBUG off, psycopg's pool: what is left is the work
itself, so the project's figure divided by this one says how much our own code
costs on top of the stack.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "bench-baseline"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.baseline.urls"
USE_TZ = True
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 2, "max_size": 8}}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [os.environ["REDIS_URL"]],
            "prefix": os.environ.get("CHANNELS_PREFIX", "asgi") + "-baseline",
        },
    }
}
MSP_ID = os.environ["MSP_ID"]
MSP_SECRET = os.environ["MSP_SECRETS"].split(",")[0]
