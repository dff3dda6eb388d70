"""The AuditLog contract: the in-memory log, the embedded SQLite file and a real Redis all pass it."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.domain.audit import OK, AuditAction, AuditQuery, AuditRecord
from autbot.domain.errors import InvalidInput
from autbot.ports.audit_log import AuditLog


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AuditLog]:
    if request.param == "memory":
        from autbot.adapters.audit.memory import InMemoryAuditLog

        yield InMemoryAuditLog()
    elif request.param == "sqlite":
        from autbot.adapters.audit.sqlite import SqliteAuditLog

        store = SqliteAuditLog(tmp_path / f"audit-{uuid.uuid4().hex}.sqlite3")
        yield store
        store.close()
    else:
        import redis

        from autbot.adapters.audit.redis import RedisAuditLog

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, socket_timeout=0.5)
        yield RedisAuditLog(client, prefix=f"test:{uuid.uuid4().hex}:")
        client.close()


def rec(t: float, *, action: AuditAction = AuditAction.DOCUMENTS_INGEST, **kw: object) -> AuditRecord:
    fields: dict[str, object] = {"actor": "key:abc", "outcome": OK, "collection": "kb"} | kw
    return AuditRecord(time=t, action=action, **fields)  # type: ignore[arg-type]


def test_satisfies_the_protocol(log: AuditLog) -> None:
    assert isinstance(log, AuditLog)
    assert log.health().ok
    assert log.query(AuditQuery()).total == 0


def test_a_record_comes_back_whole(log: AuditLog) -> None:
    r = AuditRecord(
        time=1000.25,
        actor="key:abc123",
        action=AuditAction.DOCUMENT_DELETE,
        outcome="document_not_found",
        collection="kb",
        document_ids=("d1", "d2"),
        target="session:s1",
        request_id="rid-1",
        client="127.0.0.1",
        issuer="https://idp.example",
    )
    log.append(r)
    assert log.query(AuditQuery()).records == [r]


def test_newest_first_and_equal_times_in_append_order_reversed(log: AuditLog) -> None:
    for i, t in enumerate([10.0, 30.0, 20.0, 30.0]):
        log.append(rec(t, request_id=f"r{i}"))
    assert [r.request_id for r in log.query(AuditQuery()).records] == ["r3", "r1", "r2", "r0"]


def test_identical_records_are_both_kept(log: AuditLog) -> None:
    log.append(rec(5.0))
    log.append(rec(5.0))
    assert log.query(AuditQuery()).total == 2


def test_filters_combine(log: AuditLog) -> None:
    log.append(rec(10.0, actor="key:a", collection="kb"))
    log.append(rec(20.0, actor="key:b", collection="kb", action=AuditAction.DOCUMENT_DELETE))
    log.append(rec(30.0, actor="key:a", collection="other", action=AuditAction.DOCUMENT_DELETE))
    log.append(rec(40.0, actor="anonymous", collection=None, action=AuditAction.METRICS_READ))

    def times(**kw: object) -> list[float]:
        return [r.time for r in log.query(AuditQuery(**kw)).records]  # type: ignore[arg-type]

    assert times(actor="key:a") == [30.0, 10.0]
    assert times(action=AuditAction.DOCUMENT_DELETE) == [30.0, 20.0]
    assert times(collection="kb") == [20.0, 10.0]
    assert times(since=20.0) == [40.0, 30.0, 20.0]  # since is inclusive
    assert times(until=30.0) == [20.0, 10.0]  # until is exclusive
    assert times(since=15.0, until=35.0, actor="key:a") == [30.0]
    assert times(actor="nobody") == []


def test_pages_share_one_total(log: AuditLog) -> None:
    for i in range(7):
        log.append(rec(float(i)))
    first = log.query(AuditQuery(limit=3))
    last = log.query(AuditQuery(offset=6, limit=3))
    beyond = log.query(AuditQuery(offset=10, limit=3))
    assert (first.total, last.total, beyond.total) == (7, 7, 7)
    assert [r.time for r in first.records] == [6.0, 5.0, 4.0]
    assert [r.time for r in last.records] == [0.0]
    assert beyond.records == []


def test_prune_drops_only_older_records(log: AuditLog) -> None:
    for t in (1.0, 2.0, 3.0, 4.0):
        log.append(rec(t))
    assert log.prune(3.0) == 2
    assert [r.time for r in log.query(AuditQuery()).records] == [4.0, 3.0]
    assert log.prune(3.0) == 0


def test_pages_are_checked() -> None:
    with pytest.raises(InvalidInput):
        AuditQuery(limit=0)
    with pytest.raises(InvalidInput):
        AuditQuery(offset=-1)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["key:a", "key:b"])), max_size=12), st.integers(1, 5))
def test_paging_walks_every_match_once_memory(entries: list[tuple[int, str]], size: int) -> None:
    """Property (on the in-memory log, the reference the other stores match above): walking the pages of a
    filter yields exactly its matches, newest first."""
    from autbot.adapters.audit.memory import InMemoryAuditLog

    log = InMemoryAuditLog()
    for i, (t, actor) in enumerate(entries):
        log.append(rec(float(t), actor=actor, request_id=str(i)))
    seen: list[AuditRecord] = []
    offset = 0
    while True:
        page = log.query(AuditQuery(actor="key:a", offset=offset, limit=size))
        seen += page.records
        offset += size
        if offset >= page.total:
            break
    expected = [str(i) for i, (_, a) in enumerate(entries) if a == "key:a"]
    assert sorted(r.request_id or "" for r in seen) == sorted(expected)
    assert [r.time for r in seen] == sorted((r.time for r in seen), reverse=True)


def test_sqlite_file_is_owner_only_and_versioned(tmp_path: Path) -> None:
    from autbot.adapters.audit.sqlite import MIGRATIONS, SqliteAuditLog, audit_file_versions

    path = tmp_path / "audit.sqlite3"
    SqliteAuditLog(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    versions = audit_file_versions(path, read_only=True)
    assert versions.version() == len(MIGRATIONS) == 1
    versions.close()


def test_sqlite_refuses_an_unmigrated_file_when_told_not_to_migrate(tmp_path: Path) -> None:
    from autbot.adapters.audit.sqlite import SqliteAuditLog
    from autbot.domain.errors import AutbotError

    with pytest.raises(AutbotError):
        SqliteAuditLog(tmp_path / "audit.sqlite3", migrate=False)
