"""Secret stores: environment variables, or a directory of files (Docker/Kubernetes secrets)."""

from __future__ import annotations

import os
import re
from pathlib import Path

_NAME = re.compile(r"^[a-z0-9_]+$")


class EnvSecretStore:
    """``get("openai_api_key")`` reads ``AUTBOT_SECRET_OPENAI_API_KEY``."""

    def __init__(self, *, prefix: str = "AUTBOT_SECRET_") -> None:
        self._prefix = prefix

    def get(self, name: str) -> str | None:
        value = os.environ.get(self._prefix + name.upper())
        return value if value else None

    def __repr__(self) -> str:
        return f"EnvSecretStore(prefix={self._prefix!r})"


class FileSecretStore:
    """``get("openai_api_key")`` reads the file ``<directory>/openai_api_key`` (trailing newline dropped)."""

    def __init__(self, *, directory: str) -> None:
        self._dir = Path(directory)

    def get(self, name: str) -> str | None:
        if not _NAME.match(name):
            return None
        path = self._dir / name
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except FileNotFoundError:
            return None
        return value or None

    def __repr__(self) -> str:
        return f"FileSecretStore(directory={str(self._dir)!r})"


class StaticSecretStore:
    """Secrets from a dict: the fake."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self._secrets = dict(secrets or {})

    def get(self, name: str) -> str | None:
        return self._secrets.get(name)

    def __repr__(self) -> str:
        return f"StaticSecretStore(names={sorted(self._secrets)})"
