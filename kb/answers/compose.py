"""How an answer's text is written from the passage chosen for it: a pluggable composer.

Everything that makes an answer trustworthy happens before composition: candidates come
from the reader's own index (so only articles the reader may see), the passage is chosen
from the article's structure, the checks compare it with the question, and the confidence
decides whether to answer at all. A composer only turns the chosen, checked passage into
the card's text, and the card always cites that passage; whatever a composer writes, it
cannot add a source or reach an article the reader may not see.

The default, :class:`QuoteComposer`, writes nothing of its own: the answer is the
article's own Markdown for that passage. A team that wants prose can plug in a composer
that summarises the passage with a local language model (give it to
:func:`kb.answers.answer`); kb itself needs no model or service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kb.answers.passages import Passage
    from kb.answers.question import Question


class Composer(Protocol):
    """Turns a chosen passage into the Markdown shown on the card."""

    name: str

    def compose(self, question: Question, passage: Passage) -> str:
        """The card's text for ``question``, written only from ``passage``."""
        ...


class QuoteComposer:
    """The article's own words: the passage's Markdown, unchanged."""

    name = "quote"

    def compose(self, question: Question, passage: Passage) -> str:
        return passage.markdown


QUOTE = QuoteComposer()
