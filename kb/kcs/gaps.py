"""Gaps found for you: what the knowledge base failed to answer, grouped into topics.

Six kinds of evidence (:func:`collect_items`):

* **case**: a closed case with no linked article (solved without the knowledge base);
* **search**: a search (engineer or help center) that found nothing, counted per query;
* **unclicked**: a search that found articles, run at least :data:`UNCLICKED_MIN` times in
  the window, and none of whose results anyone opened (:func:`record_search_click`);
* **question**: a question the answer card could not answer (kb abstained) or whose
  answer a reader said didn't help (:func:`kb.answers.feedback.unanswered`), per question;
* **ticket**: a contact-form ticket filed after the suggested articles didn't help;
* **flag**: a help-center reader saying an article didn't help, with their comment.

Items are grouped by meaning and words together (:mod:`kb.kcs.similarity`): every item is
linked to its nearest neighbours, and groups merge while the average similarity between
them stays at or above a threshold (average linkage), so a topic never drifts far from
what its members share. The thresholds were chosen on StackFAQ's paraphrase groups and
confirmed on SeaMonkey's duplicate reports (``bench/gaps.py``).

A :class:`Topic` has an id that stays put while it grows (from its oldest item), a label
of key terms, its size (searches count as often as they were run), a trend, and examples.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from kb.activity import SEARCH_KINDS, search_log
from kb.answers.feedback import unanswered
from kb.cases.rules import CLOSED
from kb.cases.schema import case_links, cases, deflection_events
from kb.cases.store import format_case_id
from kb.db import utcnow
from kb.kcs.schema import flags, search_clicks
from kb.kcs.similarity import NEIGHBOURS, Text, WordSpace, combined, meaning_neighbours

CASE, SEARCH, UNCLICKED, QUESTION, TICKET, FLAG = "case", "search", "unclicked", "question", "ticket", "flag"
# Examples of a topic, most telling kind first; every kind in KINDS has a place.
EXAMPLE_ORDER = (CASE, TICKET, FLAG, QUESTION, SEARCH, UNCLICKED)
KINDS = {CASE: "case closed without an article", SEARCH: "search that found nothing",
         UNCLICKED: "search whose results nobody opened",
         QUESTION: "question kb could not answer, or whose answer didn't help",
         TICKET: "ticket filed after the suggestions", FLAG: "reader said an article didn't help"}
# Average similarity at which two groups are one topic: by words and meaning together, and
# by words alone (when the encoder is off). Chosen on StackFAQ (bench/gaps.py).
THRESHOLD = 0.25
WORDS_THRESHOLD = 0.1
MAX_ITEMS = 3000  # the most recent items considered: clustering cost grows with them
MIN_QUERY_CHARS = 3
TREND_DAYS = 30
LABEL_TERMS = 4
TYPICAL_SAMPLE = 60
UNCLICKED_MIN = 2  # runs of a search with results, none opened, before it counts as a gap
MAX_CLICK_QUERY = 1000

Embed = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class GapItem:
    """One piece of evidence that the knowledge base had no answer."""

    key: str
    kind: str
    title: str
    body: str
    at: datetime
    weight: int = 1
    case_id: int | None = None
    article_id: str | None = None
    product: str | None = None

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}".strip()

    @property
    def label(self) -> str:
        if self.case_id is not None:
            return f"{format_case_id(self.case_id)}: {self.title}"
        return self.title

    def as_dict(self) -> dict:
        return {"key": self.key, "kind": self.kind, "title": self.title, "at": self.at.isoformat(),
                "count": self.weight, "case_id": format_case_id(self.case_id) if self.case_id else None,
                "article_id": self.article_id}


@dataclass
class Topic:
    """A group of gap items about one thing."""

    id: str
    items: list[GapItem]
    terms: list[str] = field(default_factory=list)
    representative: GapItem | None = None

    @property
    def size(self) -> int:
        return sum(i.weight for i in self.items)

    @property
    def label(self) -> str:
        return ", ".join(self.terms) if self.terms else (self.representative.title if self.representative else "")

    @property
    def counts(self) -> Counter:
        """Evidence by kind."""
        out: Counter = Counter()
        for item in self.items:
            out[item.kind] += item.weight
        return out

    def trend(self, now: datetime | None = None) -> tuple[int, int]:
        """(items in the last TREND_DAYS days, items in the TREND_DAYS before)."""
        now = now or utcnow()
        recent = sum(i.weight for i in self.items if i.at >= now - timedelta(days=TREND_DAYS))
        before = sum(i.weight for i in self.items
                     if now - timedelta(days=2 * TREND_DAYS) <= i.at < now - timedelta(days=TREND_DAYS))
        return recent, before

    @property
    def examples(self) -> list[GapItem]:
        """The representative first, then cases and tickets, then the most searched queries."""
        order = {kind: rank for rank, kind in enumerate(EXAMPLE_ORDER)}
        rest = sorted((i for i in self.items if i is not self.representative),
                      key=lambda i: (order[i.kind], -i.weight, -i.at.timestamp(), i.key))
        return ([self.representative] if self.representative else []) + rest

    @property
    def best_case(self) -> GapItem | None:
        """The case a draft for this topic is written from: the most typical case or ticket."""
        return next((i for i in self.examples if i.case_id is not None), None)

    def as_dict(self, now: datetime | None = None) -> dict:
        recent, before = self.trend(now)
        return {"id": self.id, "label": self.label, "terms": self.terms, "size": self.size,
                "counts": dict(self.counts), "trend": {"last_30_days": recent, "previous_30_days": before},
                "examples": [i.as_dict() for i in self.examples[:10]]}


def collect_items(engine: Engine, *, since: datetime | None = None, limit: int = MAX_ITEMS) -> list[GapItem]:
    """Every gap item in the window, newest first, at most ``limit``."""
    items: dict[str, GapItem] = {}
    with engine.connect() as conn:
        linked = sa.select(case_links.c.case_id)
        query = (sa.select(cases.c.id, cases.c.title, cases.c.description, cases.c.closed_at, cases.c.product)
                 .where(cases.c.status == CLOSED, cases.c.id.not_in(linked)))
        if since is not None:
            query = query.where(cases.c.closed_at >= since)
        for r in conn.execute(query):
            items[f"case:{r.id}"] = GapItem(f"case:{r.id}", CASE, r.title, (r.description or "")[:2000],
                                            r.closed_at, case_id=r.id, product=r.product)
        tickets = (sa.select(cases.c.id, cases.c.title, cases.c.description, deflection_events.c.created_at,
                             cases.c.product)
                   .join(cases, cases.c.id == deflection_events.c.case_id)
                   .where(deflection_events.c.kind == "submitted"))
        if since is not None:
            tickets = tickets.where(deflection_events.c.created_at >= since)
        for r in conn.execute(tickets):
            items.setdefault(f"case:{r.id}", GapItem(f"case:{r.id}", TICKET, r.title, (r.description or "")[:2000],
                                                     r.created_at, case_id=r.id, product=r.product))
        text = sa.func.lower(sa.func.trim(search_log.c.query))
        searches = (sa.select(text.label("q"), sa.func.count().label("n"), sa.func.max(search_log.c.at).label("at"))
                    .where(search_log.c.total == 0, search_log.c.kind.in_(SEARCH_KINDS))
                    .group_by(text))
        if since is not None:
            searches = searches.where(search_log.c.at >= since)
        for r in conn.execute(searches):
            if len(r.q or "") >= MIN_QUERY_CHARS:
                items[f"search:{r.q}"] = GapItem(f"search:{r.q}", SEARCH, r.q, "", r.at, weight=int(r.n))
        opened = sa.select(search_clicks.c.query).distinct()
        if since is not None:
            opened = opened.where(search_clicks.c.at >= since)
        clicked = {r.query for r in conn.execute(opened)}
        unclicked = (sa.select(text.label("q"), sa.func.count().label("n"), sa.func.max(search_log.c.at).label("at"))
                     .where(search_log.c.total > 0, search_log.c.kind.in_(SEARCH_KINDS))
                     .group_by(text).having(sa.func.count() >= UNCLICKED_MIN))
        if since is not None:
            unclicked = unclicked.where(search_log.c.at >= since)
        for r in conn.execute(unclicked):
            if len(r.q or "") >= MIN_QUERY_CHARS and click_key(r.q) not in clicked:
                items.setdefault(f"search:{r.q}", GapItem(f"search:{r.q}", UNCLICKED, r.q, "", r.at, weight=int(r.n)))
        # A question that also found nothing as a search is one item (the search's), not two.
        failed: dict[str, GapItem] = {}
        for row in unanswered(engine, since=since, limit=limit):
            q = row["question"]
            if len(q) >= MIN_QUERY_CHARS and f"search:{q}" not in items:
                seen = failed.get(q)
                weight = row["count"] + (seen.weight if seen else 0)
                at = max(row["last_at"], seen.at) if seen else row["last_at"]
                failed[q] = GapItem(f"search:{q}", QUESTION, q, "", at, weight=weight)
        items.update({item.key: item for item in failed.values()})
        said = sa.select(flags).where(flags.c.source == "help")
        if since is not None:
            said = said.where(flags.c.created_at >= since)
        for r in conn.execute(said):
            items[f"flag:{r.id}"] = GapItem(f"flag:{r.id}", FLAG, r.comment or r.reason.replace("-", " "),
                                            "", r.created_at, article_id=r.article_id)
    newest = sorted(items.values(), key=lambda i: (i.at, i.key), reverse=True)
    return newest[:limit]


def record_search_click(engine: Engine, query: str, article_id: str, *, at: datetime | None = None) -> bool:
    """Remember that a result of this search was opened; False (nothing recorded) for an empty query."""
    query = click_key(query)
    if not query or not article_id:
        return False
    with engine.begin() as conn:
        conn.execute(search_clicks.insert().values(query=query, article_id=article_id[:100], at=at or utcnow()))
    return True


def click_key(query: str) -> str:
    """A search as clicks are matched to it: words as typed, lower-cased, single spaces."""
    return " ".join(query.replace("\x00", " ").split()).lower()[:MAX_CLICK_QUERY]


def find_topics(items: Sequence[GapItem], *, embed: Embed | None = None, threshold: float | None = None,
                neighbours: int = NEIGHBOURS) -> list[Topic]:
    """Group gap items into topics, biggest first (see the module docstring).

    :param embed: turns texts into unit vectors (the sentence encoder); None groups by words.
    """
    if not items:
        return []
    texts = [Text(i.key, i.title, i.body) for i in items]
    words = WordSpace(texts)
    vectors = embed([i.text for i in items]) if embed is not None else None
    if threshold is None:
        threshold = THRESHOLD if vectors is not None else WORDS_THRESHOLD
    groups = cluster(words, vectors, threshold, neighbours)
    topics = [_topic(items, words, vectors, members) for members in groups]
    topics.sort(key=lambda t: (-t.size, -len(t.items), t.id))
    return topics


def similarity_graph(words: WordSpace, vectors: np.ndarray | None,
                     neighbours: int = NEIGHBOURS) -> dict[tuple[int, int], float]:
    """Each item's nearest neighbours by words and by meaning, with their combined similarity."""
    candidates = words.neighbours(neighbours)
    if vectors is not None:
        present = np.linalg.norm(vectors, axis=1) > 0
        by_meaning = meaning_neighbours(vectors, present, neighbours)
        candidates = [a + b for a, b in zip(candidates, by_meaning, strict=True)]
    edges: dict[tuple[int, int], float] = {}
    for i, found in enumerate(candidates):
        for j, _ in found:
            key = (i, j) if i < j else (j, i)
            if key not in edges:
                m = float(vectors[key[0]] @ vectors[key[1]]) if vectors is not None else None
                edges[key] = combined(words.cosine(*key), m)
    return edges


def cluster(words: WordSpace, vectors: np.ndarray | None, threshold: float,
            neighbours: int = NEIGHBOURS) -> list[list[int]]:
    """Groups of items by words and meaning (see :func:`average_linkage`)."""
    return average_linkage(words.size, similarity_graph(words, vectors, neighbours), threshold)


def average_linkage(n: int, edges: dict[tuple[int, int], float], threshold: float) -> list[list[int]]:
    """Average-linkage groups over a neighbour graph: merge the two groups with the highest
    average similarity (pairs without an edge count as 0) while it is at least ``threshold``."""
    total: dict[int, dict[int, float]] = defaultdict(dict)  # group -> other group -> summed similarity
    for (i, j), s in edges.items():
        total[i][j] = total[j][i] = s
    size = {i: 1 for i in range(n)}
    heap = [(-s, i, j) for (i, j), s in edges.items() if s >= threshold]
    heapq.heapify(heap)
    members = {i: [i] for i in range(n)}
    while heap:
        neg, a, b = heapq.heappop(heap)
        if a not in size or b not in size:
            continue
        current = total[a].get(b, 0.0) / (size[a] * size[b])
        if abs(current + neg) > 1e-9:
            continue  # stale entry: the groups changed since it was pushed
        # Merge b into a; the new group's sums are the old ones added (Lance-Williams, average).
        for other, s in total.pop(b).items():
            if other == a:
                continue
            total[other].pop(b, None)
            total[a][other] = total[a].get(other, 0.0) + s
            total[other][a] = total[a][other]
        total[a].pop(b, None)
        size[a] += size.pop(b)
        members[a] += members.pop(b)
        for other, s in total[a].items():
            average = s / (size[a] * size[other])
            if average >= threshold:
                heapq.heappush(heap, (-average, min(a, other), max(a, other)))
    return [sorted(m) for m in members.values()]


def _topic(items: Sequence[GapItem], words: WordSpace, vectors: np.ndarray | None, members: list[int]) -> Topic:
    group = [items[i] for i in members]
    oldest = min(group, key=lambda i: (i.at, i.key))
    topic_id = "gap-" + hashlib.sha1(oldest.key.encode("utf-8")).hexdigest()[:10]
    weights: Counter = Counter()
    shared: Counter = Counter()  # how many members use the term
    for i in members:
        for term, w in words.vectors[i].items():
            weights[term] += w * items[i].weight
            shared[term] += 1
    # The label names what members share: a term of one member (a version, a site) only
    # when too few terms are shared.
    enough = 2 if len(members) > 1 else 1
    terms = [t for t, _ in sorted(weights.items(), key=lambda kv: (shared[kv[0]] < enough, -kv[1], kv[0]))
             [:LABEL_TERMS]]
    sample = members[:TYPICAL_SAMPLE]  # typicality is quadratic: judge big topics on a sample

    def typicality(i: int) -> float:
        return sum(words.cosine(i, j) + (float(vectors[i] @ vectors[j]) if vectors is not None else 0.0)
                   for j in sample if j != i)

    representative = items[max(sample, key=lambda i: (typicality(i), items[i].weight, -i))]
    return Topic(topic_id, group, terms, representative)
