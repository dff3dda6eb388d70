"""Property: whatever a client sends to any route (malformed, oversized or deeply nested bodies, bad query
parameters, wrong content types, random bytes), the answer is never a 5xx, the app still answers
``/health``, and the documents stored before are intact (same listing, same search results).

In-process over the fakes (files parsed in the calling thread), with a bounded number of examples."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autbot.domain import limits
from tests.support.documents import deep_json, make_pdf, pdf_deeply_nested
from tests.support.hostile import HOSTILE_FILES, MARKUP, SEED, in_process_client, snapshot

_METHODS = frozenset({"get", "post", "put", "patch", "delete"})
SEEDED = "kb"
"""Only read: every write of the fuzzer goes to another collection, so that what was stored must stay."""

# --- values ----------------------------------------------------------------------------------------------
scalars = (
    st.text(max_size=50)
    | st.text(min_size=limits.MAX_METADATA_STRING_CHARS, max_size=limits.MAX_METADATA_STRING_CHARS + 10)
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.booleans()
    | st.none()
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
deep = st.integers(min_value=limits.MAX_JSON_DEPTH - 2, max_value=100_000).map(deep_json)
keys = st.text(max_size=70) | st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)
filters = st.dictionaries(
    keys, scalars | st.lists(scalars, max_size=limits.MAX_FILTER_VALUES + 5) | json_values, max_size=40
)
metadata = st.dictionaries(keys, scalars | json_values, max_size=70)


def bodies_for(kind: str) -> st.SearchStrategy[Any]:
    """Bodies shaped like a route's (with hostile values), or any JSON at all."""
    text = st.text(max_size=100) | st.text(min_size=4000, max_size=5000)
    shaped: st.SearchStrategy[Any]
    if kind == "search":
        shaped = st.fixed_dictionaries(
            {"query": text},
            optional={
                "top_k": st.integers(min_value=-5, max_value=10**20) | json_values,
                "filters": filters | json_values,
                "mode": st.sampled_from(["vector", "hybrid", "keyword", "fuzzy"]),
                "alpha": st.floats() | json_values,
            },
        )
    elif kind == "query":
        shaped = st.fixed_dictionaries(
            {"question": text},
            optional={
                "filters": filters,
                "stream": st.booleans(),
                "max_tokens": st.integers(min_value=-1, max_value=10**6),
                "temperature": st.floats(),
                "top_k": st.integers(min_value=-1, max_value=1000),
            },
        )
    else:
        doc = st.fixed_dictionaries(
            {"text": text},
            optional={
                "id": st.text(max_size=200),
                "title": st.text(max_size=600),
                "source": st.text(max_size=1100),
                "metadata": metadata | json_values,
            },
        )
        shaped = st.fixed_dictionaries({"documents": st.lists(doc, max_size=3) | json_values})
    return shaped | json_values


def encoded(kind: str) -> st.SearchStrategy[bytes]:
    """A body: JSON (NaN and infinities included, which are not JSON), deep nesting, invalid UTF-8, bytes."""
    as_json = bodies_for(kind).map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))
    nested = deep.map(lambda d: ('{"query": "x", "question": "x", "filters": {"a": ' + d + "}}").encode())
    broken = st.binary(max_size=300).map(lambda b: b'{"query": "' + b + b'"}')
    return as_json | nested | broken | st.binary(max_size=2000)


content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "application/problem+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "",
    ]
) | st.text(max_size=40).map(lambda t: t.encode()).filter(lambda b: not set(b) & set(b"\r\n\x00"))
collections_read = st.sampled_from([SEEDED, "none", "Bad Name", "x" * 70, ".."]) | st.text(max_size=30)
collections_written = (st.sampled_from(["fuzz", "other"]) | st.text(max_size=30)).filter(
    lambda c: "kb" not in c.lower()
)
params = st.dictionaries(
    st.sampled_from(["offset", "limit", "x"]),
    st.integers(min_value=-(10**25), max_value=10**25).map(str) | st.text(max_size=20),
    max_size=3,
)
file_parts = st.lists(
    st.tuples(
        st.sampled_from(["a.txt", "b.md", "c.html", "d.json", "e.pdf", "f.exe", "", "noext"]) | st.text(max_size=20),
        st.binary(max_size=500)
        | st.just(make_pdf("fuzz"))
        | st.just(pdf_deeply_nested(5_000))
        | deep.map(str.encode)
        | st.just(b"\xff\xfe\x00x")
        | st.lists(st.sampled_from(MARKUP), max_size=40).map(lambda parts: "".join(parts).encode())
        | st.sampled_from([data for data, _, _ in HOSTILE_FILES.values()]),
        st.sampled_from(["text/plain", "application/pdf", "application/json", "application/octet-stream"]),
    ),
    max_size=3,
)


def _path(collection: str, tail: str = "") -> str:
    return f"/v1/collections/{quote(collection, safe='')}{tail}"


@st.composite
def any_route(draw: st.DrawFn, operations: list[tuple[str, str]]) -> dict[str, Any]:
    """Any operation of the OpenAPI document (routes other helpers add included), its path parameters
    filled with text that never names the seeded collection, with any body."""
    method, template = draw(st.sampled_from(operations))
    path = re.sub(r"\{[^}]+\}", lambda _: quote(draw(collections_written), safe=""), template)
    return {
        "method": method,
        "url": path,
        "params": draw(params),
        "content": draw(encoded("search") | json_values.map(lambda v: json.dumps(v).encode())),
        "headers": {"content-type": draw(content_types)},
    }


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    route = draw(st.sampled_from(["search", "query", "ingest", "files", "list", "get", "delete", "other"]))
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]))
    headers = {"content-type": draw(content_types)}
    if route in ("search", "query"):
        return {
            "method": "POST" if draw(st.booleans()) else method,
            "url": _path(draw(collections_read), f"/{route}"),
            "content": draw(encoded(route)),
            "headers": headers,
        }
    if route == "ingest":
        return {
            "method": "POST",
            "url": _path(draw(collections_written), "/documents"),
            "content": draw(encoded("ingest")),
            "headers": headers if draw(st.booleans()) else {"content-type": "application/json"},
        }
    if route == "files":
        form: dict[str, Any] = {}
        if draw(st.booleans()):
            form["data"] = {"metadata": draw(json_values.map(json.dumps) | deep | st.text(max_size=50))}
        return {
            "method": "POST",
            "url": _path(draw(collections_written), "/files"),
            "files": [("files", part) for part in draw(file_parts)] or None,
            **form,
        }
    if route == "list":
        return {"method": "GET", "url": _path(draw(collections_read), "/documents"), "params": draw(params)}
    if route == "get":
        doc = draw(st.sampled_from(["eiffel", "moon", "none"]) | st.text(max_size=200))
        return {"method": "GET", "url": _path(draw(collections_read), f"/documents/{quote(doc, safe='')}")}
    if route == "delete":
        doc = draw(st.text(max_size=50))
        tail = draw(st.sampled_from(["", f"/documents/{quote(doc, safe='')}"]))
        return {"method": "DELETE", "url": _path(draw(collections_written), tail)}
    return {
        "method": method,
        "url": draw(st.sampled_from(["/v1/collections", "/health", "/ready", "/v1/nothing", "/schema/openapi.json"])),
        "content": draw(st.binary(max_size=200)),
        "headers": headers,
    }


def test_no_request_gets_a_5xx_or_loses_data() -> None:
    with in_process_client() as client:
        assert client.post(f"/v1/collections/{SEEDED}/documents", json={"documents": SEED}).status_code == 201
        before = snapshot(client, SEEDED)
        spec = client.get("/schema/openapi.json").json()
        operations = sorted((m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m in _METHODS)
        assert ("POST", "/v1/collections/{collection}/search") in operations

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        )
        @given(request=requests() | any_route(operations))
        def one(request: dict[str, Any]) -> None:
            r = client.request(**request)
            assert r.status_code < 500, (request["method"], request["url"], r.status_code, r.text[:500])
            assert "Traceback" not in r.text
            # collection routes answer problem+json; the OpenAI-compatible API answers in OpenAI's error shape
            if r.status_code >= 400 and request["url"].startswith("/v1/collections"):
                assert r.headers["content-type"].startswith("application/problem+json"), r.text[:300]

        one()
        assert client.get("/health").json() == {"status": "ok"}
        assert snapshot(client, SEEDED) == before
