"""Tables for cases, their article links and the self-service contact flow.

Declared on kb's shared ``metadata`` with SQLAlchemy Core types only, so the same schema
runs on SQLite and PostgreSQL. Migrations 10 and up belong to this package; add new ones
at the end and never edit an applied one.
"""

from __future__ import annotations

import sqlalchemy as sa

from kb.db import metadata, register_migration

cases = sa.Table(
    "cases", metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # shown as CAS-000123
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
    sa.Column("product", sa.String(100)),
    sa.Column("severity", sa.String(2), nullable=False),  # 1, A, B, C
    sa.Column("priority", sa.Integer, nullable=False),  # 1 business stops .. 4 routine
    sa.Column("status", sa.String(24), nullable=False, index=True),
    # Where the case came from (portal, engineer, api, import): deflection reports need it.
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("customer", sa.String(200)),
    sa.Column("owner", sa.String(80), index=True),  # a user name; imported owners may not be users
    sa.Column("created_by", sa.String(80)),
    # The case's id in the system it was imported from: re-running an import skips it.
    sa.Column("external_ref", sa.String(100), unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("resolved_at", sa.DateTime),
    sa.Column("closed_at", sa.DateTime, index=True),
    sa.Column("resolution_code", sa.String(60)),
    sa.Column("resolution_notes", sa.Text),
    sa.Column("bug_reference", sa.String(200)),
    # Bumped by every change to the case or its links; caches compare the sum to refresh.
    sa.Column("revision", sa.Integer, nullable=False, default=1),
)

case_links = sa.Table(
    "case_links", metadata,
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    # Not a foreign key: articles live in files, and a link outlives a renamed or removed file.
    sa.Column("article_id", sa.String(100), primary_key=True),
    sa.Column("linked_by", sa.String(80)),
    sa.Column("linked_at", sa.DateTime, nullable=False),
    sa.Column("solved", sa.Boolean, nullable=False, default=False),
    sa.Index("ix_case_links_article", "article_id"),
)

deflection_events = sa.Table(
    "deflection_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),  # one ticket draft
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("article_id", sa.String(100)),  # the article clicked or that solved it
    sa.Column("article_ids", sa.Text),  # JSON list: the suggestions shown
    sa.Column("case_id", sa.Integer, sa.ForeignKey("cases.id", ondelete="SET NULL")),
    sa.Column("query", sa.String(500)),  # what the customer had typed, for gap reports
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)


def _create(*tables: sa.Table):
    return lambda conn: metadata.create_all(conn, tables=list(tables))


register_migration(10, "cases and case-article links", _create(cases, case_links))
register_migration(11, "self-service deflection events", _create(deflection_events))
