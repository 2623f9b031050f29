#!/usr/bin/env python3
"""Duplicate detection on real data: `kb report duplicates` against a TF-IDF cosine baseline.

    python bench/duplicates.py [--only seamonkey,stackfaq] [--work DIR]

For each data set the articles are written as kb files (bench/datasets.py write_kb) and
indexed with build_index(rebuild=True), which also stores their meaning vectors; kb's pairs
then come from the same function `kb report duplicates` calls (cli/kcs.py duplicate_pairs).
The measure: of the judged duplicate pairs, the share found among the first N pairs
reported (recall@N), for N = 50, 100, 200, 500, 1000.

References computed in the same run over the same texts:
  tfidf      -- cosine of TF-IDF vectors of title + body (raw counts, smoothed idf, l2), every
                pair ranked: the usual baseline;
  tfidf-title -- the same over titles alone (a stronger reference on bug reports, whose
                bodies are long and templated);
  kb-words   -- kb without meaning vectors (words alone).

Data sets:
  seamonkey  -- 1,076 SeaMonkey bug reports, one article each; the 46 judged duplicate pairs
                (bench/datasets.py load_seamonkey).
  stackfaq   -- built from StackFAQ without looking at kb's output: for every thread with at
                least two answers, article A is the question with its first answer and
                article B is the thread's first paraphrase with its second answer (two
                authors answering the same question in their own words); threads with one
                answer give a single article, a distractor. Judged pairs: every (A, B).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from datasets import DatasetMissing, _article, load_seamonkey, data_root, write_kb  # noqa: E402
from provenance import code_state  # noqa: E402

CUTS = (50, 100, 200, 500, 1000)
_WORD = re.compile(r"\w+")


def seamonkey() -> tuple[list[dict], set[frozenset[str]]]:
    articles, _tickets, judgments = load_seamonkey()
    pairs = {frozenset((a, b)) for a, others in judgments.items() for b in others}
    return articles, pairs


def stackfaq() -> tuple[list[dict], set[frozenset[str]]]:
    import json

    path = data_root() / "stackfaq" / "stackExchange-FAQ.json"
    if not path.exists():
        raise DatasetMissing(f"StackFAQ file not found at {path}")
    threads = json.loads(path.read_text(encoding="utf-8"))["root"]["qapair"]
    articles, pairs = [], set()
    for n, thread in enumerate(threads, 1):
        answers = thread.get("answer") or []
        answers = [answers] if isinstance(answers, str) else answers
        answers = [a.strip() for a in answers if isinstance(a, str) and a.strip()]
        paraphrases = [p.strip() for p in thread.get("rephr") or [] if isinstance(p, str) and p.strip() not in ("", "*")]
        if not answers:
            continue
        a_id = f"faq-{n:03d}-a"
        articles.append(_article(a_id, thread["question"].strip(), "how-to", answers[0] + "\n", "StackExchange"))
        if len(answers) >= 2 and paraphrases:
            b_id = f"faq-{n:03d}-b"
            articles.append(_article(b_id, paraphrases[0], "how-to", answers[1] + "\n", "StackExchange"))
            pairs.add(frozenset((a_id, b_id)))
    return articles, pairs


def recall_at(ranked: list[frozenset[str]], judged: set[frozenset[str]]) -> dict[int, int]:
    found, hits = {}, 0
    for n, pair in enumerate(ranked[:max(CUTS)], 1):
        hits += pair in judged
        if n in CUTS:
            found[n] = hits
    for n in CUTS:
        found.setdefault(n, hits)
    return found


def tfidf_pairs(ids: list[str], texts: list[str], limit: int) -> list[frozenset[str]]:
    """Every pair ranked by the cosine of TF-IDF vectors (raw tf, smoothed idf, l2 norm)."""
    counts = [Counter(w.lower() for w in _WORD.findall(t)) for t in texts]
    df = Counter(w for c in counts for w in c)
    vocab = {w: i for i, w in enumerate(df)}
    n = len(texts)
    matrix = np.zeros((n, len(vocab)), np.float32)
    for row, c in enumerate(counts):
        for w, k in c.items():
            matrix[row, vocab[w]] = k * (math.log((1 + n) / (1 + df[w])) + 1)
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    sims = matrix @ matrix.T
    upper = np.triu_indices(n, 1)
    scores = sims[upper]
    order = np.argsort(-scores, kind="stable")[:limit]
    return [frozenset((ids[upper[0][k]], ids[upper[1][k]])) for k in order]


def run(name: str, articles: list[dict], judged: set[frozenset[str]], work: Path) -> None:
    from cli.kcs import duplicate_pairs
    from indexer import build_index
    from kb.articles import load_knowledge_base
    from kb.kcs.duplicates import find_duplicates, texts_of

    root, index = work / name / "articles", work / name / "index"
    shutil.rmtree(work / name, ignore_errors=True)
    write_kb(articles, root)
    started = time.perf_counter()
    report = build_index(root, index, rebuild=True)
    print(f"  indexed {report.internal_count} articles with meaning vectors in {time.perf_counter() - started:.0f} s")
    limit = max(CUTS)
    started = time.perf_counter()
    pairs, with_meaning = duplicate_pairs(root, index, limit)
    kb_seconds = time.perf_counter() - started
    kb_texts = texts_of(load_knowledge_base(root).articles.values())
    started = time.perf_counter()
    words_only = find_duplicates(kb_texts, limit=limit)
    words_seconds = time.perf_counter() - started
    ids = [a["id"] for a in articles]
    started = time.perf_counter()
    base = tfidf_pairs(ids, [a["title"] + "\n" + a["body"] for a in articles], limit)
    base_seconds = time.perf_counter() - started
    titles = tfidf_pairs(ids, [a["title"] for a in articles], limit)
    rows = [("kb (words + meaning)" if with_meaning else "kb (words only: no vectors!)",
             recall_at([frozenset((p.a, p.b)) for p in pairs], judged), kb_seconds),
            ("kb-words", recall_at([frozenset((p.a, p.b)) for p in words_only], judged), words_seconds),
            ("tfidf (title + body)", recall_at(base, judged), base_seconds),
            ("tfidf-title", recall_at(titles, judged), None)]
    print(f"  {len(articles)} articles, {len(judged)} judged pairs; judged pairs among the first N reported:")
    print("  " + f"{'':24}" + "".join(f"{'N=' + str(n):>12}" for n in CUTS) + f"{'time':>9}")
    for label, found, seconds in rows:
        cells = "".join(f"{f'{found[n]} ({found[n] / len(judged):.2f})':>12}" for n in CUTS)
        print(f"  {label:24}{cells}{f'{seconds:.1f} s' if seconds is not None else '':>9}")
    kb_at, base_at = rows[0][1][500], rows[2][1][500]
    ratio = f"{kb_at / base_at:.1f}x" if base_at else "inf (baseline found none)"
    print(f"  recall@500: kb {kb_at / len(judged):.3f} vs tfidf {base_at / len(judged):.3f}: {ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="seamonkey,stackfaq", help="comma-separated data sets")
    parser.add_argument("--work", default=None, help="folder for the generated articles and indexes")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kb-dups-"))
    load = os.getloadavg()
    print(f"Duplicate detection, {code_state()}, load average {load[0]:.1f} at start")
    for name in args.only.split(","):
        loader = {"seamonkey": seamonkey, "stackfaq": stackfaq}.get(name.strip())
        if loader is None:
            print(f"unknown data set {name!r}")
            return 2
        try:
            articles, judged = loader()
        except DatasetMissing as exc:
            print(f"{name}: skipped ({exc})")
            continue
        print(f"\n{name}")
        run(name, articles, judged, work)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
