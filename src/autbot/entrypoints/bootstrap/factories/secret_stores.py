"""Secret stores (``secrets.backend``)."""

from __future__ import annotations

from autbot.entrypoints.settings import Settings
from autbot.ports.secret_store import SecretStore


def env_secret_store(s: Settings) -> SecretStore:
    from autbot.adapters.secrets.stores import EnvSecretStore

    return EnvSecretStore(prefix=s.secrets.env_prefix)


def file_secret_store(s: Settings) -> SecretStore:
    from autbot.adapters.secrets.stores import FileSecretStore

    return FileSecretStore(directory=s.secrets.directory)
