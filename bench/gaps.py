#!/usr/bin/env python3
"""Gap topics on real data: do items about the same problem fall into the same topic?

    python bench/gaps.py [--thresholds 0.3,0.35,...] [--cache DIR]

The clustering is kb's own (kb/kcs/gaps.py: nearest neighbours by words and meaning,
average linkage while the average similarity stays above a threshold), measured with
pairwise precision and recall: of the pairs of items that belong together, the share put
in one topic (recall), and of the pairs put in one topic, the share that belong together
(precision).

Choose on one set, confirm on another:
  stackfaq   -- the 1,249 StackFAQ paraphrases as searches that found nothing; items belong
                together when they paraphrase the same thread. Every method's threshold is
                chosen here (best pairwise F1).
  seamonkey  -- the 1,076 SeaMonkey reports as cases closed without an article; judged
                duplicate reports belong together. Only 75 reports carry judgments, so
                precision counts the topic-mates that are both judged reports (pairs of
                unjudged reports are unknown, not wrong); recall is over the 46 judged pairs.

Methods, each clustered by the same average linkage over each item's 10 nearest neighbours:
  kb         -- words and meaning (kb's similarity, the sentence encoder for meaning);
  kb-words   -- kb's words alone (the encoder off);
  tfidf      -- the baseline: cosine of TF-IDF vectors of the whole text (raw tf, smoothed
                idf, l2).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from datasets import DatasetMissing, load_seamonkey, load_stackfaq  # noqa: E402
from duplicates import tfidf_rows  # noqa: E402
from provenance import code_state  # noqa: E402

DEFAULT_THRESHOLDS = "0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.5,0.6"


def stackfaq_items():
    from datetime import datetime

    from kb.kcs.gaps import SEARCH, GapItem

    _articles, queries = load_stackfaq()
    items = [GapItem(f"search:{n}", SEARCH, text, "", datetime(2026, 1, 1)) for n, (text, _) in enumerate(queries)]
    groups = [thread for _, thread in queries]
    return items, groups


def seamonkey_items():
    from datetime import datetime

    from kb.kcs.gaps import CASE, GapItem

    articles, _tickets, judgments = load_seamonkey()
    items = [GapItem(f"case:{n}", CASE, a["title"], a["body"][:2000], datetime(2026, 1, 1), case_id=n + 1)
             for n, a in enumerate(articles)]
    index = {a["id"]: n for n, a in enumerate(articles)}
    pairs = {frozenset((index[a], index[b])) for a, others in judgments.items() for b in others}
    return items, pairs


def tfidf_graph(texts: list[str], k: int = 10) -> dict[tuple[int, int], float]:
    """The baseline's neighbour graph: each text's k nearest by TF-IDF cosine."""
    n = len(texts)
    matrix = tfidf_rows(texts)
    sims = matrix @ matrix.T
    np.fill_diagonal(sims, -1)
    edges = {}
    for i in range(n):
        for j in np.argpartition(-sims[i], k)[:k]:
            key = (i, int(j)) if i < j else (int(j), i)
            edges[key] = float(sims[key])
    return edges


def encoded(items, embed, cache: Path | None) -> np.ndarray:
    """The items' meaning vectors, from the cache when the same texts were encoded before."""
    texts = [i.text for i in items]
    key = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache / f"gaps-{key}.npy" if cache else None
    if path is not None and path.exists():
        print(f"  {len(items)} vectors from {path}")
        return np.load(path)
    started = time.perf_counter()
    vectors = embed(texts)
    print(f"  encoded {len(items)} items in {time.perf_counter() - started:.0f} s")
    if path is not None:
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def graphs(items, embed, cache: Path | None):
    from kb.kcs.gaps import similarity_graph
    from kb.kcs.similarity import Text, WordSpace

    words = WordSpace([Text(i.key, i.title, i.body) for i in items])
    vectors = encoded(items, embed, cache)
    return {"kb": similarity_graph(words, vectors), "kb-words": similarity_graph(words, None),
            "tfidf": tfidf_graph([i.text for i in items])}


def same_topic_pairs(groups: list[list[int]]) -> set[frozenset[int]]:
    return {frozenset(p) for g in groups if len(g) > 1 for p in combinations(g, 2)}


def score_stackfaq(groups, truth: list[str]) -> tuple[float, float, float]:
    together = defaultdict(list)
    for i, t in enumerate(truth):
        together[t].append(i)
    gold = same_topic_pairs(list(together.values()))
    found = same_topic_pairs(groups)
    hits = len(gold & found)
    p = hits / len(found) if found else 0.0
    r = hits / len(gold)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_seamonkey(groups, judged: set[frozenset[int]]) -> tuple[float, float, int, int]:
    labelled = {i for pair in judged for i in pair}
    found = same_topic_pairs(groups)
    hits = len(judged & found)
    among = [p for p in found if p <= labelled]
    precision = sum(p in judged for p in among) / len(among) if among else 0.0
    recall = hits / len(judged)
    return precision, recall, hits, len(among)


def shape(groups) -> str:
    sizes = sorted((len(g) for g in groups), reverse=True)
    grouped = sum(s for s in sizes if s > 1)
    return f"{len(groups)} topics, largest {sizes[0]}, {grouped} items in topics of 2+"


def main() -> int:
    from web.loop import text_encoder
    from kb.kcs.gaps import THRESHOLD, WORDS_THRESHOLD, average_linkage

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--thresholds", default=DEFAULT_THRESHOLDS)
    parser.add_argument("--cache", default=None, help="keep the items' meaning vectors here between runs")
    args = parser.parse_args()
    cache = Path(args.cache) if args.cache else None
    thresholds = [float(t) for t in args.thresholds.split(",")]
    embed = text_encoder()
    if embed is None:
        print("the sentence encoder is not installed: run `make install`")
        return 2
    print(f"Gap topics, {code_state()}, load average {os.getloadavg()[0]:.1f} at start")
    try:
        faq_items, truth = stackfaq_items()
        sm_items, judged = seamonkey_items()
    except DatasetMissing as exc:
        print(f"skipped: {exc}")
        return 0

    print(f"\nstackfaq: {len(faq_items)} paraphrases of {len(set(truth))} threads (choosing thresholds)")
    faq_graphs = graphs(faq_items, embed, cache)
    chosen, at_chosen = {}, {}
    for method, edges in faq_graphs.items():
        best = None
        for t in thresholds:
            groups = average_linkage(len(faq_items), edges, t)
            p, r, f = score_stackfaq(groups, truth)
            print(f"  {method:9} t={t:.2f}  precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}  ({shape(groups)})")
            if best is None or f > best[0]:
                best = (f, t, p, r)
        chosen[method] = best[1]
        at_chosen[method] = best[2], best[3], best[0]
    print("  chosen: " + ", ".join(f"{m} {t:.2f}" for m, t in chosen.items())
          + f"  (kb/kcs/gaps.py uses {THRESHOLD} and {WORDS_THRESHOLD} words-only)")
    print_ratios(at_chosen)

    print(f"\nseamonkey: {len(sm_items)} reports, {len(judged)} judged duplicate pairs (confirming)")
    sm_graphs = graphs(sm_items, embed, cache)
    confirmed = {}
    for method, edges in sm_graphs.items():
        for t in sorted({chosen[method], THRESHOLD if method == "kb" else WORDS_THRESHOLD if method == "kb-words"
                         else chosen[method]}):
            groups = average_linkage(len(sm_items), edges, t)
            p, r, hits, among = score_seamonkey(groups, judged)
            print(f"  {method:9} t={t:.2f}  recall {r:.3f} ({hits}/{len(judged)})  precision {p:.3f} "
                  f"(of {among} judged-report pairs in one topic)  ({shape(groups)})")
            if t == chosen[method]:
                confirmed[method] = p, r, (2 * p * r / (p + r) if p + r else 0.0)
    print("  at the thresholds chosen on stackfaq:")
    print_ratios(confirmed)
    return 0


def print_ratios(results: dict[str, tuple[float, float, float]]) -> None:
    """kb's precision, recall and F1 beside the baseline's, with their ratios."""
    kb, base = results["kb"], results["tfidf"]
    cells = []
    for name, a, b in zip(("precision", "recall", "F1"), kb, base, strict=True):
        cells.append(f"{name} {a:.3f} vs {b:.3f} ({a / b:.2f}x)" if b else f"{name} {a:.3f} vs {b:.3f}")
    print("  kb vs tfidf: " + ", ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
