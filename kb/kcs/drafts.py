"""One click from a gap topic to a draft article, and to the task of finishing it.

When the topic holds a case closed without an article, the draft is captured from the most
typical such case (:func:`kb.cases.capture.capture_from_case`: symptoms from its
description, resolution from its notes, and the case linked to it, so the gap closes as the
article grows). Otherwise (searches, tickets still open, flags) the draft starts from the
known-issue template with the evidence quoted under Symptoms. Either way the draft lists
the topic's other cases and searches, and a ``gap`` task goes to the draft's owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from kb.articles import parse_article
from kb.authoring import create_article
from kb.cases.capture import DEFAULT_FOLDER, capture_from_case
from kb.cases.store import get_case
from kb.errors import KBError
from kb.kcs import tasks as task_store
from kb.kcs.gaps import SEARCH, UNCLICKED, Topic
from kb.kcs.policy import Policy

EVIDENCE_SHOWN = 10


@dataclass(frozen=True)
class TopicDraft:
    """The draft written for a topic and the task of finishing it."""

    article_id: str
    path: Path
    task: task_store.Task


def topic_key(topic_id: str) -> str:
    return f"gap:{topic_id}"


def draft_for_topic(engine: Engine, topic: Topic, articles_dir: Path | str, *, by: str,
                    policy: Policy) -> TopicDraft:
    """Write a draft article for a gap topic and open the task of finishing it.

    :raises KBError: the topic already has a draft being written (its open task is named).
    """
    root = Path(articles_dir)
    existing = task_store.open_task_for(engine, topic_key(topic.id))
    if existing is not None:
        raise KBError(f"{existing.article_id} is already being written for this topic (task {existing.id}).")
    best = topic.best_case
    case = get_case(engine, best.case_id) if best is not None else None
    if case is not None and case.is_done and not case.links:
        captured = capture_from_case(engine, case.id, root, captured_by=by)
        article_id, path = captured.article_id, captured.path
    else:
        example = topic.representative or topic.items[0]
        title = example.title.capitalize() if example.kind in (SEARCH, UNCLICKED) else example.title
        created = create_article(root, "known-issue", title[:200], subdir=DEFAULT_FOLDER, owner=by,
                                 product=example.product)
        article_id, path = created.id, created.path
        _quote_evidence(path, topic)
    _list_topic(path, topic)
    article = parse_article(path, root).article
    owner, source = policy.owner_for(article) if article is not None else (None, None)
    task, _ = task_store.raise_task(
        engine, kind=task_store.GAP, key=topic_key(topic.id), title=f"Finish the draft {article_id} for a knowledge gap",
        detail=f"Topic “{topic.label}”: {topic.size} unanswered cases, searches or flags.", article_id=article_id,
        topic_id=topic.id, owner=owner or by, owner_source=source or "user", created_by=by, fold=False)
    return TopicDraft(article_id, path, task)


def _evidence(topic: Topic) -> list[str]:
    lines = []
    for item in topic.examples[:EVIDENCE_SHOWN]:
        times = f" ({item.weight} times)" if item.weight > 1 else ""
        lines.append(f"- {item.kind}: {_one_line(item.label)}{times}")
    if len(topic.items) > EVIDENCE_SHOWN:
        lines.append(f"- and {len(topic.items) - EVIDENCE_SHOWN} more")
    return lines


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."


def _quote_evidence(path: Path, topic: Topic) -> None:
    """Put what readers asked under the template's Symptoms heading (its guidance stays)."""
    text = path.read_text(encoding="utf-8")
    evidence = "What readers asked that the knowledge base couldn't answer:\n\n" + "\n".join(_evidence(topic))
    text = text.replace("## Symptoms\n\n", f"## Symptoms\n\n{_escape(evidence)}\n\n", 1)
    path.write_text(text, encoding="utf-8")


def _list_topic(path: Path, topic: Topic) -> None:
    """Append the topic's evidence, so the author sees every case and search it answers."""
    lines = [f"Written for the knowledge-gap topic “{_escape(topic.label)}” ({topic.size} items):", "",
             *(_escape(line) for line in _evidence(topic))]
    text = path.read_text(encoding="utf-8").rstrip("\n")
    heading = "" if "\n## More information" in text else "\n\n## More information"
    path.write_text(f"{text}{heading}\n\n" + "\n".join(lines) + "\n", encoding="utf-8")


def _escape(text: str) -> str:
    """Customer text as plain Markdown: no headings, links or HTML of its own."""
    out = []
    for line in text.split("\n"):
        out.append(line.replace("<", "&lt;").replace("[", "\\[").replace("#", "\\#"))
    return "\n".join(out)
