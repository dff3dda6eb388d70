"""The schema-version rule (``domain.schema_versions``) and ``MigrateStores``, over a hand-written store."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autbot import __version__
from autbot.domain.errors import MigrationRequired, SchemaTooNew
from autbot.domain.schema_versions import plan
from autbot.use_cases.migrations import MigrateStores, open_current
from tests.support.fakes import ListStore


def test_a_plan_lists_the_steps_still_to_run_in_order() -> None:
    p = plan("registry", 1, ["a", "b", "c"])
    assert (p.current, p.target, p.steps, p.pending) == (1, 3, ("b", "c"), True)
    assert not plan("registry", 3, ["a", "b", "c"]).pending


def test_a_newer_version_is_refused_naming_both_versions_and_autbot() -> None:
    with pytest.raises(SchemaTooNew) as caught:
        plan("keys", 5, ["a", "b"])
    message = caught.value.message
    assert "version 5" in message
    assert "up to 2" in message
    assert f"AutBot {__version__}" in message
    assert caught.value.details == {"store": "keys", "version": 5, "known_version": 2, "autbot_version": __version__}
    assert caught.value.code == "schema_too_new"


@given(st.integers(min_value=0, max_value=6), st.integers(min_value=0, max_value=6))
def test_migrating_reaches_the_target_through_every_step_once(steps: int, start: int) -> None:
    store = ListStore("s", [f"step {i}" for i in range(steps)], version=min(start, steps))
    MigrateStores([store]).execute()
    assert store.recorded == steps
    assert store.applied == list(range(min(start, steps), steps))
    MigrateStores([store]).execute()  # a second run changes nothing
    assert store.applied == list(range(min(start, steps), steps))


def test_check_changes_nothing() -> None:
    store = ListStore("s", ["a", "b"])
    (p,) = MigrateStores([store]).check()
    assert p.steps == ("a", "b")
    assert store.recorded == 0
    assert not store.applied


def test_one_store_too_new_stops_every_store_before_any_changes() -> None:
    behind, ahead = ListStore("a", ["x"]), ListStore("b", ["x"], version=2)
    with pytest.raises(SchemaTooNew):
        MigrateStores([behind, ahead]).execute()
    assert behind.recorded == 0


def test_start_up_set_not_to_migrate_refuses_a_store_behind_and_opens_a_current_one() -> None:
    with pytest.raises(MigrationRequired) as caught:
        open_current(ListStore("sessions", ["a"]), migrate=False)
    assert "autbot migrate" in caught.value.message
    assert caught.value.code == "migration_required"
    current = ListStore("sessions", ["a"], version=1)
    assert not open_current(current, migrate=False).pending
