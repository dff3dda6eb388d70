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
from autbot.domain.model import check_text


@dataclass(frozen=True, slots=True, kw_only=True)
class Conversation:
    question: str
    """The last user message, stripped (the answer checks it: ``retrieval.question_text``)."""
    history: tuple[ChatMessage, ...] = ()
    """User and assistant turns before it, oldest first."""
    instructions: tuple[str, ...] = ()
    """The client's own system messages."""


def check_messages(messages: Sequence[ChatMessage]) -> None:
    """One chat request carries 1 to ``MAX_CHAT_MESSAGES`` messages of ``MAX_CHAT_CHARS`` characters together,
    in valid Unicode."""
    if not messages:
        raise InvalidInput("messages must hold at least one message.", field="messages")
    if len(messages) > limits.MAX_CHAT_MESSAGES:
        raise InvalidInput(f"At most {limits.MAX_CHAT_MESSAGES} messages are allowed.", field="messages")
    if sum(len(m.content) for m in messages) > limits.MAX_CHAT_CHARS:
        raise InvalidInput(
            f"The messages are longer than {limits.MAX_CHAT_CHARS} characters together.", field="messages"
        )
    for i, m in enumerate(messages):
        check_text(m.content, field=f"messages[{i}].content")


def split_conversation(messages: Sequence[ChatMessage]) -> Conversation:
    """The question (the last message, a user's), the user and assistant turns before it, and the client's
    system messages (wherever they are; at most ``MAX_INSTRUCTIONS_CHARS`` together)."""
    check_messages(messages)
    last = messages[-1]
    if last.role != "user":
        raise InvalidInput("The last message must be a user message: the question.", field="messages")
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
    "You rewrite a follow-up question as a standalone question. Replace it, he, she, they, that and there "
    "with the thing they refer to in the previous question. Keep the rest of the question. "
    "Reply with one question only."
)
CONDENSE_EXAMPLES = (
    ("Who wrote Hamlet?", "When was he born?", "When was the writer of Hamlet born?"),
    ("What is the capital of Japan?", "How many people live there?", "How many people live in Tokyo?"),
    ("How long is the Nile?", "What is the capital of Peru?", "What is the capital of Peru?"),
)
"""Worked examples, given as earlier turns: a pronoun, a place, and a new topic left as it is."""
PREVIOUS_LEAD = "Previous question: "
FOLLOW_UP_LEAD = "Follow-up question: "
STANDALONE_LEAD = "Standalone question:"


def _flat(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _ask(previous: str, follow_up: str) -> str:
    return f"{PREVIOUS_LEAD}{previous}\n{FOLLOW_UP_LEAD}{follow_up}\n{STANDALONE_LEAD}"


def previous_question(history: Sequence[ChatMessage]) -> str:
    """The last user turn of the history (cut to ``CONDENSE_TURN_CHARS``), or "" if there is none."""
    last = next((m.content for m in reversed(history) if m.role == "user" and m.content.strip()), "")
    return _flat(last, limits.CONDENSE_TURN_CHARS)


def condense_prompt(history: Sequence[ChatMessage], question: str) -> tuple[ChatMessage, ...]:
    """The messages asking the model for a standalone question: the instructions, three worked examples,
    then the previous question and the follow-up. Measured with SmolLM2-135M (``bench/quality/condense.py``): this
    compact form beat showing the whole conversation (answers included), which the small model tends to
    answer or continue instead of rewriting."""
    messages = [ChatMessage(role="system", content=CONDENSE_SYSTEM)]
    for previous, follow_up, rewrite in CONDENSE_EXAMPLES:
        messages += [
            ChatMessage(role="user", content=_ask(previous, follow_up)),
            ChatMessage(role="assistant", content=rewrite),
        ]
    messages.append(
        ChatMessage(role="user", content=_ask(previous_question(history), _flat(question, limits.MAX_QUERY_CHARS)))
    )
    return tuple(messages)


_REFERS_BACK = re.compile(
    r"\b(it|its|he|him|his|she|her|they|them|their|that|this|these|those|there|then|one)\b", re.IGNORECASE
)


def refers_back(question: str) -> bool:
    """Whether a question leans on an earlier turn (a pronoun or a demonstrative)."""
    return bool(_REFERS_BACK.search(question))


_WORD = re.compile(r"[^\W_]+")
_FILLER = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "so",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "do",
        "does",
        "did",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "by",
        "from",
        "as",
        "about",
    ]
)


def keeps_the_question(follow_up: str, rewrite: str) -> bool:
    """Whether a rewrite still asks what the follow-up asked: every word of the follow-up other than the
    pronouns it replaces and filler words ("when", "built", ...) is in it. A small model sometimes writes
    another question about the same thing ("how tall is the Eiffel Tower?" for "and when was it built?")."""
    said = {w.casefold() for w in _WORD.findall(rewrite)}
    asked = {w.casefold() for w in _WORD.findall(follow_up)} - _FILLER
    return all(w in said for w in asked if not _REFERS_BACK.fullmatch(w))


_LABEL = re.compile(r"^\s*(?:standalone|rewritten|follow-up)?\s*question\s*:\s*", re.IGNORECASE)


def standalone_question(rewrite: str, *, question: str, previous: str = "") -> str:
    """The question that retrieval and the answer use.

    The model's rewrite, cleaned (its first line, without a ``Question:`` label or quotes), when it is a
    question (ends with ``?``), differs from the follow-up, still asks what the follow-up asked
    (``keeps_the_question``) and fits ``MAX_QUERY_CHARS``. Otherwise, when the follow-up refers back
    (``refers_back``), the follow-up with the previous question after it (what retrieval needs when a small
    model left "it" in place or changed the question); else the follow-up as it is (a new topic).
    """
    line = next((ln for ln in rewrite.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().strip("\"'`“”").strip()
    rewritten = (
        line.endswith("?")
        and re.search(r"[^\W\d_]", line) is not None
        and len(line) <= limits.MAX_QUERY_CHARS
        and line.casefold() != question.casefold()
        and keeps_the_question(question, line)
    )
    if rewritten:
        return line
    if previous and refers_back(question):
        return _flat(f"{question} (follow-up to: {previous})", limits.MAX_QUERY_CHARS)
    return question
