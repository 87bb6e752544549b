"""A shorter GIL switch interval for the web processes.

A webhook's thread waits on PostgreSQL several times and must win the GIL back
each time from the event loop, which is busy in Python reading requests and
relaying pushes. At CPython's default 5 ms switch interval that wait, not the
work, bounded a process: one Daphne process acknowledged 144 webhooks/s at
5 ms and 167/s at 0.5 ms (bench/inbound.py). The Celery worker keeps the
default: it measured no difference there (bench/outbound.py).
"""

from __future__ import annotations

import sys

SWITCH_INTERVAL_SECONDS = 0.0005


def shorten_switch_interval() -> None:
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
