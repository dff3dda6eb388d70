"""Conversations: a chat's messages split into the question, its history and the client's instructions,
within bounds; and the rewriting of a follow-up into a standalone question (stdlib only).

A follow-up such as "and when was it built?" retrieves nothing useful on its own. With history, the model
is asked once, briefly, to rewrite it as a question that names what it refers to; retrieval and the answer
use that question. The condensing prompt lives here, like the answer prompt (``domain.prompting``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from autbot.domain import limits
from autbot.domain.answers import ChatMessage
from autbot.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    question: str
    """The last user message."""
    history: tuple[ChatMessage, ...] = ()
    """User and assistant turns before it, oldest first."""
    instructions: tuple[str, ...] = ()
    """The client's own system messages."""


def check_messages(messages: Sequence[ChatMessage]) -> None:
    """One chat request carries 1 to ``MAX_CHAT_MESSAGES`` messages of ``MAX_CHAT_CHARS`` characters together."""
    if not messages:
        raise InvalidInput("messages must hold at least one message.", field="messages")
    if len(messages) > limits.MAX_CHAT_MESSAGES:
        raise InvalidInput(f"At most {limits.MAX_CHAT_MESSAGES} messages are allowed.", field="messages")
    if sum(len(m.content) for m in messages) > limits.MAX_CHAT_CHARS:
        raise InvalidInput(
            f"The messages are longer than {limits.MAX_CHAT_CHARS} characters together.", field="messages"
        )


def split_conversation(messages: Sequence[ChatMessage]) -> Conversation:
    """The question (the last message, a user's), the user and assistant turns before it, and the client's
    system messages (wherever they are; at most ``MAX_INSTRUCTIONS_CHARS`` together)."""
    check_messages(messages)
    last = messages[-1]
    if last.role != "user" or not last.content.strip():
        raise InvalidInput("The last message must be a non-empty user message: the question.", field="messages")
    if len(last.content.strip()) > limits.MAX_QUERY_CHARS:
        raise InvalidInput(f"The question is longer than {limits.MAX_QUERY_CHARS} characters.", field="messages")
    instructions = tuple(m.content for m in messages if m.role == "system" and m.content.strip())
    if sum(len(i) for i in instructions) > limits.MAX_INSTRUCTIONS_CHARS:
        raise InvalidInput(
            f"System messages are longer than {limits.MAX_INSTRUCTIONS_CHARS} characters together.",
            field="messages",
        )
    history = tuple(m for m in messages[:-1] if m.role in ("user", "assistant") and m.content.strip())
    return Conversation(question=last.content.strip(), history=history, instructions=instructions)


def needs_condensing(history: Sequence[ChatMessage]) -> bool:
    """A question with earlier user turns may refer to them; a first question stands alone."""
    return any(m.role == "user" for m in history)


CONDENSE_SYSTEM = (
    "Rewrite the follow-up question so that it can be understood without the conversation: "
    "replace words like it, he, she, they, that and there with what they refer to. "
    "Reply with the rewritten question only."
)
FOLLOW_UP_LEAD = "Follow-up question: "
_SPEAKER = {"user": "User", "assistant": "Assistant", "system": "System"}
STANDALONE_LEAD = "Standalone question:"


def _flat(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def condense_prompt(history: Sequence[ChatMessage], question: str) -> tuple[ChatMessage, ...]:
    """The messages asking the model for a standalone question: the latest ``CONDENSE_HISTORY_MESSAGES``
    turns, each cut to ``CONDENSE_TURN_CHARS``, then the follow-up."""
    turns = [m for m in history if m.role in ("user", "assistant")][-limits.CONDENSE_HISTORY_MESSAGES :]
    lines = [f"{_SPEAKER[m.role]}: {_flat(m.content, limits.CONDENSE_TURN_CHARS)}" for m in turns]
    user = (
        "Conversation:\n"
        + "\n".join(lines)
        + f"\n\n{FOLLOW_UP_LEAD}{_flat(question, limits.MAX_QUERY_CHARS)}\n{STANDALONE_LEAD}"
    )
    return (ChatMessage(role="system", content=CONDENSE_SYSTEM), ChatMessage(role="user", content=user))


_LABEL = re.compile(r"^\s*(?:standalone|rewritten|follow-up)?\s*question\s*:\s*", re.IGNORECASE)


def standalone_question(rewrite: str, *, question: str) -> str:
    """The model's rewrite, cleaned: its first non-empty line, without a ``Question:`` label or quotes.
    An empty rewrite, one longer than ``MAX_QUERY_CHARS``, or one that is not a question about anything
    (no letters) leaves the follow-up as it was."""
    line = next((ln for ln in rewrite.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().strip("\"'`“”").strip()
    if not re.search(r"[^\W\d_]", line) or len(line) > limits.MAX_QUERY_CHARS:
        return question
    return line
