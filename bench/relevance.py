#!/usr/bin/env python3
"""Relevance of kb's search and suggestions on real data, against stock Whoosh and tantivy.

    python bench/relevance.py [--only officedocs,seamonkey,stackfaq] [--baseline REV] [--work DIR]

Data comes from the shared data folder (bench/datasets.py; KB_SHARED_DATA overrides it). A
data set that is absent is skipped with a message. For every data set the articles are
written as kb files with write_kb into a temporary folder and indexed with
build_index(rebuild=True); every article is public and published, so kb is asked with
audience "public". The references (bench/references.py) index the same id/title/body.

(a) officedocs, known items (officedocs_known_items): exact titles, error codes that occur
    in exactly one article, and pasted error messages that occur in exactly one article.
    Each is sent to search() (limit 10); success@1 and MRR@10. Stock Whoosh is used as a
    newcomer uses it: MultifieldParser over title+body, default AND grouping. tantivy:
    BM25, conjunction by default (syntax characters stripped, as in references.py).
    Then tickets that repeat a passage of their article (officedocs_passage_tickets: 40-150
    words, the first ten as the title) through suggest(limit 10); success@1 and MRR@10.
    The references suggest with every word of the ticket, OR'ed.

(b) ticket-to-article suggestions
    SeaMonkey duplicates (judged pairs, bench/datasets.py load_seamonkey): all 1,076 reports indexed; each of
    the 75 reports with judged duplicates is sent as title + description to suggest(limit
    20); its own id is removed from the list; nDCG@10, MRR@10, Recall@10, MAP@20 against its
    duplicates, averaged over the 75. Also its title alone through search(limit 20).
    StackFAQ: 1,249 paraphrases through search(limit 10) and through suggest(title="",
    description=paraphrase, limit 10) ("short ticket descriptions"); success@1, MRR@10,
    nDCG@10, Recall@10. p50/p95 latency per call for every engine.

Every set is run with kb as it ranks now ("kb"), and with the same index ranked as before
queries were read by kind ("kb before": words alone for every search, no cut-off for
matches that share only common words with the query; suggestions are the same), beside
stock Whoosh and tantivy. With ``--baseline REV`` (a commit or branch, e.g. main) "kb before"
is kb as it was at that commit instead (bench/baseline_kb.py: its code, its own index of the
same articles, in a child process; times are taken inside the child). Each set's search queries are also broken down by the kind kb
reads them as (indexer/query_kind.py: title, code, quoted, message, question, short,
words), every engine on the same groups, with the time per query.

(c) "with and without what cases taught us" (SeaMonkey, kb only). Protocol, leave-one-out:
    every one of the 75 judged reports becomes a case in a fresh SQLite database through
    kb.cases.store (create_case with its summary and description, product SeaMonkey;
    link_article(solved=True) to ONE of its duplicates -- the smallest id, a deterministic
    choice; close_case with solved-existing-article). The case index is read back with
    kb.cases.learning.build_index(engine). For each ticket, a CaseIndex is built from all
    the OTHER cases (the ticket's own case is excluded, so neither its text nor its judged
    link is seen); the cases most similar to the ticket (learned_boosts' defaults: 20 cases,
    min similarity 0.1) give boosts_from(...) which are passed to suggest(boosts=...). A
    boost can only name an article that closed another case; when that is the ticket's own
    article it is removed like any self-hit. What remains is what a real team would have
    learned: "reports like this one were solved by article X".
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from datasets import (DatasetMissing, load_officedocs, load_seamonkey, load_stackfaq,  # noqa: E402
                      officedocs_known_items, officedocs_passage_tickets, write_kb)
from provenance import code_state  # noqa: E402
from metrics import average_precision, mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k, success_at_1  # noqa: E402
from references import StockWhoosh, Tantivy  # noqa: E402
from baseline_kb import KbAt  # noqa: E402

AUDIENCE = "public"
STATUSES = ("published",)


def emit(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


LINES: list[str] = []


class Kb:
    """kb's Searcher through the references' interface, counting failed calls."""

    name = "kb"

    def __init__(self, articles: list[dict], work: Path):
        from indexer import Searcher, build_index
        from indexer.search import FAILED_NOTICE

        self.failed_notice = FAILED_NOTICE
        self.failed = 0
        art_dir, idx_dir = work / "articles", work / "index"
        write_kb(articles, art_dir)
        t0 = time.perf_counter()
        report = build_index(art_dir, idx_dir, rebuild=True)
        self.build_seconds = time.perf_counter() - t0
        self.report = report
        self.searcher = Searcher(idx_dir)
        self._kinds: dict[str, str] = {}

    def _ids(self, page) -> list[str]:
        if page.notice and self.failed_notice in page.notice:
            self.failed += 1
        return [h.id for h in page.hits]

    def search(self, q: str, limit: int = 10) -> list[str]:
        page = self.searcher.search(q, audience=AUDIENCE, statuses=STATUSES, limit=limit)
        self._kinds[q] = page.kind
        return self._ids(page)

    def kind_of(self, q: str) -> str:
        """How kb reads a query (indexer.query_kind): the per-kind tables group every engine by it."""
        if q not in self._kinds:
            self.search(q, 1)
        return self._kinds[q]

    def suggest(self, title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
        return self._ids(self.searcher.suggest(title, description, audience=AUDIENCE, statuses=STATUSES,
                                               limit=limit, boosts=boosts))


@contextmanager
def ranking_before():
    """kb's ranking as it was before queries were read by kind: words only for every search
    (no meaning), and no cut-off for matches that share only common words with the query."""
    import indexer.ranking as ranking

    saved = ranking.MEANING_BY_KIND, ranking.MIN_COVERAGE, ranking.MIN_SIMILARITY
    ranking.MEANING_BY_KIND, ranking.MIN_COVERAGE, ranking.MIN_SIMILARITY = {}, 0.0, -math.inf
    try:
        yield
    finally:
        ranking.MEANING_BY_KIND, ranking.MIN_COVERAGE, ranking.MIN_SIMILARITY = saved


class KbBefore:
    """The same kb index, ranked by :func:`ranking_before` (suggestions are unchanged)."""

    name = "kb before"

    def __init__(self, kb: Kb):
        self.kb = kb
        self.build_seconds = 0.0

    @property
    def failed(self) -> int:
        return self.kb.failed

    def search(self, q: str, limit: int = 10) -> list[str]:
        with ranking_before():
            return self.kb.search(q, limit)

    def suggest(self, title: str, description: str, limit: int = 10, boosts=None) -> list[str]:
        with ranking_before():
            return self.kb.suggest(title, description, limit, boosts)


class Ref:
    """A reference engine; a query that raises counts as an empty result (and is counted)."""

    def __init__(self, engine, docs: list[dict]):
        self.engine = engine
        self.name = engine.name
        self.failed = 0
        self.first_error = None
        self.build_seconds = engine.build(docs)

    def _safe(self, fn, *args):
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001
            self.failed += 1
            if self.first_error is None:
                self.first_error = f"{str(args[0])[:50]!r}: {type(exc).__name__}: {str(exc)[:100]}"
                emit(f"  ({self.name} raised on a query, counted as no result; first: {self.first_error})")
            return []

    def search(self, q: str, limit: int = 10) -> list[str]:
        return self._safe(self.engine.search, q, limit)

    def suggest(self, title: str, description: str, limit: int = 10) -> list[str]:
        return self._safe(self.engine.suggest, title, description, limit)


def engines_for(articles: list[dict], work: Path) -> list:
    """kb first, then the reference engines, each with the same articles indexed.

    Other benchmarks pass their own function of the same shape to the runners below
    (``make_engines``) to score other engines with the same queries and metrics.
    """
    docs = [{"id": a["id"], "title": a["title"], "body": a.get("body") or ""} for a in articles]
    kb = Kb(articles, work / "kb")
    if BASELINE:
        before = KbAt(BASELINE, work / "kb" / "articles", work / "baseline")
        CHILDREN.append(before)
    else:
        before = KbBefore(kb)
    out = [kb, before, Ref(StockWhoosh(work / "whoosh"), docs)]
    try:
        out.append(Ref(Tantivy(None), docs))
    except ImportError:
        emit("  (tantivy not installed: pip install -e '.[bench]'; skipped)")
    emit(f"  indexed {len(docs):,} articles: " + ", ".join(f"{e.name} {e.build_seconds:.1f}s" for e in out))
    if kb.report.errors:
        emit(f"  kb build reported {len(kb.report.errors)} errors; first: {kb.report.errors[0]}")
    return out


BASELINE = ""  # --baseline: the commit "kb before" runs at (empty: kb's own index ranked as before)
CHILDREN: list[KbAt] = []


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    result = fn(*args, **kw)
    ms = (time.perf_counter() - t0) * 1000
    ms = getattr(getattr(fn, "__self__", None), "last_ms", ms)  # a child process times its own calls
    if getattr(fn, "__name__", "") == "search" and not kw:
        SEARCHED[(fn.__self__.name, *args)] = (result, ms)
    return result, ms


SEARCHED: dict[tuple, tuple[list[str], float]] = {}  # (engine, query, limit) -> (ids, ms): for by_kind


def lat(ms: list[float]) -> str:
    return f"{percentile(ms, 50):7.1f} {percentile(ms, 95):7.1f}"


def table_header(cols: list[str]) -> None:
    head = f"{'':<30}" + "".join(f"{c:>9}" for c in cols) + f"{'p50 ms':>9}{'p95 ms':>8}{'fail':>6}"
    emit(head)
    emit("-" * len(head))


def table_row(label: str, values: list[float], ms: list[float], failed: int) -> None:
    emit(f"{label:<30}" + "".join(f"{v:>9.3f}" for v in values) + f"  {lat(ms)}{failed:>6}")


# ----------------------------------------------------------------------------------------
# (a) officedocs known items
# ----------------------------------------------------------------------------------------

def run_officedocs(work: Path, make_engines=engines_for) -> dict:
    """Known-item search on officedocs; returns {(kind, engine): success@1} and
    {("ms", kind, engine): (p50, p95)}."""
    articles = load_officedocs()
    known = officedocs_known_items(articles)
    emit(f"\n## (a) officedocs known-item search: {len(articles):,} articles; {len(known.titles)} titles, "
         f"{len(known.error_codes)} error codes, {len(known.messages)} pasted messages (each has one right answer)")
    engines = make_engines(articles, work / "officedocs")
    out = {}
    for kind, items in (("titles", known.titles), ("error codes", known.error_codes),
                        ("pasted messages", known.messages)):
        emit(f"\n{kind} via search(limit 10)")
        table_header(["s@1", "MRR@10"])
        for e in engines:
            before = e.failed
            s1, mrr, ms = [], [], []
            for q, aid in items:
                ids, t = timed(e.search, q, 10)
                ms.append(t)
                s1.append(success_at_1(ids, {aid}))
                mrr.append(mrr_at_k(ids, {aid}, 10))
            table_row(e.name, [mean(s1), mean(mrr)], ms, e.failed - before)
            out[(kind, e.name)] = mean(s1)
            out[("ms", kind, e.name)] = (percentile(ms, 50), percentile(ms, 95))
    by_kind(engines, [(q, {aid}) for q, aid in known.titles + known.error_codes + known.messages])
    tickets = officedocs_passage_tickets(articles)
    emit(f"\ntickets repeating a passage of their article via suggest(limit 10): {len(tickets)} tickets, "
         "40-150 words, title = first ten words")
    table_header(["s@1", "MRR@10"])
    for e in engines:
        before = e.failed
        s1, mrr, ms = [], [], []
        for title, description, aid in tickets:
            ids, t = timed(e.suggest, title, description, 10)
            ms.append(t)
            s1.append(success_at_1(ids, {aid}))
            mrr.append(mrr_at_k(ids, {aid}, 10))
        table_row(e.name, [mean(s1), mean(mrr)], ms, e.failed - before)
        out[("passage tickets", e.name)] = mean(s1)
        out[("ms", "passage tickets", e.name)] = (percentile(ms, 50), percentile(ms, 95))
    kb_ok = {k: v for k, v in out.items() if k[1] == "kb"}
    emit("\ntargets: kb success@1 = 1.0 titles: %s (%.3f), = 1.0 error codes: %s (%.3f), "
         ">= 0.99 pasted messages: %s (%.3f)" % (
             _ok(kb_ok[("titles", "kb")] >= 1.0), kb_ok[("titles", "kb")],
             _ok(kb_ok[("error codes", "kb")] >= 1.0), kb_ok[("error codes", "kb")],
             _ok(kb_ok[("pasted messages", "kb")] >= 0.99), kb_ok[("pasted messages", "kb")]))
    return out


def by_kind(engines: list, queries: list[tuple[str, set[str]]], limit: int = 10, own: dict | None = None) -> None:
    """success@1 / MRR@10 / nDCG@10 and time per query for each kind of query, every engine.

    Queries are grouped by how kb reads them (:mod:`indexer.query_kind`); ``own`` maps a
    query to an id to drop from every list (a report is not its own duplicate)."""
    kb = engines[0]
    groups: dict[str, list[tuple[str, set[str]]]] = {}
    for q, rel in queries:
        groups.setdefault(kb.kind_of(q), []).append((q, rel))
    emit(f"\nby query kind (as kb reads them), search(limit {limit})")
    head = f"{'kind':<10}{'n':>5}  {'engine':<14}" + "".join(f"{c:>9}" for c in ("s@1", "MRR@10", "nDCG@10")) \
        + f"{'p50 ms':>9}{'p95 ms':>8}"
    emit(head)
    emit("-" * len(head))
    for kind in sorted(groups, key=lambda k: -len(groups[k])):
        items = groups[kind]
        for e in engines:
            rows, ms = [], []
            for q, rel in items:
                ids, t = SEARCHED.get((e.name, q, limit)) or timed(e.search, q, limit)
                if own and q in own:
                    ids = [i for i in ids if i != own[q]]
                ms.append(t)
                rows.append([success_at_1(ids, rel), mrr_at_k(ids, rel, 10), ndcg_at_k(ids, rel, 10)])
            avg = _avg(rows)
            emit(f"{kind:<10}{len(items):>5}  {e.name:<14}" + "".join(f"{v:>9.3f}" for v in avg) + f"  {lat(ms)}")


def _ok(flag: bool) -> str:
    return "met" if flag else "MISSED"


# ----------------------------------------------------------------------------------------
# (b) + (c) SeaMonkey
# ----------------------------------------------------------------------------------------

def _score_dups(ranked: list[str], own: str, relevant) -> list[float]:
    ranked = [i for i in ranked if i != own]
    return [ndcg_at_k(ranked, relevant, 10), mrr_at_k(ranked, relevant, 10), recall_at_k(ranked, relevant, 10),
            average_precision(ranked, relevant, 20)]


def _avg(rows: list[list[float]]) -> list[float]:
    return [mean(col) for col in zip(*rows)] if rows else []


def case_boosts(work: Path, articles: list[dict], tickets, judgments) -> tuple[dict[str, dict], dict]:
    """Leave-one-out learned boosts per ticket id (see the module docstring)."""
    from kb.cases import learning
    from kb.cases.store import close_case, create_case, link_article
    from kb.db import engine_for
    from kb.resolution_codes import load_taxonomy

    db = work / "cases.sqlite3"
    if db.exists():
        db.unlink()
    engine = engine_for(f"sqlite:///{db}")
    taxonomy, problems = load_taxonomy(ROOT / "articles" / "resolution-codes.yaml")
    if problems:
        emit(f"  taxonomy problems: {problems[:2]}")
    case_of: dict[int, str] = {}
    text_of: dict[int, tuple[str, str]] = {}
    for aid, title, desc in tickets:
        case = create_case(engine, channel="import", title=title[:300] or aid, description=desc or None,
                           product="SeaMonkey")
        solved_by = sorted(judgments[aid])[0]
        link_article(engine, case.id, solved_by, solved=True)
        close_case(engine, taxonomy, case.id, "solved-existing-article")
        case_of[case.id] = aid
        text_of[case.id] = (title[:300] or aid, desc or "")
    full = learning.build_index(engine)  # read back what the store recorded
    boosts, stats = {}, {"with_boosts": 0, "boost_hits_relevant": 0}
    for aid, title, desc in tickets:
        others = [(d, learning.case_text(*text_of[d.case_id])) for d in full.docs if case_of[d.case_id] != aid]
        index = learning.CaseIndex(others)
        similar = index.similar(title, desc, product="SeaMonkey", limit=20, min_similarity=0.1)
        b = learning.boosts_from(similar)
        boosts[aid] = b
        if b:
            stats["with_boosts"] += 1
        if set(b) & judgments[aid]:
            stats["boost_hits_relevant"] += 1
    stats["cases"] = len(full)
    return boosts, stats


def run_seamonkey(work: Path, make_engines=engines_for) -> dict:
    """Duplicate-report suggestions and title search on SeaMonkey, then case boosts; returns
    {(call, engine): [nDCG@10, MRR@10, R@10, MAP@20]} and {("ms", call, engine): (p50, p95)}."""
    articles, tickets, judgments = load_seamonkey()
    emit(f"\n## (b) SeaMonkey duplicate reports: {len(articles):,} reports indexed, {len(tickets)} tickets with "
         f"{sum(len(v) for v in judgments.values())} judged duplicates")
    emit("protocol: ticket = Summary + Description -> suggest(limit 20); own id removed; scored against its "
         "duplicates; title-only = search(Summary, limit 20)")
    engines = make_engines(articles, work / "seamonkey")
    cols = ["nDCG@10", "MRR@10", "R@10", "MAP@20"]
    res = {}
    for label, call in (("suggest (title+description)", "suggest"), ("title-only search", "search")):
        emit(f"\n{label}")
        table_header(cols)
        for e in engines:
            before = e.failed
            rows, ms = [], []
            for aid, title, desc in tickets:
                if call == "suggest":
                    ids, t = timed(e.suggest, title, desc, 20)
                else:
                    ids, t = timed(e.search, title, 20)
                ms.append(t)
                rows.append(_score_dups(ids, aid, judgments[aid]))
            avg = _avg(rows)
            res[(call, e.name)] = avg
            res[("ms", call, e.name)] = (percentile(ms, 50), percentile(ms, 95))
            table_row(e.name, avg, ms, e.failed - before)
    by_kind(engines, [(title, judgments[aid]) for aid, title, _ in tickets], 20,
            own={title: aid for aid, title, _ in tickets})
    kb_n = res[("suggest", "kb")][0]
    emit(f"target: kb suggest nDCG@10 >= 0.72: {_ok(kb_n >= 0.72)} ({kb_n:.3f})")
    if ("suggest", "stock whoosh") in res:
        kb_n, wh_n = res[("suggest", "kb")][0], res[("suggest", "stock whoosh")][0]
        emit(f"\nkb vs stock whoosh, suggest nDCG@10: {kb_n:.3f} vs {wh_n:.3f} = {100 * (kb_n / wh_n - 1):+.1f}% "
             f"(target >= +10%: {_ok(kb_n >= 1.1 * wh_n)}); 75 queries: differences of a few hundredths are noise")

    # (c) learned boosts
    emit("\n## (c) SeaMonkey suggestions with and without what cases taught us (kb only)")
    emit("protocol: leave-one-out. The 75 judged reports are closed cases (kb.cases.store), each linked "
         "solved=True to its smallest-id duplicate. For each ticket the case index holds only the OTHER 74 "
         "cases; boosts_from(similar(ticket), 20 cases, min similarity 0.1) -> suggest(boosts=...). Own id "
         "removed as in (b).")
    kb = engines[0]
    boosts, stats = case_boosts(work / "seamonkey", articles, tickets, judgments)
    emit(f"cases indexed: {stats['cases']}; tickets that got any boost: {stats['with_boosts']}/{len(tickets)}; "
         f"tickets whose boosts name one of their duplicates: {stats['boost_hits_relevant']}")
    table_header(cols)
    for label, use in (("kb without case boosts", False), ("kb with case boosts", True)):
        rows, ms = [], []
        before = kb.failed
        for aid, title, desc in tickets:
            ids, t = timed(kb.suggest, title, desc, 20, boosts=(boosts[aid] or None) if use else None)
            ms.append(t)
            rows.append(_score_dups(ids, aid, judgments[aid]))
        avg = _avg(rows)
        res[("boosts" if use else "noboosts", "kb")] = avg
        table_row(label, avg, ms, kb.failed - before)
    a, b = res[("noboosts", "kb")][0], res[("boosts", "kb")][0]
    emit(f"case boosts change kb nDCG@10 by {b - a:+.3f} ({100 * (b / a - 1) if a else 0:+.1f}%)")
    return res


# ----------------------------------------------------------------------------------------
# (b) StackFAQ
# ----------------------------------------------------------------------------------------

def run_stackfaq(work: Path, make_engines=engines_for) -> dict:
    """Paraphrases through search and suggest on StackFAQ; returns
    {(call, engine): [s@1, MRR@10, nDCG@10, R@10]} and {("ms", call, engine): (p50, p95)}."""
    articles, queries = load_stackfaq()
    emit(f"\n## (b) StackFAQ paraphrases: {len(articles)} threads indexed, {len(queries):,} paraphrases "
         "(one relevant thread each)")
    engines = make_engines(articles, work / "stackfaq")
    res = {}
    for label, call in (("search(paraphrase, limit 10)", "search"),
                        ("suggest(title='', description=paraphrase, limit 10)", "suggest")):
        emit(f"\n{label}")
        table_header(["s@1", "MRR@10", "nDCG@10", "R@10"])
        for e in engines:
            before = e.failed
            rows, ms = [], []
            for q, aid in queries:
                if call == "search":
                    ids, t = timed(e.search, q, 10)
                else:
                    ids, t = timed(e.suggest, "", q, 10)
                ms.append(t)
                rel = {aid}
                rows.append([success_at_1(ids, rel), mrr_at_k(ids, rel, 10), ndcg_at_k(ids, rel, 10),
                             recall_at_k(ids, rel, 10)])
            avg = _avg(rows)
            res[(call, e.name)] = avg
            res[("ms", call, e.name)] = (percentile(ms, 50), percentile(ms, 95))
            table_row(e.name, avg, ms, e.failed - before)
    by_kind(engines, [(q, {aid}) for q, aid in queries])
    kb_n = res[("search", "kb")][2]
    emit(f"target: kb search nDCG@10 >= 0.92: {_ok(kb_n >= 0.92)} ({kb_n:.3f})")
    for call in ("search", "suggest"):
        if (call, "stock whoosh") not in res:
            continue
        kb_n, wh_n = res[(call, "kb")][2], res[(call, "stock whoosh")][2]
        emit(f"kb vs stock whoosh, {call} nDCG@10: {kb_n:.3f} vs {wh_n:.3f} = {100 * (kb_n / wh_n - 1):+.1f}% "
             f"(target >= +10%: {_ok(kb_n >= 1.1 * wh_n)})")
    return res


def _git_short(rev: str) -> str:
    import subprocess

    return subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True).stdout.strip()


RUNNERS = {"officedocs": run_officedocs, "seamonkey": run_seamonkey, "stackfaq": run_stackfaq}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="officedocs,seamonkey,stackfaq")
    ap.add_argument("--work", default=None, help="folder for temporary indexes (default: a new temp folder)")
    ap.add_argument("--out", default=str(HERE / "out" / "relevance.txt"), help="copy of the printed report")
    ap.add_argument("--baseline", default="", metavar="REV",
                    help="compare with kb at this commit or branch (e.g. main), built and run in a child process")
    args = ap.parse_args(argv)
    global BASELINE
    BASELINE = args.baseline
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="kb-relevance-"))
    emit(f"relevance bench {time.strftime('%Y-%m-%d %H:%M:%S')}; kb audience={AUDIENCE!r} statuses={STATUSES}; "
         "metrics from bench/metrics.py; latencies are per call, in-process, searcher reused; " + code_state()
         + (f"; kb before = {BASELINE} ({_git_short(BASELINE)})" if BASELINE else ""))
    status = 0
    try:
        for name in [s.strip() for s in args.only.split(",") if s.strip()]:
            if name not in RUNNERS:
                emit(f"unknown data set {name!r}; choose from {', '.join(RUNNERS)}")
                status = 2
                continue
            try:
                RUNNERS[name](work)
            except DatasetMissing as exc:
                emit(f"\n## {name}: skipped -- {exc}")
    finally:
        for child in CHILDREN:
            child.close()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("\n".join(LINES) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
