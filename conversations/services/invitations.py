"""Joining a business by invitation: an admin invites, only the invitee's
acceptance through the signed link makes a membership.

Nothing here tells the admin whether a username or an address has an account:
every well-formed invitation is stored and shown the same way.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from ..exceptions import ApplicationError, ConflictError, NotFoundError
from ..models import Business, Invitation, Membership
from ..permissions import business_admin_check
from ..types import User

logger = logging.getLogger(__name__)

SIGNING_SALT = "conversations.invitation"
# Past this many open invitations an admin revokes some first: invitations send
# e-mail to any address, which must not become a way to send a lot of it.
MAX_PENDING_PER_BUSINESS = 50
# The one answer for every link that cannot be used, whatever the reason.
LINK_NOT_VALID = "This invitation link is not valid any more. Ask for a new one."


def _clean_invitee(raw: str) -> str:
    invitee = raw.strip()
    try:
        if not invitee or len(invitee) > 254:
            raise ValidationError(gettext("empty or too long"))
        if "@" in invitee:
            validate_email(invitee)
        else:
            if len(invitee) > 150:
                raise ValidationError(gettext("too long"))
            UnicodeUsernameValidator()(invitee)
    except ValidationError as exc:
        raise ApplicationError(
            gettext("Enter a username or an e-mail address."), code="invalid_invitee"
        ) from exc
    return invitee


def _recipient(invitee: str) -> str:
    """Where the link goes: the address typed, or the account's address if any."""
    if "@" in invitee:
        return invitee
    user = get_user_model().objects.filter(username=invitee).first()
    return (getattr(user, "email", "") or "") if user is not None else ""


def invitation_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=SIGNING_SALT)


def invitation_url(invitation: Invitation, *, base_url: str) -> str:
    path = reverse("console-invitation", kwargs={"token": invitation_token(invitation)})
    return base_url.rstrip("/") + path


def _send(invitation: Invitation, *, recipient: str, url: str) -> None:
    context = {"invitation": invitation, "url": url}
    try:
        send_mail(
            subject=f"Join {invitation.business.name} on the MSP console",
            message=render_to_string("console/email/invitation.txt", context),
            from_email=None,
            recipient_list=[recipient],
        )
    except (smtplib.SMTPException, OSError):
        # The admin still has the link on screen to pass on themselves.
        logger.exception("invitation.mail_failed", extra={"invitation": invitation.pk})


def invitation_create(
    *, business: Business, actor: User, invitee: str, role: str, base_url: str
) -> tuple[Invitation, str]:
    """Invite a username or an address; returns the invitation and its link.

    Inviting the same person again renews the pending invitation (new link,
    new expiry) rather than piling up rows.
    """
    business_admin_check(business=business, actor=actor)
    if role not in Membership.Role.values:
        raise ApplicationError(gettext("Unknown role."), code="invalid_role")
    invitee = _clean_invitee(invitee)
    # The team page lists members by username already: saying so tells nothing new.
    if Membership.objects.filter(business=business, user__username=invitee).exists():
        raise ConflictError(
            gettext("%(invitee)s is already on this team.") % {"invitee": invitee},
            code="already_member",
        )
    expires_at = timezone.now() + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(
                business=business,
                status=Invitation.Status.PENDING,
                invitee__iexact=invitee,
            )
            .first()
        )
        if invitation is None:
            pending = Invitation.objects.filter(
                business=business,
                status=Invitation.Status.PENDING,
                expires_at__gt=timezone.now(),
            ).count()
            if pending >= MAX_PENDING_PER_BUSINESS:
                raise ConflictError(
                    gettext("Too many open invitations: revoke some first."),
                    code="too_many_invitations",
                )
            invitation = Invitation(business=business, invitee=invitee)
        invitation.role = role
        invitation.invited_by = actor
        invitation.key = secrets.token_urlsafe(24)
        invitation.expires_at = expires_at
        invitation.save()
        url = invitation_url(invitation, base_url=base_url)
        recipient = _recipient(invitee)
        if recipient:
            transaction.on_commit(
                lambda: _send(invitation, recipient=recipient, url=url)
            )
    logger.info(
        "invitation.created",
        extra={"invitation": invitation.pk, "business": business.pk, "actor": actor.pk},
    )
    return invitation, url


def invitation_revoke(*, business: Business, actor: User, invitation_id: int) -> None:
    """An admin withdraws a pending invitation; its link stops working at once."""
    business_admin_check(business=business, actor=actor)
    revoked = Invitation.objects.filter(
        pk=invitation_id, business=business, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.REVOKED, decided_at=timezone.now())
    if not revoked:
        raise NotFoundError(gettext("No such pending invitation."))


def invitation_from_token(token: str) -> Invitation:
    """The pending, unexpired invitation a link names, or NotFoundError."""
    max_age = timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
        invitation_id, key = int(payload["i"]), str(payload["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise NotFoundError(LINK_NOT_VALID, code="invitation_invalid") from exc
    invitation = (
        Invitation.objects.select_related("business")
        .filter(pk=invitation_id, status=Invitation.Status.PENDING)
        .first()
    )
    if (
        invitation is None
        or not secrets.compare_digest(invitation.key, key)
        or invitation.expires_at <= timezone.now()
    ):
        raise NotFoundError(LINK_NOT_VALID, code="invitation_invalid")
    return invitation


def invitation_for_user_check(*, invitation: Invitation, user: User) -> None:
    """An invitation by username is for that account only; one by address is
    for whoever received the link at that address."""
    if "@" not in invitation.invitee and user.get_username() != invitation.invitee:
        raise ApplicationError(
            gettext(
                "This invitation is for another account. Sign in as the person invited."
            ),
            code="invitation_other_user",
        )


def invitation_accept(*, token: str, user: User) -> Membership:
    """The invitee joins; the link can be used once."""
    invitation = invitation_from_token(token)
    invitation_for_user_check(invitation=invitation, user=user)
    with transaction.atomic():
        # Two tabs accepting at once: the second finds it no longer pending.
        locked = (
            Invitation.objects.select_for_update()
            .filter(pk=invitation.pk, status=Invitation.Status.PENDING)
            .first()
        )
        if locked is None:
            raise NotFoundError(LINK_NOT_VALID, code="invitation_invalid")
        membership, _ = Membership.objects.get_or_create(
            user=user, business_id=locked.business_id, defaults={"role": locked.role}
        )
        locked.status = Invitation.Status.ACCEPTED
        locked.accepted_by = user
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "accepted_by", "decided_at"])
    logger.info(
        "invitation.accepted",
        extra={
            "invitation": locked.pk,
            "business": locked.business_id,
            "user": user.pk,
        },
    )
    return membership
