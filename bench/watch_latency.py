#!/usr/bin/env python3
"""How long a one-file edit takes to become searchable under ``kb serve --watch``.

    python bench/watch_latency.py [--sizes 2000,20000] [--trials 10] [--interval 0.3]

For the sample knowledge base (articles/) and for synthetic corpora made by
``bench/make_corpus.py N OUT``, it builds an index, starts the polling watcher (as the
web app does: the searcher refreshes after each reindex), then repeatedly appends a unique
word to one article and measures the time from the write until a search finds that word.
It prints, per corpus: the scan time of one poll, and the median, 95th percentile and
maximum of the edit-to-searchable latency and of the watcher's own reindex time.
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from indexer import Searcher, build_index  # noqa: E402
from kb.articles import iter_article_paths, parse_article  # noqa: E402
from indexer.watch import Watcher  # noqa: E402
from kb.live import scan  # noqa: E402

TIMEOUT = 30.0
STATUSES = ("published", "review", "draft")  # what an author searches


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(articles: Path, workdir: Path, trials: int, interval: float, label: str) -> dict:
    """Edit ``trials`` random articles one at a time; return the latency figures."""
    index = workdir / "index"
    started = time.perf_counter()
    build_index(articles, index)
    build_seconds = time.perf_counter() - started
    files = list(iter_article_paths(articles))
    # Archived articles are out of search unless asked for: edit only searchable ones.
    parsed = (parse_article(f, articles) for f in files[:2000])
    candidates = [articles / r.article.path for r in parsed if r.ok and r.article.status in STATUSES]
    scan_started = time.perf_counter()
    scan(articles)
    scan_seconds = time.perf_counter() - scan_started
    rng = random.Random(42)
    latencies, reindexes = [], []
    with Searcher(index) as searcher:
        def found(word: str) -> bool:
            return searcher.search(word, audience="internal", statuses=STATUSES, limit=1).total > 0

        watcher = Watcher(articles, index, interval=interval, on_reindex=lambda report: searcher.refresh())
        with watcher:
            for _ in range(trials):
                path = rng.choice(candidates)
                word = "zq" + secrets.token_hex(5)
                generation = watcher.state.generation
                text = path.read_text(encoding="utf-8")
                t0 = time.perf_counter()
                path.write_text(text + f"\nEdited: {word}\n", encoding="utf-8")
                while not found(word):
                    if time.perf_counter() - t0 > TIMEOUT:
                        raise SystemExit(f"{label}: {path} not searchable after {TIMEOUT:.0f} s")
                    time.sleep(0.005)
                latencies.append(time.perf_counter() - t0)
                watcher.wait_for(generation + 1, timeout=TIMEOUT)
                reindexes.append(watcher.state.last_seconds)
                time.sleep(interval)  # let the next edit start from an idle watcher
    return {"corpus": label, "articles": len(files), "build_s": build_seconds, "scan_ms": scan_seconds * 1000,
            "p50": statistics.median(latencies), "p95": _percentile(latencies, 95), "max": max(latencies),
            "reindex_p50": statistics.median(reindexes), "trials": trials}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000",
                    help="synthetic corpus sizes, comma-separated (0 or empty: sample KB only)")
    ap.add_argument("--trials", type=int, default=10, help="edits per corpus")
    ap.add_argument("--interval", type=float, default=0.3, help="watcher poll interval in seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip() and int(s) > 0]
    tmp = Path(tempfile.mkdtemp(prefix="kb-watch-bench-"))
    rows = []
    try:
        sample = tmp / "sample" / "articles"
        shutil.copytree(REPO / "articles", sample)
        rows.append(measure(sample, tmp / "sample", args.trials, args.interval, "sample KB"))
        for n in sizes:
            out = tmp / f"synthetic-{n}" / "articles"
            started = time.perf_counter()
            subprocess.run([sys.executable, str(REPO / "bench" / "make_corpus.py"), str(n), str(out)],
                           check=True, stdout=subprocess.DEVNULL)
            print(f"generated {n} articles in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            rows.append(measure(out, tmp / f"synthetic-{n}", args.trials, args.interval, f"synthetic {n}"))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"Edit-to-searchable latency, polling every {args.interval:g} s ({args.trials} edits per corpus)")
    print(f"{'corpus':16} {'articles':>8} {'index build':>11} {'one scan':>9} {'p50':>7} {'p95':>7}"
          f" {'max':>7} {'reindex p50':>11}")
    for r in rows:
        print(f"{r['corpus']:16} {r['articles']:8d} {r['build_s']:10.1f}s {r['scan_ms']:7.1f}ms"
              f" {r['p50']:6.2f}s {r['p95']:6.2f}s {r['max']:6.2f}s {r['reindex_p50']:10.2f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
