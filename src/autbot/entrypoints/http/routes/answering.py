"""What the answer routes need, handed to them as one dependency.

Litestar resolves a handler's dependencies in an anyio task group as soon as there are two or more, one
task each (its cost: docs/benchmarks.md §6), where an answer route needs four or five (the use cases for
whole and streamed answers, the caller, the drain switch). The answer routes (``/query``,
``/v1/chat/completions``, ``/v1/sessions/{id}/messages``) therefore take this bundle, built once at
start-up, and read the principal and the caller from the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from autbot.entrypoints.http.streaming.draining import Draining
from autbot.use_cases.answer import AnswerQuestion, StreamAnswer
from autbot.use_cases.chat import ChatCompletions
from autbot.use_cases.sessions import AskInSession, StreamInSession


@dataclass(frozen=True, slots=True, kw_only=True)
class Answering:
    answer_question: AnswerQuestion
    stream_answer: StreamAnswer
    ask_in_session: AskInSession
    stream_in_session: StreamInSession
    chat_completions: ChatCompletions
    draining: Draining
    """Ends open streams on shutdown."""
