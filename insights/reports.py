"""The figures of the reports page, the CSV export and /api/v1/reports/.

Everything reads the facts and survey tables (one row per conversation or
survey, indexed by business and time), never the messages, so a report costs
the same whatever the conversations' lengths. Days are the business's days.
Each breakdown (agent, team, label) is a fixed handful of grouped queries,
whatever the number of agents, teams or labels.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext

from businesses.models import Team
from conversations.models import Business, Label

from .models import ConversationEvent, ConversationFacts, CsatSurvey

MAX_DAYS = 366


class Percentile(Aggregate):
    """PostgreSQL's ``percentile_cont``: the interpolated p-th value."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass(frozen=True)
class ReportScope:
    business: Business
    start: date
    end: date
    zone: ZoneInfo
    # Set for an agent's own figures, or an admin's pick.
    agent_id: int | None = None
    team_id: int | None = None

    @property
    def window(self) -> tuple[datetime, datetime]:
        return (
            datetime.combine(self.start, time(0), tzinfo=self.zone),
            datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.zone),
        )

    def days(self) -> list[date]:
        return [
            self.start + timedelta(days=n)
            for n in range((self.end - self.start).days + 1)
        ]


def _facts(scope: ReportScope) -> QuerySet[ConversationFacts]:
    rows = ConversationFacts.objects.filter(business=scope.business)
    if scope.team_id is not None:
        rows = rows.filter(conversation__route__team_id=scope.team_id)
    return rows


def _in(field: str, scope: ReportScope) -> Q:
    start, end = scope.window
    return Q(**{f"{field}__gte": start, f"{field}__lt": end})


def _spread(
    rows: QuerySet[Any], field: str, group: str | None = None
) -> dict[Any, dict[str, Any]]:
    """Count, median and p90 of ``field``, overall (key None) or per ``group``."""
    rows = rows.filter(**{f"{field}__isnull": False})
    if connection.vendor == "postgresql":
        keyed = rows.values(group) if group else rows.values()
        if not group:
            found = rows.aggregate(
                count=Count("pk"),
                median=Percentile(field, 0.5),
                p90=Percentile(field, 0.9),
            )
            return {None: found}
        return {
            row[group]: {k: row[k] for k in ("count", "median", "p90")}
            for row in keyed.annotate(
                count=Count("pk"),
                median=Percentile(field, 0.5),
                p90=Percentile(field, 0.9),
            ).order_by()
        }
    # SQLite (the one-command demo): the same figures in Python.
    values: dict[Any, list[float]] = defaultdict(list)
    for key, value in rows.values_list(group or "pk", field):
        values[key if group else None].append(value)
    out: dict[Any, dict[str, Any]] = {}
    for key, numbers in values.items():
        ordered = sorted(numbers)
        out[key] = {
            "count": len(ordered),
            "median": statistics.median(ordered),
            "p90": statistics.quantiles(ordered, n=10, method="inclusive")[-1]
            if len(ordered) > 1
            else ordered[0],
        }
    return out


def _empty_spread() -> dict[str, Any]:
    return {"count": 0, "median": None, "p90": None}


def _surveys(scope: ReportScope) -> QuerySet[CsatSurvey]:
    rows = CsatSurvey.objects.filter(
        _in("answered_at", scope), business=scope.business, score__isnull=False
    )
    if scope.team_id is not None:
        rows = rows.filter(conversation__route__team_id=scope.team_id)
    return rows


def _sla(rows: QuerySet[ConversationFacts], breached: str, due: str) -> dict[str, Any]:
    counts = rows.filter(**{f"{due}__isnull": False}).aggregate(
        met=Count("pk", filter=Q(**{breached: False})),
        breached=Count("pk", filter=Q(**{breached: True})),
        pending=Count("pk", filter=Q(**{f"{breached}__isnull": True})),
    )
    settled = counts["met"] + counts["breached"]
    counts["attainment"] = round(counts["met"] / settled, 4) if settled else None
    return counts


@dataclass(frozen=True)
class _Rows:
    """The rows each figure counts, narrowed to the scope's team and agent."""

    opened: QuerySet[ConversationFacts]
    responded: QuerySet[ConversationFacts]
    resolved: QuerySet[ConversationFacts]
    surveys: QuerySet[CsatSurvey]


def _rows(scope: ReportScope) -> _Rows:
    facts = _facts(scope)
    rows = _Rows(
        opened=facts.filter(_in("opened_at", scope)),
        responded=facts.filter(_in("first_response_at", scope)),
        resolved=facts.filter(_in("resolved_at", scope)),
        surveys=_surveys(scope),
    )
    agent = scope.agent_id
    if agent is None:
        return rows
    # An agent's figures: what they were given, answered first, resolved, and
    # the answers about them.
    return _Rows(
        opened=rows.opened.filter(conversation__assigned_agent_id=agent),
        responded=rows.responded.filter(first_responder_id=agent),
        resolved=rows.resolved.filter(resolved_by_id=agent),
        surveys=rows.surveys.filter(agent_id=agent),
    )


def report_build(scope: ReportScope) -> dict[str, Any]:
    agent = scope.agent_id
    rows = _rows(scope)
    opened = rows.opened
    opened_by_day = dict(
        opened.annotate(day=TruncDate("opened_at", tzinfo=scope.zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    resolved_events = ConversationEvent.objects.filter(
        _in("occurred_at", scope),
        business=scope.business,
        kind=ConversationEvent.Kind.RESOLVED,
    )
    if scope.team_id is not None:
        resolved_events = resolved_events.filter(
            conversation__route__team_id=scope.team_id
        )
    if agent is not None:
        resolved_events = resolved_events.filter(actor_id=agent)
    resolved_by_day = dict(
        resolved_events.annotate(day=TruncDate("occurred_at", tzinfo=scope.zone))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("day", "n")
    )
    responded, resolved, surveys = rows.responded, rows.resolved, rows.surveys
    distribution = dict(
        surveys.values("score")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("score", "n")
    )
    csat = surveys.aggregate(average=Avg("score"), count=Count("pk"))
    return {
        "business": {"id": scope.business.id, "name": scope.business.name},
        "time_zone": str(scope.zone),
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "agent": agent,
        "team": scope.team_id,
        "days": [
            {
                "date": day.isoformat(),
                "opened": opened_by_day.get(day, 0),
                "resolved": resolved_by_day.get(day, 0),
            }
            for day in scope.days()
        ],
        "first_response_seconds": _spread(responded, "first_response_seconds").get(
            None, _empty_spread()
        ),
        "resolution_seconds": _spread(resolved, "resolution_seconds").get(
            None, _empty_spread()
        ),
        "csat": {
            "average": round(csat["average"], 2) if csat["average"] else None,
            "count": csat["count"],
            "distribution": {str(n): distribution.get(n, 0) for n in range(1, 6)},
        },
        "sla": {
            "first_response": _sla(
                opened, "first_response_breached", "first_response_due_at"
            ),
            "resolution": _sla(opened, "resolution_breached", "resolution_due_at"),
        },
        "by_agent": [] if agent is not None else _by_agent(scope),
        # An agent sees their own figures only, not the business's per team.
        "by_team": []
        if scope.team_id is not None or agent is not None
        else _by_team(scope),
        "by_label": _by_label(scope),
    }


def _by_agent(scope: ReportScope) -> list[dict[str, Any]]:
    facts = _facts(scope)
    frt = _spread(
        facts.filter(_in("first_response_at", scope)),
        "first_response_seconds",
        "first_responder_id",
    )
    res = _spread(
        facts.filter(_in("resolved_at", scope)), "resolution_seconds", "resolved_by_id"
    )
    csat = {
        row["agent_id"]: row
        for row in _surveys(scope)
        .values("agent_id")
        .annotate(average=Avg("score"), count=Count("pk"))
        .order_by()
    }
    ids = {k for k in [*frt, *res, *csat] if k is not None}
    from django.contrib.auth import get_user_model

    names = dict(
        get_user_model().objects.filter(pk__in=ids).values_list("pk", "username")
    )
    return sorted(
        (
            {
                "agent": names.get(uid, str(uid)),
                "agent_id": uid,
                "first_responses": frt.get(uid, _empty_spread())["count"],
                "first_response_median": frt.get(uid, _empty_spread())["median"],
                "resolved": res.get(uid, _empty_spread())["count"],
                "resolution_median": res.get(uid, _empty_spread())["median"],
                "csat_average": round(csat[uid]["average"], 2) if uid in csat else None,
                "csat_count": csat[uid]["count"] if uid in csat else 0,
            }
            for uid in ids
        ),
        key=lambda row: str(row["agent"]),
    )


def _by_team(scope: ReportScope) -> list[dict[str, Any]]:
    facts = ConversationFacts.objects.filter(business=scope.business)
    key = "conversation__route__team_id"
    opened = dict(
        facts.filter(_in("opened_at", scope))
        .values(key)
        .annotate(n=Count("pk"))
        .order_by()
        .values_list(key, "n")
    )
    frt = _spread(
        facts.filter(_in("first_response_at", scope)), "first_response_seconds", key
    )
    res = _spread(facts.filter(_in("resolved_at", scope)), "resolution_seconds", key)
    csat = {
        row[key]: row
        for row in CsatSurvey.objects.filter(
            _in("answered_at", scope), business=scope.business, score__isnull=False
        )
        .values(key)
        .annotate(average=Avg("score"), count=Count("pk"))
        .order_by()
    }
    ids = {*opened, *frt, *res, *csat}
    names = dict(
        Team.objects.filter(
            business=scope.business, pk__in=[i for i in ids if i]
        ).values_list("pk", "name")
    )
    return sorted(
        (
            {
                "team": names.get(tid, gettext("No team"))
                if tid
                else gettext("No team"),
                "team_id": tid,
                "opened": opened.get(tid, 0),
                "first_response_median": frt.get(tid, _empty_spread())["median"],
                "resolved": res.get(tid, _empty_spread())["count"],
                "resolution_median": res.get(tid, _empty_spread())["median"],
                "csat_average": round(csat[tid]["average"], 2) if tid in csat else None,
            }
            for tid in ids
        ),
        key=lambda row: str(row["team"]),
    )


def _by_label(scope: ReportScope) -> list[dict[str, Any]]:
    """The figures of the conversations carrying each label (as labelled now):
    one with two labels counts under both, one with none under "No label".
    Empty while the business has no labels. Narrowed like the rest of the
    report to the scope's team and agent."""
    names = dict(
        Label.objects.filter(business=scope.business).values_list("pk", "name")
    )
    if not names:
        return []
    rows = _rows(scope)
    # The join through the labels gives one row per (conversation, label); a
    # conversation without labels joins to None.
    key = "conversation__labels"
    opened = dict(
        rows.opened.values(key).annotate(n=Count("pk")).order_by().values_list(key, "n")
    )
    frt = _spread(rows.responded, "first_response_seconds", key)
    res = _spread(rows.resolved, "resolution_seconds", key)
    csat = {
        row[key]: row
        for row in rows.surveys.values(key)
        .annotate(average=Avg("score"), count=Count("pk"))
        .order_by()
    }
    ids = {*opened, *frt, *res, *csat}
    return sorted(
        (
            {
                "label": names.get(lid, gettext("No label"))
                if lid
                else gettext("No label"),
                "label_id": lid,
                "opened": opened.get(lid, 0),
                "first_responses": frt.get(lid, _empty_spread())["count"],
                "first_response_median": frt.get(lid, _empty_spread())["median"],
                "resolved": res.get(lid, _empty_spread())["count"],
                "resolution_median": res.get(lid, _empty_spread())["median"],
                "csat_average": round(csat[lid]["average"], 2) if lid in csat else None,
                "csat_count": csat[lid]["count"] if lid in csat else 0,
            }
            for lid in ids
        ),
        # Labels by name, "No label" last.
        key=lambda row: (row["label_id"] is None, str(row["label"]).lower()),
    )
