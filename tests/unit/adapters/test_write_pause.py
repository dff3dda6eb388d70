"""The embedded store's write pause: a backup waits for the write under way, holds new writes (even a steady
stream of them) until it is done, and never waits for or holds anything else."""

from __future__ import annotations

import fcntl
import threading
from pathlib import Path

from autbot.adapters.chunk_index.files import WritePause


def _turnstile_taken(index: Path) -> bool:
    with open(index / "writes.turnstile", "a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        return False


def test_writes_run_together_without_a_backup(tmp_path: Path) -> None:
    pause = WritePause(tmp_path)
    with pause.writing(), pause.writing():
        pass


def test_a_backup_waits_for_the_write_under_way_and_holds_the_next_one(tmp_path: Path) -> None:
    pause, order = WritePause(tmp_path), []
    first_in, release_first, release_backup = threading.Event(), threading.Event(), threading.Event()

    def first_writer() -> None:
        with pause.writing():
            first_in.set()
            release_first.wait()
            order.append("first write done")

    def backup() -> None:
        with pause.paused():
            order.append("backup")
            release_backup.wait()
            order.append("backup done")

    def second_writer() -> None:
        with pause.writing():
            order.append("second write")

    threads = [threading.Thread(target=first_writer), threading.Thread(target=backup)]
    threads[0].start()
    first_in.wait()
    threads[1].start()
    while not _turnstile_taken(tmp_path):  # the backup is waiting for the first write
        threading.Event().wait(0.01)
    threads.append(threading.Thread(target=second_writer))
    threads[2].start()
    release_first.set()
    while "backup" not in order:
        threading.Event().wait(0.01)
    assert "second write" not in order
    release_backup.set()
    for t in threads:
        t.join(timeout=30)
    assert order == ["first write done", "backup", "backup done", "second write"]
