"""Who may see what: kb's public/internal boundary, stated once.

Every article has an audience (``public`` or ``internal``) and a status (``draft``,
``review``, ``published``, ``archived``). The rules:

* The **public index** holds exactly the published public articles that are validated
  (:func:`in_public_index`; a team's mapping file may let not-validated ones in too, see
  :mod:`kb.kcs.policy`); customers and anonymous readers read only that index, so
  nothing internal can reach them through results, counts, facets, snippets, spelling
  or autocomplete: the words aren't there to leak.
* Staff read the **internal index**, which holds every article, filtered to the statuses
  their role may see (:func:`status_filter`): engineers see published articles, authors
  and admins also drafts and articles in review. Archived articles are found by staff
  only when they ask for them (a status filter, a direct link).
* A reader is a :class:`Reader`: the index they read and the statuses in it. Roles turn
  into readers only in :func:`reader_for`; :data:`PUBLIC` is the reader of the help center.
* An archived *public* article still answers public links by pointing at its public
  replacement (:func:`public_replacement_id`); any other hidden article is
  indistinguishable from one that doesn't exist.
* Article ids in a request are checked for shape (:func:`valid_article_id`) before any
  lookup; some metadata fields are for staff only (:func:`fields_for`).

The search engine builds its two indexes and filters by these rules; the web app's
catalog scopes every lookup to a reader. Tests: ``tests/web/test_visibility.py`` (the
rules), ``tests/web/test_leaks.py`` (attacks through the app) and
``tests/indexer/test_visibility.py`` (the public index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kb.model import AUDIENCES, STATUSES

if TYPE_CHECKING:
    from kb.model import Article
    from kb.users import User

PUBLIC_AUDIENCE = "public"
INTERNAL_AUDIENCE = "internal"
PUBLISHED = "published"
ARCHIVED = "archived"
READER_STATUSES = (PUBLISHED,)  # customers, anonymous readers and engineers
AUTHOR_STATUSES = (PUBLISHED, "review", "draft")  # authors and admins
# Metadata only staff get: where the file lives, who owns and validated it, when it is due for
# review, and the front-matter keys kb has no field for (another tool's authors, reviewers, notes).
STAFF_ONLY_FIELDS = ("path", "owner", "review_by", "component", "validated_by", "extra")

_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")  # the whole id: fullmatch, as `$` would allow a final newline


def in_public_index(audience: str | None, status: str | None, confidence: str | None = None, *,
                    validated_only: bool = True) -> bool:
    """Whether an article with this audience, status and KCS confidence belongs in the public index.

    Published public articles do; with ``validated_only`` (the help center's default) those
    known to be not validated stay out until an approver validates them. An unknown
    confidence (None) counts as validated, as a published article that states none does.
    """
    if audience != PUBLIC_AUDIENCE or status != PUBLISHED:
        return False
    return not (validated_only and confidence not in (None, "validated"))


def index_for(audience: str) -> str:
    """The index an audience reads: ``"public"`` or ``"internal"`` (named like the audience).

    :raises ValueError: not an audience kb knows.
    """
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {audience!r}")
    return audience


def index_is_filtered(audience: str) -> bool:
    """Whether the index an audience reads holds articles some of its readers may not see.

    True for the internal index (every status); its results, and anything derived from its
    vocabulary, must be filtered by the reader's statuses. The public index is its own filter.
    """
    return index_for(audience) != PUBLIC_AUDIENCE


def status_filter(audience: str, statuses) -> tuple[str, ...] | None:
    """The statuses to filter an audience's index by; None when the index itself is the filter.

    The public index holds published articles only, so it needs none; the internal index
    holds every status, so a staff reader's statuses (the known ones) are the filter.
    """
    if not index_is_filtered(audience):
        return None
    return tuple(sorted({s for s in (statuses or ()) if s in STATUSES}))


@dataclass(frozen=True)
class Reader:
    """Who is reading and what they may see: the audience index and the statuses in it."""

    audience: str
    statuses: tuple[str, ...]
    user: User | None = field(default=None, compare=False)

    @property
    def is_staff(self) -> bool:
        """Whether this reader reads the internal index (support staff)."""
        return self.audience == INTERNAL_AUDIENCE

    @property
    def filter_statuses(self) -> tuple[str, ...]:
        """Statuses this reader may ask for explicitly: archived is findable by staff only on request."""
        return self.statuses + (ARCHIVED,) if self.is_staff else self.statuses

    def lookup_statuses(self, include_archived: bool = False) -> tuple[str, ...]:
        """Statuses an article looked up by id may have for this reader (archived only when asked)."""
        return self.filter_statuses if include_archived else self.statuses

    def may_filter_by(self, status: str) -> bool:
        """Whether this reader may narrow a search or list to ``status``."""
        return status in self.filter_statuses


PUBLIC = Reader(PUBLIC_AUDIENCE, READER_STATUSES)


def visibility(user: User | None) -> tuple[str, tuple[str, ...]]:
    """(audience, statuses) a user may see. The only place roles turn into visibility.

    customer and anonymous: the public index, published only; engineer: internal,
    published; author and admin: internal, published + review + draft. Archived articles
    are reachable by staff only through an explicit status filter (see :class:`Reader`).
    """
    if user is None or not user.is_staff:
        return PUBLIC_AUDIENCE, READER_STATUSES
    if user.can_author:
        return INTERNAL_AUDIENCE, AUTHOR_STATUSES
    return INTERNAL_AUDIENCE, READER_STATUSES


def reader_for(user: User | None) -> Reader:
    """The Reader every lookup of this user goes through."""
    audience, statuses = visibility(user)
    return Reader(audience, statuses, user)


def valid_article_id(article_id: str | None) -> bool:
    """Whether a requested id has the shape of an article id (checked before any lookup)."""
    return bool(_ID.fullmatch(article_id or ""))


def public_replacement_id(archived: Article | None) -> str | None:
    """For an archived *public* article, the id of its replacement, which the public may be sent to.

    None for anything else (an internal article, one not archived, or one with no
    replacement), so a hidden article answers exactly like an unknown id. The caller still
    looks the replacement up as :data:`PUBLIC`: it is shown only if it is public itself.
    """
    if archived is None or archived.status != ARCHIVED or archived.audience != PUBLIC_AUDIENCE:
        return None
    return archived.superseded_by or None


def fields_for(metadata: dict, reader: Reader) -> dict:
    """An article's metadata as this reader may see it (staff-only fields dropped for others)."""
    if reader.is_staff:
        return dict(metadata)
    return {name: value for name, value in metadata.items() if name not in STAFF_ONLY_FIELDS}
