"""Measurements of a process (Linux ``/proc``), CPU pinning, percentiles."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used so far; 0 when unknown or gone.

    Other load on the machine disturbs it less than wall time."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int | str = "self", field: str = "VmRSS") -> float:
    """A process's resident memory in MiB (``VmHWM``: its peak), from ``/proc/PID/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) > 1


def pinned(cpu: int, argv: list[str]) -> list[str]:
    """``argv`` run on one CPU (``taskset``), where there are several."""
    return ["taskset", "-c", str(cpu), *argv] if _can_pin() else argv


def pin(pid: int, cpu: int) -> bool:
    """Pins a running process and all its threads to one CPU; False where that is not possible."""
    if not _can_pin():
        return False
    return subprocess.run(["taskset", "-a", "-p", "-c", str(cpu), str(pid)], capture_output=True).returncode == 0


def percentile(values: Sequence[float], p: float) -> float:
    return float(np.percentile(values, p))
