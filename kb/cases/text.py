"""Tokens and tf-idf weights for case text, shared by similar-case search and gap clustering.

Plain Python on purpose: case text is short, and a few thousand closed cases fit in an
in-memory inverted index that answers in milliseconds without touching the search engine.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

# Words that say nothing about the problem in a ticket: function words and support chatter.
STOPWORDS = frozenset("""
a about after again all also am an and any are as at be been before being but by can cannot could
did do does doing don't down during each even every for from get gets getting got had has have
having he her here him his how i if in into is it its just know like may me more most my need needs
no not now of off on once only or other our out over please same see seems she should since so some
still such than thank thanks that the their them then there these they this those through to too
tried try trying under until up us use used using very via was we were what when where which while
who why will with would yes yet you your customer customers user users issue issues problem
problems error errors hi hello regards help
""".split())  # noqa: SIM905 - a word list reads better as text

# Error codes stay whole: 0x80070005, AADSTS50076, ORA-12154, E-1042, KB0042.
_TOKEN = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*")


def tokenize(text: str) -> list[str]:
    """Lower-cased words and codes, without stopwords, one-letter words or short bare numbers.

    >>> tokenize("Outlook keeps asking for the password: error 0x8004010F since v2.1")
    ['outlook', 'keeps', 'asking', 'password', '0x8004010f', 'v2.1']
    """
    out = []
    for token in _TOKEN.findall(text.lower()):
        token = token.strip("._-")
        if len(token) < 2 or token in STOPWORDS:
            continue
        if token.isdigit() and len(token) < 4:  # "3 users", "step 2"; keep 1205, 12154
            continue
        out.append(token)
    return out


def idf(document_frequency: int, documents: int) -> float:
    """Smoothed inverse document frequency: rare words weigh more, none weighs zero."""
    return math.log(1 + (documents + 1) / (document_frequency + 0.5))


def tfidf(tokens: Iterable[str], df: dict[str, int], documents: int) -> dict[str, float]:
    """Sublinear tf-idf weights of one text's tokens."""
    counts = Counter(tokens)
    return {t: (1 + math.log(n)) * idf(df.get(t, 0), documents) for t, n in counts.items()}


def top_terms(weights: dict[str, float], k: int) -> list[str]:
    """The ``k`` most distinctive terms, ties broken alphabetically so output is stable."""
    return [t for t, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]
