"""Who is calling and what they may do: API keys, scopes, principals (stdlib only).

A key is shown once, as ``abk_<key id>_<secret>``: the id finds the record, the secret is checked
against a salted hash in constant time. A principal is what a request acts as: a key's name, scopes
and collections, or the anonymous principal when the server runs open (loopback, no keys).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from autbot.domain.access import AccessFilter, caller_filter
from autbot.domain.errors import CollectionNotFound, Forbidden, InvalidInput
from autbot.domain.model import CollectionName

KEY_PREFIX = "abk_"
_KEY_RE = re.compile(r"abk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # applied with fullmatch, never match


class Scope(enum.StrEnum):
    QUERY = "query"
    """Search, query and read collections and documents."""
    INGEST = "ingest"
    """Write and delete documents."""
    ADMIN = "admin"
    """Create and delete collections, manage keys, see dependency details."""


def parse_scopes(raw: str | list[str] | tuple[str, ...]) -> frozenset[Scope]:
    items = [s.strip() for s in (raw.split(",") if isinstance(raw, str) else raw) if s.strip()]
    valid = ", ".join(s.value for s in Scope)
    if not items:
        raise InvalidInput(f"Give at least one scope ({valid}).", field="scopes")
    try:
        return frozenset(Scope(s) for s in items)
    except ValueError as e:
        raise InvalidInput(f"Unknown scope in {items}; scopes are {valid}.", field="scopes") from e


def validate_key_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise InvalidInput("Key names are 1-64 characters of letters, digits and . _ -.", field="name")
    return name


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    """A stored key: never the key itself, only its id and a salted hash of its secret."""

    key_id: str
    name: str
    scopes: frozenset[Scope]
    collections: frozenset[str] | None
    """None: every collection."""
    salt: str
    secret_hash: str
    created_at: float
    revoked_at: float | None = None
    groups: frozenset[str] = frozenset()
    """The groups the key's caller belongs to, for documents' access lists (``domain.access``)."""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


def hash_secret(secret: str, salt: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()


def new_key(
    *,
    name: str,
    scopes: frozenset[Scope],
    collections: frozenset[str] | None,
    now: float,
    groups: frozenset[str] = frozenset(),
) -> tuple[ApiKey, str]:
    """A fresh key record and the key to show once."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    key_id = "".join(secrets.choice(alphabet) for _ in range(12))
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    record = ApiKey(
        key_id=key_id,
        name=validate_key_name(name),
        scopes=scopes,
        collections=collections,
        salt=salt,
        secret_hash=hash_secret(secret, salt),
        created_at=now,
        groups=groups,
    )
    return record, f"{KEY_PREFIX}{key_id}_{secret}"


def key_owner(key_id: str) -> str:
    """What a key's records (sessions, rate counts, token budgets) are kept under: its id, never its name, so
    a key created with the name of a revoked one starts with nothing of the revoked key's."""
    return f"key:{key_id}"


def oidc_owner(issuer: str, subject: str) -> str:
    """What an OIDC subject's records are kept under: the issuer and the subject, so that two issuers' equal
    subjects never share sessions or quotas."""
    return f"oidc:{issuer}#{subject}"


def split_key(presented: str) -> tuple[str, str] | None:
    """``(key id, secret)`` of a well-formed key, else None."""
    m = _KEY_RE.fullmatch(presented)
    return (m.group(1), m.group(2)) if m else None


def secret_matches(record: ApiKey, secret: str) -> bool:
    return hmac.compare_digest(record.secret_hash, hash_secret(secret, record.salt))


@dataclass(frozen=True, slots=True, kw_only=True)
class Principal:
    """What a request acts as."""

    name: str
    scopes: frozenset[Scope]
    collections: frozenset[str] | None = None
    """None: every collection."""
    authenticated: bool = True
    key_id: str | None = None
    """The id of the key presented; None for a principal without a key (``anonymous``)."""
    groups: frozenset[str] = frozenset()
    """The groups it belongs to: documents whose access list names one are visible to it."""
    issuer: str | None = None
    """The OIDC issuer that vouched for it (its name is then the token's subject); None for keys."""

    @property
    def subject(self) -> str:
        """Who it is in documents' access lists (``access.subjects``): its name (a key's name, so a key
        rotated under the same name keeps what the old one could see; an OIDC token's subject claim)."""
        return self.name

    def access_filter(self) -> AccessFilter | None:
        """What of a collection it may see (``domain.access``): None (everything) for admin principals, else
        open documents and those whose access list names one of its groups or its subject."""
        if Scope.ADMIN in self.scopes:
            return None
        return caller_filter(groups=self.groups, subject=self.subject)

    def may_see(self, metadata: Mapping[str, object]) -> bool:
        """Whether a document (its stored metadata) is visible to it."""
        rule = self.access_filter()
        return rule is None or rule.admits(metadata)

    @property
    def owner(self) -> str:
        """Who the principal's sessions and quotas belong to: ``key_owner(key_id)``, ``oidc_owner`` for an OIDC
        subject, else its name."""
        if self.key_id is not None:
            return key_owner(self.key_id)
        return oidc_owner(self.issuer, self.name) if self.issuer is not None else self.name

    def require(self, scope: Scope) -> None:
        """Raise ``Forbidden`` (403) unless the principal holds ``scope`` (admin implies every scope)."""
        if scope not in self.scopes and Scope.ADMIN not in self.scopes:
            raise Forbidden(f"This key lacks the '{scope.value}' scope.", scope=scope.value)

    def may_use(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections

    def check_collection(self, collection: str) -> None:
        """A collection outside the key's list is invisible: 404, as if it did not exist."""
        if not self.may_use(collection):
            raise CollectionNotFound(f"Collection '{collection}' does not exist.", collection=collection)

    def visible_collection(self, collection: str) -> str:
        """The collection a request names, as this principal sees it: outside the key's list it does not exist
        (404, whether or not the name is valid), else its checked name. Every use case that takes a collection
        name decides its visibility here, first."""
        self.check_collection(collection)
        return CollectionName(collection).value


ANONYMOUS = Principal(name="anonymous", scopes=frozenset(Scope), authenticated=False)
"""The principal of an open server (loopback, no keys, auth not required): may do everything."""
