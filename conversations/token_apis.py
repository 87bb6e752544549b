"""The caller's own API tokens: list, create (key shown once), revoke."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from .exceptions import PermissionDeniedError
from .models import ApiToken
from .pagination import CursorPage, paginate
from .services import api_tokens
from .types import AuthenticatedRequest


class ApiTokenOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "expires_at", "last_used_at"]


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    key = serializers.CharField(help_text="The secret: shown this once, never again.")

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = [*ApiTokenOutputSerializer.Meta.fields, "key"]


class ApiTokenListCreateApi(APIView):
    # The one page shape (conversations.pagination). No Idempotency-Key on POST:
    # a replay would have to keep the new secret, which is shown only once.
    pagination_class = CursorPage
    page_ordering = "-created_at"
    error_codes = {"POST": {403: ["session_required"]}}

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        expires_at = serializers.DateTimeField(required=False, allow_null=True)

        class Meta:
            ref_name = "ApiTokenCreateInput"

    @extend_schema(responses=ApiTokenOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        tokens = ApiToken.objects.filter(user=request.user)
        return paginate(request, self, tokens, ApiTokenOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: ApiTokenCreatedOutputSerializer},
        description="Only a signed-in browser session may create tokens: a token "
        "cannot mint more of itself.",
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        # A leaked token must not be able to outlive its revocation by minting
        # new ones; people create tokens from the console (or a session).
        if not isinstance(request.successful_authenticator, SessionAuthentication):
            raise PermissionDeniedError(
                gettext("Create tokens from the console, signed in."),
                code="session_required",
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_tokens.api_token_create(user=request.user, **data.validated_data)
        body = ApiTokenOutputSerializer(issued.token).data
        body["key"] = issued.key
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, token_id: int) -> Response:
        api_tokens.api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
