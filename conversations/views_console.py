"""The agent console: server-rendered pages. Live updates and every write from the
browser go through the WebSocket and the REST API; these views only read, except
the team page and the invitation page, whose plain HTML forms call services
directly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited
from rest_framework.authtoken.models import Token as LegacyToken

from . import presentation, selectors, services
from .context_processors import navigation_of
from .exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from .models import ApiToken, Business, Conversation, Membership
from .permissions import admin_required
from .serializers import ConversationOutputSerializer, MessageOutputSerializer
from .services import api_tokens
from .types import AuthenticatedHttpRequest

# What each capability (spec §5) lets the device show, in agents' words.
CAPABILITY_LABELS = {
    "LIST": _("list pickers"),
    "TIME": _("time pickers"),
    "QUICK": _("quick replies"),
    "AUTH": _("sign-in (old)"),
    "AUTH2": _("sign-in"),
    "FORM": _("forms"),
}


# The default view: open conversations that are the agent's or nobody's.
DEFAULT_STATUS = Conversation.Status.OPEN
DEFAULT_ASSIGNEE = "me_or_none"


def _filters(
    request: HttpRequest, memberships: list[Membership]
) -> selectors.InboxFilters:
    """Read inbox filters from the query string, dropping values that make no sense.

    An absent or unknown status or assignee means the default view; "any" and
    "all" ask for every status and every assignee.
    """
    status = request.GET.get("status", "")
    if status == "any":
        status = ""
    elif status not in Conversation.Status.values:
        status = DEFAULT_STATUS
    assignee = request.GET.get("assignee", "")
    if assignee == "all":
        assignee = ""
    elif assignee not in ("me", "none") and not assignee.isdigit():
        assignee = DEFAULT_ASSIGNEE
    business_raw = request.GET.get("business", "")
    business = int(business_raw) if business_raw.isdigit() else None
    if business is not None and business not in {m.business_id for m in memberships}:
        business = None
    intent = request.GET.get("intent", "")[:255]
    label_raw = request.GET.get("label", "")
    label = int(label_raw) if label_raw.isdigit() else None
    scope = request.GET.get("scope", "")
    if scope not in dict(presentation.inbox_scopes()):
        scope = ""
    sort = request.GET.get("sort", "")
    if sort not in _sorts():
        sort = ""
    return selectors.InboxFilters(
        sort=sort,
        status=status,
        assignee=assignee,
        business=business,
        intent=intent,
        label=label,
        scope=scope,
    )


def _sorts() -> dict[str, Any]:
    sorts = {"": _("Latest first"), "waiting": _("Waiting longest")}
    if presentation.inbox_priority() is not None:
        sorts["priority"] = _("Priority")
    return sorts


def _query_pairs(filters: selectors.InboxFilters) -> dict[str, str]:
    return {
        "status": "any" if not filters.status else filters.status,
        "assignee": "all" if not filters.assignee else filters.assignee,
        "business": "" if filters.business is None else str(filters.business),
        "intent": filters.intent,
        "label": "" if filters.label is None else str(filters.label),
        "scope": filters.scope,
        "sort": filters.sort,
    }


def _filter_query(
    filters: selectors.InboxFilters, page: int | None = None, **changes: str
) -> str:
    """The query string that keeps the agent's filters across pages and links
    (defaults left out, so the plain address is the default view)."""
    pairs = {**_query_pairs(filters), **changes}
    if pairs["status"] == DEFAULT_STATUS:
        pairs["status"] = ""
    if pairs["assignee"] == DEFAULT_ASSIGNEE:
        pairs["assignee"] = ""
    if page and page > 1:
        pairs["page"] = str(page)
    return urlencode({k: v for k, v in pairs.items() if v})


TAB_LABELS = {
    "me_or_none": _("Mine and unassigned"),
    "me": _("Mine"),
    "none": _("Unassigned"),
    "": _("All"),
}


def _inbox_context(
    request: AuthenticatedHttpRequest, *, current: int | None = None
) -> dict[str, Any]:
    memberships = selectors.membership_list_for_user(user=request.user)
    filters = _filters(request, memberships)
    conversations = selectors.conversation_inbox_for_user(
        user=request.user, filters=filters
    )
    counts = selectors.conversation_inbox_counts_for_user(
        user=request.user, filters=filters
    )
    paginator = Paginator(conversations, selectors.INBOX_PAGE_SIZE)
    # The tabs' query counted the rows already: the paginator need not again.
    paginator.count = counts["current"]
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    selectors.inbox_previews_attach(rows=rows, viewer=request.user)
    page.object_list = rows
    query = _filter_query(filters, page.number)
    tabs = [
        {
            "value": tab,
            "label": TAB_LABELS[tab],
            "count": counts[tab],
            "query": _filter_query(filters, assignee=tab or "all"),
            "current": tab == filters.assignee,
        }
        for tab in selectors.INBOX_TABS
    ]
    return {
        **navigation_of(memberships),
        "filters": filters,
        "page": page,
        "query": query,
        "base_query": _filter_query(filters),
        "current": current,
        "tabs": tabs,
        "sorts": _sorts(),
        "priority_labels": presentation.inbox_priority_labels(),
        "statuses": Conversation.Status.choices,
        "teammates": selectors.teammate_list_for_user(user=request.user),
        "intents": selectors.conversation_intent_choices_for_user(user=request.user),
        "labels": selectors.label_list_for_user(user=request.user),
        "scopes": presentation.inbox_scopes(),
    }


@login_required
@require_GET
def inbox(request: AuthenticatedHttpRequest) -> HttpResponse:
    current = request.GET.get("current", "")
    context = _inbox_context(
        request, current=int(current) if current.isdigit() else None
    )
    if request.GET.get("partial") == "list":
        # The browser swaps this in when the socket says something changed.
        return render(request, "console/_inbox_list.html", context)
    return render(request, "console/inbox.html", context)


@login_required
@require_GET
def conversation_detail(
    request: AuthenticatedHttpRequest, conversation_id: int
) -> HttpResponse:
    try:
        conversation = selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
    except NotFoundError as exc:
        raise Http404("No such conversation.") from exc
    before = request.GET.get("before", "")
    messages, has_earlier = selectors.message_page_for_conversation(
        conversation=conversation, before=int(before) if before.isdigit() else None
    )
    if messages and not before:
        services.conversation_mark_read(
            conversation=conversation, user=request.user, message_id=messages[-1].id
        )
    context = _inbox_context(request, current=conversation.id)
    agents = [
        {"id": user.pk, "username": user.get_username()}
        for user in selectors.agent_list_for_business(
            business_id=conversation.business_id
        )
    ]
    context.update(
        conversation=conversation,
        has_earlier=has_earlier,
        earliest_id=messages[0].id if messages else None,
        capabilities=[
            CAPABILITY_LABELS.get(code.upper(), code)
            for code in sorted(conversation.capabilities or [])
        ],
        console_state={
            # The features' extras (the route) are rendered by their template
            # tags on this page; pushes carry them as data.
            "conversation": ConversationOutputSerializer(conversation).data,
            # One serializer for the page: building fields per message costs ~1 ms each.
            "messages": MessageOutputSerializer(messages, many=True).data,
            "agents": agents,
            # The business's labels, for the "+ Label" menu (read for the inbox already).
            "labels": [
                {"id": label.id, "name": label.name, "color": label.color}
                for label in context["labels"]
                if label.business_id == conversation.business_id
            ],
            "me": {"id": request.user.pk, "username": request.user.get_username()},
            "paged": bool(before),
        },
    )
    return render(request, "console/conversation.html", context)


@login_required
@require_GET
def message_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    label_raw = request.GET.get("label", "")
    label = int(label_raw) if label_raw.isdigit() else None
    page = None
    if query or label is not None:
        page = Paginator(
            selectors.message_search_for_user(
                user=request.user, query=query, label=label
            ),
            50,
        ).get_page(request.GET.get("page"))
    return render(
        request,
        "console/search.html",
        {
            "q": query,
            "label": label,
            "labels": selectors.label_list_for_user(user=request.user),
            "page": page,
        },
    )


def _attributes_from_text(text: str) -> dict[str, str]:
    """``name: value`` lines, as agents type them in the profile form."""
    attributes: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise ApplicationError(
                gettext("Custom attributes, line %(number)s: write it as name: value.")
                % {"number": number},
                code="invalid_attributes",
            )
        attributes[name.strip()] = value.strip()
    return attributes


def _attributes_as_text(attributes: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in attributes.items())


@login_required
@require_http_methods(["GET", "POST"])
def customer_profile(
    request: AuthenticatedHttpRequest, customer_id: int
) -> HttpResponse:
    try:
        customer = selectors.customer_get_for_user(
            user=request.user, customer_id=customer_id
        )
    except NotFoundError as exc:
        raise Http404("No such customer.") from exc
    error = ""
    form = {
        "display_name": customer.display_name,
        "email": customer.email,
        "phone": customer.phone,
        "notes": customer.notes,
        "attributes": _attributes_as_text(customer.attributes or {}),
    }
    if request.method == "POST":
        form = {field: request.POST.get(field, "") for field in form}
        try:
            changes: dict[str, Any] = {
                field: value for field, value in form.items() if field != "attributes"
            }
            changes["attributes"] = _attributes_from_text(form["attributes"])
            services.customer_update(
                customer=customer, actor=request.user, changes=changes
            )
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("console-customer", customer_id=customer.id)
    conversations = selectors.customer_conversation_list(customer=customer)
    return render(
        request,
        "console/customer.html",
        {
            "customer": customer,
            "form": form,
            "error": error,
            "conversations": conversations,
            # The sign-in identity hangs off the conversation (integrations' tag).
            "own_conversation": next(
                (c for c in conversations if c.customer_id == customer.id), None
            ),
        },
        status=400 if error else 200,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def business_labels(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    """Admins define the business's labels: plain forms, like the team page."""
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("delete", "").isdigit():
                label = selectors.label_get_for_user(
                    user=request.user, label_id=int(request.POST["delete"])
                )
                if label.business_id != business.id:
                    raise NotFoundError(gettext("No such label."))
                services.label_delete(label=label, actor=request.user)
            else:
                services.label_create(
                    business=business,
                    actor=request.user,
                    name=request.POST.get("name", ""),
                    color=request.POST.get("color", ""),
                )
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("console-labels", business_id=business.id)
    return render(
        request,
        "console/labels.html",
        {
            "business": business,
            "labels": selectors.label_list_for_user(
                user=request.user, business_id=business.id
            ),
            "error": error,
        },
        status=400 if error else 200,
    )


def _team_page(
    request: AuthenticatedHttpRequest,
    business: Business,
    *,
    error: str = "",
    invite_url: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "console/agents.html",
        {
            "business": business,
            "team": selectors.membership_list_for_business(business_id=business.id),
            "invitations": selectors.invitation_list_pending(business_id=business.id),
            "roles": Membership.Role.choices,
            "error": error,
            "invite_url": invite_url,
            "now": timezone.now(),
        },
        status=status,
    )


@admin_required
@require_http_methods(["GET", "POST"])
def business_agents(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    if request.method != "POST":
        return _team_page(request, business)
    if is_ratelimited(
        request,
        group="invitations",
        key="user",
        rate=settings.INVITATION_RATE_LIMIT,
        method="POST",
        increment=True,
    ):
        return _team_page(
            request,
            business,
            error="Too many invitations for now. Wait a while and try again.",
            status=429,
        )
    try:
        _, invite_url = services.invitation_create(
            business=business,
            actor=request.user,
            invitee=request.POST.get("invitee", ""),
            role=request.POST.get("role", Membership.Role.AGENT),
            # Our public address when set: an e-mailed link never takes its
            # host from a request header.
            base_url=settings.PUBLIC_BASE_URL or request.build_absolute_uri("/"),
        )
    except ApplicationError as exc:
        return _team_page(request, business, error=exc.message, status=400)
    # The link is shown once, here: the e-mail may not reach someone whose
    # account has no address, so the admin can pass it on themselves.
    return _team_page(request, business, invite_url=invite_url, status=201)


@admin_required
@require_POST
def business_invitation_revoke(
    request: AuthenticatedHttpRequest, business: Business, invitation_id: int
) -> HttpResponse:
    try:
        services.invitation_revoke(
            business=business, actor=request.user, invitation_id=invitation_id
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    return redirect("console-agents", business_id=business.id)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitee's page: who invites them where, and one button to join.

    Signed-out visitors are sent to sign in or sign up and come back here.
    """
    context: dict[str, Any] = {"token": token, "error": ""}
    try:
        invitation = services.invitation_from_token(token)
    except NotFoundError as exc:
        context["error"] = exc.message
        return render(request, "console/invitation.html", context, status=404)
    context["invitation"] = invitation
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            services.invitation_accept(token=token, user=request.user)
        except NotFoundError as exc:
            context["error"] = exc.message
            return render(request, "console/invitation.html", context, status=404)
        except ApplicationError as exc:
            context["error"] = exc.message
            return render(request, "console/invitation.html", context, status=403)
        return redirect(f"{reverse('console-inbox')}?business={invitation.business_id}")
    return render(request, "console/invitation.html", context)


@admin_required
@require_POST
def business_agent_remove(
    request: AuthenticatedHttpRequest, business: Business, membership_id: int
) -> HttpResponse:
    try:
        services.membership_remove(
            business=business, actor=request.user, membership_id=membership_id
        )
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=409, content_type="text/plain")
    return redirect("console-agents", business_id=business.id)


# API tokens ----------------------------------------------------------------------

TOKEN_LIFETIMES = {"30": 30, "90": 90, "365": 365, "never": None}


def _tokens_page(
    request: AuthenticatedHttpRequest,
    *,
    error: str = "",
    issued: api_tokens.IssuedToken | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "console/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=request.user),
            "legacy": LegacyToken.objects.filter(user=request.user).first(),
            "issued": issued,
            "error": error,
            "now": timezone.now(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    lifetime = request.POST.get("lifetime", "90")
    if lifetime not in TOKEN_LIFETIMES:
        return _tokens_page(
            request, error="Choose how long the token lasts.", status=400
        )
    days = TOKEN_LIFETIMES[lifetime]
    try:
        issued = api_tokens.api_token_create(
            user=request.user,
            name=request.POST.get("name", ""),
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
    except ApplicationError as exc:
        return _tokens_page(request, error=exc.message, status=400)
    # The key is on this response only: it is stored as a hash.
    return _tokens_page(request, issued=issued, status=201)


@login_required
@require_POST
def api_token_revoke(request: AuthenticatedHttpRequest, token_id: int) -> HttpResponse:
    try:
        api_tokens.api_token_revoke(user=request.user, token_id=token_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    return redirect("console-tokens")


@login_required
@require_POST
def legacy_token_revoke(request: AuthenticatedHttpRequest) -> HttpResponse:
    try:
        api_tokens.legacy_token_revoke(user=request.user)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    return redirect("console-tokens")
