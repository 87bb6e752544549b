"""The library studio in the console: list, form editor with live preview, versions,
import/export. Admins of the business manage it; its agents see what they may send.

Every write goes through ``services``; every lookup is scoped to the business of
the URL, which the user must belong to (another tenant's ids answer 404).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations.models import Business, Membership
from conversations.permissions import admin_required
from conversations.types import AuthenticatedHttpRequest

from . import preview, selectors, services
from .channel import channel_summary
from .extensions import (
    business_imessage_apps,
    business_settings_url,
    business_time_zone,
    try_it_targets,
)
from .models import RichImage, RichObject, RichObjectPublication
from .versions import version_diff

IMPORT_MAX_BYTES = 20 * 1024 * 1024
# Placeholders an admin can insert, with what the sample customer shows for each.
PLACEHOLDERS = [
    ("customer.name", gettext_lazy("The customer's name"), "there"),
    ("business.name", gettext_lazy("The business's name"), ""),
]


def _membership(request: HttpRequest, business_id: int) -> Membership:
    membership = (
        Membership.objects.filter(user_id=request.user.pk or 0, business_id=business_id)
        .select_related("business")
        .first()
    )
    if membership is None:
        raise Http404("No such business.")
    return membership


def _object_or_404(business: Business, object_id: int) -> RichObject:
    found = selectors.rich_object_get_for_admin(business=business, object_id=object_id)
    if found is None:
        raise Http404("No such object in this library.")
    return found


def _kind_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in RichObject.Kind.choices}


# --- the list --------------------------------------------------------------------------


@login_required
@require_GET
def library_list(request: AuthenticatedHttpRequest, business_id: int) -> HttpResponse:
    membership = _membership(request, business_id)
    business = membership.business
    is_admin = membership.role == Membership.Role.ADMIN
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    filters = selectors.LibraryFilters(
        query=request.GET.get("q", "")[:200],
        kind=kind if kind in RichObject.Kind.values else "",
        tag=request.GET.get("tag", "")[:100],
        status=status if status in RichObject.State.values else "",
        team=request.GET.get("team", "")[:100],
    )
    objects = selectors.rich_object_list_for_library(
        business=business, user=request.user, is_admin=is_admin, filters=filters
    )
    every = RichObject.objects.filter(business=business)
    return render(
        request,
        "richobjects/library/list.html",
        {
            "business": business,
            "is_admin": is_admin,
            "objects": objects,
            "filters": filters,
            "kinds": RichObject.Kind.choices,
            "states": RichObject.State.choices,
            "teams": sorted(
                {t for t in every.values_list("scope_team", flat=True) if t}
            ),
            "tags": sorted(
                {str(t) for tags in every.values_list("tags", flat=True) for t in tags}
            ),
            "library_empty": not every.exists(),
        },
    )


# --- the editor ---------------------------------------------------------------------------


class RichObjectMetaForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        help_text=gettext_lazy("Agents find it by this name."),
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Comma-separated, e.g. returns, orders"),
    )
    scope_team = forms.CharField(
        label=gettext_lazy("Team"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "Blank: every agent of the business; otherwise only this team's."
        ),
    )
    locale = forms.CharField(
        label=gettext_lazy("Locale"),
        required=False,
        max_length=16,
        help_text=gettext_lazy("e.g. en_US; blank for any locale"),
    )
    agents_may_edit = forms.BooleanField(
        label=gettext_lazy("Agents may edit"),
        required=False,
        help_text=gettext_lazy("Agents may change the content before sending."),
    )
    text_alternative = forms.CharField(
        label=gettext_lazy("Text alternative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Sent to devices that cannot show this kind (a Mac, a Watch, "
            "an older iPhone). Leave blank to generate it from the content."
        ),
    )
    spec = forms.CharField(
        label="JSON",
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "The content in the builders' vocabulary; the form writes it for you."
        ),
    )

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean_spec(self) -> Any:
        try:
            spec = json.loads(self.cleaned_data["spec"])
        except ValueError as exc:
            raise ValidationError(
                gettext("is not valid JSON (%(exc)s)") % {"exc": exc}
            ) from exc
        if not isinstance(spec, dict):
            raise ValidationError(gettext("must be a JSON object"))
        return spec


def _editor_context(
    request: HttpRequest,
    business: Business,
    kind: str,
    form: RichObjectMetaForm,
    rich_object: RichObject | None,
    spec_errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    targets = []
    if rich_object is not None:
        for target in try_it_targets():
            try:
                url = reverse(target.url_name, args=[business.pk, rich_object.pk])
            except NoReverseMatch:
                continue  # registered, but its URLs are not mounted
            targets.append(
                {"label": target.label, "url": url, "choices": target.choices(business)}
            )
    return {
        "business": business,
        "kind": kind,
        "kind_label": _kind_labels().get(kind, kind),
        "form": form,
        "object": rich_object,
        "spec_errors": spec_errors or {},
        # A list: in templates ``errors.items`` would read a spec field named "items".
        "spec_error_list": sorted((spec_errors or {}).items()),
        "try_it": targets,
        "studio_config": {
            "kind": kind,
            "previewUrl": reverse("library-preview", args=[business.pk]),
            "imagesUrl": reverse("library-images", args=[business.pk]),
            "placeholders": [
                {"name": n, "label": label, "fallback": fallback}
                for n, label, fallback in PLACEHOLDERS
            ],
            "errors": spec_errors or {},
            "channel": _channel_facts(business, kind),
        },
    }


def _channel_facts(business: Business, kind: str) -> dict[str, Any]:
    """What the form shows from the channel settings for ``kind`` (read-only there)."""
    facts: dict[str, Any] = {"timeZone": str(business_time_zone(business))}
    if kind in (
        RichObject.Kind.APPLE_PAY,
        RichObject.Kind.AUTHENTICATION,
        RichObject.Kind.AUTHENTICATION_LEGACY,
    ):
        summary = channel_summary(business)
        facts["merchant"] = (
            {
                "name": summary.merchant_name,
                "identifier": summary.merchant_identifier,
                "currency": summary.currency_code,
            }
            if summary.merchant_identifier
            else None
        )
        facts["oauth"] = (
            {"title": summary.oauth_title, "scope": list(summary.oauth_scope)}
            if summary.oauth_title
            else None
        )
        facts["merchantUrl"] = summary.merchant_settings_url
        facts["oauthUrl"] = summary.oauth_settings_url
    if kind == RichObject.Kind.IMESSAGE_APP:
        facts["apps"] = [
            preview.imessage_app_spec(app) for app in business_imessage_apps(business)
        ]
        facts["appsUrl"] = business_settings_url(business)
    return facts


def _save(
    request: AuthenticatedHttpRequest,
    business: Business,
    kind: str,
    form: RichObjectMetaForm,
    rich_object: RichObject | None,
) -> RichObject:
    data = form.cleaned_data
    meta = {
        "name": data["name"].strip(),
        "tags": data["tags"],
        "locale": data["locale"].strip(),
        "scope_team": data["scope_team"].strip(),
        "agents_may_edit": data["agents_may_edit"],
    }
    alternative: str | None = data["text_alternative"]
    if rich_object is None:
        saved = services.rich_object_create(
            business=business,
            kind=kind,
            spec=data["spec"],
            text_alternative=alternative or "",
            user=request.user,
            **meta,
        )
    else:
        if (
            not rich_object.text_alternative_edited
            and (alternative or "").strip() == rich_object.text_alternative
        ):
            alternative = None  # untouched generated text keeps following the content
        saved = services.rich_object_update(
            rich_object=rich_object,
            spec=data["spec"],
            text_alternative=alternative,
            user=request.user,
            **meta,
        )
    if request.POST.get("action") == "publish":
        services.rich_object_publish(rich_object=saved, user=request.user)
    return saved


def _editor(
    request: AuthenticatedHttpRequest,
    business: Business,
    kind: str,
    rich_object: RichObject | None,
) -> HttpResponse:
    if request.method == "POST":
        form = RichObjectMetaForm(request.POST)
        spec_errors: dict[str, list[str]] = {}
        if form.is_valid():
            try:
                saved = _save(request, business, kind, form, rich_object)
            except ValidationError as exc:
                errors = (
                    exc.message_dict
                    if hasattr(exc, "error_dict")
                    else {"spec": exc.messages}
                )
                for field, rules in errors.items():
                    if field == "name":
                        form.add_error("name", rules)
                    else:
                        spec_errors[field] = rules
            else:
                published = request.POST.get("action") == "publish"
                messages.success(
                    request,
                    f"Published “{saved.name}”: agents can send it."
                    if published
                    else f"Saved “{saved.name}” as a draft.",
                )
                return HttpResponseRedirect(
                    reverse("library-edit", args=[business.pk, saved.pk])
                )
        context = _editor_context(
            request, business, kind, form, rich_object, spec_errors
        )
        return render(request, "richobjects/library/editor.html", context, status=400)
    if rich_object is None:
        spec: dict[str, Any] = preview.starter_spec(kind, business)
        initial: dict[str, Any] = {"name": "", "tags": "", "text_alternative": ""}
    else:
        spec = rich_object.current_version.spec if rich_object.current_version else {}
        initial = {
            "name": rich_object.name,
            "tags": ", ".join(rich_object.tags),
            "scope_team": rich_object.scope_team,
            "locale": rich_object.locale,
            "agents_may_edit": rich_object.agents_may_edit,
            "text_alternative": rich_object.text_alternative,
        }
    initial["spec"] = json.dumps(spec, indent=2, ensure_ascii=False)
    form = RichObjectMetaForm(initial=initial)
    return render(
        request,
        "richobjects/library/editor.html",
        _editor_context(request, business, kind, form, rich_object),
    )


@admin_required
@require_http_methods(["GET", "POST"])
def library_new(request: AuthenticatedHttpRequest, business: Business) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in RichObject.Kind.values:
        return render(
            request,
            "richobjects/library/new.html",
            {"business": business, "kinds": RichObject.Kind.choices},
        )
    return _editor(request, business, kind, None)


@admin_required
@require_http_methods(["GET", "POST"])
def library_edit(
    request: AuthenticatedHttpRequest, business: Business, object_id: int
) -> HttpResponse:
    rich_object = _object_or_404(business, object_id)
    return _editor(request, business, rich_object.kind, rich_object)


@admin_required
@require_POST
def library_state(
    request: AuthenticatedHttpRequest, business: Business, object_id: int
) -> HttpResponse:
    """Publish the current version, or archive (POST action=publish|archive)."""
    rich_object = _object_or_404(business, object_id)
    action = request.POST.get("action")
    if action == "archive":
        services.rich_object_archive(rich_object=rich_object)
        messages.success(
            request, gettext("Archived “%(name)s”.") % {"name": rich_object.name}
        )
    elif action == "publish":
        try:
            services.rich_object_publish(rich_object=rich_object, user=request.user)
        except ValidationError as exc:
            messages.error(
                request,
                gettext("Not published: %(values)s")
                % {"values": "; ".join(exc.messages)},
            )
        else:
            messages.success(
                request, gettext("Published “%(name)s”.") % {"name": rich_object.name}
            )
    else:
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    return HttpResponseRedirect(reverse("library-edit", args=[business.pk, object_id]))


@admin_required
@require_POST
def library_preview(
    request: AuthenticatedHttpRequest, business: Business
) -> JsonResponse:
    """POST {"kind", "spec", "sample"?} → the device bubble, or the broken rules."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return JsonResponse(
            {
                "error": {
                    "code": "invalid_request",
                    "message": gettext("Send a JSON object."),
                }
            },
            status=400,
        )
    status, answer = preview.preview_answer(
        business=business,
        kind=str(body.get("kind") or ""),
        spec=body.get("spec"),
        sample=bool(body.get("sample")),
    )
    return JsonResponse(answer, status=status)


# --- images ---------------------------------------------------------------------------------


def _image_data(image: RichImage) -> dict[str, Any]:
    return {
        "id": image.pk,
        "name": image.name,
        "width": image.width,
        "height": image.height,
        "url": reverse("library-image", args=[image.business_id, image.pk]),
    }


@admin_required
@require_http_methods(["GET", "POST"])
def library_images(
    request: AuthenticatedHttpRequest, business: Business
) -> JsonResponse:
    """GET: the business's images. POST (multipart "file", "name"): upload one."""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            return JsonResponse(
                {"error": {"message": gettext("Choose an image file."), "fields": {}}},
                status=400,
            )
        if upload.size is not None and upload.size > services.RICH_IMAGE_MAX_BYTES:
            return JsonResponse(
                {
                    "error": {
                        "message": gettext("file: must be at most 1 MB"),
                        "fields": {},
                    }
                },
                status=400,
            )
        name = (request.POST.get("name") or Path(upload.name or "image").stem).strip()[
            :200
        ] or "image"
        try:
            image = services.rich_image_create(
                business=business, name=name, data=upload.read()
            )
        except ValidationError as exc:
            return JsonResponse(
                {"error": {"message": "; ".join(exc.messages), "fields": {}}},
                status=400,
            )
        return JsonResponse({"image": _image_data(image)}, status=201)
    images = RichImage.objects.filter(business=business).order_by("name")
    return JsonResponse({"results": [_image_data(i) for i in images]})


@admin_required
@require_GET
def library_image(
    request: AuthenticatedHttpRequest, business: Business, image_id: int
) -> HttpResponse:
    image = RichImage.objects.filter(business=business, pk=image_id).first()
    if image is None:
        raise Http404("No such image.")
    with image.file.open("rb") as handle:
        data = handle.read()
    response = HttpResponse(data, content_type=image.mime_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- versions --------------------------------------------------------------------------------


@admin_required
@require_GET
def library_history(
    request: AuthenticatedHttpRequest, business: Business, object_id: int
) -> HttpResponse:
    rich_object = _object_or_404(business, object_id)
    versions = list(
        rich_object.versions.select_related("created_by").order_by("-number")
    )
    publications: dict[int, list[RichObjectPublication]] = {}
    for publication in RichObjectPublication.objects.filter(
        rich_object=rich_object
    ).select_related("published_by"):
        publications.setdefault(publication.version_id, []).append(publication)
    numbers = [v.number for v in versions]

    def number(param: str, default: int | None) -> int | None:
        raw = request.GET.get(param, "")
        return int(raw) if raw.isdigit() and int(raw) in numbers else default

    newest = numbers[0] if numbers else None
    after = number("b", newest)
    before = number("a", numbers[1] if len(numbers) > 1 else None)
    by_number = {v.number: v for v in versions}
    changes = []
    if before is not None and after is not None:
        old, new = by_number[before], by_number[after]
        changes = version_diff(old.spec, new.spec)
        if old.text_alternative != new.text_alternative:
            changes.extend(
                version_diff(
                    {"text alternative": old.text_alternative},
                    {"text alternative": new.text_alternative},
                )
            )
    return render(
        request,
        "richobjects/library/history.html",
        {
            "business": business,
            "object": rich_object,
            "rows": [
                {"version": v, "publications": publications.get(v.pk, [])}
                for v in versions
            ],
            "before": before,
            "after": after,
            "changes": changes,
        },
    )


@admin_required
@require_POST
def library_restore(
    request: AuthenticatedHttpRequest, business: Business, object_id: int, number: int
) -> HttpResponse:
    rich_object = _object_or_404(business, object_id)
    try:
        services.rich_object_restore(
            rich_object=rich_object, number=number, user=request.user
        )
    except ValidationError as exc:
        messages.error(
            request,
            gettext("Not restored: %(values)s") % {"values": "; ".join(exc.messages)},
        )
        return HttpResponseRedirect(
            reverse("library-history", args=[business.pk, object_id])
        )
    messages.success(
        request,
        gettext("Restored version %(number)s as a draft. Publish it to send it.")
        % {"number": number},
    )
    return HttpResponseRedirect(reverse("library-edit", args=[business.pk, object_id]))


# --- import / export ----------------------------------------------------------------------


@admin_required
@require_GET
def library_export(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    data = services.rich_object_export(business)
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="library-{business.pk}.json"'
    )
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def library_import(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    report = None
    error = ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = gettext("Choose an exported library file (.json).")
        elif upload.size is not None and upload.size > IMPORT_MAX_BYTES:
            error = gettext("The file is larger than 20 MB.")
        else:
            try:
                data = json.loads(upload.read())
                report = services.rich_object_import(business, data)
            except ValueError as exc:
                error = gettext("This is not a JSON file (%(exc)s).") % {"exc": exc}
            except ValidationError as exc:
                error = "; ".join(exc.messages)
    return render(
        request,
        "richobjects/library/import.html",
        {
            "business": business,
            "report": report,
            # Lists: in templates ``.items`` would read a field named "items".
            "report_errors": [
                (name, sorted(fields.items()))
                for name, fields in (report.errors.items() if report else [])
            ],
            "error": error,
        },
        status=400 if error else 200,
    )
