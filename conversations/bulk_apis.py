"""REST API of inbox power: bulk actions and "mark all read"."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services
from .exceptions import ApplicationError
from .models import Conversation
from .selectors import user_get
from .types import AuthenticatedRequest


class BulkResultSerializer(serializers.Serializer):
    done = serializers.ListField(child=serializers.IntegerField())
    refused = serializers.ListField(child=serializers.DictField())


class ConversationBulkApi(APIView):
    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            min_length=1,
            max_length=services.bulk.MAX_BULK,
        )
        action = serializers.ChoiceField(choices=services.BULK_ACTIONS)
        assignee = serializers.IntegerField(
            required=False, allow_null=True, help_text="for assign: a user id or null"
        )
        label_id = serializers.IntegerField(
            required=False, min_value=1, help_text="for label / unlabel"
        )

        class Meta:
            ref_name = "ConversationBulkInput"

    @extend_schema(request=InputSerializer, responses=BulkResultSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        assignee = None
        if values["action"] == "assign" and values.get("assignee") is not None:
            assignee = user_get(user_id=values["assignee"])
            if assignee is None:
                raise ApplicationError(gettext("No such agent."), code="not_a_member")
        # Only the caller's conversations; ids of others are simply not found.
        conversations = list(
            Conversation.objects.filter(
                id__in=values["ids"], business__memberships__user=request.user
            ).order_by("id")
        )
        found = {c.id for c in conversations}
        result = services.conversations_bulk(
            conversations=conversations,
            actor=request.user,
            action=values["action"],
            assignee=assignee,
            label_id=values.get("label_id"),
        )
        result["refused"] += [
            {"id": i, "code": "not_found", "message": gettext("No such conversation.")}
            for i in values["ids"]
            if i not in found
        ]
        return Response(result)


class ConversationReadAllApi(APIView):
    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField()

        class Meta:
            ref_name = "ReadAllOutput"

    @extend_schema(request=None, responses=OutputSerializer)
    def post(self, request: AuthenticatedRequest) -> Response:
        return Response(
            {"marked": services.conversations_mark_all_read(user=request.user)}
        )
