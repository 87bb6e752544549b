"""Report figures pinned on hand-built facts; the page, the CSV and the API agree."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from businesses.models import BusinessHours, ChannelSettings, ConversationRoute, Team
from conversations.models import Membership
from insights import services
from insights.models import ConversationFacts, CsatSurvey, SlaBreach, SlaPolicy
from insights.reports import ReportScope, report_build
from insights.sla import sla_sweep
from tests.factories import (
    ConversationFactory,
    LabelFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

UTCZ = ZoneInfo("UTC")


def timeline(business, opened, first_reply=None, resolved=None, agent=None):
    conversation = ConversationFactory(
        customer__business=business, assigned_agent=agent
    )
    cid = conversation.id
    services.facts_open(conversation_id=cid, opened_at=opened)
    if first_reply is not None:
        services.agent_reply_record(
            conversation_id=cid, sender_id=agent.pk, at=first_reply
        )
    if resolved is not None:
        services.status_change_record(
            conversation_id=cid,
            old_status="open",
            new_status="resolved",
            actor_id=agent.pk,
            at=resolved,
        )
    return conversation


@pytest.fixture
def admin(business):
    user = UserFactory(username="boss")
    MembershipFactory(user=user, business=business, role=Membership.Role.ADMIN)
    return user


def scope(business, start, end, zone=UTCZ, **kw):
    return ReportScope(business=business, start=start, end=end, zone=zone, **kw)


def test_median_and_p90_of_first_response_and_resolution(business, agent) -> None:
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    for minutes in (1, 2, 10):
        timeline(
            business,
            t0,
            t0 + timedelta(minutes=minutes),
            t0 + timedelta(minutes=minutes * 6),
            agent,
        )
    report = report_build(scope(business, date(2025, 5, 5), date(2025, 5, 5)))
    frt = report["first_response_seconds"]
    assert frt["count"] == 3
    assert frt["median"] == 120
    # percentile_cont: 120 + 0.8 * (600 - 120)
    assert frt["p90"] == pytest.approx(504)
    assert report["resolution_seconds"]["median"] == 720
    assert report["days"] == [{"date": "2025-05-05", "opened": 3, "resolved": 3}]


def test_days_are_the_business_time_zone(business, agent) -> None:
    # 23:30 UTC on 1 May is 2 May in Tokyo and still 1 May in New York.
    late = datetime(2025, 5, 1, 23, 30, tzinfo=UTC)
    timeline(business, late, agent=agent)
    tokyo = report_build(
        scope(business, date(2025, 5, 1), date(2025, 5, 2), ZoneInfo("Asia/Tokyo"))
    )
    new_york = report_build(
        scope(
            business, date(2025, 5, 1), date(2025, 5, 2), ZoneInfo("America/New_York")
        )
    )
    assert [d["opened"] for d in tokyo["days"]] == [0, 1]
    assert [d["opened"] for d in new_york["days"]] == [1, 0]


def test_reopen_counts_two_resolutions_and_the_final_time(business, agent) -> None:
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    conversation = timeline(
        business, t0, t0 + timedelta(minutes=5), t0 + timedelta(hours=1), agent
    )
    cid = conversation.id
    services.status_change_record(
        conversation_id=cid,
        old_status="resolved",
        new_status="open",
        actor_id=None,
        at=t0 + timedelta(hours=2),
    )
    services.status_change_record(
        conversation_id=cid,
        old_status="open",
        new_status="resolved",
        actor_id=agent.pk,
        at=t0 + timedelta(hours=3),
    )
    report = report_build(scope(business, date(2025, 5, 5), date(2025, 5, 5)))
    assert report["days"][0]["resolved"] == 2
    assert report["resolution_seconds"] == {"count": 1, "median": 10800, "p90": 10800}


def test_csat_average_distribution_and_agent_rows(business, agent) -> None:
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    for n, score in enumerate((5, 4, 4, 1)):
        c = timeline(
            business, t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=2), agent
        )
        CsatSurvey.objects.create(
            business=business,
            conversation=c,
            resolution=1,
            agent=agent,
            status="answered",
            score=score,
            answered_at=t0 + timedelta(minutes=10 + n),
        )
    report = report_build(scope(business, date(2025, 5, 5), date(2025, 5, 5)))
    assert report["csat"] == {
        "average": 3.5,
        "count": 4,
        "distribution": {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1},
    }
    [row] = report["by_agent"]
    assert (row["agent"], row["csat_average"], row["resolved"]) == ("alice", 3.5, 4)


def test_by_team(business, agent) -> None:
    team = Team.objects.create(business=business, name="Repairs")
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    c = timeline(business, t0, t0 + timedelta(minutes=3), None, agent)
    ConversationRoute.objects.create(conversation=c, team=team, team_name="Repairs")
    timeline(business, t0, None, None, agent)
    report = report_build(scope(business, date(2025, 5, 5), date(2025, 5, 5)))
    rows = {r["team"]: r for r in report["by_team"]}
    assert rows["Repairs"]["opened"] == 1
    assert rows["Repairs"]["first_response_median"] == 180
    assert rows["No team"]["opened"] == 1
    only = report_build(
        scope(business, date(2025, 5, 5), date(2025, 5, 5), team_id=team.id)
    )
    assert only["days"][0]["opened"] == 1


def labelled_timelines(business, agent):
    """Alice's three conversations of 5 May and Bob's one, labelled by hand:
    a conversation with two labels counts under both."""
    vip = LabelFactory(business=business, name="vip")
    billing = LabelFactory(business=business, name="Billing")
    LabelFactory(business=business, name="unused")
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business)
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    minutes = lambda n: t0 + timedelta(minutes=n)  # noqa: E731
    both = timeline(business, t0, minutes(2), minutes(10), agent)
    both.labels.add(vip, billing)
    timeline(business, t0, minutes(4), None, agent).labels.add(vip)
    timeline(business, t0, minutes(6), None, agent)  # no label
    timeline(business, t0, minutes(8), minutes(20), bob).labels.add(vip)
    CsatSurvey.objects.create(
        business=business,
        conversation=both,
        resolution=1,
        agent=agent,
        status="answered",
        score=4,
        answered_at=minutes(30),
    )
    return vip, billing, bob


def test_by_label_counts_a_conversation_under_each_of_its_labels(
    business, agent
) -> None:
    vip, billing, _ = labelled_timelines(business, agent)
    day = date(2025, 5, 5)
    report = report_build(scope(business, day, day))
    figures = [
        (
            r["label"],
            r["label_id"],
            r["opened"],
            r["first_responses"],
            r["first_response_median"],
            r["resolved"],
            r["resolution_median"],
            r["csat_average"],
            r["csat_count"],
        )
        for r in report["by_label"]
    ]
    assert figures == [
        ("Billing", billing.id, 1, 1, 120, 1, 600, 4.0, 1),
        ("vip", vip.id, 3, 3, 240, 2, 900, 4.0, 1),
        ("No label", None, 1, 1, 360, 0, None, None, 0),
    ]
    # The overall figures count each conversation once.
    assert report["days"][0]["opened"] == 4
    # An agent's own figures, per label: Bob's vip conversation is not Alice's.
    own = report_build(scope(business, day, day, agent_id=agent.pk))
    assert [(r["label"], r["opened"], r["resolved"]) for r in own["by_label"]] == [
        ("Billing", 1, 1),
        ("vip", 2, 1),
        ("No label", 1, 0),
    ]


def test_by_label_is_empty_without_labels(business, agent) -> None:
    t0 = datetime(2025, 5, 5, 10, 0, tzinfo=UTC)
    timeline(business, t0, t0 + timedelta(minutes=1), None, agent)
    report = report_build(scope(business, date(2025, 5, 5), date(2025, 5, 5)))
    assert report["by_label"] == []


def test_the_report_costs_the_same_queries_whatever_the_labels(business, agent) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    labelled_timelines(business, agent)
    day = date(2025, 5, 5)
    with CaptureQueriesContext(connection) as few:
        report_build(scope(business, day, day))
    t0 = datetime(2025, 5, 5, 11, 0, tzinfo=UTC)
    for n in range(8):
        label = LabelFactory(business=business, name=f"more-{n}")
        c = timeline(business, t0, t0 + timedelta(minutes=n + 1), None, agent)
        c.labels.add(label)
    with CaptureQueriesContext(connection) as many:
        report = report_build(scope(business, day, day))
    assert len(report["by_label"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)
    # The label breakdown is five of them: the names and four grouped figures.
    label_queries = [
        q for q in many.captured_queries if "label" in q["sql"].split("FROM", 1)[1]
    ]
    assert len(label_queries) == 5


def test_sla_across_a_weekend_and_attainment(business, agent) -> None:
    paris = ZoneInfo("Europe/Paris")
    ChannelSettings.objects.create(business=business, timezone="Europe/Paris")
    for day in range(5):
        BusinessHours.objects.create(
            business=business, weekday=day, opens=time(9), closes=time(17)
        )
    SlaPolicy.objects.create(
        business=business, priority="normal", first_response_minutes=120
    )
    friday = datetime(2025, 3, 7, 16, 30, tzinfo=paris)
    late = timeline(business, friday, agent=agent)
    facts = ConversationFacts.objects.get(pk=late.pk)
    # 30 minutes on Friday, 90 on Monday.
    assert facts.first_response_due_at == datetime(2025, 3, 10, 10, 30, tzinfo=paris)

    # Over the weekend nothing is breached yet.
    assert sla_sweep(now=datetime(2025, 3, 9, 12, 0, tzinfo=paris)) == 0
    # Monday 10:31: breached and recorded once, however often the beat runs.
    monday = datetime(2025, 3, 10, 10, 31, tzinfo=paris)
    assert sla_sweep(now=monday) == 1
    assert sla_sweep(now=monday) == 0
    assert SlaBreach.objects.get().target == "first_response"

    on_time = timeline(
        business, friday, datetime(2025, 3, 10, 9, 15, tzinfo=paris), agent=agent
    )
    assert ConversationFacts.objects.get(pk=on_time.pk).first_response_breached is False
    report = report_build(scope(business, date(2025, 3, 7), date(2025, 3, 10), paris))
    assert report["sla"]["first_response"] == {
        "met": 1,
        "breached": 1,
        "pending": 0,
        "attainment": 0.5,
    }


@pytest.fixture
def seeded(business, agent):
    t0 = datetime.now(UTC) - timedelta(days=1)
    bob = UserFactory(username="bob")
    MembershipFactory(user=bob, business=business)
    timeline(business, t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=5), agent)
    timeline(business, t0, t0 + timedelta(minutes=3), t0 + timedelta(minutes=9), bob)
    return bob


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_admins_see_everyone_agents_only_themselves(
    business, agent, admin, seeded
) -> None:
    everyone = api(admin).get("/api/v1/reports/summary/").json()
    assert everyone["first_response_seconds"]["count"] == 2
    assert {r["agent"] for r in everyone["by_agent"]} == {"alice", "bob"}
    # An agent asking for bob's figures still gets their own.
    own = api(agent).get(f"/api/v1/reports/summary/?agent={seeded.pk}").json()
    assert own["agent"] == agent.pk
    assert own["first_response_seconds"]["count"] == 1
    assert own["first_response_seconds"]["median"] == 60
    assert own["by_agent"] == []
    # Nor the business's figures per team.
    assert everyone["by_team"]
    assert own["by_team"] == []


def test_bad_input_is_a_clear_400_or_404(business, admin) -> None:
    client = api(admin)
    for query, status in [
        ("start=yesterday", 400),
        ("start=2025-02-01&end=2025-01-01", 400),
        ("start=2020-01-01&end=2025-01-01", 400),
        ("business=abc", 400),
        ("business=999999", 404),
        ("agent=999999", 404),
    ]:
        response = client.get(f"/api/v1/reports/summary/?{query}")
        assert response.status_code == status, query
        assert response.json()["error"]["message"]


def test_the_page_and_csv_show_the_api_figures(client, business, admin, seeded) -> None:
    client.force_login(admin)
    page = client.get("/console/reports/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="per-day"' in html
    assert "<script>" not in html  # charts come from a module, data from the table
    csv = client.get("/console/reports/export.csv")
    assert csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode()
    assert "first response,2,120.0" in text
    assert "bob" in text
    bad = client.get("/console/reports/?start=nope")
    assert bad.status_code == 400
    assert "start must be a date" in bad.content.decode()


def test_the_page_csv_and_api_show_the_label_rows(client, business, admin) -> None:
    vip, _, _ = labelled_timelines(business, admin)
    query = "start=2025-05-05&end=2025-05-05"
    [api_vip] = [
        r
        for r in api(admin).get(f"/api/v1/reports/summary/?{query}").json()["by_label"]
        if r["label_id"] == vip.id
    ]
    assert (api_vip["opened"], api_vip["resolved"]) == (3, 2)
    client.force_login(admin)
    html = client.get(f"/console/reports/?{query}").content.decode()
    assert 'id="by-label"' in html
    assert '<th scope="row">vip</th><td>3</td><td>3</td>' in html
    text = client.get(f"/console/reports/export.csv?{query}").content.decode()
    assert "label,opened,first responses" in text
    assert "vip,3,3,240.0,2,900.0,4.0,1" in text


def test_csv_cells_cannot_run_formulas(business) -> None:
    from insights.export import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
