"""``TokenVerifier`` over joserfc: OIDC JWTs checked with their issuer's published keys (``jwks.IssuerKeys``).

A token is refused (``Unauthorized``, one error whatever the reason; the reason is logged, never the token)
when it is longer than ``max_token_bytes``, not a compact JWS, names an issuer that is not configured, is
signed with an algorithm outside ``algorithms`` (asymmetric ones only: never ``none``, never HMAC, whatever
the token's header says), by a key the issuer does not publish, or when its claims fail
``domain.oidc.claims_problem`` (issuer, audience, ``exp``, ``nbf`` with ``skew_s``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from loguru import logger

from autbot.adapters.tokens.jwks import IssuerKeys
from autbot.domain import limits
from autbot.domain.errors import ConfigurationError, Unauthorized
from autbot.domain.oidc import IssuerPolicy, claims_problem, looks_like_jwt, unverified_claims


class JoserfcTokenVerifier:
    def __init__(
        self,
        policies: Sequence[IssuerPolicy],
        *,
        algorithms: Sequence[str] = limits.OIDC_ALGORITHMS,
        skew_s: float = limits.OIDC_CLOCK_SKEW_S,
        max_token_bytes: int = limits.OIDC_MAX_TOKEN_BYTES,
        max_document_bytes: int = limits.OIDC_MAX_DOCUMENT_BYTES,
        fetch_timeout_s: float = limits.OIDC_FETCH_TIMEOUT_S,
        cache_s: float = limits.OIDC_JWKS_CACHE_S,
        min_refetch_s: float = limits.OIDC_JWKS_MIN_REFETCH_S,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        unsafe = [a for a in algorithms if a not in limits.OIDC_ALGORITHMS]
        if unsafe or not algorithms:
            raise ConfigurationError(f"OIDC algorithms must be among {', '.join(limits.OIDC_ALGORITHMS)}.")
        self._policies = {p.issuer: p for p in policies}
        self._algorithms = list(algorithms)
        self._skew_s = skew_s
        self._max_token_bytes = max_token_bytes
        self._clock = wall_clock
        self._client = httpx.Client(timeout=fetch_timeout_s, follow_redirects=False, trust_env=False)
        self._keys = {
            p.issuer: IssuerKeys(
                p.issuer,
                client=self._client,
                max_bytes=max_document_bytes,
                cache_s=cache_s,
                min_refetch_s=min_refetch_s,
            )
            for p in policies
        }

    def issuers(self) -> tuple[str, ...]:
        return tuple(self._policies)

    def verify(self, token: str) -> Mapping[str, object]:
        if len(token) > self._max_token_bytes or not looks_like_jwt(token):
            raise _refused("not a JWT of bounded length")
        issuer = (unverified_claims(token) or {}).get("iss")
        policy = self._policies.get(issuer) if isinstance(issuer, str) else None
        if policy is None:
            raise _refused("issuer not configured")
        header = _header(token)
        if header.get("alg") not in self._algorithms:
            raise _refused("algorithm not allowed")
        kid = header.get("kid")
        keys = self._keys[policy.issuer].for_kid(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(token, keys, algorithms=self._algorithms).claims
        except (JoseError, ValueError, TypeError) as e:
            raise _refused(f"signature ({type(e).__name__})") from e
        problem = claims_problem(claims, policy=policy, now=self._clock(), skew_s=self._skew_s)
        if problem is not None:
            raise _refused(problem)
        return claims

    def close(self) -> None:
        self._client.close()


def _header(token: str) -> dict[str, object]:
    try:
        header = extract_compact(token.encode("ascii")).protected
    except (JoseError, ValueError, TypeError, UnicodeError) as e:
        raise _refused("malformed header") from e
    return dict(header)


def _refused(reason: str) -> Unauthorized:
    logger.debug("OIDC token refused: {}", reason)
    return Unauthorized()
