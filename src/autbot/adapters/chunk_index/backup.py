"""Backing up and restoring the embedded default's data directory, consistent while a server serves it.

Every SQLite file (registry, keyword index, keys, sessions, Chroma's own ``chroma.sqlite3``) is copied with
SQLite's online backup API: a consistent snapshot even while it is written. Chroma's other files (its vector
segments) are copied while the write pause is held (``files.WritePause``): the serving process finishes the
write under way and holds new ones until the copy is done; searches go on. The registry is copied inside the
same pause, and a document's chunks are always written before its record, so every document the copied
registry holds has its chunks in the copy; chunks whose record came later are invisible to search, as after
a crash, and are replaced when the document is written again.

A backup is a directory laid out like the data directory, with ``autbot-backup.json`` (the AutBot version and
each store's schema version) beside it. It is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from autbot.adapters.chunk_index.files import WritePause
from autbot.domain.errors import ConfigurationError, DependencyUnavailable

MANIFEST = "autbot-backup.json"
SQLITE_FILES = ("keys.sqlite3", "sessions.sqlite3", "index/registry.sqlite3", "index/keywords.sqlite3")
CHROMA = "index/chroma"
_SKIPPED = ("autbot.lock", "writes.lock", "writes.turnstile")


def back_up(data_dir: Path, dest: Path, *, autbot_version: str) -> dict[str, object]:
    """Copy the data directory's stores into ``dest`` (which must not exist); returns the manifest."""
    if dest.exists():
        raise ConfigurationError(f"The backup destination {dest} exists: give a new path.", path=str(dest))
    if not (data_dir / "index").is_dir():
        raise ConfigurationError(f"No embedded store at {data_dir}: nothing to back up.", path=str(data_dir))
    staging = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    try:
        (staging / "index").mkdir(parents=True)
        with WritePause(data_dir / "index").paused():
            files = [name for name in SQLITE_FILES if _copy_sqlite(data_dir / name, staging / name)]
            _copy_chroma(data_dir / CHROMA, staging / CHROMA)
            _copy_if_present(data_dir / "index" / "chroma-layout.json", staging / "index" / "chroma-layout.json")
        manifest = {"autbot_version": autbot_version, "created_at": time.time(), "sqlite_files": files}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2))
        os.rename(staging, dest)
    except (OSError, sqlite3.Error) as e:
        shutil.rmtree(staging, ignore_errors=True)
        raise DependencyUnavailable(f"The backup to {dest} failed: {e}") from e
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def restore(source: Path, data_dir: Path) -> dict[str, object]:
    """Put a backup in place in a data directory that holds no store yet; returns the backup's manifest."""
    try:
        manifest: dict[str, object] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError) as e:
        raise ConfigurationError(f"{source} is not an AutBot backup (no readable {MANIFEST}): {e}") from e
    entries = [p.name for p in source.iterdir() if p.name != MANIFEST]
    present = [name for name in entries if (data_dir / name).exists()]
    if present:
        raise ConfigurationError(
            f"The data directory {data_dir} already holds {', '.join(sorted(present))}: restore into an empty data "
            "directory (stop the server and move the old one aside first).",
            path=str(data_dir),
        )
    staging = data_dir / f".restore-{os.getpid()}"
    try:
        shutil.copytree(source, staging, ignore=shutil.ignore_patterns(MANIFEST))
        for name in entries:
            os.rename(staging / name, data_dir / name)
    except OSError as e:
        raise DependencyUnavailable(f"Restoring {source} into {data_dir} failed: {e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return manifest


def _copy_sqlite(source: Path, target: Path) -> bool:
    if not source.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(target, source.stat().st_mode & 0o777)
    return True


def _copy_chroma(source: Path, target: Path) -> None:
    if not source.is_dir():
        return
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("chroma.sqlite3*", *_SKIPPED))
    _copy_sqlite(source / "chroma.sqlite3", target / "chroma.sqlite3")


def _copy_if_present(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copy2(source, target)
