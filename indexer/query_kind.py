"""What kind of query a person typed: it decides how much the ranking leans on meaning.

Words are what finds a known item: an article's title, an error code, a quoted phrase,
an error message pasted from a log. Meaning is what bridges a question asked in the
reader's own words ("remove my FB account") to an article written in the product's
("Delete your Facebook account"). So each query is classified from its text and its plan
(which error codes and titles the index knows), before ranking:

* ``title``: the query is an indexed title, word for word (after folding);
* ``quoted``: the reader quoted a phrase;
* ``code``: an error code (known to the index, or shaped like one), with at most a
  couple of other words;
* ``message``: a pasted message: a timestamp, a path or URL, quoted text, a known code
  among other words, or a long line with error words (failed, denied, exception...) and
  the marks of machine output (colons, brackets, numbers);
* ``question``: asked as a question (how/why/can..., a question mark) or about oneself
  (my, I, me);
* ``short``: one to three words;
* ``words``: anything else: a remembered title, a paraphrase, a description.

How much each kind leans on meaning is :data:`indexer.ranking.MEANING_BY_KIND`.
"""

from __future__ import annotations

import re

from indexer.plan import Plan
from indexer.query import ParsedQuery

KINDS = ("title", "quoted", "code", "message", "question", "short", "words")

_QUESTION_START = frozenset("""
how why what whats where when which who whom whose can cant could couldnt should is isnt are arent
do does doesnt did didnt will wont would wouldnt was wasnt were any anyone anybody help
""".split())
_SELF = frozenset("i im ive id my me mine myself we our us".split())
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_TIMESTAMP = re.compile(r"\b\d{4}-\d\d-\d\d[T ]\d\d:\d\d|\b\d\d:\d\d:\d\d\b|^\s*\[?[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d")
_PATH_OR_URL = re.compile(r"[A-Za-z]:\\|\\\\\w|(?:^|\s)/\w+/\w|\w+://")
_QUOTED_TEXT = re.compile(r"['\u2018\u2019][^'\u2018\u2019]{3,}['\u2018\u2019]")
_ERRORISH = re.compile(r"\b(?:error|errors|fail|fails|failed|failure|cannot|can't|couldn't|unable|denied|"
                       r"invalid|exception|timed out|timeout|expired|refused|rejected|not found|corrupt\w*)\b",
                       re.I)
# What an error code looks like, known to the index or not: 0x8004010F, ORA-12154,
# AADSTS50076, HYT00, 5.7.1, ERROR_ACCESS_DENIED, System.IO.IOException, 1205.
_CODE_SHAPED = re.compile(r"(?<![\w.])(?:0x[0-9a-f]{4,}|[a-z][a-z0-9]*\d[a-z0-9]*(?:[-.][a-z0-9]+)*"
                          r"|[a-z]+-\d+|\d+(?:\.\d+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+"
                          r"|(?:[a-z]\w*\.)+[a-z]\w*(?:exception|error)|\d{3,})(?![\w])", re.I)
_MACHINE_MARKS = re.compile(r"[:\[\](){}=<>|]|\d")
MESSAGE_WORDS = 8  # a line this long with an error word reads as pasted, not typed
CODE_EXTRA_WORDS = 2  # words beside an error code that still make it a code lookup
SHORT_WORDS = 3


def classify(parsed: ParsedQuery, plan: Plan) -> str:
    """The kind of a search-box query (one of :data:`KINDS`).

    >>> from indexer.query import parse_query
    >>> classify(parse_query("how do I delete my facebook account?"), Plan())
    'question'
    >>> classify(parse_query("vpn disconnects"), Plan())
    'short'
    """
    text = parsed.text
    words = _WORD.findall(text)
    if plan.exact_title:
        return "title"
    if any(c.phrase for c in parsed.positive):
        return "quoted"
    codes = plan.exact_codes or _CODE_SHAPED.findall(text)
    if codes and len(_plain_words(text, codes)) <= CODE_EXTRA_WORDS:
        return "code"
    if _looks_pasted(text, words, bool(plan.exact_codes)):
        return "message"
    if _is_question(text, words):
        return "question"
    if len(words) <= SHORT_WORDS:
        return "short"
    return "words"


def _plain_words(text: str, codes: list[str]) -> list[str]:
    lowered = text.lower()
    for code in codes:
        lowered = lowered.replace(code.lower(), " ")
    return [w for w in _WORD.findall(lowered) if len(w) > 1]


def _looks_pasted(text: str, words: list[str], has_code: bool) -> bool:
    if _TIMESTAMP.search(text) or _PATH_OR_URL.search(text) or _QUOTED_TEXT.search(text):
        return True
    if has_code and len(words) > CODE_EXTRA_WORDS:
        return True
    # A long line with an error word and the marks of machine output (a colon, brackets,
    # an equals sign, digits), not a sentence someone typed.
    return (len(words) >= MESSAGE_WORDS and bool(_ERRORISH.search(text)) and bool(_MACHINE_MARKS.search(text))
            and not _is_question(text, words))


def _is_question(text: str, words: list[str]) -> bool:
    if text.rstrip().endswith("?"):
        return True
    lowered = [w.lower().replace("'", "") for w in words]
    return bool(lowered) and (lowered[0] in _QUESTION_START or any(w in _SELF for w in lowered))


__all__ = ["KINDS", "classify"]
