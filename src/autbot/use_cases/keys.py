from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from autbot.domain.access import parse_names
from autbot.domain.auth import ApiKey, Scope, new_key, parse_scopes, validate_key_name
from autbot.domain.errors import NotFound
from autbot.domain.model import CollectionName
from autbot.ports.key_store import KeyStore


@dataclass(frozen=True, slots=True, kw_only=True)
class CreateKeyRequest:
    name: str
    scopes: tuple[str, ...]
    collections: tuple[str, ...] | None = None
    """None: every collection."""
    groups: tuple[str, ...] = ()
    """The groups its caller belongs to, for documents' access lists (``domain.access``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatedKey:
    record: ApiKey
    key: str
    """The key itself: shown once, never stored."""


class CreateKey:
    """Create an API key with a name, scopes (query, ingest, admin) and optionally the collections it
    may touch, and the groups it belongs to (documents' access lists: ``domain.access``). The key is returned
    once; only a salted hash of it is stored. One active key per name."""

    def __init__(self, *, keys: KeyStore, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._clock = clock

    def execute(self, request: CreateKeyRequest) -> CreatedKey:
        scopes: frozenset[Scope] = parse_scopes(list(request.scopes))
        collections = (
            None if request.collections is None else frozenset(CollectionName(c).value for c in request.collections)
        )
        record, key = new_key(
            name=validate_key_name(request.name),
            scopes=scopes,
            collections=collections,
            now=self._clock(),
            groups=parse_names(list(request.groups), field="groups"),
        )
        self._keys.add(record)
        return CreatedKey(record=record, key=key)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListKeysRequest:
    include_revoked: bool = True


class ListKeys:
    """Every key's name, scopes, collections, creation and revocation time (never a key or hash)."""

    def __init__(self, *, keys: KeyStore) -> None:
        self._keys = keys

    def execute(self, request: ListKeysRequest) -> list[ApiKey]:
        return [k for k in self._keys.list() if request.include_revoked or not k.revoked]


@dataclass(frozen=True, slots=True, kw_only=True)
class RevokeKeyRequest:
    name: str


class RevokeKey:
    """Revoke the active key of a name: from the next request on it is refused (401)."""

    def __init__(self, *, keys: KeyStore, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._clock = clock

    def execute(self, request: RevokeKeyRequest) -> None:
        name = validate_key_name(request.name)
        if not self._keys.revoke(name, now=self._clock()):
            raise NotFound(f"No active key named '{name}'.", name=name)
