"""Admin pages: the list of users, their roles, and disabling or signing out an account."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kb.errors import KBError
from kb.users import ROLES, end_sessions, get_user_by_id, list_users, set_disabled, set_role
from web.auth import admin_required
from web.services import services

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users")
@admin_required
def users():
    """Every user with a form to change their role."""
    return render_template("admin/users.html", users=list_users(services().engine), roles=ROLES)


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def change_role(user_id: int):
    """Give a user another role; admins can't demote themselves (someone must stay admin)."""
    user = get_user_by_id(services().engine, user_id)
    role = request.form.get("role", "")
    if user is None:
        flash("That user doesn't exist.", "error")
    elif user.id == g.user.id and role != "admin":
        flash("You can't remove your own admin role; ask another admin.", "error")
    else:
        try:
            set_role(services().engine, user.name, role)
        except KBError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.name} is now {role}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/access", methods=["POST"])
@admin_required
def change_access(user_id: int):
    """Disable an account (ending its sessions everywhere), enable it again, or sign it out."""
    user = get_user_by_id(services().engine, user_id)
    action = request.form.get("action", "")
    if user is None:
        flash("That user doesn't exist.", "error")
    elif user.id == g.user.id and action in ("disable", "sign-out"):
        flash("You can't disable or sign out your own account here; ask another admin.", "error")
    elif action in ("disable", "enable"):
        _, ended = set_disabled(services().engine, user.name, action == "disable")
        flash(f"{user.name} is disabled; {ended} session(s) ended." if action == "disable"
              else f"{user.name} is enabled and may sign in again.", "success")
    elif action == "sign-out":
        ended = end_sessions(services().engine, user.name)
        flash(f"{user.name} is signed out everywhere ({ended} session(s) ended).", "success")
    else:
        flash("Choose disable, enable or sign-out.", "error")
    return redirect(url_for("admin.users"))
