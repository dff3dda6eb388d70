"""``server.malloc_arenas``: the cap reaches glibc in this process and, through the environment, later workers;
``server.malloc_trim``: freed heap pages go back to the OS after each ingestion request."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from autbot.domain.auth import ANONYMOUS
from autbot.domain.errors import AutbotError
from autbot.domain.model import DocumentInput
from autbot.entrypoints.bootstrap import memory as allocator
from autbot.entrypoints.bootstrap.container import build_container
from autbot.entrypoints.bootstrap.memory import limit_malloc_arenas
from autbot.entrypoints.settings import load_settings, settings_from_dict
from autbot.use_cases.ingest import IngestRequest


def test_the_default_caps_malloc_arenas_at_two() -> None:
    assert load_settings(env={}).server.malloc_arenas == 2


def test_zero_leaves_glibc_alone() -> None:
    assert limit_malloc_arenas(0) is False


def test_the_cap_is_applied_and_handed_to_worker_processes() -> None:
    code = (
        "import os\nfrom autbot.entrypoints.bootstrap.memory import limit_malloc_arenas\n"
        "print(limit_malloc_arenas(2), os.environ.get('MALLOC_ARENA_MAX'))"
    )
    env = {"PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    applied, inherited = out.stdout.split()
    assert inherited == "2"
    assert applied == str(sys.platform == "linux" and _glibc())


def _glibc() -> bool:
    import platform

    return platform.libc_ver()[0] == "glibc"


def test_freed_heap_pages_go_back_to_the_os() -> None:
    """Half of 120 MB of heap blocks freed, every other one (holes glibc cannot trim from the top on its own):
    ``release_free_memory`` hands those pages back and resident memory falls."""
    code = (
        "from autbot.entrypoints.bootstrap.memory import release_free_memory\n"
        "def rss():\n"
        "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS:')) // 1024\n"
        "blocks = [bytes(60_000) for _ in range(2_000)]\n"
        "del blocks[::2]\n"
        "before = rss()\n"
        "print(release_free_memory(), before - rss())"
    )
    env = {"PATH": "/usr/bin:/bin", "MALLOC_ARENA_MAX": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True)
    released, freed_mb = out.stdout.split()
    if not _glibc():  # pragma: no cover - the release is glibc's
        assert released == "False"
        return
    assert released == "True"
    assert int(freed_mb) > 20  # of about 60 MB in holes


def test_by_default_ingestion_releases_freed_memory_after_each_request(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def release() -> bool:
        calls.append("released")
        return True

    monkeypatch.setattr(allocator, "release_free_memory", release)
    settings = settings_from_dict({"index": {"backend": "memory"}, "embedder": {"backend": "hashing"}})
    assert settings.server.malloc_trim is True
    ingest = build_container(settings).ingest_documents()
    assert isinstance(ingest, allocator.MemoryReleasingIngest)
    done = ingest.execute(
        IngestRequest(principal=ANONYMOUS, collection="kb", documents=(DocumentInput(id="a", text="Some text."),))
    )
    assert [o.status for o in done] == ["created"]
    with pytest.raises(AutbotError):  # a refused request releases too: its buffers may be freed already
        ingest.execute(IngestRequest(principal=ANONYMOUS, collection="kb", documents=(DocumentInput(id="b", text=""),)))
    assert calls == ["released", "released"]


def test_malloc_trim_off_leaves_the_heap_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def release() -> bool:
        calls.append("released")
        return True

    monkeypatch.setattr(allocator, "release_free_memory", release)
    settings = settings_from_dict(
        {"index": {"backend": "memory"}, "embedder": {"backend": "hashing"}, "server": {"malloc_trim": False}}
    )
    ingest = build_container(settings).ingest_documents()
    ingest.execute(
        IngestRequest(principal=ANONYMOUS, collection="kb", documents=(DocumentInput(id="a", text="Some text."),))
    )
    assert calls == []


def test_the_local_model_keeps_no_prompt_cache_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """llama.cpp's own prompt cache (8 GiB by default) kept every distinct question's state: off unless asked."""
    xllamacpp = pytest.importorskip("xllamacpp")
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    built: list[Any] = []  # xllamacpp's untyped server parameters
    monkeypatch.setattr(xllamacpp, "Server", built.append)
    local = load_settings(env={}).llm.local
    assert (local.kv_cache, local.prompt_cache_mb, local.micro_batch) == ("f16", 0, 256)
    LlamaCppLanguageModel(kv_cache=local.kv_cache, prompt_cache_mb=local.prompt_cache_mb, micro_batch=local.micro_batch)
    LlamaCppLanguageModel(kv_cache="q8_0", prompt_cache_mb=64)
    default, small = built
    assert default.cache_ram_mib == 0
    assert default.n_ubatch == 256
    assert default.cache_type_v == xllamacpp.ggml_type.GGML_TYPE_F16
    assert small.cache_ram_mib == 64
    assert small.cache_type_k == small.cache_type_v == xllamacpp.ggml_type.GGML_TYPE_Q8_0
    assert small.flash_attn_type == xllamacpp.llama_flash_attn_type.LLAMA_FLASH_ATTN_TYPE_ENABLED
