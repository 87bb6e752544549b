"""REST API of labels: the business's set, and labels on a conversation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .pagination import CursorPage, paginate
from .serializers import ConversationOutputSerializer, LabelOutputSerializer
from .types import AuthenticatedRequest


class LabelBusinessOutputSerializer(LabelOutputSerializer):
    class Meta(LabelOutputSerializer.Meta):
        fields = [*LabelOutputSerializer.Meta.fields, "business"]


class LabelListApi(APIView):
    pagination_class = CursorPage
    page_ordering = "name"
    # The body names a business: one that is not the caller's is a 404.
    error_codes = {"POST": {404: ["not_found"]}}

    class FilterSerializer(serializers.Serializer):
        business = serializers.IntegerField(required=False, min_value=1)

    class InputSerializer(serializers.Serializer):
        business = serializers.IntegerField(min_value=1)
        name = serializers.CharField(max_length=50)
        color = serializers.CharField(max_length=7, default="#6e6e73")

        class Meta:
            ref_name = "LabelCreateInput"

    @extend_schema(
        parameters=[FilterSerializer],
        responses=LabelBusinessOutputSerializer(many=True),
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        labels = selectors.label_list_for_user_qs(
            user=request.user, business_id=filters.validated_data.get("business")
        )
        return paginate(request, self, labels, LabelBusinessOutputSerializer)

    @extend_schema(
        request=InputSerializer, responses={201: LabelBusinessOutputSerializer}
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = selectors.business_get_for_user(
            user=request.user, business_id=data.validated_data["business"]
        )
        label = services.label_create(
            business=membership.business,
            actor=request.user,
            name=data.validated_data["name"],
            color=data.validated_data["color"],
        )
        return Response(
            LabelBusinessOutputSerializer(label).data, status=status.HTTP_201_CREATED
        )


class LabelDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=50, required=False)
        color = serializers.CharField(max_length=7, required=False)

        class Meta:
            ref_name = "LabelUpdateInput"

    @extend_schema(request=InputSerializer, responses=LabelBusinessOutputSerializer)
    def patch(self, request: AuthenticatedRequest, label_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        label = selectors.label_get_for_user(user=request.user, label_id=label_id)
        label = services.label_update(
            label=label, actor=request.user, **data.validated_data
        )
        return Response(LabelBusinessOutputSerializer(label).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, label_id: int) -> Response:
        label = selectors.label_get_for_user(user=request.user, label_id=label_id)
        services.label_delete(label=label, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConversationLabelsApi(APIView):
    pagination_class = CursorPage
    page_ordering = "name"

    class InputSerializer(serializers.Serializer):
        add = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, max_length=50
        )
        remove = serializers.ListField(
            child=serializers.IntegerField(min_value=1), required=False, max_length=50
        )

        class Meta:
            ref_name = "ConversationLabelsInput"

    @extend_schema(responses=LabelOutputSerializer(many=True))
    def get(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        labels = conversation.labels.all()
        return paginate(request, self, labels, LabelOutputSerializer)

    @extend_schema(request=InputSerializer, responses=ConversationOutputSerializer)
    def post(self, request: AuthenticatedRequest, conversation_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        conversation = services.conversation_labels_set(
            conversation=conversation,
            actor=request.user,
            add=data.validated_data.get("add", []),
            remove=data.validated_data.get("remove", []),
        )
        return Response(ConversationOutputSerializer(conversation).data)


class ConversationLabelRemoveApi(APIView):
    @extend_schema(request=None, responses=ConversationOutputSerializer)
    def delete(
        self, request: AuthenticatedRequest, conversation_id: int, label_id: int
    ) -> Response:
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        conversation = services.conversation_labels_set(
            conversation=conversation, actor=request.user, remove=[label_id]
        )
        return Response(ConversationOutputSerializer(conversation).data)
