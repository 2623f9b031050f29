"""Reading what a person typed into a search box, without ever failing.

The syntax is small: plain words, ``"quoted phrases"``, ``-exclusions`` (words or
phrases), and field filters such as ``type:tsg`` or ``product:"sql server"``. Everything
else degrades into plain words: an unbalanced quote quotes nothing, a bare ``type:`` or a
lone ``-``, ``*`` or ``OR`` is dropped, unknown ``name:value`` pairs (``C:\\temp``,
``https://…``, ``Error:0x80070005``) stay words, control characters become spaces and
overlong input is cut at :data:`MAX_QUERY_CHARS` with a notice.

This is deliberately our own small parser rather than Whoosh's QueryParser: its grammar
(AND/OR/NOT, ranges, wildcards, boosts) is larger than what a support query needs, and
every extra operator is another way a pasted log line can turn into a surprising query.
Parsing is pure Python; :mod:`indexer.plan` turns the result into Whoosh queries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.model import ARTICLE_TYPES, STATUSES

MAX_QUERY_CHARS = 1000
MAX_CLAUSES = 64

# Query-syntax field names -> the filter they set. "code" and "error" name error codes.
FILTER_FIELDS = {
    "type": "type",
    "product": "product",
    "tag": "tag",
    "tags": "tag",
    "status": "status",
    "resolution": "resolution_code",
    "resolution_code": "resolution_code",
    "code": "error_code",
    "id": "id",
}
# Filters whose values come from a fixed list: anything else was not meant as a filter
# ("Status:Deferred" pasted from a message trace), so it stays a word.
_CHOICES = {"type": set(ARTICLE_TYPES), "status": set(STATUSES)}
_QUOTES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\uff02": '"'}
_OPERATORS = {"AND", "OR", "NOT", "&&", "||"}
_ASCII_CONTROLS = {c: " " for c in (*range(32), 127)}  # what clean_text makes of them, for str.translate
# What a filter value may look like: a word, code or id, not more punctuation or a path.
_FILTER_VALUE = re.compile(r"[\w\"][\w .\-\"]*\Z")


@dataclass(frozen=True)
class Clause:
    """One thing asked for: a word or a phrase, possibly excluded."""

    text: str
    phrase: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    """A user query after syntax, before analysis."""

    raw: str
    clauses: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    notice: str | None = None

    @property
    def positive(self) -> list[Clause]:
        return [c for c in self.clauses if not c.negated]

    @property
    def negative(self) -> list[Clause]:
        return [c for c in self.clauses if c.negated]

    @property
    def text(self) -> str:
        """The positive part as plain text (for did-you-mean, exact matches and logs)."""
        return " ".join(c.text for c in self.positive)

    def display(self) -> str:
        """The query rewritten in canonical syntax."""
        out = []
        for c in self.clauses:
            body = f'"{c.text}"' if c.phrase else c.text
            out.append(("-" if c.negated else "") + body)
        for name, values in self.filters.items():
            for value in values:
                out.append(f'{name}:"{value}"' if " " in value else f"{name}:{value}")
        return " ".join(out)


def clean_text(text: str, limit: int) -> tuple[str, str | None]:
    """Normalize Unicode, turn control characters into spaces and cut to ``limit`` characters."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    notice = None
    if len(text) > limit:
        text = text[:limit]
        notice = f"The query was shortened to its first {limit} characters."
    if text.isascii():  # the usual case: only control characters to replace, in one pass
        return text.translate(_ASCII_CONTROLS), notice
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else _QUOTES.get(ch, ch) for ch in text)
    return text, notice


def parse_query(text: str, *, limit: int = MAX_QUERY_CHARS) -> ParsedQuery:
    """Parse a search-box query; never raises.

    >>> parse_query('odbc "login timeout" -oracle type:tsg').display()
    'odbc "login timeout" -oracle type:tsg'
    """
    cleaned, notice = clean_text(text, limit)
    parsed = ParsedQuery(raw=cleaned, notice=notice)
    i, n = 0, len(cleaned)
    negate_next = False
    while i < n and len(parsed.clauses) < MAX_CLAUSES:
        ch = cleaned[i]
        if ch.isspace():
            i += 1
            continue
        negated = negate_next
        negate_next = False
        # "-oracle" and '-"a phrase"' exclude; "-2147024891" (a pasted HRESULT) does not.
        if ch in "-!" and i + 1 < n and (cleaned[i + 1] == '"' or cleaned[i + 1].isalpha()):
            i += 1
            negated = True
            ch = cleaned[i]
        if ch == '"':
            end = cleaned.find('"', i + 1)
            if end == -1:
                # Unbalanced quote: the rest is plain words, not one long phrase.
                i += 1
                continue
            phrase = " ".join(cleaned[i + 1:end].split())
            if phrase:
                parsed.clauses.append(Clause(phrase, phrase=True, negated=negated))
            i = end + 1
            continue
        end = i
        while end < n and not cleaned[end].isspace() and cleaned[end] != '"':
            end += 1
        token = cleaned[i:end]
        i = end
        name, sep, value = token.partition(":")
        key = FILTER_FIELDS.get(name.lower()) if sep else None
        if key is not None and value and not _FILTER_VALUE.match(value):
            key = None  # "ID::Core::Processor", "type:\\server": pasted text, not a filter
        if key is not None:
            if not value and i < n and cleaned[i] == '"':
                close = cleaned.find('"', i + 1)
                if close != -1:
                    value = " ".join(cleaned[i + 1:close].split())
                    i = close + 1
            if value and key in _CHOICES and value.lower() not in _CHOICES[key]:
                parsed.clauses.append(Clause(value, negated=negated))
            elif value:
                value = value.lower() if key in _CHOICES else value
                parsed.filters.setdefault(key, []).append(value)
            continue  # a bare "type:" is dropped
        if token in _OPERATORS:
            negate_next = token == "NOT"
            continue
        token = token.strip("*?+~^")
        if token and any(c.isalnum() for c in token):
            parsed.clauses.append(Clause(token, negated=negated))
    return parsed
