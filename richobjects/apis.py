"""REST API of the rich-object library: browse and send (agents, bots), import/export (admins)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.exceptions import NotFoundError
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


class RichObjectListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        business = serializers.IntegerField(required=False)
        q = serializers.CharField(required=False, allow_blank=True, default="")
        tag = serializers.CharField(required=False, allow_blank=True, default="")
        kind = serializers.ChoiceField(
            choices=RichObject.Kind.choices, required=False, default=""
        )

    @extend_schema(
        parameters=[FilterSerializer], responses=RichObjectOutputSerializer(many=True)
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        objects = selectors.rich_object_list_for_user(
            user=request.user,
            business_id=data.get("business"),
            query=data["q"],
            tag=data["tag"],
            kind=data["kind"],
        )
        answer: dict[str, Any] = {
            "results": RichObjectOutputSerializer(objects, many=True).data
        }
        if not objects and data.get("business") is not None:
            # Nothing listed: say whether the library itself is empty, so the
            # picker explains it (and offers an admin the way to fill it).
            empty = _empty_library(request.user, data["business"])
            if empty is not None:
                answer["empty_library"] = empty
        return Response(answer)


def _empty_library(user: Any, business_id: int) -> dict[str, Any] | None:
    facts = selectors.library_emptiness(user=user, business_id=business_id)
    if facts is None or facts["sendable"]:
        return None
    if not facts["is_admin"]:
        return {
            "message": "There is nothing to send yet: the business's admins add "
            "rich objects to its library.",
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
    @extend_schema(responses=RichObjectOutputSerializer)
    def get(self, request: AuthenticatedRequest, object_id: int) -> Response:
        rich_object = selectors.rich_object_get_for_user(
            user=request.user, object_id=object_id
        )
        if rich_object is None:
            raise NotFoundError("No such rich object.")
        data = dict(RichObjectOutputSerializer(rich_object).data)
        data["text_alternative"] = (
            rich_object.published_version.text_alternative
            if rich_object.published_version
            else rich_object.text_alternative
        )
        data["preview"] = services.rich_object_preview(rich_object=rich_object)
        return Response(data)


class RichObjectSendApi(APIView):
    class InputSerializer(serializers.Serializer):
        object = serializers.IntegerField(help_text="rich object id")
        params = serializers.DictField(required=False, default=dict)
        edits = serializers.DictField(required=False, allow_null=True, default=None)
        auto_reply = serializers.BooleanField(
            default=False, help_text="true when a bot, not a person, sends it"
        )

        class Meta:
            ref_name = "RichObjectSendInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
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
            raise NotFoundError("No such published rich object in this business.")
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
    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: AuthenticatedRequest, business_id: int) -> Response:
        business = business_admin_get(user=request.user, business_id=business_id)
        return Response(services.rich_object_export(business))


class RichObjectImportApi(APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def post(self, request: AuthenticatedRequest, business_id: int) -> Response:
        business = business_admin_get(user=request.user, business_id=business_id)
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
