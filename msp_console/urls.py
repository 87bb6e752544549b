from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.urls import staticfiles_urlpatterns
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from conversations.apis import api_not_found
from trust.second_factor_views import PasswordResetConfirm, SignInView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's reset flow: a signed, single-use link by e-mail (templates/registration/).
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            email_template_name="registration/password_reset_email.txt"
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The console's JS strings in the request's language (gettext() in the page).
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(),
        name="javascript-catalog",
    ),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's setup script from its own URL: the
    # Content-Security-Policy allows no inline scripts.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema"),
        name="api-docs",
    ),
    path("", RedirectView.as_view(url="/console/", permanent=False)),
    # Browsers ask for /favicon.ico on pages without an icon link (the login page).
    path(
        "favicon.ico",
        RedirectView.as_view(url="/static/console/favicon.svg", permanent=True),
    ),
    path("", include("businesses.urls")),
    path("", include("integrations.urls")),
    path("", include("insights.urls")),
    path("", include("trust.urls")),
    path("", include("conversations.urls")),
    path("", include("richobjects.urls")),
]

# Daphne serves no static files itself; in DEBUG (dev and the live test stack)
# Django does, and production puts a static server or CDN in front.
urlpatterns += staticfiles_urlpatterns()
# Last: an unknown /api/ URL (a malformed id too) answers the API's JSON 404.
urlpatterns.append(re_path(r"^api/(?P<path>.*)$", api_not_found))

if settings.SANDBOX_ENABLED:
    urlpatterns.insert(0, path("sandbox/", include("sandbox.urls")))
