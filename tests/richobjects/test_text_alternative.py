from __future__ import annotations

from typing import Any

import pytest

from richobjects.builders import BuildError, Kind, text_alternative


def test_quick_reply_lists_numbered_options(quick_reply_spec: dict[str, Any]) -> None:
    assert text_alternative(Kind.QUICK_REPLY, quick_reply_spec) == (
        "How can we help?\n1. Billing\n2. Repairs\n3. Something else\nReply with a number."
    )


def test_list_picker_numbers_items_across_sections(
    list_picker_spec: dict[str, Any],
) -> None:
    assert text_alternative(Kind.LIST_PICKER, list_picker_spec) == (
        "Pick your bike\n"
        "Bikes:\n"
        "1. Gravel 700 (In stock)\n"
        "2. Road 500\n"
        "Extras:\n"
        "3. Lock\n"
        "4. Lamp\n"
        "Reply with one or more numbers."
    )


def test_time_picker_lists_slots_in_the_event_zone(
    time_picker_spec: dict[str, Any],
) -> None:
    assert text_alternative(Kind.TIME_PICKER, time_picker_spec) == (
        "Bike fitting\n"
        "Where: Acme Paris\n"
        "1. Tue 1 Dec 2026, 11:00-11:30 UTC+01:00\n"
        "2. Tue 1 Dec 2026, 11:30-12:30 UTC+01:00\n"
        "Reply with a number."
    )


def test_time_picker_without_offset_uses_utc(time_picker_spec: dict[str, Any]) -> None:
    del time_picker_spec["timezone_offset"]

    assert "1. Tue 1 Dec 2026, 10:00-10:30 UTC" in text_alternative(
        Kind.TIME_PICKER, time_picker_spec
    )


@pytest.mark.parametrize(
    ("kind", "fixture", "expected"),
    [
        (
            Kind.APPLE_PAY,
            "apple_pay_spec",
            "Your order: https://acmebikes.example/fallback",
        ),
        (
            Kind.AUTHENTICATION,
            "auth_spec",
            "Sign in to Acme: https://acmebikes.example/fallback",
        ),
        (
            Kind.IMESSAGE_APP,
            "imessage_spec",
            "Build your bike: https://acmebikes.example/fallback",
        ),
    ],
)
def test_link_kinds_offer_the_fallback_link(
    kind: Kind, fixture: str, expected: str, request: pytest.FixtureRequest
) -> None:
    spec = {
        **request.getfixturevalue(fixture),
        "fallback_url": "https://acmebikes.example/fallback",
    }

    assert text_alternative(kind, spec) == expected


def test_link_kinds_without_a_link_still_say_something(
    auth_spec: dict[str, Any],
) -> None:
    del auth_spec["received"]

    assert text_alternative(Kind.AUTHENTICATION, auth_spec) == (
        "Please sign in. Reply here and we will help you."
    )


def test_rich_link_is_its_title_and_url(rich_link_spec: dict[str, Any]) -> None:
    assert text_alternative(Kind.RICH_LINK, rich_link_spec) == (
        "Gravel 700\nhttps://acmebikes.example/gravel-700"
    )


@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_has_a_non_empty_alternative_even_for_a_sparse_spec(
    kind: Kind,
) -> None:
    sparse = {"url": "https://acmebikes.example", "received": {"title": "Hello"}}

    assert text_alternative(kind, sparse).strip()


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(BuildError, match="kind: unknown rich object kind"):
        text_alternative("carousel", {})


def test_form_becomes_its_questions_and_choices_numbered(
    form_spec: dict[str, Any],
) -> None:
    form_spec["pages"][0]["multiple_selection"] = True
    spec = {**form_spec, "fallback_url": "https://acmebikes.example/fallback"}

    assert text_alternative(Kind.FORM, spec) == (
        "Service request\n"
        "Book a service\n"
        "Three questions\n"
        "1. What needs fixing? (choose one or more)\n"
        "   1.1 Brakes\n"
        "   1.2 Gears\n"
        "2. When? (a date)\n"
        "3. Your name\n"
        "Reply with your answers, one per line (a choice by its number).\n"
        "Or fill in the form: https://acmebikes.example/fallback"
    )


def test_time_picker_lists_slots_in_the_business_zone_when_it_names_none(
    time_picker_spec: dict[str, Any],
) -> None:
    from zoneinfo import ZoneInfo

    del time_picker_spec["timezone_offset"]

    text = text_alternative(
        Kind.TIME_PICKER, time_picker_spec, zone=ZoneInfo("America/New_York")
    )

    assert "1. Tue 1 Dec 2026, 05:00-05:30 EST" in text
    assert "2. Tue 1 Dec 2026, 05:30-06:30 EST" in text
