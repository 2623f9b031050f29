"""Pages for authors: the review queue, the content-health report and the live preview.

Everything here reads the articles folder as it is on disk *now* (through
:class:`kb.live.LiveKnowledgeBase`, which re-parses only changed files), because an
author wants to see the file they just saved, including when it doesn't parse. Readers
and search keep using the index, which holds the last good version of a broken file.

With ``WATCH`` set (``kb serve --watch``), :func:`init_app` also starts the polling
watcher that reindexes changed files and refreshes the app's searcher right after.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from kb.articles import content_hash, parse_article
from kb.errors import IndexMissing, KBError
from kb.model import Article, Problem
from web.notices import notify
from web.render import ArticleView, article_view
from web.services import catalog, services

bp = Blueprint("authoring", __name__)

QUEUE_LIMIT = 200
SIMILAR_LIMIT = 5
RELOAD_POLL_MS = 1000
HISTORY_LIMIT = 10


def author_required(view):
    """Views for authors and admins: anonymous readers sign in first, others get 403."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if not g.user.can_author:
            abort(403, description="The review queue, content health and previews are for authors. If you "
                                   "write or review articles, ask an administrator for the author role.")
        return view(*args, **kwargs)
    return wrapped


def live_kb():
    """The knowledge base as it is on disk now (shared by the app, refreshed at most every second)."""
    state = current_app.extensions.setdefault("kb_authoring", {})
    if "live" not in state:
        from kb.live import LiveKnowledgeBase

        state["live"] = LiveKnowledgeBase(services().articles_dir)
    return state["live"]


@bp.route("/authoring/")
@author_required
def index():
    """The authoring area starts at the queue."""
    return redirect(url_for("authoring.queue"))


@bp.route("/authoring/queue")
@author_required
def queue():
    """Articles waiting for a reviewer, past their review date, and drafts in progress."""
    kb = live_kb().get()
    today = date.today()
    current = [a for a in kb.articles.values() if a.status != "archived"]
    in_review = sorted((a for a in current if a.status == "review"),
                       key=lambda a: (a.updated or date.min, a.id))
    overdue = sorted((a for a in current if a.review_by and a.review_by < today),
                     key=lambda a: (a.review_by, a.id))
    drafts = sorted((a for a in current if a.status == "draft"), key=lambda a: (a.updated or date.min, a.id),
                    reverse=True)
    broken = sorted(rel for rel, result in kb.results.items() if not result.ok)
    return render_template("authoring/queue.html", in_review=in_review[:QUEUE_LIMIT],
                           overdue=overdue[:QUEUE_LIMIT], drafts=drafts[:QUEUE_LIMIT],
                           broken=broken[:QUEUE_LIMIT],
                           counts={"review": len(in_review), "overdue": len(overdue), "drafts": len(drafts),
                                   "broken": len(broken)},
                           today=today)


@bp.route("/authoring/report")
@author_required
def report():
    """Stale articles, orphans and the most-searched terms with no good answer (HTML or JSON)."""
    from kb.report import build_report

    result = build_report(live_kb().get(), engine=services().engine)
    if request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json":
        return jsonify(result.as_dict())
    return render_template("authoring/report.html", report=result)


@dataclass
class Preview:
    """What the live preview of one file shows."""

    path: str  # relative to the articles folder
    version: str  # hash of the file's bytes now ("" when it is gone)
    article: Article | None  # the file as it parses now; None when it doesn't
    view: ArticleView | None
    problems: list[Problem] = field(default_factory=list)  # errors first, then warnings
    indexed: Article | None = None  # what readers and search see (the last good version)
    indexed_view: ArticleView | None = None

    @property
    def errors(self) -> list[Problem]:
        """The problems that keep the file out of the index."""
        return [p for p in self.problems if p.is_error]


def find_path(article_id: str) -> str | None:
    """The file of an article id: from the disk, else the index's last good version."""
    live = live_kb()
    kb = live.get()
    article = kb.get(article_id)
    if article is not None:
        return article.path
    indexed = _indexed(article_id)
    if indexed is not None and (kb.root / indexed.path).is_file():
        return indexed.path
    for rel, result in kb.results.items():
        if not result.ok and live.last_good_id(rel) == article_id:
            return rel
    return indexed.path if indexed is not None else None


def _indexed(article_id: str) -> Article | None:
    """The indexed (last good) version, whatever its status; None without an index."""
    try:
        return catalog().get(g.reader, article_id, include_archived=True)
    except IndexMissing:
        return None


def build_preview(article_id: str) -> Preview:
    """Parse the article's file as it is now and gather what the preview shows.

    :raises werkzeug.exceptions.NotFound: no file and no indexed version has this id.
    """
    from kb.lint import CHECKS

    rel = find_path(article_id)
    if rel is None:
        abort(404)
    root = services().articles_dir
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError:
        data = None
    result = parse_article(path, root, data) if data is not None else None
    problems = list(result.problems) if result else [
        Problem((root / rel).as_posix(), 1, "file", "has been deleted or can't be read", rule="unreadable")]
    article = result.article if result and result.ok else None
    view = None
    if article is not None:
        kb = live_kb().get()
        for check in CHECKS:
            problems.extend(check(article, kb, date.today()))
        view = article_view(article, g.reader, "articles.article")
    problems.sort(key=lambda p: (not p.is_error, p.line))
    indexed = _indexed(article_id)
    indexed_view = None
    if article is None and indexed is not None:
        indexed_view = article_view(indexed, g.reader, "articles.article")
    return Preview(rel, content_hash(data) if data is not None else "", article, view, problems, indexed,
                   indexed_view)


def similar_to(article: Article, limit: int = SIMILAR_LIMIT) -> list:
    """Existing articles like this one (title and symptoms), likely duplicates flagged."""
    from kb.authoring import similar_from_hits, similar_in

    symptoms = article.outline.sections.get("symptoms", "")
    try:
        page = catalog().suggest(g.reader, article.title, symptoms, limit=limit + 1)
    except (IndexMissing, KBError):
        found = similar_in(live_kb().get().articles.values(), article.title, limit=limit + 1,
                           exclude={article.id})
    else:
        found = similar_from_hits(article.title, page.hits)
    # A match that would read "0% similar" is no match to show.
    return [s for s in found if s.id != article.id and round(s.similarity * 100) > 0][:limit]


@bp.route("/authoring/preview/<article_id>")
@author_required
def preview(article_id: str):
    """The live preview: the file as saved now, its problems, history and look-alikes; reloads on save."""
    from kb.history import file_history

    pv = build_preview(article_id)
    subject = pv.article or pv.indexed
    similar = similar_to(subject) if subject is not None else []
    history = file_history(services().articles_dir, pv.path, limit=HISTORY_LIMIT)
    return render_template("authoring/preview.html", pv=pv, article=subject, view=pv.view or pv.indexed_view,
                           similar=similar, history=history, staff=True, article_id=article_id,
                           version_url=url_for("authoring.version", article_id=article_id),
                           poll_ms=RELOAD_POLL_MS)


@bp.route("/authoring/preview/<article_id>/reader")
@author_required
def reader_page(article_id: str):
    """The article as readers will see it once published, from the file as saved now (drafts too)."""
    pv = build_preview(article_id)
    subject = pv.article or pv.indexed
    if subject is None:
        abort(404)
    return render_template("articles/article.html", view=pv.view or pv.indexed_view, article=subject,
                           redirected_from=None, preview=True, can_link_cases=False,
                           share_url=url_for("authoring.preview", article_id=article_id, _external=True),
                           feedback_url=url_for("authoring.preview", article_id=article_id))


@bp.route("/authoring/review/<article_id>", methods=["POST"])
@author_required
def review(article_id: str):
    """Approve an article in review, or send it back with the changes wanted (file + Git history)."""
    from kb.review import APPROVE, ReviewError, decide

    back = request.form.get("back") == "preview"
    target = (url_for("authoring.preview", article_id=article_id, _anchor="review") if back
              else url_for("authoring.queue", _anchor=f"review-{article_id}"))
    rel = find_path(article_id)
    if rel is None:
        abort(404)
    decision = request.form.get("decision", "")
    try:
        done = decide(services().articles_dir, rel, article_id, decision, reviewer=g.user.name,
                      note=request.form.get("note", ""))
    except ReviewError as exc:
        notify(str(exc), "review" if back else f"review-{article_id}", "error")
        return redirect(target)
    live_kb().expire()
    where = (f" and committed as {done.commit}" if done.commit
             else " (the folder isn't a Git repository: no commit)")
    verb = "Approved and published" if decision == APPROVE else "Sent back to draft with your note"
    watching = current_app.config.get("WATCH")
    readers = " Readers see it after the next `kb index`." if decision == APPROVE and not watching else ""
    notify(f"{verb}: {article_id}. Recorded in {done.path}{where}.{readers}", "review-done")
    return redirect(url_for("authoring.queue", _anchor="review-done"))


@bp.route("/authoring/preview/<article_id>/version")
@author_required
def version(article_id: str):
    """The hash of the article's file now: the preview page reloads when it changes."""
    rel = find_path(article_id)
    if rel is None:
        abort(404)
    try:
        digest = content_hash((services().articles_dir / rel).read_bytes())
    except OSError:
        digest = ""
    response = jsonify({"id": article_id, "path": rel, "version": digest})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def authoring_helpers() -> dict:
    """Helpers any page may use: ``article_history(article)`` (staff only, else None)."""
    return {"article_history": article_history}


def article_history(article: Article):
    """The Git history of an article's file for staff readers; None for everyone else.

    For article pages: ``{% with history = article_history(article) %}{% if history %}
    {% include "authoring/_history.html" %}{% endif %}{% endwith %}``.
    """
    from kb.history import file_history

    if g.get("user") is None or not g.user.is_staff:
        return None
    return file_history(services().articles_dir, article.path, limit=HISTORY_LIMIT)


# -- kb serve --watch -------------------------------------------------------------------------

def init_app(app: Flask) -> None:
    """Start the watcher when the app's ``WATCH`` config is set (``kb serve --watch``, ``KB_WATCH``)."""
    if not app.config.get("WATCH"):
        return
    from indexer.watch import Watcher

    svc = app.extensions["kb"]

    def refresh(_report) -> None:
        # Search sees the new version at once instead of at the searcher's next check.
        with contextlib.suppress(KBError):
            svc.catalog.searcher.refresh()

    watcher = Watcher(Path(app.config["ARTICLES_DIR"]), Path(app.config["INDEX_DIR"]), on_reindex=refresh)
    app.extensions.setdefault("kb_authoring", {})["watcher"] = watcher.start()
    atexit.register(watcher.stop)
