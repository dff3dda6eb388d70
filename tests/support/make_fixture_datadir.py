"""Write a small AutBot data directory with the code on ``PYTHONPATH``, and what it reads back, for the
migration tests (``tests/fixtures/datadir-v0`` was made with the 0.1.0 release's code, commit 052ee06, whose
stores carry no schema version yet: that layout is version 0). Run from the repository root:

    rm -rf /tmp/old && mkdir /tmp/old && git archive 052ee06 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src:. uv run python -m tests.support.make_fixture_datadir tests/fixtures/datadir-v0
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from tests.support import datadir


def main(out: Path) -> None:
    import autbot

    if out.exists():
        shutil.rmtree(out)
    data = out / "data"
    opened = datadir.stores(data)
    ingester, searcher = datadir.use_cases(opened)
    for collection, count in datadir.COLLECTIONS.items():
        ids = [f"doc-{n}" for n in range(count)]
        datadir.ingest(ingester, collection, ids, [datadir.text(collection, n) for n in range(count)])
    datadir.ingest(ingester, "handbook", ["doc-1"], [datadir.text("handbook", 1) + " Revised about glaciers."])
    _keys(opened["keys"])
    _session(opened["sessions"])
    expected = {
        "autbot_version": autbot.__version__,
        "documents": datadir.documents(opened["registry"]),
        "search": datadir.search_results(searcher),
        "keys": datadir.keys(opened["keys"]),
        "session": datadir.session(opened["sessions"]),
    }
    datadir.close_all(opened)
    (data / "index" / "autbot.lock").unlink(missing_ok=True)
    (out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


def _keys(store: object) -> None:
    """Keys whose records (salted hashes) the tests compare; the keys themselves are not kept."""
    from autbot.use_cases.keys import CreateKey, CreateKeyRequest

    create = CreateKey(keys=store)  # type: ignore[arg-type]
    for name in datadir.KEY_NAMES:
        create.execute(CreateKeyRequest(name=name, scopes=("query",) if name == "reader" else ("ingest",)))


def _session(store: object) -> None:
    from autbot.domain.sessions import Session, SessionMessage

    now = time.time()
    session = Session(
        id=datadir.SESSION_ID, owner="anonymous", collection="handbook", title="t", created_at=now, updated_at=now
    )
    store.create(session)  # type: ignore[attr-defined]
    messages = [SessionMessage(role="user", content="hello", created_at=now)]
    store.append(datadir.SESSION_ID, messages, now=now)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main(Path(sys.argv[1]))
