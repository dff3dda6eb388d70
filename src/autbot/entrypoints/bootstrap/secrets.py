"""Which secrets a configuration needs, checked before the server starts; re-reading them on SIGHUP.

The list is declarative: ``secrets.required`` (per profile) plus what the configuration implies. A
missing or empty secret stops start-up with ``MissingSecret`` (exit code 2), naming the secret and where
it is looked up, never a value.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from urllib.parse import urlsplit

from loguru import logger

from autbot.domain.errors import MissingSecret
from autbot.entrypoints.settings import Settings
from autbot.ports.secret_store import SecretStore

OPENAI_HOSTS = frozenset({"api.openai.com"})


def required_secrets(s: Settings) -> dict[str, str]:
    """Secret name -> why it is required."""
    required = dict.fromkeys(s.secrets.required, "listed in secrets.required")
    if s.llm.backend == "openai" and (urlsplit(s.llm.openai.base_url).hostname or "") in OPENAI_HOSTS:
        required.setdefault(s.llm.openai.api_key_secret, "llm.openai.base_url is OpenAI's API")
    return required


def where(s: Settings, name: str) -> str:
    if s.secrets.backend == "file":
        return f"the file {s.secrets.directory.rstrip('/')}/{name}"
    return f"the environment variable {s.secrets.env_prefix}{name.upper()}"


def check_required_secrets(s: Settings, store: SecretStore) -> None:
    """Raise ``MissingSecret`` naming every required secret that is missing or empty."""
    missing = {name: why for name, why in required_secrets(s).items() if not store.get(name)}
    if not missing:
        return
    lines = "; ".join(f"'{name}' ({why}): set {where(s, name)}" for name, why in sorted(missing.items()))
    raise MissingSecret(f"Missing required secret(s): {lines}.", secrets=sorted(missing))


def refresh_on_sighup(
    store: SecretStore, on_refresh: Callable[[], None] | None = None
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Litestar start-up and shut-down hooks: SIGHUP makes ``store`` forget cached values (it would
    otherwise end a single-process server), then calls ``on_refresh`` (the audit record). With ``--workers``
    the supervisor owns SIGHUP and restarts the workers, which re-reads everything too."""
    import asyncio
    import threading

    installed: list[asyncio.AbstractEventLoop] = []

    def on_hup() -> None:
        store.refresh()
        logger.info("SIGHUP: secrets will be re-read")
        if on_refresh is not None:
            on_refresh()

    def install() -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # an in-process test client: signals are the host's business
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGHUP, on_hup)
        except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - no SIGHUP here
            return
        installed.append(loop)

    def remove() -> None:
        for loop in installed:
            loop.remove_signal_handler(signal.SIGHUP)
        installed.clear()

    return install, remove
