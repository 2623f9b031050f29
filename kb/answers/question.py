"""What was asked, as every step of an answer sees it."""

from __future__ import annotations

from dataclasses import dataclass

from kb.answers.words import error_codes

MAX_QUESTION_CHARS = 4000  # what the checks and the passage choice read of a question
MIN_QUESTION_WORDS = 3  # a search box query shorter than this is a lookup, not a question


def worth_answering(query: str) -> bool:
    """Whether a search-box query asks something an answer card should try to answer.

    One or two words ("vpn", "dns timeout") are a lookup: the results are the answer. An
    error code on its own is a question ("what fixes 0x80070005?").

    >>> [worth_answering(q) for q in ("vpn", "dns timeout", "0x80070005", "outlook asks for password")]
    [False, False, True, True]
    """
    return len(query.split()) >= MIN_QUESTION_WORDS or bool(error_codes(query))


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
