"""Finding a query's index terms in stored text without analysing all of the text.

Snippets need to know where a query's terms occur in an article's stored text, as the
index analyzer would see them. Analysing every token of a long
article costs a millisecond or more; the tokens that can yield a term are few. So a
:class:`TermFinder` first looks for what such a token must contain (a substring search
of the lowercased text for each term), then analyses only the tokens it finds
(:func:`indexer.analyzers.token_forms`): the answer is the same as analysing all.

What a token must contain, for each kind of term (tested over real vocabularies):

* a stemmed word: its stem without a final ``e`` or ``i`` and without a final ``bl``
  (``scale`` comes from "scaling", ``retri`` from "retry", ``capabl`` from "capability");
  Porter only trims or rewrites a word's ending;
* a whole identifier, a piece of one, a number, a hex code's digits: the term itself;
* a joined spelling (``wifi`` from "Wi-Fi", ``ora12154`` from "ORA-12154"): found among
  the words joined by ``-`` or ``_``, with the joiners left out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator

from indexer.analyzers import TOKEN_RE, token_forms

_CONNECTORS = frozenset(".-/\\:@")
# Where "-" or "_" joins two words ("Wi-Fi", "E_FAIL"): the index also has them joined up ("wifi").
# The joiners come first so that the scan skips to them; the word before is checked after.
_JOINERS = re.compile(r"[-_]+(?=[^\W_])")


def required_text(term: str) -> str:
    """What a raw token must contain (lowercased) to yield ``term``."""
    if term.isalpha():
        if len(term) > 1 and term.endswith(("e", "i")):
            term = term[:-1]
        if len(term) > 3 and term.endswith("bl"):
            term = term[:-2]
    return term


class TermFinder:
    """Finds the tokens of a text that yield any of ``terms`` (index terms)."""

    def __init__(self, terms: Collection[str]):
        self.terms = frozenset(t for t in terms if t)
        heads = sorted({required_text(t) for t in self.terms}, key=len, reverse=True)
        self._heads = [head for head in heads if head]
        self._source = "|".join(re.escape(head) for head in heads if head)
        self._anycase: re.Pattern | None = None
        # A joined spelling has only letters and digits: (such a term, whether it can overlap itself).
        self._joinable = [(t, any(t[:k] == t[-k:] for k in range(1, len(t))))
                          for t in self.terms if t.isalnum()]

    def _hits(self, text: str) -> list[int]:
        """Where the text holds what a term's token must contain, ascending."""
        if not self._source:
            return []
        low = text.lower()
        if len(low) == len(text):
            found = _starts(low, self._heads)
        else:  # lowercasing changed the length of some non-ASCII character: search the text itself
            if self._anycase is None:
                self._anycase = re.compile(self._source, re.IGNORECASE)
            found = [m.start() for m in self._anycase.finditer(text)]
        if len(low) == len(text) and not self._may_be_joined(low):
            return found
        joined = []
        checked = -1
        for m in _JOINERS.finditer(text):
            at = m.start() - 1
            if at < 0 or not text[at].isalnum():
                continue
            start = token_start(text, at)
            if start == checked:  # another joiner of a token already looked at
                continue
            checked = start
            token = TOKEN_RE.match(text, start)
            if token is not None and not self.terms.isdisjoint(token_forms(token.group(0))[0]):
                joined.append(start)
        return sorted(found + joined) if joined else found

    def _may_be_joined(self, low: str) -> bool:
        """Whether a term can be the joined spelling of a token of the (lowercased) text. It
        then occurs more often in the text without its joiners than in the text: each of its
        occurrences in the text is one there too, and the joined token adds one."""
        if not self._joinable:
            return False
        bare = low.replace("-", "").replace("_", "")
        if len(bare) == len(low):
            return False
        return any(_occurrences(bare, term, overlaps) > _occurrences(low, term, overlaps)
                   for term, overlaps in self._joinable)

    def tokens(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, raw token) of every token that contains what one of the terms needs,
        in text order, each once. A superset: callers check the token's analysed forms."""
        last_end = -1
        for at in self._hits(text):
            if at < last_end:
                continue
            start = token_start(text, at)
            token = TOKEN_RE.match(text, start)
            if token is None or token.end() <= last_end:
                continue
            last_end = token.end()
            yield start, token.end(), token.group(0)


def _starts(text: str, heads: list[str]) -> list[int]:
    """Where any of ``heads`` occurs in ``text``, ascending, each place once. One plain
    substring search per head: many times faster than a regular expression of alternatives,
    which tries each of them at every character."""
    found: list[int] = []
    find = text.find
    for head in heads:
        at = find(head)
        while at >= 0:
            found.append(at)
            at = find(head, at + 1)
    if len(heads) > 1:
        found = sorted(set(found))
    return found


def _occurrences(text: str, term: str, overlaps: bool) -> int:
    """How many times ``term`` occurs in ``text``, overlapping occurrences included."""
    if not overlaps:
        return text.count(term)
    count, at = 0, text.find(term)
    while at >= 0:
        count, at = count + 1, text.find(term, at + 1)
    return count


def _is_word(char: str) -> bool:
    """Whether a character is a regular expression's \\w (a letter, a digit or "_")."""
    return char.isalnum() or char == "_"


def token_start(text: str, at: int) -> int:
    """Where the raw token (:data:`indexer.analyzers.TOKEN_RE`) that covers ``at`` begins."""
    i = at
    while i > 0:
        before = text[i - 1]
        if before.isalnum() or before == "_":
            i -= 1
            continue
        if before in _CONNECTORS:
            j = i - 1
            while j > 0 and text[j - 1] in _CONNECTORS:
                j -= 1
            if j > 0 and _is_word(text[j - 1]):
                i = j
                continue
        break
    return i
