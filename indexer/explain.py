"""Why a result ranked where it did: the parts of its score, as ranking computed them.

Used by ``kb search --explain`` and the API. A hit's text score is its tier's words score
plus its boosters (:class:`indexer.ranking.Candidate`); here the words score is split by
field and the boosters one by one, with the same evaluator on the same posting lists, so
the parts add up to the score that ranked the hit.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from indexer.analyzers import analyse
from indexer.engine import Evaluation
from indexer.plan import Plan
from indexer.ranking import (
    EXACT_CODE_BOOST,
    EXACT_TITLE_BOOST,
    SECTION_WEIGHTS,
    TITLE_PHRASE_BOOST,
    Candidate,
)
from indexer.schema import article_from_stored, article_sections


class Explainer:
    """Explanations for the hits of one page (each query evaluated once per page)."""

    def __init__(self, ev: Evaluation, plan: Plan, docnums: list[int]):
        self.ev = Evaluation(ev.v, ev.searcher, by_field=True)
        self.plan = plan
        self.page = ev.v.mask_of(docnums)
        self._words: dict[str, dict[str, np.ndarray]] = {}
        self._boosters: list[tuple[str, np.ndarray]] | None = None

    def _tier_queries(self, tier: str) -> list[wq.Query | None]:
        """The queries whose scores ranking added up for a tier (see indexer.ranking)."""
        plan = self.plan
        if tier == "key terms":
            return [plan.core_any()]
        if tier == "fuzzy":
            return [plan.fuzzy_query()]
        units = plan.unit_queries()
        if tier == "some terms" and plan.exact_codes:
            return [*units, plan.code_query()]  # exact codes count as words there
        return units

    def _fields(self, tier: str) -> dict[str, np.ndarray]:
        if tier not in self._words:
            total: dict[str, np.ndarray] = {}
            for q in self._tier_queries(tier):
                for name, part in (self.ev.run(q).fields or {}).items():
                    total[name] = total[name] + part if name in total else part
            self._words[tier] = total
        return self._words[tier]

    def _booster_scores(self) -> list[tuple[str, np.ndarray]]:
        if self._boosters is None:
            # The exact codes one by one: their sum is the plan's code booster.
            boosters = list(self.plan.boosters) + [wq.Term("error_code", code, boost=EXACT_CODE_BOOST)
                                                   for code in self.plan.exact_codes]
            self._boosters = [(_booster_name(b), self.ev.run(b, restrict=self.page).score) for b in boosters]
        return self._boosters

    def explain(self, c: Candidate, stored: dict) -> dict:
        """A JSON-ready explanation of one hit."""
        plan, d = self.plan, c.docnum
        matched = self._matched_terms(d)
        by_field: dict[str, list[str]] = {}
        for fieldname, term in matched:
            by_field.setdefault(fieldname, []).append(term)
        fields = {}
        for name, part in self._fields(c.tier).items():
            if part[d]:
                fields[name] = {"weight": plan.fields.get(name, 1.0), "score": round(float(part[d]), 4),
                                "terms": sorted(set(by_field.get(name, [])))}
        boosters: dict[str, float] = {}
        for name, scores in self._booster_scores():
            if scores[d]:
                boosters[name] = round(boosters.get(name, 0.0) + float(scores[d]), 4)
        out = {
            "tier": c.tier,
            "score": round(c.final, 4),
            "text_score": round(c.text, 4),
            "parts": {"words": round(c.words, 4), "boosters": round(c.boosters, 4)},
            "multiplier": round(c.multiplier, 4),
            "boosts": {k: round(v, 4) for k, v in c.signals.items()},
            "fields": fields,
            "matched_terms": {k: sorted(set(v)) for k, v in sorted(by_field.items())},
            "sections": section_matches(stored, set(plan.terms())),
            "weights": {"exact_error_code": EXACT_CODE_BOOST, "exact_title": EXACT_TITLE_BOOST,
                        "title_phrase": TITLE_PHRASE_BOOST},
            "boosters": boosters,
            "exact_error_codes": [code for code in plan.exact_codes if f"exact error code {code!r}" in boosters],
            "exact_title": "query is the title" in boosters,
            "title_phrase": "query as a phrase in the title" in boosters,
            "units": [u.label for u in plan.units],
        }
        if plan.synonyms_used:
            out["synonyms"] = [list(g) for g in plan.synonyms_used]
        if plan.kind:
            out["query_kind"] = plan.kind
        if c.tier == "some terms":
            out["coverage"] = round(c.coverage, 4)
        if c.similarity is not None:
            out["meaning"] = {
                "similarity": round(c.similarity, 4), "weight": c.meaning_weight,
                "words_score": round(c.by_words, 4), "best_words_score": round(c.best_by_words, 4),
                "formula": "words_score / best_words_score + weight * similarity"}
        if c.quotes:
            out["quotes_ticket"] = True  # first whatever its score: it has the ticket's words in order
        return out

    def _matched_terms(self, docnum: int) -> list[tuple[str, str]]:
        """The (field, term) pairs of the query that occur in a document."""
        found = []
        for fieldname, text in sorted(set(self.plan.any_term().iter_all_terms())):
            if not isinstance(text, str | bytes) or fieldname not in self.ev.schema:
                continue
            text = text.decode("utf-8") if isinstance(text, bytes) else text
            ids, _weights = self.ev.postings(fieldname, text)
            at = int(np.searchsorted(ids, docnum))
            if at < len(ids) and ids[at] == docnum:
                found.append((fieldname, text))
        return found


def section_matches(stored: dict, terms: set[str]) -> dict[str, dict]:
    """Which query terms occur in which weighted section of the ``content`` field.

    ``content`` is one field, so its score cannot be split by section; the sections are
    re-analysed from the stored article instead (only for explained hits).
    """
    article = article_from_stored(stored)
    out = {}
    for name, text in article_sections(article).items():
        found = sorted(set(analyse(text)) & terms) if text else []
        if found:
            out[name] = {"weight": SECTION_WEIGHTS[name], "terms": found}
    return out


def _booster_name(q: wq.Query) -> str:
    if isinstance(q, wq.Phrase) and q.fieldname == "title":
        return "query as a phrase in the title"
    if isinstance(q, wq.Term) and q.fieldname == "title_key":
        return "query is the title"
    if isinstance(q, wq.Or) and q.subqueries and all(isinstance(s, wq.Phrase) for s in q.subqueries):
        return "runs of the query word for word in the text"
    if isinstance(q, wq.Term) and q.fieldname == "content":
        return "joined pair (e.g. http503)"
    if isinstance(q, wq.Term) and q.fieldname == "error_code":
        return f"exact error code {q.text!r}"
    return "product"
