#!/usr/bin/env python3
"""The queries people really type, generated from any corpus of articles.

Why: benchmarks of 2-3-word queries miss where a search engine spends its time. Support
engineers type an article's title as they remember it, paste an error message from a log
or a dialog, ask a question, or paste a whole ticket. This module derives every kind from
the articles themselves (any corpus: the synthetic one, real support articles), by rules
that know nothing about a particular corpus, so the mix can be regenerated for a corpus
nobody has seen.

    python bench/query_mix.py CORPUS_DIR [--per-kind 5]    # print a sample of each kind

Kinds (each query comes from one article, its "source", which is also a weak known-item
label: the source is usually, not always, the best answer):

* ``title``: the title as remembered, 6-15 words: a word or two dropped, two neighbours
  swapped, punctuation and capitals lost.
* ``message``: an error message pasted from a log or a dialog, 10-30 words, taken from a
  line of the article that names an error (a code, or words such as failed or denied),
  often with a timestamp in front, a number that differs (a process id), quotes.
* ``question``: a natural-language question built around some of the title's words.
* ``short``: 2-3 words of the title.
* ``code``: one error code of the article (hex codes, ORA-12154, AADSTS50076,
  ERROR_ACCESS_DENIED, System.IO.IOException ...).
* ``phrase``: a quoted phrase of 2-4 words from the article's text, sometimes with a word
  of the title beside it.
* ``ticket``: a customer ticket of about 150 words (title and description): greeting,
  some of the article's sentences in other order with words left out, a pasted message,
  the environment, what was tried, small talk.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

KINDS = ("title", "message", "question", "short", "code", "phrase", "ticket")
SEARCH_KINDS = KINDS[:-1]

# Words that carry no topic: left out when a query is built from "the words of the title".
_STOP = frozenset("""
a about after again all also an and any are as at be because been before being between both but by
can could did do does doing during each few for from further had has have having how i if in into is
it its just may me more most my no nor not of off on once only or other our out over own same should
so some such than that the their them then there these they this those through to too under until up
very was we were what when where which while who why will with would you your
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*[A-Za-z]|[A-Za-z]")
# Error-code shapes: hex codes, letters-digits codes, UPPER_SNAKE identifiers, dotted exception names.
_CODE = re.compile(r"(?<![\w.])(?:0x[0-9A-Fa-f]{4,16}|[A-Z]{2,12}-?\d{3,}|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"
                   r"|(?:[A-Za-z][A-Za-z0-9]*\.)+[A-Z][A-Za-z0-9]*(?:Exception|Error))(?![\w])")
_ERRORISH = re.compile(r"\b(?:error|errors|fail|fails|failed|failure|cannot|can't|couldn't|unable|denied|"
                       r"invalid|not found|exception|timed out|timeout|expired|refused|rejected|corrupt\w*)\b",
                       re.I)
_TIMESTAMP = re.compile(r"^\s*\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d|^\s*[A-Z][a-z]{2} \d\d \d\d:\d\d")
_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|<[^>]+>|\*\*|__|`|^#+\s*|^\s*(?:[-*+]|\d+\.)\s+|^\s*>\s*(?:\[![A-Z]+\])?",
                     re.M)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


@dataclass(frozen=True)
class Query:
    """One generated query: its kind, its text (a ticket also has a title) and its source."""

    kind: str
    text: str
    source: str
    title: str = ""


def plain_lines(body: str) -> list[str]:
    """The visible lines of a Markdown body: links reduced to their text, images, tags,
    emphasis, list and quote markers removed; table rows as their cells; fences dropped
    (their lines kept: a log excerpt is what people paste)."""
    out = []
    for line in body.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("```") or stripped.startswith(":::") or set(stripped) <= set("|-: "):
            continue
        if stripped.startswith("|"):
            stripped = " ".join(c.strip() for c in stripped.strip("|").split("|") if c.strip())
        text = _MARKUP.sub("", _LINK.sub(r"\1", stripped)).strip()
        if text:
            out.append(" ".join(text.split()))
    return out


def content_words(text: str) -> list[str]:
    """Words of ``text`` that say something (no stop words, no one-letter words), in order."""
    words = []
    for raw in text.split():
        core = raw.strip(".,;:!?()[]{}\"'`*")
        if not core or core.lower() in _STOP or (len(core) < 2 and not core.isdigit()):
            continue
        words.append(core)
    return words


def _lower_maybe(rng: random.Random, text: str, p: float = 0.6) -> str:
    return text.lower() if rng.random() < p else text


def title_query(doc: dict, rng: random.Random) -> str | None:
    words = [w.strip("\"'()[]:,") for w in doc["title"].split()]
    words = [w for w in words if w]
    if len(words) < 6:
        return None
    words = words[:17]
    drops = 0 if len(words) <= 6 else rng.choice((1, 1, 2)) if len(words) >= 8 else 1
    for _ in range(drops):
        if len(words) > 6:
            del words[rng.randrange(len(words))]
    if rng.random() < 0.5 and len(words) >= 3:  # two neighbours swapped
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    return _lower_maybe(rng, " ".join(words[:15]))


def _message_lines(lines: list[str], rng: random.Random) -> list[int]:
    """Lines that quote an error: with an error code if the article has such lines (mostly),
    else with words such as failed, denied or cannot."""
    coded = [i for i, line in enumerate(lines) if len(line.split()) >= 6 and _CODE.search(line)]
    worded = [i for i, line in enumerate(lines) if len(line.split()) >= 6 and _ERRORISH.search(line)]
    return coded if coded and (rng.random() < 0.8 or not worded) else worded


def message_query(doc: dict, rng: random.Random, lines: list[str]) -> str | None:
    found = _message_lines(lines, rng)
    if not found:
        return None
    i = rng.choice(found)
    words = lines[i].split()
    j = i + 1
    while len(words) < 10 and j < len(lines):  # a short message continues on the next line
        words += lines[j].split()
        j += 1
    if len(words) < 10:
        return None
    if len(words) > 30:
        # Keep the part around the code or the error word: that is what gets copied.
        hit = next((k for k, w in enumerate(words) if _CODE.search(w) or _ERRORISH.search(w)), 0)
        start = max(0, min(hit - rng.randint(0, 8), len(words) - 30))
        words = words[start:start + rng.randint(max(10, min(20, len(words) - start)), 30)]
    text = " ".join(words)
    # A number that differs between the log and the article (a process id, a count).
    numbers = [m for m in re.finditer(r"(?<![\w.:-])\d{3,6}(?![\w.:-])", text) if not _CODE.search(m.group(0))]
    if numbers and rng.random() < 0.5:
        m = rng.choice(numbers)
        text = text[:m.start()] + str(rng.randint(100, 99999)) + text[m.end():]
    prefix_words = 0
    if not _TIMESTAMP.match(text) and rng.random() < 0.5:
        stamp = (f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:"
                 f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}")
        prefix = rng.choice((f"{stamp} ERROR", f"[{stamp}]", f"{stamp},{rng.randint(0, 999):03d} [error]"))
        text = f"{prefix} {text}"
        prefix_words = len(prefix.split())
    if rng.random() < 0.25:
        text = f'"{text}"' if '"' not in text else f"'{text}'"
    words = text.split()
    if len(words) > 30 + prefix_words:
        text = " ".join(words[:30 + prefix_words])
    return text


_QUESTIONS = (
    "how do I fix {w}", "why does {w} happen?", "how can I stop {w}", "what causes {w}?",
    "{w} - what should I do?", "is there a way to resolve {w}?", "why is {w} not working",
    "what does it mean when {w}", "how do i get rid of {w}", "can someone explain {w}?",
)


def question_query(doc: dict, rng: random.Random) -> str | None:
    words = content_words(doc["title"])
    if len(words) < 3:
        return None
    if doc["title"].lower().startswith("how to ") and rng.random() < 0.7:
        rest = words[1:] if words[0].lower() == "to" else words
        keep = rest[:rng.randint(3, 6)]
        return _lower_maybe(rng, f"how {rng.choice(('do I', 'can I', 'do you', 'to'))} {' '.join(keep)}?", 0.7)
    n = min(len(words), rng.randint(3, 6))
    start = rng.randrange(len(words) - n + 1)
    keep = words[start:start + n]
    return _lower_maybe(rng, rng.choice(_QUESTIONS).format(w=" ".join(keep)), 0.7)


def short_query(doc: dict, rng: random.Random) -> str | None:
    words = [w for w in content_words(doc["title"]) if not _CODE.fullmatch(w)]
    if len(words) < 2:
        return None
    picked = sorted(rng.sample(range(len(words)), min(len(words), rng.choice((2, 2, 3)))))
    return _lower_maybe(rng, " ".join(words[i] for i in picked), 0.8)


def code_query(doc: dict, rng: random.Random, lines: list[str]) -> str | None:
    codes = list(dict.fromkeys(m.group(0) for line in [doc["title"], *lines] for m in _CODE.finditer(line)))
    return rng.choice(codes) if codes else None


def phrase_query(doc: dict, rng: random.Random, lines: list[str]) -> str | None:
    sentences = [s for line in lines for s in _SENTENCE.split(line) if len(s.split()) >= 6 and not _CODE.search(s)]
    for _ in range(8):
        if not sentences:
            return None
        words = [w.strip(".,;:!?()\"'") for w in rng.choice(sentences).split()]
        n = rng.choice((2, 2, 3, 3, 4))
        starts = [i for i in range(len(words) - n + 1)
                  if all(_WORD.fullmatch(w) for w in words[i:i + n])
                  and words[i].lower() not in _STOP and words[i + n - 1].lower() not in _STOP]
        if not starts:
            continue
        i = rng.choice(starts)
        text = '"' + " ".join(words[i:i + n]).lower() + '"'
        extra = [w for w in content_words(doc["title"]) if w.lower() not in text]
        if extra and rng.random() < 0.5:
            text = f"{text} {rng.choice(extra).lower()}" if rng.random() < 0.5 else f"{rng.choice(extra).lower()} {text}"
        return text
    return None


_GREETINGS = ("Hi team,", "Hello,", "Hi support,", "Good morning,", "Hi all,", "Dear support team,")
_SIGN_OFFS = ("Thanks.", "Please advise.", "Any help appreciated.", "Regards, IT", "Thank you in advance.",
              "Let me know if you need logs.")
_CHATTER = (
    "This is affecting several people in our team and we need it fixed today.",
    "It started this week and nothing changed on our side as far as I know.",
    "We already restarted the machines and cleared the cache, it did not help.",
    "A colleague on the same floor does not have the problem.",
    "I attached a screenshot of what the users see.",
    "We have a deadline on Friday so any quick workaround would help.",
    "It works sometimes after a reboot but comes back within an hour.",
    "Our IT contractor looked at it and could not find the cause.",
    "The issue happens on both the office network and from home.",
    "Please call me back on my mobile if you need more details.",
)
_ENVIRONMENTS = ("Windows 11 23H2", "Windows 10 22H2", "macOS 14.4", "Windows Server 2019", "Ubuntu 22.04",
                 "iOS 17", "Android 14", "Windows Server 2022")


def ticket_query(doc: dict, rng: random.Random, lines: list[str]) -> tuple[str, str] | None:
    words = content_words(doc["title"])
    sentences = [s for line in lines for s in _SENTENCE.split(line) if len(s.split()) >= 5]
    if len(words) < 2 or len(sentences) < 2:
        return None
    keep = words[:rng.randint(2, min(len(words), 7))]
    title = rng.choice(("{w} not working", "Problem with {w}", "{w} since the update", "URGENT: {w}",
                        "{w}", "Issue: {w}")).format(w=" ".join(keep))
    parts = [rng.choice(_GREETINGS)]
    chosen = rng.sample(sentences, min(len(sentences), rng.randint(2, 4)))
    for s in chosen:  # the article's words, told again with some left out
        ws = s.split()
        parts.append(" ".join(w for w in ws if rng.random() > 0.25) or s)
    found = _message_lines(lines, rng)
    if found and rng.random() < 0.6:
        parts.append("The error we get is: " + " ".join(lines[rng.choice(found)].split()[:30]))
    parts.append(f"Environment: {rng.choice(_ENVIRONMENTS)}, build {rng.randint(16, 24)}.{rng.randint(0, 9)}."
                 f"{rng.randint(1000, 19999)}.")
    chatter = list(_CHATTER)
    rng.shuffle(chatter)
    text = " ".join(parts)
    while len(text.split()) < 140 and chatter:
        text += " " + chatter.pop()
    words_out = text.split()[:170]
    return title, " ".join(words_out) + " " + rng.choice(_SIGN_OFFS)


def make_mix(load: Callable[[int], dict], count: int, per_kind: int, seed: int = 0,
             max_tries: int | None = None) -> dict[str, list[Query]]:
    """``per_kind`` queries of every kind from articles drawn at random (seeded).

    :param load: article number (0..count-1) -> ``{"id", "title", "body"}``. Only the
        articles drawn are loaded, so a 100,000-article corpus costs a few hundred reads.
    """
    rng = random.Random(f"kb-query-mix:{seed}:{count}")
    out: dict[str, list[Query]] = {k: [] for k in KINDS}
    tries = 0
    max_tries = max_tries or per_kind * 40
    while any(len(v) < per_kind for v in out.values()) and tries < max_tries:
        tries += 1
        doc = load(rng.randrange(count))
        lines = plain_lines(doc.get("body") or "")
        r = random.Random(f"{seed}:{doc['id']}:{tries}")
        kinds = [k for k in KINDS if len(out[k]) < per_kind]
        kind = kinds[tries % len(kinds)]
        made = _make(kind, doc, r, lines)
        if not made:
            continue
        if kind == "ticket":
            out[kind].append(Query(kind, made[1], doc["id"], title=made[0]))
        else:
            out[kind].append(Query(kind, made, doc["id"]))
    return out


def _make(kind: str, doc: dict, rng: random.Random, lines: list[str]):
    if kind == "title":
        return title_query(doc, rng)
    if kind == "question":
        return question_query(doc, rng)
    if kind == "short":
        return short_query(doc, rng)
    return {"message": message_query, "code": code_query, "phrase": phrase_query,
            "ticket": ticket_query}[kind](doc, rng, lines)


def load_markdown(path: Path) -> dict:
    """``{"id", "title", "body"}`` of a kb article file (front matter read line by line)."""
    text = path.read_text(encoding="utf-8")
    meta: dict[str, str] = {}
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        for line in text[3:end].splitlines():
            key, sep, value = line.partition(":")
            if sep:
                meta[key.strip()] = value.strip()
        body = text[end + 4:].lstrip("\n") if end != -1 else text
    title = meta.get("title", path.stem).strip()
    if len(title) >= 2 and title[0] == title[-1] and title[0] in "\"'":
        title = title[1:-1].replace('\\"', '"')
    return {"id": meta.get("id", path.stem).strip("\"'"), "title": title, "body": body}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus", help="a folder of kb article files")
    ap.add_argument("--per-kind", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    files = sorted(Path(args.corpus).rglob("*.md"))
    mix = make_mix(lambda i: load_markdown(files[i]), len(files), args.per_kind, args.seed)
    for kind, queries in mix.items():
        print(f"## {kind}")
        for q in queries:
            print(f"  [{q.source}] " + (f"{q.title} || {q.text}" if q.title else q.text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
