"""Settings forms. Secret fields are never pre-filled: blank keeps the stored value."""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django import forms
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conversations.safe_http import validate_public_url
from richobjects.builders import MERCHANT_CAPABILITIES, PAYMENT_NETWORKS

from .models import ApplePayMerchant, OAuthProvider, WebhookEndpoint

MAX_PEM_BYTES = 64 * 1024


class SecretInput(forms.PasswordInput):
    """Never renders a value back, whatever the form holds."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            attrs={"autocomplete": "off", **(attrs or {})}, render_value=False
        )


# URLs this server itself calls (the browser follows the others).
_SERVER_CALLED = {"token_url", "processor_url"}


def _https_urls(field: models.Field, **kwargs: Any) -> forms.Field | None:
    # Typed without a scheme, a URL means https (Django 6's default, chosen now).
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
        if field.name in _SERVER_CALLED:
            kwargs["validators"] = [validate_public_url]
    return field.formfield(**kwargs)


def _secret_label(label: str | Promise, is_set: bool) -> str:
    # Called while a request is served, so the reader's language is active.
    if is_set:
        return gettext("%(label)s (set • replace)") % {"label": label}
    return str(label)


class OAuthProviderForm(forms.ModelForm):
    client_secret_new = forms.CharField(
        label=_("Client secret"), required=False, widget=SecretInput(), max_length=500
    )

    class Meta:
        model = OAuthProvider
        formfield_callback = _https_urls
        fields = [
            "title",
            "client_id",
            "authorize_url",
            "token_url",
            "scope",
            "response_type",
            "reply_title",
        ]
        labels = {
            "title": _("Title"),
            "client_id": _("Client ID"),
            "authorize_url": _("Authorize URL"),
            "token_url": _("Token URL"),
            "scope": _("Scope"),
            "response_type": _("Response type"),
            "reply_title": _("Signed-in bubble"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        has_secret = bool(self.instance.pk and self.instance.client_secret)
        self.fields["client_secret_new"].label = _secret_label(
            _("Client secret"), has_secret
        )
        self.secret_is_set = has_secret

    def clean_response_type(self) -> str:
        value = self.cleaned_data["response_type"]
        if value != "code":
            raise forms.ValidationError("Apple's sign-in uses the code flow only.")
        return value

    def clean_scope(self) -> str:
        return " ".join(self.cleaned_data["scope"].split())

    def clean(self) -> dict[str, Any]:
        super().clean()  # Django's returns self.cleaned_data, typed as optional
        data = self.cleaned_data
        if not self.secret_is_set and not data.get("client_secret_new"):
            self.add_error("client_secret_new", "Enter the client secret.")
        return data


def _read_pem(upload: Any, what: str) -> str:
    if upload is None:
        return ""
    raw = upload.read(MAX_PEM_BYTES + 1)
    if len(raw) > MAX_PEM_BYTES:
        raise forms.ValidationError(f"The {what} file is too large for a PEM.")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError as exc:
        raise forms.ValidationError(f"The {what} must be a PEM text file.") from exc


class ApplePayForm(forms.ModelForm):
    certificate_file = forms.FileField(
        label=_("Merchant identity certificate (PEM)"), required=False
    )
    private_key_file = forms.FileField(label=_("Certificate key (PEM)"), required=False)
    processor_secret_new = forms.CharField(
        label=_("Processor HMAC secret"), required=False, widget=SecretInput()
    )
    supported_networks = forms.MultipleChoiceField(
        choices=[(n, n) for n in sorted(PAYMENT_NETWORKS)],
        widget=forms.CheckboxSelectMultiple,
        label=_("Supported networks"),
    )
    merchant_capabilities = forms.MultipleChoiceField(
        choices=[(c, c) for c in sorted(MERCHANT_CAPABILITIES)],
        widget=forms.CheckboxSelectMultiple,
        label=_("Merchant capabilities"),
    )

    class Meta:
        model = ApplePayMerchant
        formfield_callback = _https_urls
        fields = [
            "merchant_identifier",
            "merchant_name",
            "verified_domain",
            "processor_url",
            "fallback_url",
            "supported_networks",
            "merchant_capabilities",
            "country_code",
            "currency_code",
        ]
        labels = {
            "merchant_identifier": _("Merchant identifier"),
            "merchant_name": _("Merchant name"),
            "verified_domain": _("Verified domain"),
            "processor_url": _("Payment processor webhook URL"),
            "fallback_url": _("Fallback URL"),
            "country_code": _("Country code"),
            "currency_code": _("Currency code"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inst = self.instance
        # Declared fields ignore the model's defaults: a new merchant starts from them.
        self.fields["supported_networks"].initial = inst.supported_networks
        self.fields["merchant_capabilities"].initial = inst.merchant_capabilities
        self.key_is_set = bool(inst.pk and inst.private_key_pem)
        self.processor_secret_is_set = bool(inst.pk and inst.processor_secret)
        self.fields["private_key_file"].label = _secret_label(
            _("Certificate key (PEM)"), self.key_is_set
        )
        self.fields["processor_secret_new"].label = _secret_label(
            _("Processor HMAC secret"), self.processor_secret_is_set
        )

    def clean_country_code(self) -> str:
        value = self.cleaned_data["country_code"].upper()
        if not re.fullmatch(r"[A-Z]{2}", value):
            raise forms.ValidationError("A two-letter ISO 3166 code, like US.")
        return value

    def clean_currency_code(self) -> str:
        value = self.cleaned_data["currency_code"].upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise forms.ValidationError("A three-letter ISO 4217 code, like USD.")
        return value

    def clean_merchant_capabilities(self) -> list[str]:
        value = self.cleaned_data["merchant_capabilities"]
        if "supports3DS" not in value:
            raise forms.ValidationError("Apple Pay requires supports3DS.")
        return value

    def clean_certificate_file(self) -> str:
        pem = _read_pem(self.cleaned_data.get("certificate_file"), "certificate")
        if pem:
            try:
                x509.load_pem_x509_certificate(pem.encode())
            except ValueError as exc:
                raise forms.ValidationError("Not a PEM X.509 certificate.") from exc
        return pem

    def clean_private_key_file(self) -> str:
        pem = _read_pem(self.cleaned_data.get("private_key_file"), "key")
        if pem:
            try:
                serialization.load_pem_private_key(pem.encode(), None)
            except (ValueError, TypeError) as exc:
                raise forms.ValidationError(
                    "Not an unencrypted PEM private key."
                ) from exc
        return pem

    def clean(self) -> dict[str, Any]:
        super().clean()  # Django's returns self.cleaned_data, typed as optional
        data = self.cleaned_data
        if not self.processor_secret_is_set and not data.get("processor_secret_new"):
            self.add_error("processor_secret_new", "Enter the processor's HMAC secret.")
        return data


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("Endpoint URL"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_public_url],
    )
    event_types = forms.MultipleChoiceField(
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        label=_("Event types"),
    )
    secret = forms.CharField(
        required=False,
        widget=SecretInput(),
        label=_("Secret"),
        help_text=_("Leave blank to generate one."),
        max_length=200,
    )
