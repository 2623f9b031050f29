"""A question in, a cited answer (or an honest abstention) out.

The steps, each in its own module:

1. **Candidates** come from the caller: the search engine's ticket suggestions for the
   question, already limited to what the reader may see (this package never searches).
2. **Checks** (:mod:`kb.answers.checks`): error codes, products and versions the question
   names against each of the best few candidates'.
3. **Confidence** (:mod:`kb.answers.confidence`): evidence (the engine's similarity by
   meaning, shared words, the lead over the other candidates, the checks) to a calibrated
   probability; the most probable article answers when it clears the threshold, otherwise
   kb abstains.
4. **Extraction** (:mod:`kb.answers.passages`): in that article, the passage that answers
   the question and the section the question matched.
5. **Composition** (:mod:`kb.answers.compose`): the card's text from the chosen passage
   only; by default the article's own words.

Sources are never mixed: the text comes from one passage of one article, and a runner-up
close behind is named separately ("another article may also apply").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from kb.answers.checks import CODE, PRODUCT, VERSION, Checks, Flag, check
from kb.answers.compose import QUOTE, Composer
from kb.answers.confidence import ALSO_WITHIN, THRESHOLD, Evidence, confidence
from kb.answers.passages import LEAD, PROBLEM, Passage, choose, overlap
from kb.answers.question import Question
from kb.answers.words import word_set
from kb.model import Article

CONSIDERED = 3  # candidates whose passages are extracted and weighed
TITLE_CHARS = 300  # a longer question is asked of the engine as a description


def as_ticket(question: Question, title_chars: int = TITLE_CHARS) -> tuple[str, str]:
    """(title, description) to ask the search engine's ticket suggestions with.

    A short question is the ticket's title (its words weigh most); a long one, like a
    pasted symptom description, goes in the description, where the engine picks its most
    distinctive terms instead of reading every word as equally important.
    """
    if len(question.text) <= title_chars:
        return question.text, question.description
    return "", f"{question.text}\n{question.description}".strip()


@dataclass(frozen=True)
class Candidate:
    """An article the search engine found for the question, with its score there and, when
    the engine ranked by meaning, its similarity to the question (cosine, from the engine's
    own question and article vectors)."""

    article: Article
    score: float
    similarity: float | None = None


@dataclass(frozen=True)
class Support:
    """One candidate weighed: what the checks found, the evidence, the confidence and, once
    it is chosen to answer, its passage."""

    article: Article
    checks: Checks
    evidence: Evidence
    confidence: float
    passage: Passage | None = None

    @property
    def flags(self) -> tuple[Flag, ...]:
        return self.checks.flags

    def reasons(self) -> list[str]:
        """Why this article was chosen, in words for the card."""
        out = []
        if self.checks.shared_codes:
            codes = ", ".join(self.checks.shared_codes[:3])
            out.append(f"It documents the error code{'s' if len(self.checks.shared_codes) > 1 else ''} "
                       f"{codes}.")
        matched = self.passage.matched if self.passage is not None else None
        if matched is not None and self.passage.matched_sentence:
            where = "the symptom" if matched.role == PROBLEM else (
                "its description" if matched.role == LEAD else f"“{matched.heading}”")
            out.append(f"Your question matches {where}: “{self.passage.matched_sentence}”")
        if not out:
            out.append(f"Your question matches its title: “{self.article.title}”")
        return out


@dataclass(frozen=True)
class Answer:
    """The outcome for one question: an answer with its support, or an abstention with its reason."""

    question: Question
    abstained: bool
    reason: str
    confidence: float
    text: str = ""
    support: Support | None = None
    also: Support | None = None
    considered: tuple[Support, ...] = field(default_factory=tuple)
    composer: str = QUOTE.name


def answer(question: Question, candidates: Sequence[Candidate], *, products: Iterable[str] = (),
           composer: Composer = QUOTE, threshold: float = THRESHOLD, consider: int = CONSIDERED) -> Answer:
    """Answer ``question`` from ``candidates`` (best first), or abstain.

    Every candidate considered is weighed; passages are extracted only from the most
    probable one that clears the threshold (and from a runner-up close behind it).

    :param products: product names the knowledge base knows, for the product check.
    :param composer: writes the card's text from the chosen passage (the default quotes it).
    :param threshold: the confidence below which kb abstains.
    """
    ranked = sorted(weigh(question, candidates, products=products, consider=consider),
                    key=lambda s: -s.confidence)
    if not ranked:
        return Answer(question, True, "Nothing in the knowledge base matches the question.", 0.0)
    supported = [s for s in ranked if s.confidence >= threshold]
    if not supported:
        return Answer(question, True, "Nothing in the knowledge base answers this with enough support.",
                      ranked[0].confidence, considered=tuple(ranked))
    best = _with_passage(question, supported)
    if best is None:
        return Answer(question, True, "The articles that match have no passage to quote.",
                      ranked[0].confidence, considered=tuple(ranked))
    close = [s for s in supported if s.article.id != best.article.id
             and best.confidence - s.confidence <= ALSO_WITHIN]
    also = _with_passage(question, close)
    text = composer.compose(question, best.passage)
    return Answer(question, False, "answered", best.confidence, text, best, also, tuple(ranked),
                  composer.name)


def _with_passage(question: Question, supports: list[Support]) -> Support | None:
    """The first of ``supports`` whose article has a passage for the question, with that passage."""
    for support in supports:
        passage = choose(support.article, question.full)
        if passage is not None:
            return replace(support, passage=passage)
    return None


def candidates_from(hits: Iterable, lookup: Callable[[str], Article | None]) -> list[Candidate]:
    """The engine's hits (objects with ``id`` and ``score``) as candidates, each article
    looked up with ``lookup``, which returns None for one the reader may not see."""
    out = []
    for hit in hits:
        article = lookup(hit.id)
        if article is not None:
            similarity = getattr(hit, "similarity", None)
            out.append(Candidate(article, float(hit.score),
                                 None if similarity is None else float(similarity)))
    return out


def weigh(question: Question, candidates: Sequence[Candidate], *, products: Iterable[str] = (),
          consider: int = CONSIDERED) -> list[Support]:
    """Check and score the first ``consider`` candidates (in the candidates' order); the
    others only serve as the competition a candidate's margin is measured against."""
    asked = question.full
    asked_words = word_set(asked)
    products = tuple(products)
    scores = [c.score for c in candidates]
    out = []
    for n, c in enumerate(candidates[:consider]):
        checks = check(asked, c.article, product=question.product, products=products)
        others = scores[:n] + scores[n + 1:]
        title_words = word_set(c.article.title)
        evidence = Evidence(
            meaning=c.similarity,
            coverage=overlap(asked_words, word_set(f"{c.article.title}\n{c.article.body}")),
            title_cover=len(title_words & asked_words) / len(title_words) if title_words else 0.0,
            margin=_margin(c.score, max(others, default=0.0), max(scores)),
            shared_code=1.0 if checks.shared_codes else 0.0,
            code_conflict=checks.strength(CODE),
            product_conflict=checks.strength(PRODUCT),
            version_conflict=checks.strength(VERSION),
            validation=validation_of(c.article),
        )
        out.append(Support(c.article, checks, evidence, confidence(evidence)))
    return out


def _margin(score: float, best_other: float, best: float) -> float:
    """How far a candidate is ahead of (or, below 0, behind) the best other candidate,
    relative to the best score (-1..1); alone it is 1: nothing competes."""
    if best <= 0:
        return 0.0
    return max(-1.0, min(1.0, (score - best_other) / best))


def validation_of(article: Article) -> str | None:
    """The article's KCS validation state when it states one: ``validated``, ``not-validated`` or None.

    A draft or an article in review is not validated yet; a published one counts only if it
    says so (the ``confidence`` field, where the knowledge base keeps it).
    """
    stated = getattr(article, "confidence", None)
    if article.status in ("draft", "review"):
        return "not-validated"
    return stated if stated in ("validated", "not-validated") else None
