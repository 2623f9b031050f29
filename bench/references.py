"""Reference engines that kb's search is measured against, on the same documents and queries.

* ``StockWhoosh``: Whoosh as a newcomer would use it: one TEXT field each for title and
  body with the default analyzer, ``MultifieldParser``, and a new ticket's whole text sent
  as one OR query.
* ``Tantivy``: the Rust engine's BM25 over the same two fields (benchmark environment only:
  ``pip install -e '.[bench]'``), every query word required; ``TantivyAny``: the same index
  searched for any word, as kb does.
* ``KbEngine``: kb itself, through the same small interface.

Each engine takes documents as dicts with ``id``, ``title`` and ``body`` and answers
``search(query, limit)`` and ``suggest(title, description, limit)`` with a list of ids.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

# Characters that the engines' query languages treat as syntax; the references strip
# them from pasted text the way a newcomer's "just make it not crash" fix would.
_SYNTAX = re.compile(r"[\"'`()\[\]{}:^~*?\\/+\-!&|<>=]")


def _plain(text: str) -> str:
    return " ".join(_SYNTAX.sub(" ", text).split())


class StockWhoosh:
    """Whoosh 2.7 with its defaults: StandardAnalyzer, MultifieldParser, AND for searches."""

    name = "stock whoosh"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._searcher = None

    def build(self, docs: Iterable[dict]) -> float:
        from whoosh import index
        from whoosh.fields import ID, TEXT, Schema

        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True)
        start = time.perf_counter()
        ix = index.create_in(str(self.folder), Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                                                      body=TEXT))
        writer = ix.writer()
        for doc in docs:
            writer.add_document(id=doc["id"], title=doc["title"], body=doc["body"])
        writer.commit()
        self._open()
        return time.perf_counter() - start

    def _open(self) -> None:
        from whoosh import index
        from whoosh.qparser import MultifieldParser, OrGroup

        ix = index.open_dir(str(self.folder))
        self._searcher = ix.searcher()
        self._and_parser = MultifieldParser(["title", "body"], ix.schema)
        self._or_parser = MultifieldParser(["title", "body"], ix.schema, group=OrGroup)

    def open(self) -> StockWhoosh:
        self._open()
        return self

    def _run(self, parser, text: str, limit: int) -> list[str]:
        query = parser.parse(text)
        return [hit["id"] for hit in self._searcher.search(query, limit=limit)]

    def search(self, query: str, limit: int = 10) -> list[str]:
        return self._run(self._and_parser, query, limit)

    def suggest(self, title: str, description: str, limit: int = 10) -> list[str]:
        return self._run(self._or_parser, f"{title}\n{description}", limit)

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()


class Tantivy:
    """tantivy's BM25 over title and body with its default tokenizer (no stemming)."""

    name = "tantivy"

    def __init__(self, folder: Path | None = None):
        self.folder = folder

    def build(self, docs: Iterable[dict]) -> float:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title", stored=False)
        builder.add_text_field("body", stored=False)
        schema = builder.build()
        path = None
        if self.folder is not None:
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir(parents=True)
            path = str(self.folder)
        start = time.perf_counter()
        self.index = tantivy.Index(schema, path=path)
        writer = self.index.writer(heap_size=256_000_000, num_threads=2)
        for doc in docs:
            writer.add_document(tantivy.Document(id=doc["id"], title=doc["title"], body=doc["body"]))
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self._searcher = self.index.searcher()
        return time.perf_counter() - start

    def _run(self, text: str, limit: int, conjunction: bool) -> list[str]:
        text = _plain(text)
        if not text:
            return []
        query = self.index.parse_query(text, ["title", "body"], conjunction_by_default=conjunction)
        result = self._searcher.search(query, limit)
        return [self._searcher.doc(address)["id"][0] for _score, address in result.hits]

    def search(self, query: str, limit: int = 10) -> list[str]:
        return self._run(query, limit, conjunction=True)

    def suggest(self, title: str, description: str, limit: int = 10) -> list[str]:
        return self._run(f"{title} {description}", limit, conjunction=False)

    def close(self) -> None:
        pass


class TantivyAny(Tantivy):
    """The same tantivy index searched for any of the query's words (OR), as kb searches:
    with all words required (:class:`Tantivy`), a question or a message with one word no
    article has finds nothing at all, and costs only an empty intersection."""

    name = "tantivy-any"

    def search(self, query: str, limit: int = 10) -> list[str]:
        return self._run(query, limit, conjunction=False)


class KbEngine:
    """kb's own indexer and searcher, as the web app uses them (one long-lived Searcher)."""

    name = "kb"

    def __init__(self, articles_dir: Path, index_root: Path, audience: str = "public"):
        self.articles_dir = Path(articles_dir)
        self.index_root = Path(index_root)
        self.audience = audience
        self.statuses = ("published",)
        self.searcher = None

    def build(self, docs: Iterable[dict] | None = None, rebuild: bool = True) -> float:
        """Index the articles folder (``docs`` must already be written there as files)."""
        from indexer import build_index

        start = time.perf_counter()
        build_index(self.articles_dir, self.index_root, rebuild=rebuild)
        seconds = time.perf_counter() - start
        self.open()
        return seconds

    def open(self) -> KbEngine:
        from indexer import Searcher

        self.searcher = Searcher(self.index_root)
        return self

    def search(self, query: str, limit: int = 10) -> list[str]:
        page = self.searcher.search(query, audience=self.audience, statuses=self.statuses, limit=limit)
        return [hit.id for hit in page.hits]

    def suggest(self, title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
        page = self.searcher.suggest(title, description, audience=self.audience, statuses=self.statuses,
                                     limit=limit, boosts=boosts)
        return [hit.id for hit in page.hits]

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
