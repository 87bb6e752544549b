"""Reading the audit log: one business's entries, filtered."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext

from conversations.exceptions import ApplicationError

from .models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def _date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError(
            gettext("%(name)s must be a date (YYYY-MM-DD).") % {"name": name}
        ) from exc


def audit_filter_parse(params: Mapping[str, str]) -> AuditFilter:
    return AuditFilter(
        action=params.get("action", "").strip()[:64],
        actor=params.get("actor", "").strip()[:150],
        start=_date(params.get("start", ""), "From"),
        end=_date(params.get("end", ""), "To"),
    )


def audit_entries(*, business_id: int, filters: AuditFilter) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.filter(business_id=business_id)
    if filters.action:
        entries = entries.filter(action__startswith=filters.action)
    if filters.actor:
        entries = entries.filter(actor_label__iexact=filters.actor)
    if filters.start:
        entries = entries.filter(created_at__date__gte=filters.start)
    if filters.end:
        entries = entries.filter(created_at__date__lte=filters.end)
    return entries


def audit_actions(*, business_id: int) -> list[str]:
    return list(
        AuditEntry.objects.filter(business_id=business_id)
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )


CSV_COLUMNS = [
    "time",
    "actor",
    "via",
    "address",
    "action",
    "target",
    "target_id",
    "changes",
]


def _cell(value: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def audit_csv_rows(entries: Iterable[AuditEntry]) -> Iterable[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.created_at.isoformat(),
                _cell(entry.actor_label),
                entry.via,
                entry.address or "",
                entry.action,
                _cell(entry.target_label),
                entry.target_id,
                _cell(json.dumps(entry.changes, ensure_ascii=False)),
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
