from __future__ import annotations

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from conversations.models import Business, Membership

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue().strip()


def test_add_business_is_idempotent():
    run("add_business", "biz-1", name="First")
    run("add_business", "biz-1", name="Renamed")
    assert Business.objects.get(apple_id="biz-1").name == "Renamed"
    assert Business.objects.count() == 1


def test_add_agent_prints_the_same_token_twice():
    run("add_business", "biz-1", name="First")
    token = run("add_agent", "bob", business="biz-1", token=True)
    again = run("add_agent", "bob", business="biz-1", role="admin", token=True)
    assert token == again == Token.objects.get(user__username="bob").key
    assert Membership.objects.get(user__username="bob").role == "admin"


def test_add_agent_to_unknown_business_fails_clearly():
    with pytest.raises(CommandError, match="add_business"):
        run("add_agent", "bob", business="nope")


def test_seed_demo_twice():
    run("seed_demo")
    run("seed_demo")
    assert Membership.objects.filter(business__apple_id__isnull=False).count() == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DJANGO_SECRET_KEY": "x", "REDIS_URL": "redis://x"},
            "MSP_ID and MSP_SECRETS",
        ),
        (
            {"MSP_ID": "m", "MSP_SECRETS": "c2VjcmV0", "REDIS_URL": "redis://x"},
            "DJANGO_SECRET_KEY",
        ),
        (
            {"MSP_ID": "m", "MSP_SECRETS": "c2VjcmV0", "DJANGO_SECRET_KEY": "x"},
            "REDIS_URL",
        ),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be True or False"),
    ],
)
def test_production_settings_fail_loudly_without_secrets(env, message):
    base = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "False"}
    result = subprocess.run(
        [sys.executable, "-c", "import msp_console.settings"],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_manage_py_reads_dotenv_without_overriding_the_environment(
    tmp_path, monkeypatch
):
    from manage import load_dotenv

    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\nMSP_TEST_A=from-file\nMSP_TEST_B=from-file\nMSP_TEST_C=\n"
    )
    monkeypatch.setenv("MSP_TEST_B", "from-environment")
    monkeypatch.delenv("MSP_TEST_A", raising=False)
    monkeypatch.delenv("MSP_TEST_C", raising=False)
    load_dotenv(env_file)
    import os

    assert os.environ["MSP_TEST_A"] == "from-file"
    assert os.environ["MSP_TEST_B"] == "from-environment"
    assert os.environ["MSP_TEST_C"] == ""
    monkeypatch.delenv("MSP_TEST_A")
    monkeypatch.delenv("MSP_TEST_C")
