"""API keys in Redis: shared by every replica of a scale-out deployment.

Layout (prefix ``autbot:keys:``): one hash per key id (``k:<id>``), the active key id of each name
(``name:<name>``, set with NX so two replicas cannot both create one name), the set of every id
(``all``) and of active ids (``active``), and the layout's schema version (``schema``). Never a key in clear:
only its salted hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from autbot.adapters.redis_versions import RedisStep, RedisVersions, nothing
from autbot.domain.auth import ApiKey, Scope
from autbot.domain.errors import AutbotError, Conflict, KeyStoreUnavailable
from autbot.domain.model import HealthStatus

T = TypeVar("T")


PREFIX = "autbot:keys:"
MIGRATIONS = (RedisStep("record schema version 1 (the layout above, under 'autbot:keys:')", nothing),)
"""The key layout's steps (``domain.schema_versions``); version 0 is the 0.1.0 layout or an empty Redis."""


def redis_key_versions(client: Any, *, prefix: str = PREFIX) -> RedisVersions:
    """The key layout's schema version (``<prefix>schema``)."""
    return RedisVersions(client, store="keys", prefix=prefix, steps=MIGRATIONS)


class RedisKeyStore:
    def __init__(self, client: Any, *, prefix: str = PREFIX) -> None:
        self._r = client
        self._p = prefix

    def add(self, key: ApiKey) -> None:
        def run() -> None:
            if not self._r.set(f"{self._p}name:{key.name}", key.key_id, nx=True):
                raise Conflict(f"An active key named '{key.name}' exists; revoke it first.", name=key.name)
            pipe = self._r.pipeline(transaction=True)
            pipe.hset(f"{self._p}k:{key.key_id}", mapping=_fields(key))
            pipe.sadd(f"{self._p}all", key.key_id)
            pipe.sadd(f"{self._p}active", key.key_id)
            pipe.execute()

        self._call(run)

    def get(self, key_id: str) -> ApiKey | None:
        fields = self._call(lambda: self._r.hgetall(f"{self._p}k:{key_id}"))
        return _key(fields) if fields else None

    def list(self) -> list[ApiKey]:
        def run() -> list[ApiKey]:
            ids = sorted(self._r.smembers(f"{self._p}all"))
            pipe = self._r.pipeline(transaction=False)
            for key_id in ids:
                pipe.hgetall(f"{self._p}k:{_text(key_id)}")
            return [_key(f) for f in pipe.execute() if f]

        return sorted(self._call(run), key=lambda k: (k.created_at, k.name))

    def revoke(self, name: str, *, now: float) -> bool:
        def run() -> bool:
            key_id = self._r.getdel(f"{self._p}name:{name}")
            if key_id is None:
                return False
            key_id = _text(key_id)
            pipe = self._r.pipeline(transaction=True)
            pipe.hset(f"{self._p}k:{key_id}", "revoked_at", repr(now))
            pipe.srem(f"{self._p}active", key_id)
            pipe.execute()
            return True

        return self._call(run)

    def has_active_keys(self) -> bool:
        return bool(self._call(lambda: self._r.scard(f"{self._p}active")))

    def health(self) -> HealthStatus:
        try:
            self._call(self._r.ping)
        except KeyStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="redis keys")

    def _call(self, fn: Callable[[], T]) -> T:
        import redis

        try:
            return fn()
        except AutbotError:
            raise
        except redis.RedisError as e:
            raise KeyStoreUnavailable(f"The key store (Redis) failed: {type(e).__name__}") from e


def _fields(key: ApiKey) -> dict[str, str]:
    return {
        "key_id": key.key_id,
        "name": key.name,
        "scopes": json.dumps(sorted(s.value for s in key.scopes)),
        "collections": "null" if key.collections is None else json.dumps(sorted(key.collections)),
        "salt": key.salt,
        "secret_hash": key.secret_hash,
        "created_at": repr(key.created_at),
        "revoked_at": "" if key.revoked_at is None else repr(key.revoked_at),
        "groups": json.dumps(sorted(key.groups)),
    }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _key(raw: dict[Any, Any]) -> ApiKey:
    f = {_text(k): _text(v) for k, v in raw.items()}
    collections = json.loads(f["collections"])
    return ApiKey(
        key_id=f["key_id"],
        name=f["name"],
        scopes=frozenset(Scope(s) for s in json.loads(f["scopes"])),
        collections=None if collections is None else frozenset(collections),
        salt=f["salt"],
        secret_hash=f["secret_hash"],
        created_at=float(f["created_at"]),
        revoked_at=float(f["revoked_at"]) if f.get("revoked_at") else None,
        groups=frozenset(json.loads(f.get("groups") or "[]")),  # a record written before groups existed: none
    )
