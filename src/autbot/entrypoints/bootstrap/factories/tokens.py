"""OIDC bearer tokens (``auth.oidc``): the issuers' policies and the verifier, built only when issuers are set."""

from __future__ import annotations

from collections.abc import Iterator

from autbot.domain.auth import Scope
from autbot.domain.oidc import IssuerPolicy
from autbot.entrypoints.settings import Settings
from autbot.entrypoints.settings.oidc import OidcIssuerSettings
from autbot.ports.token_verifier import TokenVerifier


def issuer_policies(s: Settings) -> tuple[IssuerPolicy, ...]:
    return tuple(_policy(i) for i in s.auth.oidc.issuers)


def _policy(i: OidcIssuerSettings) -> IssuerPolicy:
    return IssuerPolicy(
        issuer=i.issuer,
        audience=i.audience,
        subject_claim=i.subject_claim,
        groups_claim=i.groups_claim,
        scopes_by_group={group: frozenset(Scope(x) for x in scopes) for group, scopes in i.scopes.items()},
        default_scopes=frozenset(Scope(x) for x in i.default_scopes),
        collections=None if i.collections is None else frozenset(i.collections),
    )


def token_verifier(s: Settings) -> Iterator[TokenVerifier | None]:
    """The verifier of the configured issuers' tokens (closed with the container), or None without issuers."""
    o = s.auth.oidc
    if not o.issuers:
        yield None
        return
    from autbot.adapters.tokens.joserfc import JoserfcTokenVerifier

    verifier = JoserfcTokenVerifier(
        issuer_policies(s),
        algorithms=o.algorithms,
        skew_s=o.clock_skew_s,
        max_token_bytes=o.max_token_bytes,
        max_document_bytes=o.max_document_bytes,
        fetch_timeout_s=o.fetch_timeout_s,
        cache_s=o.jwks_cache_s,
        min_refetch_s=o.jwks_min_refetch_s,
    )
    try:
        yield verifier
    finally:
        verifier.close()
