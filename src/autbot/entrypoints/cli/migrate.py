"""``autbot migrate [--check]``, ``autbot backup PATH`` and ``autbot restore PATH`` (no server needed)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from autbot.domain.schema_versions import MigrationPlan

CHECK_PENDING = 1
"""``migrate --check``'s exit status when some store has steps to run (0: every store is current)."""


def migrate(args: argparse.Namespace) -> int:
    from autbot.use_cases.migrations import MigrateStores

    with _stores(args.profile, read_only=args.check) as stores:
        use_case = MigrateStores(stores)
        plans = use_case.check() if args.check else use_case.execute()
    if args.json:
        print(json.dumps([_row(p) for p in plans], indent=2))
    else:
        _print(plans, applied=not args.check)
    return CHECK_PENDING if args.check and any(p.pending for p in plans) else 0


def backup(args: argparse.Namespace) -> int:
    from autbot.entrypoints.bootstrap import backups
    from autbot.entrypoints.settings import load_settings

    manifest = backups.back_up(load_settings(args.profile), args.path)
    print(f"Backed up {', '.join(str(f) for f in _files(manifest))} and the Chroma files to {args.path}.")
    return 0


def restore(args: argparse.Namespace) -> int:
    from autbot.entrypoints.bootstrap import backups
    from autbot.entrypoints.settings import load_settings

    settings = load_settings(args.profile)
    manifest = backups.restore(settings, args.path)
    print(
        f"Restored the backup of AutBot {manifest.get('autbot_version')} into {settings.storage.data_dir}; "
        "the next start migrates it if it is older than this AutBot."
    )
    return 0


@contextmanager
def _stores(profile: str | None, *, read_only: bool) -> Iterator[list[Any]]:
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.migrations import embedded_stores, shared_stores
    from autbot.entrypoints.settings import load_settings

    settings = load_settings(profile)
    container = build_container(settings)
    stores: list[Any] = embedded_stores(settings, read_only=read_only)
    try:
        yield stores + shared_stores(settings, container.redis, container.weaviate)
    finally:
        for store in stores:
            if hasattr(store, "close"):
                store.close()
        container.shutdown_resources()


def _print(plans: Sequence[MigrationPlan], *, applied: bool) -> None:
    if not plans:
        print("No store to migrate: the configured stores do not exist yet (start-up creates them).")
    for p in plans:
        if not p.pending:
            print(f"{p.store:<10} version {p.current}: current")
            continue
        verb = "migrated" if applied else "would migrate"
        print(f"{p.store:<10} version {p.current} -> {p.target}: {verb}")
        for number, step in enumerate(p.steps, start=p.current + 1):
            print(f"    {number}. {step}")


def _row(p: MigrationPlan) -> dict[str, object]:
    return {"store": p.store, "version": p.current, "target_version": p.target, "steps": list(p.steps)}


def _files(manifest: dict[str, object]) -> list[object]:
    files = manifest.get("sqlite_files")
    return list(files) if isinstance(files, list) else []


def add_parser(sub: Any) -> None:
    profile = "bundled profile name or path to a .toml file (default: local)"
    m = sub.add_parser("migrate", help="bring the configured stores to this AutBot's schema versions")
    m.add_argument("--profile", help=profile)
    m.add_argument("--check", action="store_true", help="only say what would change (exit 1 if anything would)")
    m.add_argument("--json", action="store_true", help="print one JSON object per store")
    m.set_defaults(func=migrate)
    b = sub.add_parser("backup", help="copy the embedded data directory to PATH, consistently, while serving")
    b.add_argument("path", type=Path, help="a new directory")
    b.add_argument("--profile", help=profile)
    b.set_defaults(func=backup)
    r = sub.add_parser("restore", help="put a backup in place in an empty data directory (server stopped)")
    r.add_argument("path", type=Path, help="a directory 'autbot backup' wrote")
    r.add_argument("--profile", help=profile)
    r.set_defaults(func=restore)
