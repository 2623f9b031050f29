"""What was asked, as every step of an answer sees it."""

from __future__ import annotations

from dataclasses import dataclass

MAX_QUESTION_CHARS = 4000  # what the checks and the passage choice read of a question


@dataclass(frozen=True)
class Question:
    """What was asked: a question or a ticket's subject, details, and the product if chosen."""

    text: str
    description: str = ""
    product: str | None = None

    @property
    def full(self) -> str:
        """Everything asked, as one text (cut to a length the checks read)."""
        return f"{self.text}\n{self.description}".strip()[:MAX_QUESTION_CHARS]
