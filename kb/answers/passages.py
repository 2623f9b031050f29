"""Which part of an article answers a question: sections by role, then the passage to quote.

A question usually describes a problem ("Outlook asks for my password again and again");
the article states the problem in one section and the fix in another. So the section that
*matches* the question best is rarely the one to quote. Each section gets a role from its
heading (and, for sub-sections without a telling heading, from its parent's):

* **problem**: symptoms, issue, error, steps to reproduce: matched against the question,
  never quoted as the answer;
* **answer**: resolution, solution, fix, workaround, method, steps, troubleshooting;
* **cause**: cause, reason, why: an answer when the article has nothing better;
* **info**: more information, references, status, requirements: a last resort;
* **lead**: the text before the first section heading; **neutral**: anything else.

Headings are matched by word stems, not a fixed list of titles, so "Resolution 2",
"Method 3: use a command prompt window" and "To work around this issue" all read as
answers. The answer passage is the section with the best mix of an answer-like role,
the question's words, and position (the first answer after the problem section the
question matched, so "Symptom 2" pairs with "Resolution 2"). In a numbered list, a step
that matches the question far better than its neighbours is quoted alone (the matching
step of a workflow); otherwise the list is quoted from its first step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kb.answers.words import content_words, word_set
from kb.markdown import Block, Section, sections
from kb.model import Article

PROBLEM, ANSWER, CAUSE, INFO, LEAD, NEUTRAL = "problem", "answer", "cause", "info", "lead", "neutral"

# Heading stems by role, checked in this order: "Steps to reproduce" is a problem, not steps.
_ROLE_STEMS = (
    (PROBLEM, ("symptom", "reproduc", "repro", "issue", "problem", "error", "scenario", "behavior",
               "behaviour", "observ")),
    (INFO, ("more information", "information", "reference", "see also", "related", "status", "applies",
            "environment", "before you begin", "prerequisit", "requirement", "limitation", "feedback",
            "did this fix", "summary", "introduction", "overview", "about", "verify", "next step",
            "contact", "support", "third-party", "disclaimer")),
    (ANSWER, ("resolution", "resolv", "solution", "solv", "fix", "workaround", "work around", "mitigat",
              "remed", "method", "procedure", "step", "instruction", "troubleshoot", "to do this",
              "how to", "configur", "enabl", "disabl", "install", "repair", "reset", "restor", "recover",
              "option", "use ", "run ", "set up", "turn ", "remov", "updat", "upgrad", "chang", "creat",
              "allow", "prevent", "avoid", "what to do", "recommend", "answer")),
    (CAUSE, ("cause", "reason", "why", "explanation", "background", "root")),
)
# How answer-like each role is (0..1): the prior of the passage choice.
ROLE_PRIOR = {ANSWER: 1.0, NEUTRAL: 0.55, CAUSE: 0.45, LEAD: 0.4, INFO: 0.25, PROBLEM: 0.0}
MATCH_WEIGHT = 0.6  # the question's words in a passage, against the role prior
AFTER_PROBLEM_BONUS = 0.25  # the first answer after the problem section the question matched
THIN_WORDS = 8  # a section with fewer words introduces its sub-sections ("Use one of these methods:")
INTRO_WORDS = 30
THIN_PENALTY = 0.5
STEP_BONUS = 0.1
MAX_QUOTE_WORDS = 140
MAX_STEPS = 8
SINGLE_STEP_RATIO = 2.0  # a step quoted alone matches the question this many times better than any other

_IMAGE_ONLY = re.compile(r"^\s*(?:(?:!\[[^\]]*\]\([^)]*\)|:::image\b.*?:::)\s*)+$", re.S | re.I)
_IMPERATIVE = re.compile(r"^(?:select|open|run|click|go|set|type|restart|install|update|sign|delete|remove|"
                         r"enable|disable|turn|choose|use|check|make sure|add|create|start|stop|close|"
                         r"clear|reset|download|change|contact|apply|configure|press|right-click|tap|"
                         r"navigate|expand|locate|find|follow|exit|quit|edit|move|rename|re-?enter)\b", re.I)


@dataclass(frozen=True)
class Part:
    """One section of an article with its role, as the passage choice sees it.

    ``path`` names the section for a citation: its parents and its heading, without the
    article's own title heading ("Resolution › Method 2: Use the Control Panel").
    """

    index: int
    section: Section
    role: str
    words: frozenset[str]
    path: str

    @property
    def heading(self) -> str:
        return self.section.heading


@dataclass(frozen=True)
class Passage:
    """What an article says in answer to a question, in the author's own Markdown.

    ``matched`` is the part the question matched best (the symptom, usually): the reason
    the article was chosen. ``more_steps`` counts numbered steps left out of the quote.
    """

    article: Article
    part: Part
    markdown: str
    text: str
    matched: Part | None
    matched_sentence: str
    overlap: float
    more_steps: int = 0
    step: int | None = None  # the one step quoted, when a single step matches

    @property
    def anchor(self) -> str | None:
        return self.part.section.anchor

    @property
    def section(self) -> str:
        return self.part.path or "Introduction"

    @property
    def complete(self) -> bool:
        """Whether the quote is the whole section."""
        return not self.more_steps and self.step is None


# A heading that starts with one of these is a way to the answer, whatever follows
# ("Step 5: Escalate the issue", "Troubleshoot the delegation issue", "Method 2: ...").
_ANSWER_START = re.compile(r"^(?:step|method|option|resolution|solution|workaround|fix|troubleshoot|resolve|"
                           r"how to|to (?:fix|resolve|work around)|use|run|configure|enable|disable|turn|"
                           r"install|reinstall|repair|reset|restore|remove|update|upgrade|change|create|"
                           r"allow|prevent|set|clear|delete|check|verify that)\b")


def role_of(heading: str) -> str | None:
    """The role a heading gives its section, or None when it says nothing telling.

    >>> [role_of(h) for h in ("Symptoms", "Method 2: Use the Control Panel", "Root cause", "Outlook 2016",
    ...                       "Step 5: Escalate the issue", "Steps to reproduce the problem")]
    ['problem', 'answer', 'cause', None, 'answer', 'problem']
    """
    text = " ".join(heading.lower().replace(":", " ").split())
    if _ANSWER_START.match(text) and not text.startswith("steps to reproduce"):
        return ANSWER
    text = f" {text} "
    for role, stems in _ROLE_STEMS:
        if any((" " + stem) in text for stem in stems):
            return role
    return None


def parts_of(article: Article) -> list[Part]:
    """The article's sections with their roles (sub-sections inherit a telling parent's role)."""
    return list(_parts(article.title, article.body))


@lru_cache(maxsize=1024)
def _parts(title: str, body: str) -> tuple[Part, ...]:
    """:func:`parts_of` for a title and body (kept for recent articles: parsing the Markdown
    is most of the cost of choosing a passage)."""
    found = sections(body)
    top_is_title = _has_title_heading(found, title)
    parts = []
    roles: dict[tuple[str, ...], str] = {}
    for i, section in enumerate(found):
        own = role_of(section.heading) if section.heading else None
        if section.level == 0:
            role = LEAD
        elif top_is_title and section.level == 1 and not section.parents:
            role = LEAD  # the article's own title as a heading: what follows is its introduction
        else:
            inherited = None
            for depth in range(len(section.parents), 0, -1):
                inherited = roles.get(section.parents[:depth])
                if inherited:
                    break
            role = own or inherited or NEUTRAL
        roles[(*section.parents, section.heading)] = role if role != LEAD else ""
        names = [*section.parents, section.heading]
        if top_is_title and section.parents:
            names = names[1:]
        path = " › ".join(n for n in names if n) if role != LEAD else ""
        parts.append(Part(i, section, role, word_set(section.text + " " + section.heading), path))
    return tuple(parts)


def _has_title_heading(found: list[Section], title: str) -> bool:
    """Whether the body opens with a level-1 heading that repeats the article's title."""
    first = next((s for s in found if s.heading), None)
    if first is None or first.level != 1:
        return False
    ones = [s for s in found if s.level == 1]
    return len(ones) == 1 or word_set(first.heading) == word_set(title)


def overlap(question: frozenset[str], words: frozenset[str]) -> float:
    """Share of the question's content words that ``words`` holds (0..1)."""
    return len(question & words) / len(question) if question else 0.0


def choose(article: Article, question: str) -> Passage | None:
    """The passage of ``article`` that answers ``question``, or None when it has no text at all."""
    parts = [p for p in parts_of(article) if _quotable(article, p.section.blocks)]
    if not parts:
        return None
    asked = word_set(question)
    title_words = word_set(article.title)
    scored = {p.index: overlap(asked, p.words | (title_words if p.role == LEAD else frozenset()))
              for p in parts}
    describing = [p for p in parts if p.role in (PROBLEM, LEAD, NEUTRAL)]
    matched = max(describing, key=lambda p: (scored[p.index], -p.index)) if describing else None
    options = [p for p in parts if p.role != PROBLEM] or parts
    after = next((p for p in parts if matched and p.index > matched.index and p.role == ANSWER), None)

    def merit(p: Part) -> float:
        value = ROLE_PRIOR[p.role] + MATCH_WEIGHT * scored[p.index]
        if after is not None and p.index == after.index:
            value += AFTER_PROBLEM_BONUS
        if _thin(p.section) and _has_children(parts, p):
            value -= THIN_PENALTY
        if any(b.kind == "steps" for b in p.section.blocks):
            value += STEP_BONUS
        return value

    best = max(options, key=lambda p: (merit(p), -p.index))
    # A step is quoted alone only when it matches the question better than any description
    # of the problem does: then the question is about that step, not about the symptom.
    floor = scored[matched.index] if matched is not None and matched.role == PROBLEM else 0.0
    markdown, text, more, step = quote(article, best.section.blocks, asked, floor)
    sentence = best_sentence(matched.section.text if matched else "", asked) if matched else ""
    if matched is not None and matched.role == LEAD and not sentence:
        sentence = article.title
    return Passage(article, best, markdown, text, matched, sentence,
                   scored[matched.index] if matched else 0.0, more, step)


def _thin(section: Section) -> bool:
    """A section that only introduces its sub-sections ("Use one of the following methods:")."""
    prose = [b for b in section.blocks if b.kind != "note"]
    words = sum(len(b.text.split()) for b in prose)
    return words < THIN_WORDS or (words < INTRO_WORDS and prose[-1].text.rstrip().endswith(":"))


def _has_children(parts: list[Part], parent: Part) -> bool:
    return any(p.index > parent.index and p.section.level > parent.section.level for p in parts
               if p.index == parent.index + 1)


def _quotable(article: Article, blocks: tuple[Block, ...]) -> bool:
    return any(_substantive(article, b) for b in blocks)


def _substantive(article: Article, block: Block) -> bool:
    return bool(block.text.strip()) and not _IMAGE_ONLY.match(_source(article, block.lines))


def _source(article: Article, lines: tuple[int, int]) -> str:
    return "\n".join(_lines(article)[lines[0]:lines[1]])


def _lines(article: Article) -> list[str]:
    return article.body.splitlines()


def quote(article: Article, blocks: tuple[Block, ...], asked: frozenset[str],
          floor: float = 0.0) -> tuple[str, str, int, int | None]:
    """(Markdown, plain text, steps left out, the single step quoted) of a section's blocks.

    Whole blocks are taken in order up to :data:`MAX_QUOTE_WORDS` (at least one). A
    numbered list ends the quote: its steps are taken while they fit (at least one, at most
    :data:`MAX_STEPS`), or only the one step that matches the question far better than the
    others.
    """
    chosen: list[str] = []
    texts: list[str] = []
    words = more = 0
    single = None
    for block in blocks:
        if not _substantive(article, block):
            continue
        if block.kind == "steps" and block.items:
            one = _single_step(block, asked, floor)
            if one is not None:
                items, single = [one], one.number
            else:
                items = []
                for item in block.items[:MAX_STEPS]:
                    size = len(item.text.split())
                    if items and words + size > MAX_QUOTE_WORDS:
                        break
                    items.append(item)
                    words += size
                more = len(block.items) - len(items)
            chosen.append(_items_source(article, items))
            texts.append("\n".join(i.text for i in items))
            break
        size = len(block.text.split())
        if chosen and words + size > MAX_QUOTE_WORDS:
            break
        chosen.append(_source(article, block.lines).rstrip())
        texts.append(block.text)
        words += size
    return "\n\n".join(chosen), "\n".join(texts), more, single


def _items_source(article: Article, items: list[Block]) -> str:
    lines = _lines(article)
    out = []
    for item in items:
        chunk = lines[item.lines[0]:item.lines[1]]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        out.extend(chunk)
    return "\n".join(out)


def _single_step(block: Block, asked: frozenset[str], floor: float) -> Block | None:
    """The step that matches the question far better than every other step and than ``floor``."""
    if len(block.items) < 3 or not asked:
        return None
    scores = sorted(((overlap(asked, word_set(item.text)), n) for n, item in enumerate(block.items)),
                    reverse=True)
    (best, index), (second, _) = scores[0], scores[1]
    if best >= max(0.3, floor + 0.1) and best >= SINGLE_STEP_RATIO * max(second, 0.05):
        return block.items[index]
    return None


def best_sentence(text: str, asked: frozenset[str], limit: int = 200) -> str:
    """The sentence of ``text`` that shares most of the question's words (cut to ``limit``)."""
    best, best_score = "", 0.0
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        sentence = sentence.strip()
        if len(sentence) < 3:
            continue
        score = overlap(asked, frozenset(content_words(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    if len(best) > limit:
        best = best[: limit - 1].rsplit(" ", 1)[0] + "…"
    return best
