"""Writing articles: templates, fresh ids, file names, and "search before create".

``kb new`` and the authoring pages call these plain functions. A new article starts from
``kb/templates/<type>.md``: valid front matter (status ``draft``), the sections its type
needs, and guidance lines that start with ``TODO:`` (usually as a ``> TODO:`` quote, or
as a ``1. TODO:`` step). Guidance stays visible in the rendered preview, and ``kb lint``
reports every line left (rule ``unfilled-template``) so none reaches readers.

Title similarity lives here too, because the same notion answers "is my new article a
duplicate?" and the linter's near-duplicate-title rule. Finding the candidates through
the search index is the caller's to provide (a :data:`SimilarLookup`): the domain does
not import the search engine.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from string import Template

from kb.articles import iter_article_paths, path_id
from kb.errors import KBError
from kb.model import ARTICLE_TYPES, AUDIENCES

TEMPLATE_DIR = Path(__file__).parent / "templates"
ID_PREFIX = "KB"
ID_DIGITS = 4
REVIEW_AFTER_DAYS = 365
MAX_SLUG_LENGTH = 60

# Guidance is any line whose text, after quote and list markers, starts with this.
GUIDANCE_MARKER = "TODO:"
_GUIDANCE = re.compile(r"^\s{0,3}(?:>\s*)*(?:(?:[-*+]|\d{1,9}[.)])\s+)?(?:>\s*)*TODO:\s*(.*)$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")

# Title similarity (Jaccard over normalized word sets, see ``title_tokens``).
NEAR_DUPLICATE = 0.75  # lint warns at or above this
LIKELY_DUPLICATE = 0.5  # `kb new` and the preview warn at or above this (advisory, so lower)

_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "does", "for", "from", "how",
    "i", "if", "in", "into", "is", "it", "its", "my", "no", "not", "of", "on", "or", "the", "their",
    "there", "this", "to", "too", "was", "what", "when", "where", "which", "while", "why", "will",
    "with", "without", "you", "your",
))
_TOKEN = re.compile(r"\w+(?:[-.]\w+)*")


def template_path(article_type: str) -> Path:
    """The template file for an article type; raises KBError for an unknown type."""
    if article_type not in ARTICLE_TYPES:
        raise KBError(f"Unknown article type '{article_type}'; choose one of {', '.join(ARTICLE_TYPES)}.")
    return TEMPLATE_DIR / f"{article_type}.md"


def guidance_lines(body: str) -> list[tuple[int, str]]:
    """Lines of a body still holding template guidance, as ``(body line, guidance text)``.

    Lines inside fenced code blocks don't count: an article may show a ``TODO:`` in code.

    >>> guidance_lines("## Cause\\n\\n> TODO: Why it happens.\\n")
    [(3, 'Why it happens.')]
    """
    found = []
    fence: str | None = None
    for number, line in enumerate(body.splitlines(), start=1):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) \
                    and not line.strip()[len(opening.group(1)):].strip():
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        match = _GUIDANCE.match(line)
        if match:
            found.append((number, match.group(1).strip()))
    return found


def slug_for_title(title: str) -> str:
    """A file name stem from a title: lowercase ASCII words joined by '-', cut at a word.

    >>> slug_for_title("Outlook: 'Cannot start Microsoft Outlook' (0x8004010F)")
    'outlook-cannot-start-microsoft-outlook-0x8004010f'
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > MAX_SLUG_LENGTH:
            break
        slug = candidate
    return slug or "article"


_ID_LINE = re.compile(r"""^id:\s*["']?([^"'\s#]+)""", re.MULTILINE)
# Every id kb new or a knowledge capture handed out is an empty file in this folder of the
# knowledge base, created exclusively: two processes can never get the same id.
RESERVED_IDS = ".kb-ids"


def used_ids(root: Path) -> set[str]:
    """Every id in use under ``root``, read from the raw front matter, and every id reserved.

    Broken files count too: their id is taken even while they don't parse. A file with no
    ``id`` field uses the id derived from its path.
    """
    ids = reserved_ids(root)
    for path in iter_article_paths(root):
        try:
            head = path.read_bytes()[:8192].decode("utf-8-sig", "replace")
        except OSError:
            continue
        front = head.split("\n---", 1)[0] if head.lstrip().startswith("---") else ""
        match = _ID_LINE.search(front)
        ids.add(match.group(1) if match else path_id(path.relative_to(root).as_posix()))
    return ids


def reserved_ids(root: Path) -> set[str]:
    """The ids handed out so far (some may not have a file yet, or any more)."""
    try:
        return {entry.name for entry in os.scandir(root / RESERVED_IDS) if entry.is_file()}
    except OSError:
        return set()


def next_article_id(root: Path) -> str:
    """The next free ``KBnnnn`` id: one more than the highest in use or reserved.

    Gaps are never reused: an id that was deleted may still be quoted on old cases. Only a
    hint: :func:`reserve_article_id` is what hands an id out.
    """
    return f"{ID_PREFIX}{_next_number(used_ids(root)):0{ID_DIGITS}d}"


def _next_number(ids: Iterable[str]) -> int:
    numbers = [int(m.group(1)) for i in ids if (m := re.fullmatch(ID_PREFIX + r"(\d+)", i, re.IGNORECASE))]
    return max(numbers, default=0) + 1


def reserve_article_id(root: Path) -> str:
    """Hand out the next free ``KBnnnn`` id, atomically across threads and processes.

    The id is reserved by creating an empty file named after it in ``root/.kb-ids`` with
    O_EXCL: whichever process creates it owns the id, the other moves on to the next number.
    It works the same on any file system that honours O_EXCL (local disks and NFSv3+), with
    no database involved, and the folder is hidden, so kb never reads it as articles.
    """
    folder = Path(root) / RESERVED_IDS
    try:
        folder.mkdir(exist_ok=True)
    except OSError as exc:
        raise KBError(f"Can't reserve an article id in {folder.as_posix()}: {exc.strerror or exc}.") from None
    number = _next_number(used_ids(Path(root)))
    for _ in range(10_000):
        article_id = f"{ID_PREFIX}{number:0{ID_DIGITS}d}"
        try:
            os.close(os.open(folder / article_id, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return article_id
        except FileExistsError:
            number += 1  # another process took it a moment ago
        except OSError as exc:
            raise KBError(f"Can't reserve {article_id} in {folder.as_posix()}: {exc.strerror or exc}.") from None
    raise KBError(f"No free article id found in {folder.as_posix()} after 10,000 tries.")


def render_template(article_type: str, *, article_id: str, title: str, audience: str = "internal",
                    product: str | None = None, owner: str | None = None, today: date | None = None) -> str:
    """The text of a new article of ``article_type`` from its template."""
    today = today or date.today()
    text = template_path(article_type).read_text(encoding="utf-8")

    def yaml_str(value: str | None) -> str:
        # A JSON string is a valid YAML double-quoted scalar: quotes, colons and '#' stay text.
        return json.dumps(value, ensure_ascii=False) if value else ""

    filled = Template(text).safe_substitute(
        id=article_id, title=yaml_str(title), audience=audience, product=yaml_str(product),
        owner=yaml_str(owner), updated=today.isoformat(),
        review_by=(today + timedelta(days=REVIEW_AFTER_DAYS)).isoformat(),
    )
    return "".join(line.rstrip() + "\n" for line in filled.splitlines())


SimilarLookup = Callable[[str, str, int], Sequence | None]
"""Finds existing articles like a new one: ``lookup(title, text, limit)``.

Returns at most ``limit`` hits, best first (objects with ``id`` and ``title``, and
optionally ``path`` and ``status``), or None when it can't answer (no index yet), in
which case titles are compared instead.
"""


@dataclass
class Similar:
    """An existing article that resembles a new one."""

    id: str
    title: str
    similarity: float  # title similarity, 0..1
    path: str | None = None
    status: str | None = None

    @property
    def likely_duplicate(self) -> bool:
        """Whether the titles are similar enough to warn the author."""
        return self.similarity >= LIKELY_DUPLICATE


@dataclass
class SimilarResult:
    """The similar articles and where they came from ("index" or "titles")."""

    articles: list[Similar] = field(default_factory=list)
    source: str = "titles"

    @property
    def duplicates(self) -> list[Similar]:
        """The likely duplicates among the similar articles."""
        return [s for s in self.articles if s.likely_duplicate]


@dataclass
class NewArticle:
    """What ``create_article`` wrote, and what it found that looks like it."""

    path: Path
    id: str
    similar: SimilarResult


def create_article(articles_dir: Path | str, article_type: str, title: str, *, audience: str = "internal",
                   product: str | None = None, subdir: str | None = None, owner: str | None = None,
                   lookup: SimilarLookup | None = None, today: date | None = None) -> NewArticle:
    """Write a new draft article from its type's template and return where it went.

    ``lookup`` finds the existing articles that look like it (see :func:`similar_articles`).

    Raises KBError for an unknown type or audience, an empty title, a folder outside the
    knowledge base, or a file that already exists (nothing is ever overwritten).
    """
    root = Path(articles_dir)
    template_path(article_type)
    if audience not in AUDIENCES:
        raise KBError(f"Unknown audience '{audience}'; choose one of {', '.join(AUDIENCES)}.")
    title = " ".join(title.split())
    if not title:
        raise KBError("The title is empty: give what the article solves, "
                      "e.g. kb new tsg \"Outlook won't start\".")
    if not root.is_dir():
        raise KBError(f"No knowledge base folder at {root.as_posix()}. Create it or pass --articles DIR.")
    folder = root
    if subdir:
        folder = (root / subdir).resolve()
        if folder != root.resolve() and root.resolve() not in folder.parents:
            raise KBError(f"--dir {subdir} is outside {root.as_posix()}; "
                          "give a folder inside the knowledge base.")
        folder = root / folder.relative_to(root.resolve())
    path = folder / f"{slug_for_title(title)}.md"
    if path.exists():
        raise KBError(f"{path.as_posix()} already exists; kb new never overwrites. "
                      "Edit that file, or choose another title or --dir.")
    article_id = reserve_article_id(root)
    text = render_template(article_type, article_id=article_id, title=title, audience=audience,
                           product=product, owner=owner, today=today)
    similar = similar_articles(root, title, lookup=lookup)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise KBError(f"{path.as_posix()} already exists; kb new never overwrites.") from None
    return NewArticle(path=path, id=article_id, similar=similar)


# --- similarity -----------------------------------------------------------------------------

def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def title_tokens(title: str) -> frozenset[str]:
    """The distinctive words of a title: lowercased, singular, without stop words.

    Error codes stay whole; other hyphenated words split.

    >>> sorted(title_tokens("The ODBC drivers fail with ORA-12154"))
    ['driver', 'fail', 'odbc', 'ora-12154']
    """
    text = unicodedata.normalize("NFKC", title).lower().replace("'s ", " ")
    words: list[str] = []
    for token in _TOKEN.findall(text):
        if any(c.isdigit() for c in token):
            words.append(token)
        else:
            words.extend(re.split(r"[-.]", token))
    return frozenset(_stem(w) for w in words if w and w not in _STOPWORDS)


def title_similarity(a: str | frozenset[str], b: str | frozenset[str]) -> float:
    """Jaccard similarity of two titles' distinctive words (1.0 = the same words)."""
    ta = a if isinstance(a, frozenset) else title_tokens(a)
    tb = b if isinstance(b, frozenset) else title_tokens(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def near_duplicate_pairs(titles: Mapping[str, str], threshold: float = NEAR_DUPLICATE,
                         min_words: int = 2) -> Iterator[tuple[str, str, float]]:
    """Pairs of keys whose titles have a similarity of at least ``threshold``.

    A set-similarity join (PPJoin: Xiao et al., "Efficient similarity joins for near
    duplicate detection", 2008), not a comparison of every pair. Words are ordered rarest
    first; two titles with Jaccard >= t must share one of the first ``n - ceil(t * n) + 1``
    words of each, so only titles sharing such a rare word become candidates, and the
    positions of the shared words prune candidates that can no longer reach the overlap
    needed. Yields ``(earlier, later, similarity)`` by the mapping's order; titles of fewer
    than ``min_words`` distinctive words are skipped (exact duplicates are another rule).
    """
    keys = list(titles)
    position = {key: i for i, key in enumerate(keys)}
    tokens = {key: title_tokens(titles[key]) for key in keys}
    df = Counter(word for words in tokens.values() for word in words)
    # word -> [(key, position of the word in key's ordering, size of key)], in size order.
    index: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    index_sizes: dict[str, list[int]] = defaultdict(list)  # the sizes in ``index``, for bisect
    # Shorter titles first: every candidate already indexed is no longer than the probe,
    # so a candidate shorter than t * n can be skipped (they sit at the front of each list).
    for key in sorted(keys, key=lambda k: (len(tokens[k]), position[k])):
        words = tokens[key]
        n = len(words)
        if n < min_words:
            continue
        ordered = sorted(words, key=lambda w: (df[w], w))
        min_size = threshold * n - 1e-9
        # Overlap needed with a title of m words for Jaccard >= t.
        needed = {m: math.ceil(threshold / (1 + threshold) * (n + m) - 1e-9) for m in range(n + 1)}
        probe = n - math.ceil(threshold * n - 1e-9) + 1
        # Later titles are at least as long, so indexing this shorter prefix is enough (PPJoin).
        indexed = n - math.ceil(2 * threshold / (1 + threshold) * n - 1e-9) + 1
        overlap: dict[str, int] = {}
        for i, word in enumerate(ordered[:probe]):
            postings = index[word]
            sizes = index_sizes[word]
            for other, j, m in postings[bisect_left(sizes, min_size):]:
                seen = overlap.get(other, 0)
                if seen < 0:
                    continue
                if seen + 1 + min(n - i - 1, m - j - 1) >= needed[m]:
                    overlap[other] = seen + 1
                else:
                    overlap[other] = -1
            if i < indexed:
                postings.append((key, i, n))
                sizes.append(n)
        for other, seen in overlap.items():
            if seen <= 0:
                continue
            theirs = tokens[other]
            score = len(words & theirs) / len(words | theirs)
            if score >= threshold:
                first, second = sorted((key, other), key=position.__getitem__)
                yield first, second, score


def similar_articles(articles_dir: Path | str, title: str, text: str = "", *,
                     lookup: SimilarLookup | None = None, limit: int = 5,
                     exclude: Iterable[str] = ()) -> SimilarResult:
    """Existing articles most like a new one (its title, and optionally its symptoms).

    Asks ``lookup`` (the search index) when given and able to answer; otherwise compares
    titles over the loaded knowledge base. Either way an article is a likely duplicate
    when its title is at least ``LIKELY_DUPLICATE`` similar.
    """
    skip = set(exclude)
    hits = lookup(title, text, limit + len(skip)) if lookup is not None else None
    if hits is not None:
        found = [s for s in similar_from_hits(title, hits) if s.id not in skip][:limit]
        return SimilarResult(found, "index")
    from kb.articles import load_knowledge_base

    kb = load_knowledge_base(articles_dir)
    return SimilarResult(similar_in(kb.articles.values(), title, limit=limit, exclude=skip), "titles")


def similar_from_hits(title: str, hits: Iterable) -> list[Similar]:
    """Search hits as :class:`Similar` articles, in the order given, with their title similarity."""
    mine = title_tokens(title)
    return [Similar(hit.id, hit.title, title_similarity(mine, title_tokens(hit.title)),
                    getattr(hit, "path", None), getattr(hit, "status", None)) for hit in hits]


def similar_in(articles: Iterable, title: str, *, limit: int = 5,
               exclude: Iterable[str] = ()) -> list[Similar]:
    """The ``limit`` articles with the most similar titles (archived ones left out)."""
    skip = set(exclude)
    mine = title_tokens(title)
    scored = []
    for article in articles:
        if article.id in skip or article.status == "archived":
            continue
        score = title_similarity(mine, title_tokens(article.title))
        if score > 0:
            scored.append(Similar(article.id, article.title, score, article.path, article.status))
    scored.sort(key=lambda s: (-s.similarity, s.id))
    return scored[:limit]

