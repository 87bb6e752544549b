"""A customer's data: everything stored about them as one ZIP, or erased.

Both run in Celery (``tasks.py``) and move ``DataRequest.progress`` as they go.
The ZIP holds JSON for the rows and the attachment files as stored (byte-exact);
the erasure deletes the rows, then every stored file (originals, thumbnails,
earlier exports), and leaves a tombstone in the audit log that names no one.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from conversations.exceptions import NotFoundError
from conversations.models import Attachment, Business, Customer, Message
from conversations.types import User
from insights.models import CsatSurvey
from integrations.models import CustomerIdentity, Payment, WebhookDelivery

from . import audit
from .models import DataRequest

Progress = Callable[[int], None]


def customer_get(*, business: Business, customer_id: int) -> Customer:
    customer = Customer.objects.filter(business=business, pk=customer_id).first()
    if customer is None:
        raise NotFoundError(gettext("No such customer in this business."))
    return customer


def data_request_start(
    *, business: Business, customer: Customer, kind: str, actor: User
) -> DataRequest:
    """Queue an export or erasure; the task starts once this commits."""
    from .tasks import customer_erase, customer_export

    with transaction.atomic():
        request = DataRequest.objects.create(
            business=business,
            customer_id=customer.pk,
            customer_label=customer.display_name or f"Customer {customer.pk}",
            kind=kind,
            requested_by=actor,
        )
        audit.record(
            action=f"customer.{kind}_requested",
            business_id=business.pk,
            target_type="conversations.customer",
            target_id=customer.pk,
            target_label=f"Customer {customer.pk}",
            changes={"request": [None, request.pk]},
            actor_id=actor.pk,
            actor_label=actor.get_username(),
        )
        task = customer_export if kind == DataRequest.Kind.EXPORT else customer_erase
        transaction.on_commit(lambda: task.delay(request.pk))
    return request


def _json(value: Any) -> bytes:
    return json.dumps(
        value, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False
    ).encode()


def _messages(customer: Customer) -> list[Message]:
    return list(
        Message.objects.filter(conversation__customer=customer)
        .select_related("sender")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def customer_export_build(customer: Customer, progress: Progress) -> bytes:
    """The ZIP: customer.json, conversation.json, messages.json, csat.json,
    payments.json and attachments/<message>/<position>-<name>."""
    buffer = io.BytesIO()
    conversation = getattr(customer, "conversation", None)
    identity = CustomerIdentity.objects.filter(customer=customer).first()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "customer.json",
            _json(
                {
                    "id": customer.pk,
                    "opaque_id": customer.apple_id,
                    "display_name": customer.display_name,
                    "first_seen": customer.created_at,
                    "signed_in_as": {
                        "external_user_id": identity.external_user_id,
                        "display_name": identity.display_name,
                        "provider": identity.provider_title,
                        "linked_at": identity.linked_at,
                    }
                    if identity
                    else None,
                }
            ),
        )
        if conversation is not None:
            archive.writestr(
                "conversation.json",
                _json(
                    {
                        "id": conversation.pk,
                        "status": conversation.status,
                        "locale": conversation.locale,
                        "intent": conversation.intent,
                        "group": conversation.group,
                        "device": conversation.device_agent,
                        "started": conversation.created_at,
                        "closed": conversation.closed_at,
                    }
                ),
            )
        messages = _messages(customer)
        progress(10)
        rows = []
        files: list[tuple[str, Attachment]] = []
        for message in messages:
            attachments = []
            for attachment in message.attachments.all():
                path = ""
                if attachment.file:
                    safe = (
                        attachment.name.replace("/", "_").replace("\\", "_") or "file"
                    )
                    path = f"attachments/{message.pk}/{attachment.position}-{safe}"
                    files.append((path, attachment))
                attachments.append(
                    {
                        "name": attachment.name,
                        "mime_type": attachment.mime_type,
                        "size": attachment.size,
                        "sha256": attachment.sha256,
                        "file": path,
                    }
                )
            rows.append(
                {
                    "id": message.pk,
                    "at": message.created_at,
                    "direction": message.direction,
                    "kind": message.kind,
                    "body": message.body,
                    "status": message.status,
                    "agent": message.sender.get_username() if message.sender else None,
                    "attachments": attachments,
                }
            )
        archive.writestr("messages.json", _json(rows))
        for done, (path, attachment) in enumerate(files, start=1):
            with (
                attachment.file.open("rb") as source,
                archive.open(path, "w") as target,
            ):
                while chunk := source.read(1 << 16):
                    target.write(chunk)
            progress(10 + 80 * done // len(files))
        surveys = CsatSurvey.objects.filter(conversation__customer=customer)
        archive.writestr(
            "csat.json",
            _json(
                [
                    {
                        "resolution": s.resolution,
                        "status": s.status,
                        "score": s.score,
                        "comment": s.comment,
                        "answered_at": s.answered_at,
                    }
                    for s in surveys
                ]
            ),
        )
        payments = Payment.objects.filter(conversation__customer=customer)
        archive.writestr(
            "payments.json",
            _json(
                list(payments.values("amount", "currency", "status", "payment_method"))
            ),
        )
    return buffer.getvalue()


def customer_export_run(request: DataRequest, progress: Progress) -> None:
    customer = Customer.objects.filter(
        business_id=request.business_id, pk=request.customer_id
    ).first()
    if customer is None:
        raise NotFoundError(gettext("The customer no longer exists."))
    data = customer_export_build(customer, progress)
    request.file.save(f"customer-{customer.pk}.zip", ContentFile(data), save=False)
    audit.record(
        action="customer.exported",
        business_id=request.business_id,
        target_type="conversations.customer",
        target_id=customer.pk,
        target_label=f"Customer {customer.pk}",
        changes={"bytes": [None, len(data)]},
        actor_id=request.requested_by_id,
        actor_label=request.requested_by.get_username() if request.requested_by else "",
    )


def customer_erase_run(request: DataRequest, progress: Progress) -> dict[str, int]:
    """Delete the customer's rows, then their files; returns what went."""
    customer = Customer.objects.filter(
        business_id=request.business_id, pk=request.customer_id
    ).first()
    if customer is None:
        raise NotFoundError(gettext("The customer no longer exists."))
    names: list[str] = []
    for file, thumbnail in Attachment.objects.filter(
        message__conversation__customer=customer
    ).values_list("file", "thumbnail"):
        names += [n for n in (file, thumbnail) if n]
    earlier = DataRequest.objects.filter(
        business_id=request.business_id, customer_id=customer.pk
    ).exclude(file="")
    names += [r.file.name for r in earlier]
    message_ids = list(
        Message.objects.filter(conversation__customer=customer).values_list(
            "pk", flat=True
        )
    )
    conversation_id = getattr(getattr(customer, "conversation", None), "pk", None)
    progress(20)
    with transaction.atomic():
        _deliveries, _ = WebhookDelivery.objects.filter(
            dedupe_key__in=[f"message:{i}" for i in message_ids]
        ).delete()
        if conversation_id is not None:
            WebhookDelivery.objects.filter(
                dedupe_key__startswith=f"closed:{conversation_id}:"
            ).delete()
        earlier.update(file="")
        _, rows = customer.delete()
        # The tombstone: that it happened, by whom, how much; not whose data.
        audit.record(
            action="customer.erased",
            business_id=request.business_id,
            target_type="conversations.customer",
            target_id=request.customer_id,
            target_label=f"Customer {request.customer_id}",
            changes={
                "messages": [len(message_ids), 0],
                "files": [len(names), 0],
            },
            actor_id=request.requested_by_id,
            actor_label=request.requested_by.get_username()
            if request.requested_by
            else "",
        )
    progress(60)
    for done, name in enumerate(names, start=1):
        default_storage.delete(name)
        progress(60 + 40 * done // len(names))
    return {
        "messages": len(message_ids),
        "files": len(names),
        "rows": sum(rows.values()),
    }


def data_request_finish(request: DataRequest) -> None:
    request.status = DataRequest.Status.DONE
    request.progress = 100
    request.finished_at = timezone.now()
    request.save(update_fields=["status", "progress", "finished_at", "file"])
