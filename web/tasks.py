"""The task queue at /tasks: each owner's knowledge work, by impact, with its age.

A queue is one owner's (``?owner=me``: the signed-in user and their teams from the
mapping file), one team's or person's (``?owner=NAME``), everyone's (``all``) or nobody's
(``unassigned``). Opening a queue runs the sweep that raises due tasks (at most every few
minutes). A task's page shows its flags and closes it: done, with what was done, or
dismissed, with why.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kb.cases.store import reuse_counts
from kb.cases.store import format_case_id
from kb.kcs.flags import SOURCES, flags_for_task
from kb.kcs.policy import FROM_ARTICLE
from kb.kcs.tasks import (
    DISMISSED,
    DONE,
    KINDS,
    OPEN,
    STATUSES,
    TaskError,
    by_impact,
    get_task,
    impact,
    list_tasks,
    owners_with_tasks,
    resolve_task,
)
from kb.kcs.views import views_since
from web.auth import staff_required
from web.loop import loop
from web.services import catalog, services

bp = Blueprint("tasks", __name__)

PAGE_SIZE = 100
OWNER_SOURCES = {FROM_ARTICLE: "the article's owner", "product": "fallback owner for its product",
                 "folder": "fallback owner for its folder", "default": "the default owner"}


def _queue_owners(choice: str) -> tuple[list[str] | None, bool, str]:
    """(owners to filter by, unassigned only, heading) for the ``owner`` parameter."""
    if choice == "all":
        return None, False, "All open tasks"
    if choice == "unassigned":
        return None, True, "Tasks nobody owns"
    if choice == "me":
        mine = list(loop().policy.owners_of(g.user.name))
        teams = mine[1:]
        return mine, False, "My tasks" + (f" and my teams' ({', '.join(teams)})" if teams else "")
    return [choice], False, f"Tasks of {choice}"


@bp.route("/tasks")
@staff_required
def queue():
    """The task queue, highest impact first."""
    choice = (request.args.get("owner") or "me").strip()[:80] or "me"
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    status = request.args.get("status") if request.args.get("status") in STATUSES else OPEN
    loop().maybe_sweep()
    owners, unassigned, heading = _queue_owners(choice)
    engine = services().engine
    found = list_tasks(engine, owners=owners, status=status, kind=kind, unassigned=unassigned, limit=10_000)
    views, reuse = views_since(engine), reuse_counts(engine)
    ranked = by_impact(found, views, reuse)
    rows = [(t, impact(t, views, reuse)) for t in ranked[:PAGE_SIZE]]
    return render_template("tasks/queue.html", rows=rows, total=len(ranked), heading=heading, choice=choice,
                           kind=kind, status=status, kinds=KINDS, statuses=STATUSES,
                           owners=owners_with_tasks(engine), titles=_titles(t for t, _ in rows))


def _titles(found) -> dict[str, str]:
    """Titles of the articles of these tasks that the reader may see (others show their id)."""
    ids = {a for t in found for a in t.article_ids}
    return {a.id: a.title for a in catalog().visible_ids(g.reader, sorted(ids))} if ids else {}


@bp.route("/tasks/<task_id>")
@staff_required
def task_page(task_id: str):
    """One task: what it is about, its flags, and the form that closes it."""
    found = get_task(services().engine, task_id)
    articles = {a: catalog().get(g.reader, a, include_archived=True) for a in found.article_ids}
    return render_template("tasks/task.html", task=found, articles=articles, kinds=KINDS,
                           flags=flags_for_task(services().engine, found.id), sources=SOURCES,
                           owner_sources=OWNER_SOURCES, done=DONE, dismissed=DISMISSED, case_label=format_case_id)


@bp.route("/tasks/<task_id>", methods=["POST"])
@staff_required
def close_task(task_id: str):
    """Close a task from its page: done (note or commit) or dismissed (reason)."""
    status = DISMISSED if request.form.get("action") == "dismiss" else DONE
    try:
        found = resolve_task(services().engine, task_id, status=status, note=request.form.get("note"),
                             fixed_in=request.form.get("fixed_in"), by=g.user.name)
    except TaskError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tasks.task_page", task_id=task_id, _anchor="close"))
    flash(f"Task {found.id} {'dismissed' if status == DISMISSED else 'done'}. Thank you.", "success")
    return redirect(url_for("tasks.queue"))
