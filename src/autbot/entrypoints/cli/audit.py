"""``autbot audit``: read the audit trail from the configured store (no server needed), and the records the
CLI's own admin commands (``keys create|list|revoke``, ``audit``) write.

The CLI acts with the file-system rights of whoever runs it: its records name ``cli:<user>`` as the actor.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import time
from typing import Any

from autbot.domain import limits
from autbot.domain.audit import OK, AuditAction, AuditQuery, AuditRecord, parse_action
from autbot.domain.auth import Principal, Scope
from autbot.domain.errors import AutbotError


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return f"cli:uid-{os.getuid()}"


def record(container: Any, action: AuditAction, outcome: str = OK, *, target: str | None = None) -> None:
    """Write one record of a CLI action; a failing audit store is reported, never hides the action's result."""
    entry = AuditRecord(time=time.time(), actor=cli_actor(), action=action, outcome=outcome, target=target)
    try:
        container.record_audit().execute(entry)
    except AutbotError as e:
        print(f"autbot: the audit record of {action.value} was not written: {e.message}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.http.schemas.audit import instant, record_out
    from autbot.entrypoints.settings import load_settings
    from autbot.use_cases.audit import AuditQueryRequest

    container = build_container(load_settings(args.profile))
    try:
        query = AuditQuery(
            action=parse_action(args.action) if args.action else None,
            actor=args.actor,
            collection=args.collection,
            since=instant(args.since, "since"),
            until=instant(args.until, "until"),
            offset=args.offset,
            limit=args.limit,
        )
        admin = Principal(name=cli_actor(), scopes=frozenset({Scope.ADMIN}))
        page = container.query_audit().execute(AuditQueryRequest(principal=admin, query=query))
        record(container, AuditAction.AUDIT_READ)
    finally:
        container.shutdown_resources()
    rows = [_row(record_out(r)) for r in page.records]
    if args.json:
        print(json.dumps({"records": rows, "total": page.total}, indent=2))
        return 0
    for row in rows:
        where = row["collection"] or row["target"] or "-"
        docs = ",".join(row["document_ids"])
        print(f"{row['time']}  {row['actor']:<20} {row['action']:<18} {row['outcome']:<22} {where} {docs}".rstrip())
    print(f"{len(rows)} of {page.total} records", file=sys.stderr)
    return 0


def _row(out: Any) -> dict[str, Any]:
    import msgspec

    return dict(msgspec.to_builtins(out))


def add_parser(sub: Any) -> None:
    a = sub.add_parser("audit", help="read the audit trail (newest first) from the configured audit store")
    a.add_argument("--profile", help="bundled profile name or path to a .toml file (default: local)")
    a.add_argument("--action", help=f"one of: {', '.join(x.value for x in AuditAction)}")
    a.add_argument("--actor", help="key:<key id>, anonymous, cli:<user>")
    a.add_argument("--collection")
    a.add_argument("--since", help="ISO 8601 time (UTC unless an offset is given) or seconds since the epoch")
    a.add_argument("--until", help="as --since; records before this time")
    a.add_argument("--offset", type=int, default=0)
    a.add_argument("--limit", type=int, default=limits.DEFAULT_PAGE_SIZE)
    a.add_argument("--json", action="store_true", help='{"records": [...], "total": n}, as GET /v1/audit')
    a.set_defaults(func=run)
