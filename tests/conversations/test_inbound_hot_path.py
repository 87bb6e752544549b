"""The webhook's hot path: a fixed number of queries, one publish per event, and
no thread waiting on the event loop to publish (issue 12)."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conversations import realtime
from tests.helpers import django_headers, inbound_body, inbound_request

pytestmark = pytest.mark.django_db(transaction=True)

# One statement stores a known customer's text in autocommit: the conversation
# locked and updated and the message inserted (the unique Apple id is the
# dedupe; the business's id is remembered per process, its Apple id checked in
# the same join); then insights' one statement (the customer's wait starts).
# Whether the business has webhook endpoints is remembered per process too.
# Was 12, then 7 with a locking read, a separate update and the endpoint check
# on every message, then 5 in a transaction (BEGIN and COMMIT were two of them).
KNOWN_CUSTOMER_QUERIES = 2


def post(client: Client, business, text: str, customer: str = "urn:mbid:AQAAY-hot"):
    body = inbound_body(business_id=business.apple_id, customer_id=customer, body=text)
    data, headers = inbound_request(body)
    return client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )


@pytest.fixture
def sends(monkeypatch) -> list[tuple[str, dict]]:
    """Every group_send the channel layer is asked for."""
    layer = get_channel_layer()
    seen: list[tuple[str, dict]] = []
    original = layer.group_send

    async def recording(group: str, message: dict) -> None:
        seen.append((group, message))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", recording)
    return seen


def test_a_known_customers_message_costs_a_fixed_number_of_queries(
    client: Client, business
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's (SQLite takes the ORM's)")
    assert post(client, business, "first").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert post(client, business, "second").status_code == 200
    assert len(queries) == KNOWN_CUSTOMER_QUERIES, [q["sql"] for q in queries]


def test_one_publish_per_message(client: Client, business, sends) -> None:
    assert post(client, business, "first").status_code == 200
    assert post(client, business, "second").status_code == 200
    types = [m["payload"]["type"] for _, m in sends]
    assert types == ["message.created", "message.created"]
    assert {group for group, _ in sends} == {f"business.{business.id}"}


def test_pushes_never_go_through_async_to_sync(
    client: Client, business, sends, monkeypatch
) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("a thread waited on the event loop to publish")

    monkeypatch.setattr(realtime, "async_to_sync", forbidden)
    assert post(client, business, "hello").status_code == 200
    assert [m["payload"]["type"] for _, m in sends] == ["message.created"]


def test_a_redelivery_touches_nothing_and_publishes_nothing(
    client: Client, business, sends
) -> None:
    from conversations.models import Conversation, Message

    body = inbound_body(business_id=business.apple_id, body="once")
    data, headers = inbound_request(body)
    kwargs = {"content_type": "application/json", "headers": django_headers(headers)}
    assert client.post("/message", data=data, **kwargs).status_code == 200
    stamp = Conversation.objects.get().last_message_at
    sends.clear()
    assert client.post("/message", data=data, **kwargs).status_code == 200
    assert Message.objects.filter(apple_id=body["id"]).count() == 1
    assert Conversation.objects.get().last_message_at == stamp
    assert sends == []


def test_a_rolled_back_handling_publishes_nothing(client: Client, sends) -> None:
    # An unknown business: the handling raises inside its transaction.
    body = inbound_body(business_id="00000000-0000-4000-8000-000000000000", body="x")
    data, headers = inbound_request(body)
    response = client.post(
        "/message",
        data=data,
        content_type="application/json",
        headers=django_headers(headers),
    )
    assert response.status_code == 404
    assert sends == []


def test_a_remembered_business_id_is_never_trusted_blindly(client: Client) -> None:
    """Another process moves an Apple id to another business (no signal reaches
    this one): the next message still goes to the business that has it now."""
    from conversations.models import Business, Message
    from tests.factories import BusinessFactory

    first = BusinessFactory()
    apple_id = first.apple_id
    assert (
        post(client, first, "to the first", customer="urn:mbid:AQAAY-a").status_code
        == 200
    )
    second = BusinessFactory()
    # .update() sends no signal: what a change made by another process looks like.
    Business.objects.filter(pk=first.pk).update(apple_id="moved-away")
    Business.objects.filter(pk=second.pk).update(apple_id=apple_id)
    second.apple_id = apple_id
    for customer in ("urn:mbid:AQAAY-a", "urn:mbid:AQAAY-b"):
        assert (
            post(client, second, "to the second", customer=customer).status_code == 200
        )
    stored = Message.objects.filter(body="to the second")
    assert {m.conversation.business_id for m in stored} == {second.pk}


def test_a_business_deleted_elsewhere_is_404_not_500(client: Client) -> None:
    from django.db.models.signals import post_delete

    from conversations.models import Business
    from conversations.services import business_lookup
    from tests.factories import BusinessFactory

    gone = BusinessFactory()
    assert post(client, gone, "hello").status_code == 200
    # Deleted by another process: this one hears no signal.
    post_delete.disconnect(sender=Business, dispatch_uid="business-lookup-delete")
    try:
        gone.delete()
    finally:
        business_lookup.connect()
    assert (
        post(client, gone, "anyone there?", customer="urn:mbid:new").status_code == 404
    )


def test_the_one_statement_hands_back_the_row_as_stored(business) -> None:
    """The conversation built from the touch's RETURNING is the row the ORM
    reads back, field by field (the JSON capabilities included); its old state
    says whether the message starts the conversation."""
    from django.db import transaction
    from django.utils import timezone
    from django.utils.datastructures import CaseInsensitiveMapping

    from conversations.apple.payloads import parse_inbound
    from conversations.models import Conversation
    from conversations.services.inbound_touch import conversation_touch

    customer = "urn:mbid:AQAAY-touch"
    assert post(Client(), business, "first", customer=customer).status_code == 200
    body = inbound_body(
        business_id=business.apple_id,
        customer_id=customer,
        body="again",
        locale="fr_FR",
    )
    data, headers = inbound_request(body, capabilities="TIME,LIST,AUTH")
    event = parse_inbound(CaseInsensitiveMapping(headers), data)
    with transaction.atomic():
        touched = conversation_touch(
            business_id=business.id, envelope=event.envelope, now=timezone.now()
        )
    assert touched is not None
    assert (touched.starts, touched.old_status) == (False, "open")
    stored = Conversation.objects.get(pk=touched.conversation.pk)
    for field in Conversation._meta.concrete_fields:
        assert getattr(touched.conversation, field.attname) == getattr(
            stored, field.attname
        ), field.name
    assert stored.capabilities == sorted(event.envelope.capabilities)
    assert len(stored.capabilities) == 3
    assert stored.locale == "fr_FR"


def _text_event(business, customer: str, text: str, **extra):
    from django.utils.datastructures import CaseInsensitiveMapping

    from conversations.apple.payloads import parse_inbound

    body = inbound_body(
        business_id=business.apple_id, customer_id=customer, body=text, **extra
    )
    data, headers = inbound_request(body, capabilities="TIME,LIST,AUTH")
    return parse_inbound(CaseInsensitiveMapping(headers), data)


def test_the_one_statement_text_is_the_row_as_stored(business) -> None:
    """``text_store`` builds the message and the conversation from what the
    statement hands back: both are the rows the ORM reads, field by field."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's (SQLite takes the ORM's)")
    from django.utils import timezone

    from conversations.models import Conversation, Message
    from conversations.services.inbound_text import text_store

    customer = "urn:mbid:AQAAY-text"
    assert post(Client(), business, "first", customer=customer).status_code == 200
    event = _text_event(business, customer, "again é 👍", locale="fr_FR")
    message = Message(
        apple_id=event.envelope.apple_id,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        raw=dict(event.envelope.raw),
        kind=Message.Kind.TEXT,
        body=event.body,
    )
    touched = text_store(
        business_id=business.id,
        envelope=event.envelope,
        message=message,
        now=timezone.now(),
    )
    assert touched is not None
    assert (touched.starts, touched.old_status) == (False, "open")
    stored = Message.objects.get(apple_id=event.envelope.apple_id)
    assert stored.pk == message.pk
    for field in Message._meta.concrete_fields:
        assert getattr(message, field.attname) == getattr(stored, field.attname), (
            field.name
        )
    assert stored.raw == dict(event.envelope.raw)
    conversation = Conversation.objects.get(pk=stored.conversation_id)
    for field in Conversation._meta.concrete_fields:
        assert getattr(touched.conversation, field.attname) == getattr(
            conversation, field.attname
        ), field.name
    assert conversation.locale == "fr_FR"
    assert len(conversation.capabilities) == 3


def test_a_resolved_conversation_takes_the_transactional_way(
    client: Client, business
) -> None:
    """The one statement leaves a resolved conversation alone (a feature decides
    whether the message reopens it); the webhook still stores and reopens."""
    from django.utils import timezone

    from conversations.models import Conversation, Message
    from conversations.services.inbound_text import text_store

    customer = "urn:mbid:AQAAY-resolved"
    assert post(client, business, "first", customer=customer).status_code == 200
    Conversation.objects.update(status=Conversation.Status.RESOLVED)
    stamp = Conversation.objects.get().last_message_at
    event = _text_event(business, customer, "back again")
    message = Message(
        apple_id=event.envelope.apple_id,
        direction=Message.Direction.IN,
        status=Message.Status.RECEIVED,
        kind=Message.Kind.TEXT,
        body=event.body,
    )
    assert (
        text_store(
            business_id=business.id,
            envelope=event.envelope,
            message=message,
            now=timezone.now(),
        )
        is None
    )
    assert not Message.objects.filter(body="back again").exists()
    assert Conversation.objects.get().last_message_at == stamp
    assert post(client, business, "back again", customer=customer).status_code == 200
    assert Conversation.objects.get().status == Conversation.Status.OPEN
    assert Message.objects.filter(body="back again").count() == 1


def test_messages_of_one_customer_sent_at_once_are_each_stored_once(
    business,
) -> None:
    """Eight threads post one customer's numbered texts at the same time: the
    statements queue on the conversation's lock, none is lost, none is doubled,
    and no second conversation appears."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite locks the whole file: one writer at a time")
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from conversations.models import Conversation, Message

    customer = "urn:mbid:AQAAY-burst"
    assert post(Client(), business, "first", customer=customer).status_code == 200

    def send(n: int) -> int:
        try:
            return post(Client(), business, f"burst {n}", customer=customer).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(send, range(40))) == {200}
    stored = list(Message.objects.filter(body__startswith="burst").order_by("id"))
    assert len(stored) == 40
    assert len({m.body for m in stored}) == 40
    assert Conversation.objects.count() == 1
    assert {m.conversation_id for m in stored} == {Conversation.objects.get().pk}


def _plan_nodes(node: dict) -> list[dict]:
    return [node, *(n for child in node.get("Plans", []) for n in _plan_nodes(child))]


def _text_plan(client: Client, business, customer: str) -> list[dict]:
    """The plan, as run, of the statement storing a known customer's text."""
    from django.db import transaction

    statements: list[tuple[str, dict]] = []

    def keep(execute, sql, params, many, context):
        if "inserted AS" in sql:
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert post(client, business, "hi", customer=customer).status_code == 200
    [(sql, params)] = statements
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + sql,
            {**params, "m_apple_id": "the same statement again"},
        )
        [[plan]] = cursor.fetchone()
        transaction.set_rollback(True)
    return _plan_nodes(plan["Plan"])


def _grown_business(business) -> None:
    """The planner last looked at an empty install; the business has grown to
    2,000 customers with a conversation each since."""
    from conversations.models import Conversation, Customer

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversations_customer, conversations_conversation")
    customers = Customer.objects.bulk_create(
        Customer(business=business, apple_id=f"urn:mbid:AQAAY-{n}") for n in range(2000)
    )
    Conversation.objects.bulk_create(
        Conversation(business=business, customer=c) for c in customers
    )


def _analyze() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE conversations_customer, conversations_conversation")


def _assert_reads_only_its_own_rows(nodes: list[dict]) -> None:
    assert [n["Relation Name"] for n in nodes if n["Node Type"] == "Seq Scan"] == []
    wasted = {
        n.get("Index Name", n["Node Type"]): n.get("Rows Removed by Filter", 0)
        + n.get("Rows Removed by Join Filter", 0)
        for n in nodes
    }
    assert sum(wasted.values()) == 0, wasted
    assert max(n["Actual Loops"] for n in nodes) == 1


def test_a_known_customers_text_reads_only_its_own_rows(
    client: Client, business
) -> None:
    """The statement goes by the unique indexes to the one customer and
    conversation. It used to read every customer of the business once for each
    of its conversations whenever the planner's statistics lagged behind the
    business's growth (a fresh install, a busy first hour): 1.5 ms of the
    database's time per message with 200 customers (bench/inbound.py measured
    0.72 of the minimal app before, 0.92 after)."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    _grown_business(business)
    # Stale statistics: whatever the plan, no part of it runs once per row.
    stale = _text_plan(client, business, "urn:mbid:AQAAY-1500")
    assert max(n["Actual Loops"] for n in stale) == 1
    _analyze()
    # Statistics up to date: the unique indexes, nothing read and thrown away.
    _assert_reads_only_its_own_rows(_text_plan(client, business, "urn:mbid:AQAAY-1501"))


def test_typing_and_closes_find_the_conversation_by_its_customer(business) -> None:
    """The ORM's lookup of a customer's conversation (typing, a close, SQLite's
    inbound path) goes the same way as the statement."""
    if connection.vendor != "postgresql":
        pytest.skip("EXPLAIN's plan is PostgreSQL's")
    import json

    from conversations.services.inbound_touch import customer_conversation

    _grown_business(business)

    def plan(customer: str) -> list[dict]:
        envelope = _text_event(business, customer, "typing").envelope
        lookup = customer_conversation(business.id, envelope).only("id")[:1]
        [explained] = json.loads(lookup.explain(format="json", analyze=True))
        return _plan_nodes(explained["Plan"])

    assert max(n["Actual Loops"] for n in plan("urn:mbid:AQAAY-1500")) == 1
    _analyze()
    _assert_reads_only_its_own_rows(plan("urn:mbid:AQAAY-1501"))
