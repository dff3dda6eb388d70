"""``autbot serve`` for the benchmarks: the fake adapters, the command line, a process with its log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from bench._support.results import ROOT

FAKE_ADAPTERS: dict[str, dict[str, Any]] = {
    "index": {"backend": "memory"},
    "embedder": {"backend": "hashing"},
    "llm": {"backend": "fake"},
    "auth": {"keys_backend": "memory"},
    "sessions": {"backend": "memory"},
}
"""Settings sections for the fakes (hashing embedder, in-memory index and registry, fake LLM): no model loaded."""
FAKE_ADAPTERS_ENV = {
    f"AUTBOT_{section.upper()}__{key.upper()}": value
    for section, values in FAKE_ADAPTERS.items()
    for key, value in values.items()
}
"""The same as ``AUTBOT_*`` environment variables, for a server process."""
SERVE_CODE = "from autbot.entrypoints.cli import main; main(['serve'])"
"""``python -c`` code that runs ``autbot serve`` (port and everything else from the environment)."""


def serve_argv(port: int) -> list[str]:
    """``autbot serve`` on a loopback port, as this interpreter runs it."""
    return [sys.executable, "-m", "autbot.entrypoints.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Starts a process in the repository root, its output going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(ROOT))


def fake_settings(data_dir: str, limits: dict[str, Any], **sections: Any) -> Any:
    """Settings of an app over the fakes, logging at WARNING, with these limits and extra sections."""
    from autbot.entrypoints.settings import settings_from_dict

    data = {**FAKE_ADAPTERS, "storage": {"data_dir": data_dir}, "logging": {"level": "WARNING"}, "limits": limits}
    return settings_from_dict({**data, **sections})
