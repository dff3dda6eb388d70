"""Document access lists and the filter a caller's query carries (stdlib only).

A document may carry an access list: groups and subjects. Without one it is *open*: the collection's rules
alone decide who sees it. With one, a caller sees it when one of the caller's groups is among its groups or the
caller's subject is among its subjects. Admin callers (and the anonymous principal of an open server) see
every document.

The list is stored denormalised on every chunk of a listed document as metadata flags (``_acl_restricted``,
``_acl_g_<group>``, ``_acl_s_<subject>``, each ``True``); an open document's chunks carry none, so data written
before access lists existed stays open without a rewrite. Every chunk index applies ``AccessFilter`` inside its
own query as "``_acl_restricted`` is not set, or one of the caller's flags is": never to results afterwards, so
``top_k`` stays full and counts, scores and timings reflect only what the caller may see. The same flags sit in
the document's stored metadata, where ``access_of`` reads them back; ``public_metadata`` hides them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from autbot.domain import limits
from autbot.domain.errors import InvalidInput

ACL_PREFIX = "_acl_"
"""Metadata keys starting with this are the access flags; callers may not set them."""
RESTRICTED_KEY = "_acl_restricted"
_GROUP = "_acl_g_"
_SUBJECT = "_acl_s_"
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+/=|-]*")
"""Group and subject names (applied with fullmatch): an email, a UUID, an OIDC subject, a group path."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessList:
    """Who may see a document: members of any of ``groups``, and the ``subjects`` named."""

    groups: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    def flags(self) -> dict[str, bool]:
        """The chunk and document metadata that stores this list."""
        return {
            RESTRICTED_KEY: True,
            **{_GROUP + g: True for g in self.groups},
            **{_SUBJECT + s: True for s in self.subjects},
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AccessFilter:
    """What a caller may see, carried by a chunk query: chunks without ``RESTRICTED_KEY`` set to ``True``, and
    chunks with any of ``keys`` (the caller's group and subject flags) set to ``True``."""

    keys: tuple[str, ...]

    def admits(self, metadata: Mapping[str, Any]) -> bool:
        """The reference rule, for in-process indexes and tests."""
        return metadata.get(RESTRICTED_KEY) is not True or any(metadata.get(k) is True for k in self.keys)


def caller_filter(*, groups: Iterable[str], subject: str | None) -> AccessFilter:
    """The filter of a caller who is not admin: open documents, its groups' and its subject's."""
    keys = [_GROUP + g for g in sorted(groups)]
    return AccessFilter(keys=(*keys, _SUBJECT + subject) if subject else tuple(keys))


def flags_for(access: AccessList | None) -> dict[str, bool]:
    """The flags a document's chunks carry: its list's, or none for an open document."""
    return {} if access is None else access.flags()


def access_of(metadata: Mapping[str, Any]) -> AccessList | None:
    """A stored document's access list (None: open)."""
    if metadata.get(RESTRICTED_KEY) is not True:
        return None
    return AccessList(
        groups=frozenset(k[len(_GROUP) :] for k in metadata if k.startswith(_GROUP)),
        subjects=frozenset(k[len(_SUBJECT) :] for k in metadata if k.startswith(_SUBJECT)),
    )


def public_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Metadata as callers see it: without the access flags."""
    return {k: v for k, v in metadata.items() if not k.startswith(ACL_PREFIX)}


def parse_names(raw: Any, *, field: str) -> frozenset[str]:
    """Group or subject names: a list (or comma-separated string) of 0 to ``limits.MAX_ACCESS_ENTRIES`` names
    of 1-``limits.MAX_ACCESS_NAME_CHARS`` characters of letters, digits and ``. _ : @ + / = | -``."""
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise InvalidInput(f"{field} must be a list of names.", field=field)
    names = frozenset(i.strip() for i in items if i.strip())
    if len(names) > limits.MAX_ACCESS_ENTRIES:
        raise InvalidInput(f"At most {limits.MAX_ACCESS_ENTRIES} {field} are allowed.", field=field)
    for name in names:
        if len(name) > limits.MAX_ACCESS_NAME_CHARS or not _NAME_RE.fullmatch(name):
            raise InvalidInput(
                f"Names in {field} are 1-{limits.MAX_ACCESS_NAME_CHARS} characters of letters, digits and "
                ". _ : @ + / = | -, starting with a letter or digit.",
                field=field,
            )
    return names


def parse_access(raw: Any) -> AccessList | None:
    """``{"groups": [...], "subjects": [...]}`` → an access list; None or absent → None (open). An object with
    both lists empty is refused: it would hide the document from everyone but admins by accident."""
    if raw is None:
        return None
    lists = isinstance(raw, dict) and all(isinstance(v, list) for v in raw.values())
    if not lists or set(raw) - {"groups", "subjects"}:
        raise InvalidInput('access must be an object {"groups": [...], "subjects": [...]}.', field="access")
    groups = parse_names(raw.get("groups", []), field="access.groups")
    subjects = parse_names(raw.get("subjects", []), field="access.subjects")
    if not groups and not subjects:
        raise InvalidInput("access needs at least one group or subject.", field="access")
    return AccessList(groups=groups, subjects=subjects)
