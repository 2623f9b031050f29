"""Words, error codes and versions as the answer checks read them.

The search engine has its own analysis (stemming, identifier parts) for ranking; an answer
needs less and must not depend on the engine: which content words a question and a passage
share, which error codes and product versions a text names. Everything here is plain
Python over strings, so it runs on any Article.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kb.cases.text import STOPWORDS

# Function words and question chatter that match everywhere and prove nothing.
_EXTRA_STOPWORDS = frozenset("""
able across actually already always another anyone anything around away back because become
behind best better both change come comes doesn't either else enough ever everything find first
following further give go going happen happens happened keep kind last let lot make makes many
might much must never new next nothing one ones others own part per put quite rather really right
say set show shows something sometimes someone take tell thing things think time times two way ways
well whether within without work works working want wants
""".split())  # noqa: SIM905 - a word list reads better as text
STOP = STOPWORDS | _EXTRA_STOPWORDS

_WORD = re.compile(r"[a-z0-9]+(?:[-_.'][a-z0-9]+)*")
_SUFFIXES = ("ational", "ization", "fulness", "iveness", "ations", "ation", "ments", "ement", "ment",
             "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed", "es", "ly", "s")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A crude suffix strip, enough to match "deleting" with "delete" and "accounts" with "account".

    >>> [stem(w) for w in ("deleting", "deleted", "delete", "accounts", "synchronization")]
    ['delet', 'delet', 'delet', 'account', 'synchron']
    """
    if len(word) <= 4 or not word.isalpha():
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_words(text: str) -> list[str]:
    """Stemmed content words of ``text`` in order (stop words, one-letter words and short numbers out).

    >>> content_words("Outlook keeps asking for the password after the update")
    ['outlook', 'keep', 'asking', 'password', 'updat']
    """
    out = []
    for token in _WORD.findall(text.lower()):
        token = token.strip("._-'")
        if len(token) < 2 or token in STOP or (token.isdigit() and len(token) < 3):
            continue
        out.append(stem(token))
    return out


@lru_cache(maxsize=4096)
def word_set(text: str) -> frozenset[str]:
    """The distinct content words of ``text`` (kept for recent texts: the same articles are
    weighed for question after question)."""
    return frozenset(content_words(text))


# Error-code shapes seen in support text; the longer shapes come first.
_CODE = re.compile(
    r"\b0x[0-9A-Fa-f]{8}\b"                        # HRESULT / Win32: 0x80070005
    r"|\b[A-Z]{2,8}\d{4,7}\b"                      # AADSTS50076, KB0042
    r"|\b[A-Z][A-Z0-9]{1,9}-\d{2,6}\b"             # ORA-12154, E-1042
    r"|\b(?:[A-Z][A-Za-z0-9]+\.)+[A-Z][A-Za-z0-9]*Exception\b"  # System.IO.IOException
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+){1,6}\b"      # ERROR_ACCESS_DENIED, KRB_AP_ERR_MODIFIED
    r"|\b[45]\d\d[ -]\d\.\d{1,3}\.\d{1,3}\b"       # SMTP: 550 5.7.1
)
_NOT_CODES = ("HKEY_", "HKLM", "HKCU", "SHA-", "AES-", "ISO-", "RFC-", "UTF-", "TLS-", "WCAG-")
# Upper-case identifiers are error codes only when they say so (MAPI property tags and API
# constants such as PR_SUBJECT or MB_OK are not).
_ERRORISH = re.compile(r"(?:^|_)(?:E|ERR|ERROR|FAIL|FAILED|FAILURE|INVALID|DENIED|CORRUPT|TIMEOUT|MISMATCH|"
                       r"UNAVAILABLE|NOT_FOUND|DUPLICATE|FATAL|ABORT|REFUSED|EXPIRED|MODIFIED)(?:_|$)")


def error_codes(text: str) -> dict[str, str]:
    """Error codes named in ``text``: ``{normalised: as written}`` (normalised: upper case, one space).

    >>> error_codes("Sign-in fails with AADSTS50076 and 0x80070005 (ERROR_ACCESS_DENIED)")
    {'AADSTS50076': 'AADSTS50076', '0X80070005': '0x80070005', 'ERROR_ACCESS_DENIED': 'ERROR_ACCESS_DENIED'}
    """
    found: dict[str, str] = {}
    for match in _CODE.finditer(text or ""):
        token = match.group(0)
        if token.startswith(_NOT_CODES) or token.isdigit():
            continue
        if "_" in token and "." not in token and not _ERRORISH.search(token):
            continue
        found.setdefault(normalize_code(token), token)
    return found


def normalize_code(code: str) -> str:
    """One spelling per code: upper case, runs of spaces and hyphens between digits as one space."""
    return re.sub(r"\s+", " ", code.strip().upper())


# "Outlook 2016", "Windows 10", "version 16.0.1234", "SQL Server 2019", "iOS 17.2".
_VERSION = re.compile(r"\b([A-Z][A-Za-z+#]{1,20})(?: ([A-Z][A-Za-z+#]{1,20}))? (?:version |v)?"
                      r"((?:19|20)\d\d|\d{1,2}(?:\.\d{1,5}){0,3})\b")
_VERSIONLESS = frozenset({"Step", "Steps", "Method", "Option", "Figure", "Table", "Event", "Error", "Code",
                          "Case", "Cause", "Resolution", "Section", "Page", "Line", "Part", "Level",
                          "Port", "Build", "Issue", "Symptom", "Workaround", "Example", "Scenario", "Tier",
                          "Phase", "Day", "Days", "Hour", "Hours", "Minutes", "Seconds", "Group", "Item",
                          "Items", "Users", "Rule", "Priority", "Severity", "Service", "Pack", "On", "In",
                          "At", "From", "To", "For", "After", "Before", "Since", "Than", "And", "Or", "The"})


def versions(text: str) -> dict[str, set[str]]:
    """Product versions named in ``text``: ``{"outlook": {"2016"}, "windows": {"10"}}``.

    A version belongs to the capitalised word before it (or the pair of words, as in
    "SQL Server 2019", keyed by the last); words that commonly precede a plain number
    ("Step 2", "Error 1205", "Event 4") name no product.
    """
    out: dict[str, set[str]] = {}
    for match in _VERSION.finditer(text or ""):
        first, second, number = match.groups()
        name = second or first
        if name in _VERSIONLESS or first in _VERSIONLESS and not second:
            continue
        if "." not in number and len(number) < 4 and int(number) < 3:  # "Outlook 1", "Teams 2": ordinals
            continue
        out.setdefault(name.lower(), set()).add(number)
    return out
