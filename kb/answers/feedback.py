"""What readers tell us about answers, and the questions the knowledge base could not answer.

Two signals, both kept where the knowledge-gap work reads searches (``search_log``):

* every answer kb computes is logged as a search of kind ``answer`` whose ``total`` is the
  number of articles it cited: **0 means kb abstained** (nothing answered the question);
* a "No" to "Did this answer help?" is logged as kind ``answer-unhelpful`` (total 0), with
  the question as the query.

So "questions the knowledge base failed" are the ``search_log`` rows with kind ``answer``
or ``answer-unhelpful`` and total 0 (:func:`unanswered` reads them, newest first, counted
per question). Every vote, yes or no, is also kept in ``answer_feedback`` with the article
and section it judged, for the article's authors and for measuring how often answers help
(:func:`vote_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.activity import MAX_QUERY_LENGTH, SearchRecord, record_searches, search_log
from kb.db import metadata, register_migration, utcnow

ANSWER_KIND = "answer"
UNHELPFUL_KIND = "answer-unhelpful"
SURFACES = ("api", "search", "help", "contact", "case")

answer_feedback = sa.Table(
    "answer_feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
    sa.Column("question", sa.String(MAX_QUERY_LENGTH), nullable=False),
    # The article and section the answer quoted, and the confidence it was shown with.
    sa.Column("article_id", sa.String(100), nullable=False, index=True),
    sa.Column("section", sa.String(300), nullable=False, default=""),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("helpful", sa.Boolean, nullable=False),
    # Which index the answer came from ("public" or "internal") and where it was shown.
    sa.Column("audience", sa.String(20), nullable=False),
    sa.Column("surface", sa.String(20), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL")),
)

register_migration(500, "answer feedback", lambda conn: metadata.create_all(conn, tables=[answer_feedback]))


@dataclass(frozen=True)
class Vote:
    """One "Did this answer help?" answer, with what it judged."""

    question: str
    article_id: str
    section: str
    confidence: float
    helpful: bool
    audience: str
    surface: str
    user_id: int | None = None


def record_vote(engine: Engine, vote: Vote) -> None:
    """Keep the vote; a "No" also goes to the search log as a question the knowledge base failed."""
    with engine.begin() as conn:
        conn.execute(answer_feedback.insert().values(
            at=utcnow(), question=vote.question[:MAX_QUERY_LENGTH], article_id=vote.article_id[:100],
            section=vote.section[:300], confidence=float(vote.confidence), helpful=bool(vote.helpful),
            audience=vote.audience, surface=vote.surface if vote.surface in SURFACES else "api",
            user_id=vote.user_id))
    if not vote.helpful:
        record_searches(engine, [SearchRecord(query=vote.question, audience=vote.audience, total=0,
                                              took_ms=0.0, kind=UNHELPFUL_KIND, user_id=vote.user_id)])


def vote_counts(engine: Engine, *, since: datetime | None = None) -> dict[str, int]:
    """``{"helpful": n, "unhelpful": m}`` over every vote (since a time, if given)."""
    query = (sa.select(answer_feedback.c.helpful, sa.func.count().label("n"))
             .group_by(answer_feedback.c.helpful))
    if since is not None:
        query = query.where(answer_feedback.c.at >= since)
    out = {"helpful": 0, "unhelpful": 0}
    with engine.connect() as conn:
        for row in conn.execute(query):
            out["helpful" if row.helpful else "unhelpful"] += int(row.n)
    return out


def unanswered(engine: Engine, *, since: datetime | None = None, limit: int = 100) -> list[dict]:
    """Questions the knowledge base failed, most asked first: ``{question, kind, count, last_at}``.

    ``kind`` is ``answer`` (kb abstained) or ``answer-unhelpful`` (a reader said the answer
    didn't help). Questions are grouped case-insensitively.
    """
    text = sa.func.lower(sa.func.trim(search_log.c.query))
    count = sa.func.count().label("n")
    last = sa.func.max(search_log.c.at).label("last_at")
    query = (sa.select(text.label("q"), search_log.c.kind, count, last)
             .where(search_log.c.total == 0, search_log.c.kind.in_((ANSWER_KIND, UNHELPFUL_KIND)))
             .group_by(text, search_log.c.kind).order_by(count.desc(), text).limit(limit))
    if since is not None:
        query = query.where(search_log.c.at >= since)
    with engine.connect() as conn:
        return [{"question": r.q, "kind": r.kind, "count": int(r.n), "last_at": r.last_at}
                for r in conn.execute(query)]
