"""Insight pages of the knowledge loop: gap topics and duplicates, and validating articles.

* ``/insights/topics``: what the knowledge base failed to answer, grouped into topics, with
  the nearest existing articles; authors turn a topic into a draft and a task in one click.
* ``/insights/duplicates``: pairs that probably say the same thing; authors merge a pair
  (one archived with ``superseded_by`` the other, written to its file; the cases it solved
  are linked to the survivor, so its reuse carries over) or mark it as not a duplicate.
* ``POST /authoring/validate/<id>``: an author records that they validated an article.

Both lists have CSV twins. Staff only: topics quote customers and name internal articles.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for

from kb.cases.store import carry_links, reuse_counts
from kb.errors import KBError
from kb.kcs import tasks as task_store
from kb.kcs.confidence import needing_validation
from kb.kcs.drafts import draft_for_topic
from kb.kcs.edit import EditConflict, approve, archive
from kb.kcs.gaps import KINDS as EVIDENCE_KINDS
from kb.kcs.sweep import duplicate_key
from web import params
from web.auth import staff_required
from web.authoring import author_required
from web.loop import loop
from web.services import catalog, services

bp = Blueprint("kcs_pages", __name__)

TOPICS_SHOWN = 50
NEAREST = 3
PAIRS_SHOWN = 100
WINDOWS = (30, 90, 365)


def _days() -> int:
    try:
        days = params.integer(request.args, "days", 90, low=1, high=3650)
    except params.BadParameter:
        days = 90
    return days


def _nearest(topic) -> list:
    example = topic.representative
    if example is None:
        return []
    try:
        return catalog().suggest(g.reader, example.title, example.body, limit=NEAREST).hits
    except KBError:
        return []  # no index yet


@bp.route("/insights/topics")
@staff_required
def topics():
    """Knowledge-gap topics, biggest first."""
    days = _days()
    found = loop().topics(days)
    shown = found[:TOPICS_SHOWN]
    drafts = {t.id: task_store.open_task_for(services().engine, f"gap:{t.id}") for t in shown}
    return render_template("insights/topics.html", topics=shown, total=len(found), days=days, windows=WINDOWS,
                           nearest={t.id: _nearest(t) for t in shown}, drafts=drafts, kinds=EVIDENCE_KINDS,
                           with_meaning=loop().embed() is not None)


@bp.route("/insights/topics.csv")
@staff_required
def topics_csv():
    """Gap topics as CSV."""
    rows = [(t.id, t.label, t.size, *(t.counts.get(k, 0) for k in EVIDENCE_KINDS), *t.trend(),
             t.representative.label if t.representative else "") for t in loop().topics(_days())]
    return _csv("kb-gap-topics.csv", ("topic", "terms", "size", *EVIDENCE_KINDS, "last_30_days", "previous_30_days",
                                      "example"), rows)


@bp.route("/insights/topics/<topic_id>/draft", methods=["POST"])
@author_required
def draft(topic_id: str):
    """Write a draft article for a topic and open the task of finishing it."""
    topic = loop().topic(topic_id, _days())
    if topic is None:
        flash("That topic has changed since the page was shown; here are the current ones.", "error")
        return redirect(url_for("kcs_pages.topics"))
    try:
        made = draft_for_topic(services().engine, topic, services().articles_dir, by=g.user.name,
                               policy=loop().policy)
    except KBError as exc:
        flash(str(exc), "error")
        return redirect(url_for("kcs_pages.topics", _anchor=topic_id))
    flash(f"Draft {made.article_id} written to {made.path.name}; task {made.task.id} is {made.task.owner}'s.",
          "success")
    return redirect(url_for("authoring.preview", article_id=made.article_id))


def _visible_pairs(limit: int):
    kb = loop().knowledge_base()
    visible = {a.id: a for a in kb.articles.values() if a.status in g.reader.filter_statuses}
    pairs, with_meaning = loop().duplicates()
    dismissed = {t.subject for t in task_store.list_tasks(services().engine, status=task_store.DISMISSED,
                                                          kind=task_store.DUPLICATE)}
    shown = [p for p in pairs if p.a in visible and p.b in visible and duplicate_key(p.a, p.b) not in dismissed]
    return shown[:limit], visible, with_meaning


@bp.route("/insights/duplicates")
@staff_required
def duplicates():
    """Likely duplicate pairs, most likely first."""
    pairs, articles, with_meaning = _visible_pairs(PAIRS_SHOWN)
    return render_template("insights/duplicates.html", pairs=pairs, articles=articles, with_meaning=with_meaning,
                           reuse=reuse_counts(services().engine))


@bp.route("/insights/duplicates.csv")
@staff_required
def duplicates_csv():
    """Likely duplicate pairs as CSV."""
    pairs, articles, _ = _visible_pairs(500)
    rows = [(p.a, articles[p.a].title, p.b, articles[p.b].title, round(p.score, 4), round(p.similarity, 4),
             "; ".join(p.why)) for p in pairs]
    return _csv("kb-duplicates.csv", ("a", "title_a", "b", "title_b", "score", "similarity", "why"), rows)


@bp.route("/insights/duplicates/merge", methods=["POST"])
@author_required
def merge():
    """Archive ``retire`` as superseded by ``keep``; or, with ``action=distinct``, record that
    the two are not duplicates."""
    kb = loop().knowledge_base()
    keep, retire = kb.get(request.form.get("keep", "")), kb.get(request.form.get("retire", ""))
    if keep is None or retire is None or keep.id == retire.id:
        flash("Choose two different articles that are still in the knowledge base.", "error")
        return redirect(url_for("kcs_pages.duplicates"))
    engine = services().engine
    key = duplicate_key(keep.id, retire.id)
    if request.form.get("action") == "distinct":
        task, _ = task_store.raise_task(engine, kind=task_store.DUPLICATE, key=key, title="Not duplicates",
                                        article_id=keep.id, other_article_id=retire.id, created_by=g.user.name,
                                        fold=False)
        if task.is_open:
            task_store.resolve_task(engine, task.id, status=task_store.DISMISSED,
                                    note=f"{g.user.name}: they say different things.", by=g.user.name)
        flash(f"{keep.id} and {retire.id} won't be listed as duplicates again.", "success")
        return redirect(url_for("kcs_pages.duplicates"))
    try:
        archive(services().articles_dir, retire, keep)
    except (EditConflict, KBError) as exc:
        flash(str(exc), "error")
        return redirect(url_for("kcs_pages.duplicates"))
    carried = carry_links(engine, retire.id, keep.id)
    task_store.close_for(engine, key, f"Merged: {retire.id} archived, superseded by {keep.id}.", by=g.user.name)
    services().signals.invalidate()
    loop().forget_duplicates()
    flash(f"{retire.id} is archived and points readers to {keep.id}; {carried} case link(s) carried over. "
          "Search shows the change after the next `kb index`.", "success")
    return redirect(url_for("kcs_pages.duplicates"))


@bp.route("/authoring/validate/<article_id>", methods=["POST"])
@author_required
def validate(article_id: str):
    """Record that the signed-in author validated an article (written to its file)."""
    article = loop().knowledge_base().get(article_id)
    if article is None:
        flash(f"No article {article_id} in the knowledge base folder.", "error")
        return redirect(url_for("authoring.queue"))
    try:
        approve(services().articles_dir, article, g.user.name)
    except KBError as exc:
        flash(str(exc), "error")
        return redirect(url_for("authoring.queue"))
    flash(f"{article_id} validated by {g.user.name}. It shows as validated after the next `kb index`.", "success")
    return redirect(url_for("authoring.queue", _anchor="validation-title"))


def _csv(filename: str, columns: tuple, rows) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                         for v in row])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.app_context_processor
def validation_helpers() -> dict:
    """``needs_validation()``: articles readers use that no approver validated, most reused first."""
    def needs_validation():
        reuse = reuse_counts(services().engine)
        waiting = needing_validation(loop().knowledge_base().articles.values())
        return sorted(((a, reuse.get(a.id, 0)) for a in waiting), key=lambda p: (-p[1], p[0].id))

    return {"needs_validation": needs_validation}
