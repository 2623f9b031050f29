"""The knowledge loop's API: flags, tasks and gap and duplicate insights.

``POST /api/articles/<id>/flags`` is open to every reader who can see the article
(anonymous and customer flags are rate-limited, and a hidden article answers 404 exactly
like a missing one); tasks and insights are for support staff. Described in
``web/openapi/kcs.yaml``.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for

from kb.cases.store import reuse_counts
from kb.kcs.flags import MAX_COMMENT
from kb.kcs.tasks import KINDS, STATUSES, TaskError, by_impact, get_task, impact, list_tasks, resolve_task
from kb.kcs.views import views_since
from web import params
from web.bodies import request_body
from web.case_api import staff_api
from web.flagging import flag
from web.loop import loop
from web.payloads import article_endpoint, json_body
from web.services import catalog, services

bp = Blueprint("kcs_api", __name__, url_prefix="/api")

MAX_TASKS = 500
DEFAULT_TOPICS = 20
MAX_TOPICS = 100
NEAREST_ARTICLES = 3


@bp.errorhandler(TaskError)
def refused(exc: TaskError):
    """409 when the task is no longer open; 400 naming the field otherwise."""
    status = 409 if exc.field == "status" and "already" in str(exc) else 400
    return jsonify({"error": str(exc), "status": status, "parameter": exc.field}), status


@bp.route("/articles/<article_id>/flags", methods=["POST"])
def flag_article(article_id: str):
    """Flag an article the caller can see; 201 with the flag (staff also get the task).

    The body's fields are checked only after the article is found (web.flagging), so a
    hidden article answers 404 whatever the body holds."""
    body = json_body()
    comment = body.get("comment")
    if isinstance(comment, str) and len(comment) > MAX_COMMENT:
        raise params.BadParameter("comment", f"'comment' is too long: at most {MAX_COMMENT} characters.")
    recorded, task = flag(g.reader, article_id, body.get("reason"), comment, source="api",
                          case_id=body.get("case_id"))
    out = {"id": recorded.id, "article_id": recorded.article_id, "reason": recorded.reason,
           "created_at": recorded.created_at.isoformat()}
    if g.reader.is_staff:
        out["task"] = task_json(task)
    return jsonify(out), 201


def task_json(task, views=None, reuse=None) -> dict:
    """A task as the API documents it, with the reader's links to its articles."""
    data = task.as_dict()
    data.pop("subject", None)
    data["url"] = url_for("tasks.task_page", task_id=task.id, _external=True)
    data["articles"] = [{"id": a, "url": url_for(article_endpoint(g.reader), article_id=a, _external=True)}
                        for a in task.article_ids]
    if views is not None:
        data["impact"] = impact(task, views, reuse or {})
    return data


@bp.route("/tasks")
@staff_api
def tasks():
    """Tasks by impact: ``owner`` (a name, ``me`` for the caller and their teams, or
    ``unassigned``), ``status`` (open, done, dismissed or all) and ``kind``."""
    args = request.args
    owner = params.text(args, "owner", max_chars=80)
    status = params.text(args, "status") or "open"
    if status not in (*STATUSES, "all"):
        raise params.BadParameter("status", f"'status' must be one of {', '.join(STATUSES)} or all.")
    kind = params.text(args, "kind")
    if kind and kind not in KINDS:
        raise params.BadParameter("kind", f"'kind' must be one of {', '.join(KINDS)}.")
    limit = params.integer(args, "limit", 100, low=1, high=MAX_TASKS)
    loop().maybe_sweep()
    owners = None
    if owner == "me":
        owners = loop().policy.owners_of(g.user.name)
    elif owner and owner != "unassigned":
        owners = [owner]
    found = list_tasks(services().engine, owners=owners, status=None if status == "all" else status, kind=kind,
                       unassigned=owner == "unassigned", limit=10_000)
    views, reuse = views_since(services().engine), reuse_counts(services().engine)
    ranked = by_impact(found, views, reuse)
    return jsonify({"total": len(ranked), "tasks": [task_json(t, views, reuse) for t in ranked[:limit]]})


@bp.route("/tasks/<task_id>")
@staff_api
def task(task_id: str):
    """One task."""
    return jsonify(task_json(get_task(services().engine, task_id)))


@bp.route("/tasks/<task_id>", methods=["POST"])
@staff_api
def resolve(task_id: str):
    """Close a task: ``{"status": "done", "note"?, "fixed_in"?}`` or ``{"status": "dismissed", "note"}``."""
    body = request_body("ResolveRequest")
    status = params.text(body, "status") or "done"
    note = params.text(body, "note", max_chars=2000)
    fixed_in = params.text(body, "fixed_in", max_chars=64)
    found = resolve_task(services().engine, task_id, status=status, note=note, fixed_in=fixed_in, by=g.user.name)
    return jsonify(task_json(found))


def topic_json(topic, reader) -> dict:
    """A gap topic with its nearest existing articles (as the reader may see them)."""
    data = topic.as_dict()
    data["url"] = url_for("kcs_pages.topics", _anchor=topic.id, _external=True)
    example = topic.representative
    nearest = []
    if example is not None:
        try:
            page = catalog().suggest(reader, example.title, example.body, limit=NEAREST_ARTICLES)
            nearest = [{"id": h.id, "title": h.title, "score": round(float(h.score), 4),
                        "url": url_for(article_endpoint(reader), article_id=h.id, _external=True)}
                       for h in page.hits]
        except Exception:  # noqa: BLE001 - no index yet: topics are still worth showing
            nearest = []
    data["nearest_articles"] = nearest
    return data


@bp.route("/insights/gaps")
@staff_api
def gaps():
    """Knowledge-gap topics, biggest first, with their counts, trend, examples and nearest articles."""
    days = params.integer(request.args, "days", 90, low=1, high=3650)
    limit = params.integer(request.args, "limit", DEFAULT_TOPICS, low=1, high=MAX_TOPICS)
    topics = loop().topics(days)
    return jsonify({"days": days, "total": len(topics),
                    "topics": [topic_json(t, g.reader) for t in topics[:limit]]})


@bp.route("/insights/duplicates")
@staff_api
def duplicates():
    """Pairs of articles that probably say the same thing, most likely first."""
    limit = params.integer(request.args, "limit", 50, low=1, high=500)
    visible = {a.id for a in loop().knowledge_base().articles.values() if a.status in g.reader.filter_statuses}
    pairs, with_meaning = loop().duplicates()
    shown = [p for p in pairs if p.a in visible and p.b in visible][:limit]
    return jsonify({"meaning": with_meaning, "pairs": [p.as_dict() for p in shown]})
