"""The DocumentLocks contract, on the in-process implementation."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autbot.adapters.locks.in_process import InProcessDocumentLocks
from autbot.ports.document_locks import DocumentLocks


@pytest.fixture(params=["in_process"])
def locks(request: pytest.FixtureRequest) -> DocumentLocks:
    return InProcessDocumentLocks()


def test_satisfies_the_protocol(locks: DocumentLocks) -> None:
    assert isinstance(locks, DocumentLocks)


def test_one_document_is_held_by_one_caller_at_a_time(locks: DocumentLocks) -> None:
    inside = 0
    most = 0
    guard = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        for _ in range(20):
            with locks.hold("c", ["doc"]):
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 1


def test_other_documents_are_not_blocked(locks: DocumentLocks) -> None:
    held = threading.Event()
    release = threading.Event()

    def holder() -> None:
        with locks.hold("c", ["a"]):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)
    assert not _free(locks, "a")  # "a" itself waits
    free = sum(_free(locks, f"b{i}") for i in range(10))
    assert free >= 8  # other documents go ahead (64 stripes: a rare one shares a's stripe)
    release.set()
    t.join(10)


def _free(locks: DocumentLocks, doc: str) -> bool:
    done = threading.Event()

    def take() -> None:
        with locks.hold("c", [doc]):
            done.set()

    t = threading.Thread(target=take, daemon=True)
    t.start()
    return done.wait(0.2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=5), min_size=2, max_size=4))
def test_overlapping_sets_never_deadlock(sets: list[list[str]]) -> None:
    locks = InProcessDocumentLocks(stripes=4)
    threads = [threading.Thread(target=_take_twice, args=(locks, ids)) for ids in sets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)


def _take_twice(locks: DocumentLocks, ids: list[str]) -> None:
    for order in (ids, list(reversed(ids))):
        with locks.hold("c", order):
            time.sleep(0.0005)
