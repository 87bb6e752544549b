"""The one settings module. Everything that differs between machines comes from the
environment (see .env.example); production differs from development only there."""

from __future__ import annotations

import ipaddress
import logging
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django_guid.integrations import CeleryIntegration

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
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", False)
if not DEBUG:
    # Production refuses to start half-configured: a forgotten DATABASE_URL
    # would silently mean SQLite, a forgotten secret a guessable one.
    _required = {
        "DATABASE_URL": ["DATABASE_URL"],
        "REDIS_URL": ["REDIS_URL"],
        "DJANGO_SECRET_KEY": ["DJANGO_SECRET_KEY"],
        "MSP_ID and MSP_SECRETS": ["MSP_ID", "MSP_SECRETS"],
        "FIELD_ENCRYPTION_KEY": ["FIELD_ENCRYPTION_KEY"],
    }
    _missing = [
        label
        for label, names in _required.items()
        if not all(env_str(name) for name in names)
    ]
    _problems = [f"{label} is required when DJANGO_DEBUG is off" for label in _missing]
    if SANDBOX_ENABLED:
        # The sandbox lists every business and signs with the real MSP secret.
        _problems.append("SANDBOX_ENABLED must be off when DJANGO_DEBUG is off")
    if _problems:
        raise ImproperlyConfigured("; ".join(_problems))
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or "insecure-development-key-only-for-debug"
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
    "django_guid",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "conversations",
    "richobjects",
    "businesses",
    "integrations",
    "insights",
    "trust",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the app itself, compressed and hashed (README "Deploying").
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A request id on every log line of the request and of the tasks it enqueues.
    "django_guid.middleware.guid_middleware",
    "msp_console.access.AccessLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language, the language cookie), then the
    # agent's own choice once they are known (AgentLanguageMiddleware).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is acting and from where, for the audit log (trust/context.py).
    "trust.context.AuditContextMiddleware",
    # request.user.is_verified(); then members who owe a second factor are sent
    # to enrol or verify (trust/second_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "trust.second_factor.SecondFactorMiddleware",
    # Idle sign-in sessions end after SESSION_IDLE_HOURS (trust/sessions.py).
    "trust.sessions.IdleSessionMiddleware",
    "conversations.middleware.AgentLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
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
                "conversations.context_processors.navigation",
            ],
        },
    },
]

# Database
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Under ASGI every request may run in another thread: persistent
        # connections would pile up per thread, so the pool keeps them instead.
        conn_max_age=0,
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
elif env_bool("DATABASE_POOL", True):
    # psycopg's pool, one per process: WEB_CONCURRENCY x DATABASE_POOL_MAX_SIZE
    # (plus the workers') must stay under PostgreSQL's max_connections.
    DATABASES["default"]["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 10),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
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
# A sign-in ends after this long without a request (trust/sessions.py moves
# the expiry on with activity); 12 hours covers a shift.
# The issuer shown in authenticator apps next to the username.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "MSP console")
SESSION_COOKIE_AGE = int(float(env_str("SESSION_IDLE_HOURS", "12")) * 3600)
LOGIN_REDIRECT_URL = "/console/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
# Built from the .po files by `make install` (compilemessages); .mo are not committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
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
    # Hashed names and gzip copies, made by `collectstatic` (run by
    # `make serve`); development serves the source files as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "msp_console.staticfiles.StaticFilesStorage"
    },
}
if STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
    # Any S3-compatible store (AWS, MinIO, R2…); credentials come from the
    # usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables.
    STORAGES["default"]["OPTIONS"] = {  # type: ignore[assignment]  # STORAGES is inferred as dict[str, dict[str, str]]
        "bucket_name": env_str("S3_BUCKET"),
        "endpoint_url": env_str("S3_ENDPOINT_URL") or None,
        "region_name": env_str("S3_REGION") or None,
        "default_acl": None,
        "file_overwrite": False,
    }

# Security: behind TLS in production, plain HTTP in development.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
# X-Forwarded-Proto is anyone's to send: trust it only when a TLS proxy in front
# sets it (and strips what clients sent).
TRUSTED_PROXY = env_bool("TRUSTED_PROXY", False)
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
# Production cookies never travel over plain HTTP, whoever does the redirect.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# Apple posts to /message and load balancers probe health over plain HTTP
# behind TLS termination; neither must be redirected.
SECURE_REDIRECT_EXEMPT = [r"^message$", r"^healthz$", r"^readyz$", r"^metrics$"]


# Content-Security-Policy (django-csp): scripts and styles only from our own
# files, no inline code anywhere (pages load ES modules; the API docs load their
# setup script from a URL of their own). The console's socket is same-host:
# 'self' covers ws/wss in current browsers, and the hosts below spell it out.
def _socket_sources(hosts: list[str]) -> list[str]:
    if any(host == "*" for host in hosts):
        return ["ws:", "wss:"]
    sources = []
    for host in hosts:
        name = f"*{host}" if host.startswith(".") else host
        sources += [f"ws://{name}:*", f"wss://{name}:*", f"wss://{name}"]
    return sources


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *_socket_sources(ALLOWED_HOSTS)],
        "media-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
}

# Sign-up and Business ID link requests, per signed-in user or else per address
# (django-ratelimit counts in the cache: Redis when REDIS_URL is set).
SIGNUP_RATE_LIMIT = env_str("SIGNUP_RATE_LIMIT", "10/h")
LINK_RATE_LIMIT = env_str("LINK_RATE_LIMIT", "20/h")
# With the cache (Redis) down, sign-up and linking go on unlimited for that
# while rather than answering 500: the limits slow abuse, they guard no secret.
RATELIMIT_FAIL_OPEN = True
# Anonymous posts to the Apple Pay gateway (/integrations/pay/…), per address.
PAYMENT_GATEWAY_RATE_LIMIT = env_str("PAYMENT_GATEWAY_RATE_LIMIT", "30/m")

# E-mail (invitations): Django's EMAIL_* settings from the environment. With no
# EMAIL_HOST, development prints mail on the console; tests keep it in memory.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or not DEBUG
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "msp-console@localhost")
# Where django.core.mail.backends.filebased.EmailBackend writes each message (an
# outbox a staging server or an end-to-end test reads).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH") or None
# How long a team invitation link stays valid.
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
INVITATION_RATE_LIMIT = env_str("INVITATION_RATE_LIMIT", "30/h")

# Django REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Named, expiring tokens (msp_…), then the older one-per-user tokens.
        "conversations.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (attachments declare multipart): the schema says exactly that.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "conversations.api_schema.ApiSchema",
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
    # 3.1 for `webhooks`: the outbound events are part of the contract.
    "OAS_VERSION": "3.1.0",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "conversations.api_schema.blank_strings_any_of",
    ],
    "WEBHOOKS": [
        "integrations.webhook_contract.MESSAGE_CREATED",
        "integrations.webhook_contract.INTERACTIVE_REPLY",
        "integrations.webhook_contract.CONVERSATION_CLOSED",
        "integrations.webhook_contract.PAYMENT",
        "integrations.webhook_contract.SIGNIN",
        "integrations.webhook_contract.TEST",
    ],
    "ENUM_NAME_OVERRIDES": {
        # One name for the availability states wherever they appear.
        "AvailabilityEnum": "conversations.models.Availability.Status",
        "RichObjectKindEnum": "richobjects.models.RichObject.Kind",
        "MessageKindEnum": "conversations.models.Message.Kind",
        "MessageStatusEnum": "conversations.models.Message.Status",
        "ConversationStatusEnum": "conversations.models.Conversation.Status",
    },
}

# Channels and Celery: with no REDIS_URL everything runs in one process.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis's pub/sub layer: one PUBLISH per push, and
            # sockets are told when Redis drops (msp_console/channel_layer.py).
            "BACKEND": "msp_console.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                # Several deployments (or test stacks) may share one Redis.
                "prefix": env_str("CHANNELS_PREFIX", "msp_console"),
            },
        }
    }
else:
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
if REDIS_URL:
    # kombu's Redis transport, fixed so a Redis restart does not end workers.
    CELERY_BROKER_TRANSPORT = "msp_console.broker:Transport"
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
    "idempotency-keys-purge": {
        "task": "conversations.idempotency_keys_purge",
        "schedule": 3600.0,
    },
    # Often: a dead worker's sends come back within SEND_LEASE + this (≤ 45 s).
    "message-requeue-stuck": {
        "task": "conversations.message_requeue_stuck",
        "schedule": float(env_int("MESSAGE_SWEEP_SECONDS", 10)),
    },
    "conversations-route-unrouted": {
        "task": "businesses.conversations_route_unrouted",
        "schedule": 30.0,
    },
    "webhook-requeue-stuck": {
        "task": "integrations.webhook_requeue_stuck",
        "schedule": 60.0,
    },
    # Records SLA breaches as they happen and takes up routing's priorities.
    # Each business's retention period (trust/retention.py), once a night.
    "retention-sweep": {
        "task": "trust.retention_sweep",
        "schedule": crontab(hour=3, minute=17),
    },
    "sla-sweep": {
        "task": "insights.sla_sweep",
        "schedule": 60.0,
    },
}

# Temporary delivery errors are retried this long (Apple keeps messages for 30
# days); then the message pauses and holds its conversation until an agent
# retries or drops it.
MESSAGE_RETRY_WINDOW_SECONDS = env_int("MESSAGE_RETRY_WINDOW_SECONDS", 24 * 3600)
# A pending message this long past its due time lost its task (a killed worker's
# countdown, a failed publish): the sweeper enqueues it again.
MESSAGE_OVERDUE_SECONDS = env_int("MESSAGE_OVERDUE_SECONDS", 60)

# Apple
MSP_ID = env_str("MSP_ID")
MSP_SECRETS = env_list("MSP_SECRETS")
APPLE_GATEWAY_URL = env_str("APPLE_GATEWAY_URL", "https://mspgw.push.apple.com/v1")
APPLE_TIMEOUT_SECONDS = float(env_str("APPLE_TIMEOUT_SECONDS", "15"))
MSP_AGENT_NAME = env_str("MSP_AGENT_NAME", "msp-console")
if not (MSP_ID and MSP_SECRETS):
    MSP_ID = MSP_ID or "dev-msp"
    # base64 of "development-secret-do-not-use-in-production!!"
    MSP_SECRETS = MSP_SECRETS or [
        "ZGV2ZWxvcG1lbnQtc2VjcmV0LWRvLW5vdC11c2UtaW4tcHJvZHVjdGlvbiEh"
    ]

# Integrations: secrets at rest, Apple Pay, OAuth, outbound webhooks
# A Fernet key (urlsafe base64 of 32 bytes); in DEBUG it is derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = env_str("FIELD_ENCRYPTION_KEY")
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

# Logs: one JSON object per line in production (LOG_FORMAT=json), keeping the
# `extra` fields the code passes and the request id of the request or task.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {
                "asctime": "time",
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
            },
        },
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "httpx": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
        # msp_console.access logs each request once, with its request id.
        "uvicorn.access": {"level": "WARNING"},
    },
}
# Python's warnings (a library's deprecation, Django's streaming note) go through
# logging, so they are JSON lines like everything else, not bare stderr text.
logging.captureWarnings(True)
DJANGO_GUID = {
    # A request id from the proxy in front is kept; otherwise one is made.
    "GUID_HEADER_NAME": "X-Request-ID",
    "INTEGRATIONS": [
        # Tasks log the id of the request that enqueued them; beat tasks get one.
        CeleryIntegration(use_django_logging=True, log_parent=True),
    ],
}

# Metrics: /metrics answers a bearer METRICS_TOKEN, or a client in
# METRICS_ALLOWED_IPS (addresses or networks); nothing else.
METRICS_TOKEN = env_str("METRICS_TOKEN")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "127.0.0.1,::1")

# Error tracking, only when a DSN is given.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
    )
