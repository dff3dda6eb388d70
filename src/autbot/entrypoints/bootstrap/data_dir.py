"""The data directory is private: it holds document text (registry, keyword index, Chroma's files), API key
hashes and conversations, so only the user AutBot runs as may read it.

``private_data_dir`` is what every adapter that writes there (Chroma, the SQLite registry, keys and sessions)
is given, through the container's ``data_dir`` provider, so it runs before the first of them opens a file:

- the process umask becomes ``077``: every file and directory this process creates from then on is
  owner-only (``0600`` / ``0700``), whoever creates it: AutBot, SQLite (``-wal``, ``-shm``, ``-journal``),
  Chroma and hnswlib (segment files made at ingestion);
- the directory is created ``0700``;
- an existing one is tightened on start: the directory itself and AutBot's own entries in it (``index/``
  whole, ``keys.sqlite3*``, ``sessions.sqlite3*``) lose every group and other permission, with one warning
  saying how many entries were changed. Other files an operator keeps there are not touched. An entry that
  cannot be changed (another user's) is named in a warning; start-up goes on.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from loguru import logger

PRIVATE_UMASK = 0o077
OWN_DIRS = ("index",)
OWN_FILES = ("keys.sqlite3", "sessions.sqlite3")
"""What AutBot writes in the data directory (a SQLite file's journals share its name as a prefix)."""
_OPEN_TO_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_data_dir(path: str | Path) -> Path:
    """``path`` made (``0700``) or tightened, with the process umask set to ``077``; returned as a ``Path``."""
    os.umask(PRIVATE_UMASK)
    directory = Path(path)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    changed, refused = 0, []
    for entry in _own_entries(directory):
        try:
            changed += _tighten(entry)
        except OSError as e:
            refused.append(f"{entry} ({e.strerror})")
    if changed:
        logger.warning(
            "The data directory {} was readable by other users: {} entries are now owner-only (0700/0600).",
            directory,
            changed,
        )
    if refused:
        logger.warning(
            "Could not make {} owner-only: {}. Run `chmod -R go-rwx {}` as their owner.",
            ", ".join(refused[:5]),
            "permission denied" if len(refused) <= 5 else f"and {len(refused) - 5} more",
            directory,
        )
    return directory


def _own_entries(directory: Path) -> Iterator[Path]:
    yield directory
    for name in OWN_FILES:
        yield from directory.glob(f"{name}*")
    for name in OWN_DIRS:
        sub = directory / name
        if sub.is_dir() and not sub.is_symlink():
            yield sub
            for root, dirs, files in os.walk(sub):
                yield from (Path(root) / n for n in (*dirs, *files))


def _tighten(entry: Path) -> int:
    """Drop group and other permissions of ``entry`` (not following symlinks); 1 if it changed."""
    mode = entry.lstat().st_mode
    if stat.S_ISLNK(mode) or not mode & _OPEN_TO_OTHERS:
        return 0
    entry.chmod(stat.S_IMODE(mode) & ~_OPEN_TO_OTHERS)
    return 1
