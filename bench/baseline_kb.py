"""kb as it was at another commit, searched in a child process, for before/after tables.

    engine = KbAt("main", articles_dir, work)   # parent side, in a benchmark
    engine.search("vpn disconnects", 10); engine.suggest(title, description, 20)

The commit's tree is exported with ``git archive`` into ``work/src``; a child Python (the
same interpreter and packages) imports that tree's ``indexer`` first, builds its own index
of the same articles folder and answers one JSON request per line on stdin. Each answer
carries the time the call took inside the child, so the figures compare with the
in-process ``kb`` ones without the cost of the pipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AUDIENCE = "public"
STATUSES = ("published",)


class KbAt:
    """The search and suggest calls of kb at ``rev``, over the articles in ``articles``."""

    def __init__(self, rev: str, articles: Path, work: Path):
        self.rev = rev
        self.commit = _git("rev-parse", "--short", rev)
        self.name = f"kb {rev}"
        self.failed = 0
        self.last_ms = 0.0
        src = work / "src"
        _export(rev, src)
        env = dict(os.environ, PYTHONPATH=str(src))
        self._child = subprocess.Popen([sys.executable, __file__, "--child", str(src), str(articles),
                                        str(work / "index")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, env=env, cwd=src)
        ready = self._read()
        if ready.get("source") != str(src / "indexer" / "__init__.py"):
            self.close()
            raise RuntimeError(f"the child imported indexer from {ready.get('source')}, not from {src}")
        self.build_seconds = ready["build_seconds"]

    def search(self, q: str, limit: int = 10) -> list[str]:
        return self._ask({"op": "search", "q": q, "limit": limit})

    def suggest(self, title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
        return self._ask({"op": "suggest", "title": title, "description": description, "limit": limit,
                          "boosts": boosts})

    def close(self) -> None:
        if self._child.poll() is None:
            self._child.stdin.close()
            self._child.wait(timeout=30)

    def _ask(self, request: dict) -> list[str]:
        self._child.stdin.write(json.dumps(request) + "\n")
        self._child.stdin.flush()
        answer = self._read()
        self.last_ms = answer["ms"]
        self.failed += answer["failed"]
        return answer["ids"]

    def _read(self) -> dict:
        line = self._child.stdout.readline()
        if not line:
            raise RuntimeError(f"kb at {self.rev} stopped (exit code {self._child.poll()})")
        return json.loads(line)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def _export(rev: str, dest: Path) -> None:
    """The tree of ``rev``, written to ``dest`` (replaced if it exists)."""
    tar = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True).stdout
    if dest.exists():
        import shutil

        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(tar)) as archive:
        archive.extractall(dest, filter="data")


def _serve(src: str, articles: str, index: str) -> None:
    """The child: build the index with the exported code, then answer requests until stdin closes."""
    sys.path.insert(0, src)
    import indexer
    from indexer import Searcher, build_index
    from indexer.search import FAILED_NOTICE

    t0 = time.perf_counter()
    build_index(Path(articles), Path(index), rebuild=True)
    out = sys.stdout
    out.write(json.dumps({"source": indexer.__file__, "build_seconds": time.perf_counter() - t0}) + "\n")
    out.flush()
    with Searcher(Path(index)) as searcher:
        for line in sys.stdin:
            r = json.loads(line)
            t0 = time.perf_counter()
            if r["op"] == "search":
                page = searcher.search(r["q"], audience=AUDIENCE, statuses=STATUSES, limit=r["limit"])
            else:
                page = searcher.suggest(r["title"], r["description"], audience=AUDIENCE, statuses=STATUSES,
                                        limit=r["limit"], boosts=r["boosts"])
            ms = (time.perf_counter() - t0) * 1000
            failed = bool(page.notice and FAILED_NOTICE in page.notice)
            out.write(json.dumps({"ids": [h.id for h in page.hits], "ms": ms, "failed": failed}) + "\n")
            out.flush()


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _serve(*sys.argv[2:5])
