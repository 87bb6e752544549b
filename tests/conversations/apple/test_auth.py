"""Apple-facing JWTs: what is signed and every way a token is refused (spec §2)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from conversations.apple.auth import (
    apple_token_for_inbound,
    apple_token_issue,
    apple_token_verify,
    decode_secret,
)
from conversations.apple.exceptions import InvalidToken, MissingToken

MSP_ID = "test-msp"
SECRET = "dGVzdC1zZWNyZXQtZm9yLXRoZS1tc3AtY29uc29sZS1zdWl0ZQ=="
SECRET_KEY = b"test-secret-for-the-msp-console-suite"
OTHER_SECRET = base64.b64encode(b"another-secret-that-is-long-enough-1234").decode()
OTHER_KEY = b"another-secret-that-is-long-enough-1234"


def bearer(token: str) -> str:
    return f"Bearer {token}"


def signed(
    claims: dict[str, object], *, key: bytes = SECRET_KEY, alg: str = "HS256"
) -> str:
    return jwt.encode(claims, key, algorithm=alg)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture(autouse=True)
def _apple_settings(settings: pytest.FixtureRequest) -> None:
    settings.MSP_ID = MSP_ID
    settings.MSP_SECRETS = [SECRET]


# --- issuing -----------------------------------------------------------------------


def test_issued_token_claims_and_header() -> None:
    token = apple_token_issue()

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
    assert header["alg"] == "HS256"
    assert claims["iss"] == MSP_ID
    assert abs(claims["iat"] - time.time()) < 5
    assert "aud" not in claims


def test_issue_signs_with_the_decoded_secret_not_its_text() -> None:
    token = apple_token_issue()

    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, SECRET.encode(), algorithms=["HS256"])


def test_issue_uses_the_first_secret(settings: pytest.FixtureRequest) -> None:
    settings.MSP_SECRETS = [OTHER_SECRET, SECRET]

    token = apple_token_issue()

    assert jwt.decode(token, OTHER_KEY, algorithms=["HS256"])["iss"] == MSP_ID


def test_issue_accepts_explicit_secret_and_issuer() -> None:
    token = apple_token_issue(secret=OTHER_SECRET, issuer="other-msp")

    assert jwt.decode(token, OTHER_KEY, algorithms=["HS256"])["iss"] == "other-msp"


def test_bad_base64_secret_is_a_configuration_error(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MSP_SECRETS = ["not base64 !!"]

    with pytest.raises(ImproperlyConfigured, match="Base64"):
        apple_token_issue()
    with pytest.raises(ImproperlyConfigured, match="Base64"):
        apple_token_verify(bearer(signed({"aud": MSP_ID, "iat": int(time.time())})))


def test_secret_without_padding_decodes() -> None:
    assert decode_secret(SECRET.rstrip("=")) == SECRET_KEY


# --- verifying -----------------------------------------------------------------------


def test_round_trip() -> None:
    claims = apple_token_verify(bearer(apple_token_for_inbound()))

    assert claims["aud"] == MSP_ID
    assert abs(claims["iat"] - time.time()) < 5


def test_bearer_scheme_is_case_insensitive() -> None:
    assert apple_token_verify(f"bearer  {apple_token_for_inbound()} ")["aud"] == MSP_ID


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_header_is_missing_token(value: str | None) -> None:
    with pytest.raises(MissingToken):
        apple_token_verify(value)


@pytest.mark.parametrize("value", ["Bearer", "Bearer ", "Bearer    "])
def test_empty_bearer_token_is_missing_token(value: str) -> None:
    with pytest.raises(MissingToken):
        apple_token_verify(value)


def test_other_scheme_is_missing_token() -> None:
    with pytest.raises(MissingToken):
        apple_token_verify("Basic dXNlcjpwYXNz")


def test_wrong_secret_is_invalid() -> None:
    token = signed({"aud": MSP_ID, "iat": int(time.time())}, key=OTHER_KEY)

    with pytest.raises(InvalidToken, match="signature"):
        apple_token_verify(bearer(token))


def test_token_signed_with_secret_text_is_invalid() -> None:
    token = signed({"aud": MSP_ID, "iat": int(time.time())}, key=SECRET.encode())

    with pytest.raises(InvalidToken, match="signature"):
        apple_token_verify(bearer(token))


def test_wrong_audience_is_invalid() -> None:
    with pytest.raises(InvalidToken, match="audience"):
        apple_token_verify(bearer(apple_token_for_inbound(audience="someone-else")))


def test_missing_audience_is_invalid() -> None:
    token = signed({"iat": int(time.time())})

    with pytest.raises(InvalidToken, match="aud"):
        apple_token_verify(bearer(token))


def test_audience_list_containing_msp_id_is_accepted() -> None:
    token = signed({"aud": ["another", MSP_ID], "iat": int(time.time())})

    assert apple_token_verify(bearer(token))["aud"] == ["another", MSP_ID]


def test_audience_list_without_msp_id_is_invalid() -> None:
    token = signed({"aud": ["another", "third"], "iat": int(time.time())})

    with pytest.raises(InvalidToken, match="audience"):
        apple_token_verify(bearer(token))


def test_explicit_audience_argument() -> None:
    token = apple_token_for_inbound(audience="msp-2")

    assert apple_token_verify(bearer(token), audience="msp-2")["aud"] == "msp-2"


def test_token_older_than_an_hour_is_invalid() -> None:
    token = apple_token_for_inbound(iat=int(time.time()) - 3601 - 5)

    with pytest.raises(InvalidToken, match="older than one hour"):
        apple_token_verify(bearer(token))


def test_token_just_under_an_hour_old_is_accepted() -> None:
    token = apple_token_for_inbound(iat=int(time.time()) - 3500)

    assert apple_token_verify(bearer(token))["aud"] == MSP_ID


def test_small_future_skew_is_accepted() -> None:
    token = apple_token_for_inbound(iat=int(time.time()) + 30)

    assert apple_token_verify(bearer(token))["aud"] == MSP_ID


def test_iat_far_in_the_future_is_invalid() -> None:
    token = apple_token_for_inbound(iat=int(time.time()) + 600)

    with pytest.raises(InvalidToken, match="future"):
        apple_token_verify(bearer(token))


def test_missing_iat_is_invalid() -> None:
    token = signed({"aud": MSP_ID})

    with pytest.raises(InvalidToken, match="iat"):
        apple_token_verify(bearer(token))


@pytest.mark.parametrize("iat", ["yesterday", True, None])
def test_non_numeric_iat_is_invalid(iat: object) -> None:
    token = signed({"aud": MSP_ID, "iat": iat})

    with pytest.raises(InvalidToken):
        apple_token_verify(bearer(token))


@pytest.mark.parametrize("iat", [float("nan"), float("inf"), float("-inf")])
def test_iat_that_is_no_instant_is_invalid(iat: float) -> None:
    # NaN passed both age checks: a token signed once worked for ever.
    token = signed({"aud": MSP_ID, "iat": iat})

    with pytest.raises(InvalidToken):
        apple_token_verify(bearer(token))


def test_expired_exp_is_invalid() -> None:
    now = int(time.time())
    token = signed({"aud": MSP_ID, "iat": now - 600, "exp": now - 300})

    with pytest.raises(InvalidToken, match="expired"):
        apple_token_verify(bearer(token))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_token_is_invalid(alg: str) -> None:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"aud": MSP_ID, "iat": int(time.time())}).encode())

    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        with pytest.raises(InvalidToken):
            apple_token_verify(bearer(token))


def test_hs256_header_over_unsigned_token_is_invalid() -> None:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"aud": MSP_ID, "iat": int(time.time())}).encode())

    with pytest.raises(InvalidToken):
        apple_token_verify(bearer(f"{header}.{payload}."))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_hs512_token_is_invalid_even_with_the_right_secret() -> None:
    token = signed({"aud": MSP_ID, "iat": int(time.time())}, alg="HS512")

    with pytest.raises(InvalidToken, match="HS512"):
        apple_token_verify(bearer(token))


def test_rs256_token_is_invalid() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = jwt.encode(
        {"aud": MSP_ID, "iat": int(time.time())}, private_key, algorithm="RS256"
    )

    with pytest.raises(InvalidToken, match="RS256"):
        apple_token_verify(bearer(token))


@pytest.mark.parametrize(
    "token",
    ["garbage", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "🙂.🙂.🙂"],
)
def test_garbage_token_is_invalid(token: str) -> None:
    with pytest.raises(InvalidToken):
        apple_token_verify(bearer(token))


def test_tampered_payload_is_invalid() -> None:
    header, _, signature = apple_token_for_inbound().split(".")
    payload = b64url(
        json.dumps({"aud": MSP_ID, "iat": int(time.time()), "x": 1}).encode()
    )

    with pytest.raises(InvalidToken, match="signature"):
        apple_token_verify(bearer(f"{header}.{payload}.{signature}"))


def test_rotation_old_and_new_secrets_both_verify(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MSP_SECRETS = [OTHER_SECRET, SECRET]  # newest first
    signed_with_old = apple_token_for_inbound(secret=SECRET)
    signed_with_new = apple_token_for_inbound(secret=OTHER_SECRET)

    assert apple_token_verify(bearer(signed_with_old))["aud"] == MSP_ID
    assert apple_token_verify(bearer(signed_with_new))["aud"] == MSP_ID


def test_token_signed_with_second_secret_verifies_while_issue_uses_first(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MSP_SECRETS = [SECRET, OTHER_SECRET]

    token = apple_token_for_inbound(secret=OTHER_SECRET)

    assert apple_token_verify(bearer(token))["aud"] == MSP_ID
    assert (
        jwt.decode(apple_token_issue(), SECRET_KEY, algorithms=["HS256"])["iss"]
        == MSP_ID
    )


def test_rotation_still_rejects_unknown_secret(settings: pytest.FixtureRequest) -> None:
    settings.MSP_SECRETS = [SECRET, OTHER_SECRET]
    token = signed({"aud": MSP_ID, "iat": int(time.time())}, key=b"x" * 40)

    with pytest.raises(InvalidToken, match="signature"):
        apple_token_verify(bearer(token))


def test_explicit_secrets_argument_overrides_settings() -> None:
    token = apple_token_for_inbound(secret=OTHER_SECRET)

    assert apple_token_verify(bearer(token), secrets=[OTHER_SECRET])["aud"] == MSP_ID
    with pytest.raises(InvalidToken):
        apple_token_verify(bearer(apple_token_for_inbound()), secrets=[OTHER_SECRET])


# --- the memo of verified tokens (Apple reuses one for up to an hour) ------------


def test_a_remembered_token_still_ages_out(monkeypatch) -> None:
    issued = int(time.time()) - 3590
    header = bearer(signed({"aud": MSP_ID, "iat": issued}))
    assert apple_token_verify(header)["iat"] == issued
    later = time.time() + 20
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(InvalidToken, match="older than one hour"):
        apple_token_verify(header)


def test_a_remembered_token_stops_verifying_once_its_secret_is_removed(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MSP_SECRETS = [SECRET, OTHER_SECRET]
    header = bearer(signed({"aud": MSP_ID, "iat": int(time.time())}, key=OTHER_KEY))
    assert apple_token_verify(header)["aud"] == MSP_ID
    assert apple_token_verify(header)["aud"] == MSP_ID  # from the memo
    settings.MSP_SECRETS = [SECRET]
    with pytest.raises(InvalidToken, match="bad signature"):
        apple_token_verify(header)


def test_a_token_with_an_expiry_is_checked_every_time(monkeypatch) -> None:
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: object, **kwargs: object) -> object:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    now = int(time.time())
    with_expiry = bearer(signed({"aud": MSP_ID, "iat": now, "exp": now + 600}))
    plain = bearer(signed({"aud": MSP_ID, "iat": now}))
    for _ in range(3):
        apple_token_verify(with_expiry)
        apple_token_verify(plain)
    # Apple's tokens (no exp) are verified once; one with an expiry each time.
    assert len(decoded) == 4
