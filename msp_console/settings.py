"""The one settings module. Everything that differs between machines comes from the
environment (see .env.example); production differs from development only there."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    # An empty value (NAME= in .env) means "not set", not "set to nothing".
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value in ("True", "true", "1", "yes", "on"):
        return True
    if value in ("False", "false", "0", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Core
DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off"
        )
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "conversations",
    "richobjects",
    "businesses",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

# Repeated failed sign-ins lock out the username and, separately, the address
# (django-axes); a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "msp_console.urls"
ASGI_APPLICATION = "msp_console.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's web server and worker write at once: WAL and immediate
    # transactions turn "database is locked" into a short wait.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/console/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Attachments go through Django's storage API and are served only by an
# authorised view, never from MEDIA_URL. Any django-storages backend works:
# set STORAGE_BACKEND (e.g. storages.backends.s3.S3Storage) and its own settings.
STORAGES = {
    "default": {
        "BACKEND": env_str(
            "STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        )
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Security: behind TLS in production, plain HTTP in development.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = not DEBUG and SECURE_SSL_REDIRECT
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Apple posts to /message over plain TLS termination; it must never be redirected.
SECURE_REDIRECT_EXEMPT = [r"^message$"]

# Sign-up and Business ID link requests, per signed-in user or else per address
# (django-ratelimit counts in the cache: Redis when REDIS_URL is set).
SIGNUP_RATE_LIMIT = env_str("SIGNUP_RATE_LIMIT", "10/h")
LINK_RATE_LIMIT = env_str("LINK_RATE_LIMIT", "20/h")

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "conversations.exceptions.api_exception_handler",
    # Writes (sends, imports, settings) per user; reads are not throttled.
    "DEFAULT_THROTTLE_CLASSES": ["conversations.throttles.WriteThrottle"],
    "DEFAULT_THROTTLE_RATES": {"writes": env_str("API_WRITE_RATE", "600/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSP console API",
    "DESCRIPTION": "Conversations and messages of Apple Messages for Business.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Channels and Celery: with no REDIS_URL everything runs in one process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 times reads out after 5 s, exactly as long as
                # channels_redis blocks waiting for a message: an idle socket
                # would die with a 1011. Give reads room beyond that wait.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                # Several deployments (or test stacks) may share one Redis.
                "prefix": env_str("CHANNELS_PREFIX", "msp_console"),
                # Above Daphne's websocket timeout, well under the default day.
                "group_expiry": 3600,
                # Per socket: a burst of inbound traffic queues here while a
                # saturated server catches up; past it pushes are dropped.
                "capacity": 5000,
            },
        }
    }
else:
    if not DEBUG:
        raise ImproperlyConfigured("REDIS_URL is required when DJANGO_DEBUG is off")
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# One cache every process shares (rate limits, lockouts, link previews).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CHANNELS_PREFIX", "msp_console"),
        }
    }

# Celery
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_IGNORE_RESULT = True
# Longer than the largest retry countdown, so a delayed retry is not redelivered early.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULE = {
    "message-requeue-stuck": {
        "task": "conversations.message_requeue_stuck",
        "schedule": 60.0,
    },
    "webhook-requeue-stuck": {
        "task": "integrations.webhook_requeue_stuck",
        "schedule": 60.0,
    },
}

# Apple
MSP_ID = env_str("MSP_ID")
MSP_SECRETS = env_list("MSP_SECRETS")
APPLE_GATEWAY_URL = env_str("APPLE_GATEWAY_URL", "https://mspgw.push.apple.com/v1")
APPLE_TIMEOUT_SECONDS = float(env_str("APPLE_TIMEOUT_SECONDS", "15"))
MSP_AGENT_NAME = env_str("MSP_AGENT_NAME", "msp-console")
if not (MSP_ID and MSP_SECRETS):
    if not DEBUG:
        raise ImproperlyConfigured(
            "MSP_ID and MSP_SECRETS are required when DJANGO_DEBUG is off"
        )
    MSP_ID = MSP_ID or "dev-msp"
    # base64 of "development-secret-do-not-use-in-production!!"
    MSP_SECRETS = MSP_SECRETS or [
        "ZGV2ZWxvcG1lbnQtc2VjcmV0LWRvLW5vdC11c2UtaW4tcHJvZHVjdGlvbiEh"
    ]

# Integrations: secrets at rest, Apple Pay, OAuth, outbound webhooks
# A Fernet key (urlsafe base64 of 32 bytes); in DEBUG it is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY is required when DJANGO_DEBUG is off"
    )
# Our own address as devices and Apple see it (payment gateway, OAuth redirect);
# empty means "the host of the request that sends the rich object".
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
APPLE_PAY_SESSION_URL = env_str(
    "APPLE_PAY_SESSION_URL",
    "https://apple-pay-gateway.apple.com/paymentservices/paymentSession",
)
INTEGRATIONS_HTTP_TIMEOUT_SECONDS = float(
    env_str("INTEGRATIONS_HTTP_TIMEOUT_SECONDS", "10")
)

# Sandbox: the stand-in for Apple and the customer's device (off in production).
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", False)
# Where the sandbox posts Apple's inbound webhooks; our own /message by default.
SANDBOX_WEBHOOK_URL = env_str("SANDBOX_WEBHOOK_URL", "")
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")
# With the sandbox playing Apple's gateway on this server, it also plays Apple
# Pay's merchant-session endpoint (sandbox/provider.py), and this server's public
# address is the gateway's host, unless either is named.
if SANDBOX_ENABLED and APPLE_GATEWAY_URL.rstrip("/").endswith("/sandbox/v1"):
    _sandbox_host = APPLE_GATEWAY_URL.rstrip("/").removesuffix("/sandbox/v1")
    if not env_str("APPLE_PAY_SESSION_URL"):
        APPLE_PAY_SESSION_URL = f"{_sandbox_host}/sandbox/applepay/paymentSession"
    PUBLIC_BASE_URL = PUBLIC_BASE_URL or _sandbox_host
# Webhooks, payment processors, OAuth token endpoints and rich-link previews reach
# only public addresses (conversations/safe_http.py); these CIDRs are let through
# as well: an internal identity provider, or loopback for the local sandbox.
ALLOWED_PRIVATE_NETWORKS = env_list("ALLOWED_PRIVATE_NETWORKS")
for _cidr in ALLOWED_PRIVATE_NETWORKS:
    try:
        ipaddress.ip_network(_cidr, strict=False)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"ALLOWED_PRIVATE_NETWORKS: {_cidr!r} is not a network (CIDR)"
        ) from exc

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "daphne": {"level": "WARNING"}},
}
