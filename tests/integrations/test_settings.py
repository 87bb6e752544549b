from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_field_encryption_key_is_required_without_debug() -> None:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "False",
        "DJANGO_SECRET_KEY": "x" * 50,
        "MSP_ID": "msp",
        "MSP_SECRETS": "c2VjcmV0",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "FIELD_ENCRYPTION_KEY": "",
        "SANDBOX_ENABLED": "False",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import msp_console.settings"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY is required" in result.stderr
