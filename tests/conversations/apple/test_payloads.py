"""Inbound parsing, tapback detection and outbound bodies (spec §3, §4, §6)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from conversations.apple.exceptions import MalformedPayload, UnsupportedPayload
from conversations.apple.payloads import (
    MAX_BODY_BYTES,
    AttachmentDescriptor,
    InboundClose,
    InboundInteractive,
    InboundText,
    InboundTyping,
    Tapback,
    outbound_envelope,
    outbound_text_body,
    outbound_typing_body,
    parse_inbound,
    parse_tapback,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apple"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def fixture(name: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(name))


def headers_for(body: dict[str, Any], **extra: str) -> dict[str, str]:
    """Headers as Apple's gateway sends them alongside ``body``."""
    headers = {
        "id": body["id"],
        "source-id": body["sourceId"],
        "destination-id": body["destinationId"],
        "capability-list": "QUICK, LIST,time ,AUTH2",
        "device-agent": "iPhone OS",
        "Content-Type": "application/json",
    }
    headers.update(extra)
    return headers


def parse_fixture(name: str, **extra: str) -> Any:
    return parse_inbound(headers_for(fixture(name), **extra), fixture_bytes(name))


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# --- each fixture --------------------------------------------------------------


def test_text_fixture_parses_to_text_with_envelope() -> None:
    message = parse_fixture("text")
    body = fixture("text")

    assert isinstance(message, InboundText)
    assert message.body == body["body"]
    assert message.attachments == ()
    assert message.tapback is None
    envelope = message.envelope
    assert envelope.apple_id == body["id"]
    assert envelope.source_id == body["sourceId"]
    assert envelope.destination_id == body["destinationId"]
    assert envelope.capabilities == frozenset({"QUICK", "LIST", "TIME", "AUTH2"})
    assert envelope.device_agent == "iPhone OS"
    assert envelope.locale == "en_US"
    assert envelope.intent == "order-status"
    assert envelope.group == "support"
    assert envelope.raw == body


def test_text_emoji_fixture_survives_byte_exact() -> None:
    message = parse_fixture("text_emoji")
    original = fixture("text_emoji")["body"]

    assert isinstance(message, InboundText)
    assert message.body.encode("utf-8") == original.encode("utf-8")
    for sample in (
        "👨‍👩‍👧‍👦",
        "👋🏽",
        "مرحبا",
        "שָׁלוֹם",
        "你好",
        "e\u0301",
        "🏳️‍🌈",
        "\u200f",
    ):
        assert sample in message.body
    assert message.tapback is None


@pytest.mark.parametrize(
    ("name", "started"), [("typing_start", True), ("typing_end", False)]
)
def test_typing_fixtures(name: str, started: bool) -> None:
    message = parse_fixture(name)

    assert isinstance(message, InboundTyping)
    assert message.started is started


def test_close_fixture() -> None:
    message = parse_fixture("close")

    assert isinstance(message, InboundClose)
    assert message.envelope.apple_id == fixture("close")["id"]


def test_interactive_list_reply_carries_data_and_request_identifier() -> None:
    message = parse_fixture("interactive_list_reply")

    assert isinstance(message, InboundInteractive)
    assert message.request_identifier == "8a2f3c9e-1b7d-4e6a-9c0f-5d4b3a2e1f07"
    assert message.data is not None
    assert (
        message.data["data"]["listPicker"]["sections"][0]["items"][0]["identifier"]
        == "2"
    )
    assert message.data_ref is None


def test_interactive_data_ref_has_no_request_identifier_yet() -> None:
    message = parse_fixture("interactive_data_ref")

    assert isinstance(message, InboundInteractive)
    assert message.data is None
    assert message.data_ref is not None
    assert message.data_ref["owner"] == "p48-content.icloud.com"
    assert message.request_identifier == ""


def test_interactive_without_data_or_ref_is_malformed() -> None:
    body = fixture("interactive_list_reply")
    del body["interactiveData"]

    with pytest.raises(MalformedPayload, match="interactiveData"):
        parse_inbound(headers_for(body), encode(body))


def test_attachment_old_spelling() -> None:
    message = parse_fixture("attachment")

    assert isinstance(message, InboundText)
    assert message.body == "\ufffc"
    assert message.attachments == (
        AttachmentDescriptor(
            name="receipt.pdf",
            mime_type="application/pdf",
            size=48213,
            url="https://p48-content.icloud.com/MA1B2C3D4E5F.C01USN00",
            owner="p48-content.icloud.com",
            # Upper-case hex on the wire is normalised to lower case.
            key="00" + "0f1e2d3c4b5a6978" * 4,
            signature_base64="gT8/Pz8/Pz8/Pz8/Pz8/Pz8/Pz8/",
        ),
    )


def test_attachment_current_spelling_converts_hex_signature() -> None:
    message = parse_fixture("attachment_new")

    assert isinstance(message, InboundText)
    (attachment,) = message.attachments
    assert attachment.name == "IMG_0042.HEIC"
    assert attachment.mime_type == "image/heic"
    assert attachment.size == 1048593
    assert attachment.url == "https://p48-content.icloud.com/MF9E8D7C6B5A4.C01USN00"
    assert attachment.owner == "p48-content.icloud.com"
    assert attachment.key == "00" + "5a" * 32
    assert base64.b64decode(attachment.signature_base64) == bytes.fromhex(
        "81" + "3f" * 20
    )


def test_attachment_size_may_be_a_number() -> None:
    body = fixture("attachment_new")
    body["attachments"][0]["size"] = 77

    message = parse_inbound(headers_for(body), encode(body))

    assert message.attachments[0].size == 77


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", None),
        ("owner", None),
        ("key", None),
        ("signature", None),
        ("size", None),
        ("size", "12kB"),
        ("size", -1),
        ("key", "00abc"),
        ("signature", "not hex or base64!"),
    ],
)
def test_attachment_missing_or_bad_field_is_malformed(field: str, value: Any) -> None:
    body = fixture("attachment_new")
    if value is None:
        del body["attachments"][0][field]
    else:
        body["attachments"][0][field] = value

    with pytest.raises(MalformedPayload, match=r"attachments\[0\]"):
        parse_inbound(headers_for(body), encode(body))


# --- transport: gzip, headers, ids -------------------------------------------------


def test_gzip_announced_by_header() -> None:
    raw = gzip.compress(fixture_bytes("text_emoji"))

    message = parse_inbound(
        headers_for(fixture("text_emoji"), **{"Content-Encoding": "gzip"}), raw
    )

    assert message.body == fixture("text_emoji")["body"]


def test_gzip_detected_by_magic_bytes_without_header() -> None:
    raw = gzip.compress(fixture_bytes("text"))
    assert raw[:2] == b"\x1f\x8b"

    message = parse_inbound(headers_for(fixture("text")), raw)

    assert isinstance(message, InboundText)
    assert message.body == fixture("text")["body"]


def test_bad_gzip_is_malformed() -> None:
    raw = gzip.compress(fixture_bytes("text"))
    truncated = raw[: len(raw) // 2]
    garbage = b"\x1f\x8b" + b"not really gzip at all"

    for body in (truncated, garbage):
        with pytest.raises(MalformedPayload, match="gzip"):
            parse_inbound({"Content-Encoding": "gzip"}, body)


def test_gzip_header_over_non_gzip_garbage_is_malformed() -> None:
    with pytest.raises(MalformedPayload, match="gzip"):
        parse_inbound({"Content-Encoding": "gzip"}, b"\x00\x01\x02")


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}", compresslevel=9)
    assert len(bomb) < 100_000

    with pytest.raises(MalformedPayload, match="more than"):
        parse_inbound({"Content-Encoding": "gzip"}, bomb)


def test_headers_are_case_insensitive_in_a_plain_dict() -> None:
    body = fixture("text")
    headers = {key.upper(): value for key, value in headers_for(body).items()}

    message = parse_inbound(headers, encode(body))

    assert message.envelope.device_agent == "iPhone OS"
    assert "LIST" in message.envelope.capabilities


def test_older_capabilities_header_is_read() -> None:
    body = fixture("text")
    headers = headers_for(body)
    del headers["capability-list"]
    headers["Capabilities"] = "list,quick,FORM"

    message = parse_inbound(headers, encode(body))

    assert message.envelope.capabilities == frozenset({"LIST", "QUICK", "FORM"})


def test_no_capability_header_means_no_capabilities() -> None:
    body = fixture("text")
    headers = headers_for(body)
    del headers["capability-list"]

    assert parse_inbound(headers, encode(body)).envelope.capabilities == frozenset()


def test_ids_may_come_from_headers_only() -> None:
    body = fixture("text")
    headers = headers_for(body)
    for key in ("id", "sourceId", "destinationId"):
        del body[key]

    message = parse_inbound(headers, encode(body))

    assert message.envelope.apple_id == headers["id"]
    assert message.envelope.source_id == headers["source-id"]
    assert message.envelope.destination_id == headers["destination-id"]


def test_ids_may_come_from_body_only() -> None:
    body = fixture("text")

    message = parse_inbound({}, encode(body))

    assert message.envelope.apple_id == body["id"]
    assert message.envelope.capabilities == frozenset()
    assert message.envelope.device_agent == ""


@pytest.mark.parametrize(
    ("header", "body_key"),
    [("id", "id"), ("source-id", "sourceId"), ("destination-id", "destinationId")],
)
def test_mismatched_header_and_body_id_is_malformed(header: str, body_key: str) -> None:
    body = fixture("text")
    headers = headers_for(body, **{header: "something-else"})

    with pytest.raises(MalformedPayload, match=body_key):
        parse_inbound(headers, encode(body))


@pytest.mark.parametrize("missing", ["id", "sourceId", "destinationId"])
def test_missing_id_is_malformed(missing: str) -> None:
    body = fixture("text")
    del body[missing]

    with pytest.raises(MalformedPayload, match=missing):
        parse_inbound({}, encode(body))


# --- bad bodies --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"hello", "not valid JSON"),
        (b'{"id": "x",', "not valid JSON"),
        (b"[1, 2, 3]", "JSON object, not array"),
        (b"42", "JSON object, not number"),
        (b'"text"', "JSON object, not string"),
        (b'{"type": "text", "body": "caf\xe9"}', "UTF-8"),
        (b'{"type": "text", "v": NaN}', "NaN"),
        (b'{"type": "text", "body": "a\\u0000b"}', "NUL"),
        (b'{"type": "text", "body\\u0000": "ab"}', "NUL"),
        (b'{"type": "text", "body": "\\ud83d"}', "surrogate"),
    ],
)
def test_unreadable_body_is_malformed(raw: bytes, reason: str) -> None:
    with pytest.raises(MalformedPayload, match=reason):
        parse_inbound({"id": "m1", "source-id": "s", "destination-id": "d"}, raw)


def test_nul_inside_nested_value_is_malformed() -> None:
    body = fixture("interactive_list_reply")
    body["interactiveData"]["data"]["listPicker"]["sections"][0]["title"] = "Bi\x00kes"

    with pytest.raises(MalformedPayload, match="NUL"):
        parse_inbound(headers_for(body), gzip.compress(encode(body)))


def test_deep_nesting_is_malformed_not_a_crash() -> None:
    raw = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    with pytest.raises(MalformedPayload):
        parse_inbound({}, raw)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("body", 12),
        ("body", ["a"]),
        ("locale", 1),
        ("intent", {"a": 1}),
        ("group", True),
        ("attachments", {"name": "x"}),
        ("attachments", ["x"]),
        ("type", 3),
    ],
)
def test_wrong_json_type_for_a_field_is_malformed(field: str, value: Any) -> None:
    body = fixture("text")
    body[field] = value

    with pytest.raises(
        MalformedPayload, match=field if field != "attachments" else "attach"
    ):
        parse_inbound(headers_for(body), encode(body))


def test_text_without_body_is_malformed() -> None:
    body = fixture("text")
    del body["body"]

    with pytest.raises(MalformedPayload, match="body"):
        parse_inbound(headers_for(body), encode(body))


def test_missing_type_is_malformed() -> None:
    body = fixture("text")
    del body["type"]

    with pytest.raises(MalformedPayload, match="type"):
        parse_inbound(headers_for(body), encode(body))


@pytest.mark.parametrize("kind", ["richLink", "foo", "TEXT"])
def test_unknown_type_is_unsupported(kind: str) -> None:
    body = fixture("text")
    body["type"] = kind

    with pytest.raises(UnsupportedPayload, match=kind):
        parse_inbound(headers_for(body), encode(body))


def test_missing_version_is_accepted() -> None:
    body = fixture("text")
    del body["v"]

    assert isinstance(parse_inbound(headers_for(body), encode(body)), InboundText)


def test_null_optional_fields_read_as_empty() -> None:
    body = fixture("text")
    body.update(locale=None, intent=None, group=None)

    envelope = parse_inbound(headers_for(body), encode(body)).envelope

    assert (envelope.locale, envelope.intent, envelope.group) == ("", "", "")


def test_django_style_headers_object_is_accepted() -> None:
    from django.http.request import HttpHeaders

    body = fixture("text")
    meta = {
        "HTTP_ID": body["id"],
        "HTTP_SOURCE_ID": body["sourceId"],
        "HTTP_DESTINATION_ID": body["destinationId"],
        "HTTP_CAPABILITY_LIST": "LIST",
        "HTTP_CONTENT_ENCODING": "gzip",
    }

    message = parse_inbound(HttpHeaders(meta), gzip.compress(encode(body)))

    assert message.envelope.capabilities == frozenset({"LIST"})


# --- tapbacks ----------------------------------------------------------------------

VERBS = [
    ("Liked", "liked"),
    ("Loved", "loved"),
    ("Disliked", "disliked"),
    ("Laughed at", "laughed"),
    ("Emphasized", "emphasized"),
    ("Questioned", "questioned"),
]


@pytest.mark.parametrize(("verb", "reaction"), VERBS)
@pytest.mark.parametrize(("open_", "close"), [("“", "”"), ('"', '"')])
def test_tapback_verbs_with_curly_and_straight_quotes(
    verb: str, reaction: str, open_: str, close: str
) -> None:
    text = f"{verb} {open_}Your order ships tomorrow.{close}"

    assert parse_tapback(text) == Tapback(
        reaction=reaction,
        emoji="",
        quoted="Your order ships tomorrow.",
        target_description="",
    )


def test_tapback_single_curly_quotes_and_british_spelling() -> None:
    tapback = parse_tapback("Emphasised \u2018See you at 5\u2019")

    assert tapback is not None
    assert tapback.reaction == "emphasized"
    assert tapback.quoted == "See you at 5"


@pytest.mark.parametrize(
    "emoji",
    ["🎉", "👍🏾", "👨‍👩‍👧‍👦", "🧑🏿‍💻", "🏳️‍🌈", "🇯🇵", "❤️", "1️⃣"],
)
def test_reacted_with_any_emoji(emoji: str) -> None:
    tapback = parse_tapback(f"Reacted {emoji} to “Thanks!”")

    assert tapback == Tapback(
        reaction="reacted", emoji=emoji, quoted="Thanks!", target_description=""
    )


def test_reacted_requires_an_emoji() -> None:
    assert parse_tapback("Reacted strongly to “the price”") is None


@pytest.mark.parametrize(
    ("text", "reaction", "target"),
    [
        ("Liked an image", "liked", "an image"),
        ("Loved a photo", "loved", "a photo"),
        ("Laughed at a video", "laughed", "a video"),
        ("Emphasized an attachment", "emphasized", "an attachment"),
        ("Questioned a sticker", "questioned", "a sticker"),
        ("Liked 1 Business Message", "liked", "1 Business Message"),
        ("Loved 2 Business Messages", "loved", "2 Business Messages"),
        ("Reacted 🔥 to an image", "reacted", "an image"),
    ],
)
def test_tapback_on_something_other_than_text(
    text: str, reaction: str, target: str
) -> None:
    tapback = parse_tapback(text)

    assert tapback is not None
    assert tapback.reaction == reaction
    assert tapback.target_description == target
    assert tapback.quoted == ""


def test_quoted_text_may_contain_quotes_and_newlines() -> None:
    quoted = 'The "Pro" model\nis “back” in stock,\nsays Bob\'s team'

    tapback = parse_tapback(f"Loved “{quoted}”")

    assert tapback is not None
    assert tapback.quoted == quoted


def test_quoted_text_may_contain_emoji_and_rtl() -> None:
    quoted = "שלום 👋🏽 مرحبا"

    tapback = parse_tapback(f'Liked "{quoted}"')

    assert tapback is not None
    assert tapback.quoted == quoted


@pytest.mark.parametrize(
    ("text", "reaction", "emoji"),
    [
        ("Removed a like from “Sure”", "liked", ""),
        ("Removed a heart from “Sure”", "loved", ""),
        ("Removed a laugh from “Sure”", "laughed", ""),
        ("Removed an exclamation from “Sure”", "emphasized", ""),
        ("Removed a question mark from “Sure”", "questioned", ""),
        ("Removed a 🎉 from “Sure”", "reacted", "🎉"),
    ],
)
def test_removed_reactions(text: str, reaction: str, emoji: str) -> None:
    tapback = parse_tapback(text)

    assert tapback == Tapback(
        reaction=reaction,
        emoji=emoji,
        quoted="Sure",
        target_description="",
        removed=True,
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Liked it!",
        "Loved “x” and more text",
        'Liked the product "X" a lot',
        "I liked “this”",
        "Liked",
        "Liked a lot",
        "Loved an image of yours",
        "Hello there",
        "Reacted to “x”",
        "Removed a lot from “x”",
        "liked “lower case verb”",
    ],
)
def test_ordinary_text_is_not_a_tapback(text: str) -> None:
    assert parse_tapback(text) is None


def test_inbound_text_carries_its_tapback() -> None:
    body = fixture("text")
    body["body"] = "Laughed at “Is it waterproof? 😅”"

    message = parse_inbound(headers_for(body), encode(body))

    assert message.tapback == Tapback(
        reaction="laughed",
        emoji="",
        quoted="Is it waterproof? 😅",
        target_description="",
    )
    assert message.body == body["body"]  # the raw text is kept


# --- outbound ----------------------------------------------------------------------


def test_outbound_envelope() -> None:
    body = outbound_envelope(
        message_id="m1",
        source_id="biz",
        destination_id="urn:mbid:c",
        type_="richLink",
        x=1,
    )

    assert body == {
        "id": "m1",
        "sourceId": "biz",
        "destinationId": "urn:mbid:c",
        "v": 1,
        "type": "richLink",
        "x": 1,
    }


def test_outbound_text_body_keeps_text_exact() -> None:
    text = fixture("text_emoji")["body"]

    body = outbound_text_body(
        message_id="m1", source_id="biz", destination_id="urn:mbid:c", text=text
    )

    assert body == {
        "id": "m1",
        "sourceId": "biz",
        "destinationId": "urn:mbid:c",
        "v": 1,
        "type": "text",
        "body": text,
    }


def test_outbound_text_body_serialises_attachments_in_current_spelling() -> None:
    attachment = AttachmentDescriptor(
        name="menu.pdf",
        mime_type="application/pdf",
        size=1234,
        url="https://mmcs.example/abc",
        owner="owner-1",
        key="00" + "ab" * 32,
        signature_base64="gT8/Pz8=",
    )

    body = outbound_text_body(
        message_id="m1",
        source_id="biz",
        destination_id="urn:mbid:c",
        text="Our menu: \ufffc",
        attachments=[attachment],
    )

    assert body["body"] == "Our menu: \ufffc"
    assert body["attachments"] == [
        {
            "name": "menu.pdf",
            "mimeType": "application/pdf",
            "size": "1234",
            "signature-base64": "gT8/Pz8=",
            "url": "https://mmcs.example/abc",
            "owner": "owner-1",
            "key": "00" + "ab" * 32,
        }
    ]


def test_outbound_text_body_adds_missing_attachment_placeholders() -> None:
    attachment = parse_fixture("attachment_new").attachments[0]

    body = outbound_text_body(
        message_id="m1",
        source_id="biz",
        destination_id="urn:mbid:c",
        text="Two photos",
        attachments=[attachment, attachment],
    )

    assert body["body"] == "Two photos\ufffc\ufffc"


def test_outbound_attachment_round_trips_through_the_parser() -> None:
    original = parse_fixture("attachment").attachments[0]
    body = outbound_text_body(
        message_id="m1",
        source_id="biz",
        destination_id="urn:mbid:c",
        text="\ufffc",
        attachments=[original],
    )

    parsed = parse_inbound({}, encode(body))

    assert parsed.attachments == (original,)


@pytest.mark.parametrize(
    ("started", "kind"), [(True, "typing_start"), (False, "typing_end")]
)
def test_outbound_typing_body(started: bool, kind: str) -> None:
    body = outbound_typing_body(
        message_id="m1", source_id="biz", destination_id="urn:mbid:c", started=started
    )

    assert body == {
        "id": "m1",
        "sourceId": "biz",
        "destinationId": "urn:mbid:c",
        "v": 1,
        "type": kind,
    }
