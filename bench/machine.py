"""The machine line every benchmark prints, so figures are never quoted without it."""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path


def machine_info() -> str:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = len(os.sched_getaffinity(0))
    return f"machine: {nproc} CPUs, {model}; Python {platform.python_version()} ({platform.machine()})"
