"""Why a result ranked where it did: matched fields and terms, boosts and score parts.

Used by ``kb search --explain`` and the API. Each field's share is recomputed by running
the query restricted to that field against the one document, so the numbers are the
engine's own, not an approximation.
"""

from __future__ import annotations

from whoosh import query as wq

from indexer.analyzers import analyse
from indexer.matching import EXACT_CODE_BOOST, EXACT_TITLE_BOOST, TITLE_PHRASE_BOOST, Plan
from indexer.schema import SECTION_WEIGHTS, article_from_stored, article_sections
from indexer.scoring import score_in_doc


def explain_hit(searcher, plan: Plan | None, docnum: int, *, tier: str, text_score: float,
                boosts: dict[str, float], multiplier: float, matched: list[tuple[str, str]]) -> dict:
    """A JSON-ready explanation of one hit."""
    fields: dict[str, dict] = {}
    by_field: dict[str, list[str]] = {}
    for fieldname, term in matched:
        by_field.setdefault(fieldname, []).append(term)
    sections: dict[str, dict] = {}
    if plan is not None:
        for name, weight in plan.fields.items():
            score = score_in_doc(searcher, plan.field_query(name), docnum)
            if score:
                fields[name] = {"weight": weight, "score": round(score, 4),
                                "terms": sorted(set(by_field.get(name, [])))}
        sections = section_matches(searcher.stored_fields(docnum), set(plan.terms()))
    extras: dict[str, object] = {}
    if plan is not None:
        boosters: dict[str, float] = {}
        for code in plan.exact_codes:
            score = score_in_doc(searcher, wq.Term("error_code", code, boost=EXACT_CODE_BOOST), docnum)
            if score:
                boosters[f"exact error code {code!r}"] = round(score, 4)
        for b in plan.boosters:
            score = score_in_doc(searcher, b, docnum)
            if score:
                boosters[_booster_name(b)] = round(boosters.get(_booster_name(b), 0) + score, 4)
        extras["boosters"] = boosters
        extras["exact_error_codes"] = [c for c in plan.exact_codes if f"exact error code {c!r}" in boosters]
        extras["exact_title"] = "query is the title" in boosters
        extras["title_phrase"] = "query as a phrase in the title" in boosters
        extras["units"] = [u.label for u in plan.units]
        if plan.synonyms_used:
            extras["synonyms"] = [list(g) for g in plan.synonyms_used]
    return {
        "tier": tier,
        "score": round(text_score * multiplier, 4),
        "text_score": round(text_score, 4),
        "multiplier": round(multiplier, 4),
        "boosts": {k: round(v, 4) for k, v in boosts.items()},
        "fields": fields,
        "matched_terms": {k: sorted(set(v)) for k, v in sorted(by_field.items())},
        "sections": sections,
        "weights": {"exact_error_code": EXACT_CODE_BOOST, "exact_title": EXACT_TITLE_BOOST,
                    "title_phrase": TITLE_PHRASE_BOOST},
        **extras,
    }


def section_matches(stored: dict, terms: set[str]) -> dict[str, dict]:
    """Which query terms occur in which weighted section of the ``content`` field.

    ``content`` is one field, so Whoosh cannot split its score by section; the sections
    are re-analysed from the stored article instead (only for explained hits).
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
    return "product"
