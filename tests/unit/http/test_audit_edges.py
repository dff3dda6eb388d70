"""The audit trail at its edges: an open server's anonymous actor, a broken audit log, log lines, SIGHUP."""

from __future__ import annotations

from typing import Any

from autbot.adapters.audit.memory import InMemoryAuditLog
from autbot.domain.audit import AuditAction, AuditQuery, AuditRecord
from autbot.domain.errors import AuditLogUnavailable
from tests.support.app_client import app_client


class BrokenAuditLog(InMemoryAuditLog):
    def append(self, record: Any) -> None:
        raise AuditLogUnavailable("The audit log is down.")


def test_an_open_server_records_anonymous_and_a_broken_log_never_fails_the_call() -> None:
    with app_client(overrides={"audit_log": (log := InMemoryAuditLog())}) as client:
        r = client.post("/v1/collections/kb/documents", json={"documents": [{"id": "a", "text": "Words."}]})
        assert r.status_code == 201
        assert [(x.actor, x.document_ids) for x in log.query(AuditQuery()).records] == [("anonymous", ("a",))]
        assert client.get("/v1/audit").json()["total"] == 1  # open on loopback, like every route there
    with app_client(overrides={"audit_log": BrokenAuditLog()}) as client:
        r = client.post("/v1/collections/kb/documents", json={"documents": [{"id": "a", "text": "Words."}]})
        assert r.status_code == 201


def test_log_lines_carry_the_record() -> None:
    from loguru import logger

    from autbot.entrypoints.observability.audit_lines import audit_line

    lines: list[dict[str, Any]] = []
    sink = logger.add(lambda m: lines.append(dict(m.record["extra"])), level="INFO")
    try:
        audit_line(AuditRecord(time=1.0, actor="key:k", action=AuditAction.KEY_CREATE, outcome="ok", target="key:x"))
    finally:
        logger.remove(sink)
    assert lines[0]["logger_name"] == "autbot.audit"
    assert (lines[0]["audit_action"], lines[0]["actor"], lines[0]["target"]) == ("key.create", "key:k", "key:x")


def test_a_sighup_refresh_writes_one_record() -> None:
    import asyncio
    import os
    import signal

    from autbot.entrypoints.bootstrap.secrets import refresh_on_sighup
    from autbot.entrypoints.http.middleware.audit import on_signal
    from autbot.use_cases.audit import RecordAudit

    class Store:
        refreshed = 0

        def get(self, name: str) -> str | None:
            return None

        def refresh(self) -> None:
            self.refreshed += 1

    log, store = InMemoryAuditLog(), Store()
    install, remove = refresh_on_sighup(
        store, lambda: on_signal(RecordAudit(log), AuditAction.SECRETS_REFRESH, "SIGHUP")
    )

    async def main() -> None:
        install()
        try:
            os.kill(os.getpid(), signal.SIGHUP)
            for _ in range(100):
                if store.refreshed:
                    break
                await asyncio.sleep(0.01)
        finally:
            remove()

    asyncio.run(main())
    assert [(r.action, r.actor, r.outcome) for r in log.query(AuditQuery()).records] == [
        (AuditAction.SECRETS_REFRESH, "signal:SIGHUP", "ok")
    ]
