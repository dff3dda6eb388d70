"""The root of the error tree: a stable ``code``, a human message and structured ``details``."""

from __future__ import annotations

from typing import Any, ClassVar


class AutbotError(Exception):
    """Base of every AutBot error: a stable ``code``, a human message and structured ``details``."""

    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "An internal error occurred."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details: dict[str, Any] = details
        super().__init__(self.message)
