"""``server.malloc_arenas``: the cap reaches glibc in this process and, through the environment, later workers."""

from __future__ import annotations

import subprocess
import sys

from autbot.entrypoints.allocator import limit_malloc_arenas
from autbot.entrypoints.settings import load_settings


def test_the_default_caps_malloc_arenas_at_two() -> None:
    assert load_settings(env={}).server.malloc_arenas == 2


def test_zero_leaves_glibc_alone() -> None:
    assert limit_malloc_arenas(0) is False


def test_the_cap_is_applied_and_handed_to_worker_processes() -> None:
    code = (
        "import os\nfrom autbot.entrypoints.allocator import limit_malloc_arenas\n"
        "print(limit_malloc_arenas(2), os.environ.get('MALLOC_ARENA_MAX'))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    applied, inherited = out.stdout.split()
    assert inherited == "2"
    assert applied == str(sys.platform == "linux" and _glibc())


def _glibc() -> bool:
    import platform

    return platform.libc_ver()[0] == "glibc"
