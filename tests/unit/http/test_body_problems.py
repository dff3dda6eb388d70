"""Bodies the decoders refuse get the problem that names what is wrong: a stable code and a title that is the
same for every occurrence (what happened this time is the detail). In-process, over fakes."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import TestClient

from autbot.domain import errors
from autbot.entrypoints.http.schemas.bodies import lone_surrogate
from autbot.entrypoints.observability.logs import InterceptHandler
from tests.support.app_client import app_client, fake_app, fake_settings
from tests.support.hostile import in_process_client

SEARCH = "/v1/collections/kb/search"
UPLOAD = "/v1/collections/kb/files"
JSON = {"content-type": "application/json"}
PARTS = 1000
"""Litestar's ``multipart_form_part_limit`` (the app keeps its default)."""


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Litestar]]:
    with in_process_client() as c:
        assert c.post("/v1/collections/kb/documents", json={"documents": [{"text": "a tower"}]}).status_code == 201
        yield c


def problem(r: object, status: int, error: type[errors.AutbotError]) -> dict[str, object]:
    assert r.status_code == status, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    body: dict[str, object] = r.json()  # type: ignore[attr-defined]
    assert (body["code"], body["title"], body["status"]) == (error.code, error.default_message, status), body
    return body


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"query": "\ud800"}',  # msgspec: "Input data was truncated"
        rb'{"query": "\ud800x"}',
        rb'{"query": "\ud800 and more text after it"}',
        rb'{"query": "\udc00"}',  # a low half alone
        rb'{"query": "\ud800\u0041"}',
        rb'{"query": "\uD83D"}',
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_invalid_encoding(client: TestClient[Litestar], raw: bytes) -> None:
    body = problem(client.post(SEARCH, content=raw, headers=JSON), 400, errors.InvalidEncoding)
    assert "surrogate" in str(body["detail"])


def test_an_escaped_backslash_before_u_is_text(client: TestClient[Litestar]) -> None:
    assert client.post(SEARCH, content=rb'{"query": "\\ud800 \ud83d\ude00"}', headers=JSON).status_code == 200


def test_malformed_json_has_a_stable_title_and_the_reason_in_its_detail(client: TestClient[Litestar]) -> None:
    for raw in (b"{not json", b'{"query": "x"', b'{"query": "x"} trailing'):
        body = problem(client.post(SEARCH, content=raw, headers=JSON), 400, errors.InvalidInput)
        assert "not valid JSON" in str(body["detail"])


def test_a_form_past_its_parsers_limits_is_413_form_too_large(client: TestClient[Litestar]) -> None:
    part = ("files", ("a.txt", b"a tower", "text/plain"))
    problem(client.post(UPLOAD, files=[part] * (PARTS + 1)), 413, errors.FormTooLarge)
    boundary = "b0undary"
    headers = "".join(f"X-Part-{i}: v\r\n" for i in range(10))  # the parser takes 8 headers per part
    raw = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n{headers}'
        f"Content-Type: text/plain\r\n\r\na tower\r\n--{boundary}--\r\n"
    ).encode()
    form = {"content-type": f"multipart/form-data; boundary={boundary}"}
    problem(client.post(UPLOAD, content=raw, headers=form), 413, errors.FormTooLarge)
    within = [("files", (f"{i}.txt", b"a tower", "text/plain")) for i in range(3)]
    assert client.post(UPLOAD, files=within).status_code == 201, "within the limits"


def test_problems_litestar_raises_have_stable_titles() -> None:
    settings = fake_settings(server={"max_request_bytes": 2000}, limits={"enabled": False})
    with app_client(settings) as c:
        problem(c.post(SEARCH, json={"query": "x" * 5000}), 413, errors.RequestTooLarge)
        problem(c.get("/v1/nothing-here"), 404, errors.NotFound)
        body = c.put(SEARCH, json={}).json()
        assert (body["code"], body["title"]) == ("method_not_allowed", "This method is not allowed on this path.")


@given(st.text(alphabet=st.characters(codec=None, blacklist_categories=()), max_size=12))
def test_lone_surrogate_finds_exactly_the_halves_json_escapes(text: str) -> None:
    halves = any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    assert lone_surrogate(json.dumps({"q": text})) == halves  # ensure_ascii: every non-ASCII character escaped
    assert lone_surrogate(json.dumps({"q": text}).encode("utf-8", "surrogatepass")) == halves


def test_the_app_leaves_the_log_stream_as_configured() -> None:
    """Litestar's default logging config replaced the root handler: uvicorn's lines and every other standard
    library logger's went out as plain text, even with ``logging.json``."""
    fake_app(fake_settings(logging={"json": True}, limits={"enabled": False}))
    handlers = logging.getLogger().handlers
    assert handlers
    assert all(isinstance(h, InterceptHandler) for h in handlers), handlers
