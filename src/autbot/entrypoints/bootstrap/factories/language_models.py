"""Language models (``llm.backend``), each closed with the container."""

from __future__ import annotations

from collections.abc import Iterator

from autbot.entrypoints.bootstrap.factories import closing
from autbot.entrypoints.settings import Settings
from autbot.ports.language_model import LanguageModel
from autbot.ports.secret_store import SecretStore


def local_language_model(s: Settings) -> Iterator[LanguageModel]:
    from autbot.adapters.llm.llamacpp import LlamaCppLanguageModel

    c = s.llm.local
    yield from closing(
        LlamaCppLanguageModel(
            model_path=c.model_path,
            threads=c.threads,
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
