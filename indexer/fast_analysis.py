"""Index-time analysis without the generator chain: the same terms, a fraction of the work.

``kb index`` analyses every article's ``content``, ``title``, ``spell`` and friends through
Whoosh chains (tokenizer | filter | filter ...): one generator per stage, one attribute
write per stage per token, and the identifier expansion, stop-word test, accent folding
and stemming redone for every occurrence of every word. Articles repeat their words, so
here each *raw token* is worked out once (:func:`token_plan`, kept in a bounded cache)
and one loop per raw token replays the result.

The analyzers here hold the chains of :mod:`indexer.analyzers` (the same items, from the
same factories) and add a faster ``__call__`` or a way to hand postings straight to
:class:`IndexedText`,
a ``TEXT`` field whose ``index()`` builds the (term bytes, frequency, weight, encoded
value) items without Token objects. Both give exactly what the chains give:
``tests/indexer/test_fast_analysis.py`` compares them with :meth:`reference`, the chain
itself, on real, synthetic and adversarial text.
"""

from __future__ import annotations

import weakref
from collections import Counter
from collections.abc import Iterator

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
)
from whoosh.compat import dumps
from whoosh.fields import ID, TEXT
from whoosh.formats import Existence, Frequency, Positions
from whoosh.support.charset import accent_map
from whoosh.system import emptybytes, pack_uint

from indexer.analyzers import (
    PAIR_RULES,
    SECTION_GAP,
    TOKEN_RE,
    ArticleAnalyzer,
    ContentAnalyzer,
    IdentifierFilter,
    IdentifierTokenizer,
    StemmingFilter,
    WeightedSectionTokenizer,
    expand,
    is_stop,
    pair_term,
    parse_sections,
    stem_word,
)

# Raw tokens remembered per process, per cache. Word frequencies are skewed, so a cache
# this size holds nearly every token that recurs (a few thousand articles of the synthetic
# corpus have 20,000 distinct raw tokens, most of them one-off GUIDs and codes); it is
# emptied when full rather than kept in LRU order, which would cost more per hit than the
# rare refill. Full, the postings cache takes about 25 MB.
PLAN_CACHE_SIZE = 32768

STOP = None  # the plan of a stop word: no terms, no position, breaks "HTTP 503" pairs

_plans: dict[str, tuple | None] = {}
_pairs: dict[tuple[str, str], tuple[str, bytes] | None] = {}
_stop_texts: dict[str, str] = {}
_postings_plans: dict[str, bytes | tuple | None] = {}


def token_plan(raw: str) -> tuple | None:
    """What :class:`IdentifierFilter`, accent folding and stemming make of one raw token.

    ``None`` for a stop word; otherwise (positions it takes, its terms in the order the
    chain yields them as (offset from its first position, final text, kept whole), the
    lowercased word if it can start an "HTTP 503" pair, the terms again as (offset, UTF-8
    bytes) for postings).
    """
    plan = _plans.get(raw, _plans)
    if plan is _plans:
        plan = work_out(raw)
        if len(_plans) >= PLAN_CACHE_SIZE:
            _plans.clear()
        _plans[raw] = plan
    return plan


def work_out(raw: str) -> tuple | None:
    """:func:`token_plan` without the cache."""
    if is_stop(raw):
        plan = STOP
    else:
        exp = expand(raw)
        terms: list[tuple[int, str, bool]] = []
        if exp.whole is not None:
            terms.append((0, exp.whole.translate(accent_map), True))
        for i, part in enumerate(exp.parts):
            terms.append((i, stem_word(part.translate(accent_map)), False))
            # An alternate sits beside its part; one pointing past the last part is never
            # yielded by the chain, so it is not here either.
            terms.extend((i, alt.translate(accent_map), True) for index, alt in exp.alternates if index == i)
        width = len(exp.parts) or (1 if exp.whole is not None else 0)
        low = raw.lower()
        plan = (width, tuple(terms), low if low in PAIR_RULES else None,
                tuple((offset, text.encode("utf-8")) for offset, text, _keep in terms))
    return plan


def postings_plan(raw: str) -> bytes | tuple | None:
    """:func:`token_plan` reduced to what postings need: ``None`` for a stop word, the term's
    bytes for a plain word (one term at its own position, starting no pair), else (positions
    it takes, (offset, term bytes) pairs, pair key). Cached on its own, small for the
    common plain word, and not through :func:`token_plan`'s cache, which indexing never reads."""
    plan = work_out(raw)
    if plan is not STOP:
        width, _terms, key, encoded = plan
        if width == 1 and key is None and len(encoded) == 1 and encoded[0][0] == 0:
            plan = encoded[0][1]
        else:
            plan = (width, encoded, key)
    if len(_postings_plans) >= PLAN_CACHE_SIZE:
        _postings_plans.clear()
    _postings_plans[raw] = plan
    return plan


def clear_caches() -> None:
    """Forget every raw token worked out so far (the next analysis starts cold)."""
    for cache in (_plans, _pairs, _stop_texts, _postings_plans, _single_positions):
        cache.clear()
    for cache in list(_term_caches):
        cache.clear()


def joined_term(previous_key: str, raw: str) -> tuple[str, bytes] | None:
    """The folded "http503" term of a pair and its bytes, or None (cached: pair heads are few)."""
    key = (previous_key, raw)
    joined = _pairs.get(key, _pairs)
    if joined is _pairs:
        text = pair_term(previous_key, raw)
        if text is not None:
            text = text.translate(accent_map)
            joined = (text, text.encode("utf-8"))
        else:
            joined = None
        if len(_pairs) >= PLAN_CACHE_SIZE:
            _pairs.clear()
        _pairs[key] = joined
    return joined


def _stop_text(raw: str) -> str:
    """A kept stop word's text (``removestops=False``): folded, never lowercased or stemmed."""
    text = _stop_texts.get(raw)
    if text is None:
        if len(_stop_texts) >= PLAN_CACHE_SIZE:
            _stop_texts.clear()
        text = _stop_texts[raw] = raw.translate(accent_map)
    return text


def _add_term(poses: dict, weights: dict, term: bytes, position: int, weight: float) -> None:
    """One occurrence of a term: its position appended, its boost added to the sum."""
    found = poses.get(term)
    if found is None:
        poses[term] = [position]
        weights[term] = 0.0 + weight
    else:
        found.append(position)
        weights[term] += weight


class IdentifierAnalyzer(CompositeAnalyzer):
    """:func:`indexer.analyzers.ArticleAnalyzer` (``sections=False``) or
    :func:`~indexer.analyzers.ContentAnalyzer` (``sections=True``) in one loop.

    ``items`` are the chain's own and :meth:`reference` runs them unchanged; the loop
    replays what each of them does, so the chain may not change without it.
    """

    def __init__(self, sections: bool = False) -> None:
        chain = ContentAnalyzer() if sections else ArticleAnalyzer()
        expected = [WeightedSectionTokenizer if sections else IdentifierTokenizer, IdentifierFilter,
                    CharsetFilter, StemmingFilter]
        if [type(item) for item in chain.items] != expected or chain.items[2].charmap is not accent_map:
            raise TypeError(f"IdentifierAnalyzer replays {expected}, not {chain!r}")
        super().__init__(*chain.items)
        self.sections = sections

    def reference(self, value, **kwargs) -> Iterator[Token]:
        """The token stream of the original generator chain."""
        return CompositeAnalyzer.__call__(self, value, **kwargs)

    def _sections(self, value: str, start_char: int) -> list[tuple[float, str, int]]:
        if self.sections:
            return parse_sections(value, start_char)
        return [(1.0, value, start_char)]

    def __call__(self, value, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", no_morph: bool = False, **kwargs) -> Iterator[Token]:
        if not isinstance(value, str) or not (tokenize or self.sections):
            # Untokenized values and non-text go through the chain, which knows them.
            return self.reference(value, positions=positions, chars=chars, keeporiginal=keeporiginal,
                                  removestops=removestops, start_pos=start_pos, start_char=start_char,
                                  tokenize=tokenize, mode=mode, no_morph=no_morph, **kwargs)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        return self._tokens(token, value, positions, chars, keeporiginal, removestops, start_pos, start_char)

    def _tokens(self, t: Token, value: str, positions: bool, chars: bool, keeporiginal: bool,
                removestops: bool, start_pos: int, start_char: int) -> Iterator[Token]:
        plan_of = _plans.get
        shift = 0  # positions added by expansions and removed by stop words so far
        previous = None  # pair key of the previous raw token
        pos = start_pos  # the tokenizer's position of the raw token
        gap = SECTION_GAP if self.sections else 0
        for weight, text, base_char in self._sections(value, start_char):
            for match in TOKEN_RE.finditer(text):
                raw = match.group(0)
                t.boost = weight
                if keeporiginal:
                    t.original = raw
                if chars:
                    t.startchar, t.endchar = base_char + match.start(), base_char + match.end()
                plan = plan_of(raw, _plans)
                if plan is _plans:
                    plan = token_plan(raw)
                if plan is STOP:
                    previous = None
                    if positions:
                        shift -= 1
                    if not removestops:
                        t.text, t.stopped, t.keep_whole = _stop_text(raw), True, True
                        if positions:
                            t.pos = pos
                        yield t
                    pos += 1
                    continue
                width, terms, key, _encoded = plan
                t.stopped = False
                base = pos + shift
                for offset, term, keep in terms:
                    t.text, t.keep_whole = term, keep
                    if positions:
                        t.pos = base + offset
                    yield t
                if previous is not None:
                    joined = joined_term(previous, raw)
                    if joined is not None:
                        t.text, t.keep_whole = joined[0], True
                        if positions:
                            t.pos = base
                        yield t
                if positions:
                    shift += width - 1
                previous = key
                pos += 1
            pos += gap

    def postings(self, value: str) -> tuple[dict[bytes, list[int]], dict[bytes, float]]:
        """Each term's (UTF-8) positions and summed boosts, as ``Positions.word_values``
        collects them from the token stream (``positions=True``, stop words removed), in
        first-seen order."""
        poses: dict[bytes, list[int]] = {}
        weights: dict[bytes, float] = {}
        plan_of = _postings_plans.get
        findall = TOKEN_RE.findall
        shift = 0
        previous = None
        pos = 0
        gap = SECTION_GAP if self.sections else 0
        for weight, text, _offset in self._sections(value, 0):
            for raw in findall(text):
                plan = plan_of(raw, _postings_plans)
                if plan is _postings_plans:
                    plan = postings_plan(raw)
                if plan is STOP:
                    previous = None
                    shift -= 1
                elif plan.__class__ is bytes:
                    # Most tokens: a plain word, one term at its own position (what
                    # _add_term does, written out: this is the loop's hottest line).
                    base = pos + shift
                    found = poses.get(plan)
                    if found is None:
                        poses[plan] = [base]
                        weights[plan] = 0.0 + weight
                    else:
                        found.append(base)
                        weights[plan] += weight
                    if previous is not None:
                        self._add_joined(poses, weights, previous, raw, base, weight)
                        previous = None
                else:
                    width, encoded, key = plan
                    base = pos + shift
                    for offset, term in encoded:
                        _add_term(poses, weights, term, base + offset, weight)
                    if previous is not None:
                        self._add_joined(poses, weights, previous, raw, base, weight)
                    shift += width - 1
                    previous = key
                pos += 1
            pos += gap
        return poses, weights

    @staticmethod
    def _add_joined(poses: dict, weights: dict, previous: str, raw: str, base: int, weight: float) -> None:
        """Add the "http503" term of a pair, if ``previous`` and ``raw`` make one."""
        joined = joined_term(previous, raw)
        if joined is not None:
            _add_term(poses, weights, joined[1], base, weight)

    def frequencies(self, value: str) -> tuple[dict[bytes, int], dict[bytes, float]]:
        """Each term's count and summed boosts, as ``Frequency.word_values`` collects them."""
        poses, weights = self.postings(value)
        return {term: len(found) for term, found in poses.items()}, weights


class WordsAnalyzer(CompositeAnalyzer):
    """A chain of a regex tokenizer and per-token filters (lowercase, stop words, accent
    folding), such as the ``spell`` and ``title_words`` ones, with a fast way to count terms.

    The token stream is the chain's own; only :meth:`frequencies` (for fields without
    positions) takes the shortcut of working out each distinct raw token once.
    """

    def __init__(self, chain: CompositeAnalyzer) -> None:
        tokenizer, *filters = chain.items
        if type(tokenizer) is not RegexTokenizer or tokenizer.gaps \
                or any(type(f) not in (LowercaseFilter, StopFilter, CharsetFilter) for f in filters):
            raise TypeError(f"WordsAnalyzer takes a regex tokenizer and per-token filters, not {chain!r}")
        super().__init__(*chain.items)

    def __getstate__(self) -> dict:
        # The schema is pickled into the index: the term cache stays out of it.
        return {k: v for k, v in self.__dict__.items() if k != "_terms"}

    def reference(self, value, **kwargs) -> Iterator[Token]:
        """The token stream of the chain (the same as calling the analyzer)."""
        return CompositeAnalyzer.__call__(self, value, **kwargs)

    def _term(self, raw: str, cache: dict) -> bytes | None:
        """What the filters make of one raw token: its UTF-8 text, or None if a filter drops it."""
        text: str | None = raw
        for item in self.items[1:]:
            if isinstance(item, LowercaseFilter):
                text = text.lower()
            elif isinstance(item, StopFilter):
                if not (len(text) >= item.min and (item.max is None or len(text) <= item.max)
                        and text not in item.stops):
                    text = None
                    break
            else:  # CharsetFilter: the constructor lets no other filter in
                text = text.translate(item.charmap)
        term = text.encode("utf-8") if text is not None else None
        if len(cache) >= PLAN_CACHE_SIZE:
            cache.clear()
        cache[raw] = term
        return term

    def frequencies(self, value: str) -> tuple[dict[bytes, int], dict[bytes, float]]:
        """Each term's (UTF-8) count and summed boosts (1.0 each), in first-seen order."""
        cache = self.__dict__.get("_terms")
        if cache is None:
            cache = self._terms = TermCache()
            _term_caches.add(cache)
        term_of = cache.get
        expression = self.items[0].expression
        raws = expression.findall(value) if not expression.groups else \
            [match.group(0) for match in expression.finditer(value)]
        # Counting raw tokens first keeps first-seen order: a term first appears where the
        # first of the raw tokens that make it first appears.
        freqs: dict[bytes, int] = {}
        for raw, n in Counter(raws).items():
            term = term_of(raw, cache)
            if term is cache:
                term = self._term(raw, cache)
            if term is not None:
                freqs[term] = freqs.get(term, 0) + n
        return freqs, {term: float(n) for term, n in freqs.items()}


class TermCache(dict):
    """Raw token -> term bytes of one :class:`WordsAnalyzer`: a dict that can sit in a WeakSet."""

    __hash__ = object.__hash__
    __eq__ = object.__eq__


# Every live TermCache, so clear_caches() reaches them without keeping them alive.
_term_caches: weakref.WeakSet[TermCache] = weakref.WeakSet()


_single_positions: dict[int, bytes] = {}


def encode_positions(poslist: list[int]) -> bytes:
    """``Positions.encode``: the count, then the pickled position deltas."""
    if len(poslist) == 1:
        pos = poslist[0]
        encoded = _single_positions.get(pos)
        if encoded is None:
            if len(_single_positions) >= PLAN_CACHE_SIZE:
                _single_positions.clear()
            encoded = _single_positions[pos] = pack_uint(1) + dumps([pos], 2)
        return encoded
    deltas = []
    base = 0
    for pos in poslist:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + dumps(deltas, 2)


class IndexedText(TEXT):
    """A ``TEXT`` field whose ``index()`` asks the analyzer for postings directly.

    With an analyzer offering ``postings()`` (positions) or ``frequencies()`` (no
    positions) the items are built from plain dicts; any other case is ``TEXT.index``.
    """

    def index(self, value, **kwargs):
        fmt = self.format
        kind = type(fmt)
        if not kwargs and isinstance(value, str):
            if kind is Positions and hasattr(self.analyzer, "postings"):
                poses, weights = self.analyzer.postings(value)
                fb = fmt.field_boost
                single = _single_positions.get
                return [(term, len(found), weights[term] * fb,
                         (len(found) == 1 and single(found[0])) or encode_positions(found))
                        for term, found in poses.items()]
            if kind is Frequency and hasattr(self.analyzer, "frequencies"):
                freqs, weights = self.analyzer.frequencies(value)
                fb = fmt.field_boost
                return [(term, n, weights[term] * fb, pack_uint(n)) for term, n in freqs.items()]
        return TEXT.index(self, value, **kwargs)


class IndexedID(ID):
    """An ``ID`` field whose ``index()`` skips the tokenizer: the value is the one term.

    ``ID.index`` runs ``IDTokenizer`` and ``Existence.word_values`` (a set of the one
    token's text) for each of a dozen fields per article; the item is simply
    (value as UTF-8, 1, field boost, no bytes). Other analyzers or formats go the usual way.
    """

    def index(self, value, **kwargs):
        if not kwargs and isinstance(value, str) and type(self.analyzer) is IDTokenizer \
                and type(self.format) is Existence:
            return [(value.encode("utf-8"), 1, self.format.field_boost, emptybytes)]
        return ID.index(self, value, **kwargs)
