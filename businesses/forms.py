"""HTML forms for the settings pages: field shapes only; rules live in services."""

from __future__ import annotations

import re
from datetime import time
from typing import Any, cast
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from conversations.models import Business

from .models import BusinessHours, Priority, RoutingRule, Team

MIME_PATTERN = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$"
)


def timezone_names() -> list[str]:
    return sorted(available_timezones())


def business_has_attachment_types() -> bool:
    """The field is new in conversations; the form offers it only where it exists."""
    return any(
        f.name == "allowed_attachment_types" for f in Business._meta.get_fields()
    )


class ChannelSettingsForm(forms.Form):
    display_name = forms.CharField(
        max_length=100, required=False, label=_("Display name")
    )
    logo = forms.FileField(
        required=False,
        label=_("Logo"),
        help_text=_("PNG, JPEG, GIF or WebP; shrunk to 512 px and served as PNG."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_logo = forms.BooleanField(required=False)
    # About 600 names: a text field over a <datalist> filters as one types
    # (no script), and the value is still checked against the list.
    timezone = forms.CharField(
        max_length=64,
        initial="UTC",
        label=_("Time zone"),
        help_text=_("Type a city or region to search, like Paris or New_York."),
        widget=forms.TextInput(
            attrs={
                "list": "timezone-list",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    away_message = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Away message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to a new conversation that starts outside business hours."),
    )
    allowed_attachment_types = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Allowed attachment types"),
        help_text=_(
            "MIME types agents may send, comma-separated (image/*, application/pdf). Empty: the default list."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in BusinessHours.Weekday:
            self.fields[f"open_{day.value}"] = forms.BooleanField(
                required=False, label=day.label
            )
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                required=False, widget=forms.TimeInput(attrs={"type": "time"})
            )
        if not business_has_attachment_types():
            del self.fields["allowed_attachment_types"]

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if value not in available_timezones():
            raise forms.ValidationError(
                _("Choose a time zone from the list, like Europe/Paris.")
            )
        return value

    def clean_allowed_attachment_types(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_attachment_types", "")
        types = [part.strip().lower() for part in raw.split(",") if part.strip()]
        bad = [t for t in types if not MIME_PATTERN.match(t)]
        if bad:
            raise forms.ValidationError(
                "Not MIME types: %(bad)s. Write them like image/png or image/*.",
                params={"bad": ", ".join(bad)},
            )
        return list(dict.fromkeys(types))

    def clean(self) -> dict[str, Any]:
        super().clean()  # Django's returns self.cleaned_data, typed as optional
        cleaned = self.cleaned_data
        for day in BusinessHours.Weekday:
            if not cleaned.get(f"open_{day.value}"):
                continue
            if cleaned.get(f"opens_{day.value}") is None:
                self.add_error(f"opens_{day.value}", f"{day.label}: when do you open?")
            if cleaned.get(f"closes_{day.value}") is None:
                self.add_error(
                    f"closes_{day.value}", f"{day.label}: when do you close?"
                )
        return cleaned

    def hours(self) -> dict[int, tuple[time, time] | None]:
        result: dict[int, tuple[time, time] | None] = {}
        for day in BusinessHours.Weekday:
            if self.cleaned_data.get(f"open_{day.value}"):
                result[day.value] = (
                    self.cleaned_data[f"opens_{day.value}"],
                    self.cleaned_data[f"closes_{day.value}"],
                )
            else:
                result[day.value] = None
        return result

    def weekday_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": day.label,
                "open": self[f"open_{day.value}"],
                "opens": self[f"opens_{day.value}"],
                "closes": self[f"closes_{day.value}"],
            }
            for day in BusinessHours.Weekday
        ]


class IMessageAppForm(forms.Form):
    app_id = forms.CharField(max_length=64, label="App id")
    name = forms.CharField(max_length=100)
    bid = forms.CharField(
        max_length=255,
        label="Bid",
        help_text="com.apple.messages.MSMessageExtensionBalloonPlugin:TEAMID:bundle.id",
    )
    url = forms.URLField(max_length=500, label="URL", assume_scheme="https")


class EntryPointForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    intent = forms.CharField(
        max_length=128, required=False, label=_("Intent (biz-intent-id)")
    )
    group = forms.CharField(
        max_length=128, required=False, label=_("Group (biz-group-id)")
    )
    body = forms.CharField(
        max_length=1000,
        required=False,
        label=_("Prefilled message (body)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    members = forms.TypedMultipleChoiceField(
        coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    assign_cap = forms.IntegerField(
        min_value=1,
        max_value=1000,
        initial=10,
        required=False,
        label=_("Most open conversations per agent (auto-assignment)"),
    )
    reassign_when_offline = forms.BooleanField(
        required=False,
        label=_("When an agent goes offline, hand their open conversations on"),
    )

    def __init__(
        self, *args: Any, people: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["members"]).choices = people


class RoutingRuleForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))
    position = forms.IntegerField(
        min_value=0, max_value=100000, initial=100, label=_("Order")
    )
    match_intent = forms.CharField(max_length=128, required=False, label=_("Intent is"))
    match_group = forms.CharField(max_length=128, required=False, label=_("Group is"))
    match_locale = forms.CharField(max_length=32, required=False, label=_("Locale is"))
    match_hours = forms.ChoiceField(
        choices=RoutingRule.Hours.choices,
        initial=RoutingRule.Hours.ANY,
        label=_("When"),
    )
    team = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Team")
    )
    priority = forms.ChoiceField(
        choices=Priority.choices, initial=Priority.NORMAL, label=_("Priority")
    )
    assignee = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("Assignee")
    )
    reply_text = forms.CharField(
        max_length=2000,
        required=False,
        label=_("Automatic reply"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reply_rich_object = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label=_("…or send a rich object")
    )
    bot = forms.BooleanField(required=False, label=_("A bot answers first"))
    auto_assign = forms.BooleanField(
        required=False,
        label=_("Assign to the team's online agents in turn (fewest open first)"),
    )

    def __init__(
        self,
        *args: Any,
        teams: list[Team],
        people: list[tuple[int, str]],
        rich_objects: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", _("No team"))] + [
            (t.pk, t.name) for t in teams
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Nobody")),
            *people,
        ]
        cast(forms.ChoiceField, self.fields["reply_rich_object"]).choices = [
            ("", _("None")),
            *rich_objects,
        ]


# Names that would look official in an invitation or the team list.
RESERVED_USERNAMES = frozenset(
    {"admin", "administrator", "root", "operator", "support", "msp", "apple", "staff"}
)


class SignUpForm(UserCreationForm):
    """Django's sign-up, but a taken name and a reserved one get the same answer.

    A unique username cannot be free and taken at once, so a sign-up form always
    tells a determined prober something; the answer here names no reason, and
    the view's rate limit (SIGNUP_RATE_LIMIT) keeps probing slow.
    """

    UNAVAILABLE = "This username is not available. Choose another."

    def clean_username(self) -> str:
        username: str = self.cleaned_data.get("username") or ""
        if not username:
            return username
        model = self._meta.model
        if username.casefold() in RESERVED_USERNAMES or (
            model._default_manager.filter(username__iexact=username).exists()
        ):
            raise forms.ValidationError(self.UNAVAILABLE, code="unavailable")
        return username
