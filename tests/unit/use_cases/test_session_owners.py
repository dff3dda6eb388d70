"""Sessions belong to a key's id, never its name: a key re-created with a revoked key's name inherits none of
its sessions; sessions stored under a name before this are re-owned by the key that made them."""

from __future__ import annotations

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.adapters.sessions.memory import InMemorySessionStore
from autbot.domain.sessions import Session, new_session_id
from autbot.use_cases.keys import CreateKey, CreateKeyRequest, RevokeKey, RevokeKeyRequest
from autbot.use_cases.session_owners import AdoptNamedSessions, AdoptNamedSessionsRequest
from tests.support.app_client import app_client

DOC = {"documents": [{"id": "eiffel", "text": "The Eiffel Tower is 330 metres tall."}]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_re_created_with_a_revoked_keys_name_sees_none_of_its_sessions() -> None:
    keys = InMemoryKeyStore()
    first = CreateKey(keys=keys).execute(CreateKeyRequest(name="alice", scopes=("admin",))).key
    with app_client(overrides={"key_store": keys}) as c:
        assert c.post("/v1/collections/kb/documents", json=DOC, headers=bearer(first)).status_code == 201
        created = c.post("/v1/sessions", json={"collection": "kb", "title": "private"}, headers=bearer(first))
        assert created.status_code == 201
        session_id = created.json()["id"]
        RevokeKey(keys=keys).execute(RevokeKeyRequest(name="alice"))
        second = CreateKey(keys=keys).execute(CreateKeyRequest(name="alice", scopes=("admin",))).key
        assert c.get("/v1/sessions", headers=bearer(second)).json()["data"] == []
        assert c.get(f"/v1/sessions/{session_id}", headers=bearer(second)).status_code == 404
        assert c.delete(f"/v1/sessions/{session_id}", headers=bearer(second)).status_code == 404
        mine = c.post("/v1/sessions", json={"collection": "kb"}, headers=bearer(second)).json()["id"]
        assert [s["id"] for s in c.get("/v1/sessions", headers=bearer(second)).json()["data"]] == [mine]


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def legacy(owner: str, at: float) -> Session:
    """A session as stored before owners were key ids: under the key's name."""
    return Session(id=new_session_id(), owner=owner, collection="kb", title=None, created_at=at, updated_at=at)


def test_sessions_stored_under_a_name_go_to_the_key_of_that_name_active_when_they_were_made() -> None:
    clock = Clock(1_000.0)
    keys, store = InMemoryKeyStore(), InMemorySessionStore(clock=clock)
    old = CreateKey(keys=keys, clock=clock).execute(CreateKeyRequest(name="alice", scopes=("query",))).record
    by_old = legacy("alice", 1_010.0)
    clock.now = 1_020.0
    RevokeKey(keys=keys, clock=clock).execute(RevokeKeyRequest(name="alice"))
    new = CreateKey(keys=keys, clock=clock).execute(CreateKeyRequest(name="alice", scopes=("query",))).record
    by_new = legacy("alice", 1_030.0)
    anonymous = legacy("anonymous", 1_005.0)  # an open server's, before any key named anonymous
    clock.now = 1_040.0
    for s in (by_old, by_new, anonymous):
        store.create(s)

    adopt = AdoptNamedSessions(keys=keys, store=store)
    assert adopt.execute(AdoptNamedSessionsRequest()) == 2
    assert [s.id for s in store.list(f"key:{new.key_id}", limit=10)] == [by_new.id]
    assert [s.id for s in store.list(f"key:{old.key_id}", limit=10)] == [by_old.id]  # the revoked key's: unreachable
    assert [s.id for s in store.list("anonymous", limit=10)] == [anonymous.id]
    assert store.list("alice", limit=10) == []
    assert adopt.execute(AdoptNamedSessionsRequest()) == 0  # idempotent: runs at every start
