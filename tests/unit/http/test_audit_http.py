"""The audit trail over HTTP: one record per audited call, ``GET /v1/audit`` for admin only, filters and pages,
and nothing secret in any record."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from autbot.adapters.audit.memory import InMemoryAuditLog
from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain.audit import AuditAction, AuditQuery
from autbot.entrypoints.http.middleware.audit import AUDIT
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.app_client import AppClient, app_client

SECRET_TEXT = "the-launch-code-is-SWORDFISH-7731"
QUESTION = "What is the launch code of project nightingale?"


@dataclass
class World:
    client: AppClient
    log: InMemoryAuditLog
    keys: dict[str, str]  # scope -> key
    ids: dict[str, str]  # scope -> key id

    def headers(self, scope: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}"}

    def records(self) -> list[Any]:
        return self.log.query(AuditQuery(limit=500)).records


@pytest.fixture
def world() -> Iterator[World]:
    store, log = InMemoryKeyStore(), InMemoryAuditLog()
    create = CreateKey(keys=store).execute
    made = {s: create(CreateKeyRequest(name=s, scopes=(s,))) for s in ("query", "ingest", "admin")}
    with app_client(overrides={"key_store": store, "audit_log": log}) as client:
        yield World(client, log, {s: m.key for s, m in made.items()}, {s: m.record.key_id for s, m in made.items()})


def seed(w: World) -> str:
    """Collection kb with document d1, a golden set, and a session of the query key over it; returns the session
    id."""
    docs = {"documents": [{"id": "d1", "text": f"Some words. {SECRET_TEXT}"}]}
    assert w.client.post("/v1/collections/kb/documents", json=docs, headers=w.headers()).status_code == 201
    golden = {"queries": [{"id": "q1", "text": "words"}], "qrels": {"q1": {"d1": 1}}}
    assert w.client.put("/v1/collections/kb/golden-set", json=golden, headers=w.headers()).status_code < 300
    r = w.client.post("/v1/sessions", json={"collection": "kb"}, headers=w.headers("query"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@dataclass(frozen=True)
class Call:
    action: AuditAction
    method: str
    path: str
    scope: str = "admin"
    json: dict[str, Any] | None = None
    files: bool = False
    collection: str | None = "kb"
    document_ids: tuple[str, ...] = ()


CALLS = [
    Call(
        AuditAction.DOCUMENTS_INGEST,
        "POST",
        "/v1/collections/kb/documents",
        "ingest",
        json={"documents": [{"id": "d2", "text": SECRET_TEXT}]},
        document_ids=("d2",),
    ),
    Call(AuditAction.FILES_INGEST, "POST", "/v1/collections/kb/files", "ingest", files=True, document_ids=("n.txt",)),
    Call(AuditAction.DOCUMENT_DELETE, "DELETE", "/v1/collections/kb/documents/d1", "ingest", document_ids=("d1",)),
    Call(AuditAction.COLLECTION_DELETE, "DELETE", "/v1/collections/kb"),
    Call(
        AuditAction.GOLDEN_SET_PUT,
        "PUT",
        "/v1/collections/kb/golden-set",
        "ingest",
        json={"queries": [{"id": "q1", "text": "words"}], "qrels": {"q1": {"d1": 1}}},
    ),
    Call(AuditAction.EVALUATION_RUN, "POST", "/v1/collections/kb/evaluations", "ingest", json={}),
    Call(AuditAction.SESSION_CREATE, "POST", "/v1/sessions", "query", json={"collection": "kb"}),
    Call(AuditAction.SESSION_DELETE, "DELETE", "/v1/sessions/{sid}", "query", collection=None),
    Call(
        AuditAction.SESSION_MESSAGE,
        "POST",
        "/v1/sessions/{sid}/messages",
        "query",
        json={"question": QUESTION},
        collection=None,
    ),
    Call(AuditAction.METRICS_READ, "GET", "/metrics", collection=None),
    Call(AuditAction.AUDIT_READ, "GET", "/v1/audit", collection=None),
]


def send(w: World, call: Call, sid: str, scope: str | None = None, **extra: str) -> Any:
    kwargs: dict[str, Any] = {"headers": w.headers(scope or call.scope) | extra}
    if call.json is not None:
        kwargs["json"] = call.json
    if call.files:
        kwargs["files"] = {"files": ("n.txt", io.BytesIO(f"Uploaded. {SECRET_TEXT}".encode()), "text/plain")}
    return w.client.request(call.method, call.path.format(sid=sid), **kwargs)


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.action.value)
def test_each_audited_call_writes_exactly_one_record(world: World, call: Call) -> None:
    sid = seed(world)
    before = len(world.records())
    r = send(world, call, sid, **{"X-Request-ID": "rid-under-test"})
    assert r.status_code < 300, r.text
    new = world.records()[: len(world.records()) - before]
    assert len(new) == 1, new
    rec = new[0]
    assert rec.action == call.action
    assert rec.actor == f"key:{world.ids[call.scope]}"
    assert rec.outcome == "ok"
    assert rec.collection == call.collection
    assert set(call.document_ids) <= set(rec.document_ids)
    assert rec.request_id == "rid-under-test" == r.headers["x-request-id"]
    assert rec.client
    assert rec.target == (f"session:{sid}" if "{sid}" in call.path else None)


@pytest.mark.parametrize("call", CALLS[:4], ids=lambda c: c.action.value)
def test_a_refused_call_writes_one_record_with_its_error_code(world: World, call: Call) -> None:
    sid = seed(world)
    before = len(world.records())
    r = send(world, call, sid, scope="query")  # a query key may not ingest, delete or read metrics
    assert r.status_code == 403
    new = world.records()[: len(world.records()) - before]
    assert [(x.action, x.outcome, x.actor) for x in new] == [(call.action, "forbidden", f"key:{world.ids['query']}")]


def test_a_missing_document_is_recorded_with_its_code(world: World) -> None:
    seed(world)
    r = world.client.delete("/v1/collections/kb/documents/nope", headers=world.headers("ingest"))
    assert r.status_code == 404
    rec = world.records()[0]
    assert (rec.action, rec.outcome, rec.document_ids) == (AuditAction.DOCUMENT_DELETE, "document_not_found", ("nope",))


def test_reads_and_searches_write_nothing(world: World) -> None:
    sid = seed(world)
    before = len(world.records())
    h = world.headers()
    world.client.get("/v1/collections", headers=h)
    world.client.get("/v1/collections/kb/documents/d1", headers=h)
    world.client.post("/v1/collections/kb/search", json={"query": "words"}, headers=h)
    world.client.get(f"/v1/sessions/{sid}", headers=h)
    world.client.get("/health")
    assert len(world.records()) == before


def test_a_reader_without_admin_gets_403(world: World) -> None:
    for scope in ("query", "ingest"):
        r = world.client.get("/v1/audit", headers=world.headers(scope))
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"
    assert world.client.get("/v1/audit").status_code == 401


def test_the_response_has_the_exact_form(world: World) -> None:
    seed(world)
    body = world.client.get("/v1/audit", headers=world.headers()).json()
    assert set(body) == {"records", "total"}
    first = body["records"][0]
    required = {"time", "actor", "action", "collection", "document_ids", "outcome", "request_id"}
    assert required <= set(first)
    assert first["time"].endswith("Z")


def test_filters_and_pages(world: World) -> None:
    seed(world)
    for i in range(4):
        world.client.post(
            "/v1/collections/other/documents",
            json={"documents": [{"id": f"o{i}", "text": "Other words."}]},
            headers=world.headers("ingest"),
        )

    def get(**params: Any) -> Any:
        r = world.client.get("/v1/audit", params=params, headers=world.headers())
        assert r.status_code == 200, r.text
        return r.json()

    page = get(action="documents.ingest", collection="other", limit=3)
    assert page["total"] == 4
    assert len(page["records"]) == 3
    rest = get(action="documents.ingest", collection="other", limit=3, offset=3)
    ids = [r["document_ids"][0] for r in page["records"] + rest["records"]]
    assert ids == ["o3", "o2", "o1", "o0"]  # newest first, each once
    assert get(actor=f"key:{world.ids['ingest']}")["total"] == 4
    assert get(since="2999-01-01T00:00:00Z")["total"] == 0
    assert get(since="2000-01-01", action="session.create")["total"] == 1


@pytest.mark.parametrize(
    "params", [{"action": "nope"}, {"since": "yesterday"}, {"limit": "0"}, {"limit": "100000"}, {"offset": "-1"}]
)
def test_bad_filters_are_400(world: World, params: dict[str, str]) -> None:
    r = world.client.get("/v1/audit", params=params, headers=world.headers())
    assert r.status_code == 400, r.text


def test_no_record_holds_text_questions_or_keys(world: World) -> None:
    sid = seed(world)
    for call in CALLS:
        send(world, call, sid)
    dumped = json.dumps(world.client.get("/v1/audit?limit=500", headers=world.headers()).json())
    assert len(world.records()) >= len(CALLS)
    for secret in (SECRET_TEXT, "SWORDFISH", QUESTION, "nightingale", *world.keys.values()):
        assert secret not in dumped


def test_every_state_changing_route_declares_its_audit_action(world: World) -> None:
    """Each POST, PUT, PATCH and DELETE route says what it is audited as (``audit=None``: changes nothing,
    like a search), and each admin route names an action: a new route cannot forget the audit trail."""
    app = world.client.app
    seen: list[str] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            methods = set(getattr(handler, "http_methods", ())) - {"GET", "HEAD", "OPTIONS"}
            name = f"{sorted(handler.http_methods)} {route.path}"
            if methods:
                assert AUDIT in handler.opt, f"{name} declares no audit action"
                seen.append(name)
            if handler.opt.get("scope") == "admin":
                assert isinstance(handler.opt.get(AUDIT), AuditAction), f"admin route {name} is not audited"
    assert len(seen) >= 9


def test_audit_actions_each_have_a_route_or_a_cli_command() -> None:
    http = {c.action for c in CALLS}
    cli = {AuditAction.KEY_CREATE, AuditAction.KEY_REVOKE, AuditAction.KEYS_LIST}
    signals = {AuditAction.SECRETS_REFRESH}
    jobs = {AuditAction.JOB_SUBMIT, AuditAction.JOB_CANCEL}  # test_a_job_and_its_cancel_write_one_record_each
    # test_reindex_http.test_a_reindex_with_a_passing_gate_switches_and_one_call_rolls_back
    generations = {AuditAction.COLLECTION_REINDEX, AuditAction.GENERATION_ACTIVATE, AuditAction.COLLECTION_ROLLBACK}
    assert http | cli | signals | jobs | generations == set(AuditAction)


def test_a_job_and_its_cancel_write_one_record_each(world: World) -> None:
    seed(world)
    before = len(world.records())
    docs = {"documents": [{"id": "j1", "text": "Words for a job."}]}
    r = world.client.post("/v1/collections/kb/jobs", json=docs, headers=world.headers("ingest"))
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    world.client.delete(f"/v1/jobs/{job_id}", headers=world.headers("ingest"))  # whatever state it reached
    new = world.records()[: len(world.records()) - before]
    assert sorted(x.action for x in new) == [AuditAction.JOB_CANCEL, AuditAction.JOB_SUBMIT]
    assert all(x.actor == f"key:{world.ids['ingest']}" for x in new)


def test_a_job_with_access_lists_is_audited_with_its_document_ids(world: World) -> None:
    seed(world)
    before = len(world.records())
    docs = {"documents": [{"id": "j2", "text": "Secret words.", "access": {"groups": ["finance"]}}]}
    r = world.client.post("/v1/collections/kb/jobs", json=docs, headers=world.headers("ingest"))
    assert r.status_code == 202, r.text
    new = world.records()[: len(world.records()) - before]
    assert [x.action for x in new] == [AuditAction.JOB_SUBMIT]
    assert "Secret" not in repr(new)  # never document text
