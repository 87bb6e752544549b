"""Apple interactive reply + the request it answers → a typed result (spec §7).

Pure functions, standard library only. Reply shapes are partly undocumented
(quick reply, forms), so these readers are liberal: they look in the places
working integrations have seen answers, resolve titles from the request we
sent, de-duplicate repeated items, and fall back to ``UnknownReply`` rather
than raising. Every result keeps the raw reply and a one-line ``summary``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .builders import Kind, slot_label

# Status strings that mean "it worked" across Apple's and vendors' spellings.
_PAYMENT_SUCCESS = frozenset({"status_success", "success", "succeeded", "approved"})
_AUTH_SUCCESS = frozenset({"authenticated", "success", "succeeded", "ok"})
_STATUS_WORD = re.compile(r"[A-Za-z][A-Za-z_ -]{0,39}")
_AUTH_CANCELLED = frozenset(
    {"failed", "failure", "cancelled", "canceled", "denied", "declined"}
)


@dataclass(frozen=True)
class PickedItem:
    identifier: str
    title: str
    section: str = ""


@dataclass(frozen=True)
class ListPickerReply:
    request_identifier: str
    items: tuple[PickedItem, ...]
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.LIST_PICKER


@dataclass(frozen=True)
class ChosenSlot:
    identifier: str
    start_time: str
    duration: int | None


@dataclass(frozen=True)
class TimePickerReply:
    request_identifier: str
    slot: ChosenSlot | None
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.TIME_PICKER


@dataclass(frozen=True)
class QuickReplyReply:
    request_identifier: str
    identifier: str | None
    index: int | None
    title: str
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.QUICK_REPLY


@dataclass(frozen=True)
class FormAnswerItem:
    identifier: str
    title: str
    value: str


@dataclass(frozen=True)
class FormAnswer:
    page_identifier: str
    title: str
    items: tuple[FormAnswerItem, ...]


@dataclass(frozen=True)
class FormReply:
    request_identifier: str
    answers: tuple[FormAnswer, ...]
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.FORM


@dataclass(frozen=True)
class PaymentReply:
    request_identifier: str
    status: str
    succeeded: bool
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.APPLE_PAY


@dataclass(frozen=True)
class AuthReply:
    request_identifier: str
    status: str
    succeeded: bool
    has_token: bool
    summary: str
    # The reply's state, when it echoes one; the caller compares it with the nonce kept.
    state: str = ""
    # Still encrypted (spec §7.6); kept out of repr so it never lands in a log line.
    token: str = field(default="", repr=False)
    # Why it failed, in words an agent can act on (empty when it succeeded).
    reason: str = ""
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = Kind.AUTHENTICATION


@dataclass(frozen=True)
class UnknownReply:
    request_identifier: str
    summary: str
    raw: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    kind: str = "unknown"


Reply = (
    ListPickerReply
    | TimePickerReply
    | QuickReplyReply
    | FormReply
    | PaymentReply
    | AuthReply
    | UnknownReply
)


# --- helpers -----------------------------------------------------------------------


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _seq(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _str(value: Any) -> str:
    if value is None or isinstance(value, Mapping | list | tuple):
        return ""
    return str(value)


def _data(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    # Some decoded interactiveDataRef payloads arrive still wrapped (spec §8).
    if "interactiveData" in payload and isinstance(payload["interactiveData"], Mapping):
        payload = payload["interactiveData"]
    return _dict(payload.get("data"))


def _unwrap(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    inner = payload.get("interactiveData")
    return inner if isinstance(inner, Mapping) else payload


def _request_identifier(reply: Mapping[str, Any], request: Mapping[str, Any]) -> str:
    for source in (reply, request):
        value = _data(source).get("requestIdentifier") or _unwrap(source).get(
            "requestIdentifier"
        )
        if value:
            return str(value)
    return ""


def _find(value: Any, key: str, depth: int = 4) -> Any:
    """First value under ``key`` in nested mappings, breadth-first, bounded depth."""
    level = [value]
    for _ in range(depth):
        nested: list[Any] = []
        for node in level:
            if isinstance(node, Mapping):
                if key in node:
                    return node[key]
                nested.extend(node.values())
        level = nested
    return None


def reply_kind(reply: Mapping[str, Any], request: Mapping[str, Any] | None) -> str:
    """Which kind of object ``reply`` answers: the request knows best, then the reply."""
    for source in (request or {}, reply):
        source_data = _data(source)
        if "listPicker" in source_data:
            return Kind.LIST_PICKER
        if "event" in source_data:
            return Kind.TIME_PICKER
        if "quick-reply" in source_data or "quickReply" in source_data:
            return Kind.QUICK_REPLY
        if "dynamic" in source_data or "selections" in source_data:
            return Kind.FORM
        if "payment" in source_data:
            return Kind.APPLE_PAY
        if "authenticate" in source_data:
            return Kind.AUTHENTICATION
    return "unknown"


def parse_reply(
    reply: Mapping[str, Any], request: Mapping[str, Any] | None = None
) -> Reply:
    """Read an inbound ``interactiveData`` against the ``interactiveData`` we sent.

    Never raises for odd shapes: what cannot be read becomes ``UnknownReply``.
    """
    reply = _unwrap(_dict(reply))
    request = _unwrap(_dict(request))
    parser = _PARSERS.get(reply_kind(reply, request))
    if parser is not None:
        return parser(reply, request)
    return UnknownReply(
        request_identifier=_request_identifier(reply, request),
        summary=_bubble_title(reply) or "Replied",
        raw=reply,
    )


def _bubble_title(reply: Mapping[str, Any]) -> str:
    return _str(_dict(reply.get("replyMessage")).get("title"))


# --- list picker -----------------------------------------------------------------------


def _list_items(payload: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str]]:
    picker = _dict(_data(payload).get("listPicker"))
    found = []
    for section in _seq(picker.get("sections")):
        section = _dict(section)
        for item in _seq(section.get("items")):
            if isinstance(item, Mapping):
                found.append((item, _str(section.get("title"))))
    return found


def parse_list_picker(
    reply: Mapping[str, Any], request: Mapping[str, Any]
) -> ListPickerReply:
    """The picked items, titled from the request; repeats counted once."""
    known = {
        _str(item.get("identifier")): (item, s) for item, s in _list_items(request)
    }
    picker = _dict(_data(reply).get("listPicker"))
    picked: list[PickedItem] = []
    seen: set[str] = set()
    candidates: list[tuple[str, str, str]] = [
        (_str(item.get("identifier")), _str(item.get("title")), section)
        for item, section in _list_items(reply)
    ]
    # Some clients send only identifiers.
    for identifier in _seq(
        picker.get("selectedIdentifiers") or _data(reply).get("selectedIdentifiers")
    ):
        candidates.append((_str(identifier), "", ""))
    for identifier, title, section in candidates:
        if not identifier or identifier in seen:
            continue
        seen.add(identifier)
        if identifier in known:
            item, known_section = known[identifier]
            title = _str(item.get("title")) or title
            section = known_section or section
        picked.append(PickedItem(identifier=identifier, title=title, section=section))
    titles = ", ".join(item.title or item.identifier for item in picked)
    return ListPickerReply(
        request_identifier=_request_identifier(reply, request),
        items=tuple(picked),
        summary=f"Picked: {titles}" if picked else "Picked nothing",
        raw=reply,
    )


# --- time picker ---------------------------------------------------------------------------


def parse_time_picker(
    reply: Mapping[str, Any], request: Mapping[str, Any]
) -> TimePickerReply:
    """The chosen slot, matched to the request by identifier, then by start time."""
    request_event = _dict(_data(request).get("event"))
    offered = [_dict(s) for s in _seq(request_event.get("timeslots"))]
    event = _dict(_data(reply).get("event"))
    chosen_raw = [_dict(s) for s in _seq(event.get("timeslots")) if s]
    if not chosen_raw and isinstance(_data(reply).get("selectedTimeslot"), Mapping):
        chosen_raw = [_data(reply)["selectedTimeslot"]]
    slot: ChosenSlot | None = None
    if chosen_raw:
        # A reply should hold one slot; if a client sends several, the first wins.
        raw_slot = chosen_raw[0]
        identifier = _str(raw_slot.get("identifier"))
        start = _str(raw_slot.get("startTime"))
        match = next(
            (
                s
                for s in offered
                if identifier and _str(s.get("identifier")) == identifier
            ),
            None,
        ) or next(
            (s for s in offered if start and _str(s.get("startTime")) == start), None
        )
        source = match or raw_slot
        duration = source.get("duration")
        slot = ChosenSlot(
            identifier=_str(source.get("identifier")) or identifier,
            start_time=_str(source.get("startTime")) or start,
            duration=duration
            if isinstance(duration, int) and not isinstance(duration, bool)
            else None,
        )
    offset = request_event.get("timezoneOffset")
    if slot is not None:
        label = slot_label(
            slot.start_time,
            slot.duration,
            offset
            if isinstance(offset, int) and not isinstance(offset, bool)
            else None,
        )
        summary = f"Chose: {label}"
    else:
        summary = "Chose no time"
    return TimePickerReply(
        request_identifier=_request_identifier(reply, request),
        slot=slot,
        summary=summary,
        raw=reply,
    )


# --- quick reply ------------------------------------------------------------------------------


def _quick_reply_block(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    data = _data(payload)
    return _dict(data.get("quick-reply") or data.get("quickReply"))


def parse_quick_reply(
    reply: Mapping[str, Any], request: Mapping[str, Any]
) -> QuickReplyReply:
    """The choice from ``selectedIdentifier``, ``selectedIndex`` (0-based) or a title.

    The reply shape is undocumented (spec §7.3), so each is tried in turn, in the
    reply's quick-reply block, then its ``data``, then the envelope.
    """
    offered = [_dict(i) for i in _seq(_quick_reply_block(request).get("items"))]
    if not offered:
        offered = [_dict(i) for i in _seq(_quick_reply_block(reply).get("items"))]
    places = [_quick_reply_block(reply), _data(reply), reply]

    def first(*keys: str) -> Any:
        for place in places:
            for key in keys:
                if place.get(key) not in (None, ""):
                    return place[key]
        return None

    chosen: Mapping[str, Any] | None = None
    index: int | None = None
    identifier = first("selectedIdentifier", "selectedItemIdentifier")
    if identifier is not None:
        for position, item in enumerate(offered):
            if _str(item.get("identifier")) == _str(identifier):
                chosen, index = item, position
    raw_index = first("selectedIndex")
    if chosen is None and raw_index is not None:
        try:
            position = int(raw_index)
        except (TypeError, ValueError):
            position = -1
        if 0 <= position < len(offered):
            chosen, index = offered[position], position
    if chosen is None:
        title = _str(first("selectedTitle", "title")) or _bubble_title(reply)
        for position, item in enumerate(offered):
            if title and _str(item.get("title")).casefold() == title.casefold():
                chosen, index = item, position
    if chosen is not None:
        title = _str(chosen.get("title"))
        return QuickReplyReply(
            request_identifier=_request_identifier(reply, request),
            identifier=_str(chosen.get("identifier")),
            index=index,
            title=title,
            summary=f"Chose: {title}",
            raw=reply,
        )
    fallback = _bubble_title(reply) or _str(identifier)
    return QuickReplyReply(
        request_identifier=_request_identifier(reply, request),
        identifier=_str(identifier) or None,
        index=None,
        title=fallback,
        summary=f"Chose: {fallback}" if fallback else "Replied to a quick reply",
        raw=reply,
    )


# --- form ----------------------------------------------------------------------------------


def form_answer_value(answer: FormAnswer) -> str:
    """One page's answer as it reads: typed answers (input, date) echo the page
    title as the item title, so show what was typed; picked items read better by
    their title."""
    return ", ".join(
        i.title if i.title and i.title not in (i.value, answer.title) else i.value
        for i in answer.items
    )


def parse_form(reply: Mapping[str, Any], request: Mapping[str, Any]) -> FormReply:
    """``selections[]`` wherever the vendor put it, titled from the request's pages."""
    pages = {
        _str(page.get("pageIdentifier")): page
        for page in (_dict(p) for p in _seq(_find(_data(request), "pages")))
    }
    answers: list[FormAnswer] = []
    seen_pages: set[str] = set()
    for raw_selection in _seq(_find(_data(reply), "selections")):
        selection = _dict(raw_selection)
        page_id = _str(selection.get("pageIdentifier"))
        # A page answered twice (resubmitted form) keeps its first answer.
        if page_id and page_id in seen_pages:
            continue
        seen_pages.add(page_id)
        page = pages.get(page_id, {})
        offered = {
            _str(i.get("identifier")): i
            for i in (_dict(x) for x in _seq(page.get("items")))
        }
        items: list[FormAnswerItem] = []
        seen_items: set[tuple[str, str]] = set()
        for raw_item in _seq(selection.get("items")):
            item = _dict(raw_item)
            identifier = _str(item.get("identifier"))
            known = offered.get(identifier, {})
            title = _str(item.get("title")) or _str(known.get("title"))
            value = _str(item.get("value")) or _str(known.get("value")) or title
            if (identifier, value) in seen_items:
                continue
            seen_items.add((identifier, value))
            items.append(
                FormAnswerItem(identifier=identifier, title=title, value=value)
            )
        answers.append(
            FormAnswer(
                page_identifier=page_id,
                title=_str(selection.get("title")) or _str(page.get("title")),
                items=tuple(items),
            )
        )
    parts = [
        f"{answer.title or answer.page_identifier}: {form_answer_value(answer)}"
        for answer in answers
    ]
    return FormReply(
        request_identifier=_request_identifier(reply, request),
        answers=tuple(answers),
        summary=("Answered: " + "; ".join(parts)) if parts else "Sent the form empty",
        raw=reply,
    )


# --- Apple Pay ----------------------------------------------------------------------------


def parse_payment(reply: Mapping[str, Any], request: Mapping[str, Any]) -> PaymentReply:
    """The payment status, read from the reply's ``payment`` block or ``status``."""
    payment = _dict(_data(reply).get("payment"))
    status = _str(
        payment.get("status")
        or _dict(payment.get("paymentResult")).get("status")
        or _data(reply).get("status")
    )
    succeeded = status.casefold() in _PAYMENT_SUCCESS
    total = _dict(
        _dict(_dict(_data(request).get("payment")).get("paymentRequest")).get("total")
    )
    currency = _str(
        _dict(_dict(_data(request).get("payment")).get("paymentRequest")).get(
            "currencyCode"
        )
    )
    amount = " ".join(x for x in (_str(total.get("amount")), currency) if x)
    if succeeded:
        summary = f"Paid {amount}".strip()
    elif status:
        summary = f"Payment failed ({status})"
    else:
        summary = _bubble_title(reply) or "Payment result unknown"
    return PaymentReply(
        request_identifier=_request_identifier(reply, request),
        status=status,
        succeeded=succeeded,
        summary=summary,
        raw=reply,
    )


# --- authentication ----------------------------------------------------------------------


def auth_failure_reason(status: str, *, has_token: bool) -> str:
    """The device's sign-in status as a sentence, never the raw value alone."""
    folded = status.casefold()
    if folded in _AUTH_SUCCESS and not has_token:
        return "the device sent no sign-in code"
    if folded in _AUTH_CANCELLED:
        return "the customer cancelled or did not finish signing in"
    if not status:
        return "the device did not say how the sign-in ended"
    # A status word is worth quoting; anything else (JSON, a stack) is not.
    if _STATUS_WORD.fullmatch(status):
        return f"the device reported “{status}”"
    return "the device sent a status that could not be read"


def parse_authentication(
    reply: Mapping[str, Any], request: Mapping[str, Any]
) -> AuthReply:
    """Status and whether an (encrypted) token came back; decryption is not done here."""
    block = _dict(_data(reply).get("authenticate"))
    oauth2 = _dict(block.get("oauth2"))
    status = _str(block.get("status") or oauth2.get("status"))
    token = _str(block.get("token") or oauth2.get("token"))
    succeeded = status.casefold() in _AUTH_SUCCESS and bool(token)
    reason = "" if succeeded else auth_failure_reason(status, has_token=bool(token))
    if succeeded:
        summary = "Signed in"
    elif status:
        summary = f"Sign-in failed: {reason}"
    else:
        summary = "Sign-in result unknown"
    request_oauth = _dict(_dict(_data(request).get("authenticate")).get("oauth2"))
    kind = (
        Kind.AUTHENTICATION_LEGACY
        if "responseEncryptionKey" in request_oauth
        else Kind.AUTHENTICATION
    )
    return AuthReply(
        request_identifier=_request_identifier(reply, request),
        status=status,
        succeeded=succeeded,
        has_token=bool(token),
        summary=summary,
        state=_str(oauth2.get("state") or block.get("state")),
        token=token,
        reason=reason,
        raw=reply,
        kind=kind,
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any], Mapping[str, Any]], Reply]] = {
    Kind.LIST_PICKER: parse_list_picker,
    Kind.TIME_PICKER: parse_time_picker,
    Kind.QUICK_REPLY: parse_quick_reply,
    Kind.FORM: parse_form,
    Kind.APPLE_PAY: parse_payment,
    Kind.AUTHENTICATION: parse_authentication,
}
