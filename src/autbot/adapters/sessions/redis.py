"""Sessions in Redis: shared by every replica of a scale-out deployment.

Layout (prefix ``autbot:sessions:``): a hash per session (``s:<id>``: owner, collection, title, times), a
list of its messages as JSON (``m:<id>``, trimmed to the cap on every append) and a sorted set of each
owner's session ids by last update (``owner:<owner>``); the layout's schema version is ``schema``. Every
key expires after the time to live, renewed on each write, so Redis itself drops abandoned sessions; reads also
treat a session older than the time to live as gone. Appends are optimistic transactions (WATCH on the session
hash), so a concurrent delete wins cleanly; creations too (WATCH on the owner's set), so that a cap on live
sessions holds under concurrent creations.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from autbot.adapters.redis_versions import RedisStep, RedisVersions, nothing
from autbot.adapters.sessions.codec import dump_message, load_message
from autbot.domain import limits
from autbot.domain.errors import AutbotError, SessionStoreUnavailable
from autbot.domain.model import HealthStatus
from autbot.domain.sessions import Session, SessionMessage

T = TypeVar("T")


PREFIX = "autbot:sessions:"
MIGRATIONS = (RedisStep("record schema version 1 (the layout above, under 'autbot:sessions:')", nothing),)
"""The session layout's steps (``domain.schema_versions``); version 0 is the 0.1.0 layout or an empty Redis."""


def redis_session_versions(client: Any, *, prefix: str = PREFIX) -> RedisVersions:
    """The session layout's schema version (``<prefix>schema``)."""
    return RedisVersions(client, store="sessions", prefix=prefix, steps=MIGRATIONS)


class RedisSessionStore:
    def __init__(
        self,
        client: Any,
        *,
        ttl_s: float = limits.SESSION_TTL_S,
        max_messages: int = limits.SESSION_MAX_MESSAGES,
        prefix: str = PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._r = client
        self._p = prefix
        self._ttl_s = ttl_s
        self._expire = max(1, math.ceil(ttl_s))
        self._max = max_messages
        self._clock = clock

    def _live(self, fields: dict[str, str]) -> bool:
        return bool(fields) and float(fields["updated_at"]) + self._ttl_s > self._clock()

    def create(self, session: Session, *, max_live: int | None = None) -> bool:
        import redis

        skey, okey = f"{self._p}s:{session.id}", f"{self._p}owner:{session.owner}"

        def run() -> bool:
            for _ in range(5):
                with self._r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(okey)  # the owner's set: a concurrent create makes this one try again
                        cutoff = self._clock() - self._ttl_s
                        if max_live is not None and pipe.zcount(okey, f"({cutoff!r}", "+inf") >= max_live:
                            pipe.unwatch()
                            return False
                        pipe.multi()
                        pipe.hset(skey, mapping=_fields(session))
                        pipe.expire(skey, self._expire)
                        pipe.zadd(okey, {session.id: session.updated_at})
                        pipe.zremrangebyscore(okey, "-inf", cutoff)
                        pipe.expire(okey, self._expire)
                        pipe.execute()
                        return True
                    except redis.WatchError:
                        continue
            raise SessionStoreUnavailable("Sessions of this key changed too often while one was created; try again.")

        return self._call(run)

    def get(self, session_id: str) -> Session | None:
        def run() -> Session | None:
            pipe = self._r.pipeline(transaction=False)
            pipe.hgetall(f"{self._p}s:{session_id}")
            pipe.lrange(f"{self._p}m:{session_id}", 0, -1)
            raw, bodies = pipe.execute()
            fields = _texts(raw)
            if not self._live(fields):
                return None
            messages = tuple(load_message(b) for b in bodies)
            return _session(session_id, fields, len(messages), messages)

        return self._call(run)

    def list(self, owner: str, *, limit: int) -> list[Session]:
        def run() -> list[Session]:
            okey = f"{self._p}owner:{owner}"
            self._r.zremrangebyscore(okey, "-inf", self._clock() - self._ttl_s)
            ids = [_text(i) for i in self._r.zrevrange(okey, 0, max(0, limit - 1))]
            pipe = self._r.pipeline(transaction=False)
            for sid in ids:
                pipe.hgetall(f"{self._p}s:{sid}")
                pipe.llen(f"{self._p}m:{sid}")
            found = pipe.execute()
            out = []
            for i, sid in enumerate(ids):
                fields = _texts(found[2 * i])
                if self._live(fields) and fields.get("owner") == owner:
                    out.append(_session(sid, fields, int(found[2 * i + 1])))
            return out

        return self._call(run)

    def append(self, session_id: str, messages: Sequence[SessionMessage], *, now: float) -> bool:
        import redis

        skey, mkey = f"{self._p}s:{session_id}", f"{self._p}m:{session_id}"
        bodies = [dump_message(m) for m in messages]

        def run() -> bool:
            for _ in range(5):
                with self._r.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(skey)
                        fields = _texts(pipe.hgetall(skey))
                        if not self._live(fields):
                            pipe.unwatch()
                            return False
                        okey = f"{self._p}owner:{fields['owner']}"
                        pipe.multi()
                        pipe.rpush(mkey, *bodies)
                        pipe.ltrim(mkey, -self._max, -1)
                        pipe.hset(skey, "updated_at", repr(now))
                        pipe.zadd(okey, {session_id: now})
                        for key in (skey, mkey, okey):
                            pipe.expire(key, self._expire)
                        pipe.execute()
                        return True
                    except redis.WatchError:
                        continue
            raise SessionStoreUnavailable("The session changed too often while a message was added; try again.")

        return self._call(run)

    def transfer(self, owner: str, new_owner: str, *, created_from: float, created_until: float | None) -> int:
        until = math.inf if created_until is None else created_until

        def run() -> int:
            old, new = f"{self._p}owner:{owner}", f"{self._p}owner:{new_owner}"
            ids = [_text(i) for i in self._r.zrange(old, 0, -1)]
            pipe = self._r.pipeline(transaction=False)
            for sid in ids:
                pipe.hgetall(f"{self._p}s:{sid}")
            moving = {}
            for sid, raw in zip(ids, pipe.execute(), strict=True):
                f = _texts(raw)
                if self._live(f) and f["owner"] == owner and created_from <= float(f["created_at"]) < until:
                    moving[sid] = float(f["updated_at"])
            if moving:
                pipe = self._r.pipeline(transaction=True)
                for sid in moving:
                    pipe.hset(f"{self._p}s:{sid}", "owner", new_owner)
                pipe.zadd(new, moving)
                pipe.zrem(old, *moving)
                pipe.expire(new, self._expire)
                pipe.execute()
            return len(moving)

        return self._call(run)

    def delete(self, session_id: str) -> bool:
        def run() -> bool:
            skey = f"{self._p}s:{session_id}"
            owner = self._r.hget(skey, "owner")
            pipe = self._r.pipeline(transaction=True)
            pipe.delete(skey, f"{self._p}m:{session_id}")
            if owner is not None:
                pipe.zrem(f"{self._p}owner:{_text(owner)}", session_id)
            return bool(pipe.execute()[0])

        return self._call(run)

    def health(self) -> HealthStatus:
        try:
            self._call(self._r.ping)
        except SessionStoreUnavailable as e:
            return HealthStatus(ok=False, detail=e.message)
        return HealthStatus(ok=True, detail="redis sessions")

    def _call(self, fn: Callable[[], T]) -> T:
        import redis

        try:
            return fn()
        except AutbotError:
            raise
        except redis.RedisError as e:
            raise SessionStoreUnavailable(f"The session store (Redis) failed: {type(e).__name__}") from e


def _fields(s: Session) -> dict[str, str]:
    return {
        "owner": s.owner,
        "collection": s.collection,
        "title": "" if s.title is None else s.title,
        "has_title": "1" if s.title is not None else "0",
        "created_at": repr(s.created_at),
        "updated_at": repr(s.updated_at),
    }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _texts(raw: dict[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in (raw or {}).items()}


def _session(session_id: str, f: dict[str, str], count: int, messages: tuple[SessionMessage, ...] = ()) -> Session:
    return Session(
        id=session_id,
        owner=f["owner"],
        collection=f["collection"],
        title=f["title"] if f.get("has_title") == "1" else None,
        created_at=float(f["created_at"]),
        updated_at=float(f["updated_at"]),
        messages=messages,
        message_count=count,
    )
