"""Whoosh query trees evaluated over whole posting lists at once, as numpy arrays.

Whoosh's matchers visit matching documents one at a time in Python, which at 100,000
articles costs hundreds of milliseconds for a few common words. Here a query tree is
evaluated bottom-up over whole posting lists (:mod:`indexer.engine.sidecars`): each term is
one list, each And/Or one vectorized operation over sorted ids (selective parts) or dense
per-document arrays (common words), see :mod:`indexer.engine.matches`.

Scores are Whoosh's own BM25F (same idf, average and per-document field lengths, boosts,
sums for And/Or), so the two can be swapped and are tested against each other. This is
the only scorer: ranking and ``--explain`` both read its numbers. Phrases need positions:
their candidates are the documents with every word of the phrase, checked all at once on
the positions the index stored (:mod:`indexer.engine.phrases`), read from the posting
sidecars (or, for short lists, from Whoosh's postings of those candidates only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from whoosh import query as wq

from indexer.engine import whoosh_adapter as adapter
from indexer.engine.matches import DENSE_FRACTION, SCORE, Matches, all_of, any_of
from indexer.engine.phrases import phrase_found
from indexer.engine.positions import WordPositions
from indexer.engine.query_tree import normalized
from indexer.engine.sidecars import segment_postings
from indexer.engine.term_table import NOT_IN_SIDECAR, term_key
from indexer.engine.version import IndexVersion
from indexer.engine.vocabulary import near
from indexer.ranking import BM25_B, BM25_K1, MAX_PHRASE_CHECKS
from indexer.stages import stage

# Scores are summed in single precision: half the memory traffic of double, and still
# within a millionth of Whoosh's own scores for a query's handful of terms.
MAX_EXPANSIONS = 64  # terms a fuzzy word may expand to


class Evaluation:
    """One query's evaluation on a borrowed searcher (posting lists read once per query).

    :param version: the :class:`~indexer.engine.version.IndexVersion` the searcher reads.
    :param by_field: also split every score by field (for explanations; slower: every
        result is dense).
    """

    def __init__(self, version: IndexVersion, searcher, *, by_field: bool = False):
        self.v = version
        self.searcher = searcher
        self.by_field = by_field
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._restrict: np.ndarray | None = None  # the last restrict mask of a phrase, and its documents
        self._restrict_ids: np.ndarray | None = None
        self._word_positions = WordPositions(version, searcher, self._rows)
        self._within_of: np.ndarray | None = None  # the documents words were last looked up at
        self._at_within: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.optimistic = False
        self._phrase_words: dict[str, list[str]] = {}  # a restricted run's phrase words, by field
        self.schema = searcher.schema
        self.reader = searcher.reader()

    # -- postings -------------------------------------------------------------------------

    def postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Global ids (live documents only) and weights of a term."""
        key = (fieldname, text)
        found = self._postings.get(key)
        if found is not None:
            return found
        with stage("candidates"):
            found = self._read_postings(fieldname, text)
        self._postings[key] = found
        return found

    def _read_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        # Global ids as numpy's own index type: every scatter and gather over the version's
        # arrays would otherwise convert them again (two to three times slower than these).
        id_parts, weight_parts = [], []
        for offset, ids, weights in self._segment_postings(fieldname, text):
            if len(ids):
                id_parts.append(ids.astype(np.intp) + offset)
                weight_parts.append(weights)
        if not id_parts:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        ids = np.concatenate(id_parts) if len(id_parts) > 1 else id_parts[0]
        weights = np.concatenate(weight_parts) if len(weight_parts) > 1 else weight_parts[0]
        if self.v.all_live:
            return ids, weights
        keep = self.v.live[ids]
        return (ids[keep], weights[keep]) if not keep.all() else (ids, weights)

    def _segment_postings(self, fieldname: str, text: str):
        """(first docnum, local ids, weights) of a term in each segment that has it: the
        merged term table names those segments and their sidecar rows in one lookup."""
        leaves = self.searcher.leaf_searchers()
        rows = self._rows(fieldname, text)
        if rows is not None:
            for segment, row in rows.items():
                sub, offset = leaves[segment]
                data = self.v.leaves[segment][-1]
                if row != NOT_IN_SIDECAR:
                    yield (offset, *data.sidecar.list_at(row))
                else:
                    yield (offset, *adapter.read_postings(sub.reader(), fieldname, text))
            return
        for (sub, offset), (*_, data) in zip(leaves, self.v.leaves, strict=True):
            yield (offset, *segment_postings(sub.reader(), data.sidecar, fieldname, text))

    def _rows(self, fieldname: str, text: str) -> dict[int, int] | None:
        """Segment index -> the term's row in that segment's sidecar (or NOT_IN_SIDECAR), for
        every segment with the term, from the merged term table; None without one."""
        terms = self.v.terms
        if terms is None or not terms.covers(fieldname):
            return None
        return dict(terms.places(terms.find(term_key(fieldname, text))))

    def doc_frequency(self, fieldname: str, text: str) -> int:
        with stage("candidates"):
            return self.v.doc_frequency(self.reader, fieldname, text)

    def scored(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents and their BM25F scores (Whoosh's formula), cached per version."""
        key = (fieldname, text)
        found = self.v.cached(key)
        if found is not None:
            return found
        ids, weights = self.postings(fieldname, text)
        found = (ids, self._bm25(fieldname, text, ids, weights))
        self.v.remember(key, found)
        return found

    def _bm25(self, fieldname: str, text: str, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """BM25F scores of a term in documents ``ids`` where it has ``weights`` (each score
        depends on its own document only: any subset of a list scores as in the whole list)."""
        if not len(ids) or not self.schema[fieldname].scorable:
            return weights.astype(SCORE)
        df = self.doc_frequency(fieldname, text)
        idf = math.log(self.v.size / (df + 1)) + 1
        lengths = self.v.lengths(fieldname, self.searcher)[ids]
        avg = self.v.avg_length(fieldname)
        w = weights.astype(np.float64)
        norm = BM25_K1 * ((1 - BM25_B) + BM25_B * lengths / avg)
        return (idf * (w * (BM25_K1 + 1)) / (w + norm)).astype(SCORE)

    def _every_term(self, terms: list[wq.Term]) -> Matches | None:
        """An And of plain terms, one of them rare, matched on ids and scored only where every
        term is: the numbers :func:`~indexer.engine.matches.all_of` gives, without scoring
        the whole lists of common words (a name matched by its parts). None without a rare term."""
        if any(t.fieldname not in self.schema for t in terms):
            return None
        keys = [(t.fieldname, _text(t.text)) for t in terms]
        # Each term's ids, with its scores when the version keeps them, else with its weights.
        lists = [(*found, True) if (found := self.v.cached(key)) is not None else (*self.postings(*key), False)
                 for key in keys]
        if min(len(ids) for ids, _, _ in lists) * DENSE_FRACTION > self.v.size:
            return None
        ids = _in_every([all_ids for all_ids, _, _ in lists])
        score = np.zeros(len(ids), dtype=SCORE)
        for t, key, (all_ids, values, scored) in zip(terms, keys, lists, strict=True):
            at = np.searchsorted(all_ids, ids)
            part = values[at] if scored else self._bm25(*key, ids, values[at])
            score += part * t.boost if t.boost != 1.0 else part  # as Matches.times, then all_of's sum
        return Matches(self.v.size, ids=ids, scores=score)

    # -- evaluation -----------------------------------------------------------------------

    def empty(self) -> Matches:
        return Matches.none(self.v.size)

    def _dense(self, m: Matches, fieldname: str | None = None) -> Matches:
        """In explanation mode, every result dense with its score split by field."""
        if not self.by_field:
            return m
        fields = m.fields if m.fields is not None else ({fieldname: m.score} if fieldname else {})
        return Matches(m.size, mask=m.mask, score=m.score, fields=fields)

    def run(self, q: wq.Query | None, restrict: np.ndarray | None = None, *, optimistic: bool = False) -> Matches:
        """Evaluate a query. ``restrict`` limits the documents phrases are checked in;
        without it, phrases are checked in every candidate. With ``optimistic``, phrases
        are not checked at all but assumed to occur wherever all their words do: an upper
        bound of the scores."""
        if q is None:
            return self.empty()
        q = normalized(q)
        self.optimistic = optimistic
        if not optimistic and self._within(restrict) is not None:
            # Every phrase of the query is checked in the same few documents: their words'
            # positions are read together the first time one is needed.
            self._phrase_words = _phrase_words(q)
        try:
            return self._eval(q, restrict)
        finally:
            self.optimistic = False
            self._phrase_words = {}

    def _eval(self, q: wq.Query, restrict: np.ndarray | None) -> Matches:
        dense = self.by_field
        if isinstance(q, wq.Term):
            result = self._term(q.fieldname, q.text)
        elif isinstance(q, wq.And):
            every = None
            if not dense and len(q.subqueries) > 1 and all(type(s) is wq.Term for s in q.subqueries):
                every = self._every_term(q.subqueries)
            result = every if every is not None else all_of([self._eval(s, restrict) for s in q.subqueries], dense)
        elif isinstance(q, wq.Or):
            result = any_of([self._eval(s, restrict) for s in q.subqueries], dense)
        elif isinstance(q, wq.AndMaybe):
            required = self._eval(q.a, restrict)
            optional = self._eval(q.b, restrict if restrict is not None else required.mask)
            result = _maybe(required, optional, dense)
        elif isinstance(q, wq.AndNot):
            positive = self._eval(q.a, restrict)
            negative = self._eval(q.b, restrict)
            result = positive.only(~negative.mask)
        elif isinstance(q, wq.Phrase):
            with stage("phrases"):
                result = self._phrase(q, restrict)
        elif isinstance(q, wq.MultiTerm):
            result = self._eval(self._expand(q), restrict)
        elif isinstance(q, wq.Every):
            live = self.v.live
            result = self._dense(Matches(self.v.size, mask=live, score=live.astype(SCORE)))
        elif q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return self._dense(self.empty())
        else:
            result = self._dense(_by_whoosh(self.searcher, self.v.size, q))
        boost = getattr(q, "boost", 1.0)
        if boost != 1.0 and not isinstance(q, wq.MultiTerm):
            result = result.times(boost)
        return result

    def _term(self, fieldname: str, text) -> Matches:
        text = _text(text)
        if fieldname not in self.schema:
            return self._dense(self.empty())
        ids, scores = self.scored(fieldname, text)
        if len(ids) * DENSE_FRACTION > self.v.size:
            found = self.v.dense((fieldname, text), lambda: Matches.sparse(self.v.size, ids, scores))
        else:
            found = Matches.sparse(self.v.size, ids, scores)
        return self._dense(found, fieldname)

    # -- phrases --------------------------------------------------------------------------

    def _phrase(self, q: wq.Phrase, restrict: np.ndarray | None) -> Matches:
        """Documents with the words in order (within ``slop``), scored as Whoosh does: the sum
        of the words' scores. The candidates (those with every word, within ``restrict``
        when given) are checked on the index's positions, all at once."""
        words = [w for w in q.words if w]
        if not words:
            return self._dense(self.empty())
        within = self._within(restrict)
        if within is not None:
            # A few documents to check: look the words up in those only.
            if not len(within):
                return self._dense(self.empty())
            keep = np.ones(len(within), dtype=bool)
            score = np.zeros(len(within), dtype=SCORE)
            for word in words:
                found, part_score = self._word_within(q.fieldname, word, within)
                keep &= found
                score += part_score  # in the words' order, as all_of sums them
            docs, scores = within[keep], score[keep]
        else:
            candidates = all_of([self._term(q.fieldname, w) for w in words])
            if restrict is not None:
                candidates = candidates.only(restrict)
            docs, scores = candidates.ids, candidates.scores
        if len(docs) > MAX_PHRASE_CHECKS:
            best = np.sort(np.argpartition(-scores, MAX_PHRASE_CHECKS)[:MAX_PHRASE_CHECKS])
            docs, scores = docs[best], scores[best]
        if not len(docs):
            return self._dense(self.empty())
        if self.optimistic:
            return self._dense(Matches(self.v.size, ids=docs, scores=scores), q.fieldname)
        keep = self._phrase_in(q.fieldname, words, q.slop, docs, within if within is not None else docs)
        return self._dense(Matches(self.v.size, ids=docs[keep], scores=scores[keep]), q.fieldname)

    def _word_within(self, fieldname: str, word: str, within: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A word's matches and scores at a selective mask's documents, once per mask (a pasted
        message's runs share their words, and each pass of a booster check asks again)."""
        if within is not self._within_of:
            self._within_of, self._at_within = within, {}
        found = self._at_within.get((fieldname, word))
        if found is None:
            found = self._at_within[(fieldname, word)] = self._term_at(fieldname, word, within)
        return found

    def _term_at(self, fieldname: str, word: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A term's matches and scores at a few documents, looked up in its list: a common
        word's whole-version arrays are built only for evaluations that need them all."""
        if fieldname not in self.schema:
            return self.empty().at(docs)
        kept = self.v.dense_if_kept((fieldname, word))
        if kept is not None:
            return kept.at(docs)
        ids, scores = self.scored(fieldname, word)
        return Matches(self.v.size, ids=ids, scores=scores).at(docs)

    def phrases_in(self, fieldname: str, phrases: list[tuple[str, ...]], slop: int,
                   docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` (sorted global ids) hold each phrase of analysed words, as
        ``Phrase`` queries would find them: a (phrases x docs) boolean array. Positions only:
        nothing is scored, and each word is looked up once for all the phrases."""
        docs = np.asarray(docs, dtype=np.int64)
        found = np.zeros((len(phrases), len(docs)), dtype=bool)
        for i, words in enumerate(phrases):
            if words and len(docs):
                found[i] = self._phrase_in(fieldname, list(words), slop, docs, docs)
        return found

    def _within(self, restrict: np.ndarray | None) -> np.ndarray | None:
        """The documents of a selective ``restrict`` mask (listed once per mask), else None."""
        if restrict is None:
            return None
        if restrict is not self._restrict:
            ids = np.flatnonzero(restrict)
            self._restrict, self._restrict_ids = restrict, ids if len(ids) * DENSE_FRACTION <= self.v.size else None
        return self._restrict_ids

    def _phrase_in(self, fieldname: str, words: list[str], slop: int, docs: np.ndarray,
                   universe: np.ndarray) -> np.ndarray:
        """Which of ``docs`` (sorted global ids, within the sorted ``universe``) hold the phrase.
        Word positions are looked up for the whole universe, once for all the phrases that
        share it (the boosters checked in the same few documents)."""
        also = self._phrase_words.get(fieldname, ()) if universe is self._restrict_ids else ()
        found = phrase_found(self._word_positions.keys(fieldname, words, universe, also), slop, len(universe))
        return found if universe is docs else found[np.searchsorted(universe, docs)]

    def _expand(self, q: wq.MultiTerm) -> wq.Query:
        """The terms a fuzzy, prefix or wildcard query stands for (at most :data:`MAX_EXPANSIONS`,
        the first in term order, as Whoosh would take them). Fuzzy words are looked up in
        the segments' grouped vocabularies instead of Whoosh's walk over the term list."""
        if isinstance(q, wq.FuzzyTerm) and q.prefixlength == 1 and q.fieldname in self.reader.schema:
            words = sorted(near(self.v.vocabularies(q.fieldname, self.searcher), q.text, q.maxdist))
            return _any_term(q.fieldname, words[:MAX_EXPANSIONS], q.boost)
        return _expand(q, self.reader)


def _text(text: str | bytes) -> str:
    """A term's text as a string (Whoosh gives expanded and parsed terms as bytes)."""
    return text.decode("utf-8") if isinstance(text, bytes) else text


def _in_every(lists: list[np.ndarray]) -> np.ndarray:
    """The ids in every one of ``lists`` (each sorted), looked up from the shortest."""
    lists = sorted(lists, key=len)
    ids = lists[0]
    for other in lists[1:]:
        if not len(ids):
            break
        at = np.searchsorted(other, ids)
        at[at == len(other)] = 0
        ids = ids[other[at] == ids]
    return ids


def _by_whoosh(searcher, size: int, q: wq.Query) -> Matches:
    """Any other query kind: Whoosh finds and scores it (rare, small)."""
    docs = list(searcher.docs_for_query(q))
    if not docs:
        return Matches.none(size)
    scores = score_docs(searcher, q, docs)
    ids = np.fromiter(sorted(scores), dtype=np.int64, count=len(scores))
    return Matches.sparse(size, ids, np.asarray([scores[d] for d in ids.tolist()], dtype=SCORE))


def _phrase_words(q: wq.Query) -> dict[str, list[str]]:
    """The words of every phrase in a query tree, by field, each once."""
    found: dict[str, dict[str, None]] = {}
    stack = [q]
    while stack:
        node = stack.pop()
        if isinstance(node, wq.Phrase):
            found.setdefault(node.fieldname, {}).update(dict.fromkeys(w for w in node.words if w))
        elif isinstance(node, wq.CompoundQuery):
            stack.extend(node.subqueries)
        elif isinstance(node, (wq.AndMaybe, wq.AndNot)):
            stack.extend((node.a, node.b))
    return {field: list(words) for field, words in found.items()}


def _maybe(required: Matches, optional: Matches, dense: bool) -> Matches:
    """The required matches, plus the optional part's score where it matches too."""
    if required.is_sparse and not dense:
        _found, extra = optional.at(required.ids)
        return Matches(required.size, ids=required.ids, scores=required.scores + extra)
    mask = required.mask
    both = optional.mask & mask
    score = required.score + optional.score * both
    fields = None
    if dense:
        fields = dict(required.fields or {})
        for name, part in (optional.fields or {}).items():
            extra = part * both
            fields[name] = fields[name] + extra if name in fields else extra
    score *= mask
    return Matches(required.size, mask=mask, score=score, fields=fields)


def _expand(q: wq.MultiTerm, reader) -> wq.Query:
    terms = []
    for fieldname, btext in sorted(set(q.expanded_terms(reader))):
        if fieldname not in reader.schema:
            continue
        terms.append(wq.Term(fieldname, _text(btext), boost=q.boost))
        if len(terms) >= MAX_EXPANSIONS:
            break
    return _one_of(terms)


def _any_term(fieldname: str, words: list[str], boost: float) -> wq.Query:
    return _one_of([wq.Term(fieldname, word, boost=boost) for word in words])


def _one_of(terms: list[wq.Query]) -> wq.Query:
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms)


def score_docs(searcher, q: wq.Query | None, docnums: Iterable[int]) -> dict[int, float]:
    """Whoosh's own score of ``q`` for each of ``docnums`` that it matches (others left out).

    What only Whoosh's matchers can do (phrases by the positions in the postings, query
    kinds the evaluator does not know), and the reference the evaluator is tested against.
    One matcher tree per segment moves forward with ``skip_to``.
    """
    if q is None:
        return {}
    q = q.normalize()
    wanted = sorted(set(docnums))
    out: dict[int, float] = {}
    if not wanted:
        return out
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        matcher = q.matcher(sub, sub.context(needs_current=True))
        for _i, d in adapter.matcher_on(matcher, local):
            out[d + offset] = float(matcher.score())
    return out
