"""Admin pages: the list of users and their roles."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from kb.errors import KBError
from kb.users import ROLES, get_user_by_id, list_users, set_role
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
    engine = services().engine
    user = get_user_by_id(engine, user_id)
    role = request.form.get("role", "")
    if user is None:
        flash("That user doesn't exist or is disabled.", "error")
    elif user.id == g.user.id and role != "admin":
        flash("You can't remove your own admin role; ask another admin.", "error")
    else:
        try:
            set_role(engine, user.name, role)
        except KBError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.name} is now {role}.", "success")
    return redirect(url_for("admin.users"))
