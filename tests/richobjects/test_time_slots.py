"""Relative time-picker slots: expanded at send time in the business's zone, past
slots dropped, a picker with none left refused (issue 20 item 10)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from businesses.models import ChannelSettings
from conversations.exceptions import ApplicationError
from richobjects import builders, services, slots
from richobjects.models import RichObject
from tests.factories import ConversationFactory

PARIS = ZoneInfo("Europe/Paris")
HOURLY = {
    "days": 3,
    "weekdays_only": True,
    "from": "10:00",
    "to": "17:00",
    "every": 3600,
    "duration": 3600,
}
# Friday 27 March 2026, 12:30 in Paris (CET, UTC+1); summer time starts on Sunday 29.
FRIDAY_LUNCH = datetime(2026, 3, 27, 11, 30, tzinfo=UTC)


def starts(expanded: list[dict[str, Any]]) -> list[str]:
    return [s["start"] for s in expanded]


def test_next_three_weekdays_skip_the_weekend_and_keep_wall_clock_across_dst() -> None:
    rule, problems = slots.parse(HOURLY)
    assert problems == []
    assert rule is not None

    expanded = slots.expand(rule, now=FRIDAY_LUNCH, zone=PARIS)

    # Friday's past hours are gone; 13:00-16:00 CET remain (12:00-15:00 UTC).
    assert starts(expanded)[:4] == [
        "2026-03-27T12:00+0000",
        "2026-03-27T13:00+0000",
        "2026-03-27T14:00+0000",
        "2026-03-27T15:00+0000",
    ]
    # No Saturday or Sunday; Monday 10:00 is now CEST, so 08:00 UTC.
    monday = [s for s in starts(expanded) if s.startswith("2026-03-30")]
    assert monday[0] == "2026-03-30T08:00+0000"
    assert len(monday) == 7  # 10:00 … 16:00, each ending by 17:00
    assert {s[:10] for s in starts(expanded)} == {
        "2026-03-27",
        "2026-03-30",
        "2026-03-31",
    }
    assert all(s["duration"] == 3600 for s in expanded)


def test_a_day_already_over_does_not_count() -> None:
    rule, _ = slots.parse(HOURLY)
    friday_evening = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)

    days = {s[:10] for s in starts(slots.expand(rule, now=friday_evening, zone=PARIS))}

    assert days == {"2026-03-30", "2026-03-31", "2026-04-01"}


def test_times_skipped_by_the_dst_jump_are_not_offered() -> None:
    rule, _ = slots.parse(
        {
            **HOURLY,
            "weekdays_only": False,
            "days": 1,
            "from": "01:00",
            "to": "04:00",
            "every": 1800,
            "duration": 1800,
        }
    )
    saturday_night = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)  # Sun 00:30 CET

    local = [
        datetime.fromisoformat(s).astimezone(PARIS).strftime("%H:%M")
        for s in starts(slots.expand(rule, now=saturday_night, zone=PARIS))
    ]

    assert local == ["01:00", "01:30", "03:00", "03:30"]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({**HOURLY, "days": 0}, "relative_slots.days"),
        ({**HOURLY, "from": "25:00"}, "relative_slots.from"),
        ({**HOURLY, "every": 60}, "relative_slots.every"),
        ({**HOURLY, "from": "16:30"}, "relative_slots.to"),
        ("tomorrow", "relative_slots"),
    ],
)
def test_a_broken_rule_is_named_by_the_builder(rule: Any, field: str) -> None:
    spec = {"title": "Fitting", "received": {"title": "Book"}, "relative_slots": rule}

    with pytest.raises(builders.BuildErrors) as caught:
        builders.validate_spec("time_picker", spec)

    assert field in caught.value.as_dict()


def test_stored_rule_reads_as_words_in_the_text_alternative() -> None:
    spec = {"title": "Fitting", "relative_slots": HOURLY}

    assert builders.text_alternative("time_picker", spec) == (
        "Fitting\nTimes on the next 3 weekdays, 10:00-17:00 every hour.\n"
        "Reply with a number."
    )


# --- at send time ---------------------------------------------------------------------------


def _picker(business: Any, spec: dict[str, Any]) -> RichObject:
    rich_object = services.rich_object_create(
        business=business, name="Fitting", kind="time_picker", spec=spec
    )
    return services.rich_object_publish(rich_object=rich_object)


@pytest.fixture
def paris_business(business: Any) -> Any:
    ChannelSettings.objects.update_or_create(
        business=business, defaults={"timezone": "Europe/Paris"}
    )
    return business


@pytest.mark.django_db
def test_send_expands_relative_slots_and_drops_past_fixed_ones(
    paris_business: Any, conversation: Any
) -> None:
    rich_object = _picker(
        paris_business,
        {
            "received": {"title": "Book a fitting"},
            "title": "Fitting",
            "slots": [
                {"id": "gone", "start": "2026-03-26T09:00+0000", "duration": 1800},
                {"id": "later", "start": "2026-04-10T09:00+0000", "duration": 1800},
            ],
            "relative_slots": {**HOURLY, "days": 1},
        },
    )

    with time_machine.travel(FRIDAY_LUNCH, tick=False):
        message = services.rich_object_send(
            conversation=conversation, object_or_version=rich_object, sender=None
        )

    event = message.raw["interactiveData"]["data"]["event"]
    ids = [slot["identifier"] for slot in event["timeslots"]]
    assert "gone" not in ids
    assert ids[0] == "later"
    assert [s["startTime"] for s in event["timeslots"][1:]] == [
        "2026-03-27T12:00+0000",
        "2026-03-27T13:00+0000",
        "2026-03-27T14:00+0000",
        "2026-03-27T15:00+0000",
    ]


@pytest.mark.django_db
def test_text_alternative_lists_the_expanded_slots_in_the_business_zone(
    paris_business: Any,
) -> None:
    conversation = ConversationFactory(
        customer__business=paris_business, capabilities=["QUICK"]
    )
    rich_object = _picker(
        paris_business,
        {"title": "Fitting", "relative_slots": {**HOURLY, "days": 1}},
    )

    with time_machine.travel(datetime(2026, 3, 27, 18, 0, tzinfo=UTC), tick=False):
        message = services.rich_object_send(
            conversation=conversation, object_or_version=rich_object, sender=None
        )

    assert message.body.splitlines()[:3] == [
        "Fitting",
        "1. Mon 30 Mar 2026, 10:00-11:00 CEST",
        "2. Mon 30 Mar 2026, 11:00-12:00 CEST",
    ]
    assert message.body.splitlines()[-1] == "Reply with a number."


@pytest.mark.django_db
def test_a_picker_whose_slots_have_all_passed_is_refused_with_a_clear_error(
    paris_business: Any, conversation: Any, agent: Any, client: Any
) -> None:
    rich_object = _picker(
        paris_business,
        {
            "title": "Fitting",
            "slots": [{"start": "2026-03-26T09:00+0000", "duration": 1800}],
        },
    )

    with time_machine.travel(FRIDAY_LUNCH, tick=False):
        with pytest.raises(ApplicationError) as caught:
            services.rich_object_send(
                conversation=conversation, object_or_version=rich_object, sender=None
            )
        client.force_login(agent)
        answer = client.post(
            f"/api/v1/conversations/{conversation.pk}/rich/",
            {"object": rich_object.pk},
            content_type="application/json",
        )

    assert "every slot is in the past" in caught.value.message
    assert "2026-03-26 09:00 UTC" in caught.value.message
    assert answer.status_code == 400
    assert "every slot is in the past" in answer.json()["error"]["message"]
    assert not conversation.messages.exists()
