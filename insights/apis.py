"""REST: /api/v1/reports/summary/ — the reports page's figures as JSON."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations.types import AuthenticatedRequest

from .reports import report_build
from .selectors import report_scope_for


class SpreadSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    opened = serializers.IntegerField()
    resolved = serializers.IntegerField()


class CsatFiguresSerializer(serializers.Serializer):
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    distribution = serializers.DictField(child=serializers.IntegerField())


class SlaFiguresSerializer(serializers.Serializer):
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    pending = serializers.IntegerField()
    attainment = serializers.FloatField(allow_null=True)


class SlaSerializer(serializers.Serializer):
    first_response = SlaFiguresSerializer()
    resolution = SlaFiguresSerializer()


class AgentRowSerializer(serializers.Serializer):
    agent = serializers.CharField()
    agent_id = serializers.IntegerField()
    first_responses = serializers.IntegerField()
    first_response_median = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    resolution_median = serializers.FloatField(allow_null=True)
    csat_average = serializers.FloatField(allow_null=True)
    csat_count = serializers.IntegerField()


class TeamRowSerializer(serializers.Serializer):
    team = serializers.CharField()
    team_id = serializers.IntegerField(allow_null=True)
    opened = serializers.IntegerField()
    first_response_median = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    resolution_median = serializers.FloatField(allow_null=True)
    csat_average = serializers.FloatField(allow_null=True)


class LabelRowSerializer(serializers.Serializer):
    # DRF takes declared fields off the class, so this shadows no Field.label;
    # the stubs cannot know that.
    label = serializers.CharField(  # type: ignore[assignment]
        help_text='the label\'s name, or "No label"'
    )
    label_id = serializers.IntegerField(
        allow_null=True, help_text="null for the conversations without a label"
    )
    opened = serializers.IntegerField()
    first_responses = serializers.IntegerField()
    first_response_median = serializers.FloatField(allow_null=True)
    resolved = serializers.IntegerField()
    resolution_median = serializers.FloatField(allow_null=True)
    csat_average = serializers.FloatField(allow_null=True)
    csat_count = serializers.IntegerField()


class BusinessRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReportSerializer(serializers.Serializer):
    business = BusinessRefSerializer()
    time_zone = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    agent = serializers.IntegerField(allow_null=True)
    team = serializers.IntegerField(allow_null=True)
    days = DaySerializer(many=True)
    first_response_seconds = SpreadSerializer()
    resolution_seconds = SpreadSerializer()
    csat = CsatFiguresSerializer()
    sla = SlaSerializer()
    by_agent = AgentRowSerializer(many=True)
    by_team = TeamRowSerializer(many=True)
    by_label = LabelRowSerializer(
        many=True,
        help_text="conversations carrying each label (one with two labels counts "
        "under both); empty while the business has no labels",
    )


class ReportSummaryApi(APIView):
    """Admins get their business's figures (any agent or team); agents their own."""

    # The envelope and the common codes come from conversations.api_schema.
    error_codes = {
        400: [
            "invalid_date",
            "invalid_business",
            "invalid_agent",
            "invalid_team",
            "invalid_range",
            "range_too_long",
        ],
        404: ["not_found"],
    }

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "business", int, description="default: your first business"
            ),
            OpenApiParameter(
                "start", str, description="YYYY-MM-DD, the business's day"
            ),
            OpenApiParameter("end", str, description="YYYY-MM-DD, inclusive"),
            OpenApiParameter("agent", int),
            OpenApiParameter("team", int),
        ],
        responses=ReportSerializer,
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        scope = report_scope_for(user=request.user, params=request.query_params)
        return Response(report_build(scope))
