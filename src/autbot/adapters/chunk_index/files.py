"""Files the embedded store keeps beside Chroma's: the process lock, the write pause and the layout version.

- ``autbot.lock``: held exclusively by the one process serving the directory.
- ``writes.lock`` and ``writes.turnstile``: every write to the store (chunks, keyword index, collections) holds
  a shared lock on ``writes.lock``; ``autbot backup`` (another process) takes both exclusively, so it copies
  the files while no write is under way and new writes wait. Reads never wait. A writer passes the turnstile
  first, so a steady stream of writes cannot keep a backup waiting for ever.
- ``chroma-layout.json``: the schema version of AutBot's conventions inside Chroma (collection names
  ``autbot-<name>``; chunk metadata ``document_id``, ``document_version``, ``position`` beside the caller's keys).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autbot.domain.errors import ConfigurationError, DependencyUnavailable

LAYOUT_STEPS = (
    "record layout version 1: collections 'autbot-<name>', chunk metadata document_id, document_version, "
    "position beside the document's own keys",
)
"""The Chroma layout's steps (``domain.schema_versions``); version 0 is the 0.1.0 layout or an empty directory."""


def exclusive(path: Path) -> Any:
    """Hold an exclusive lock on ``path`` for the life of the process, or refuse to start."""
    handle = open(path, "a+")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        handle.close()
        raise ConfigurationError(
            f"The data directory {path.parent} is in use by another AutBot process. The embedded vector "
            "store is single-process: run one worker per data directory, or configure "
            "index.backend = 'weaviate' to scale out.",
            path=str(path.parent),
        ) from e
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class WritePause:
    """The cross-process write pause of one index directory (see the module docstring)."""

    def __init__(self, index_dir: Path) -> None:
        self._writes = index_dir / "writes.lock"
        self._turnstile = index_dir / "writes.turnstile"

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Held around each write; waits while a backup copies the files."""
        with open(self._turnstile, "a") as gate:
            fcntl.flock(gate, fcntl.LOCK_SH)
        with open(self._writes, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            yield

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No write runs in the serving process (if any) while this is held."""
        with open(self._turnstile, "a") as gate:
            fcntl.flock(gate, fcntl.LOCK_EX)
            with open(self._writes, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                yield


class ChromaLayout:
    """The Chroma layout's version as a ``VersionedStore``: a JSON file replaced atomically."""

    store = "chroma"
    steps = LAYOUT_STEPS

    def __init__(self, index_dir: Path) -> None:
        self._path = index_dir / "chroma-layout.json"

    def version(self) -> int:
        try:
            return int(json.loads(self._path.read_text())["version"])
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DependencyUnavailable(f"Could not read the Chroma layout version at {self._path}: {e}") from e

    def apply(self, step: int) -> bool:
        if self.version() != step:
            return False
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}")
        try:
            with open(tmp, "w") as f:
                json.dump({"version": step + 1}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        except OSError as e:
            raise DependencyUnavailable(f"Could not record the Chroma layout version at {self._path}: {e}") from e
        return True
