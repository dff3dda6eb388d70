"""Hostile input (issue 8) in-process: every bound lives in the domain, the HTTP edge declares it, and each
hostile request gets a 4xx with a stable code while what was stored stays as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from autbot.adapters.readers.multi_format import MultiFormatDocumentReader
from autbot.domain import limits
from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import InvalidEncoding, InvalidInput
from autbot.domain.model import check_nesting, parse_filters, validate_metadata
from autbot.use_cases.documents import ListDocuments, ListDocumentsRequest
from autbot.use_cases.search import SearchRequest
from tests.support.documents import deep_json
from tests.support.fakes import World
from tests.support.hostile import SEED, Hostile, hostile_requests, in_process_client, snapshot


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[TestClient[Litestar], Any]]:
    with in_process_client() as c:
        assert c.post("/v1/collections/kb/documents", json={"documents": SEED}).status_code == 201
        yield c, snapshot(c, "kb")


@pytest.mark.parametrize("case", hostile_requests("kb"), ids=lambda h: h.name)
def test_hostile_requests_get_a_4xx_and_lose_nothing(seeded: tuple[TestClient[Litestar], Any], case: Hostile) -> None:
    client, before = seeded
    r = case.send(client)
    assert (r.status_code, r.headers["content-type"].split(";")[0]) == (case.status, "application/problem+json"), r.text
    body = r.json()
    assert body["code"] == case.code, body
    assert "Traceback" not in r.text
    assert "RecursionError" not in r.text
    assert len(r.content) < 4096  # what the client sent is not echoed back whole
    assert client.get("/health").status_code == 200
    assert snapshot(client, "kb") == before


# --- the domain: one rule each, whatever the entrypoint --------------------------------------------------
def test_filters_are_bounded() -> None:
    ok = {f"k{i}": list(range(limits.MAX_FILTER_VALUES)) for i in range(limits.MAX_FILTER_KEYS)}
    assert len(parse_filters(ok)) == limits.MAX_FILTER_KEYS
    with pytest.raises(InvalidInput, match="filter keys"):
        parse_filters({f"k{i}": 1 for i in range(limits.MAX_FILTER_KEYS + 1)})
    for bad in (10**19, -(2**63) - 1, float("inf"), float("nan"), "x" * (limits.MAX_METADATA_STRING_CHARS + 1)):
        with pytest.raises(InvalidInput):
            parse_filters({"k": bad})
        with pytest.raises(InvalidInput):
            parse_filters({"k": [bad]})
    with pytest.raises(InvalidEncoding):
        parse_filters({"k": "\ud800"})
    assert parse_filters({"k": limits.MAX_INTEGER, "j": limits.MIN_INTEGER})


def test_metadata_is_bounded() -> None:
    assert validate_metadata({"n": limits.MAX_INTEGER, "f": 1.5, "s": "x" * limits.MAX_METADATA_STRING_CHARS})
    for bad in (2**63, float("inf"), float("-inf"), float("nan")):
        with pytest.raises(InvalidInput):
            validate_metadata({"n": bad})
    with pytest.raises(InvalidEncoding):
        validate_metadata({"s": "caf\udce9"})
    big = {f"k{i}": "é" * 1000 for i in range(9)}  # 9,000 characters, about 18 KB in UTF-8
    with pytest.raises(InvalidInput, match="bytes as JSON"):
        validate_metadata(big)


@given(st.integers(min_value=0, max_value=3 * limits.MAX_JSON_DEPTH), st.sampled_from(["[", '{"a":']))
def test_nesting_is_refused_exactly_past_the_limit(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    value = json.loads(opener * depth + "1" + closer * depth)
    if depth <= limits.MAX_JSON_DEPTH:
        check_nesting(value, field="body")
    else:
        with pytest.raises(InvalidInput, match=f"more than {limits.MAX_JSON_DEPTH} levels"):
            check_nesting(value, field="body")


def test_offset_is_bounded_in_the_use_case() -> None:
    w = World()
    listing = ListDocuments(registry=w.registry)
    with pytest.raises(InvalidInput, match="offset"):
        listing.execute(ListDocumentsRequest(principal=ANONYMOUS, collection="c", offset=limits.MAX_PAGE_OFFSET + 1))


def test_lone_surrogates_never_reach_a_store() -> None:
    w = World()
    from autbot.domain.model import DocumentInput

    with pytest.raises(InvalidEncoding):
        w.add("c", DocumentInput(text="bad \ud800 text"))
    with pytest.raises(InvalidEncoding):
        w.add("c", DocumentInput(text="fine", title="\udfff"))
    w.add("c", DocumentInput(id="ok", text="fine text"))
    with pytest.raises(InvalidEncoding):
        w.search.execute(SearchRequest(principal=ANONYMOUS, collection="c", query="\ud800"))


def test_a_deeply_nested_json_file_is_refused_by_the_reader() -> None:
    reader = MultiFormatDocumentReader()
    with pytest.raises(InvalidInput, match="nested"):
        reader.read(deep_json(100_000).encode(), media_type=None, filename="deep.json")
    with pytest.raises(InvalidInput, match="nested"):
        reader.read(deep_json(limits.MAX_JSON_DEPTH + 1).encode(), media_type=None, filename="deep.json")
    assert reader.read(json.dumps({"a": {"b": 1}}).encode(), media_type=None, filename="ok.json").text == "a.b: 1"


def test_the_openapi_document_shows_the_bounds(seeded: tuple[TestClient[Litestar], Any]) -> None:
    client, _ = seeded
    spec = client.get("/schema/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["SearchBody"]["properties"]["filters"]["maxProperties"] == limits.MAX_FILTER_KEYS
    assert schemas["QueryBody"]["properties"]["filters"]["maxProperties"] == limits.MAX_FILTER_KEYS
    assert schemas["DocumentIn"]["properties"]["metadata"]["maxProperties"] == limits.MAX_METADATA_KEYS
    params = spec["paths"]["/v1/collections/{collection}/documents"]["get"]["parameters"]
    offset = next(p for p in params if p["name"] == "offset")
    assert offset["schema"]["maximum"] == limits.MAX_PAGE_OFFSET
