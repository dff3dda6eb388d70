"""Single sign-on: which bearer tokens are OIDC tokens, whether their claims hold, and what caller they make.

A token's signature is checked by a ``TokenVerifier`` (a port); what its verified claims mean is decided here,
from one ``IssuerPolicy`` per configured issuer:

- ``iss`` is the issuer exactly, ``aud`` names the audience (a string or a list), ``exp`` is required and
  ``nbf`` honoured, both with ``skew_s`` seconds of tolerance.
- The subject is the ``subject_claim`` (``sub`` unless configured, ``email`` for access lists that name people).
- Groups are the strings of ``groups_claim`` (a dotted path such as ``realm_access.roles`` reaches nested claims).
- Scopes are ``default_scopes`` plus those each group maps to; an unknown subject gets nothing else. A caller
  without a scope is authenticated yet refused every scoped call (403), like a key without the scope.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import Unauthorized

MAX_TOKEN_GROUPS = 1024
"""Groups read from one token (beyond, the token is refused: no provider sends that many)."""
_JWT_RE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")  # applied with fullmatch


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerPolicy:
    """What the tokens of one issuer must say, and what they grant."""

    issuer: str
    audience: str
    subject_claim: str = "sub"
    groups_claim: str = "groups"
    scopes_by_group: Mapping[str, frozenset[Scope]] = field(default_factory=dict)
    default_scopes: frozenset[Scope] = frozenset()
    collections: frozenset[str] | None = None
    """None: every collection."""


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments (a JWS in compact form): such a bearer token is an OIDC token, never a key."""
    return _JWT_RE.fullmatch(token) is not None


def unverified_claims(token: str) -> dict[str, object] | None:
    """The payload of a compact JWS, unchecked (only to pick the issuer whose keys check it), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def claims_problem(claims: Mapping[str, object], *, policy: IssuerPolicy, now: float, skew_s: float) -> str | None:
    """Why verified claims are not acceptable (for the log, never the caller), or None when they are."""
    if claims.get("iss") != policy.issuer:
        return "issuer"
    audience = claims.get("aud")
    if not (audience == policy.audience or (isinstance(audience, list) and policy.audience in audience)):
        return "audience"
    expires = seconds(claims.get("exp"))
    if expires is None or now >= expires + skew_s:
        return "expired"
    if "nbf" in claims:
        not_before = seconds(claims["nbf"])
        if not_before is None or now < not_before - skew_s:
            return "not yet valid"
    return None


def principal_from_claims(claims: Mapping[str, object], policy: IssuerPolicy) -> Principal:
    """The caller verified claims make: ``Unauthorized`` when the subject claim is missing or the groups
    claim is malformed."""
    subject = claim_at(claims, policy.subject_claim)
    if not isinstance(subject, str) or not subject:
        raise Unauthorized()
    groups = groups_of(claims, policy.groups_claim)
    scopes = set(policy.default_scopes)
    for group in groups:
        scopes |= policy.scopes_by_group.get(group, frozenset())
    return Principal(
        name=subject,
        scopes=frozenset(scopes),
        collections=policy.collections,
        groups=groups,
        issuer=policy.issuer,
    )


def claim_at(claims: Mapping[str, object], path: str) -> object | None:
    """The claim at a dotted path (``realm_access.roles``); a claim whose own name has dots is found first."""
    if path in claims:
        return claims[path]
    node: object = claims
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def groups_of(claims: Mapping[str, object], path: str) -> frozenset[str]:
    """The strings of the groups claim (a list, or one string); none when it is absent."""
    value = claim_at(claims, path)
    if value is None:
        return frozenset()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > MAX_TOKEN_GROUPS or not all(isinstance(g, str) for g in items):
        raise Unauthorized()
    return frozenset(g for g in items if g)


def seconds(value: object) -> float | None:
    """A NumericDate claim (``exp``, ``nbf``) as finite seconds since the epoch, else None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        result = float(value)
    except OverflowError:
        return None
    return result if math.isfinite(result) else None
