"""Server-rendered pages: channel settings, entry points, routing, the landing page.

Plain HTML forms posting to these views, which call services; every page works
without JavaScript (the copy button is the only script).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from conversations import selectors as conversation_selectors
from conversations.exceptions import (
    ApplicationError,
    NotFoundError,
)
from conversations.models import Business, Membership
from conversations.permissions import admin_required
from conversations.types import AuthenticatedHttpRequest

from . import entry_links, link_grants, routing, selectors, services
from .forms import (
    ChannelSettingsForm,
    EntryPointForm,
    IMessageAppForm,
    RoutingRuleForm,
    SignUpForm,
    TeamForm,
    business_has_attachment_types,
    timezone_names,
)
from .models import (
    BusinessHours,
    EntryPoint,
    IMessageApp,
    LinkRequest,
    RoutingRule,
    Team,
)

View = Callable[..., HttpResponse]


def _layout(
    request: AuthenticatedHttpRequest, business: Business | None, section: str
) -> dict[str, Any]:
    return {"business": business, "section": section}


def _apply_errors(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _pk(value: str | None) -> int | None:
    """A primary key from a query or form value; anything else is None."""
    try:
        return int(value or "")
    except ValueError:
        return None


def _editing(model: Any, business: Business, pk: int | None) -> Any:
    """The row being edited, or None to add one; another business's is a 404."""
    if pk is None:
        return None
    row = model.objects.filter(business=business, pk=pk).first()
    if row is None:
        raise Http404("No such row.")
    return row


def _form_saved(
    request: HttpRequest,
    form: Any,
    save: Callable[[dict[str, Any]], object],
    *,
    done: str,
) -> bool:
    """Run a valid form through its service. True once saved, with ``done`` shown
    after the redirect; False leaves the service's errors on the form's fields."""
    if not form.is_valid():
        return False
    try:
        save(dict(form.cleaned_data))
    except ValidationError as exc:
        _apply_errors(form, exc)
        return False
    messages.success(request, done)
    return True


# Channel settings ---------------------------------------------------------------


def _settings_initial(business: Business) -> dict[str, Any]:
    channel_settings = selectors.channel_settings_get(business=business)
    initial: dict[str, Any] = {
        "display_name": channel_settings.display_name or business.name,
        "timezone": channel_settings.timezone,
        "away_message": channel_settings.away_message,
    }
    if business_has_attachment_types():
        initial["allowed_attachment_types"] = ", ".join(
            business.allowed_attachment_types or []
        )
    for row in BusinessHours.objects.filter(business=business):
        initial[f"open_{row.weekday}"] = True
        initial[f"opens_{row.weekday}"] = row.opens.strftime("%H:%M")
        initial[f"closes_{row.weekday}"] = row.closes.strftime("%H:%M")
    return initial


@admin_required
@require_http_methods(["GET", "POST"])
def channel_settings(
    request: AuthenticatedHttpRequest, business: Business
) -> HttpResponse:
    form = ChannelSettingsForm(initial=_settings_initial(business))
    app_form = IMessageAppForm()
    status = 200
    action = request.POST.get("action", "")
    if action == "general":
        form = ChannelSettingsForm(request.POST, request.FILES)

        def save_general(data: dict[str, Any]) -> None:
            upload = data.get("logo")
            extra = None
            if "allowed_attachment_types" in data:
                extra = {"allowed_attachment_types": data["allowed_attachment_types"]}
            services.channel_settings_update(
                business=business,
                display_name=data["display_name"],
                timezone_name=data["timezone"],
                away_message=data["away_message"],
                hours=form.hours(),
                logo=upload.read() if upload else None,
                remove_logo=data["remove_logo"],
                extra_business_fields=extra,
            )

        if _form_saved(request, form, save_general, done=_("Channel settings saved.")):
            return redirect("businesses:settings", business_id=business.pk)
        status = 400
    elif action == "add_app":
        app_form = IMessageAppForm(request.POST)
        if _form_saved(
            request,
            app_form,
            lambda data: services.imessage_app_create(business=business, **data),
            done=_("iMessage app added."),
        ):
            return redirect(
                reverse("businesses:settings", args=[business.pk]) + "#imessage-apps"
            )
        status = 400
    elif action == "delete_app":
        try:
            services.imessage_app_delete(
                business=business, app_pk=int(request.POST.get("app", "0") or 0)
            )
        except (NotFoundError, ValueError) as exc:
            raise Http404("No such iMessage app.") from exc
        messages.success(request, _("iMessage app removed."))
        return redirect(
            reverse("businesses:settings", args=[business.pk]) + "#imessage-apps"
        )
    elif request.method == "POST":
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    context = _layout(request, business, "settings")
    context.update(
        form=form,
        app_form=app_form,
        channel_settings=selectors.channel_settings_get(business=business),
        apps=IMessageApp.objects.filter(business=business),
        timezone_names=timezone_names(),
    )
    return render(request, "businesses/settings.html", context, status=status)


@admin_required
@require_GET
def onboarding(request: AuthenticatedHttpRequest, business: Business) -> HttpResponse:
    steps = selectors.onboarding_checklist(business=business)
    context = _layout(request, business, "onboarding")
    context.update(
        steps=steps,
        done_count=sum(step.done for step in steps),
        all_done=all(step.done for step in steps),
    )
    return render(request, "businesses/onboarding.html", context)


@require_GET
def logo(request: HttpRequest, business_id: int) -> HttpResponse:
    """The logo is public on purpose (Apple and customers see it); it is always a
    PNG re-encoded on upload, so serving it cannot serve anything else."""
    channel_settings = selectors.channel_settings_get(business=Business(pk=business_id))
    if not channel_settings.logo_png:
        raise Http404("No logo.")
    response = HttpResponse(bytes(channel_settings.logo_png), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "public, max-age=300"
    return response


# Entry points ---------------------------------------------------------------------


def _entry_rows(business: Business) -> list[dict[str, Any]]:
    rows = []
    for entry in selectors.entry_point_list(business=business):
        sandbox_query = urlencode(
            {
                "business": business.apple_id,
                "biz-intent-id": entry.intent,
                "biz-group-id": entry.group,
                "body": entry.body,
            }
        )
        rows.append(
            {
                "entry": entry,
                "link": entry_links.entry_link(
                    business_apple_id=business.apple_id,
                    intent=entry.intent,
                    group=entry.group,
                    body=entry.body,
                ),
                "sandbox_url": f"/sandbox/?{sandbox_query}"
                if settings.SANDBOX_ENABLED
                else "",
            }
        )
    return rows


@admin_required
@require_http_methods(["GET", "POST"])
def entry_points(request: AuthenticatedHttpRequest, business: Business) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    editing: EntryPoint | None = _editing(
        EntryPoint, business, _pk(source.get("pk") or source.get("edit"))
    )
    initial = (
        {f: getattr(editing, f) for f in ("name", "intent", "group", "body")}
        if editing
        else None
    )
    form = EntryPointForm(initial=initial)
    status = 200
    if request.method == "POST":
        form = EntryPointForm(request.POST)

        def save(data: dict[str, Any]) -> object:
            if editing is None:
                return services.entry_point_create(business=business, **data)
            return services.entry_point_update(
                business=business, entry_point_pk=editing.pk, **data
            )

        if _form_saved(request, form, save, done=_("Entry link saved.")):
            return redirect("businesses:entry-points", business_id=business.pk)
        status = 400
    context = _layout(request, business, "entry-points")
    context.update(form=form, rows=_entry_rows(business), editing=editing)
    return render(request, "businesses/entry_points.html", context, status=status)


@admin_required
@require_POST
def entry_point_delete(
    request: AuthenticatedHttpRequest, business: Business, entry_point_id: int
) -> HttpResponse:
    try:
        services.entry_point_delete(business=business, entry_point_pk=entry_point_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Entry link deleted."))
    return redirect("businesses:entry-points", business_id=business.pk)


@admin_required
@require_GET
def entry_point_qr(
    request: HttpRequest, business: Business, entry_point_id: int, fmt: str
) -> HttpResponse:
    entry = EntryPoint.objects.filter(business=business, pk=entry_point_id).first()
    if entry is None:
        raise Http404("No such entry link.")
    link = entry_links.entry_link(
        business_apple_id=business.apple_id,
        intent=entry.intent,
        group=entry.group,
        body=entry.body,
    )
    if fmt not in ("png", "svg"):
        raise Http404("QR codes come as PNG or SVG.")
    if fmt == "png":
        response = HttpResponse(entry_links.qr_png(link), content_type="image/png")
    else:
        response = HttpResponse(entry_links.qr_svg(link), content_type="image/svg+xml")
    slug = "".join(ch if ch.isalnum() else "-" for ch in entry.name)[:60] or "entry"
    response["Content-Disposition"] = f'attachment; filename="qr-{slug}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Routing -----------------------------------------------------------------------------


def _people(business: Business) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.get_username())
        for m in Membership.objects.filter(business=business)
        .select_related("user")
        .order_by("user__username")
    ]


def _team_initial(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "members": [u.pk for u in team.members.all()],
        "assign_cap": team.assign_cap,
        "reassign_when_offline": team.reassign_when_offline,
    }


RULE_FIELDS = (
    "name",
    "position",
    "match_intent",
    "match_group",
    "match_locale",
    "match_hours",
    "priority",
    "reply_text",
    "bot",
    "auto_assign",
)


def _rule_initial(rule: RoutingRule) -> dict[str, Any]:
    initial = {field: getattr(rule, field) for field in RULE_FIELDS}
    initial.update(
        team=rule.team_id,
        assignee=rule.assignee_id,
        reply_rich_object=rule.reply_rich_object_id,
    )
    return initial


def _routing_forms(
    business: Business,
    data: Any = None,
    which: str = "",
    *,
    team: Team | None = None,
    rule: RoutingRule | None = None,
) -> tuple[TeamForm, RoutingRuleForm]:
    from richobjects.models import RichObject

    people = _people(business)
    teams = list(Team.objects.filter(business=business))
    rich_objects = [
        (pk, name)
        for pk, name in RichObject.objects.filter(business=business)
        .exclude(state=RichObject.State.ARCHIVED)
        .values_list("pk", "name")
    ]
    team_form = TeamForm(
        data if which == "team" else None,
        initial=_team_initial(team) if team else None,
        people=people,
        prefix="team",
    )
    rule_form = RoutingRuleForm(
        data if which == "rule" else None,
        initial=_rule_initial(rule) if rule else None,
        teams=teams,
        people=people,
        rich_objects=rich_objects,
        prefix="rule",
    )
    return team_form, rule_form


@admin_required
@require_http_methods(["GET", "POST"])
def routing_page(request: AuthenticatedHttpRequest, business: Business) -> HttpResponse:
    action = request.POST.get("action", "")
    source = request.POST if request.method == "POST" else request.GET
    edit_team: Team | None = _editing(
        Team, business, _pk(source.get("team_pk") or source.get("edit_team"))
    )
    edit_rule: RoutingRule | None = _editing(
        RoutingRule, business, _pk(source.get("rule_pk") or source.get("edit_rule"))
    )
    team_form, rule_form = _routing_forms(
        business, request.POST, action, team=edit_team, rule=edit_rule
    )
    status = 200
    if action == "team":
        if _form_saved(
            request,
            team_form,
            lambda data: services.team_save(
                business=business,
                name=data["name"],
                member_ids=data["members"],
                team=edit_team,
                assign_cap=data["assign_cap"] or 10,
                reassign_when_offline=data["reassign_when_offline"],
            ),
            done=_("Team saved."),
        ):
            return redirect(
                reverse("businesses:routing", args=[business.pk]) + "#teams"
            )
        status = 400
    elif action == "rule":

        def save_rule(data: dict[str, Any]) -> None:
            team_id = data.pop("team")
            assignee_id = data.pop("assignee")
            team = (
                Team.objects.filter(business=business, pk=team_id).first()
                if team_id
                else None
            )
            assignee = (
                conversation_selectors.user_get(user_id=assignee_id)
                if assignee_id
                else None
            )
            services.routing_rule_create(
                business=business,
                team=team,
                assignee=assignee,
                reply_rich_object_id=data.pop("reply_rich_object"),
                rule=edit_rule,
                **data,
            )

        if _form_saved(request, rule_form, save_rule, done=_("Rule saved.")):
            return redirect(
                reverse("businesses:routing", args=[business.pk]) + "#rules"
            )
        status = 400
    elif action in ("delete_team", "delete_rule"):
        try:
            target = int(request.POST.get("pk", "0") or 0)
            if action == "delete_team":
                services.team_delete(business=business, team_pk=target)
            else:
                services.routing_rule_delete(business=business, rule_pk=target)
        except (NotFoundError, ValueError) as exc:
            raise Http404("Already gone.") from exc
        messages.success(request, _("Deleted."))
        return redirect("businesses:routing", business_id=business.pk)
    elif request.method == "POST":
        return HttpResponse("Unknown action.", status=400, content_type="text/plain")
    context = _layout(request, business, "routing")
    context.update(
        team_form=team_form,
        rule_form=rule_form,
        edit_team=edit_team,
        edit_rule=edit_rule,
        teams=Team.objects.filter(business=business).prefetch_related("members"),
        rules=RoutingRule.objects.filter(business=business).select_related(
            "team", "assignee", "reply_rich_object"
        ),
        is_open=selectors.business_is_open(business=business),
    )
    return render(request, "businesses/routing.html", context, status=status)


@login_required
@require_POST
def conversation_escalate(
    request: AuthenticatedHttpRequest, conversation_id: int
) -> HttpResponse:
    try:
        conversation = conversation_selectors.conversation_get_for_user(
            user=request.user, conversation_id=conversation_id
        )
        routing.conversation_escalate(conversation=conversation, actor=request.user)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except ApplicationError as exc:
        raise PermissionDenied(exc.message) from exc
    return redirect("console-conversation", conversation_id=conversation_id)


# Landing page (spec §9) ------------------------------------------------------------


def _safe_logo(value: str) -> str:
    value = value.strip()[:500]
    return value if value.startswith("https://") else ""


def _limited(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against ``rate`` per signed-in user, else per address."""
    return is_ratelimited(
        request, group=group, key="user_or_ip", rate=rate, method="POST", increment=True
    )


def _too_many(
    request: HttpRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    context["error"] = "Too many attempts from here. Wait a while and try again."
    return render(request, template, context, status=429)


@require_http_methods(["GET", "POST"])
def landing(request: HttpRequest) -> HttpResponse:
    raw_id = request.GET.get("id", "")
    brand_name = request.GET.get("name", "").strip()[:200]
    brand_logo = _safe_logo(request.GET.get("logo", ""))
    context: dict[str, Any] = {
        "raw_id": raw_id,
        "brand_name": brand_name,
        "brand_logo": brand_logo,
        "here": request.get_full_path(),
        "error": "",
    }
    try:
        apple_id = services.apple_business_id_clean(raw_id)
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "businesses/landing.html", context, status=400)
    context["apple_id"] = apple_id
    if not request.user.is_authenticated:
        # Anonymous visitors learn nothing about existing links.
        return render(request, "businesses/landing.html", context)
    operator = selectors.user_is_operator(user=request.user)
    granted = link_grants.link_grant_valid(request.GET.get("grant", ""), apple_id)
    existing = Business.objects.filter(apple_id=apple_id).first()
    if existing is not None:
        may_open = (
            operator
            or Membership.objects.filter(user=request.user, business=existing).exists()
        )
        context["linked"] = existing if may_open else True
        context["may_open"] = may_open
        return render(request, "businesses/landing.html", context)
    choices = list(selectors.business_list_administered(user=request.user))
    context.update(
        choices=choices,
        operator=operator,
        granted=granted,
        pending=LinkRequest.objects.filter(
            apple_id=apple_id,
            requested_by=request.user,
            status=LinkRequest.Status.PENDING,
        ).exists(),
    )
    status = 200
    if request.method == "POST":
        if not operator and _limited(request, "landing-link", settings.LINK_RATE_LIMIT):
            return _too_many(request, "businesses/landing.html", context)
        target = request.POST.get("business", "new")
        business = None
        if target != "new":
            business = next((b for b in choices if str(b.pk) == target), None)
            if business is None:
                context["error"] = "Choose one of the business accounts listed."
        if not context["error"]:
            fields: dict[str, Any] = {
                "actor": request.user,
                "apple_id": apple_id,
                "business": business,
                "new_name": request.POST.get("name", ""),
                "brand_name": brand_name,
                "brand_logo_url": brand_logo,
            }
            try:
                if operator or granted:
                    linked = services.business_link(**fields)
                else:
                    services.link_request_create(**fields)
                    linked = None
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            except ApplicationError as exc:
                context["error"] = exc.message
            else:
                if linked is None:
                    context["pending"] = True
                    return render(
                        request, "businesses/landing.html", context, status=202
                    )
                messages.success(
                    request,
                    _("Business ID %(id)s is now linked to %(name)s.")
                    % {"id": apple_id, "name": linked.name},
                )
                # A new owner's first steps, ticked from the business's state.
                return redirect("businesses:onboarding", business_id=linked.pk)
        status = 400
    return render(request, "businesses/landing.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def link_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Operators: pending Business ID link requests, and signed links to hand out."""
    if not selectors.user_is_operator(user=request.user):
        raise Http404
    context: dict[str, Any] = {"error": "", "grant_url": ""}
    if request.method == "POST":
        try:
            if request.POST.get("grant_for"):
                apple_id = services.apple_business_id_clean(request.POST["grant_for"])
                context["grant_url"] = request.build_absolute_uri(
                    link_grants.link_grant_url(apple_id)
                )
            else:
                linked = services.link_request_decide(
                    operator=request.user,
                    request_id=int(request.POST.get("request", "0") or 0),
                    approve=request.POST.get("decision") == "approve",
                )
                if linked is not None:
                    messages.success(
                        request, f"Linked {linked.apple_id} to {linked.name}."
                    )
                return redirect("businesses:link-requests")
        except (ValueError, ValidationError) as exc:
            context["error"] = " ".join(getattr(exc, "messages", [str(exc)]))
        except ApplicationError as exc:
            context["error"] = exc.message
    context["pending"] = LinkRequest.objects.filter(
        status=LinkRequest.Status.PENDING
    ).select_related("requested_by", "business")
    return render(
        request,
        "businesses/link_requests.html",
        context,
        status=400 if context["error"] else 200,
    )


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or "/console/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/console/"
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and _limited(
        request, "signup", settings.SIGNUP_RATE_LIMIT
    ):
        return _too_many(
            request, "businesses/signup.html", {"form": form, "next": next_url}
        )
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(next_url)
    return render(
        request,
        "businesses/signup.html",
        {"form": form, "next": next_url},
        status=400 if request.method == "POST" else 200,
    )
