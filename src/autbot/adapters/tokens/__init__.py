"""Bearer-token verifiers (the ``TokenVerifier`` port): OIDC JWTs checked against their issuers' published keys."""
