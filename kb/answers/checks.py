"""Checks of a cited article against the question: the error code, product and version it names.

An answer that sounds right but is for another error, another product or another version
is the most expensive kind of wrong. When the question names one of these and the article
is about a different one, the answer is demoted (its confidence drops, so a better-matched
article wins or kb abstains) and, if it is still shown, the card says what doesn't match.

* **Error codes**: the question names ``0x80070005``; the article neither lists it in
  ``error_codes`` nor mentions it. Worse when the article documents other codes: then it
  is about a different error.
* **Products**: the question names a product the knowledge base knows (its articles'
  ``product`` values, or the ``product`` field of the request) and the article is for
  another product and never mentions the one asked about.
* **Versions**: the question names "Outlook 2016"; the article speaks of Outlook 2010 and
  2013 but never 2016.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from kb.answers.words import error_codes, normalize_code, versions
from kb.model import Article

CODE, PRODUCT, VERSION = "code", "product", "version"


@dataclass(frozen=True)
class Flag:
    """Something in the question the cited article doesn't match, said for the card."""

    kind: str  # "code", "product" or "version"
    message: str
    strength: float  # 0..1: how strongly it argues against the article

    def as_dict(self) -> dict:
        return {"kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Checks:
    """What the question and one article agree and disagree on."""

    shared_codes: tuple[str, ...] = ()
    flags: tuple[Flag, ...] = field(default_factory=tuple)

    def strength(self, kind: str) -> float:
        """The strongest disagreement of one kind (0 when there is none)."""
        return max((f.strength for f in self.flags if f.kind == kind), default=0.0)


def check(question: str, article: Article, *, product: str | None = None,
          products: Iterable[str] = ()) -> Checks:
    """Compare what ``question`` names with ``article`` (see the module docstring).

    :param product: the product the asker chose, if any (checked like a product named in the text).
    :param products: the product names the knowledge base knows.
    """
    text = f"{article.title}\n{article.body}"
    flags: list[Flag] = []
    asked = error_codes(question)
    written = {**error_codes(text), **{normalize_code(c): c for c in article.error_codes}}
    present = _present(set(asked), text, set(written))
    shared = tuple(asked[c] for c in sorted(present))
    missing = [asked[c] for c in sorted(set(asked) - present)]
    if missing and not shared:
        if written:
            about = ", ".join(written[c] for c in sorted(written)[:3])
            flags.append(Flag(CODE, f"You mention {_list(missing)}; this article is about {about}.", 1.0))
        else:
            flags.append(Flag(CODE, f"You mention {_list(missing)}; this article doesn't.", 0.5))
    flag = _product_flag(question, article, text, product, products)
    if flag is not None:
        flags.append(flag)
    flags.extend(_version_flags(question, text))
    return Checks(shared, tuple(flags))


def _present(asked: set[str], text: str, documented: set[str]) -> set[str]:
    """The asked codes the article has: listed, found as codes, or written in its text at all."""
    lowered = text.lower()
    return {c for c in asked if c in documented or c.lower() in lowered}


def _list(items: list[str]) -> str:
    return ", ".join(items[:3]) + (" and others" if len(items) > 3 else "")


@lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern:
    """How a product name is found in text: as whole words; a one-word name that is also a
    common word ("Teams", "Office") only when written with its capital, as a name is."""
    words = name.split()
    plain = len(words) == 1 and name[:1].isupper() and name[1:].islower()
    flags = 0 if plain else re.IGNORECASE
    return re.compile(r"(?<![\w-])" + r"\s+".join(re.escape(w) for w in words) + r"(?![\w-])", flags)


def names_product(text: str, name: str) -> bool:
    """Whether ``text`` names the product ``name``."""
    return bool(name and name.strip()) and bool(_name_pattern(name.strip()).search(text))


def _product_flag(question: str, article: Article, text: str, product: str | None,
                  products: Iterable[str]) -> Flag | None:
    if not article.product:
        return None
    named = {p for p in products if p and names_product(question, p)}
    if product and product.strip():
        named.add(product.strip())
    if not named:
        return None
    own = article.product.casefold()
    if any(p.casefold() == own or names_product(text, p) or names_product(p, article.product) for p in named):
        return None
    asked = ", ".join(sorted(named)[:2])
    return Flag(PRODUCT, f"You asked about {asked}; this article is for {article.product}.", 1.0)


def _version_flags(question: str, text: str) -> list[Flag]:
    asked = versions(question)
    if not asked:
        return []
    covered = versions(text)
    flags = []
    for name, wanted in sorted(asked.items()):
        have = covered.get(name)
        if have and not wanted & have:
            label = name if not name.islower() else name.capitalize()
            flags.append(Flag(VERSION, f"You mention {label} {_list(sorted(wanted))}; this article covers "
                                       f"{_list(sorted(have))}.", 0.5))
    return flags
