"""Migrating the stores AutBot owns to the schema versions this AutBot needs."""

from __future__ import annotations

from collections.abc import Sequence

from autbot.domain.schema_versions import MigrationPlan, plan, require_current
from autbot.ports.versioned_store import VersionedStore


class MigrateStores:
    """Bring every store to its target schema version.

    - Every store's version is read and checked first: one newer than this AutBot knows refuses the whole
      run (``schema_too_new``) before any store changes.
    - Each step runs atomically in its store and records the new version with it; a step another process
      already ran is skipped, so running twice, or on two replicas at once, changes nothing the second time.
    """

    def __init__(self, stores: Sequence[VersionedStore]) -> None:
        self._stores = stores

    def check(self) -> list[MigrationPlan]:
        """What would change, per store, without changing anything."""
        return [plan(s.store, s.version(), s.steps) for s in self._stores]

    def execute(self) -> list[MigrationPlan]:
        """Apply every pending step; returns the plans that were carried out."""
        plans = self.check()
        for store, p in zip(self._stores, plans, strict=True):
            bring_current(store, p)
        return plans


def bring_current(store: VersionedStore, p: MigrationPlan) -> None:
    for step in range(p.current, p.target):
        store.apply(step)


def open_current(store: VersionedStore, *, migrate: bool) -> MigrationPlan:
    """At start-up: migrate the store, or (``migrate`` false) refuse one with steps pending."""
    p = plan(store.store, store.version(), store.steps)
    if not migrate:
        require_current(p)
    bring_current(store, p)
    return p
