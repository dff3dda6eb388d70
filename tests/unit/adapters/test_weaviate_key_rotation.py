"""A rotated Weaviate API key is picked up without a restart: read again at most every
``credentials_recheck_s``, and at once when Weaviate refuses a call's credentials (the call then runs once
more with the new key). A hand-written fake server and client stand in for Weaviate."""

from __future__ import annotations

import pytest

from autbot.adapters.weaviate.connection import WeaviateConnection
from autbot.domain.errors import IndexUnavailable


class Refused(Exception):
    status_code = 401


class FakeWeaviate:
    def __init__(self, *keys: str) -> None:
        self.accepted = set(keys)
        self.clients: list[FakeClient] = []

    def client(self, key: str | None) -> FakeClient:
        c = FakeClient(self, key)
        self.clients.append(c)
        return c


class FakeClient:
    def __init__(self, server: FakeWeaviate, key: str | None) -> None:
        self.server, self.key = server, key
        self.connected = self.closed = False

    def is_connected(self) -> bool:
        return self.connected

    def connect(self) -> None:
        self.connected = True

    def close(self) -> None:
        self.closed = True

    def count(self) -> int:
        if self.key not in self.server.accepted:
            raise Refused("anonymous access not enabled, please provide an auth scheme")
        return 7


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def connection(server: FakeWeaviate, secret: dict[str, str], clock: Clock) -> WeaviateConnection:
    return WeaviateConnection(
        api_key=lambda: secret.get("weaviate_api_key"),
        new_client=server.client,
        credentials_recheck_s=5.0,
        clock=clock,
    )


def test_a_key_rotated_at_the_server_and_the_source_works_on_the_next_call() -> None:
    server, secret, clock = FakeWeaviate("old"), {"weaviate_api_key": "old"}, Clock()
    conn = connection(server, secret, clock)
    assert conn.call(lambda: conn.client.count()) == 7
    server.accepted = {"new"}  # the operator rotates: Weaviate first, then the secret file
    secret["weaviate_api_key"] = "new"
    assert conn.call(lambda: conn.client.count()) == 7  # refused once, key read again, run again
    assert [c.key for c in server.clients] == ["old", "new"]
    assert server.clients[0].closed


def test_a_changed_key_is_read_again_within_the_recheck_interval_without_any_failure() -> None:
    server, secret, clock = FakeWeaviate("old", "new"), {"weaviate_api_key": "old"}, Clock()
    conn = connection(server, secret, clock)
    secret["weaviate_api_key"] = "new"
    conn.call(lambda: conn.client.count())
    assert conn.client.key == "old"  # not yet: at most every credentials_recheck_s
    clock.now += 5.0
    conn.call(lambda: conn.client.count())
    assert conn.client.key == "new"
    assert len(server.clients) == 2


def test_refused_credentials_that_did_not_change_are_an_error_once() -> None:
    server, secret, clock = FakeWeaviate("other"), {"weaviate_api_key": "wrong"}, Clock()
    conn = connection(server, secret, clock)
    with pytest.raises(IndexUnavailable, match="Refused"):
        conn.call(lambda: conn.client.count())
    assert len(server.clients) == 1  # no reconnection loop
