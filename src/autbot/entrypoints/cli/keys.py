"""``autbot keys create|list|revoke``: manage API keys in the configured key store (no server needed)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from autbot.domain.audit import AuditAction
from autbot.domain.auth import key_owner
from autbot.domain.errors import AutbotError


def _use_case(args: argparse.Namespace, name: str) -> Any:
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.settings import load_settings

    container = build_container(load_settings(args.profile))
    return getattr(container, name)(), container


def create(args: argparse.Namespace) -> int:
    from autbot.use_cases.keys import CreateKeyRequest

    create_key, container = _use_case(args, "create_key")
    collections = None if args.collections is None else tuple(c for c in args.collections.split(",") if c.strip())
    groups = tuple(g for g in (args.groups or "").split(",") if g.strip())
    request = CreateKeyRequest(
        name=args.name, scopes=tuple(args.scopes.split(",")), collections=collections, groups=groups
    )
    try:
        with _audited(container, AuditAction.KEY_CREATE) as note:
            created = create_key.execute(request)
            note["target"] = key_owner(created.record.key_id)
    finally:
        container.shutdown_resources()
    r = created.record
    where = "all collections" if r.collections is None else ", ".join(sorted(r.collections))
    member = f"; groups: {', '.join(sorted(r.groups))}" if r.groups else ""
    print(f"Created key '{r.name}' (scopes: {', '.join(sorted(s.value for s in r.scopes))}; {where}{member}).")
    print("It is shown only now; store it safely:", file=sys.stderr)
    print(created.key)  # alone on the last line of stdout: scripts take it from there
    return 0


def list_(args: argparse.Namespace) -> int:
    from autbot.use_cases.keys import ListKeysRequest

    list_keys, container = _use_case(args, "list_keys")
    try:
        with _audited(container, AuditAction.KEYS_LIST):
            keys = list_keys.execute(ListKeysRequest())
    finally:
        container.shutdown_resources()
    rows = [
        {
            "name": k.name,
            "scopes": sorted(s.value for s in k.scopes),
            "collections": None if k.collections is None else sorted(k.collections),
            "groups": sorted(k.groups),
            "created_at": _when(k.created_at),
            "revoked_at": _when(k.revoked_at) if k.revoked_at else None,
        }
        for k in keys
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("No API keys: the server runs open on loopback. Create one with `autbot keys create NAME --scopes ...`.")
        return 0
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        cols = "all collections" if row["collections"] is None else ",".join(row["collections"])
        print(f"{row['name']:<24} {','.join(row['scopes']):<20} {cols:<30} created {row['created_at']}  {state}")
    return 0


def revoke(args: argparse.Namespace) -> int:
    from autbot.domain.errors import NotFound
    from autbot.use_cases.keys import RevokeKeyRequest

    revoke_key, container = _use_case(args, "revoke_key")
    try:
        with _audited(container, AuditAction.KEY_REVOKE) as note:
            active = [k for k in container.key_store().list() if k.name == args.name and not k.revoked]
            note["target"] = key_owner(active[0].key_id) if active else None
            revoke_key.execute(RevokeKeyRequest(name=args.name))
    except NotFound as e:
        print(f"autbot: {e.message}", file=sys.stderr)
        return 1
    finally:
        container.shutdown_resources()
    print(f"Revoked key '{args.name}'.")
    return 0


@contextmanager
def _audited(container: Any, action: AuditAction) -> Iterator[dict[str, str | None]]:
    """One audit record of the command: ``ok``, or the code of the error it raised (re-raised)."""
    from autbot.entrypoints.cli.audit import record

    note: dict[str, str | None] = {"target": None}
    try:
        yield note
    except AutbotError as e:
        record(container, action, e.code, target=note["target"])
        raise
    record(container, action, target=note["target"])


def _when(ts: float | None) -> str:
    return "" if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def add_parser(sub: Any) -> None:
    keys = sub.add_parser("keys", help="create, list and revoke API keys (in the configured key store)")
    keys.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
    ksub = keys.add_subparsers(required=True, metavar="ACTION")
    c = ksub.add_parser("create", help="create a key; prints it alone on the last line of stdout (shown once)")
    c.add_argument("name", help="a name for the key (letters, digits, . _ -)")
    c.add_argument("--scopes", required=True, help="comma-separated: query, ingest, admin")
    c.add_argument("--collections", help="comma-separated collections the key may touch (default: all)")
    c.add_argument("--groups", help="comma-separated groups, for documents' access lists (default: none)")
    c.set_defaults(func=create)
    ls = ksub.add_parser("list", help="list keys (never the keys themselves)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=list_)
    r = ksub.add_parser("revoke", help="revoke the active key of this name")
    r.add_argument("name")
    r.set_defaults(func=revoke)
