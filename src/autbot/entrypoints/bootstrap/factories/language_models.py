"""Language models (``llm.backend``), each closed with the container."""

from __future__ import annotations

import os
from collections.abc import Iterator

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.language_model import LanguageModel
from autbot.ports.secret_store import SecretStore


def llm_threads(s: Settings, cpus: int | None = None) -> int:
    """``llm.local.threads``, or when 0: the CPUs this process may use less the cores its own job workers embed
    on (``jobs.workers`` × ``jobs.embedder_threads``), at least one. llama.cpp's threads wait for each other at
    every step, so one of them sharing its core with ingestion slows every answer far more than the core's share;
    with a core of its own, ingestion does not touch answers."""
    if s.llm.local.threads:
        return s.llm.local.threads
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    own_embedding = s.embedder.backend == "onnx" and s.jobs.embedder_threads > 0
    reserved = s.jobs.workers * s.jobs.embedder_threads if own_embedding else 0
    return max(1, cpus - reserved)


def local_language_model(s: Settings) -> Iterator[LanguageModel]:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    c = s.llm.local
    yield from closing(
        LlamaCppLanguageModel(
            model_path=c.model_path,
            threads=llm_threads(s),
            context_tokens=c.context_tokens,
            parallel=c.parallel,
            kv_cache=c.kv_cache,
            prompt_cache_mb=c.prompt_cache_mb,
            micro_batch=c.micro_batch,
            preload=c.preload,
        )
    )


def openai_language_model(s: Settings, secrets: SecretStore) -> Iterator[LanguageModel]:
    from autbot.adapters.llm.openai import OpenAILanguageModel

    c = s.llm.openai
    yield from closing(
        OpenAILanguageModel(
            base_url=c.base_url,
            model=c.model,
            api_key=lambda: secrets.get(c.api_key_secret),  # read per call: a rotated key is used at once
            timeout_s=s.llm.timeout_s,
            max_retries=c.max_retries,
            backoff_s=c.backoff_s,
            max_backoff_s=c.max_backoff_s,
        )
    )


def fake_language_model(s: Settings) -> Iterator[LanguageModel]:
    from autbot.adapters.llm.fake import ScriptedLanguageModel

    yield from closing(ScriptedLanguageModel(token_delay_s=s.llm.fake_token_delay_s))
