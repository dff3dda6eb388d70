"""The LanguageModel contract: the scripted fake, the local llama.cpp model, and the OpenAI adapter
against a real OpenAI-compatible HTTP server on loopback."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace

import pytest

from autbot.adapters.llm.fake import ScriptedLanguageModel
from autbot.adapters.llm.openai import OpenAILanguageModel
from autbot.domain.answers import ChatMessage, GenerationParams
from autbot.ports.language_model import LanguageModel

MESSAGES = (
    ChatMessage(role="system", content="You answer in one short sentence."),
    ChatMessage(role="user", content="The sky is blue. What colour is the sky?"),
)


@pytest.fixture(
    params=[
        "fake",
        pytest.param("local", marks=pytest.mark.slow),  # loads the GGUF model in-process
        pytest.param("openai", marks=pytest.mark.slow),  # starts llama.cpp's OpenAI-compatible server
    ]
)
def llm(request: pytest.FixtureRequest) -> LanguageModel:
    if request.param == "fake":
        return ScriptedLanguageModel(["The sky is blue, as the text says."])
    if request.param == "local":
        local: LanguageModel = request.getfixturevalue("local_llm")
        return local
    base_url = request.getfixturevalue("openai_server")
    return OpenAILanguageModel(base_url=base_url, model="smollm2", timeout_s=120, max_retries=1)


def test_satisfies_the_protocol(llm: LanguageModel) -> None:
    assert isinstance(llm, LanguageModel)
    assert isinstance(llm.model_id, str)
    assert llm.model_id


async def test_complete(llm: LanguageModel) -> None:
    out = await llm.complete(MESSAGES, GenerationParams(max_tokens=24, temperature=0.0))
    assert out.text.strip()
    assert out.usage.prompt_tokens > 0
    assert 0 < out.usage.completion_tokens <= 24
    assert out.model


async def test_max_tokens_is_respected(llm: LanguageModel) -> None:
    out = await llm.complete(MESSAGES, GenerationParams(max_tokens=3, temperature=0.0))
    assert 0 < out.usage.completion_tokens <= 3


async def test_stream_yields_text_then_usage(llm: LanguageModel) -> None:
    deltas = [d async for d in llm.stream(MESSAGES, GenerationParams(max_tokens=24, temperature=0.0))]
    text = "".join(d.text for d in deltas)
    assert text.strip()
    assert sum(1 for d in deltas if d.text) >= 2  # really streamed, not one blob
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.completion_tokens > 0
    assert all(d.usage is None for d in deltas[:-1])


async def test_stream_and_complete_agree_at_temperature_zero(llm: LanguageModel) -> None:
    params = GenerationParams(max_tokens=16, temperature=0.0)
    streamed = "".join([d.text async for d in llm.stream(MESSAGES, params)])
    completed = (await llm.complete(MESSAGES, params)).text
    assert streamed.strip() == completed.strip()


async def test_closing_a_stream_early_cancels_and_leaves_the_model_usable(llm: LanguageModel) -> None:
    params = GenerationParams(max_tokens=64, temperature=0.0)
    async with aclosing(llm.stream(MESSAGES, params)) as stream:
        async for delta in stream:
            if delta.text:
                break
    again = await llm.complete(MESSAGES, GenerationParams(max_tokens=8, temperature=0.0))
    assert again.text.strip()


async def test_health(llm: LanguageModel) -> None:
    assert llm.health().ok


async def test_stop_strings_end_the_generation_before_them(llm: LanguageModel) -> None:
    params = GenerationParams(max_tokens=24, temperature=0.0)
    full = (await llm.complete(MESSAGES, params)).text
    words = full.split()
    assert len(words) >= 3, full
    stop = words[2].strip(".,!?")
    cut = (await llm.complete(MESSAGES, replace(params, stop=(stop,)))).text
    assert stop not in cut
    assert full.startswith(cut.rstrip())


async def test_a_cut_answer_says_so(llm: LanguageModel) -> None:
    out = await llm.complete(MESSAGES, GenerationParams(max_tokens=2, temperature=0.0))
    assert out.finish_reason == "length"


async def test_aclose_may_be_repeated_and_a_later_call_opens_what_it_needs(llm: LanguageModel) -> None:
    await llm.complete(MESSAGES, GenerationParams(max_tokens=4, temperature=0.0))  # connections are open now
    await llm.aclose()
    await llm.aclose()
    again = await llm.complete(MESSAGES, GenerationParams(max_tokens=4, temperature=0.0))
    assert again.text.strip()
