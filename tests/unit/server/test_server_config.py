"""What ``autbot serve`` hands uvicorn: the connection bounds from settings, forwarded headers only from
``server.trusted_proxies``, no WebSocket protocol."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import pytest

from autbot.domain import limits
from autbot.domain.errors import ConfigurationError
from autbot.entrypoints.server import runtime as serving
from autbot.entrypoints.settings import ServerSettings, load_settings


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    pass


def seen_by_the_app(server: ServerSettings, headers: list[tuple[bytes, bytes]]) -> tuple[Any, Any]:
    """The client address and scheme the app sees for a request from 127.0.0.1 with ``headers``."""
    seen: dict[str, Any] = {}

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(client=scope["client"], scheme=scope["scheme"])

    config = serving.server_config(recording, server)
    config.load()
    scope = {"type": "http", "client": ("127.0.0.1", 50000), "scheme": "http", "headers": headers}
    asyncio.run(config.loaded_app(scope, None, None))
    return seen["client"], seen["scheme"]


FORGED = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]


def test_forwarded_headers_from_loopback_are_ignored_by_default() -> None:
    """uvicorn's own default trusts them from 127.0.0.1: any local process, or a proxy that passes a client's
    header on, chose the address that rate limits and the auth-failure limit count."""
    assert seen_by_the_app(ServerSettings(), FORGED) == (("127.0.0.1", 50000), "http")
    assert serving.server_config(app, ServerSettings()).proxy_headers is False


@pytest.mark.parametrize("trusted", [["127.0.0.1"], ["127.0.0.0/8"], ["10.0.0.0/8", "127.0.0.1"]])
def test_forwarded_headers_from_a_trusted_proxy_set_the_client(trusted: list[str]) -> None:
    client, scheme = seen_by_the_app(ServerSettings(trusted_proxies=trusted), FORGED)
    assert (client[0], scheme) == ("203.0.113.7", "https")


def test_forwarded_headers_from_an_untrusted_peer_are_ignored() -> None:
    assert seen_by_the_app(ServerSettings(trusted_proxies=["10.0.0.0/8"]), FORGED)[0] == ("127.0.0.1", 50000)


@pytest.mark.parametrize("bad", ["*", "proxy.example", "10.0.0.0/33", ""])
def test_trusted_proxies_are_addresses_or_networks(bad: str) -> None:
    with pytest.raises((ConfigurationError, msgspec.ValidationError)):
        load_settings("local", env={}, overrides={"server": {"trusted_proxies": [bad]}})


def test_the_bounds_come_from_settings_with_their_defaults_in_the_domain() -> None:
    default = serving.server_config(app, ServerSettings())
    assert (default.header_timeout_s, default.body_timeout_s, default.send_timeout_s, default.max_head_bytes) == (
        limits.HEADER_TIMEOUT_S,
        limits.BODY_TIMEOUT_S,
        limits.SEND_TIMEOUT_S,
        limits.MAX_REQUEST_HEAD_BYTES,
    )
    assert default.ws == "none"  # no route takes a WebSocket
    chosen = serving.server_config(app, ServerSettings(max_head_bytes=4096, body_timeout_s=3))
    assert (chosen.max_head_bytes, chosen.body_timeout_s) == (4096, 3)
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"max_head_bytes": 10}, ServerSettings)
