"""``autbot models pull``: a pinned jar from a Maven-layout repository (a local HTTP server here), checked by
its SHA-256, unpacked into the models directory; the server refuses to start without a model it should serve."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from autbot.adapters.embedders import model_files
from autbot.domain.errors import ConfigurationError, EmbedderUnavailable
from autbot.entrypoints.cli import main
from autbot.entrypoints.settings import load_settings

NAME = "bge-small-en-v1.5"


def fake_jar(onnx: bytes = b"onnx bytes", tokenizer: bytes = b"{}") -> bytes:
    jar = model_files.JARS[NAME]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
        z.writestr(jar.onnx_member, onnx)
        z.writestr(jar.tokenizer_member, tokenizer)
    return buf.getvalue()


@pytest.fixture
def repository(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A Maven-layout repository served over HTTP on loopback: (its URL, its root directory)."""
    root = tmp_path / "repo"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def publish(root: Path, data: bytes) -> None:
    path = root / model_files.JARS[NAME].path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def pin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setitem(
        model_files.JARS, NAME, replace(model_files.JARS[NAME], sha256=hashlib.sha256(data).hexdigest())
    )


def test_a_jar_whose_sha256_is_not_the_pinned_one_is_refused(repository: tuple[str, Path], tmp_path: Path) -> None:
    url, root = repository
    publish(root, fake_jar())  # not the pinned jar
    models = tmp_path / "models"
    with pytest.raises(EmbedderUnavailable, match="SHA-256"):
        model_files.pull(NAME, models, repository=url)
    assert model_files.model_state(models, NAME) == "missing"
    assert not [p for p in models.rglob("*") if p.is_file()]  # nothing left behind


def test_the_pinned_jar_is_unpacked_into_the_cache_and_pulled_once(
    repository: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, root = repository
    data = fake_jar(onnx=b"the model", tokenizer=b'{"t": 1}')
    publish(root, data)
    pin(monkeypatch, data)
    models = tmp_path / "models"
    where = model_files.pull(NAME, models, repository=url)
    assert where == models / NAME / model_files.JARS[NAME].version
    assert (where / "model.onnx").read_bytes() == b"the model"
    assert (where / "tokenizer.json").read_bytes() == b'{"t": 1}'
    assert model_files.model_state(models, NAME) == "cached"
    (root / model_files.JARS[NAME].path()).unlink()  # cached: the repository is not asked again
    assert model_files.pull(NAME, models, repository=url) == where


def test_the_cli_pulls_with_the_configured_repository_and_lists_states(
    repository: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, root = repository
    data = fake_jar()
    publish(root, data)
    pin(monkeypatch, data)
    monkeypatch.setenv("AUTBOT_EMBEDDER__MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("AUTBOT_EMBEDDER__MODELS_REPOSITORY", url)
    assert main(["models", "pull", NAME]) == 0
    assert main(["models", "pull", "all-MiniLM-L6-v2"]) == 0  # bundled: nothing to fetch
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "cached in" in out
    states = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.split()[0].endswith(("v2", "v1.5"))}
    assert states == {"all-MiniLM-L6-v2": "bundled", NAME: "cached", "e5-small-v2": "missing"}
    assert main(["models", "pull", "gte-small"]) == 2


def test_a_missing_model_stops_the_start_naming_the_command(tmp_path: Path) -> None:
    from autbot.entrypoints.bootstrap.container import build_container
    from autbot.entrypoints.bootstrap.lifecycle import start

    settings = load_settings(
        env={},
        overrides={
            "index": {"backend": "memory"},
            "llm": {"backend": "fake"},
            "embedder": {"models": [NAME], "models_dir": str(tmp_path / "models")},
        },
    )
    with pytest.raises(ConfigurationError, match=f"autbot models pull {NAME}"):
        start(build_container(settings))


def test_an_unknown_model_in_the_settings_stops_the_start() -> None:
    from autbot.entrypoints.bootstrap.factories.embedders import served_models

    settings = load_settings(env={}, overrides={"embedder": {"default_model": "gte-small"}})
    with pytest.raises(ConfigurationError, match="gte-small"):
        served_models(settings)
    both = load_settings(
        env={}, overrides={"embedder": {"default_model": "e5-small-v2", "models": [NAME, "e5-small-v2"]}}
    )
    assert [s.name for s in served_models(both)] == ["e5-small-v2", NAME]
