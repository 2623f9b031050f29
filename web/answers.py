"""Cited answers in the web app: ``POST /api/answer``, the answer card, and "Did this answer help?".

An answer is built for a reader and only from what that reader may see: the candidates
are the catalog's ticket suggestions for the reader, every article is looked up again
through the catalog, and links inside the quote resolve through it too. A customer's
card can therefore only quote and cite public, published articles (the public index;
:mod:`kb.visibility`), and its explanation only names what those articles say. The
steps themselves (passage, checks, confidence, composition) are :mod:`kb.answers`'s.

The card (``templates/_answer_card.html``) sits above the results of engineer search and
the help center's search, above the suggestions of the contact form and of the case
workspace. Its "Did this answer help?" buttons post a signed token naming the question,
article and section, so a vote can't be made up for an answer kb never gave.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, g, jsonify, redirect, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup

from kb.activity import SearchRecord
from kb.answers import CONSIDERED, Answer, Question, answer, as_ticket, candidates_from
from kb.answers.feedback import ANSWER_KIND, Vote, record_vote
from kb.errors import IndexMissing
from kb.markdown import render
from kb.visibility import Reader
from web import params, throttle
from web.payloads import (
    DEFAULT_LIMIT,
    MAX_DESCRIPTION_CHARS,
    MAX_QUESTION_CHARS,
    MAX_SUGGEST_LIMIT,
    article_urls,
    hit_json,
    json_body,
)
from web.render import keyboard_scrollable, references_for
from web.services import catalog, services
from web.util import safe_next

bp = Blueprint("answers", __name__)

FEEDBACK_SALT = "kb-answer-feedback"
# Surfaces where a question is asked on purpose, so its answer (or abstention) is logged for
# the knowledge-gap work. The contact form and the case pages answer text as it is typed:
# logging every half-typed draft would fill the gaps with fragments; a ticket filed after the
# suggestions is recorded as its own kind of gap (kb/kcs/gaps.py).
LOGGED_SURFACES = frozenset({"search", "help", "api"})
PRODUCTS_TTL = 60.0  # seconds the list of product names (for the product check) is reused
_products_cache: dict[tuple, tuple[float, tuple[str, ...]]] = {}


@dataclass
class Card:
    """An answer as the card and the API show it, already filtered and rendered for the reader."""

    question: str
    abstained: bool
    reason: str
    confidence: float
    surface: str
    text: str = ""
    html: Markup = field(default_factory=Markup)
    citations: list[dict] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)
    more_steps: int = 0
    step: int | None = None
    validation: str | None = None
    feedback: str = ""  # signed token for "Did this answer help?"
    evidence: list[dict] = field(default_factory=list)

    @property
    def quoted(self) -> dict | None:
        """The citation the text is quoted from."""
        return self.citations[0] if self.citations else None

    def as_json(self) -> dict:
        """The ``answer`` object of ``POST /api/answer``."""
        return {"text": self.text, "html": str(self.html), "confidence": round(self.confidence, 4),
                "citations": self.citations, "why": self.reasons, "flags": self.flags,
                "more_steps": self.more_steps, "step": self.step, "validation": self.validation,
                "feedback_token": self.feedback}


def products(reader: Reader) -> tuple[str, ...]:
    """The product names the reader's articles use (for the product check), refreshed every minute."""
    key = (id(catalog()), reader.audience, reader.statuses)
    now = time.monotonic()
    cached = _products_cache.get(key)
    if cached is None or now - cached[0] > PRODUCTS_TTL:
        names = tuple(f.value for f in catalog().facets(reader).get("product", []))
        cached = _products_cache[key] = (now, names)
    return cached[1]


def card_for(reader: Reader, question: str, description: str = "", product: str | None = None, *,
             surface: str, page=None, limit: int = DEFAULT_LIMIT, external: bool = False):
    """(card, page) for a question; (None, None) without a question or an index.

    ``page`` is the reader's ticket suggestions when the caller already has them (the
    contact form and the case page do); otherwise they are asked for here.
    """
    question = (question or "").strip()
    if not question and not (description or "").strip():
        return None, None
    asked = Question(question or description.strip(), description if question else "", product or None)
    started = time.perf_counter()
    try:
        if page is None:
            title, details = as_ticket(asked)
            page = catalog().suggest(reader, title, details, product=asked.product, limit=limit)
        # One more than are weighed: the last weighed candidate's margin is measured against it.
        candidates = candidates_from(page.hits[:CONSIDERED + 1],
                                     lambda article_id: catalog().get(reader, article_id))
        result = answer(asked, candidates, products=products(reader))
    except IndexMissing:
        return None, None
    card = _card(result, reader, surface, external)
    if surface in LOGGED_SURFACES:
        took = (time.perf_counter() - started) * 1000
        user_id = reader.user.id if reader.user else None
        services().search_log.record(SearchRecord(query=asked.full, audience=reader.audience,
                                                  total=len(card.citations), took_ms=took, kind=ANSWER_KIND,
                                                  user_id=user_id))
    return card, page


def _card(result: Answer, reader: Reader, surface: str, external: bool) -> Card:
    card = Card(question=result.question.full, abstained=result.abstained, reason=result.reason,
                confidence=result.confidence, surface=surface,
                evidence=[{"id": s.article.id, "confidence": round(s.confidence, 4),
                           "evidence": s.evidence.as_dict()} for s in result.considered])
    support = result.support
    if result.abstained or support is None:
        return card
    endpoint = "articles.article" if reader.is_staff else "help.article"
    passage = support.passage

    def resolve(article_id: str, anchor: str | None) -> str | None:
        if catalog().get(reader, article_id) is None:
            return None
        return url_for(endpoint, article_id=article_id, _anchor=anchor)

    card.text = passage.text
    references = references_for(support.article, reader, endpoint)
    card.html = keyboard_scrollable(Markup(render(result.text, resolve, references=references)))
    card.citations = [_citation(support, endpoint, external, quoted=True)]
    if result.also is not None:
        card.citations.append(_citation(result.also, endpoint, external, quoted=False))
    card.reasons = support.reasons()
    card.flags = [f.as_dict() for f in support.flags]
    card.more_steps, card.step = passage.more_steps, passage.step
    card.validation = support.evidence.validation
    card.feedback = _serializer().dumps({"q": result.question.full[:1000], "a": support.article.id,
                                         "s": passage.section[:300], "c": round(result.confidence, 4),
                                         "au": reader.audience, "sf": surface})
    return card


def _citation(support, endpoint: str, external: bool, *, quoted: bool) -> dict:
    article = support.article
    anchor = support.passage.anchor
    url = url_for(endpoint, article_id=article.id, _anchor=anchor, _external=external)
    return {"id": article.id, "title": article.title, "type": article.type,
            "section": support.passage.section, "anchor": anchor, "url": url, "quoted": quoted,
            "confidence": round(support.confidence, 4)}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=FEEDBACK_SALT)


@bp.route("/api/answer", methods=["POST"])
def api_answer():
    """The answer to a question, cited, or an abstention; with the reader's results."""
    body = json_body()
    question = params.text(body, "question", max_chars=MAX_QUESTION_CHARS)
    if not question:
        raise params.BadParameter("question",
                                  "'question' is required: the question or the problem, in words.")
    description = params.text(body, "description", max_chars=MAX_DESCRIPTION_CHARS) or ""
    product = params.text(body, "product")
    limit = params.integer(body, "limit", DEFAULT_LIMIT, low=1, high=MAX_SUGGEST_LIMIT)
    explain = params.flag(body, "explain")
    throttle.count_if_costly(explain, limit)
    started = time.perf_counter()
    card, page = card_for(g.reader, question, description, product, surface="api", limit=limit, external=True)
    if card is None:
        raise IndexMissing(catalog().index_dir)
    urls = article_urls(g.reader)
    out = {"question": question, "abstained": card.abstained,
           "reason": card.reason if card.abstained else None,
           "answer": None if card.abstained else card.as_json(),
           "confidence": round(card.confidence, 4),
           "results": [hit_json(hit, g.reader, url=urls) for hit in page.hits],
           "took_ms": round((time.perf_counter() - started) * 1000, 3)}
    if explain:
        out["considered"] = card.evidence
    return jsonify(out)


@bp.route("/api/answer/feedback", methods=["POST"])
@bp.route("/answers/feedback", methods=["POST"])
def feedback():
    """Record "Did this answer help?"; JSON for scripts and the API, a redirect back for a plain form."""
    data = json_body() if request.is_json else request.form
    vote = str(data.get("helpful", "")).lower()
    if vote not in ("yes", "no"):
        raise params.BadParameter("helpful", "'helpful' must be 'yes' or 'no'.")
    try:
        shown = _serializer().loads(str(data.get("token", "")))
    except BadSignature:
        raise params.BadParameter("token",
                                  "This answer can't be rated: reload the page and try again.") from None
    if not isinstance(shown, dict) or not {"q", "a", "s", "c", "au", "sf"} <= set(shown):
        abort(400, description="This answer can't be rated: reload the page and try again.")
    record_vote(services().engine, Vote(question=str(shown["q"]), article_id=str(shown["a"]),
                                        section=str(shown["s"]), confidence=float(shown["c"]),
                                        helpful=vote == "yes", audience=str(shown["au"]),
                                        surface=str(shown["sf"]),
                                        user_id=g.user.id if g.user else None))
    wants_json = request.accept_mimetypes.best == "application/json"
    if request.is_json or request.path.startswith("/api/") or wants_json:
        return jsonify({"recorded": True, "helpful": vote == "yes"})
    return redirect(safe_next(data.get("next"), url_for("help.home")) + "#answer", 303)
