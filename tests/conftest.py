"""Fixtures shared by every part of the suite."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.databases import BACKENDS, TEMPLATE, PostgresUnavailable, start_cluster

REPO = Path(__file__).resolve().parents[1]
ARTICLES = REPO / "articles"
TAXONOMY = ARTICLES / "resolution-codes.yaml"
SYNONYMS = ARTICLES / "synonyms.yaml"


def article_text(front: str, body: str = "Some text.\n") -> str:
    """A Markdown article from front-matter lines and a body (both dedented)."""
    return f"---\n{textwrap.dedent(front).strip()}\n---\n{textwrap.dedent(body)}"


@pytest.fixture
def make_kb(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: text}`` into a fresh articles folder with the real taxonomy."""

    def make(files: dict[str, str], root: Path | None = None) -> Path:
        root = root or tmp_path / "articles"
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(TAXONOMY, root / TAXONOMY.name)
        if SYNONYMS.exists():
            shutil.copy(SYNONYMS, root / SYNONYMS.name)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return make


# --- databases: every test that takes ``db_url`` runs on SQLite and on PostgreSQL ----------

@pytest.fixture(scope="session")
def postgres():
    """The session's throwaway PostgreSQL cluster, started on first use and stopped at the end.

    A test that asked for PostgreSQL fails (it is not skipped) when no server can be started.
    """
    try:
        cluster = start_cluster()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL is needed for this test and could not be started: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


def new_database(request: pytest.FixtureRequest, backend: str, folder: Path, *, empty: bool = False) -> str:
    """A fresh database on ``backend``, dropped when the requesting fixture ends.

    SQLite: a file in ``folder``, migrated on first use. PostgreSQL: a copy of the migrated
    template on the session's cluster, or a database with no tables at all when ``empty``.
    """
    from kb.db import dispose_engine

    if backend == "sqlite":
        url = f"sqlite:///{folder / 'kb.sqlite3'}"
        request.addfinalizer(lambda: dispose_engine(url))
        return url
    cluster = request.getfixturevalue("postgres")
    url = cluster.create_database(template=None if empty else TEMPLATE)

    def drop() -> None:
        dispose_engine(url)
        cluster.drop_database(url)

    request.addfinalizer(drop)
    return url


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many database tests ran on each backend, so a silent PostgreSQL gap shows."""
    counts = {backend: {} for backend in BACKENDS}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if outcome == "passed" and report.when != "call":
                continue
            for backend in BACKENDS:
                if backend in getattr(report, "keywords", {}):
                    counts[backend][outcome] = counts[backend].get(outcome, 0) + 1
    if any(counts.values()):
        parts = [f"{backend}: " + (", ".join(f"{n} {outcome}" for outcome, n in c.items()) or "none")
                 for backend, c in counts.items()]
        terminalreporter.write_line("database tests by backend: " + "; ".join(parts))
