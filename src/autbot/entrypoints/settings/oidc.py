"""Settings of single sign-on: the OIDC issuers whose bearer tokens are accepted beside API keys, and how
their claims map to scopes, collections and groups (``domain.oidc``). Defaults come from ``domain.limits``."""

from __future__ import annotations

from typing import Annotated, Literal, cast

import msgspec

from autbot.domain import limits
from autbot.entrypoints.settings.types import HttpUrl, NonEmpty, Section

ScopeName = Literal["query", "ingest", "admin"]
Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
"""``limits.OIDC_ALGORITHMS`` as a type (a test keeps the two equal)."""
ClaimPath = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_:/.-]{1,128}\Z")]


class OidcIssuerSettings(Section):
    issuer: HttpUrl
    """The issuer exactly as its tokens' ``iss`` says (its discovery document is
    ``<issuer>/.well-known/openid-configuration``)."""
    audience: NonEmpty
    """What the tokens' ``aud`` must name (a string, or one of a list): AutBot's client id or API audience."""
    subject_claim: ClaimPath = "sub"
    """The claim naming the caller: sessions, quotas and documents' ``access.subjects`` use it (``email``, where
    access lists name people by address)."""
    groups_claim: ClaimPath = "groups"
    """The claim listing the caller's groups (a dotted path such as ``realm_access.roles`` reaches nested claims);
    documents' ``access.groups`` match them."""
    scopes: dict[NonEmpty, list[ScopeName]] = {}
    """Group (or role) -> the scopes it grants, e.g. ``{ finance = ["query"], autbot-admins = ["admin"] }``."""
    default_scopes: list[ScopeName] = []
    """Scopes every subject of this issuer gets. Empty (the default): a subject none of whose groups is mapped
    is authenticated but refused every call (403)."""
    collections: list[NonEmpty] | None = None
    """The collections this issuer's subjects may see (others answer 404); unset: every collection."""


class OidcWebClientSettings(Section):
    issuer: HttpUrl
    """The issuer the web page signs in through (one of ``issuers``)."""
    client_id: NonEmpty
    """A public client of that issuer allowing the authorization code flow with PKCE (S256), with this server's
    page (``<scheme>://<host>/``) among its redirect URIs and its origin among its web origins (CORS)."""
    scope: NonEmpty = "openid"
    """The scopes the page asks for (space-separated)."""


class OidcSettings(Section):
    issuers: list[OidcIssuerSettings] = []
    """The issuers whose tokens are accepted (``Authorization: Bearer <JWT>``). Any issuer makes credentials
    required on every request, as keys do."""
    algorithms: list[Algorithm] = msgspec.field(
        default_factory=lambda: cast(list[Algorithm], list(limits.OIDC_ALGORITHMS))
    )
    """Signature algorithms accepted (asymmetric only: ``none`` and HMAC are never accepted)."""
    clock_skew_s: Annotated[int, msgspec.Meta(ge=0, le=limits.OIDC_MAX_CLOCK_SKEW_S)] = limits.OIDC_CLOCK_SKEW_S
    """Seconds a token's ``exp`` and ``nbf`` may be off by."""
    max_token_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1024 * 1024)] = limits.OIDC_MAX_TOKEN_BYTES
    """A longer bearer token is refused (401) before it is decoded."""
    max_document_bytes: Annotated[int, msgspec.Meta(ge=4096, le=16 * 1024 * 1024)] = limits.OIDC_MAX_DOCUMENT_BYTES
    """The largest discovery document or JWKS read from an issuer."""
    fetch_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = limits.OIDC_FETCH_TIMEOUT_S
    """Connect and read timeout of one discovery or JWKS request."""
    jwks_cache_s: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = limits.OIDC_JWKS_CACHE_S
    """How long an issuer's keys are used before they are fetched again."""
    jwks_min_refetch_s: Annotated[float, msgspec.Meta(ge=0, le=3600)] = limits.OIDC_JWKS_MIN_REFETCH_S
    """A token signed by a key id the issuer's known keys lack makes them be fetched again, at most this often."""
    web_client: OidcWebClientSettings | None = None
    """Where set, the web page offers "Sign in" through this issuer (authorization code + PKCE) beside API keys."""
