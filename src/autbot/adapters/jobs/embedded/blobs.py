"""A job's inputs as files under the data directory: written to a temporary name, fsync'd, then renamed, so a
blob is either whole or absent after a crash."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from autbot.domain.errors import JobStoreUnavailable
from autbot.domain.model import HealthStatus

_KEY_RE = re.compile(r"(job_[A-Za-z0-9]{20})/([A-Za-z0-9_.-]{1,64})")


class FileBlobStore:
    def __init__(self, directory: str | Path) -> None:
        self._root = Path(directory)
        self._root.mkdir(parents=True, exist_ok=True)

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_name(path.name + ".part")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            _fsync_dir(path.parent)
        except OSError as e:
            raise JobStoreUnavailable(f"Could not store a job's input: {e}") from e

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise JobStoreUnavailable(f"Could not read a job's input: {e}") from e

    def delete_job(self, job_id: str) -> None:
        shutil.rmtree(self._root / job_id, ignore_errors=True)

    def health(self) -> HealthStatus:
        ok = self._root.is_dir() and os.access(self._root, os.W_OK)
        return HealthStatus(ok=ok, detail="" if ok else f"{self._root} is not a writable directory")

    def _path(self, key: str) -> Path:
        m = _KEY_RE.fullmatch(key)
        if m is None:
            raise ValueError(f"Not a blob key: {key!r}")
        return self._root / m.group(1) / m.group(2)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
