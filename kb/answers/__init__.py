"""Cited answers: the fix itself, quoted from the right article, or an honest "I don't know".

Pure domain code over :class:`~kb.model.Article` objects and the scores the search engine
gives them; it never searches, renders or stores anything itself. The steps and their
homes are described in :mod:`kb.answers.answer`; the web app wires them to the reader's
catalog (``web/answers.py``).
"""

from kb.answers.answer import (
    CONSIDERED,
    Answer,
    Candidate,
    Support,
    answer,
    as_ticket,
    candidates_from,
    validation_of,
    weigh,
)
from kb.answers.checks import Flag
from kb.answers.compose import QUOTE, Composer, QuoteComposer
from kb.answers.confidence import THRESHOLD, Evidence
from kb.answers.question import Question

__all__ = [
    "CONSIDERED",
    "QUOTE",
    "THRESHOLD",
    "Answer",
    "Candidate",
    "Composer",
    "Evidence",
    "Flag",
    "QuoteComposer",
    "Question",
    "Support",
    "answer",
    "as_ticket",
    "candidates_from",
    "validation_of",
    "weigh",
]
