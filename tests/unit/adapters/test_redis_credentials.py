"""Redis clients read their password when a connection authenticates, so a rotated secret needs no restart."""

from __future__ import annotations

import asyncio

from autbot.adapters.quotas.redis_link import SecretCredentials, credential_options


def test_no_password_anywhere_changes_nothing() -> None:
    assert credential_options("redis://cache:6379/0", lambda: None) == ("redis://cache:6379/0", {})
    assert credential_options("redis://:pw@cache:6379/0", None) == ("redis://:pw@cache:6379/0", {})


def test_the_secret_is_read_for_each_connection() -> None:
    secret = {"value": "first"}
    url, options = credential_options("redis://cache:6379/0", lambda: secret["value"])
    provider = options["credential_provider"]
    assert url == "redis://cache:6379/0"
    assert provider.get_credentials() == ("first",)
    secret["value"] = "second"
    assert provider.get_credentials() == ("second",)
    assert asyncio.run(provider.get_credentials_async()) == ("second",)


def test_the_urls_credentials_are_the_fallback_and_leave_the_url() -> None:
    secret: dict[str, str | None] = {"value": None}
    url, options = credential_options(
        "rediss://app%40x:p%3Ass@cache:6380/2?ssl_cert_reqs=none", lambda: secret["value"]
    )
    assert url == "rediss://cache:6380/2?ssl_cert_reqs=none"
    provider: SecretCredentials = options["credential_provider"]
    assert provider.get_credentials() == ("app@x", "p:ss")
    secret["value"] = "rotated"
    assert provider.get_credentials() == ("app@x", "rotated")


def test_a_password_in_the_query_string_wins_as_redis_py_reads_it() -> None:
    assert credential_options("redis://cache/0?password=pw", lambda: "secret") == ("redis://cache/0?password=pw", {})
