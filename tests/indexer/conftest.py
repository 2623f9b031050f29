"""Fixtures for the search engine: the sample knowledge base indexed once, and small corpora."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer import Searcher, build_index
from tests.conftest import ARTICLES


def tsg(article_id: str, title: str, *, symptoms: str = "Something fails.", cause: str = "A cause.",
        resolution: str = "1. Fix it.", audience: str = "public", status: str = "published",
        extra: str = "", body_extra: str = "") -> str:
    """A valid TSG article as Markdown text."""
    front = textwrap.dedent(f"""\
        id: {article_id}
        title: "{title}"
        type: tsg
        audience: {audience}
        status: {status}
        """) + textwrap.dedent(extra)
    body = (f"## Symptoms\n\n{symptoms}\n\n## Cause\n\n{cause}\n\n## Resolution\n\n{resolution}\n"
            f"{body_extra}")
    return f"---\n{front.strip()}\n---\n\n{body}"


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample articles in articles/, indexed once per test session."""
    root = tmp_path_factory.mktemp("sample-index")
    report = build_index(ARTICLES, root)
    assert report.internal_count > 0
    return root


@pytest.fixture(scope="session")
def sample(sample_index: Path):
    """A Searcher over the sample index (shared; treat as read-only)."""
    with Searcher(sample_index) as searcher:
        yield searcher


@pytest.fixture
def corpus(make_kb: Callable, tmp_path: Path) -> Callable[..., tuple[Path, Path]]:
    """Write ``{path: text}`` as an articles folder and return (articles, index root)."""

    def make(files: dict[str, str]) -> tuple[Path, Path]:
        return make_kb(files), tmp_path / "index"

    return make


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def generation(root: Path, audience: str = "internal") -> Path:
    """The folder of one audience's index in the generation ``CURRENT`` points to."""
    pointer = json.loads((root / "CURRENT").read_text(encoding="utf-8"))
    return root / pointer["dir"] / audience


@pytest.fixture(scope="module")
def whoosh_searcher(tmp_path_factory):
    """A Whoosh searcher on the sample articles' internal index (whose sidecars hold every
    posting list); ``.folder`` is the index folder."""
    root = tmp_path_factory.mktemp("engine")
    build_index(ARTICLES, root)
    folder = generation(root)
    ix = whoosh_index.open_dir(str(folder))
    with ix.searcher() as s:
        s.folder = folder
        yield s
