"""Secret stores: environment variables, or a directory of files (Docker/Kubernetes secrets)."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

_NAME = re.compile(r"[a-z0-9_]+")


class EnvSecretStore:
    """``get("openai_api_key")`` reads ``AUTBOT_SECRET_OPENAI_API_KEY``."""

    def __init__(self, *, prefix: str = "AUTBOT_SECRET_") -> None:
        self._prefix = prefix

    def get(self, name: str) -> str | None:
        value = os.environ.get(self._prefix + name.upper())
        return value if value else None

    def refresh(self) -> None:
        """Nothing is cached: the process environment is read on every ``get``."""

    def __repr__(self) -> str:
        return f"EnvSecretStore(prefix={self._prefix!r})"


class FileSecretStore:
    """``get("openai_api_key")`` reads the file ``<directory>/openai_api_key`` (trailing newline dropped).

    A value is cached with its file's identity (inode, size, modification time, following symlinks as
    Kubernetes' ``..data`` swap needs): each ``get`` costs one ``stat``, and a rewritten or replaced file
    is read again. ``refresh`` drops the cache.
    """

    def __init__(self, *, directory: str) -> None:
        self._dir = Path(directory)
        self._cache: dict[str, tuple[tuple[int, int, int, int], str | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str | None:
        if not _NAME.fullmatch(name):
            return None
        path = self._dir / name
        try:
            st = path.stat()
            stamp = (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns)
            with self._lock:
                cached = self._cache.get(name)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            value = path.read_text(encoding="utf-8").rstrip("\r\n") or None
        except (FileNotFoundError, NotADirectoryError):
            with self._lock:
                self._cache.pop(name, None)
            return None
        with self._lock:
            self._cache[name] = (stamp, value)
        return value

    def refresh(self) -> None:
        with self._lock:
            self._cache.clear()

    def __repr__(self) -> str:
        return f"FileSecretStore(directory={str(self._dir)!r})"


class StaticSecretStore:
    """Secrets from a dict: the fake."""

    def __init__(self, secrets: dict[str, str] | None = None) -> None:
        self._secrets = dict(secrets or {})

    def get(self, name: str) -> str | None:
        return self._secrets.get(name) or None

    def set(self, name: str, value: str | None) -> None:
        """Rotate (or remove, with ``None``) a secret, as an operator would at the source."""
        if value is None:
            self._secrets.pop(name, None)
        else:
            self._secrets[name] = value

    def refresh(self) -> None:
        """Nothing is cached."""

    def __repr__(self) -> str:
        return f"StaticSecretStore(names={sorted(self._secrets)})"
