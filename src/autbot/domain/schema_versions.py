"""Schema versions of the stores AutBot owns: the rule every store's migrations follow.

A store's version is a whole number; version 0 is the layout AutBot 0.1.0 wrote before stores carried a
version (or an empty store). A store knows an ordered list of steps; step ``n`` takes version ``n`` to
``n + 1``, so the target version is the number of steps. A version above the target was written by a newer
AutBot and is refused, never guessed at: the message names both versions and this AutBot's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autbot import __version__
from autbot.domain.errors import MigrationRequired, SchemaTooNew


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationPlan:
    """What migrating one store means: from ``current`` to ``target`` by ``steps`` (one line each, in order)."""

    store: str
    current: int
    target: int
    steps: tuple[str, ...]

    @property
    def pending(self) -> bool:
        return self.current < self.target


def plan(store: str, current: int, steps: Sequence[str]) -> MigrationPlan:
    """The steps still to run on ``store`` at version ``current``; refuses a version this AutBot does not know."""
    target = len(steps)
    if current > target or current < 0:
        raise SchemaTooNew(
            f"The {store} store is at schema version {current}, but AutBot {__version__} knows versions up to "
            f"{target}: it was written by a newer AutBot. Run that version, or restore a backup this one made.",
            store=store,
            version=current,
            known_version=target,
            autbot_version=__version__,
        )
    return MigrationPlan(store=store, current=current, target=target, steps=tuple(steps[current:]))


def require_current(p: MigrationPlan) -> None:
    """Refuse to open a store with steps pending (start-up set not to migrate)."""
    if p.pending:
        raise MigrationRequired(
            f"The {p.store} store is at schema version {p.current} and AutBot {__version__} needs version "
            f"{p.target}. Run 'autbot migrate --check' to see the steps and 'autbot migrate' to apply them "
            "(or set storage.migrate_on_start = true).",
            store=p.store,
            version=p.current,
            target_version=p.target,
            autbot_version=__version__,
        )
