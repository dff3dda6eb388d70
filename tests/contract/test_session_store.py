"""The SessionStore contract: the fake, the embedded SQLite store and a real Redis all pass it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest

from autbot.domain.answers import Citation
from autbot.domain.errors import SessionStoreUnavailable
from autbot.domain.model import Chunk, SearchHit
from autbot.domain.sessions import Session, SessionMessage, new_session_id
from autbot.ports.session_store import SessionStore

TTL_S = 3600.0
MAX_MESSAGES = 4


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Iterator[SessionStore]:
    if request.param == "memory":
        from autbot.adapters.sessions.memory import InMemorySessionStore

        yield InMemorySessionStore(ttl_s=TTL_S, max_messages=MAX_MESSAGES, clock=clock)
    elif request.param == "sqlite":
        from autbot.adapters.sessions.sqlite import SqliteSessionStore

        sqlite = SqliteSessionStore(tmp_path / "sessions.sqlite3", ttl_s=TTL_S, max_messages=MAX_MESSAGES, clock=clock)
        yield sqlite
        sqlite.close()
    else:
        import redis

        from autbot.adapters.sessions.redis import RedisSessionStore

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, socket_timeout=0.5)
        prefix = f"test:{uuid.uuid4().hex}:"
        yield RedisSessionStore(client, prefix=prefix, ttl_s=TTL_S, max_messages=MAX_MESSAGES, clock=clock)
        client.close()


def session(owner: str, now: float, *, collection: str = "kb", title: str | None = "Trip") -> Session:
    return Session(id=new_session_id(), owner=owner, collection=collection, title=title, created_at=now, updated_at=now)


def message(role: Literal["user", "assistant"], text: str, now: float, *, cite: bool = False) -> SessionMessage:
    chunk = Chunk(
        id="eiffel#v1#0",
        document_id="eiffel",
        document_version="v1",
        text="330 m",
        position=0,
        metadata={"lang": "en", "year": 1889},
    )
    citations = (Citation(n=1, hit=SearchHit(chunk=chunk, score=0.75)),) if cite else ()
    return SessionMessage(role=role, content=text, created_at=now, citations=citations)


def test_satisfies_the_protocol(store: SessionStore) -> None:
    assert isinstance(store, SessionStore)
    assert store.health().ok


def test_create_get_append_keeps_messages_and_citations_in_order(store: SessionStore, clock: Clock) -> None:
    s = session("alice", clock.now)
    store.create(s)
    got = store.get(s.id)
    assert got is not None
    assert (got.owner, got.collection, got.title, got.messages, got.message_count) == ("alice", "kb", "Trip", (), 0)
    clock.now += 10
    turn = (message("user", "How tall?", clock.now), message("assistant", "330 m [1].", clock.now, cite=True))
    assert store.append(s.id, turn, now=clock.now)
    got = store.get(s.id)
    assert got is not None
    assert got.messages == turn  # citations stored whole: chunk, score, metadata
    assert (got.updated_at, got.created_at, got.message_count) == (clock.now, s.created_at, 2)
    assert store.get("sess_nothing") is None
    assert not store.append("sess_nothing", turn, now=clock.now)


def test_a_session_keeps_its_latest_messages_only(store: SessionStore, clock: Clock) -> None:
    s = session("alice", clock.now)
    store.create(s)
    for i in range(3):
        store.append(
            s.id, (message("user", f"q{i}", clock.now), message("assistant", f"a{i}", clock.now)), now=clock.now
        )
    got = store.get(s.id)
    assert got is not None
    assert [m.content for m in got.messages] == ["q1", "a1", "q2", "a2"]  # MAX_MESSAGES = 4


def test_list_is_per_owner_most_recent_first_without_messages(store: SessionStore, clock: Clock) -> None:
    first, second, other = session("alice", clock.now), session("alice", clock.now + 1), session("bob", clock.now)
    for s in (first, second, other):
        store.create(s)
    clock.now += 5
    store.append(first.id, (message("user", "hello", clock.now),), now=clock.now)
    listed = store.list("alice", limit=10)
    assert [s.id for s in listed] == [first.id, second.id]
    assert listed[0].messages == ()
    assert listed[0].message_count == 1
    assert [s.id for s in store.list("alice", limit=1)] == [first.id]
    assert [s.id for s in store.list("bob", limit=10)] == [other.id]
    assert store.list("carol", limit=10) == []


def test_delete(store: SessionStore, clock: Clock) -> None:
    s = session("alice", clock.now, title=None)
    store.create(s)
    got = store.get(s.id)
    assert got is not None
    assert got.title is None
    assert store.delete(s.id)
    assert not store.delete(s.id)
    assert store.get(s.id) is None
    assert store.list("alice", limit=10) == []


def test_an_unused_session_expires_and_a_write_renews_it(store: SessionStore, clock: Clock) -> None:
    kept, dropped = session("alice", clock.now), session("alice", clock.now)
    store.create(kept)
    store.create(dropped)
    clock.now += TTL_S - 10
    assert store.append(kept.id, (message("user", "still here", clock.now),), now=clock.now)
    clock.now += 20  # dropped was last written TTL_S + 10 s ago; kept 20 s ago
    assert store.get(dropped.id) is None
    assert not store.append(dropped.id, (message("user", "too late", clock.now),), now=clock.now)
    assert [s.id for s in store.list("alice", limit=10)] == [kept.id]
    assert store.get(kept.id) is not None


def test_sqlite_store_is_private_and_reports_failure(tmp_path: Path) -> None:
    from autbot.adapters.sessions.sqlite import SqliteSessionStore

    store = SqliteSessionStore(tmp_path / "s.sqlite3")
    assert (tmp_path / "s.sqlite3").stat().st_mode & 0o077 == 0  # owner-only
    store.close()
    assert not store.health().ok
    with pytest.raises(SessionStoreUnavailable):
        store.get("sess_x")


@pytest.mark.slow
@pytest.mark.redis
def test_redis_store_down_is_session_store_unavailable() -> None:
    import redis

    from autbot.adapters.sessions.redis import RedisSessionStore
    from tests.support.processes import free_port

    client = redis.Redis(host="127.0.0.1", port=free_port(), socket_timeout=0.2, socket_connect_timeout=0.2)
    store = RedisSessionStore(client)
    with pytest.raises(SessionStoreUnavailable) as e:
        store.list("alice", limit=5)
    assert e.value.code == "session_store_unavailable"
    assert not store.health().ok


def test_transfer_re_owns_the_sessions_created_in_a_time_range(store: SessionStore, clock: Clock) -> None:
    early, middle, late = (session("alice", clock.now + t) for t in (0, 10, 20))
    other = session("bob", clock.now + 10)
    for s in (early, middle, late, other):
        store.create(s)
    assert store.transfer("alice", "key:k1", created_from=clock.now + 5, created_until=clock.now + 20) == 1
    assert [s.id for s in store.list("key:k1", limit=10)] == [middle.id]
    assert {s.id for s in store.list("alice", limit=10)} == {early.id, late.id}
    got = store.get(middle.id)
    assert got is not None
    assert got.owner == "key:k1"
    assert store.transfer("alice", "key:k2", created_from=clock.now + 20, created_until=None) == 1  # no end
    assert [s.id for s in store.list("key:k2", limit=10)] == [late.id]
    assert store.transfer("alice", "key:k2", created_from=clock.now + 20, created_until=None) == 0  # idempotent
    assert [s.id for s in store.list("bob", limit=10)] == [other.id]


def test_create_keeps_at_most_max_live_sessions_per_owner(store: SessionStore, clock: Clock) -> None:
    first, second = session("alice", clock.now), session("alice", clock.now + 1)
    assert store.create(first, max_live=2)
    assert store.create(second, max_live=2)
    third = session("alice", clock.now + 2)
    assert not store.create(third, max_live=2)
    assert store.get(third.id) is None  # nothing stored
    assert store.create(session("bob", clock.now), max_live=2)  # each owner its own cap
    assert store.delete(first.id)
    assert store.create(third, max_live=2)  # a deleted one frees a place
    clock.now += TTL_S + 3  # both expire
    assert store.create(session("alice", clock.now), max_live=2)
    assert store.create(session("alice", clock.now), max_live=2)
    assert len(store.list("alice", limit=10)) == 2


def test_the_cap_holds_under_concurrent_creations(store: SessionStore, clock: Clock) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda _: store.create(session("carol", clock.now), max_live=3), range(12)))
    assert sum(created) == 3
    assert len(store.list("carol", limit=20)) == 3
