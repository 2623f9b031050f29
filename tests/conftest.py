"""Fixtures shared by every part of the suite."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

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
