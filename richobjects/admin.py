"""Admin curation of the rich-object library; every write goes through ``services``."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from conversations.admin_scope import BusinessScopedAdmin, scoped
from conversations.apple import limits
from conversations.models import Business, Membership
from conversations.types import User

from . import builders, preview, services
from .images import ImageInfo, UnreadableImage, image_info
from .models import RichImage, RichObject, RichObjectVersion

_SPEC_HELP = (
    "The object's content as JSON, in the vocabulary described in "
    "richobjects/builders.py. Library images: "
    '{"images": {"logo": {"rich_image": 3}}}. Placeholders such as '
    "{{customer.name}} are filled at send time."
)


def _staff_user(request: HttpRequest) -> User:
    """The admin site lets only signed-in staff through, so its user is a ``User``."""
    if not isinstance(request.user, User):
        raise PermissionDenied
    return request.user


class RichObjectForm(forms.ModelForm):
    spec = forms.JSONField(
        help_text=_SPEC_HELP,
        widget=forms.Textarea(
            attrs={"rows": 24, "cols": 100, "class": "vLargeTextField"}
        ),
    )

    class Meta:
        model = RichObject
        fields = [
            "business",
            "name",
            "kind",
            "tags",
            "locale",
            "scope_team",
            "agents_may_edit",
            "text_alternative",
        ]
        widgets = {"text_alternative": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance: RichObject = self.instance
        if instance.pk and instance.current_version:
            self.fields["spec"].initial = instance.current_version.spec
        if "text_alternative" in self.fields:
            self.fields[
                "text_alternative"
            ].help_text = "Leave blank to generate it from the content."

    def clean(self) -> dict[str, Any]:
        super().clean()  # Django's returns self.cleaned_data, typed as optional
        cleaned = self.cleaned_data
        kind = cleaned.get("kind") or self.instance.kind
        business = cleaned.get("business") or getattr(self.instance, "business", None)
        spec = cleaned.get("spec")
        if kind and business is not None and spec is not None:
            try:
                services.rich_object_validate(business=business, kind=kind, spec=spec)
            except ValidationError as exc:
                # Builder fields are spec paths, not form fields: show them on "spec".
                for field, rules in exc.message_dict.items():
                    for rule in rules:
                        self.add_error("spec", f"{field}: {rule}")
        return cleaned


class RichObjectVersionInline(admin.TabularInline):
    model = RichObjectVersion
    extra = 0
    can_delete = False
    readonly_fields = ("number", "created_at", "created_by", "text_alternative")
    fields = readonly_fields
    ordering = ["-number"]
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RichObject)
class RichObjectAdmin(BusinessScopedAdmin):
    form = RichObjectForm
    # Both templates add to Django's: starter links, and the live bubble preview.
    change_list_template = "admin/richobjects/richobject/change_list.html"
    change_form_template = "admin/richobjects/richobject/change_form.html"
    list_display = [
        "name",
        "kind",
        "state",
        "business",
        "locale",
        "scope_team",
        "tag_list",
        "unpublished_changes",
        "updated_at",
    ]
    list_filter = ["kind", "state", "locale", "agents_may_edit", "business"]
    search_fields = ["name", "tags", "text_alternative"]
    list_select_related = ["business"]
    readonly_fields = [
        "state",
        "current_version",
        "published_version",
        "payload_preview",
    ]
    inlines = [RichObjectVersionInline]
    actions = ["publish_selected", "archive_selected"]
    fieldsets = [
        (None, {"fields": ["business", "name", "kind", "state", "tags", "locale"]}),
        ("Who may use it", {"fields": ["scope_team", "agents_may_edit"]}),
        ("Content", {"fields": ["spec", "text_alternative", "payload_preview"]}),
        ("Versions", {"fields": ["current_version", "published_version"]}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # A new kind would invalidate every stored version's content.
            fields += ["business", "kind"]
        return fields

    # --- starters and live preview --------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        # Before the defaults: "<path:object_id>/" would swallow "preview/".
        return [
            path(
                "preview/",
                csrf_protect(require_POST(self.preview_view)),
                name="richobjects_richobject_preview",
            ),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        if "business" not in initial:
            # The usual admin runs one business: start there, so the preview works at once.
            managed = Business.objects.all()
            user = _staff_user(request)
            if not user.is_superuser:
                managed = managed.filter(
                    memberships__user=user,
                    memberships__role=Membership.Role.ADMIN,
                )
            only = list(managed.values_list("pk", flat=True)[:2])
            if len(only) == 1:
                initial["business"] = only[0]
        kind = request.GET.get("kind", "")
        if kind in preview.STARTERS:
            initial["kind"] = kind
            initial["spec"] = preview.starter_spec(kind)
        return initial

    def _starter_context(self) -> dict[str, Any]:
        return {
            "rich_starters": [
                {"kind": kind.value, "label": kind.label}
                for kind in RichObject.Kind
                if kind.value in preview.STARTERS
            ],
            "rich_starter_specs": {
                str(kind): spec for kind, spec in preview.STARTERS.items()
            },
            "rich_preview_url": reverse("admin:richobjects_richobject_preview"),
        }

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return super().changelist_view(
            request, {**self._starter_context(), **(extra_context or {})}
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(
            request,
            object_id,
            form_url,
            {**self._starter_context(), **(extra_context or {})},
        )

    def preview_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"kind", "spec" (JSON text), "business" | "object"} → the device bubble.

        Admin-only (403 JSON otherwise, never a login redirect: the caller is
        a script). Invalid specs are a 400 whose ``fields`` name each broken rule.
        """
        user = request.user
        if not (
            user.is_active
            and user.is_staff
            and (
                self.has_add_permission(request) or self.has_change_permission(request)
            )
        ):
            return _preview_error(403, "forbidden", "Only library admins can preview.")
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _preview_error(400, "invalid_request", "Send a JSON object.")
        # Only objects and businesses this admin may see can be named.
        business, kind = _preview_target(
            body, self.get_queryset(request), scoped(Business.objects.all(), user)
        )
        if (
            business is None
            and body.get("object") in (None, "")
            and not body.get("business")
        ):
            return _preview_error(
                400, "invalid_request", "Name the object, or its business and kind."
            )
        if business is None:
            # Another tenant's row and no row at all answer alike.
            return _preview_error(403, "forbidden", "You do not manage this business.")
        if not kind:
            return _preview_error(
                400, "invalid_request", "Name the object, or its business and kind."
            )
        if (
            not user.is_superuser
            and not Membership.objects.filter(
                user=user, business=business, role=Membership.Role.ADMIN
            ).exists()
        ):
            return _preview_error(403, "forbidden", "You do not manage this business.")
        spec: Any = body.get("spec")
        if isinstance(spec, str):
            try:
                spec = json.loads(spec)
            except ValueError as exc:
                return _preview_error(
                    400,
                    "rich_object_invalid",
                    f"spec: is not valid JSON ({exc})",
                    {"spec": [f"is not valid JSON ({exc})"]},
                )
        try:
            bubble = preview.bubble_preview(business=business, kind=kind, spec=spec)
        except ValidationError as exc:
            fields = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"spec": exc.messages}
            )
            first, rules = next(iter(fields.items()))
            return _preview_error(
                400, "rich_object_invalid", f"{first}: {rules[0]}", fields
            )
        except builders.BuildError as exc:
            fields = (
                exc.as_dict()
                if isinstance(exc, builders.BuildErrors)
                else {exc.field: [exc.rule]}
            )
            return _preview_error(400, "rich_object_invalid", str(exc), fields)
        return JsonResponse({"preview": bubble})

    @admin.display(description="tags")
    def tag_list(self, obj: RichObject) -> str:
        return ", ".join(obj.tags)

    @admin.display(description="unpublished changes", boolean=True)
    def unpublished_changes(self, obj: RichObject) -> bool:
        return obj.has_unpublished_changes

    @admin.display(description="Apple payload (preview)")
    def payload_preview(self, obj: RichObject) -> str:
        if obj.pk is None or obj.current_version is None:
            return "Saved objects show the payload Apple would receive here."
        try:
            spec = services.spec_resolve_images(
                business=obj.business, spec=obj.current_version.spec, kind=obj.kind
            )
            payload = builders.validate_spec(obj.kind, spec)
        except (builders.BuildError, ValidationError) as exc:
            return format_html('<p class="errornote">{}</p>', str(exc))
        size = limits.payload_size(payload)
        note = " (over 10 KB: sent with include-data-ref)" if size > 10 * 1024 else ""
        return format_html(
            '<p>{} bytes{}</p><pre class="rp-payload">{}</pre>',
            size,
            note,
            json.dumps(_shorten_images(payload), indent=2, ensure_ascii=False),
        )

    def save_model(
        self, request: HttpRequest, obj: RichObject, form: RichObjectForm, change: bool
    ) -> None:
        data = form.cleaned_data
        if not change:
            created = services.rich_object_create(
                business=data["business"],
                name=data["name"],
                kind=data["kind"],
                spec=data["spec"],
                tags=data.get("tags") or [],
                locale=data.get("locale", ""),
                scope_team=data.get("scope_team", ""),
                agents_may_edit=data.get("agents_may_edit", False),
                text_alternative=data.get("text_alternative", ""),
                user=_staff_user(request),
            )
            obj.pk = created.pk
        else:
            stored = RichObject.objects.get(pk=obj.pk)
            alternative = data.get("text_alternative", "")
            if (
                not stored.text_alternative_edited
                and alternative == stored.text_alternative
            ):
                alternative = (
                    None  # untouched generated text keeps following the content
                )
            services.rich_object_update(
                rich_object=stored,
                spec=data["spec"],
                text_alternative=alternative,
                user=_staff_user(request),
                name=data["name"],
                tags=data.get("tags") or [],
                locale=data.get("locale", ""),
                scope_team=data.get("scope_team", ""),
                agents_may_edit=data.get("agents_may_edit", False),
            )
        obj.refresh_from_db()

    @admin.action(description="Publish the current version")
    def publish_selected(
        self, request: HttpRequest, queryset: QuerySet[RichObject]
    ) -> None:
        for rich_object in queryset:
            try:
                services.rich_object_publish(rich_object=rich_object)
            except ValidationError as exc:
                self.message_user(request, f"{rich_object}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, f"Published {rich_object}.", messages.SUCCESS
                )

    @admin.action(description="Archive (hide from agents and bots)")
    def archive_selected(
        self, request: HttpRequest, queryset: QuerySet[RichObject]
    ) -> None:
        for rich_object in queryset:
            services.rich_object_archive(rich_object=rich_object)
        self.message_user(request, f"Archived {queryset.count()} objects.")


def _preview_error(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "fields": fields or {}}},
        status=status,
    )


def _preview_target(
    body: dict[str, Any],
    objects: QuerySet[RichObject],
    businesses: QuerySet[Business],
) -> tuple[Business | None, str]:
    """The business and kind a preview is for: a saved object's, or the add form's."""
    object_id = body.get("object")
    if object_id not in (None, ""):
        pk = _int_or_none(object_id)
        found = (
            objects.select_related("business").filter(pk=pk).first()
            if pk is not None
            else None
        )
        return (found.business, found.kind) if found else (None, "")
    business_pk = _int_or_none(body.get("business"))
    business = (
        businesses.filter(pk=business_pk).first() if business_pk is not None else None
    )
    return business, str(body.get("kind") or "")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _shorten_images(payload: Any) -> Any:
    """Base64 image data is unreadable in a preview: show its length instead."""
    if isinstance(payload, dict):
        return {
            key: f"<{len(value)} base64 characters>"
            if key in ("data", "appIcon") and isinstance(value, str) and len(value) > 80
            else _shorten_images(value)
            for key, value in payload.items()
        }
    if isinstance(payload, list):
        return [_shorten_images(item) for item in payload]
    return payload


@admin.register(RichObjectVersion)
class RichObjectVersionAdmin(BusinessScopedAdmin):
    list_display = ["rich_object", "number", "created_at", "created_by"]
    list_filter = ["rich_object__kind", "rich_object__business"]
    search_fields = ["rich_object__name"]
    list_select_related = ["rich_object", "created_by"]
    readonly_fields = [
        "rich_object",
        "number",
        "spec_json",
        "text_alternative",
        "created_by",
        "created_at",
    ]
    exclude = ["spec"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Viewable, never editable: sent messages point at these rows.
        return False

    @admin.display(description="spec")
    def spec_json(self, obj: RichObjectVersion) -> str:
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.spec, indent=2, ensure_ascii=False)
        )


class RichImageForm(forms.ModelForm):
    upload = forms.FileField(help_text="PNG, JPEG or GIF, up to 1 MB")

    class Meta:
        model = RichImage
        fields = ["business", "name"]

    def clean_upload(self) -> Any:
        upload = self.cleaned_data["upload"]
        if upload.size > services.RICH_IMAGE_MAX_BYTES:
            raise ValidationError(gettext("must be at most 1 MB"))
        try:
            image_info(upload.read(64 * 1024))
        except UnreadableImage as exc:
            raise ValidationError(str(exc)) from exc
        upload.seek(0)
        return upload


@admin.register(RichImage)
class RichImageAdmin(BusinessScopedAdmin):
    list_display = [
        "name",
        "business",
        "mime_type",
        "dimensions",
        "bubble_styles",
        "size",
    ]
    list_filter = ["mime_type", "business"]
    search_fields = ["name"]
    list_select_related = ["business"]
    readonly_fields = [
        "file",
        "mime_type",
        "width",
        "height",
        "size",
        "sha256",
        "usage",
    ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = RichImageForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("business", "name", "upload")
        return ("business", "name", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        # Specs reference images by id within one business.
        return ["business", *fields] if obj is not None else fields

    @admin.display(description="size (px)")
    def dimensions(self, obj: RichImage) -> str:
        return f"{obj.width} x {obj.height}"

    @admin.display(description="large enough for")
    def bubble_styles(self, obj: RichImage) -> str:
        info = ImageInfo(obj.mime_type, obj.width, obj.height)
        return ", ".join(s for s in builders.BUBBLE_STYLES if info.fits(s)) or "-"

    @admin.display(description="reference in a spec")
    def usage(self, obj: RichImage) -> str:
        return json.dumps({"rich_image": obj.pk})

    def save_model(
        self, request: HttpRequest, obj: RichImage, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            obj.save(update_fields=["name"])
            return
        upload = form.cleaned_data["upload"]
        stored = services.rich_image_create(
            business=form.cleaned_data["business"],
            name=form.cleaned_data["name"],
            data=upload.read(),
        )
        obj.pk = stored.pk
        obj.refresh_from_db()
