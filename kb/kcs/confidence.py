"""KCS confidence and freshness: how far an article can be trusted today.

KCS (v6) gives every article a confidence: **work in progress** while it is written,
**not validated** once others may use it but nobody licensed to approve has checked it,
**validated** after an approver did, and **archived** when it is retired. In kb two of
these follow from the status and two are stated in the front matter:

* ``status: draft`` is work in progress, ``status: archived`` is archived, whatever else
  the file says;
* otherwise ``confidence: validated`` or ``confidence: not-validated`` says it; an article
  in ``review`` that states nothing is not validated;
* a ``published`` article that states nothing counts as validated: it was published
  before the team tracked confidence, through whatever review it had then.

**Freshness.** An article is *stale* when its ``review_by`` date has passed, or when it
was last verified (the later of ``validated_at`` and ``updated``) more than
:data:`STALE_AFTER_DAYS` ago. Ranking prefers validated, fresh articles by a modest factor
(the search engine's ranking home holds the weight); the help center shows validated
public articles only unless the team's mapping file says otherwise (:mod:`kb.kcs.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from kb.model import Article

WORK_IN_PROGRESS = "work-in-progress"
NOT_VALIDATED = "not-validated"
VALIDATED = "validated"
ARCHIVED = "archived"
LEVELS = (WORK_IN_PROGRESS, NOT_VALIDATED, VALIDATED, ARCHIVED)
LABELS = {WORK_IN_PROGRESS: "Work in progress", NOT_VALIDATED: "Not validated", VALIDATED: "Validated",
          ARCHIVED: "Archived"}
STALE_AFTER_DAYS = 365


def effective(status: str | None, stated: str | None) -> str:
    """The confidence of an article with this status and stated ``confidence`` (see the module)."""
    if status == "draft":
        return WORK_IN_PROGRESS
    if status == "archived":
        return ARCHIVED
    if stated in (NOT_VALIDATED, VALIDATED):
        return stated
    return NOT_VALIDATED if status == "review" else VALIDATED


def confidence_of(article: Article) -> str:
    """An article's effective confidence."""
    return effective(article.status, article.confidence)


def last_verified(article: Article) -> date | None:
    """When somebody last vouched for the article: the later of validated_at and updated."""
    dates = [d for d in (article.validated_at, article.updated) if d]
    return max(dates) if dates else None


def is_stale(review_by: date | None, verified: date | None, today: date,
             stale_after_days: int = STALE_AFTER_DAYS) -> bool:
    """Past its review date, or not verified for ``stale_after_days`` (unknown dates aren't stale)."""
    if review_by is not None and review_by < today:
        return True
    return verified is not None and verified < today - timedelta(days=stale_after_days)


@dataclass(frozen=True)
class Standing:
    """What readers and rankers need to know about an article's trustworthiness today."""

    confidence: str
    stale: bool
    verified: date | None

    @property
    def label(self) -> str:
        return LABELS[self.confidence] + (", stale" if self.stale else "")

    @property
    def needs_validation(self) -> bool:
        """Readers may use it (published or in review) but no approver has validated it."""
        return self.confidence == NOT_VALIDATED


def standing(article: Article, today: date | None = None) -> Standing:
    """An article's confidence and freshness on ``today``."""
    today = today or date.today()
    verified = last_verified(article)
    return Standing(confidence_of(article), is_stale(article.review_by, verified, today), verified)


def needing_validation(articles) -> list[Article]:
    """Articles readers can use that no approver has validated, oldest verification first."""
    waiting = [a for a in articles if confidence_of(a) == NOT_VALIDATED]
    return sorted(waiting, key=lambda a: (last_verified(a) or date.min, a.id))
