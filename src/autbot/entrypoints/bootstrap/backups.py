"""``autbot backup`` and ``autbot restore`` for the embedded default (files under ``storage.data_dir``).

Weaviate and Redis are backed up with their own tools (Weaviate's backup module, Redis's RDB/AOF snapshots):
a configuration that keeps its chunks, keys or sessions there is told so rather than half backed up.
"""

from __future__ import annotations

from pathlib import Path

from autbot import __version__
from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.settings import Settings


def back_up(s: Settings, dest: Path) -> dict[str, object]:
    from autbot.adapters.chunk_index import backup

    _embedded_only(s)
    return backup.back_up(Path(s.storage.data_dir), dest, autbot_version=__version__)


def restore(s: Settings, source: Path) -> dict[str, object]:
    from autbot.adapters.chunk_index import backup

    _embedded_only(s)
    data_dir = Path(s.storage.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    return backup.restore(source, data_dir)


def _embedded_only(s: Settings) -> None:
    elsewhere = [
        name
        for name, backend in (
            ("index.backend", s.index.backend),
            ("auth.keys_backend", s.auth.keys_backend),
            ("sessions.backend", s.sessions.backend),
            ("audit.backend", s.audit.backend),
        )
        if backend not in ("chroma", "sqlite", "memory")
    ]
    if elsewhere:
        raise ConfigurationError(
            f"autbot backup and restore cover the embedded default only; {', '.join(elsewhere)} keep data in "
            "Weaviate or Redis: back those up with Weaviate's backup module and Redis's snapshots (BGSAVE).",
            settings=elsewhere,
        )
