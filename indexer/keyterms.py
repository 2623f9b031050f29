"""Key terms for long text: ticket suggestions and pasted walls of log.

A ticket's title and description can run to thousands of words. Sending them all as one
OR query is slow (a 60-word OR query took about 1.2 s on 20,000 documents) and ranks badly,
because common words drown the telling ones. Instead:

* error codes are pulled out and matched exactly (``error_code`` field);
* every other word is scored by tf-idf against the index's own statistics (title words
  count three times), and only the few most distinctive are searched;
* the product, when given, boosts matching articles without excluding the others.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from indexer.analyzers import Word, query_words
from indexer.plan import Plan, Unit, exact_code_candidates, word_runs
from indexer.ranking import KEY_TERM_TITLE_WEIGHT, MAX_RUNS, MIN_KEY_TERM_WEIGHT
from indexer.synonyms import Synonyms

MAX_KEY_TERMS = 12
MAX_CODES = 8
MAX_DESCRIPTION_CHARS = 20_000
MAX_CANDIDATES = 300  # distinct words whose document frequency is looked up
COMMON_FRACTION = 0.5  # words in more than this share of articles tell nothing apart
DF_FIELDS = ("content",)


@dataclass(frozen=True)
class KeyTerm:
    """A selected word and why: its weight (tf-idf) and document frequency."""

    word: Word
    weight: float
    df: int


def _primary_term(word: Word) -> str:
    return word.whole or word.parts[0]


def key_terms(reader, weighted: Iterable[tuple[Word, float]], *,
              max_terms: int = MAX_KEY_TERMS) -> list[KeyTerm]:
    """The ``max_terms`` most distinctive words, by tf-idf against the index.

    :param weighted: (word, weight of this occurrence) pairs; repeats add up.
    """
    tf: Counter[str] = Counter()
    first: dict[str, Word] = {}
    for word, weight in weighted:
        if not word.parts and not word.whole:
            continue
        key = word.key
        term = _primary_term(word)
        if len(term) < 2 or (term.isdigit() and len(term) < 3):
            continue
        tf[key] += weight
        first.setdefault(key, word)
    total = max(reader.doc_count(), 1)

    def frequency(term: str) -> int:
        return max(reader.doc_frequency(f, term) for f in DF_FIELDS)

    scored: list[KeyTerm] = []
    for key, freq in tf.most_common(MAX_CANDIDATES):
        word = first[key]
        df = frequency(_primary_term(word))
        if df == 0 and word.whole and len(word.parts) > 1:
            # A pasted path or identifier that no article has whole (another user name, a
            # placeholder filled in) still names its parts: the rarest part that the index
            # knows stands for it.
            known = [(frequency(part), part) for part in dict.fromkeys(word.parts) if len(part) >= 2]
            known = [(n, part) for n, part in known if n > 0]
            if known:
                df, part = min(known)
                word = Word(part, None, (part,))
        if df == 0:
            continue  # nothing in the index has it: it can't help rank
        if total >= 20 and df > COMMON_FRACTION * total:
            continue
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        scored.append(KeyTerm(word, (1 + math.log(freq)) * idf, df))
    scored.sort(key=lambda k: -k.weight)
    return scored[:max_terms]


def units_from_key_terms(terms: list[KeyTerm], synonyms: Synonyms | None) -> tuple[list[Unit], list[float]]:
    """One unit per key term (with its synonyms), weighted by tf-idf relative to the best."""
    units, weights = [], []
    top = terms[0].weight if terms else 1.0
    for k in terms:
        alternatives: tuple[tuple[Word, ...], ...] = ((k.word,),)
        if synonyms:
            for m in synonyms.match([k.word]):
                alternatives += tuple(a for a in m.alternatives if [w.key for w in a] != [k.word.key])
        units.append(Unit(k.word.raw, alternatives))
        weights.append(max(MIN_KEY_TERM_WEIGHT, k.weight / top))
    return units, weights


def plan_long_text(reader, title: str, description: str, synonyms: Synonyms | None,
                   has_code: Callable[[str], bool], *,
                   max_terms: int = MAX_KEY_TERMS) -> tuple[Plan, list[KeyTerm]]:
    """A plan for a ticket (title + description) or an overlong query: codes + key terms."""
    plan = Plan()
    text = f"{title}\n{description}"
    codes = [c for c in exact_code_candidates(text, limit=50_000) if has_code(c)]
    plan.exact_codes = codes[:MAX_CODES]
    said = query_words(description)
    weighted = [(w, KEY_TERM_TITLE_WEIGHT) for w in query_words(title)] + [(w, 1.0) for w in said]
    terms = key_terms(reader, weighted, max_terms=max_terms)
    plan.units, plan.unit_weights = units_from_key_terms(terms, synonyms)
    # Runs of the description around its key terms: template lines every report shares
    # ("User Agent: Mozilla/5.0 ...", "Steps to reproduce") say nothing of which article it quotes.
    keys = {p for k in terms for p in k.word.parts}
    plan.runs = spread([run for run in word_runs(said) if keys.intersection(run)], MAX_RUNS)
    return plan, terms


def spread(items: list, most: int) -> list:
    """At most ``most`` of ``items``, evenly spaced from the first: runs from the whole text."""
    if len(items) <= most:
        return items
    step = len(items) / most
    return [items[int(i * step)] for i in range(most)]
