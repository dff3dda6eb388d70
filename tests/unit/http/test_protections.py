"""Browser-facing protections at the HTTP edge: Host, media types, CSRF on uploads, CORS, security headers,
the body-read timeout (the guard's part; the server's own timeouts are in tests/integration)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar.types import HTTPReceiveMessage

from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.http.errors.transport import RequestTimeout
from autbot.entrypoints.http.middleware.guard import HostPolicy, parse_host, timed_receive
from autbot.entrypoints.settings import load_settings
from tests.support.app_client import LOOPBACK_BASE_URL, AppClient, app_client, fake_settings

DOC = {"documents": [{"id": "d", "text": "Some words."}]}
UPLOAD = [("files", ("a.txt", b"alpha file text", "text/plain"))]
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def code_of(r: Any) -> str:
    assert r.headers["content-type"].startswith("application/problem+json"), r.text
    return str(r.json()["code"])


# --- media types ------------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_json_routes_refuse_other_media_types(client: AppClient, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/v1/collections/kb/documents", content=b'{"documents":[{"text":"x"}]}', headers=headers)
    assert (r.status_code, code_of(r)) == (415, "unsupported_media_type")
    assert r.json()["details"]["accepted"] == ["application/json", "application/*+json"]
    assert client.get("/v1/collections").json()["collections"] == []  # nothing was written


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"])
def test_json_routes_accept_json(client: AppClient, content_type: str) -> None:
    r = client.post(
        "/v1/collections/kb/documents", content=b'{"documents":[{"text":"x"}]}', headers={"content-type": content_type}
    )
    assert r.status_code == 201, r.text


def test_upload_route_accepts_only_multipart(client: AppClient) -> None:
    r = client.post("/v1/collections/kb/files", json=DOC)
    assert (r.status_code, code_of(r)) == (415, "unsupported_media_type")
    assert r.json()["details"]["accepted"] == ["multipart/form-data"]


# --- CSRF on uploads ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser, or a browser too old for Fetch metadata: no Origin
        {"Origin": LOOPBACK_BASE_URL},
        {"Origin": LOOPBACK_BASE_URL, "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed by the user
    ],
)
def test_same_origin_uploads_pass(client: AppClient, headers: dict[str, str]) -> None:
    r = client.post("/v1/collections/kb/files", files=UPLOAD, headers=headers)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},  # sandboxed frames, file: pages
        {"Origin": "http://127.0.0.1:9999"},  # another port is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": LOOPBACK_BASE_URL, "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Authorization": "Basic dXNlcjpwdw=="},  # replayed by browsers
    ],
)
def test_cross_origin_uploads_without_a_key_are_refused(
    client: AppClient,
    headers: dict[str, str],
) -> None:
    r = client.post("/v1/collections/kb/files", files=UPLOAD, headers=headers)
    assert (r.status_code, code_of(r)) == (403, "csrf_rejected")
    assert client.get("/v1/collections").json()["collections"] == []


@pytest.mark.parametrize("key_header", [{"Authorization": "Bearer abk_x"}, {"X-API-Key": "abk_x"}])
def test_a_presented_key_is_left_to_authentication(client: AppClient, key_header: dict[str, str]) -> None:
    """A browser never adds these headers to a cross-site form post; the auth middleware judges the key."""
    r = client.post("/v1/collections/kb/files", files=UPLOAD, headers={"Origin": "https://evil.example", **key_header})
    assert r.status_code != 403 or code_of(r) != "csrf_rejected"


def test_listed_cors_origins_may_upload() -> None:
    with app_client(fake_settings(server={"cors_origins": ["https://app.example"]})) as c:
        r = c.post("/v1/collections/kb/files", files=UPLOAD, headers={"Origin": "https://app.example"})
        assert r.status_code == 201, r.text
        r = c.post("/v1/collections/kb/files", files=UPLOAD, headers={"Origin": "https://evil.example"})
        assert code_of(r) == "csrf_rejected"


# --- Host ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:8000", "localhost", "localhost:1234", "[::1]:8000", "LOCALHOST."]
)
def test_loopback_names_are_allowed_by_default(client: AppClient, host: str) -> None:
    assert client.get("/health", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost@evil", ""])
def test_other_hosts_are_refused(client: AppClient, host: str) -> None:
    for r in (
        client.get("/v1/collections", headers={"Host": host}),
        client.post("/v1/collections/kb/documents", json=DOC, headers={"Host": host}),
        client.get("/schema/openapi.json", headers={"Host": host}),
    ):
        assert (r.status_code, code_of(r)) == (400, "invalid_host")
    assert client.get("/v1/collections").json()["collections"] == []


def test_listed_hosts_match_their_port_or_any_port() -> None:
    with app_client(fake_settings(server={"allowed_hosts": ["api.example", "admin.example:8443"]})) as c:
        assert c.get("/v1/collections", headers={"Host": "api.example:1"}).status_code == 200
        assert c.get("/v1/collections", headers={"Host": "admin.example:8443"}).status_code == 200
        assert code_of(c.get("/v1/collections", headers={"Host": "admin.example:8444"})) == "invalid_host"
        # the list replaces the default
        assert code_of(c.get("/v1/collections", headers={"Host": "localhost"})) == "invalid_host"


def test_probes_answer_any_host(client: AppClient) -> None:
    """Orchestrators probe by IP address (Host: 10.1.2.3:8000)."""
    assert client.get("/health", headers={"Host": "10.1.2.3:8000"}).status_code == 200
    assert client.get("/ready", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_star_turns_the_host_check_off_only_on_loopback() -> None:
    with app_client(fake_settings(server={"allowed_hosts": ["*"]})) as c:
        assert c.get("/v1/collections", headers={"Host": "anything.example"}).status_code == 200
    with pytest.raises(ConfigurationError, match=r"server\.allowed_hosts"):
        load_settings("local", env={}, overrides={"server": {"host": "0.0.0.0", "allowed_hosts": ["*"]}})
    with pytest.raises(ConfigurationError, match=r"server\.allowed_hosts"):
        load_settings("production", env={"AUTBOT_SERVER__ALLOWED_HOSTS": '["*"]'})
    with pytest.raises(ConfigurationError, match=r"server\.allowed_hosts"):
        load_settings("local", env={}, overrides={"server": {"allowed_hosts": ["bad host/"]}})


def test_host_parsing() -> None:
    assert parse_host("[::1]:8000") == ("[::1]", 8000)
    assert parse_host("::1") == ("[::1]", None)
    assert parse_host("Example.COM.:443") == ("example.com", 443)
    assert parse_host("x:0") is None
    assert parse_host("[::1") is None
    assert parse_host("[::1]junk") is None
    policy = HostPolicy.of(["a.example:443"])
    assert policy.allows("a.example", "https")  # no port: the scheme's default
    assert not policy.allows("a.example", "http")
    assert not policy.allows(None)


# --- CORS ------------------------------------------------------------------------------------------


def test_preflights_get_no_allow_headers_unless_the_origin_is_listed(client: AppClient) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    r = client.options("/v1/collections/kb/search", headers=preflight)
    assert not [h for h in r.headers if h.startswith("access-control-")]
    with app_client(fake_settings(server={"cors_origins": ["https://app.example"]})) as c:
        r = c.options("/v1/collections/kb/search", headers=preflight)
        assert not [h for h in r.headers if h.startswith("access-control-allow-origin")]
        assert r.status_code >= 400
        assert r.headers["x-content-type-options"] == "nosniff"
        r = c.options("/v1/collections/kb/search", headers={**preflight, "Origin": "https://app.example"})
        assert r.headers["access-control-allow-origin"] == "https://app.example"


# --- security headers --------------------------------------------------------------------------------


def test_every_response_carries_the_security_headers(client: AppClient) -> None:
    responses = {
        "200": client.get("/health"),
        "201": client.post("/v1/collections/kb/documents", json=DOC),
        "204": client.delete("/v1/collections/kb/documents/d"),
        "400 guard": client.get("/v1/collections", headers={"Host": "evil.example"}),
        "400 validation": client.post("/v1/collections/kb/search", json={"query": ""}),
        "404 handler": client.get("/v1/collections/nope/documents/x"),
        "404 router": client.get("/no/such/route"),
        "405 router": client.put("/health"),
        "415": client.post("/v1/collections/kb/documents", content=b"{}", headers={"content-type": "text/plain"}),
        "sse": client.post("/v1/collections/kb/query", json={"question": "words?", "stream": True}),
        "openapi": client.get("/schema/openapi.json"),
    }
    for name, r in responses.items():
        for header, value in SECURITY_HEADERS.items():
            assert r.headers.get(header) == value, (name, header, dict(r.headers))
        assert r.headers["cache-control"] == "no-store", name
        assert r.headers["content-security-policy"].startswith("default-src 'none'"), name
        assert "script-src" not in r.headers["content-security-policy"], name


def test_the_docs_page_gets_a_policy_that_lets_it_load(client: AppClient) -> None:
    for path in ("/schema", "/schema/swagger"):
        r = client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "connect-src 'self'" in csp
        for cdn in ("https://cdn.redoc.ly", "https://cdn.jsdelivr.net"):
            if cdn in r.text:
                assert cdn in csp.split("script-src", 1)[1].split(";", 1)[0]
        assert r.headers["x-frame-options"] == "DENY"


# --- the body-read timeout -----------------------------------------------------------------------------


async def test_a_body_that_does_not_arrive_in_time_is_a_request_timeout() -> None:
    stalled = asyncio.Event()

    async def receive() -> HTTPReceiveMessage:
        await stalled.wait()  # never set: a client that sent its headers and then nothing
        return {"type": "http.request", "body": b"", "more_body": False}

    with pytest.raises(RequestTimeout):
        await timed_receive(receive, 0.05)()


async def test_the_deadline_covers_the_whole_body_then_lets_go() -> None:
    parts: list[HTTPReceiveMessage] = [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": False},
    ]
    disconnect = asyncio.Event()

    async def receive() -> HTTPReceiveMessage:
        if parts:
            return parts.pop(0)
        await disconnect.wait()  # after the body: a streaming response waits here for the client to leave
        return {"type": "http.disconnect"}

    wrapped = timed_receive(receive, 0.05)
    assert (await wrapped()).get("body") == b"a"
    assert (await wrapped()).get("body") == b"b"
    waiting = asyncio.ensure_future(wrapped())
    await asyncio.sleep(0.2)  # longer than the body deadline: no timeout once the body is complete
    assert not waiting.done()
    disconnect.set()
    assert (await waiting)["type"] == "http.disconnect"
