"""Properties over names (collection names, document ids, metadata keys, key names, model names) drawn from
text with newlines, control characters and any Unicode: each is either accepted and round-trips (what is
stored and listed is exactly what was sent) or refused with ``invalid_input`` (an unknown model name is
``model_not_found``, as OpenAI's API says it) with nothing written. And file names: distinct names never map to one
document id, so an upload never silently replaces another file's document."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from autbot.adapters.keys.memory import InMemoryKeyStore
from autbot.domain import limits
from autbot.domain.errors import InvalidInput
from autbot.domain.ids import derive_document_id
from autbot.domain.model import validate_document_id
from autbot.use_cases.keys import CreateKey, CreateKeyRequest
from tests.support.hostile import in_process_client

HOSTILE = st.sampled_from(["\n", "\r\n", "\r", "\x00", "\x1f", "\x7f", "\t", " ", "\u2028", "\x85", "\ufeff"])
ODD = st.sampled_from(["é", "契約書", "/", "%", "?", "#", "&", ".", "..", ":", "@", "_", "-", "A", "~", "+"])
base = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True) | st.from_regex(
    r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,12}", fullmatch=True
)
names = st.one_of(
    st.text(max_size=70),
    base,
    st.tuples(base, HOSTILE | ODD, st.text(max_size=3)).map("".join),
    st.tuples(HOSTILE | ODD, base).map("".join),
    st.text(min_size=60, max_size=140, alphabet="ab-"),
)
RULES = {
    "collection": r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?",
    "document id": r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}",
    "metadata key": r"[A-Za-z_][A-Za-z0-9_]{0,63}",
    "key name": r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}",
}
"""The documented rules, written out again here: an accepted name must match one whole."""
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    with in_process_client() as c:
        yield c


def _p(name: str) -> str:
    return quote(name, safe="")


def _routes_elsewhere(name: str) -> bool:
    """A path segment the URL itself cannot carry (dot segments, empty): the router answers 404 or 405
    before any handler, which also writes nothing."""
    return name in ("", ".", "..")


def _one_segment(name: str) -> bool:
    """``%2F`` reaches the router decoded, as ``/``: such a name is other path segments, not a name (the
    router collapses ``0//documents`` into collection ``0``'s route), so it is left out of the HTTP cases."""
    return "/" not in name


def _collections(c: TestClient[Litestar]) -> Any:
    r = c.get("/v1/collections")
    assert r.status_code == 200, r.text  # never a 503: no circuit opened by anything a client sent
    return r.json()


def _refused(r: Any, name: str, code: str = "invalid_input", status: int = 400) -> None:
    if _routes_elsewhere(name) and r.status_code in (404, 405):
        return
    assert (r.status_code, r.json().get("code")) == (status, code), (name, r.text[:300])


@FUZZ
@given(name=names)
def test_a_collection_name_is_stored_as_sent_or_refused_with_nothing_written(
    client: TestClient[Litestar], name: str
) -> None:
    assume(_one_segment(name))
    before = _collections(client)
    r = client.post(f"/v1/collections/{_p(name)}/documents", json={"documents": [{"id": "d", "text": "hello"}]})
    if r.status_code == 201:
        assert re.fullmatch(RULES["collection"], name), name
        assert name in [c["name"] for c in _collections(client)["collections"]]
        assert client.delete(f"/v1/collections/{_p(name)}").status_code == 204
    else:
        _refused(r, name)
    assert _collections(client) == before


@FUZZ
@given(name=names)
def test_a_document_id_is_stored_as_sent_or_refused_with_nothing_written(
    client: TestClient[Litestar], name: str
) -> None:
    docs = "/v1/collections/fuzz-ids/documents"
    client.post(docs, json={"documents": [{"id": "anchor", "text": "keeps the collection"}]})
    before = client.get(docs).json()
    r = client.post(docs, json={"documents": [{"id": name, "text": "hello"}]})
    if r.status_code == 201:
        assert re.fullmatch(RULES["document id"], name), name
        assert r.json()["documents"][0]["id"] == name
        got = client.get(f"{docs}/{_p(name)}")
        assert (got.status_code, got.json()["id"]) == (200, name)
        assert client.delete(f"{docs}/{_p(name)}").status_code == 204
    else:
        _refused(r, name)
    assert client.get(docs).json() == before


@FUZZ
@given(name=names)
def test_a_metadata_key_is_stored_as_sent_or_refused_with_nothing_written(
    client: TestClient[Litestar], name: str
) -> None:
    docs = "/v1/collections/fuzz-keys/documents"
    client.post(docs, json={"documents": [{"id": "anchor", "text": "keeps the collection"}]})
    before = client.get(docs).json()
    r = client.post(docs, json={"documents": [{"id": "m", "text": "hello", "metadata": {name: 1}}]})
    if r.status_code == 201:
        assert re.fullmatch(RULES["metadata key"], name), name
        assert client.get(f"{docs}/m").json()["metadata"] == {name: 1}
        assert client.delete(f"{docs}/m").status_code == 204
    else:
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input"), (name, r.text[:300])
    assert client.get(docs).json() == before


@FUZZ
@given(name=names, rag=st.booleans())
def test_a_model_name_is_served_or_not_found_with_nothing_written(
    client: TestClient[Litestar], name: str, rag: bool
) -> None:
    model = f"rag:{name}" if rag else name
    before = _collections(client)
    r = client.post("/v1/chat/completions", json={"model": model, "messages": [{"role": "user", "content": "hi"}]})
    existing = {c["name"] for c in before["collections"]}
    if r.status_code == 200:
        assert model in limits.CHAT_ALIASES or (rag and name in existing), model
        assert r.json()["model"] == model
    else:
        refused = (r.status_code, r.json()["error"]["code"])
        not_found = {(404, "model_not_found"), (400, "invalid_input")} | (
            {(404, "collection_not_found")} if rag else set()
        )
        assert refused in not_found, (model, r.text[:300])
    assert _collections(client) == before


@settings(max_examples=200, deadline=None)
@given(name=names)
def test_a_key_name_is_stored_as_sent_or_refused_with_nothing_written(name: str) -> None:
    keys = InMemoryKeyStore()
    try:
        created = CreateKey(keys=keys).execute(CreateKeyRequest(name=name, scopes=("query",)))
    except InvalidInput:
        assert keys.list() == []
    else:
        assert re.fullmatch(RULES["key name"], name), name
        assert created.record.name == name
        assert [k.name for k in keys.list()] == [name]


# --- file names -------------------------------------------------------------------------------------------
file_names = st.one_of(
    st.text(min_size=1, max_size=150),
    st.tuples(base, ODD | HOSTILE, base).map("".join),
    st.tuples(st.sampled_from(["契約書", "請求書", "a b", "a&b", "a-b", "a_b", " a", "a "]), st.just(".txt")).map(
        "".join
    ),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(file_names, min_size=2, max_size=6, unique=True))
def test_distinct_file_names_never_map_to_one_id(sources: list[str]) -> None:
    ids = [derive_document_id(text="same text", source=s) for s in sources]
    assert len(set(ids)) == len(ids), dict(zip(sources, ids, strict=True))
    for i in ids:
        assert validate_document_id(i) == i
    assert ids == [derive_document_id(text="other text", source=s) for s in sources]  # stable: a re-upload updates


def test_names_that_differ_only_in_what_a_slug_drops_stay_apart() -> None:
    for group in (["契約書.txt", "請求書.txt"], ["a b.txt", "a&b.txt", "a-b.txt", "a_b.txt"], ["x" * 130, "x" * 131]):
        ids = [derive_document_id(text="t", source=s) for s in group]
        assert len(set(ids)) == len(ids), ids


@FUZZ
@given(st.lists(file_names, min_size=2, max_size=4, unique=True))
def test_an_upload_of_distinct_file_names_keeps_every_file(client: TestClient[Litestar], sources: list[str]) -> None:
    """One upload: a document per file, never one file replacing another; or a 400 and nothing written."""
    upload = "/v1/collections/fuzz-files/files"
    client.post(upload, files=[("files", ("anchor.txt", b"keeps the collection", "text/plain"))])
    before = client.get("/v1/collections/fuzz-files/documents", params={"limit": 500}).json()
    parts = [("files", (s, f"file {i} says hello".encode(), "text/plain")) for i, s in enumerate(sources)]
    r = client.post(upload, files=parts)
    if r.status_code == 201:
        ids = [d["id"] for d in r.json()["documents"]]
        assert len(set(ids)) == len(sources), (sources, ids)
        for i in ids:
            assert client.delete(f"/v1/collections/fuzz-files/documents/{_p(i)}").status_code == 204
    else:
        assert (r.status_code, r.json()["code"]) == (400, "invalid_input"), (sources, r.text[:300])
    assert client.get("/v1/collections/fuzz-files/documents", params={"limit": 500}).json() == before
