from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable


@runtime_checkable
class TokenVerifier(Protocol):
    """Checks bearer tokens that are JWTs signed by configured OIDC issuers.

    ``verify`` may fetch an issuer's discovery document and keys (JWKS) over the network, so it blocks: call it
    off the event loop. It raises ``Unauthorized`` for any token it cannot accept (unknown issuer, unknown key,
    bad signature, a disallowed algorithm, wrong audience, expired, not yet valid, too long: one error whatever
    the reason) and ``IdentityProviderUnavailable`` when the issuer's keys could not be fetched."""

    def verify(self, token: str) -> Mapping[str, object]:
        """The token's verified claims (``iss``, ``aud``, ``exp`` and ``nbf`` already checked)."""
        ...

    def issuers(self) -> tuple[str, ...]:
        """The issuers whose tokens it accepts, as configured."""
        ...
