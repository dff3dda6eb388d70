"""Schema versions of AutBot's Redis layouts (keys, sessions), recorded in one Redis key per layout.

``<prefix>schema`` holds the version (absent: 0, the 0.1.0 layout or an empty Redis). A step runs as one
optimistic transaction: WATCH the version key, check it, then MULTI with the step's commands and the new
version. A replica that migrated first makes the other's EXEC fail, and that one then finds nothing to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from autbot.domain.errors import DependencyUnavailable


@dataclass(frozen=True, slots=True)
class RedisStep:
    description: str
    run: Callable[[Any, Any], None]
    """``run(client, pipeline)``: read with the client, queue the writes on the (MULTI) pipeline."""


def nothing(client: Any, pipe: Any) -> None:
    """A step that only records its version (the layout is unchanged)."""


class RedisVersions:
    """One Redis layout (a key prefix) as a ``VersionedStore``."""

    def __init__(self, client: Any, *, store: str, prefix: str, steps: Sequence[RedisStep]) -> None:
        self._r = client
        self._store = store
        self._key = f"{prefix}schema"
        self._steps = steps

    @property
    def store(self) -> str:
        return self._store

    @property
    def steps(self) -> list[str]:
        return [s.description for s in self._steps]

    def version(self) -> int:
        return _read(self._r.get(self._key)) if self._reachable() else 0

    def apply(self, step: int) -> bool:
        from redis.exceptions import RedisError, WatchError

        try:
            with self._r.pipeline(transaction=True) as pipe:
                pipe.watch(self._key)
                if _read(pipe.get(self._key)) != step:
                    return False
                pipe.multi()
                self._steps[step].run(self._r, pipe)
                pipe.set(self._key, str(step + 1))
                pipe.execute()
        except WatchError:
            return False
        except RedisError as e:
            raise DependencyUnavailable(f"Could not migrate the {self._store} store in Redis: {e}") from e
        return True

    def _reachable(self) -> bool:
        from redis.exceptions import RedisError

        try:
            self._r.ping()
        except RedisError as e:
            raise DependencyUnavailable(f"Could not read the {self._store} store's version in Redis: {e}") from e
        return True


def _read(value: Any) -> int:
    if value is None:
        return 0
    text = value.decode() if isinstance(value, bytes) else str(value)
    return int(text)
