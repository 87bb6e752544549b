"""REST: agents ask a customer to sign in or to pay (the business's settings supply the rest)."""

from __future__ import annotations

from django.http import HttpRequest
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import selectors as conversation_selectors
from conversations.idempotency import idempotent
from conversations.serializers import MessageOutputSerializer
from conversations.types import AuthenticatedRequest

from . import services


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class SigninRequestSendApi(APIView):
    error_codes = {
        400: ["no_oauth_provider", "invalid_rich_object", "public_base_url_missing"],
        409: ["conversation_closed"],
    }

    class InputSerializer(serializers.Serializer):
        legacy = serializers.BooleanField(
            default=False, help_text="the old AUTH flow (token ECIES-encrypted)"
        )

        class Meta:
            ref_name = "SigninRequestSendInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = conversation_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        message = services.signin_request_send(
            conversation=conversation,
            actor=request.user,
            legacy=data.validated_data["legacy"],
            base_url=_base_url(request),
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class LineItemSerializer(serializers.Serializer):
    # DRF's metaclass moves declared fields off the class; the stubs see Field.label.
    label = serializers.CharField(max_length=256)  # type: ignore[assignment]
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ref_name = "PaymentLineItem"


class PaymentRequestSendApi(APIView):
    error_codes = {
        400: [
            "no_merchant",
            "merchant_session_failed",
            "invalid_rich_object",
            "public_base_url_missing",
        ],
        409: ["conversation_closed"],
    }

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True, max_length=200)
        line_items = serializers.ListField(
            child=LineItemSerializer(), min_length=1, max_length=50
        )

        class Meta:
            ref_name = "PaymentRequestSendInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = conversation_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        message = services.payment_request_send(
            conversation=conversation,
            actor=request.user,
            line_items=[
                {"label": i["label"], "amount": str(i["amount"])}
                for i in data.validated_data["line_items"]
            ],
            title=data.validated_data.get("title", ""),
            base_url=_base_url(request),
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )
