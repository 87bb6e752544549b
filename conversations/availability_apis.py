"""REST API of the caller's availability: /api/v1/me/availability/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .models import Availability
from .types import AuthenticatedRequest


class AvailabilityOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Availability.Status.choices, help_text="what teammates and routing see"
    )
    chosen = serializers.ChoiceField(
        choices=Availability.Status.choices, help_text="what the agent set"
    )


class MyAvailabilityApi(APIView):
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=Availability.Status.choices)

        class Meta:
            ref_name = "AvailabilityInput"

    @extend_schema(responses=AvailabilityOutputSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        availability = services.availability_get(user=request.user)
        return Response({"status": availability.status, "chosen": availability.chosen})

    @extend_schema(request=InputSerializer, responses=AvailabilityOutputSerializer)
    def put(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        availability = services.availability_set(
            user=request.user, status=data.validated_data["status"]
        )
        return Response({"status": availability.status, "chosen": availability.chosen})
