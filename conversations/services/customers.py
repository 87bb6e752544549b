"""Customer profiles: what agents learn about the person behind an opaque id."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext

from .. import realtime
from ..exceptions import ApplicationError
from ..models import Conversation, Customer
from ..types import User

logger = logging.getLogger(__name__)

PROFILE_FIELDS = ("display_name", "email", "phone", "notes", "attributes")
MAX_NAME = 200
MAX_PHONE = 32
MAX_NOTES = 10_000
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_KEY = 64
MAX_ATTRIBUTE_VALUE = 500
PHONE_CHARS = set("0123456789+-() .")


def _clean_attributes(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ApplicationError(
            gettext("Custom attributes are an object of names to texts."),
            code="invalid_attributes",
        )
    if len(value) > MAX_ATTRIBUTES:
        raise ApplicationError(
            gettext("At most %(max_attributes)s custom attributes.")
            % {"max_attributes": MAX_ATTRIBUTES},
            code="invalid_attributes",
        )
    cleaned: dict[str, str] = {}
    for key, item in value.items():
        name = str(key).strip()
        if not name or len(name) > MAX_ATTRIBUTE_KEY:
            raise ApplicationError(
                gettext("An attribute name has 1 to %(max_attribute_key)s characters.")
                % {"max_attribute_key": MAX_ATTRIBUTE_KEY},
                code="invalid_attributes",
            )
        if not isinstance(item, str | int | float | bool) or item is None:
            raise ApplicationError(
                gettext("Attribute %(name)r must be a text or a number.")
                % {"name": name},
                code="invalid_attributes",
            )
        text = str(item).strip()
        if len(text) > MAX_ATTRIBUTE_VALUE:
            raise ApplicationError(
                gettext(
                    "Attribute %(name)r has more than %(max_attribute_value)s characters."
                )
                % {"name": name, "max_attribute_value": MAX_ATTRIBUTE_VALUE},
                code="invalid_attributes",
            )
        cleaned[name] = text
    return cleaned


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(
            gettext("Unknown profile fields: %(values)s.")
            % {"values": ", ".join(sorted(unknown))},
            code="invalid_field",
        )
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "attributes":
            cleaned[field] = _clean_attributes(value)
            continue
        if not isinstance(value, str):
            raise ApplicationError(
                gettext("%(field)s must be a text.") % {"field": field},
                code="invalid_field",
            )
        value = value.strip()
        if field == "display_name" and len(value) > MAX_NAME:
            raise ApplicationError(
                gettext("A name has at most %(max_name)s characters.")
                % {"max_name": MAX_NAME},
                code="invalid_name",
            )
        if field == "email" and value:
            try:
                validate_email(value)
            except ValidationError as exc:
                raise ApplicationError(
                    gettext("Enter a valid e-mail address."), code="invalid_email"
                ) from exc
        if field == "phone" and value:
            digits = sum(ch.isdigit() for ch in value)
            if len(value) > MAX_PHONE or set(value) - PHONE_CHARS or digits < 3:
                raise ApplicationError(
                    gettext("Enter a phone number: digits, spaces, +, -, ( and )."),
                    code="invalid_phone",
                )
        if field == "notes" and len(value) > MAX_NOTES:
            raise ApplicationError(
                gettext("Notes have at most %(max_notes)s characters.")
                % {"max_notes": MAX_NOTES},
                code="invalid_notes",
            )
        cleaned[field] = value
    return cleaned


def customer_update(
    *, customer: Customer, actor: User, changes: dict[str, Any]
) -> Customer:
    """Change the profile; every open console sees the new name at once."""
    cleaned = _clean(changes)
    if not cleaned:
        return customer
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        for field, value in cleaned.items():
            setattr(customer, field, value)
        customer.save(update_fields=[*cleaned, "updated_at"])
        # The inbox rows and headers carry the name: tell them.
        for conversation in Conversation.objects.filter(
            customer=customer
        ).select_related("business", "customer", "assigned_agent"):
            realtime.push_conversation_changed(conversation)
    logger.info(
        "customer.updated",
        extra={"customer": customer.id, "actor": actor.pk, "fields": sorted(cleaned)},
    )
    return customer
