"""The BlobStore contract: bytes by key, durable once put, removed per job. Fake and every adapter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from autbot.ports.blob_store import BlobStore
from tests.support.fakes import InMemoryBlobStore

JOB = "job_AAAAAAAAAAAAAAAAAAAA"
OTHER = "job_BBBBBBBBBBBBBBBBBBBB"


@pytest.fixture(params=["memory", "files", pytest.param("redis", marks=[pytest.mark.slow, pytest.mark.redis])])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "memory":
        yield InMemoryBlobStore()
    elif request.param == "redis":
        import redis

        from autbot.adapters.jobs.redis.blobs import RedisBlobStore

        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, socket_timeout=2)
        yield RedisBlobStore(client, prefix=f"test:{uuid.uuid4().hex}:")
        client.close()
    else:
        from autbot.adapters.jobs.embedded.blobs import FileBlobStore

        yield FileBlobStore(tmp_path / "blobs")


def test_satisfies_the_protocol(blobs: BlobStore) -> None:
    assert isinstance(blobs, BlobStore)
    assert blobs.health().ok


def test_put_then_get_returns_the_same_bytes(blobs: BlobStore) -> None:
    data = bytes(range(256)) * 10
    blobs.put(f"{JOB}/0", data)
    blobs.put(f"{JOB}/empty", b"")
    assert blobs.get(f"{JOB}/0") == data
    assert blobs.get(f"{JOB}/empty") == b""


def test_a_missing_key_is_none(blobs: BlobStore) -> None:
    assert blobs.get(f"{JOB}/nothing") is None


def test_put_replaces(blobs: BlobStore) -> None:
    blobs.put(f"{JOB}/0", b"one")
    blobs.put(f"{JOB}/0", b"two")
    assert blobs.get(f"{JOB}/0") == b"two"


def test_delete_job_removes_that_jobs_blobs_only(blobs: BlobStore) -> None:
    blobs.put(f"{JOB}/0", b"a")
    blobs.put(f"{JOB}/1", b"b")
    blobs.put(f"{OTHER}/0", b"c")
    blobs.delete_job(JOB)
    blobs.delete_job("job_CCCCCCCCCCCCCCCCCCCC")  # none: no error
    assert blobs.get(f"{JOB}/0") is None
    assert blobs.get(f"{JOB}/1") is None
    assert blobs.get(f"{OTHER}/0") == b"c"
