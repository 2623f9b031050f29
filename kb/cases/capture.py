"""Knowledge capture: a draft article written from a solved case that had no article.

Knowledge-centred practice captures the fix while the case is fresh. The draft gets the
next free ``KB`` number, internal audience and draft status, Symptoms from the case
description, a Cause for the author to write, and Resolution from the resolution notes.
It passes ``kb lint`` as written, and never overwrites a file.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy.engine import Engine

from kb.articles import KnowledgeBase, load_knowledge_base
from kb.authoring import reserve_article_id, slug_for_title
from kb.cases.rules import CaseRuleError
from kb.cases.store import Case, get_case, link_article
from kb.errors import KBError

CAPTURE_TYPES = ("known-issue", "tsg")
DEFAULT_FOLDER = "drafts"
# Written as template guidance (kb.authoring's "TODO:" lines): the section isn't empty, so the
# draft lints clean, and `kb lint` keeps warning (unfilled-template) until the author writes it.
CAUSE_PLACEHOLDER = ("TODO: Describe why the problem happens, so the next engineer can recognise it "
                     "before applying the resolution.")
RESOLUTION_PLACEHOLDER = ("TODO: The case was closed without resolution notes. List the steps that fixed "
                          "it, and how to verify them.")
_HEADING_LIKE = re.compile(r"^( {0,3})(#{1,6}(?:\s|$)|[=-]+\s*$)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_KB_LINK = re.compile(r"\]\(\s*kb:([^)#\s]*)", re.IGNORECASE)
_claim = threading.Lock()


@dataclass(frozen=True)
class CapturedArticle:
    """The draft written and the case it came from."""

    article_id: str
    path: Path
    case: Case


def _plain(text: str, known: KnowledgeBase) -> str:
    """Case text made safe to embed: no stray headings that would split sections, and no
    ``kb:`` links to articles that don't exist (lint errors). Fenced code is left alone."""
    out, fence = [], None
    for line in text.replace("\r\n", "\n").split("\n"):
        match = _FENCE.match(line)
        if match and (fence is None or match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)):
            fence = None if fence else match.group(1)
        elif fence is None:
            line = _HEADING_LIKE.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
            line = _KB_LINK.sub(lambda m: m.group(0) if known.get(m.group(1)) else "](#", line)
        out.append(line)
    if fence:
        out.append(fence)
    return "\n".join(out).strip()


def render_draft(case: Case, article_id: str, kb: KnowledgeBase, *, article_type: str = "known-issue",
                 owner: str | None = None, today: date | None = None) -> str:
    """The Markdown text of a draft article for ``case``."""
    codes = ["solved-existing-article"]
    if case.resolution_code and case.resolution_code in kb.taxonomy and case.resolution_code not in codes:
        codes.append(case.resolution_code)
    front = {"id": article_id, "title": case.title, "type": article_type, "audience": "internal",
             "status": "draft", "confidence": "not-validated", "product": case.product, "resolution_codes": codes,
             "owner": owner or case.owner, "updated": today or date.today()}
    front = {k: v for k, v in front.items() if v}
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000)
    symptoms = _plain(case.description, kb) or _plain(case.title, kb)
    sections = [("Symptoms", symptoms), ("Cause", f"> {CAUSE_PLACEHOLDER}"),
                ("Resolution", _plain(case.resolution_notes or "", kb) or f"> {RESOLUTION_PLACEHOLDER}")]
    if article_type == "known-issue":
        status = (f"A defect is filed as {case.bug_reference}; update this article when the fix ships."
                  if case.bug_reference else "No defect is filed for this issue.")
        sections.append(("Status", status))
    origin = f"Captured from case {case.display_id}"
    if case.resolution_code:
        origin += f", closed as `{case.resolution_code}`"
    sections.append(("More information", origin + "."))
    body = "\n\n".join(f"## {heading}\n\n{text}" for heading, text in sections)
    return f"---\n{header}---\n\n{body}\n"


def capture_article(case: Case, articles_dir: Path | str, *, article_type: str = "known-issue",
                    folder: str = DEFAULT_FOLDER, owner: str | None = None,
                    today: date | None = None) -> tuple[str, Path]:
    """Write a draft article for a done case that has no article; returns (id, path).

    :raises CaseRuleError: (rule ``capture``) for an open case or one that already has an article.
    """
    if article_type not in CAPTURE_TYPES:
        raise KBError(f"Captured articles are {' or '.join(CAPTURE_TYPES)}, not '{article_type}'.")
    if not case.is_done:
        raise CaseRuleError("capture", f"{case.display_id} is {case.status}; resolve it before capturing "
                                       "what solved it.")
    if case.links:
        ids = ", ".join(link.article_id for link in case.links)
        raise CaseRuleError("capture", f"{case.display_id} already links {ids}; improve that article "
                                       "instead.")
    root = Path(articles_dir)
    if not root.is_dir():
        raise KBError(f"No articles folder at {root}; pass --articles DIR.")
    target_dir = root / folder
    target_dir.mkdir(parents=True, exist_ok=True)
    kb = load_knowledge_base(root)
    # The id is reserved atomically (a file created exclusively), so captures in two server
    # processes at the same moment get two ids; the lock keeps one process's threads in turn.
    with _claim:
        article_id = reserve_article_id(root)
        path = target_dir / f"{article_id.lower()}-{slug_for_title(case.title)}.md"
        text = render_draft(case, article_id, kb, article_type=article_type, owner=owner, today=today)
        try:
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            raise KBError(f"{path.as_posix()} already exists; capture never overwrites a file.") from None
    return article_id, path


def capture_from_case(engine: Engine, case_id: str | int, articles_dir: Path | str, *,
                      article_type: str = "known-issue", captured_by: str | None = None,
                      folder: str = DEFAULT_FOLDER) -> CapturedArticle:
    """Capture a draft from a stored case and link it to the case as the article that solved it.

    The link fills the knowledge gap the case showed: link-rate reports count the case as
    covered, and the draft's reuse grows as later cases are solved by it.
    """
    case = get_case(engine, case_id)
    article_id, path = capture_article(case, articles_dir, article_type=article_type, folder=folder,
                                       owner=case.owner or captured_by)
    link_article(engine, case.id, article_id, solved=True, linked_by=captured_by)
    return CapturedArticle(article_id, path, get_case(engine, case.id))
