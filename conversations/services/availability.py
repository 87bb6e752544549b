"""Agents' availability: chosen in the console, and "away" once the last tab closes."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from .. import events, realtime
from ..exceptions import ApplicationError
from ..models import Availability, Membership
from ..types import User

logger = logging.getLogger(__name__)

AVAILABILITY = "availability"


def _announce(availability: Availability, previous: str, *, push: bool = True) -> None:
    status = availability.status
    if status == previous:
        return
    for business_id in Membership.objects.filter(
        user_id=availability.user_id
    ).values_list("business_id", flat=True):
        events.publish(
            events.AgentAvailabilityChanged(
                business_id=business_id,
                user_id=availability.user_id,
                status=status,
                previous=previous,
            )
        )
    if push:
        # Every tab of the agent shows the same choice.
        realtime.publish_on_commit(
            [realtime.user_group(availability.user_id)],
            AVAILABILITY,
            {"status": status, "chosen": availability.chosen},
        )
    logger.info(
        "agent.availability",
        extra={"user": availability.user_id, "status": status, "previous": previous},
    )


def _locked(user_id: int) -> Availability:
    Availability.objects.get_or_create(user_id=user_id)
    return Availability.objects.select_for_update().get(user_id=user_id)


def availability_get(*, user: User) -> Availability:
    availability, _ = Availability.objects.get_or_create(user=user)
    return availability


def availability_set(*, user: User, status: str) -> Availability:
    """The agent chooses online, away or offline."""
    if status not in Availability.Status.values:
        raise ApplicationError(
            gettext("Choose online, away or offline."), code="invalid_availability"
        )
    with transaction.atomic():
        availability = _locked(user.pk)
        previous = availability.status
        availability.chosen = status
        availability.save(update_fields=["chosen", "updated_at"])
        _announce(availability, previous)
    return availability


def availability_socket_opened(*, user_id: int) -> None:
    with transaction.atomic():
        availability = _locked(user_id)
        previous = availability.status
        Availability.objects.filter(pk=availability.pk).update(sockets=F("sockets") + 1)
        availability.refresh_from_db()
        # Tabs opening and closing change nothing an open tab shows.
        _announce(availability, previous, push=False)


def availability_socket_closed(*, user_id: int) -> None:
    with transaction.atomic():
        availability = _locked(user_id)
        previous = availability.status
        if availability.sockets > 0:
            Availability.objects.filter(pk=availability.pk).update(
                sockets=F("sockets") - 1
            )
            availability.refresh_from_db()
        _announce(availability, previous, push=False)
