"""The HTTP edge with fakes: status codes, problem+json bodies, SSE framing."""

from __future__ import annotations

import json

import httpx
import pytest

from autbot.adapters.llm.fake import ScriptedLanguageModel
from tests.support.app_client import AppClient, app_client, fake_settings
from tests.support.processes import parse_sse


@pytest.fixture
def client(client: AppClient) -> AppClient:
    """The app over fakes (the ``client`` of tests/conftest.py), with two documents in ``kb``."""
    client.post(
        "/v1/collections/kb/documents",
        json={
            "documents": [
                {
                    "id": "eiffel",
                    "title": "Eiffel",
                    "text": "The Eiffel Tower is 330 metres tall.",
                    "metadata": {"lang": "en"},
                },
                {"id": "moon", "text": "The Moon orbits the Earth every 27 days.", "metadata": {"lang": "en"}},
            ]
        },
    )
    return client


def problem(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = r.json()
    assert body["code"] == code
    assert body["status"] == status
    assert "Traceback" not in r.text
    return body


def test_ingest_statuses_and_listing(client: AppClient) -> None:
    r = client.post(
        "/v1/collections/kb/documents",
        json={
            "documents": [
                {
                    "id": "eiffel",
                    "title": "Eiffel",
                    "text": "The Eiffel Tower is 330 metres tall.",
                    "metadata": {"lang": "en"},
                },
                {"id": "new", "text": "Brand new."},
            ]
        },
    )
    assert r.status_code == 201
    assert [(d["id"], d["status"]) for d in r.json()["documents"]] == [("eiffel", "unchanged"), ("new", "created")]
    page = client.get("/v1/collections/kb/documents", params={"limit": 2}).json()
    assert (page["total"], [d["id"] for d in page["documents"]]) == (3, ["eiffel", "moon"])
    assert client.get("/v1/collections/kb/documents/moon").json()["chunks"] == 1
    assert client.get("/v1/collections").json()["collections"][0]["documents"] == 3


def test_search_and_filters(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/search", json={"query": "How tall is the Eiffel Tower", "top_k": 1})
    assert r.status_code == 200
    [hit] = r.json()["results"]
    assert set(hit) == {"document_id", "chunk_id", "text", "score", "metadata"}
    assert hit["document_id"] == "eiffel"
    assert hit["metadata"] == {"lang": "en", "title": "Eiffel"}
    none = client.post("/v1/collections/kb/search", json={"query": "tower", "filters": {"lang": "fr"}})
    assert none.json()["results"] == []


def test_delete_document_and_collection(client: AppClient) -> None:
    assert client.delete("/v1/collections/kb/documents/moon").status_code == 204
    problem(client.get("/v1/collections/kb/documents/moon"), 404, "document_not_found")
    problem(client.delete("/v1/collections/kb/documents/moon"), 404, "document_not_found")
    assert client.delete("/v1/collections/kb").status_code == 204
    problem(client.post("/v1/collections/kb/search", json={"query": "x"}), 404, "collection_not_found")
    problem(client.delete("/v1/collections/kb"), 404, "collection_not_found")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("post", "/v1/collections/kb/search", {"query": ""}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/search", {"query": "x", "top_k": 0}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/search", {"query": "x", "top_k": 1000}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/search", {"query": "x", "unknown": 1}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/search", {"query": "x", "filters": {"a": {"$gt": 1}}}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/search", {"query": "x", "mode": "fuzzy"}, 400, "invalid_input"),
        ("post", "/v1/collections/Bad Name/search", {"query": "x"}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/documents", {"documents": []}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/documents", {"documents": [{"text": " "}]}, 400, "empty_document"),
        (
            "post",
            "/v1/collections/kb/documents",
            {"documents": [{"text": "x", "metadata": {"a": {"b": 1}}}]},
            400,
            "invalid_input",
        ),
        ("post", "/v1/collections/kb/documents", {"documents": [{"text": "x", "id": "bad id/"}]}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/query", {"question": "x", "max_tokens": 100000}, 400, "invalid_input"),
        ("post", "/v1/collections/kb/query", {"question": "x", "temperature": 9}, 400, "invalid_input"),
        ("get", "/v1/collections/kb/documents?limit=0", None, 400, "invalid_input"),
        ("get", "/v1/nothing-here", None, 404, "not_found"),
        ("put", "/v1/collections/kb/search", {}, 405, "method_not_allowed"),
    ],
)
def test_bad_input_gets_specific_problems(
    client: AppClient,
    method: str,
    path: str,
    body: object,
    status: int,
    code: str,
) -> None:
    r = client.request(method.upper(), path, json=body) if body is not None else client.request(method.upper(), path)
    problem(r, status, code)


def test_malformed_json_is_a_400(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/search", content=b"{not json", headers={"content-type": "application/json"})
    problem(r, 400, "invalid_input")


def test_file_uploads(client: AppClient) -> None:
    r = client.post(
        "/v1/collections/files/files",
        files=[
            ("files", ("a.txt", b"alpha file text", "text/plain")),
            ("files", ("b.md", b"# Beta\n\nbeta file text", "text/markdown")),
        ],
        data={"metadata": json.dumps({"team": "x"})},
    )
    assert r.status_code == 201, r.text
    assert [(d["id"], d["status"]) for d in r.json()["documents"]] == [("a.txt", "created"), ("b.md", "created")]
    doc = client.get("/v1/collections/files/documents/b.md").json()
    assert doc["metadata"] == {"media_type": "text/markdown", "team": "x"}
    assert doc["title"] == "b"
    body = problem(
        client.post("/v1/collections/files/files", files=[("files", ("x.exe", b"MZ", "application/x-msdownload"))]),
        415,
        "unsupported_media_type",
    )
    assert "text/plain" in str(body["detail"])
    problem(
        client.post("/v1/collections/files/files", files=[("files", ("bad.txt", b"\xff\xfe\xfa bad", "text/plain"))]),
        400,
        "invalid_encoding",
    )
    problem(
        client.post("/v1/collections/files/files", files=[("files", ("e.txt", b"", "text/plain"))]),
        400,
        "empty_document",
    )
    problem(client.post("/v1/collections/files/files", data={"x": "y"}), 415, "unsupported_media_type")  # not multipart
    problem(client.post("/v1/collections/files/files", files={"metadata": (None, "{}")}), 400, "invalid_input")
    # nothing already stored was lost by the failed uploads
    assert client.get("/v1/collections/files/documents").json()["total"] == 2


def test_oversized_requests_are_413() -> None:
    with app_client(fake_settings(server={"max_request_bytes": 2000})) as c:
        r = c.post("/v1/collections/kb/documents", json={"documents": [{"text": "x" * 5000}]})
        problem(r, 413, "request_too_large")
    with app_client(fake_settings(ingest={"max_file_bytes": 100})) as c:
        problem(
            c.post("/v1/collections/kb/files", files=[("files", ("a.txt", b"x" * 200, "text/plain"))]),
            413,
            "document_too_large",
        )


def test_query_json(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/query", json={"question": "How tall is the Eiffel Tower?"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"answer", "citations", "usage", "model"}
    assert "330" in body["answer"]
    assert body["citations"][0]["n"] == 1
    assert body["citations"][0]["document_id"] == "eiffel"
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens"}


def test_query_sse(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/query", json={"question": "How tall is the Eiffel Tower?", "stream": True})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = list(parse_sse(iter(r.text.splitlines())))
    kinds = [k for k, _ in events]
    assert kinds[0] == "citations"
    assert kinds[-1] == "done"
    assert set(kinds[1:-1]) == {"token"}
    assert json.loads(events[0][1])["citations"][0]["document_id"] == "eiffel"
    assert "330" in "".join(json.loads(d)["text"] for k, d in events if k == "token")
    assert set(json.loads(events[-1][1])) == {"usage", "model"}


def test_query_sse_error_event_mid_stream() -> None:
    llm = ScriptedLanguageModel(["one two three four"], fail_after_tokens=2)
    with app_client(overrides={"llm": llm}) as c:
        c.post("/v1/collections/kb/documents", json={"documents": [{"text": "Some text about towers."}]})
        r = c.post("/v1/collections/kb/query", json={"question": "towers?", "stream": True})
        events = list(parse_sse(iter(r.text.splitlines())))
        assert [k for k, _ in events] == ["citations", "token", "token", "error"]
        err = json.loads(events[-1][1])
        assert (err["code"], err["status"]) == ("llm_unavailable", 503)


def test_query_sse_validation_errors_are_plain_problems(client: AppClient) -> None:
    problem(
        client.post("/v1/collections/none/query", json={"question": "x", "stream": True}), 404, "collection_not_found"
    )


def test_health_ready_and_openapi(client: AppClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"embedder", "vector_index", "language_model"}
    spec = client.get("/schema/openapi.json").json()
    assert "/v1/collections/{collection}/query" in spec["paths"]
    streamed = ["/v1/collections/{collection}/query", "/v1/chat/completions", "/v1/sessions/{session_id}/messages"]
    for path in streamed:  # JSON, or server-sent events with "stream": true
        assert set(spec["paths"][path]["post"]["responses"]["200"]["content"]) == {
            "application/json",
            "text/event-stream",
        }, path


def test_no_cors_by_default_and_explicit_origins_only(client: AppClient) -> None:
    r = client.options(
        "/v1/collections", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in r.headers
    with app_client(fake_settings(server={"cors_origins": ["https://app.example"]})) as c:
        r = c.get("/health", headers={"Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"
