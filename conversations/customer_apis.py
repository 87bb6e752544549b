"""REST API of customer profiles: /api/v1/customers/<id>/."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import presentation, selectors, services
from .models import Customer
from .serializers import LabelOutputSerializer
from .types import AuthenticatedRequest


class CustomerProfileOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    conversations = serializers.SerializerMethodField()
    identity = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "apple_id",
            "name",
            "email",
            "phone",
            "notes",
            "attributes",
            "identity",
            "conversations",
            "created_at",
            "updated_at",
        ]

    def get_conversations(self, customer: Customer) -> list[dict[str, Any]]:
        rows = selectors.customer_conversation_list(customer=customer)
        return [
            {
                "id": c.id,
                "status": c.status,
                "customer": c.customer_id,
                "last_message_at": c.last_message_at,
                "labels": LabelOutputSerializer(c.labels.all(), many=True).data,
            }
            for c in rows
        ]

    def get_identity(self, customer: Customer) -> dict[str, Any] | None:
        """Who the customer signed in as, when a feature knows it."""
        return presentation.customer_fields(customer).get("identity")


class CustomerDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(
            required=False, allow_blank=True, max_length=200, source="display_name"
        )
        email = serializers.CharField(required=False, allow_blank=True, max_length=254)
        phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
        notes = serializers.CharField(
            required=False, allow_blank=True, max_length=10_000, trim_whitespace=False
        )
        attributes = serializers.DictField(
            required=False,
            child=serializers.CharField(allow_blank=True, max_length=500),
            help_text="names to texts; replaces the whole set",
        )

        class Meta:
            ref_name = "CustomerUpdateInput"

    @extend_schema(responses=CustomerProfileOutputSerializer)
    def get(self, request: AuthenticatedRequest, customer_id: int) -> Response:
        customer = selectors.customer_get_for_user(
            user=request.user, customer_id=customer_id
        )
        return Response(CustomerProfileOutputSerializer(customer).data)

    @extend_schema(request=InputSerializer, responses=CustomerProfileOutputSerializer)
    def patch(self, request: AuthenticatedRequest, customer_id: int) -> Response:
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        customer = selectors.customer_get_for_user(
            user=request.user, customer_id=customer_id
        )
        customer = services.customer_update(
            customer=customer, actor=request.user, changes=dict(data.validated_data)
        )
        return Response(CustomerProfileOutputSerializer(customer).data)
