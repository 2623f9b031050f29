#!/usr/bin/env python3
"""Duplicate detection on real data: `kb report duplicates` against a TF-IDF cosine baseline.

    python bench/duplicates.py [--only stackfaq,seamonkey] [--work DIR]

For each data set the articles are written as kb files (bench/datasets.py write_kb) and
indexed with build_index(rebuild=True), which also stores their meaning vectors; kb's pairs
then come from the same function `kb report duplicates` calls (cli/kcs.py duplicate_pairs).
The measures, for N = 50, 100, 200, 500, 1000: of the judged duplicate pairs, the share
found among the first N pairs reported (recall@N), and of those N pairs, the share that
are judged duplicates (precision@N: a lower bound, since pairs nobody judged count as
wrong); with kb's ratio to each reference at every N.

The similarity at which a pair becomes a task (kb/kcs/sweep.py DUPLICATE_TASK_SCORE) is
chosen on the first data set (the lowest threshold above which every pair is a judged
duplicate) and confirmed on the others. On SeaMonkey the confirmation is a lower bound:
many near-identical reports (the same site's web-compatibility reports) were never
judged, so read its precision beside the pairs themselves (--show-pairs).

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
THRESHOLDS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
TASK_PRECISION = 1.0  # a task interrupts a person: on the choosing set, not one false alarm
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


def tfidf_rows(texts: list[str]) -> np.ndarray:
    """The baseline's vectors: TF-IDF of lower-cased words (raw tf, smoothed idf), l2-normalised rows."""
    counts = [Counter(w.lower() for w in _WORD.findall(t)) for t in texts]
    df = Counter(w for c in counts for w in c)
    vocab = {w: i for i, w in enumerate(df)}
    n = len(texts)
    matrix = np.zeros((n, len(vocab)), np.float32)
    for row, c in enumerate(counts):
        for w, k in c.items():
            matrix[row, vocab[w]] = k * (math.log((1 + n) / (1 + df[w])) + 1)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def tfidf_pairs(ids: list[str], texts: list[str], limit: int) -> list[frozenset[str]]:
    """Every pair ranked by the cosine of TF-IDF vectors (raw tf, smoothed idf, l2 norm)."""
    n = len(texts)
    matrix = tfidf_rows(texts)
    sims = matrix @ matrix.T
    upper = np.triu_indices(n, 1)
    scores = sims[upper]
    order = np.argsort(-scores, kind="stable")[:limit]
    return [frozenset((ids[upper[0][k]], ids[upper[1][k]])) for k in order]


def run(name: str, articles: list[dict], judged: set[frozenset[str]], work: Path) -> list:
    """Print the set's recall and precision table; returns kb's every candidate pair, ranked."""
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
    every, with_meaning = duplicate_pairs(root, index, 0)  # 0: every candidate pair, ranked
    kb_seconds = time.perf_counter() - started
    pairs = every[:limit]
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
    total = len(judged)
    print(f"  {len(articles)} articles, {total} judged pairs. Of the first N pairs reported: judged pairs found,")
    print("  recall (found / judged pairs) and precision (found / N; a lower bound: unjudged pairs count as wrong)")
    print("  " + f"{'':24}" + "".join(f"{'N=' + str(n):>19}" for n in CUTS) + f"{'time':>9}")
    for label, found, seconds in rows:
        cells = "".join(f"{f'{found[n]} R{found[n] / total:.2f} P{found[n] / n:.3f}':>19}" for n in CUTS)
        print(f"  {label:24}{cells}{f'{seconds:.1f} s' if seconds is not None else '':>9}")
    for label, found, _ in rows[1:]:
        # Same N for both: the precision ratio equals the recall ratio.
        cells = "".join(f"{ratio(rows[0][1][n], found[n]):>19}" for n in CUTS)
        print(f"  {'kb / ' + label:24}{cells}")
    kb_at, base_at = rows[0][1][500], rows[2][1][500]
    print(f"  at N=500: recall kb {kb_at / total:.3f} vs tfidf {base_at / total:.3f}, precision kb {kb_at / 500:.3f}"
          f" vs tfidf {base_at / 500:.3f}: {ratio(kb_at, base_at)} (target: at least 2x)")
    return every


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}x" if b else ("inf" if a else "-")


def task_threshold(every: list, judged: set[frozenset[str]], grid: list[float]) -> list[tuple[float, int, int]]:
    """For each threshold: (threshold, pairs at or above it, judged pairs among them)."""
    out = []
    for t in grid:
        above = [p for p in every if p.similarity >= t]
        out.append((t, len(above), sum(frozenset((p.a, p.b)) in judged for p in above)))
    return out


def print_thresholds(rows: list[tuple[float, int, int]], total: int, mark: set[float]) -> None:
    for t, n, hits in rows:
        precision = f"{hits / n:.3f}" if n else "  -  "
        flag = "  <-" if t in mark else ""
        print(f"    similarity >= {t:.2f}: {n:5} pairs, {hits:3} judged, precision {precision},"
              f" recall {hits / total:.3f}{flag}")


def main() -> int:
    from kb.kcs.sweep import DUPLICATE_TASK_SCORE

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="stackfaq,seamonkey", help="comma-separated data sets; the first "
                        "chooses the task threshold, the others confirm it")
    parser.add_argument("--work", default=None, help="folder for the generated articles and indexes")
    parser.add_argument("--show-pairs", action="store_true",
                        help="print the titles of every pair at or above the task threshold, per set")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kb-dups-"))
    load = os.getloadavg()
    print(f"Duplicate detection, {code_state()}, load average {load[0]:.1f} at start")
    measured, titles = [], {}
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
        titles.update((a["id"], a["title"]) for a in articles)
        measured.append((name.strip(), run(name.strip(), articles, judged, work), judged))
    if measured:
        # The similarity at which a pair becomes a task: chosen on the first set as the lowest
        # threshold whose pairs are at least TASK_PRECISION judged, confirmed on the others.
        print(f"\nDuplicate tasks (a pair becomes a task at similarity >= {DUPLICATE_TASK_SCORE} in kb/kcs/sweep.py)")
        name, every, judged = measured[0]
        rows = task_threshold(every, judged, THRESHOLDS)
        # the lowest threshold from which up every threshold keeps the precision
        chosen = max(THRESHOLDS)
        for t, n, hits in sorted(rows, reverse=True):
            if n and hits / n < TASK_PRECISION:
                break
            chosen = t
        print(f"  {name} (choosing: lowest threshold from which precision >= {TASK_PRECISION}): {chosen:.2f}")
        print_thresholds(rows, len(judged), {chosen, DUPLICATE_TASK_SCORE})
        for name, every, judged in measured[1:]:
            print(f"  {name} (confirming)")
            print_thresholds(task_threshold(every, judged, THRESHOLDS), len(judged), {chosen, DUPLICATE_TASK_SCORE})
        if args.show_pairs:
            for name, every, judged in measured:
                print(f"\n  {name}: pairs at similarity >= {min(chosen, DUPLICATE_TASK_SCORE):.2f} (J: judged)")
                for p in every:
                    if p.similarity >= min(chosen, DUPLICATE_TASK_SCORE):
                        mark = "J" if frozenset((p.a, p.b)) in judged else " "
                        print(f"    {p.similarity:.2f} {mark} {titles[p.a][:60]!r} | {titles[p.b][:60]!r}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
