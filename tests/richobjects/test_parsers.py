from __future__ import annotations

import copy
import dataclasses
import uuid
from typing import Any

import pytest

from richobjects.builders import (
    Kind,
    MerchantSettings,
    build_apple_pay,
    build_authentication,
    build_form,
    build_list_picker,
    build_quick_reply,
    build_time_picker,
)
from richobjects.parsers import (
    AuthReply,
    ChosenSlot,
    FormReply,
    ListPickerReply,
    PaymentReply,
    PickedItem,
    QuickReplyReply,
    TimePickerReply,
    UnknownReply,
    parse_reply,
)
from tests.helpers import load_apple_fixture

REQUEST_ID = str(uuid.uuid4())


def reply_to(
    request: dict[str, Any], data: dict[str, Any], **envelope: Any
) -> dict[str, Any]:
    """A reply as Apple sends it: same bid and requestIdentifier, the answer in data."""
    return {
        "bid": request["bid"],
        "data": {"version": "1.0", "requestIdentifier": REQUEST_ID, **data},
        "receivedMessage": request["receivedMessage"],
        **envelope,
    }


# --- list picker ----------------------------------------------------------------------


@pytest.fixture
def list_request(list_picker_spec: dict[str, Any]) -> dict[str, Any]:
    return build_list_picker(list_picker_spec, request_identifier=REQUEST_ID)


def test_list_picker_reply_names_the_picked_items(list_request: dict[str, Any]) -> None:
    reply = reply_to(
        list_request,
        {
            "listPicker": {
                "sections": [
                    {
                        "title": "Bikes",
                        "items": [{"identifier": "g700", "title": "Gravel 700"}],
                    },
                    {
                        "title": "Extras",
                        "items": [{"identifier": "lamp", "title": "Lamp"}],
                    },
                ]
            }
        },
    )

    result = parse_reply(reply, list_request)

    assert isinstance(result, ListPickerReply)
    assert result.request_identifier == REQUEST_ID
    assert result.items == (
        PickedItem("g700", "Gravel 700", "Bikes"),
        PickedItem("lamp", "Lamp", "Extras"),
    )
    assert result.summary == "Picked: Gravel 700, Lamp"
    assert result.kind == Kind.LIST_PICKER


def test_list_picker_titles_come_from_the_request(list_request: dict[str, Any]) -> None:
    # Replies may carry only identifiers, or stale titles: the request we sent wins.
    reply = reply_to(
        list_request,
        {
            "listPicker": {
                "sections": [{"items": [{"identifier": "r500", "title": "??"}]}]
            }
        },
    )

    result = parse_reply(reply, list_request)

    assert result.items == (PickedItem("r500", "Road 500", "Bikes"),)


def test_list_picker_counts_duplicates_once(list_request: dict[str, Any]) -> None:
    item = {"identifier": "lock", "title": "Lock"}
    reply = reply_to(
        list_request,
        {"listPicker": {"sections": [{"items": [item, item]}, {"items": [item]}]}},
    )

    assert [i.identifier for i in parse_reply(reply, list_request).items] == ["lock"]


def test_list_picker_keeps_items_the_request_did_not_offer(
    list_request: dict[str, Any],
) -> None:
    reply = reply_to(
        list_request,
        {
            "listPicker": {
                "sections": [{"items": [{"identifier": "zz", "title": "Mystery"}]}]
            }
        },
    )

    assert parse_reply(reply, list_request).items == (PickedItem("zz", "Mystery", ""),)


def test_list_picker_accepts_selected_identifiers(list_request: dict[str, Any]) -> None:
    reply = reply_to(
        list_request, {"listPicker": {"selectedIdentifiers": ["lamp", "g700"]}}
    )

    assert parse_reply(reply, list_request).summary == "Picked: Lamp, Gravel 700"


def test_list_picker_reply_with_nothing_picked(list_request: dict[str, Any]) -> None:
    result = parse_reply(
        reply_to(list_request, {"listPicker": {"sections": []}}), list_request
    )

    assert result.items == ()
    assert result.summary == "Picked nothing"


def test_list_picker_reply_fixture_without_the_request() -> None:
    body = load_apple_fixture("interactive_list_reply")

    result = parse_reply(body["interactiveData"])

    assert isinstance(result, ListPickerReply)
    assert result.request_identifier == "8a2f3c9e-1b7d-4e6a-9c0f-5d4b3a2e1f07"
    assert result.summary == "Picked: Gravel 700"


def test_a_decoded_data_ref_still_wrapped_is_unwrapped(
    list_request: dict[str, Any],
) -> None:
    reply = reply_to(
        list_request,
        {"listPicker": {"sections": [{"items": [{"identifier": "g700"}]}]}},
    )

    result = parse_reply({"interactiveData": reply}, list_request)

    assert result.summary == "Picked: Gravel 700"


# --- time picker ---------------------------------------------------------------------


@pytest.fixture
def time_request(time_picker_spec: dict[str, Any]) -> dict[str, Any]:
    return build_time_picker(time_picker_spec, request_identifier=REQUEST_ID)


def test_time_picker_reply_names_the_slot(time_request: dict[str, Any]) -> None:
    reply = reply_to(
        time_request,
        {
            "event": {
                "timeslots": [{"identifier": "b", "startTime": "2026-12-01T10:30+0000"}]
            }
        },
    )

    result = parse_reply(reply, time_request)

    assert isinstance(result, TimePickerReply)
    assert result.slot == ChosenSlot("b", "2026-12-01T10:30+0000", 3600)
    # Shown in the event's zone (timezoneOffset 60).
    assert result.summary == "Chose: Tue 1 Dec 2026, 11:30-12:30 UTC+01:00"


def test_time_picker_reply_matched_by_start_time(time_request: dict[str, Any]) -> None:
    reply = reply_to(
        time_request, {"event": {"timeslots": [{"startTime": "2026-12-01T10:00+0000"}]}}
    )

    assert parse_reply(reply, time_request).slot == ChosenSlot(
        "a", "2026-12-01T10:00+0000", 1800
    )


def test_time_picker_reply_without_a_slot(time_request: dict[str, Any]) -> None:
    result = parse_reply(
        reply_to(time_request, {"event": {"timeslots": []}}), time_request
    )

    assert result.slot is None
    assert result.summary == "Chose no time"


# --- quick reply ---------------------------------------------------------------------------


@pytest.fixture
def quick_request(quick_reply_spec: dict[str, Any]) -> dict[str, Any]:
    return build_quick_reply(quick_reply_spec, request_identifier=REQUEST_ID)


@pytest.mark.parametrize(
    "answer",
    [
        {"quick-reply": {"selectedIdentifier": "2"}},
        {"quick-reply": {"selectedIndex": 1}},
        {"quick-reply": {"selectedIndex": "1"}},
        {"selectedIdentifier": "2"},
        {"quick-reply": {"items": [], "selectedTitle": "repairs"}},
    ],
    ids=["identifier", "index", "index-as-text", "identifier-in-data", "title"],
)
def test_quick_reply_choice_from_any_known_shape(
    quick_request: dict[str, Any], answer: dict[str, Any]
) -> None:
    result = parse_reply(reply_to(quick_request, answer), quick_request)

    assert isinstance(result, QuickReplyReply)
    assert (result.identifier, result.index, result.title) == ("2", 1, "Repairs")
    assert result.summary == "Chose: Repairs"


def test_quick_reply_choice_from_the_reply_bubble_title(
    quick_request: dict[str, Any],
) -> None:
    reply = reply_to(
        quick_request, {"quick-reply": {}}, replyMessage={"title": "Billing"}
    )

    result = parse_reply(reply, quick_request)

    assert (result.identifier, result.index) == ("billing", 0)


def test_quick_reply_index_out_of_range_falls_back_to_the_raw_reply(
    quick_request: dict[str, Any],
) -> None:
    reply = reply_to(quick_request, {"quick-reply": {"selectedIndex": 7}})

    result = parse_reply(reply, quick_request)

    assert result.identifier is None
    assert result.index is None
    assert result.summary == "Replied to a quick reply"
    assert result.raw == reply


# --- form --------------------------------------------------------------------------------


@pytest.fixture
def form_request(form_spec: dict[str, Any]) -> dict[str, Any]:
    return build_form(form_spec, request_identifier=REQUEST_ID)


def test_form_reply_lists_the_answers(form_request: dict[str, Any]) -> None:
    reply = reply_to(
        form_request,
        {
            "dynamic": {
                "data": {
                    "selections": [
                        {"pageIdentifier": "kind", "items": [{"identifier": "gears"}]},
                        {
                            "pageIdentifier": "when",
                            "title": "When?",
                            "items": [{"identifier": "0", "value": "12/01/2026"}],
                        },
                        {
                            "pageIdentifier": "name",
                            "items": [{"identifier": "0", "value": "Jane"}],
                        },
                    ]
                }
            }
        },
    )

    result = parse_reply(reply, form_request)

    assert isinstance(result, FormReply)
    kind, when, name = result.answers
    assert name.items[0].value == "Jane"
    assert kind.title == "What needs fixing?"
    assert (kind.items[0].title, kind.items[0].value) == ("Gears", "gears")
    assert when.items[0].value == "12/01/2026"
    assert result.summary == (
        "Answered: What needs fixing?: Gears; When?: 12/01/2026; Your name: Jane"
    )


def test_form_reply_selections_at_the_top_of_data(form_request: dict[str, Any]) -> None:
    reply = reply_to(
        form_request,
        {
            "selections": [
                {"pageIdentifier": "kind", "items": [{"identifier": "brakes"}]}
            ]
        },
    )

    result = parse_reply(reply, form_request)

    assert result.answers[0].items[0].title == "Brakes"


def test_form_reply_ignores_a_page_answered_twice(form_request: dict[str, Any]) -> None:
    selection = {"pageIdentifier": "kind", "items": [{"identifier": "brakes"}]}
    reply = reply_to(
        form_request,
        {
            "dynamic": {
                "selections": [
                    selection,
                    {**selection, "items": [{"identifier": "gears"}]},
                ]
            }
        },
    )

    assert [
        a.items[0].identifier for a in parse_reply(reply, form_request).answers
    ] == ["brakes"]


# --- Apple Pay -------------------------------------------------------------------------------


@pytest.fixture
def pay_request(
    apple_pay_spec: dict[str, Any], merchant: MerchantSettings
) -> dict[str, Any]:
    return build_apple_pay(
        apple_pay_spec, merchant=merchant, request_identifier=REQUEST_ID
    )


def test_payment_success(pay_request: dict[str, Any]) -> None:
    reply = reply_to(pay_request, {"payment": {"status": "STATUS_SUCCESS"}})

    result = parse_reply(reply, pay_request)

    assert isinstance(result, PaymentReply)
    assert result.succeeded
    assert result.summary == "Paid 1014.50 USD"


def test_payment_failure(pay_request: dict[str, Any]) -> None:
    reply = reply_to(
        pay_request, {"payment": {"paymentResult": {"status": "STATUS_FAILURE"}}}
    )

    result = parse_reply(reply, pay_request)

    assert not result.succeeded
    assert result.summary == "Payment failed (STATUS_FAILURE)"


# --- authentication ---------------------------------------------------------------------------


@pytest.fixture
def auth_request(auth_spec: dict[str, Any]) -> dict[str, Any]:
    return build_authentication(auth_spec, state="nonce", request_identifier=REQUEST_ID)


def test_auth_success_keeps_the_token_out_of_repr(auth_request: dict[str, Any]) -> None:
    reply = reply_to(
        auth_request,
        {
            "authenticate": {
                "status": "authenticated",
                "token": "ZW5jcnlwdGVk",
                "oauth2": {"state": "nonce"},
            }
        },
    )

    result = parse_reply(reply, auth_request)

    assert isinstance(result, AuthReply)
    assert result.succeeded
    assert result.has_token
    assert result.state == "nonce"
    assert result.summary == "Signed in"
    assert result.token == "ZW5jcnlwdGVk"
    assert "ZW5jcnlwdGVk" not in repr(result)


def test_auth_failure(auth_request: dict[str, Any]) -> None:
    reply = reply_to(auth_request, {"authenticate": {"status": "failed"}})

    result = parse_reply(reply, auth_request)

    assert not result.succeeded
    assert not result.has_token
    assert (
        result.summary
        == "Sign-in failed: the customer cancelled or did not finish signing in"
    )


def test_auth_status_without_a_token_is_not_a_success(
    auth_request: dict[str, Any],
) -> None:
    reply = reply_to(auth_request, {"authenticate": {"status": "authenticated"}})

    assert not parse_reply(reply, auth_request).succeeded


# --- unknown -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        {},
        {"data": "not a dict"},
        {"data": {"requestIdentifier": REQUEST_ID, "somethingNew": {}}},
        {"data": {"requestIdentifier": REQUEST_ID}, "replyMessage": {"title": "Done"}},
    ],
)
def test_unknown_replies_are_kept_raw(reply: dict[str, Any]) -> None:
    result = parse_reply(reply)

    assert isinstance(result, UnknownReply)
    assert result.raw == reply
    assert result.summary in ("Replied", "Done")


def test_the_request_decides_the_kind_when_the_reply_is_bare(
    quick_request: dict[str, Any],
) -> None:
    reply = {"data": {"requestIdentifier": REQUEST_ID, "selectedIndex": 2}}

    result = parse_reply(reply, quick_request)

    assert isinstance(result, QuickReplyReply)
    assert result.title == "Something else"


def test_parsing_does_not_modify_the_reply(list_request: dict[str, Any]) -> None:
    reply = reply_to(
        list_request,
        {"listPicker": {"sections": [{"items": [{"identifier": "g700"}]}]}},
    )
    before = copy.deepcopy(reply)

    result = parse_reply(reply, list_request)

    assert reply == before
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.summary = "changed"  # type: ignore[misc]
