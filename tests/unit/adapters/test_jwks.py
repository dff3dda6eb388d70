"""The joserfc adapter's key cache (``adapters.tokens.jwks``) against a local issuer served on loopback: bounded
documents, keys cached, an unknown kid fetches again at most once per interval, a failed refresh keeps known keys."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from autbot.adapters.tokens.jwks import IssuerKeys
from autbot.domain.errors import IdentityProviderUnavailable
from tests.support.oidc import LocalIssuer, served_issuer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def issuer() -> Iterator[LocalIssuer]:
    with served_issuer() as local:
        yield local


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, trust_env=False) as c:
        yield c


def keys_of(issuer: LocalIssuer, client: httpx.Client, clock: Clock, max_bytes: int = 65536) -> IssuerKeys:
    return IssuerKeys(issuer.issuer, client=client, max_bytes=max_bytes, cache_s=300, min_refetch_s=10, clock=clock)


def test_keys_are_cached_and_an_unknown_kid_refetches_at_most_once_per_interval(
    issuer: LocalIssuer, client: httpx.Client
) -> None:
    clock = Clock()
    keys = keys_of(issuer, client, clock)
    assert keys.for_kid(issuer.key.kid).get_by_kid(issuer.key.kid)
    for n in range(20):
        keys.for_kid(f"forged-{n}")  # a flood of unknown kids
    assert issuer.fetches == 1
    clock.now += 10
    issuer.rotate()
    assert keys.for_kid(issuer.key.kid).get_by_kid(issuer.key.kid)  # rotation followed
    assert issuer.fetches == 2
    clock.now += 300
    keys.for_kid(issuer.key.kid)  # known, but the cache is old: fetched again
    assert issuer.fetches == 3


def test_a_failed_refresh_keeps_the_known_keys(issuer: LocalIssuer, client: httpx.Client) -> None:
    clock = Clock()
    keys = keys_of(issuer, client, clock)
    kid = issuer.key.kid
    keys.for_kid(kid)
    issuer.down = True
    clock.now += 301
    assert keys.for_kid(kid).get_by_kid(kid)


def test_no_keys_at_all_is_unavailable_and_retried_only_after_the_interval(
    issuer: LocalIssuer, client: httpx.Client
) -> None:
    clock = Clock()
    keys = keys_of(issuer, client, clock)
    issuer.down = True
    for _ in range(3):
        with pytest.raises(IdentityProviderUnavailable):
            keys.for_kid("k")
    issuer.down = False
    with pytest.raises(IdentityProviderUnavailable):
        keys.for_kid("k")  # not tried again yet
    clock.now += 10
    keys.for_kid(issuer.key.kid)
    assert issuer.fetches == 1


@pytest.mark.parametrize(
    "extra",
    [{"padding": "x" * 70_000}, {"issuer": "https://someone-else.example"}, {"jwks_uri": "file:///etc/passwd"}],
)
def test_a_large_or_foreign_discovery_document_is_refused(
    issuer: LocalIssuer, client: httpx.Client, extra: dict[str, str]
) -> None:
    issuer.discovery_extra = extra
    with pytest.raises(IdentityProviderUnavailable):
        keys_of(issuer, client, Clock()).for_kid(None)
    assert issuer.fetches == 0


def test_an_unreachable_issuer_is_unavailable(client: httpx.Client) -> None:
    with served_issuer() as gone:
        url = gone.issuer
    keys = IssuerKeys(url, client=client, max_bytes=65536, cache_s=300, min_refetch_s=10)
    with pytest.raises(IdentityProviderUnavailable):
        keys.for_kid(None)
