"""REST API of the rich-object library: browse and send (agents, bots), import/export (admins)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.api_schema import MAX_ID, ErrorSerializer
from conversations.exceptions import NotFoundError
from conversations.idempotency import idempotent
from conversations.pagination import CursorPage, paginate
from conversations.permissions import business_admin_get
from conversations.selectors import conversation_get_for_user
from conversations.serializers import MessageOutputSerializer
from conversations.types import AuthenticatedRequest

from . import selectors, services
from .models import RichObject


class RichObjectOutputSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="published_version.number", default=None)
    title = serializers.SerializerMethodField()

    class Meta:
        model = RichObject
        fields = [
            "id",
            "business",
            "name",
            "kind",
            "tags",
            "locale",
            "scope_team",
            "agents_may_edit",
            "version",
            "title",
        ]

    def get_title(self, rich_object: RichObject) -> str:
        version = rich_object.published_version
        received = (version.spec.get("received") or {}) if version else {}
        return str(received.get("title") or "") if isinstance(received, dict) else ""


class RichObjectDetailOutputSerializer(RichObjectOutputSerializer):
    text_alternative = serializers.CharField(
        help_text="what devices without rich objects show"
    )
    preview = serializers.DictField(
        help_text="the object built with placeholders, as Apple would get it; "
        "empty when it cannot be built"
    )

    class Meta(RichObjectOutputSerializer.Meta):
        fields = [
            *RichObjectOutputSerializer.Meta.fields,
            "text_alternative",
            "preview",
        ]


class ExportImageSerializer(serializers.Serializer):
    ref = serializers.IntegerField(help_text="what specs in this file call it")
    name = serializers.CharField(allow_blank=True)
    data = serializers.CharField(help_text="the image, base64")  # type: ignore[assignment]


class ExportObjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=RichObject.Kind.choices)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    locale = serializers.CharField(required=False, allow_blank=True)
    scope_team = serializers.CharField(required=False, allow_blank=True)
    agents_may_edit = serializers.BooleanField(required=False)
    text_alternative = serializers.CharField(required=False, allow_blank=True)
    published = serializers.BooleanField(required=False)
    spec = serializers.DictField()


class LibraryExportSerializer(serializers.Serializer):
    format = serializers.CharField()
    version = serializers.IntegerField()
    images = serializers.ListField(child=ExportImageSerializer(), required=False)
    objects = serializers.ListField(child=ExportObjectSerializer(), required=False)

    class Meta:
        ref_name = "RichObjectLibrary"


class ImportShapeSerializer(serializers.Serializer):
    """What must hold before the import looks inside: entries are objects.
    Each entry's own problems go in the report, entry by entry."""

    format = serializers.CharField()
    version = serializers.IntegerField()
    images = serializers.ListField(child=serializers.DictField(), required=False)
    objects = serializers.ListField(child=serializers.DictField(), required=False)


class ImportReportSerializer(serializers.Serializer):
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    unchanged = serializers.ListField(child=serializers.CharField())
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.DictField(child=serializers.ListField()),
        help_text="per object or image: each field and its problems",
    )

    class Meta:
        ref_name = "RichObjectImportReport"


class EmptyLibrarySerializer(serializers.Serializer):
    message = serializers.CharField()
    drafts = serializers.IntegerField()
    create_url = serializers.CharField(allow_null=True, help_text="admins only")
    library_url = serializers.CharField(allow_null=True, help_text="admins only")

    class Meta:
        ref_name = "EmptyLibrary"


class RichObjectPageSerializer(serializers.Serializer):
    """The one page shape, plus why a business's list is empty."""

    results = RichObjectOutputSerializer(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    empty_library = EmptyLibrarySerializer(
        required=False, help_text="only when `business` is given and nothing is listed"
    )

    class Meta:
        ref_name = "PaginatedRichObjectOutputList"


class RichObjectListApi(APIView):
    pagination_class = CursorPage
    page_ordering = "name"

    class FilterSerializer(serializers.Serializer):
        business = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID
        )
        q = serializers.CharField(required=False, allow_blank=True, default="")
        tag = serializers.CharField(required=False, allow_blank=True, default="")
        kind = serializers.ChoiceField(
            choices=RichObject.Kind.choices, required=False, default=""
        )

        class Meta:
            ref_name = "RichObjectListFilter"

    @extend_schema(
        operation_id="v1_rich_objects_list",
        parameters=[
            FilterSerializer,
            OpenApiParameter(
                "cursor", str, description=CursorPage.cursor_query_description
            ),
            OpenApiParameter(
                "limit", int, description=CursorPage.page_size_query_description
            ),
        ],
        responses=RichObjectPageSerializer,
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        found = selectors.rich_object_list_for_user(
            user=request.user,
            business_id=data.get("business"),
            query=data["q"],
            tag=data["tag"],
            kind=data["kind"],
        )
        # Tags and text match in Python; the page is cut from the same rows.
        objects = RichObject.objects.filter(
            pk__in=[o.pk for o in found]
        ).select_related("published_version")
        response = paginate(request, self, objects, RichObjectOutputSerializer)
        if not found and data.get("business") is not None:
            # Nothing listed: say whether the library itself is empty, so the
            # picker explains it (and offers an admin the way to fill it).
            empty = _empty_library(request.user, data["business"])
            if empty is not None:
                response.data["empty_library"] = empty
        return response


def _empty_library(user: Any, business_id: int) -> dict[str, Any] | None:
    facts = selectors.library_emptiness(user=user, business_id=business_id)
    if facts is None or facts["sendable"]:
        return None
    if not facts["is_admin"]:
        return {
            "message": gettext(
                "There is nothing to send yet: the business's admins add "
                "rich objects to its library."
            ),
            "drafts": 0,
            "create_url": None,
            "library_url": None,
        }
    drafts = facts["drafts"]
    message = (
        f"Nothing is published yet: {drafts} draft{'s' if drafts != 1 else ''} "
        "in the library wait for “Save and publish”."
        if drafts
        else "The library is empty: agents have no rich objects to send."
    )
    return {
        "message": message,
        "drafts": drafts,
        "create_url": reverse("library-new", args=[business_id]),
        "library_url": reverse("library-list", args=[business_id]),
    }


class RichObjectDetailApi(APIView):
    @extend_schema(responses=RichObjectDetailOutputSerializer)
    def get(self, request: AuthenticatedRequest, object_id: int) -> Response:
        rich_object = selectors.rich_object_get_for_user(
            user=request.user, object_id=object_id
        )
        if rich_object is None:
            raise NotFoundError(gettext("No such rich object."))
        data = dict(RichObjectOutputSerializer(rich_object).data)
        data["text_alternative"] = (
            rich_object.published_version.text_alternative
            if rich_object.published_version
            else rich_object.text_alternative
        )
        data["preview"] = services.rich_object_preview(rich_object=rich_object)
        return Response(data)


class RichObjectSendApi(APIView):
    error_codes = {
        400: [
            "rich_object_invalid",
            "invalid_params",
            "apple_pay_not_configured",
            "oauth_not_configured",
            "public_base_url_missing",
        ],
        409: ["conversation_closed"],
    }

    class InputSerializer(serializers.Serializer):
        object = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="rich object id"
        )
        params = serializers.DictField(required=False, default=dict)
        edits = serializers.DictField(required=False, allow_null=True, default=None)
        auto_reply = serializers.BooleanField(
            default=False, help_text="true when a bot, not a person, sends it"
        )

        class Meta:
            ref_name = "RichObjectSendInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        rich_object = selectors.rich_object_get_sendable(
            business=conversation.business, object_id=data.validated_data["object"]
        )
        if rich_object is None:
            raise NotFoundError(
                gettext("No such published rich object in this business.")
            )
        message = services.rich_object_send(
            conversation=conversation,
            object_or_version=rich_object,
            params=data.validated_data["params"],
            edits=data.validated_data["edits"],
            sender=request.user,
            auto_reply=data.validated_data["auto_reply"],
            # Apple Pay and sign-in need absolute URLs; this request's host names us.
            base_url=request.build_absolute_uri("/"),
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class RichObjectExportApi(APIView):
    @extend_schema(responses=LibraryExportSerializer)
    def get(self, request: AuthenticatedRequest, business_id: int) -> Response:
        business = business_admin_get(user=request.user, business_id=business_id)
        return Response(services.rich_object_export(business))


class RichObjectImportApi(APIView):
    @extend_schema(
        request=LibraryExportSerializer,
        responses={
            200: ImportReportSerializer,
            400: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="RichObjectImportRefused",
                    serializers=[ImportReportSerializer, ErrorSerializer],
                    resource_type_field_name=None,
                ),
                description="Some entries were refused (a report: the others were "
                "imported), or the file is not an export (the error envelope). "
                "Codes: `invalid`, `parse_error`.",
            ),
        },
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, business_id: int) -> Response:
        business = business_admin_get(user=request.user, business_id=business_id)
        # The shape first: entries of the wrong type are refused, not crashed on.
        ImportShapeSerializer(data=request.data).is_valid(raise_exception=True)
        report = services.rich_object_import(business, request.data)
        return Response(
            {
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "errors": report.errors,
            },
            status=status.HTTP_200_OK if report.ok else status.HTTP_400_BAD_REQUEST,
        )
