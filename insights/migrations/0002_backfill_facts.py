"""Back-fill what the stored messages allow: when each conversation opened, its
first agent reply and the time customers waited. The status history was never
stored, so earlier resolutions stay unknown (no resolved_at)."""

from django.db import migrations

BATCH = 500


def backfill(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    Message = apps.get_model("conversations", "Message")
    Facts = apps.get_model("insights", "ConversationFacts")
    Event = apps.get_model("insights", "ConversationEvent")
    Route = apps.get_model("businesses", "ConversationRoute")
    done = set(Facts.objects.values_list("conversation_id", flat=True))
    ids = list(
        Conversation.objects.exclude(pk__in=done).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        conversations = {c.pk: c for c in Conversation.objects.filter(pk__in=chunk)}
        priorities = dict(
            Route.objects.filter(conversation_id__in=chunk).values_list(
                "conversation_id", "priority"
            )
        )
        rows = {}
        for cid, direction, sender_id, auto_reply, created_at, kind in (
            Message.objects.filter(conversation_id__in=chunk)
            .exclude(direction="int")
            .order_by("conversation_id", "created_at", "id")
            .values_list(
                "conversation_id", "direction", "sender_id", "auto_reply", "created_at", "kind"
            )
        ):
            rows.setdefault(cid, []).append((direction, sender_id, auto_reply, created_at, kind))
        facts, events = [], []
        for cid, messages in rows.items():
            conversation = conversations[cid]
            inbound = [m for m in messages if m[0] == "in" and m[4] != "system"]
            if not inbound:
                continue
            opened_at = inbound[0][3]
            fact = Facts(
                conversation_id=cid,
                business_id=conversation.business_id,
                opened_at=opened_at,
                priority=priorities.get(cid, "normal"),
            )
            waiting_since = None
            for direction, sender_id, auto_reply, created_at, kind in messages:
                if direction == "in" and kind != "system":
                    waiting_since = waiting_since or created_at
                elif direction == "out" and sender_id and not auto_reply:
                    if fact.first_response_at is None:
                        fact.first_response_at = created_at
                        fact.first_responder_id = sender_id
                        fact.first_response_seconds = (created_at - opened_at).total_seconds()
                    if waiting_since is not None:
                        fact.waiting_seconds += (created_at - waiting_since).total_seconds()
                        waiting_since = None
            if conversation.status in ("open", "pending"):
                fact.waiting_since = waiting_since
            facts.append(fact)
            events.append(
                Event(
                    business_id=conversation.business_id,
                    conversation_id=cid,
                    kind="opened",
                    new_status="open",
                    occurred_at=opened_at,
                )
            )
            if fact.first_response_at is not None:
                events.append(
                    Event(
                        business_id=conversation.business_id,
                        conversation_id=cid,
                        kind="first_response",
                        actor_id=fact.first_responder_id,
                        occurred_at=fact.first_response_at,
                    )
                )
        Facts.objects.bulk_create(facts)
        Event.objects.bulk_create(events)


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_initial"),
        ("conversations", "0004_message_body_trigram_index"),
        ("businesses", "0002_link_requests"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
