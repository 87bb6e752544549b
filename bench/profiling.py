"""Sampling a benchmark's server or worker with py-spy while it is measured.

Only the threads holding the GIL are sampled (``--gil``): what the process
spends its CPU on, not where its threads wait (``PROFILE_WALL=1`` for that). One file of collapsed stacks per
process (flamegraph.pl or speedscope read them).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def profile_start(pids: list[int], path: Path) -> list[subprocess.Popen]:
    spy = Path(sys.executable).parent / "py-spy"
    # PROFILE_WALL=1 samples every thread, idle ones too: where the time goes.
    mode = ("--idle",) if os.environ.get("PROFILE_WALL") else ("--gil",)
    return [
        subprocess.Popen(
            [
                *(str(spy), "record", "--pid", str(pid), "--format", "raw"),
                *("--rate", "100", *mode, "--output", f"{path}.{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def profile_stop(profilers: list[subprocess.Popen]) -> None:
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
    for profiler in profilers:
        profiler.wait(timeout=60)
