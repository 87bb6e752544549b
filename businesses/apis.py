"""REST endpoints for routing: read a conversation's route, escalate from a bot."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import selectors as conversation_selectors
from conversations.pagination import CursorPage, paginate
from conversations.types import AuthenticatedRequest

from . import routing, selectors


class RouteOutputSerializer(serializers.Serializer):
    team = serializers.CharField()
    rule = serializers.CharField()
    priority = serializers.CharField()
    within_hours = serializers.BooleanField()
    bot = serializers.BooleanField(help_text="true while a bot has the conversation")
    escalated_at = serializers.DateTimeField(allow_null=True)


class RouteResponseSerializer(serializers.Serializer):
    route = RouteOutputSerializer(allow_null=True, help_text="null until routed")


class ConversationRouteApi(APIView):
    @extend_schema(responses=RouteResponseSerializer)
    def get(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation = conversation_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        route = selectors.conversation_route_get(conversation_id=conversation.id)
        return Response({"route": routing.route_data(route)})


class ConversationEscalateApi(APIView):
    """Hand a conversation from the bot to a person. Open to every member of the
    business (a bot's own token included), and harmless to repeat."""

    @extend_schema(request=None, responses=RouteResponseSerializer)
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation = conversation_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        route = routing.conversation_escalate(
            conversation=conversation, actor=request.user
        )
        return Response({"route": routing.route_data(route)})


class MyTeamOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    business = serializers.IntegerField(source="business_id")


class MyTeamsApi(APIView):
    """The caller's teams, so the console can alert them to their new conversations."""

    pagination_class = CursorPage
    page_ordering = "name"

    @extend_schema(responses=MyTeamOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        from .models import Team

        teams = Team.objects.filter(
            members=request.user, business__memberships__user=request.user
        ).order_by("name")
        return paginate(request, self, teams, MyTeamOutputSerializer)
