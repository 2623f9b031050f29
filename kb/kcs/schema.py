"""Tables of the knowledge loop: tasks, flags, article views and clicks from searches.

SQLAlchemy Core types only, so the same schema runs on SQLite and PostgreSQL. Migrations
400 and up belong to this package; add new ones at the end and never edit an applied one.
Article ids are plain strings, not foreign keys: articles live in files, and a task or a
flag outlives a renamed or removed file.
"""

from __future__ import annotations

import sqlalchemy as sa

from kb.db import metadata, register_migration

tasks = sa.Table(
    "kcs_tasks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # flag, review, helpfulness, validate, gap or duplicate (kb.kcs.tasks.KINDS).
    sa.Column("kind", sa.String(20), nullable=False, index=True),
    sa.Column("status", sa.String(12), nullable=False, index=True),  # open, done, dismissed
    # What the task is about ("flag:KB0042", "duplicate:KB0001|KB0007"), and the same again
    # while the task is open (cleared when it closes): the unique index keeps one open task
    # per subject, even when two server processes raise it at the same moment.
    sa.Column("subject", sa.String(250), nullable=False, index=True),
    sa.Column("open_key", sa.String(250), unique=True),
    sa.Column("article_id", sa.String(100), index=True),
    sa.Column("other_article_id", sa.String(100)),  # the second article of a duplicate pair
    sa.Column("topic_id", sa.String(40)),  # the gap topic a draft was written for
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Column("owner", sa.String(80), index=True),  # a user or a team; None: nobody yet
    sa.Column("owner_source", sa.String(20)),  # article, product, folder, default, user
    sa.Column("events", sa.Integer, nullable=False, default=1),  # flags (or votes) folded into it
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("created_by", sa.String(80)),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("resolved_by", sa.String(80)),
    sa.Column("note", sa.Text),  # what was done, or why it was dismissed
    sa.Column("fixed_in", sa.String(64)),  # the commit or change that fixed it, when there is one
)

flags = sa.Table(
    "kcs_flags", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.String(100), nullable=False, index=True),
    sa.Column("reason", sa.String(24), nullable=False),
    sa.Column("comment", sa.Text, nullable=False, default=""),
    # article (the engineer's page), case (while reusing it), help (the help center), api
    sa.Column("source", sa.String(12), nullable=False),
    sa.Column("case_id", sa.Integer),
    sa.Column("user_name", sa.String(80)),  # None for anonymous readers of the help center
    sa.Column("task_id", sa.Integer, sa.ForeignKey("kcs_tasks.id", ondelete="SET NULL")),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)

article_views = sa.Table(
    "kcs_article_views", metadata,
    sa.Column("article_id", sa.String(100), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("views", sa.Integer, nullable=False, default=0),
)

search_clicks = sa.Table(
    "kcs_search_clicks", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The search as the gap report groups it: trimmed, lower-cased, at most 1000 characters.
    sa.Column("query", sa.String(1000), nullable=False, index=True),
    sa.Column("article_id", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
)


register_migration(400, "knowledge loop: tasks and flags",
                   lambda conn: metadata.create_all(conn, tables=[tasks, flags]))
register_migration(401, "knowledge loop: article views per day",
                   lambda conn: metadata.create_all(conn, tables=[article_views]))
register_migration(402, "knowledge loop: results opened from a search",
                   lambda conn: metadata.create_all(conn, tables=[search_clicks]))
