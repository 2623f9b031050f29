#!/usr/bin/env python3
"""Loaders for the real benchmark data in ../shared/data (see its README.md).

Why: synthetic text says little about how kb copes with Markdown, error strings and tickets
that real people wrote. These loaders read the shared data at run time -- it is never copied
into the project -- and turn it into kb-format articles plus judged queries. When the data
is absent they raise DatasetMissing, so tests and benchmarks can skip with a clear message.

    python bench/datasets.py      # print a summary of every dataset
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Iterable, NamedTuple

import yaml

__all__ = [
    "SHARED_DATA",
    "DatasetMissing",
    "data_root",
    "load_officedocs",
    "officedocs_known_items",
    "KnownItems",
    "load_seamonkey",
    "load_stackfaq",
    "write_kb",
    "KB_FIELDS",
]

TAXONOMY = Path(__file__).resolve().parents[1] / "articles" / "resolution-codes.yaml"
# ../shared/data beside the repository; KB_SHARED_DATA overrides it (read again by data_root()).
SHARED_DATA = Path(os.environ.get("KB_SHARED_DATA")
                   or Path(__file__).resolve().parents[1].parent / "shared" / "data")

# Front-matter fields of a kb article, in the order write_kb emits them.
KB_FIELDS = ("id", "title", "type", "audience", "status", "product", "component", "tags", "error_codes",
             "resolution_codes", "related", "superseded_by", "owner", "updated", "review_by")

# Counts stated in the data's README; the summary checks the loaders against them.
EXPECTED = {"seamonkey_articles": 1076, "seamonkey_tickets": 75, "seamonkey_pairs": 92,
            "stackfaq_articles": 125, "stackfaq_queries": 1249}


class DatasetMissing(FileNotFoundError):
    """The shared data (or one data set in it) is not where we looked."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    """The shared data folder: explicit argument, else KB_SHARED_DATA, else ../shared/data."""
    if root is not None:
        return Path(root)
    env = os.environ.get("KB_SHARED_DATA")
    return Path(env) if env else SHARED_DATA


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        raise DatasetMissing(f"{what} not found at {path} (set KB_SHARED_DATA to the shared data folder)")
    return path


def _article(id_: str, title: str, type_: str, body: str, product: str, **extra) -> dict:
    """An Article-like dict with kb's defaults for imported material."""
    art = {"id": id_, "title": title, "type": type_, "audience": "public", "status": "published",
           "product": product, "component": None, "tags": [], "error_codes": [], "resolution_codes": [],
           "related": [], "superseded_by": None, "owner": None, "updated": None, "review_by": None}
    art.update(extra)
    art["body"] = body
    return art


# --------------------------------------------------------------------------------------
# officedocs-dev
# --------------------------------------------------------------------------------------

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


MAX_ID_LENGTH = 100  # kb rejects longer ids


def _path_id(rel_without_suffix: str) -> str:
    """Id from a relative path; over-long slugs keep a readable start plus a short hash."""
    slug = _slug(rel_without_suffix)
    if len(slug) <= MAX_ID_LENGTH:
        return slug
    digest = hashlib.sha1(rel_without_suffix.encode("utf-8")).hexdigest()[:8]
    return slug[:MAX_ID_LENGTH - 9].rstrip("-") + "-" + digest


def _ms_date(value) -> str | None:
    """ms.date is M/D/YYYY; kb wants YYYY-MM-DD."""
    if isinstance(value, date):
        return value.isoformat()
    try:
        return datetime.strptime(str(value).strip(), "%m/%d/%Y").date().isoformat()
    except ValueError:
        return None


def _ms_type(topic: str, title: str) -> str:
    topic = (topic or "").strip().lower()
    if topic == "troubleshooting":
        return "tsg"
    if topic in ("how-to", "tutorial", "quickstart") or title.lower().startswith("how to"):
        return "how-to"
    return "reference"


def _ms_tags(custom) -> list[str]:
    """Tags from ms.custom: plain labels only (not 'sap:' taxonomy paths or 'CI 12345' ids)."""
    if not isinstance(custom, list):
        return []
    tags = []
    for item in custom:
        if not isinstance(item, str) or item.startswith("sap:") or re.fullmatch(r"CI\s*\d+", item.strip()):
            continue
        tag = _slug(item)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


_MD_LINK = re.compile(r"\]\(\s*<?([^)\s>]+?\.md)(?:#[^)\s]*)?>?(?:\s+\"[^\"]*\")?\s*\)")


def _has_tsg_sections(body: str) -> bool:
    found = {m.group(1).lower() for m in re.finditer(r"^#{1,2}[ \t]+(symptoms|cause|resolution)[ \t]*#*[ \t]*$",
                                                     body, re.M | re.I)}
    return found == {"symptoms", "cause", "resolution"}


def load_officedocs(root: str | os.PathLike | None = None, *, error_codes_from_body: bool = False,
                    strict_tsg: bool = False) -> list[dict]:
    """Articles converted from officedocs-dev/**/*.md, sorted by source path.

    Microsoft's front matter is mapped onto kb's fields; the Markdown body is kept byte for
    byte. Relative links to other imported files become `related` ids. With
    error_codes_from_body, codes found in the text also fill `error_codes` (off by default,
    so that code search is measured on the body, as the source team wrote it). Most source
    articles are 'troubleshooting' but only some have Symptoms/Cause/Resolution sections;
    with strict_tsg the others become 'reference', so `kb lint` passes on the import.
    Each dict also carries 'description' and 'source' (the path under officedocs-dev),
    which write_kb does not write.
    """
    base = _require(data_root(root) / "officedocs-dev", "officedocs-dev data set")
    files = sorted(p for p in base.rglob("*.md") if p.is_file())
    rel_to_id = {p.relative_to(base).as_posix(): _path_id(p.relative_to(base).with_suffix("").as_posix())
                 for p in files}
    if len(set(rel_to_id.values())) != len(rel_to_id):
        raise ValueError("officedocs ids from path slugs are not unique")
    articles = []
    for path in files:
        rel = path.relative_to(base).as_posix()
        text = path.read_text(encoding="utf-8-sig")
        match = _FRONT_MATTER.match(text)
        meta = (yaml.safe_load(match.group(1)) if match else None) or {}
        body = text[match.end():] if match else text
        title = str(meta.get("title") or "").strip() or PurePosixPath(rel).stem.replace("-", " ")
        parts = PurePosixPath(rel).parts
        related = []
        for target in _MD_LINK.findall(body):
            if "://" in target:
                continue
            resolved = os.path.normpath(os.path.join(os.path.dirname(rel), target)).replace(os.sep, "/")
            rid = rel_to_id.get(resolved)
            if rid and rid != rel_to_id[rel] and rid not in related:
                related.append(rid)
        kind = _ms_type(str(meta.get("ms.topic") or ""), title)
        if strict_tsg and kind == "tsg" and not _has_tsg_sections(body):
            kind = "reference"
        art = _article(
            rel_to_id[rel], title, kind, body,
            product=parts[0],
            component=parts[-2] if len(parts) > 2 else None,
            tags=_ms_tags(meta.get("ms.custom")),
            related=related,
            owner=meta.get("ms.author") if isinstance(meta.get("ms.author"), str) else None,
            updated=_ms_date(meta.get("ms.date")),
            description=str(meta.get("description") or "").strip(),
            source=rel,
        )
        if error_codes_from_body:
            art["error_codes"] = sorted({m.group(0) for m in _CODE_RE.finditer(_visible_text(title + "\n" + body))
                                         if _is_code(m.group(0))})
        articles.append(art)
    return articles


# Error-code shapes seen in support text. Order matters: longer shapes first.
_CODE_RE = re.compile(
    r"\b0x[0-9A-Fa-f]{8}\b"
    r"|\bAADSTS\d{5,7}\b"
    r"|\bCVE-\d{4}-\d{4,}\b"
    r"|\bKB\d{6,7}\b"
    r"|\bSQLSTATE\s?\[?[0-9A-Z]{5}\]?"
    r"|\bHTTP \d{3}\b"
    r"|\b(?:[A-Z][A-Za-z0-9]+\.)+[A-Z][A-Za-z0-9]*Exception\b"
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"
    r"|\b[A-Z]{2,10}-\d{3,}\b"
)
_NOT_CODE_PREFIXES = ("HKEY_", "SHA-", "AES-", "ISO-", "RFC-", "UTF-", "RSA-", "WCAG-", "ID-")
# Upper-case identifiers are error codes only when they say so (ERROR_ACCESS_DENIED, MAPI_E_*,
# USR_ERROR_*); MAPI property tags and API constants (PR_SUBJECT, MB_OK) are not.
_ERRORISH_IDENT = re.compile(r"(?:^|_)(?:E|W|ERROR|ERR|FAIL|FAILED|FAILURE|INVALID|EXCEED|EXCEEDED|DENIED|"
                             r"CORRUPT|CORRUPTION|TIMEOUT|MISMATCH|UNAVAILABLE|DUPLICATE|WARNING|FATAL|"
                             r"STATUS|NOT_FOUND|LIMIT)(?:_|$)")


def _is_code(token: str) -> bool:
    if token.startswith(_NOT_CODE_PREFIXES):
        return False
    if "_" in token and not token.startswith(("0x", "AADSTS", "SQLSTATE")) and "." not in token:
        return bool(_ERRORISH_IDENT.search(token))
    return True


def _code_key(token: str) -> str:
    return re.sub(r"\s+", " ", token.upper())


_IMAGE_DIRECTIVE = re.compile(r":::image\b.*?:::", re.S)
_LINK_TARGET = re.compile(r"(!?)\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"<[^>]+>")
_URL = re.compile(r"https?://\S+")
_ESCAPED_PLACEHOLDER = re.compile(r"\\<([^<>\n]{1,60}?)\\?>")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")


def _visible_text(markdown: str) -> str:
    """Text a reader sees: link targets, image directives, HTML tags and URLs removed.

    Escaped placeholders such as `\\<table name\\>` keep their words.
    """
    text = _ESCAPED_PLACEHOLDER.sub(r"\1", markdown)
    text = _IMAGE_DIRECTIVE.sub(" ", text)
    text = _LINK_TARGET.sub(lambda m: "" if m.group(1) else m.group(2), text)
    text = _HTML_TAG.sub(" ", text)
    return _URL.sub(" ", text)


def _normalize(text: str) -> str:
    """Markup-free, case- and space-insensitive form, for 'occurs in exactly one article'."""
    text = _visible_text(text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = _MD_ESCAPE.sub(r"\1", text)
    text = re.sub(r"[*`>]+|&nbsp;", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


_ERRORISH = re.compile(
    r"\b(?:error|errors|fail|fails|failed|failure|cannot|can't|couldn't|unable|denied|invalid|"
    r"not found|went wrong|exception|corrupt(?:ed)?|not supported|isn't|wasn't|doesn't|problem)\b",
    re.I)


def _clean_message(raw: str) -> str:
    """The message as an engineer would paste it: no Markdown markup or wrapping quotes."""
    text = raw.replace("\u2019", "'").replace("\u2018", "'")
    text = _visible_text(text).replace("&nbsp;", " ")
    text = re.sub(r"^(?:\s*(?:>|[-+]\s|\d+\.\s))+", "", text)
    text = _MD_ESCAPE.sub(r"\1", re.sub(r"\*\*|__|`", "", text))
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > 2 and text[0] == text[-1] and text[0] in "*_":  # *italic message*
        text = text[1:-1].strip()
    return text.strip("\"\u201c\u201d ")


# Sentences that talk about an error rather than quote one.
_PROSE = re.compile(r"^(?:when|if|to|this|these|you|your|did|instead|for more|note|in this|after|before|"
                    r"the following|use|make sure|check|verify|however|because|although)\b|error messages?\b|"
                    r"\bthe following\b|\byou (?:receive|get|see|might|may)\b|:$", re.I)
# Lines of program code in code blocks (VBA, PowerShell, shell commands).
_CODE_LINE = re.compile(r"^(?:const|dim|set|msgbox|case|if|else|end|debug|write-|get-|set-|new-|reg |"
                        r"powercfg|'|//|#|\$|sub |function |private |public |call |next|for |do |loop|"
                        r"on error|exit |return|var |let |catch|try|throw|select |update |insert )|"
                        r"[{};]\s*$| = | & |\(\)", re.I)
_CODE_FENCES = {"vb", "vba", "vbnet", "powershell", "ps", "c", "cpp", "cs", "csharp", "html", "xml", "excel",
                "json", "javascript", "js", "sql", "python", "bash", "sh", "cmd", "kusto", "yaml"}


def _looks_like_error(message: str) -> bool:
    n = len(message.split())
    if not 6 <= n <= 40 or _PROSE.search(message):
        return False
    return bool(_ERRORISH.search(message) or any(_is_code(m.group(0)) for m in _CODE_RE.finditer(message)))


def _split_sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"\u201c])", text) if s]


def _message_candidates(body: str) -> list[str]:
    """Error-message-looking snippets: code-block lines, block quotes, bold lines, quotes,
    and the line after 'the following error message:'."""
    raw: list[str] = []
    in_code, skip_block, quote, after_colon = False, False, [], False
    for line in body.splitlines() + [""]:
        stripped = line.strip()
        if not in_code and stripped.startswith(">"):
            quote.append(re.sub(r"^(?:>\s*)+", "", stripped))
            continue
        if quote:  # a block quote just ended; admonitions (> [!NOTE]) are not messages
            if not quote[0].startswith("[!"):
                raw.append(" ".join(quote))
            quote = []
        if stripped.startswith("```"):
            in_code = not in_code
            skip_block = in_code and stripped[3:].strip().lower() in _CODE_FENCES
            continue
        if in_code:
            if not skip_block and not _CODE_LINE.search(stripped):
                raw.append(stripped)
            continue
        if not stripped:
            continue
        bold = re.fullmatch(r"(?:[-*+]\s+)?\*\*(.+?)\*\*\s*\.?", stripped)
        if bold:
            raw.append(bold.group(1))
        raw.extend(re.findall(r"<summary>\s*<b>(.*?)</b>\s*</summary>", stripped))
        raw.extend(re.findall(r"[\"\u201c]([^\"\u201c\u201d\n]{15,400})[\"\u201d]", stripped))
        if after_colon and not stripped.startswith(("#", ":::", "|", "<")):
            raw.append(stripped)
        after_colon = bool(re.search(r"\berror(?: message)?s?\b[^.]*:\s*$", stripped, re.I))
    out, seen = [], set()
    for item in raw:
        msg = _clean_message(item)
        pieces = [msg] if len(msg.split()) <= 40 else [_clean_message(s) for s in _split_sentences(msg)]
        for piece in pieces:
            key = _normalize(piece)
            if _looks_like_error(piece) and key not in seen:
                seen.add(key)
                out.append(piece)
    return out


class KnownItems(NamedTuple):
    """Known-item queries: each is (query, expected_article_id)."""

    titles: list[tuple[str, str]]
    error_codes: list[tuple[str, str]]
    messages: list[tuple[str, str]]


def _spread_sample(items: list[tuple[str, str]], cap: int, rng: random.Random) -> list[tuple[str, str]]:
    """Seeded sample that takes one item per article before taking a second from any."""
    items = items[:]
    rng.shuffle(items)
    turn: Counter = Counter()
    ranked = []
    for q, aid in items:
        ranked.append((turn[aid], q, aid))
        turn[aid] += 1
    ranked.sort(key=lambda r: r[0])  # stable: keeps the shuffled order within a round
    return [(q, aid) for _, q, aid in ranked[:cap]]


def officedocs_known_items(articles: list[dict], *, cap: int = 300, seed: int = 0) -> KnownItems:
    """Known-item queries with exactly one right answer among `articles`.

    titles      -- exact titles that no other article shares (case-insensitively)
    error_codes -- codes (0x8004010F, AADSTS50076, ORA-12154, ...) visible in exactly one
                   article's text and present in no other article at all
    messages    -- error-message snippets (quoted, block-quoted, bold or in code blocks,
                   6-40 words) that occur in exactly one article, as an engineer would paste
                   them
    Each list is a seeded sample of at most `cap` items.
    """
    rng = random.Random(f"officedocs-known-items:{seed}")

    title_count = Counter(_normalize(a["title"]) for a in articles)
    titles = [(a["title"], a["id"]) for a in articles if title_count[_normalize(a["title"])] == 1]

    code_docs: dict[str, set[str]] = defaultdict(set)
    for a in articles:  # count over everything, URLs included: a code anywhere is a competitor
        for m in _CODE_RE.finditer(a["title"] + "\n" + a["body"]):
            code_docs[_code_key(m.group(0))].add(a["id"])
    codes = []
    for a in articles:
        seen = set()
        for m in _CODE_RE.finditer(_visible_text(a["title"] + "\n" + a["body"])):
            token, key = m.group(0).strip(), _code_key(m.group(0))
            if _is_code(token) and key not in seen and code_docs.get(key) == {a["id"]}:
                seen.add(key)
                codes.append((token, a["id"]))

    normalized = [(a["id"], _normalize(a["title"] + "\n" + a["body"])) for a in articles]
    candidates = [(msg, a["id"]) for a in articles for msg in _message_candidates(a["body"])]
    messages = []
    for msg, aid in _spread_sample(candidates, len(candidates), rng):
        if len(messages) >= cap:
            break
        key = _normalize(msg)
        holders = [i for i, text in normalized if key in text]
        if holders == [aid]:
            messages.append((msg, aid))

    return KnownItems(_spread_sample(titles, cap, rng), _spread_sample(codes, cap, rng), messages)


def officedocs_passage_tickets(articles: list[dict], *, cap: int = 300, seed: int = 0) \
        -> list[tuple[str, str, str]]:
    """Tickets that repeat a passage of the article that answers them: (title, description,
    article id).

    The description is 40-150 consecutive words of an article's visible text (articles of
    at least 80 words), from a seeded random place; the title is its first ten words, as a
    ticket without a subject is given one. A stand-in for tickets that paste what the
    customer read or saw, each with one right answer.
    """
    rng = random.Random(f"officedocs-passage-tickets:{seed}")
    tickets = []
    for a in rng.sample(articles, min(len(articles), cap * 2)):
        words = _visible_text(a["body"]).split()
        if len(words) < 80:
            continue
        n = rng.randint(40, min(150, len(words)))
        start = rng.randint(0, len(words) - n)
        text = " ".join(words[start:start + n])
        tickets.append((" ".join(text.split()[:10]), text, a["id"]))
        if len(tickets) >= cap:
            break
    return tickets


# --------------------------------------------------------------------------------------
# gitbugs-seamonkey
# --------------------------------------------------------------------------------------


def load_seamonkey(root: str | os.PathLike | None = None) \
        -> tuple[list[dict], list[tuple[str, str, str]], dict[str, frozenset[str]]]:
    """SeaMonkey bug reports as known-issue articles, plus the duplicate-detection test.

    Returns (articles, tickets, judgments):
      articles  -- one per report, id 'seamonkey-<issue id>', body = Description as is
      tickets   -- (article_id, title, description) for the 75 reports with judged duplicates
      judgments -- {article_id: frozenset of relevant article ids}; a report's relevant ids
                   are the ids listed for it in the combined file that are themselves rows,
                   never the report itself
    """
    base = _require(data_root(root) / "gitbugs-seamonkey", "gitbugs-seamonkey data set")
    bugs_csv = _require(base / "SeaMonkey_bugs.csv", "SeaMonkey bug file")
    dups_csv = _require(base / "SeaMonkey_bugs-combined.csv", "SeaMonkey duplicate file")
    with bugs_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    articles, known = [], set()
    for row in rows:
        issue = row["Issue id"].strip()
        known.add(issue)
        created = (row.get("Created") or "")[:10]
        articles.append(_article(f"seamonkey-{issue}", row["Summary"].strip(), "known-issue",
                                 row["Description"] or "", "SeaMonkey",
                                 updated=created if re.fullmatch(r"\d{4}-\d{2}-\d{2}", created) else None))
    relevant: dict[str, set[str]] = defaultdict(set)
    with dups_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            issue = row["Issue id"].strip()
            for dup in re.split(r"[,\s]+", row["Duplicate id"] or ""):
                if dup and dup != issue and dup in known and issue in known:
                    relevant[issue].add(dup)
    judgments = {f"seamonkey-{i}": frozenset(f"seamonkey-{d}" for d in ds) for i, ds in relevant.items() if ds}
    tickets = [(a["id"], a["title"], a["body"]) for a in articles if a["id"] in judgments]
    return articles, tickets, judgments


# --------------------------------------------------------------------------------------
# stackfaq
# --------------------------------------------------------------------------------------


def load_stackfaq(root: str | os.PathLike | None = None) -> tuple[list[dict], list[tuple[str, str]]]:
    """StackFAQ threads as how-to articles and the 1,249 paraphrase queries.

    Returns (articles, queries): articles 'stackfaq-001'..'stackfaq-125' (title = question,
    body = answers, one paragraph each) and queries as (paraphrase, expected_article_id),
    skipping the '*' placeholders and empty entries.
    """
    path = _require(data_root(root) / "stackfaq" / "stackExchange-FAQ.json", "StackFAQ file")
    threads = json.loads(path.read_text(encoding="utf-8"))["root"]["qapair"]
    articles, queries = [], []
    for n, thread in enumerate(threads, 1):
        aid = f"stackfaq-{n:03d}"
        answers = thread.get("answer") or []
        if isinstance(answers, str):  # one thread has a single answer string, not a list
            answers = [answers]
        body = "\n\n".join(a.strip() for a in answers if isinstance(a, str) and a.strip()) + "\n"
        articles.append(_article(aid, thread["question"].strip(), "how-to", body, "StackExchange"))
        for para in thread.get("rephr") or []:
            if isinstance(para, str) and para.strip() and para.strip() != "*":
                queries.append((para.strip(), aid))
    return articles, queries


# --------------------------------------------------------------------------------------
# Writing kb files
# --------------------------------------------------------------------------------------


def write_kb(articles: Iterable[dict], out_dir: str | os.PathLike, *, files_per_folder: int = 1000) -> int:
    """Write articles as kb Markdown files (YAML front matter + body); returns the count.

    Files go to out_dir/NNNN/<id>.md so no folder holds more than `files_per_folder`.
    Only kb fields with a value are written; dates are emitted as YAML dates (unquoted),
    the way people write them by hand. The project's resolution-codes.yaml is copied to
    the root, where kb looks for it.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if TAXONOMY.is_file():
        (out / TAXONOMY.name).write_bytes(TAXONOMY.read_bytes())
    count = 0
    for count, art in enumerate(articles, 1):
        meta = {}
        for key in KB_FIELDS:
            value = art.get(key)
            if value is None or (key not in ("tags", "error_codes", "resolution_codes", "related") and value == ""):
                continue
            if key in ("updated", "review_by") and isinstance(value, str):
                value = date.fromisoformat(value)
            meta[key] = list(value) if isinstance(value, (list, tuple)) else value
        front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=None)
        folder = out / f"{(count - 1) // files_per_folder:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        body = art.get("body") or ""
        (folder / f"{art['id']}.md").write_text(f"---\n{front}---\n{body}", encoding="utf-8", newline="\n")
    return count


# --------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------


def _summary() -> int:
    """Print counts for every data set; exit status 1 if a count disagrees with the README."""
    print(f"shared data: {data_root()}")
    status = 0

    def check(name: str, got: int) -> str:
        nonlocal status
        want = EXPECTED.get(name)
        if want is None:
            return ""
        if got != want:
            status = 1
            return f"  MISMATCH (README says {want})"
        return "  ok"

    try:
        t0 = time.perf_counter()
        docs = load_officedocs()
        t1 = time.perf_counter()
        items = officedocs_known_items(docs)
        t2 = time.perf_counter()
        print(f"\nofficedocs-dev: {len(docs)} articles ({t1 - t0:.1f}s)")
        print("  by product:", dict(Counter(a["product"] for a in docs)))
        print("  by type:   ", dict(Counter(a["type"] for a in docs)))
        print(f"  with related links: {sum(1 for a in docs if a['related'])}, "
              f"with tags: {sum(1 for a in docs if a['tags'])}, with date: {sum(1 for a in docs if a['updated'])}")
        print(f"  known items ({t2 - t1:.1f}s): titles {len(items.titles)}, error codes {len(items.error_codes)}, "
              f"messages {len(items.messages)}")
        for name, lst in items._asdict().items():
            for q, aid in lst[:2]:
                print(f"    {name}: {q[:90]!r} -> {aid}")
    except DatasetMissing as exc:
        print(f"\nofficedocs-dev: skipped: {exc}")

    try:
        arts, tickets, judg = load_seamonkey()
        pairs = sum(len(v) for v in judg.values())
        print(f"\ngitbugs-seamonkey: {len(arts)} articles{check('seamonkey_articles', len(arts))}")
        print(f"  tickets with judged duplicates: {len(tickets)}{check('seamonkey_tickets', len(tickets))}")
        print(f"  judged pairs: {pairs}{check('seamonkey_pairs', pairs)}; max per ticket: "
              f"{max(map(len, judg.values()))}; empty descriptions: {sum(1 for a in arts if not a['body'].strip())}")
    except DatasetMissing as exc:
        print(f"\ngitbugs-seamonkey: skipped: {exc}")

    try:
        arts, queries = load_stackfaq()
        print(f"\nstackfaq: {len(arts)} articles{check('stackfaq_articles', len(arts))}")
        print(f"  paraphrase queries: {len(queries)}{check('stackfaq_queries', len(queries))}")
    except DatasetMissing as exc:
        print(f"\nstackfaq: skipped: {exc}")
    return status


if __name__ == "__main__":
    sys.exit(_summary())
