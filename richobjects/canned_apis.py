"""REST API of canned replies: /api/v1/canned-replies/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.pagination import CursorPage, paginate
from conversations.selectors import business_get_for_user, conversation_get_for_user
from conversations.types import AuthenticatedRequest

from .models import CannedReply
from .services import canned


class CannedReplyOutputSerializer(serializers.ModelSerializer):
    shared = serializers.BooleanField(read_only=True)
    owner: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = CannedReply
        fields = [
            "id",
            "business",
            "short_code",
            "title",
            "body",
            "shared",
            "owner",
            "created_at",
            "updated_at",
        ]


class CannedReplyListApi(APIView):
    pagination_class = CursorPage
    page_ordering = "short_code"
    # The body names a business: one that is not the caller's is a 404.
    error_codes = {"POST": {404: ["not_found"]}}

    class FilterSerializer(serializers.Serializer):
        business = serializers.IntegerField(required=False, min_value=1)
        q = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=100
        )

    class InputSerializer(serializers.Serializer):
        business = serializers.IntegerField(min_value=1)
        short_code = serializers.CharField(max_length=41)
        title = serializers.CharField(
            max_length=120, required=False, default="", allow_blank=True
        )
        body = serializers.CharField(max_length=canned.MAX_BODY, trim_whitespace=False)
        shared = serializers.BooleanField(
            default=False, help_text="for the whole business (admins only)"
        )

        class Meta:
            ref_name = "CannedReplyCreateInput"

    @extend_schema(
        parameters=[FilterSerializer], responses=CannedReplyOutputSerializer(many=True)
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        replies = canned.canned_reply_list_for_user(
            user=request.user,
            business_id=filters.validated_data.get("business"),
            q=filters.validated_data["q"],
        )
        return paginate(request, self, replies, CannedReplyOutputSerializer)

    @extend_schema(
        request=InputSerializer, responses={201: CannedReplyOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        membership = business_get_for_user(
            user=request.user, business_id=values.pop("business")
        )
        reply = canned.canned_reply_create(
            business=membership.business, actor=request.user, **values
        )
        return Response(
            CannedReplyOutputSerializer(reply).data, status=status.HTTP_201_CREATED
        )


class CannedReplyDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        short_code = serializers.CharField(max_length=41, required=False)
        title = serializers.CharField(max_length=120, required=False, allow_blank=True)
        body = serializers.CharField(
            max_length=canned.MAX_BODY, required=False, trim_whitespace=False
        )

        class Meta:
            ref_name = "CannedReplyUpdateInput"

    @extend_schema(responses=CannedReplyOutputSerializer)
    def get(self, request: AuthenticatedRequest, reply_id: int) -> Response:
        reply = canned.canned_reply_get_for_user(user=request.user, reply_id=reply_id)
        return Response(CannedReplyOutputSerializer(reply).data)

    @extend_schema(request=InputSerializer, responses=CannedReplyOutputSerializer)
    def patch(self, request: AuthenticatedRequest, reply_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = canned.canned_reply_get_for_user(user=request.user, reply_id=reply_id)
        reply = canned.canned_reply_update(
            reply=reply, actor=request.user, changes=dict(data.validated_data)
        )
        return Response(CannedReplyOutputSerializer(reply).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, reply_id: int) -> Response:
        reply = canned.canned_reply_get_for_user(user=request.user, reply_id=reply_id)
        canned.canned_reply_delete(reply=reply, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CannedReplyRenderOutputSerializer(serializers.Serializer):
    text = serializers.CharField()
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="placeholders without a value, left as written",
    )


class CannedReplyRenderApi(APIView):
    class InputSerializer(serializers.Serializer):
        conversation = serializers.IntegerField(min_value=1)

        class Meta:
            ref_name = "CannedReplyRenderInput"

    @extend_schema(request=InputSerializer, responses=CannedReplyRenderOutputSerializer)
    def post(self, request: AuthenticatedRequest, reply_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = canned.canned_reply_get_for_user(user=request.user, reply_id=reply_id)
        conversation = conversation_get_for_user(
            user=request.user, conversation_id=data.validated_data["conversation"]
        )
        text, missing = canned.canned_reply_render(
            reply=reply, conversation=conversation, agent=request.user
        )
        return Response({"text": text, "missing": missing})
