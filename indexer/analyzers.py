"""Text analysis: how article text and queries become index terms.

Support engineers search by pasting what they see: ``0x80070005``, ``AADSTS50076``,
``ORA-12154``, ``System.IO.IOException``, ``ERROR_ACCESS_DENIED``, ``C:\\temp\\x.log``,
``HTTP 503``. The analyzers here keep such identifiers findable both whole and by their
parts, case-insensitively, and stem ordinary English words.

Whoosh pickles the schema, analyzers included, into the index. Everything here is
therefore a module-level, importable, named class or factory: a lambda would not pickle,
and renaming a class breaks existing indexes. Any change to what these produce must bump
``indexer.schema.SCHEMA_VERSION`` so that ``kb index`` rebuilds instead of mixing terms.

The same functions (:func:`expand`, :func:`stem_word`) serve the index side (through the
Whoosh filters below) and the query side (``indexer.plan``), so a pasted log line is
analysed exactly like the article that contains it.

The chains below define the terms; the schema indexes with :mod:`indexer.fast_analysis`,
which replays them once per distinct raw token instead of per token and per filter.
A change here must be made there too: ``tests/indexer/test_fast_analysis.py`` fails
until the two give the same terms again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StopFilter,
    Token,
    Tokenizer,
)
from whoosh.lang.porter import stem as _porter_stem
from whoosh.support.charset import accent_map

# English stop words: function words that carry no meaning on their own in a support
# query. Deliberately short: "not", "no", "off", "out", "up", "down", "over" and "under"
# stay, because "not found", "no response", "timed out", "out of memory" and "link down"
# are symptoms.
STOP_WORDS = frozenset({
    "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could",
    "did", "do", "does", "doing", "during", "each", "few", "for", "from", "further", "had", "has", "have",
    "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in",
    "into", "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "nor", "of", "on",
    "once", "only", "or", "other", "our", "ours", "ourselves", "own", "same", "she", "should", "so",
    "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "until", "very", "was", "we", "were", "what",
    "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
    "yours", "yourself", "yourselves",
})

# Characters that join the pieces of an identifier: ORA-12154, System.IO.IOException,
# C:\temp\x.log, user@contoso.com. "_" is part of \w, so ERROR_ACCESS_DENIED is one match.
_CONNECTORS = ".-/\\:@"
# A raw token: word characters, optionally joined by connector runs (not ending in one,
# so the full stop after "denied." is not part of the word).
TOKEN_PATTERN = r"\w+(?:[.\-/\\:@]+\w+)*"
TOKEN_RE = re.compile(TOKEN_PATTERN)
_SPLIT = re.compile(r"[.\-/\\:@_]+")
_HEX = re.compile(r"0x[0-9a-f]+\Z")

MAX_WHOLE_LENGTH = 80  # longer runs (base64 blobs, long paths) are only indexed by their parts
MAX_PART_LENGTH = 40

# "HTTP 503", "Error 1205", "KB 5003637", "SQLSTATE HYT00": a word followed by a code is
# also indexed as one joined term ("http503"), so the pair is findable as a unit.
PAIR_RULES: dict[str, re.Pattern[str]] = {
    "http": re.compile(r"[1-5]\d\d\Z"),
    "error": re.compile(r"\d{1,6}\Z"),
    "kb": re.compile(r"\d{6,8}\Z"),
    "sqlstate": re.compile(r"[0-9a-z]{5}\Z"),
    "event": re.compile(r"\d{1,5}\Z"),
}


@dataclass(frozen=True)
class Expansion:
    """What one raw token becomes.

    ``parts`` is the phrase stream: the finest pieces in order, each taking one position.
    ``whole`` (compounds only) shares the first part's position; ``alternates`` are other
    forms of the same text, each given as (index of the part whose position it shares, text).
    Nothing here is stemmed yet: wholes and alternates never are, parts are.
    """

    raw: str
    whole: str | None
    parts: tuple[str, ...]
    alternates: tuple[tuple[int, str], ...] = ()

    @property
    def is_compound(self) -> bool:
        return self.whole is not None


def subwords(piece: str) -> list[str]:
    """Split a piece at camel-case and letter/digit boundaries.

    >>> subwords("IOException"), subwords("AADSTS50076"), subwords("getUserName")
    (['IO', 'Exception'], ['AADSTS', '50076'], ['get', 'User', 'Name'])
    """
    if piece.isdigit() or (piece.isalpha() and (piece.islower() or piece.isupper() or piece[1:].islower())):
        # Most pieces ("timeout", "ERROR", "Contoso", "12154") have no boundary: one case
        # after the first letter, or only digits. Telling so costs a fifth of the scan or less.
        return [piece]
    return _split_scan(piece)


def _split_scan(piece: str) -> list[str]:
    """:func:`subwords` by looking at every pair of neighbouring characters."""
    out: list[str] = []
    start = 0
    for i in range(1, len(piece)):
        a, b = piece[i - 1], piece[i]
        if (
            a.isdigit() != b.isdigit()
            or (a.islower() and b.isupper())
            or (a.isupper() and b.isupper() and i + 1 < len(piece) and piece[i + 1].islower())
        ):
            out.append(piece[start:i])
            start = i
    out.append(piece[start:])
    return out


def _keep_part(text: str) -> bool:
    """Parts worth indexing: not stop words, not single letters, not absurdly long."""
    if len(text) > MAX_PART_LENGTH or text in STOP_WORDS:
        return False
    return len(text) > 1 or text.isdigit()


def name_pieces(raw: str) -> list[str]:
    """The pieces a token's connectors and underscores separate (``System.IO.IOException``:
    ``System``, ``IO``, ``IOException``)."""
    return [p for p in _SPLIT.split(raw) if p]


@lru_cache(maxsize=65536)
def expand(raw: str) -> Expansion:
    """Break a raw token into its whole form, its parts and alternate forms.

    >>> expand("ORA-12154")
    Expansion(raw='ORA-12154', whole='ora-12154', parts=('ora', '12154'), alternates=((0, 'ora12154'),))
    >>> expand("0x80070005").alternates
    ((0, '80070005'),)
    """
    low = raw.lower()
    pieces = name_pieces(raw)
    parts: list[str] = []
    alternates: list[tuple[int, str]] = []
    for piece in pieces:
        lowpiece = piece.lower()
        if _HEX.match(lowpiece):
            # 0x80070005: keep the hex number whole (splitting 0x8007000e at letter/digit
            # boundaries makes nonsense) and also index the digits people type without 0x.
            if _keep_part(lowpiece):
                alternates.append((len(parts), lowpiece[2:]))
                parts.append(lowpiece)
            continue
        subs = [s.lower() for s in subwords(piece)]
        kept = [s for s in subs if _keep_part(s)]
        if len(subs) > 1 and _keep_part(lowpiece) and len(pieces) > 1:
            # IOException inside System.IO.IOException is also findable as "ioexception".
            alternates.append((len(parts), lowpiece))
        parts.extend(kept)
    compound = len(pieces) > 1 or len(parts) > 1 or bool(alternates) or (
        len(parts) == 1 and parts[0] != low)
    if not compound:
        return Expansion(raw, None, tuple(parts))
    if len(pieces) == 2 and not any(c in raw for c in "/\\:@."):
        # ORA-12154 -> ora12154, Wi-Fi -> wifi, E_FAIL -> efail: the spelling without the joiner.
        squashed = "".join(p.lower() for p in pieces)
        if squashed != low:
            alternates.append((0, squashed))
    whole = low if len(low) <= MAX_WHOLE_LENGTH else None
    if whole is not None and len(parts) == 1 and parts[0] == whole:
        whole = None
    return Expansion(raw, whole, tuple(parts), tuple(alternates))


def is_stop(text: str) -> bool:
    """A raw token dropped entirely: a stop word, a lone letter or an overlong run."""
    low = text.lower()
    if low in STOP_WORDS:
        return True
    return len(low) == 1 and not low.isdigit()


def pair_term(previous: str | None, current: str) -> str | None:
    """The joined term for "HTTP 503"-style pairs, or None.

    >>> pair_term("HTTP", "503"), pair_term("error", "1205"), pair_term("see", "503")
    ('http503', 'error1205', None)
    """
    if previous is None:
        return None
    rule = PAIR_RULES.get(previous.lower())
    low = current.lower()
    if rule and rule.match(low):
        return previous.lower() + low
    return None


@lru_cache(maxsize=131072)
def stem_word(text: str) -> str:
    """Porter stem of a lowercased word; numbers and codes pass through."""
    if not text.isalpha():
        return text
    return _porter_stem(text)


def fold(text: str) -> str:
    """Accent-fold a lowercased term (résumé -> resume), as the index side does."""
    return text.translate(accent_map) if not text.isascii() else text


class IdentifierTokenizer(RegexTokenizer):
    """Split text into raw tokens, keeping identifiers joined by . - / \\ : @ together.

    >>> [t.text for t in IdentifierTokenizer()("Error: 0x80070005 at C:\\temp\\x.log.")]
    ['Error', '0x80070005', 'at', 'C:\\temp\\x.log']
    """

    def __init__(self) -> None:
        super().__init__(TOKEN_PATTERN)


class IdentifierFilter(Filter):
    """Drop stop words, lowercase, and emit identifiers whole *and* by their parts.

    Positions are assigned so that phrase queries work on the parts: the parts of a
    compound take consecutive positions, and the whole and alternate forms share the
    position of a part. Input ``System.IO.IOException: access denied`` gives
    (text, position)::

        system.io.ioexception 0, system 0, io 1, io 2, ioexception 2, exception 3,
        access 4, denied 5

    ``HTTP 503`` also gives the joined term ``http503`` at the position of ``503``.
    Wholes, alternates and joined terms are marked ``keep_whole`` so the stemmer leaves them.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0  # positions added by expansions and removed by stop words so far
        previous: str | None = None
        for t in tokens:
            raw = t.text
            positions = t.positions
            if is_stop(raw):
                previous = None
                if positions:
                    shift -= 1
                if not t.removestops:
                    t.stopped = True
                    t.keep_whole = True
                    yield t
                continue
            base = t.pos + shift if positions else 0
            exp = expand(raw)
            t.stopped = False
            if exp.whole is not None:
                t.text, t.keep_whole = exp.whole, True
                if positions:
                    t.pos = base
                yield t
            for i, part in enumerate(exp.parts):
                t.text, t.keep_whole = part, False
                if positions:
                    t.pos = base + i
                yield t
                for index, alt in exp.alternates:
                    if index == i:
                        t.text, t.keep_whole = alt, True
                        yield t
            joined = pair_term(previous, raw)
            if joined is not None:
                t.text, t.keep_whole = joined, True
                if positions:
                    t.pos = base
                yield t
            if positions:
                # This raw token took len(parts) positions (one for a lone whole, none
                # when nothing survived); the tokenizer gave it exactly one.
                width = len(exp.parts) or (1 if exp.whole is not None else 0)
                shift += width - 1
            previous = raw


class StemmingFilter(Filter):
    """Porter-stem ordinary words, leaving identifiers marked ``keep_whole`` untouched.

    ``connections failed`` -> ``connect``, ``fail``; ``system.io.ioexception`` stays.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            if not t.stopped and not getattr(t, "keep_whole", False):
                t.text = stem_word(t.text)
            yield t


def ArticleAnalyzer():  # noqa: N802  (Whoosh's naming convention for analyzer factories)
    """The analyzer for every searchable prose field: identifier-aware, stemmed, no stop words.

    ``Windows Update fails with 0x80070005`` ->
    ``windows, updat, fail, 0x80070005, 80070005``
    (positions 0, 1, 2, 3, 3).
    """
    return IdentifierTokenizer() | IdentifierFilter() | CharsetFilter(accent_map) | StemmingFilter()


SECTION_MARK = "\x1d"  # starts a weighted section: SECTION_MARK + weight + WEIGHT_MARK + text
WEIGHT_MARK = "\x1e"
SECTION_GAP = 100  # positions between sections, so no phrase spans two of them


def weighted_sections(sections: list[tuple[float, str]]) -> str:
    """Encode (weight, text) sections as one field value for :class:`WeightedSectionTokenizer`."""
    return "".join(f"{SECTION_MARK}{weight:g}{WEIGHT_MARK}{text}" for weight, text in sections if text)


def parse_sections(value: str, start_char: int = 0) -> list[tuple[float, str, int]]:
    """(weight, text, offset of the text) of each section of a :func:`weighted_sections`
    value; a section without a readable weight weighs 1, text without markers is one section."""
    sections = []
    offset = start_char
    for chunk in value.split(SECTION_MARK):
        if not chunk:
            offset += 1
            continue
        head, sep, text = chunk.partition(WEIGHT_MARK)
        try:
            weight = float(head) if sep else 1.0
        except ValueError:
            weight = 1.0
        if not sep:
            text = chunk
        sections.append((weight, text, offset + (len(head) + 1 if sep else 0)))
        offset += len(chunk) + 1
    return sections


class WeightedSectionTokenizer(Tokenizer):
    """Raw tokens of several weighted sections, each token's ``boost`` set to its section's weight.

    This is what makes one ``content`` field behave like BM25F: Whoosh adds token boosts
    into the term weight it scores, so a word in the symptoms (weight 2) counts twice a
    word in the body, in a single posting list instead of one per field.
    ``"\x1d2\x1eLogin failed\x1d1\x1eSee the log"`` ->
    ``Login``/2.0 (pos 0), ``failed``/2.0 (1), ``See``/1.0 (102), ``the``/1.0 (103), ``log``/1.0 (104)
    (the stop word is dropped later, so ``log`` ends up at 103).
    Text without markers is one section of weight 1.
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for weight, text, base in parse_sections(value, start_char):
            for match in TOKEN_RE.finditer(text):
                t.text, t.boost, t.stopped = match.group(0), weight, False
                if keeporiginal:
                    t.original = t.text
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar, t.endchar = base + match.start(), base + match.end()
                yield t
            pos += SECTION_GAP


def ContentAnalyzer():  # noqa: N802
    """The analyzer of the combined ``content`` field: weighted sections, then as :func:`ArticleAnalyzer`."""
    return WeightedSectionTokenizer() | IdentifierFilter() | CharsetFilter(accent_map) | StemmingFilter()


class LineTokenizer(Tokenizer):
    """One token per non-empty line, normalized with :func:`normalize_code`.

    ``"SQLSTATE HYT00\\nLogin timeout expired"`` -> ``sqlstate hyt00``, ``login timeout expired``
    """

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "", **kwargs) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        lines = value.splitlines() if tokenize else [value]
        pos = start_pos
        offset = start_char
        for line in lines:
            text = normalize_code(line)
            if text:
                t.text, t.boost, t.stopped = text, 1.0, False
                if keeporiginal:
                    t.original = line
                if positions:
                    t.pos = pos
                    pos += 1
                if chars:
                    t.startchar, t.endchar = offset, offset + len(line)
                yield t
            offset += len(line) + 1


def ExactAnalyzer():  # noqa: N802
    """Whole values for exact matching: one normalized term per line.

    ``"Login timeout expired"`` -> ``login timeout expired``; ``'[DBNETLIB]SSL'`` -> ``dbnetlib ssl``
    """
    return LineTokenizer()


def normalize_code(text: str) -> str:
    """Canonical form of an error code for exact matching: its raw tokens, lowercased,
    joined by single spaces. Punctuation between tokens does not matter, so the same key
    comes out of the front matter and out of a pasted log line.

    >>> normalize_code("[DBNETLIB]SSL Security error"), normalize_code(" 'ORA-12154:' ")
    ('dbnetlib ssl security error', 'ora-12154')
    """
    return " ".join(code_tokens(text))


def code_tokens(text: str) -> list[str]:
    """Lowercased raw tokens of a text, as :func:`normalize_code` joins them."""
    return [m.group(0) for m in TOKEN_RE.finditer(unicodedata.normalize("NFKC", text).lower())]


def title_key(title: str) -> str:
    """The words of a title, for "the query *is* the title" matching.

    ``"ORA-12154: TNS:could not resolve"`` -> ``ora 12154 tns could not resolve``
    """
    words = re.findall(r"\w+", unicodedata.normalize("NFKC", title).lower())
    return " ".join(w for w in words if w != "_")


def SpellAnalyzer():  # noqa: N802
    """Unstemmed words for "did you mean": the index's own vocabulary, as people type it.

    ``Login timeout EXPIRED (SQLSTATE HYT00)`` -> ``login, timeout, expired, sqlstate, hyt00``
    """
    return (RegexTokenizer(r"[^\W_]{3,30}") | LowercaseFilter()
            | StopFilter(stoplist=STOP_WORDS, minsize=3) | CharsetFilter(accent_map))


def TitleWordsAnalyzer():  # noqa: N802
    """Unstemmed, accent-folded title words for autocomplete prefixes.

    ``ODBC Login-timeout`` -> ``odbc, login, timeout``
    """
    return RegexTokenizer(r"\w+") | LowercaseFilter() | CharsetFilter(accent_map)




@dataclass(frozen=True)
class Word:
    """A query word analysed exactly as the index analyses the same text.

    ``whole`` is the unstemmed identifier (compounds only); ``parts`` are stemmed and form
    the phrase stream; ``pair`` is the joined "http503" term when the word completes a pair.
    """

    raw: str
    whole: str | None
    parts: tuple[str, ...]
    pair: str | None = None

    @property
    def key(self) -> str:
        """One string naming the word: its whole form, else its parts."""
        return self.whole or " ".join(self.parts)

    @property
    def terms(self) -> tuple[str, ...]:
        """Every index term this word can match (for highlighting and logging)."""
        head = (self.whole,) if self.whole else ()
        return head + self.parts


def query_words(text: str) -> list[Word]:
    """Analyse query text into :class:`Word` objects, mirroring :func:`ArticleAnalyzer`.

    >>> [w.key for w in query_words("Access to C:\\temp is denied")]
    ['access', 'c:\\temp', 'deni']
    """
    words: list[Word] = []
    previous: str | None = None
    for match in TOKEN_RE.finditer(text):
        raw = match.group(0)
        if is_stop(raw):
            previous = None
            continue
        exp = expand(raw)
        whole = fold(exp.whole) if exp.whole else None
        parts = tuple(stem_word(fold(p)) for p in exp.parts)
        if whole or parts:
            words.append(Word(raw, whole, parts, pair_term(previous, raw)))
        previous = raw
    return words


def analyse(text: str, analyzer=None) -> list[str]:
    """Terms an analyzer produces for ``text`` (default: :func:`ArticleAnalyzer`), for tests and tools."""
    analyzer = analyzer or _article_analyzer()
    return [t.text for t in analyzer(text)]


def analyse_positions(text: str, analyzer=None) -> list[tuple[str, int]]:
    """(term, position) pairs an analyzer produces for ``text``."""
    analyzer = analyzer or _article_analyzer()
    return [(t.text, t.pos) for t in analyzer(text, positions=True)]


@lru_cache(maxsize=100_000)
def token_positions(raw: str) -> tuple[int, tuple[tuple[int, str], ...], str | None]:
    """How :class:`IdentifierFilter` and the stemmer index one raw token of text: (positions
    it takes, its terms with their offsets, its folded whole form if it is a compound).

    Parts take consecutive positions; the whole and alternates sit beside a part. For
    snippets and phrase checks on stored text; cached, as the same words recur.
    """
    if is_stop(raw):
        return 0, (), None
    exp = expand(raw)
    terms = [(i, stem_word(fold(p))) for i, p in enumerate(exp.parts)]
    whole = fold(exp.whole) if exp.whole else None
    if whole:
        terms.append((0, whole))
    terms.extend((i, alt) for i, alt in exp.alternates)
    width = len(exp.parts) or (1 if exp.whole is not None else 0)
    return width, tuple(terms), whole


@lru_cache(maxsize=100_000)
def token_forms(raw: str) -> tuple[tuple[str, ...], str | None]:
    """The index terms one raw token stands for, and the one naming it whole."""
    _width, terms, whole = token_positions(raw)
    forms = tuple(term for _, term in terms)
    return forms, whole if whole else (forms[0] if len(forms) == 1 else None)


@lru_cache(maxsize=1)
def _article_analyzer():
    return ArticleAnalyzer()
