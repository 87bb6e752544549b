"""REST API of the caller's own settings: availability and the console's language."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .middleware import SESSION_KEY
from .models import Availability
from .services.preferences import preferences_get, preferences_set_language
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


class MyPreferencesApi(APIView):
    class OutputSerializer(serializers.Serializer):
        language = serializers.CharField(help_text='"" follows the browser')

        class Meta:
            ref_name = "PreferencesOutput"

    class InputSerializer(serializers.Serializer):
        language = serializers.ChoiceField(
            choices=[("", "The browser's language"), *settings.LANGUAGES]
        )

        class Meta:
            ref_name = "PreferencesInput"

    @extend_schema(responses=OutputSerializer)
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response({"language": preferences_get(user=request.user).language})

    @extend_schema(request=InputSerializer, responses=OutputSerializer)
    def put(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preferences = preferences_set_language(
            user=request.user, language=data.validated_data["language"]
        )
        # This browser switches at once; others at their next sign-in. A
        # program calling with a token has no console to switch: its session
        # (a cookie jar keeps one) must not make its errors Spanish.
        session = getattr(request, "session", None)
        if session is not None and request.auth is None:
            if preferences.language:
                session[SESSION_KEY] = preferences.language
            else:
                session.pop(SESSION_KEY, None)
        return Response({"language": preferences.language})
