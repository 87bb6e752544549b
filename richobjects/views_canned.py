"""The console page where agents keep their canned replies (admins the shared ones)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from conversations.exceptions import ApplicationError
from conversations.models import Membership
from conversations.selectors import business_get_for_user, membership_list_for_user
from conversations.types import AuthenticatedHttpRequest

from .services import canned


@login_required
@require_http_methods(["GET", "POST"])
def canned_replies(request: AuthenticatedHttpRequest) -> HttpResponse:
    memberships = membership_list_for_user(user=request.user)
    admin_of = {m.business_id for m in memberships if m.role == Membership.Role.ADMIN}
    error = ""
    form = {"short_code": "", "title": "", "body": "", "shared": False, "business": ""}
    if request.method == "POST":
        try:
            if request.POST.get("delete", "").isdigit():
                reply = canned.canned_reply_get_for_user(
                    user=request.user, reply_id=int(request.POST["delete"])
                )
                canned.canned_reply_delete(reply=reply, actor=request.user)
            else:
                form = {
                    "short_code": request.POST.get("short_code", ""),
                    "title": request.POST.get("title", ""),
                    "body": request.POST.get("body", ""),
                    "shared": request.POST.get("shared") == "on",
                    "business": request.POST.get("business", ""),
                }
                chosen = str(form["business"])
                business_id = (
                    int(chosen)
                    if chosen.isdigit()
                    else (memberships[0].business_id if memberships else 0)
                )
                membership = business_get_for_user(
                    user=request.user, business_id=business_id
                )
                canned.canned_reply_create(
                    business=membership.business,
                    actor=request.user,
                    short_code=str(form["short_code"]),
                    title=str(form["title"]),
                    body=str(form["body"]),
                    shared=bool(form["shared"]),
                )
        except ApplicationError as exc:
            error = exc.message
        else:
            return redirect("console-canned-replies")
    replies = list(canned.canned_reply_list_for_user(user=request.user))
    return render(
        request,
        "richobjects/canned_replies.html",
        {
            "memberships": memberships,
            "admin_memberships": [m for m in memberships if m.business_id in admin_of],
            "replies": [
                {
                    "reply": reply,
                    "may_delete": reply.owner_id == request.user.pk
                    or (reply.shared and reply.business_id in admin_of),
                }
                for reply in replies
            ],
            "form": form,
            "error": error,
            "placeholders": [
                "customer.name",
                "customer.email",
                "customer.phone",
                "agent.name",
                "agent.first_name",
                "business.name",
            ],
        },
        status=400 if error else 200,
    )
