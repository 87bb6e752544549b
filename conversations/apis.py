"""REST API: one APIView per operation, each an input check, a service and an output."""

from __future__ import annotations

from typing import Any

from django.db.models.functions import Coalesce
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    JsonResponse,
)
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .api_schema import MAX_ID
from .exceptions import ApplicationError
from .idempotency import idempotent
from .models import Conversation
from .pagination import CursorPage, paginate
from .serializers import (
    AgentOutputSerializer,
    BusinessOutputSerializer,
    ConversationOutputSerializer,
    MessageOutputSerializer,
)
from .types import AuthenticatedRequest


@csrf_exempt  # it changes nothing; a POST gets the same JSON 404
def api_not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other URL under /api/: the API's JSON 404, not the site's HTML page."""
    if not request.path.endswith("/"):
        try:
            resolve(request.path + "/")
        except Resolver404:
            pass
        else:  # what APPEND_SLASH did before this catch-all existed
            return HttpResponsePermanentRedirect(
                request.get_full_path(force_append_slash=True)
            )
    return JsonResponse(
        {"error": {"code": "not_found", "message": gettext("No such API endpoint.")}},
        status=404,
    )


class ConversationActionApi(APIView):
    """A write on one of the caller's conversations: the conversation, then valid input."""

    InputSerializer: type[serializers.Serializer]

    def conversation_and_input(
        self, request: AuthenticatedRequest, conversation_id: int
    ) -> tuple[Conversation, dict[str, Any]]:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        return conversation, data.validated_data


class BusinessListApi(APIView):
    pagination_class = CursorPage
    page_ordering = "name"

    @extend_schema(responses=BusinessOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest) -> Response:
        businesses = selectors.business_list_for_user(user=request.user)
        return paginate(request, self, businesses, BusinessOutputSerializer)


class BusinessAgentListApi(APIView):
    """The people of a business, for members only (404 to others)."""

    pagination_class = CursorPage
    page_ordering = "user__username"

    @extend_schema(responses=AgentOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, business_id: int) -> Response:
        membership = selectors.business_get_for_user(
            user=request.user, business_id=business_id
        )
        agents = selectors.membership_list_for_business_qs(
            business_id=membership.business_id
        )
        return paginate(request, self, agents, AgentOutputSerializer)


class ConversationListApi(APIView):
    """Most recent activity first (the last message, else the start)."""

    pagination_class = CursorPage
    page_ordering = "-activity_at"

    class FilterSerializer(serializers.Serializer):
        business = serializers.CharField(
            required=False, help_text="our id or Apple's id"
        )
        status = serializers.ChoiceField(
            choices=Conversation.Status.choices, required=False
        )

    @extend_schema(
        parameters=[FilterSerializer], responses=ConversationOutputSerializer(many=True)
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        conversations = selectors.conversation_list_for_user(
            user=request.user, **filters.validated_data
        ).annotate(activity_at=Coalesce("last_message_at", "created_at"))
        return paginate(request, self, conversations, ConversationOutputSerializer)


class ConversationDetailApi(APIView):
    @extend_schema(responses=ConversationOutputSerializer)
    def get(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        return Response(ConversationOutputSerializer(conversation).data)


class MessageListApi(APIView):
    """Oldest first, as the conversation reads; ``after`` resumes from a known id."""

    pagination_class = CursorPage
    page_ordering = "id"

    class FilterSerializer(serializers.Serializer):
        after = serializers.IntegerField(
            required=False,
            min_value=0,
            max_value=MAX_ID,
            help_text="only messages with a larger id (resync)",
        )

        class Meta:
            ref_name = "MessageListFilter"

    @extend_schema(
        parameters=[FilterSerializer], responses=MessageOutputSerializer(many=True)
    )
    def get(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        messages = selectors.message_list(
            conversation=conversation, after=filters.validated_data.get("after")
        )
        return paginate(request, self, messages, MessageOutputSerializer)


SEND_ERRORS = {
    400: ["empty_text", "text_too_long", "invalid_text"],
    409: ["conversation_closed"],
}


class MessageSendApi(ConversationActionApi):
    error_codes = {"POST": SEND_ERRORS}

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(
            trim_whitespace=False, max_length=services.MAX_TEXT_LENGTH
        )
        auto_reply = serializers.BooleanField(
            default=False, help_text="true when a bot, not a person, sends it"
        )

        class Meta:
            ref_name = "MessageSendInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        message = services.message_send(
            conversation=conversation, sender=request.user, **data
        )
        return Response(
            MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED
        )


class ConversationMessagesApi(MessageListApi, MessageSendApi):
    """GET lists and POST sends on one URL; each method stays in its own class."""


class MessageDetailApi(APIView):
    @extend_schema(responses=MessageOutputSerializer)
    def get(self, request: AuthenticatedRequest, message_id: int) -> Response:
        message = selectors.message_get_for_user(
            user=request.user, message_id=message_id
        )
        return Response(MessageOutputSerializer(message).data)


class MessageRetryApi(APIView):
    error_codes = {400: ["not_outbound"], 409: ["conversation_closed", "not_failed"]}

    @extend_schema(request=None, responses=MessageOutputSerializer)
    @idempotent
    def post(self, request: AuthenticatedRequest, message_id: int) -> Response:
        message = selectors.message_get_for_user(
            user=request.user, message_id=message_id
        )
        message = services.message_retry(message=message)
        return Response(MessageOutputSerializer(message).data)


class MessageDropApi(APIView):
    """Give up on a paused message so the conversation's next messages go out."""

    error_codes = {400: ["not_outbound"], 409: ["not_paused"]}

    @extend_schema(request=None, responses=MessageOutputSerializer)
    def post(self, request: AuthenticatedRequest, message_id: int) -> Response:
        message = selectors.message_get_for_user(
            user=request.user, message_id=message_id
        )
        message = services.message_drop(message=message, by=request.user)
        return Response(MessageOutputSerializer(message).data)


class ConversationTypingApi(ConversationActionApi):
    class InputSerializer(serializers.Serializer):
        typing = serializers.BooleanField()

        class Meta:
            ref_name = "ConversationTypingInput"

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        services.conversation_typing(
            conversation=conversation,
            agent=request.user,
            typing=data["typing"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationAssignApi(ConversationActionApi):
    error_codes = {400: ["not_a_member"]}

    class InputSerializer(serializers.Serializer):
        assigned_agent = serializers.IntegerField(
            allow_null=True,
            min_value=1,
            max_value=MAX_ID,
            help_text="the `id` of one of the business's agents "
            "(GET businesses/{id}/agents/), or null to unassign",
        )

        class Meta:
            ref_name = "ConversationAssignInput"

    @extend_schema(request=InputSerializer, responses=ConversationOutputSerializer)
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        assignee = None
        if data["assigned_agent"] is not None:
            assignee = selectors.user_get(user_id=data["assigned_agent"])
            if assignee is None:
                raise ApplicationError(gettext("No such agent."), code="not_a_member")
        conversation = services.conversation_assign(
            conversation=conversation, actor=request.user, assignee=assignee
        )
        return Response(ConversationOutputSerializer(conversation).data)


class ConversationStatusApi(ConversationActionApi):
    # A customer-closed conversation takes a status too; replies stay locked.
    error_codes = {400: ["invalid_status"]}

    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=services.AGENT_STATUSES)

        class Meta:
            ref_name = "ConversationStatusInput"

    @extend_schema(request=InputSerializer, responses=ConversationOutputSerializer)
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        conversation = services.conversation_set_status(
            conversation=conversation,
            actor=request.user,
            status=data["status"],
        )
        return Response(ConversationOutputSerializer(conversation).data)


class NoteCreateApi(ConversationActionApi):
    error_codes = {400: ["empty_text", "text_too_long"]}

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(
            trim_whitespace=False, max_length=services.MAX_TEXT_LENGTH
        )

        class Meta:
            ref_name = "NoteCreateInput"

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    @idempotent
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        note = services.note_create(
            conversation=conversation,
            author=request.user,
            text=data["text"],
        )
        return Response(
            MessageOutputSerializer(note).data, status=status.HTTP_201_CREATED
        )


class ConversationReadApi(ConversationActionApi):
    class InputSerializer(serializers.Serializer):
        message_id = serializers.IntegerField(min_value=0, max_value=MAX_ID)

        class Meta:
            ref_name = "ConversationReadInput"

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation, data = self.conversation_and_input(request, conversation_id)
        services.conversation_mark_read(
            conversation=conversation,
            user=request.user,
            message_id=data["message_id"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
