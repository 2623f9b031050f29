#!/usr/bin/env python3
"""Speed of kb's search on the queries people type, against stock Whoosh and tantivy.

    python bench/search_bench.py --sizes 10000,100000 --datasets officedocs --repeat 3

For every corpus (the synthetic one of bench/make_corpus.py at each size, cached under
--work, and each named real data set, read from ../shared/data by bench/datasets.py):

* full build of each engine in its own child process: wall time until searchable, peak
  memory (summed over the build's worker processes), index size on disk;
* the query mix of bench/query_mix.py, generated from the corpus itself: remembered titles,
  pasted error messages, questions, 2-3-word queries, error codes, quoted phrases (search)
  and 150-word tickets (kb's suggest; the references get the ticket as one OR query). Every
  engine answers the same queries in a long-lived child process (searcher opened once,
  warmed up on queries that are not measured). ``--repeat`` runs the whole mix several
  times, interleaved; the report gives the median of the runs' p50/p95 and the spread of p95;
* kb's time per stage (parse, candidates, scoring, phrases, boosters, facets, snippets,
  spelling, meaning; see indexer/stages.py), measured in a separate pass;
* success@1 against each query's source article (a weak label: only articles kb may
  return, published ones, are counted), so a speed-up that breaks ranking shows;
* one-file change (kb only, synthetic corpora): how soon an edit is searchable, the way
  `kb watch` does it and the way a full-scan `kb index` does it;
* ratios kb/reference per kind, and the targets: p95 within 10x of tantivy for every
  search kind and within 15x for ticket suggestions. tantivy requires every query word;
  ``--engines kb,tantivy,tantivy-any`` also searches its index for any word, as kb does
  (a question with one word no article has costs tantivy an empty intersection only).

The machine's load average is printed before and after each engine's searching: figures
taken under load are noisy. Output goes to stdout and to WORK/search_bench-<corpus>.txt.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from metrics import mean, percentile, success_at_1  # noqa: E402
from provenance import code_state, machine_speed  # noqa: E402
from query_mix import KINDS, load_markdown, make_mix  # noqa: E402

KB_AUDIENCE = "internal"
KB_STATUSES = ("published",)
WARMUP = 5  # queries of each kind run before measuring (not measured)
MARKER_WORD = "zqxbenchmarker"
SEARCH_TARGET = 10.0  # kb p95 within this many times tantivy's, every search kind
SUGGEST_TARGET = 15.0  # ... and for ticket suggestions


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------

def proc_status_kb(field: str) -> int:
    """A /proc/self/status field in kB (VmHWM = peak RSS, VmRSS = current RSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.md") if p.is_file())


def parse_article(path: Path) -> dict:
    """id, title, status, audience and body of a make_corpus article (its front matter is a
    fixed line format, so no YAML parser is needed)."""
    text = path.read_text(encoding="utf-8")
    end = text.find("\n---\n", 4)
    meta = {}
    for line in text[4:end].splitlines():
        key, _, value = line.partition(": ")
        meta[key] = value
    title = meta.get("title", "")
    if title.startswith('"'):
        title = json.loads(title)
    return {"id": meta.get("id", path.stem), "title": title, "status": meta.get("status"),
            "audience": meta.get("audience"), "body": text[end + 5:]}


def load_loose(path: Path) -> dict:
    """An article file of any kb corpus: YAML front matter when the fast line format fails."""
    import yaml

    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        meta = yaml.safe_load(text[4:end]) or {}
        return {"id": str(meta.get("id", path.stem)), "title": str(meta.get("title", "")),
                "status": meta.get("status"), "audience": meta.get("audience"), "body": text[end + 5:]}
    return load_markdown(path)


def ensure_corpus(n: int, work: Path, seed: int = 0) -> Path:
    from make_corpus import write_corpus

    corpus = work / f"corpus-{n}"
    done = corpus / ".complete"
    if not done.exists():
        t0 = time.perf_counter()
        write_corpus(n, corpus, seed=seed)
        done.write_text(str(n))
        print(f"  (wrote corpus of {n} articles in {time.perf_counter() - t0:.1f}s)", file=sys.stderr, flush=True)
    return corpus


def ensure_dataset(name: str, work: Path) -> Path:
    """A real data set written as kb article files (once; the copy lives under --work only)."""
    from datasets import load_officedocs, write_kb

    loaders = {"officedocs": load_officedocs}
    if name not in loaders:
        raise SystemExit(f"unknown data set {name!r}; choose from {', '.join(loaders)}")
    corpus = work / f"corpus-{name}"
    done = corpus / ".complete"
    if not done.exists():
        articles = loaders[name]()
        write_kb(articles, corpus)
        done.write_text(str(len(articles)))
    return corpus


def lat_stats(values: list[float]) -> dict:
    ms = [v * 1000 for v in values]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "n": len(ms)}


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# ----------------------------------------------------------------------------------------
# engines inside child processes
# ----------------------------------------------------------------------------------------

def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children (the build's
    writer processes): what a build costs whatever else the machine is running."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class KbRunner:
    name = "kb"

    def __init__(self, corpus: Path, index: Path, *, vectors: bool = True):
        self.corpus, self.index = corpus, index
        self.vectors = vectors
        self.failed = 0

    def build(self) -> dict:
        import shutil

        from indexer import build_index

        # a full build from nothing: an older generation would be kept beside the new one
        # (doubling the size on disk) and may be read for last-good versions
        shutil.rmtree(self.index, ignore_errors=True)
        t0 = time.perf_counter()
        cpu0 = _cpu_seconds()
        report = build_index(self.corpus, self.index, rebuild=True, embed=self.vectors)
        wall = time.perf_counter() - t0
        cpu = _cpu_seconds() - cpu0
        errors = [str(p) for p in report.errors][:5]
        # "seconds": until the words are searchable (the switch); the meaning vectors are
        # computed after it and reported on their own.
        return {"seconds": report.seconds, "wall_seconds": wall, "cpu_seconds": cpu, "embedded": report.embedded,
                "embed_seconds": report.embed_seconds, "summary": report.summary(), "errors": errors}

    def open(self) -> None:
        from indexer import Searcher
        from indexer.search import FAILED_NOTICE

        self.failed_notice = FAILED_NOTICE
        self.searcher = Searcher(self.index)
        # As `kb serve` opens it (web/server.py): what searches load, loaded first, and the
        # collector kept from walking those caches again and again.
        self.searcher.warm()
        gc.collect()
        gc.freeze()

    def _ids(self, page) -> list[str]:
        if page.notice and self.failed_notice in page.notice:
            self.failed += 1
        return [h.id for h in page.hits]

    def search(self, q: str, limit: int = 10) -> list[str]:
        return self._ids(self.searcher.search(q, audience=KB_AUDIENCE, statuses=KB_STATUSES, limit=limit))

    def suggest(self, title: str, desc: str, limit: int = 10) -> list[str]:
        return self._ids(self.searcher.suggest(title, desc, audience=KB_AUDIENCE, statuses=KB_STATUSES,
                                               limit=limit))


class RefRunner:
    def __init__(self, kind: str, corpus: Path, index: Path):
        from references import StockWhoosh, Tantivy, TantivyAny

        self.kind, self.corpus, self.index = kind, corpus, index
        engines = {"whoosh": StockWhoosh, "tantivy": Tantivy, "tantivy-any": TantivyAny}
        self.engine = engines[kind](index)
        self.name = self.engine.name
        self.failed = 0
        self.first_error = None

    def build(self) -> dict:
        # docs are read lazily inside the engine's timed loop, so file reading counts too
        reader = parse_article if (self.corpus / ".synthetic").exists() else load_loose
        seconds = self.engine.build(reader(p) for p in corpus_files(self.corpus))
        return {"seconds": seconds}

    def open(self) -> None:
        if self.kind == "whoosh":
            self.engine.open()
        else:
            import tantivy

            self.engine.index = tantivy.Index.open(str(self.index))
            self.engine.index.reload()
            self.engine._searcher = self.engine.index.searcher()

    def _safe(self, fn, *args):
        try:
            return fn(*args)
        except Exception as exc:  # noqa: BLE001 - a reference failing on a query counts as no result
            self.failed += 1
            if not self.first_error:
                self.first_error = f"{args[0][:60]!r}: {type(exc).__name__}: {str(exc)[:120]}"
            return []

    def search(self, q: str, limit: int = 10) -> list[str]:
        return self._safe(self.engine.search, q, limit)

    def suggest(self, title: str, desc: str, limit: int = 10) -> list[str]:
        return self._safe(self.engine.suggest, title, desc, limit)


def make_runner(engine: str, corpus: Path, index: Path, *, vectors: bool = True):
    return KbRunner(corpus, index, vectors=vectors) if engine == "kb" else RefRunner(engine, corpus, index)


def _tree_rss_kb(root: int) -> int:
    """Sum of VmRSS over a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, ()))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def child_build(args) -> dict:
    import threading

    runner = make_runner(args.engine, Path(args.corpus), Path(args.index), vectors=not args.no_vectors)
    peak = {"kb": 0}
    stop = threading.Event()

    def sample() -> None:  # the build's worker processes live at the same time: sum them
        while not stop.is_set():
            peak["kb"] = max(peak["kb"], _tree_rss_kb(os.getpid()))
            stop.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    if Path("/proc/self/stat").exists():
        sampler.start()
    try:
        out = runner.build()
    finally:
        stop.set()
    out["tree_peak_rss_kb"] = peak["kb"]
    out["peak_rss_kb"] = proc_status_kb("VmHWM")
    out["children_peak_rss_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["index_bytes"] = dir_size(Path(args.index))
    return out


def one_file_change(runner: KbRunner) -> dict:
    """Append a unique word to one published article; time until a search finds it.

    Twice: the way `kb watch` / `kb serve --watch` do it (the changed file's path is passed to
    build_index, so nothing else is scanned), and the way a plain `kb index` does it (every
    file's size and modification time compared with the index).
    """
    from indexer import build_index

    target = None
    for path in corpus_files(runner.corpus):
        doc = parse_article(path)
        if doc["status"] == "published":
            target = path
            break
    original = target.read_bytes()
    rel = target.relative_to(runner.corpus).as_posix()
    out: dict = {"article": target.stem}

    def change(label: str, paths) -> None:
        word = f"{MARKER_WORD}{label}{int(time.time())}"
        t0 = time.perf_counter()
        with target.open("ab") as fh:
            fh.write(f"\n\nBenchmark marker {word}.\n".encode())
        report = build_index(runner.corpus, runner.index, rebuild=False, paths=paths)
        t_build = time.perf_counter() - t0
        runner.searcher.refresh()
        found = False
        while time.perf_counter() - t0 < 30:
            if runner.search(word, 5):
                found = True
                break
            time.sleep(0.01)
            runner.searcher.refresh()
        out[label] = {"build_seconds": t_build, "total_seconds": time.perf_counter() - t0, "found": found,
                      "summary": report.summary()}
        target.write_bytes(original)
        build_index(runner.corpus, runner.index, rebuild=False, paths=[rel])

    try:
        change("watch", [rel])
        change("scan", None)
    finally:
        target.write_bytes(original)
        build_index(runner.corpus, runner.index, rebuild=False)
    return out


def _run_query(runner, item) -> list[str]:
    kind, text, _source, title = item
    return runner.suggest(title, text) if kind == "ticket" else runner.search(text)


def child_search(args) -> dict:
    corpus, index = Path(args.corpus), Path(args.index)
    runner = make_runner(args.engine, corpus, index)
    inputs = json.loads(Path(args.inputs).read_text())
    load_before = load_average()
    t0 = time.perf_counter()
    runner.open()
    open_seconds = time.perf_counter() - t0
    if args.engine == "kb":
        # As `kb serve` runs it: one BLAS thread per process (the encoder's matrix products).
        from threadpoolctl import threadpool_limits

        threadpool_limits(1, user_api="blas")
    # Each run of the mix gets queries of its own (the slices): the engines' caches of
    # common words warm up as in real use, but no run replays queries seen before.
    slices = [{kind: [tuple(q) for q in part[kind]] for kind in KINDS} for part in inputs["runs"]]
    if args.engine != "kb" and args.ref_limit:
        slices = [{kind: items[:args.ref_limit.get(kind, len(items))] for kind, items in part.items()}
                  for part in slices]
    for item in (tuple(q) for q in inputs["warm"]):
        _run_query(runner, item)
    latencies: dict[str, list[list[float]]] = {kind: [] for kind in KINDS}
    cpu_times: dict[str, list[list[float]]] = {kind: [] for kind in KINDS}
    s1: dict[str, list[float]] = {kind: [] for kind in KINDS}
    visible = set(inputs["visible"])
    for part in slices[:args.repeat]:
        for kind in KINDS:
            lat, cpu = [], []
            for item in part[kind]:
                t, c = time.perf_counter(), time.thread_time()
                ids = _run_query(runner, item)
                lat.append(time.perf_counter() - t)
                cpu.append(time.thread_time() - c)
                if item[2] in visible:
                    s1[kind].append(success_at_1(ids, {item[2]}))
            latencies[kind].append(lat)
            cpu_times[kind].append(cpu)
    out: dict = {"open_seconds": open_seconds, "kinds": {}, "failed": runner.failed,
                 "first_error": getattr(runner, "first_error", None)}
    for kind in KINDS:
        rounds = [lat_stats(lat) for lat in latencies[kind] if lat]
        cpu_rounds = [lat_stats(cpu) for cpu in cpu_times[kind] if cpu]
        out["kinds"][kind] = {
            "cpu_p50": percentile([r["p50"] for r in cpu_rounds], 50) if cpu_rounds else float("nan"),
            "cpu_p95": percentile([r["p95"] for r in cpu_rounds], 50) if cpu_rounds else float("nan"),
            "rounds": rounds,
            "p50": percentile([r["p50"] for r in rounds], 50) if rounds else float("nan"),
            "p95": percentile([r["p95"] for r in rounds], 50) if rounds else float("nan"),
            "p95_spread": [min(r["p95"] for r in rounds), max(r["p95"] for r in rounds)] if rounds else [],
            "n": len(slices[0][kind]), "s1": mean(s1[kind]), "s1_n": len(s1[kind]),
        }
    if args.engine == "kb":
        out["stages"] = stage_breakdown(runner, slices[-1])
    out["load_before"], out["load_after"] = load_before, load_average()
    out["rss_after_kb"], out["peak_rss_kb"] = proc_status_kb("VmRSS"), proc_status_kb("VmHWM")
    if args.engine == "kb" and args.change:
        out["change"] = one_file_change(runner)
    return out


def stage_breakdown(runner: KbRunner, queries: dict) -> dict:
    """Mean milliseconds of CPU time per query spent in each stage, per kind (one extra pass;
    the stages are CPU time of the searching thread, so the total is too)."""
    from indexer.stages import record

    out = {}
    for kind in KINDS:
        items = queries[kind]
        with record() as times:
            t0 = time.thread_time()
            for item in items:
                _run_query(runner, item)
            total = time.thread_time() - t0
        per = {name: 1000 * s / max(len(items), 1) for name, s in times.seconds.items()}
        per["total"] = 1000 * total / max(len(items), 1)
        per["other"] = per["total"] - sum(v for k, v in per.items() if k != "total")
        out[kind] = per
    return out


# ----------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------

def index_of(engine: str) -> str:
    """The engine whose index ``engine`` searches (tantivy-any searches tantivy's)."""
    return "tantivy" if engine == "tantivy-any" else engine


def run_child(mode: str, engine: str, **kw) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--engine", engine]
    for key, value in kw.items():
        if value is True:
            cmd.append(f"--{key}")
        elif value is not None and value is not False:
            cmd += [f"--{key}", json.dumps(value) if isinstance(value, dict) else str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT))
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{mode} {engine} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "n/a"


def corpus_inputs(corpus: Path, per_kind: int, runs: int, seed: int) -> dict:
    """The query mix for a corpus: warm-up queries, one slice per run and one for the stage
    breakdown (``runs + 1`` slices of ``per_kind`` queries of each kind), plus which
    articles kb may return (published ones)."""
    files = corpus_files(corpus)
    reader = parse_article if (corpus / ".synthetic").exists() else load_loose
    cache: dict[int, dict] = {}

    def load(i: int) -> dict:
        if i not in cache:
            cache[i] = reader(files[i])
        return cache[i]

    mix = make_mix(load, len(files), WARMUP + per_kind * (runs + 1), seed)
    visible = []
    for path in files:
        with path.open(encoding="utf-8") as fh:
            head = "".join(next(fh, "") for _ in range(8))
        if "status: draft" in head or "status: review" in head or "status: archived" in head:
            continue
        visible.append(path.stem)
    warm: list = []
    slices: list[dict] = [{} for _ in range(runs + 1)]
    for kind, items in mix.items():
        rows = [(q.kind, q.text, q.source, q.title) for q in items]
        warm += rows[:WARMUP]
        for i, part in enumerate(slices):
            part[kind] = rows[WARMUP + i * per_kind:WARMUP + (i + 1) * per_kind]
    return {"runs": slices, "warm": warm, "visible": visible, "files": len(files),
            "bytes": sum(p.stat().st_size for p in files)}


def bench_corpus(label: str, corpus: Path, work: Path, args, emit) -> None:
    engines = args.engines.split(",")
    if args.report_only:
        inputs = json.loads((work / f"inputs-{label}.json").read_text())
        emit(f"\n=== {label}: {inputs['files']:,} articles (report of the last run's figures) ===")
        results = {}
        for engine in engines:
            raw = json.loads((work / f"raw-{engine}-{label}.json").read_text())
            results[engine] = (raw["build"], raw["search"])
        report(results, inputs, args, emit)
        return
    inputs = corpus_inputs(corpus, args.per_kind, args.repeat, args.seed)
    inputs_path = work / f"inputs-{label}.json"
    inputs_path.write_text(json.dumps(inputs))
    emit(f"\n=== {label}: {inputs['files']:,} articles, {inputs['bytes'] / 1e6:.1f} MB, "
         f"{len(inputs['visible']):,} published ({corpus}) ===")
    first = inputs["runs"][0]
    words = {k: mean(len(q[1].split()) for q in v) for k, v in first.items()}
    emit("query mix (bench/query_mix.py, seed %d), per run: " % args.seed + ", ".join(
        f"{k} {len(first[k])} (~{words[k]:.0f} words)" for k in KINDS)
        + f"; {args.repeat} run(s), each with queries of its own, then one more for kb's stages; "
          f"{len(inputs['warm'])} warm-up queries not measured")
    emit(f"kb searches as audience={KB_AUDIENCE!r} statuses={KB_STATUSES}; the references index every article")
    if args.no_vectors:
        emit("kb built without meaning vectors (--no-vectors): ticket suggestions rank by words alone")
    ref_limit = None
    tickets = args.ref_tickets if args.ref_tickets is not None else (20 if inputs["files"] >= 50_000 else 0)
    if tickets:
        ref_limit = {"ticket": tickets}
    results = {}
    for engine in engines:
        index = work / f"index-{index_of(engine)}-{label}"
        raw = work / f"raw-{engine}-{label}.json"
        if engine != index_of(engine):  # searches another engine's index: reuse its build figures
            built = work / f"raw-{index_of(engine)}-{label}.json"
            if not (index.exists() and built.exists()):
                sys.exit(f"{engine} searches the {index_of(engine)} index: list {index_of(engine)} "
                         f"before it in --engines")
            b = json.loads(built.read_text())["build"]
            emit(f"{engine}: searches the {index_of(engine)} index")
        elif (engine in args.reuse or "all" in args.reuse) and index.exists() and raw.exists():
            b = json.loads(raw.read_text())["build"]
            if engine == "kb":
                from indexer import build_index

                b["reused_update"] = build_index(corpus, index).summary()
            emit(f"{engine}: index and build figures reused from {raw.name}")
        else:
            print(f"  building {engine} on {label} ...", file=sys.stderr, flush=True)
            b = run_child("build", engine, corpus=corpus, index=index, **{"no-vectors": args.no_vectors})
        print(f"  built {engine} in {b['seconds']:.1f}s; searching ...", file=sys.stderr, flush=True)
        s = run_child("search", engine, corpus=corpus, index=index, inputs=inputs_path, repeat=args.repeat,
                      change=(engine == "kb" and (corpus / ".synthetic").exists() and not args.no_change),
                      **{"ref-limit": ref_limit})
        results[engine] = (b, s)
        raw.write_text(json.dumps({"build": b, "search": s}, indent=1))
    report(results, inputs, args, emit)


def _kind_table(results: dict, names: list[str], *, p50: str, p95: str, label: str, ratio_label: str,
                cell: int, ratio_cell: int, more_head: str = "", more=None) -> list[str]:
    """Lines of a per-kind table: each engine's p50 / p95, then kb's p95 over each reference's;
    ``more(kind)`` adds cells of its own under ``more_head``."""
    refs = [n for n in names if n != "kb"]
    head = f"{'kind':<10}" + "".join(f"{n[:12] + label:>{cell}}" for n in names)
    if "kb" in names:
        head += "".join(f"{'kb/' + n[:7] + ratio_label:>{ratio_cell}}" for n in refs)
    head += more_head
    lines = [head, "-" * len(head)]
    for kind in KINDS:
        row = f"{kind:<10}"
        for n in names:
            k = results[n][1]["kinds"][kind]
            row += f"{k[p50]:>{cell - 11}.2f} /{k[p95]:>8.2f} " if k["n"] else f"{'-':>{cell}}"
        if "kb" in names:
            kb = results["kb"][1]["kinds"][kind]
            for n in refs:
                r = results[n][1]["kinds"][kind]
                row += f"{ratio(kb[p95], r[p95]) if r['n'] else '-':>{ratio_cell}}"
        lines.append(row + (more(kind) if more else ""))
    return lines


def _cpu_table(results: dict, emit) -> None:
    """The same queries' CPU time (of the searching thread): what each engine costs whatever
    else the machine runs, where wall-clock percentiles also hold time spent waiting for a core."""
    names = [n for n in results if "cpu_p95" in results[n][1]["kinds"][KINDS[0]]]
    if not names:
        return
    emit("")
    for line in _kind_table(results, names, p50="cpu_p50", p95="cpu_p95", label=" CPU p50/p95",
                            ratio_label=" CPU p95", cell=25, ratio_cell=19):
        emit(line)
    emit("CPU ms: thread CPU time per query (time waiting for a core on a busy machine is not in it).")


def report(results: dict, inputs: dict, args, emit) -> None:
    emit("")
    emit(f"{'engine':<14}{'build s':>9}{'build peak':>12}{'index':>11}{'search RSS':>12}{'open ms':>9}"
         f"{'load avg before / after':>30}")
    for engine, (b, s) in results.items():
        peak = mb(max(b.get("tree_peak_rss_kb", 0), b.get("peak_rss_kb", 0)))
        emit(f"{engine:<14}{b['seconds']:>9.1f}{peak:>12}{b['index_bytes'] / 1e6:>8.1f} MB{mb(s['peak_rss_kb']):>12}"
             f"{s['open_seconds'] * 1000:>9.0f}{s['load_before']:>18} / {s['load_after']}")
    emit("")
    names = list(results)

    def more(kind: str) -> str:
        cells = ""
        if "kb" in results:
            spread = results["kb"][1]["kinds"][kind]["p95_spread"]
            cells += f"{spread[0]:>10.1f}-{spread[1]:<7.1f}" if spread else f"{'':>18}"
        return cells + "".join(f"{results[n][1]['kinds'][kind]['s1']:>12.3f}" for n in names)

    more_head = (f"{'kb p95 spread':>18}" if "kb" in results else "") + "".join(f"{'s@1 ' + n[:6]:>12}"
                                                                             for n in names)
    for line in _kind_table(results, names, p50="p50", p95="p95", label=" p50/p95 ms", ratio_label=" p95",
                            cell=24, ratio_cell=15, more_head=more_head, more=more):
        emit(line)
    emit("p50/p95: median over the runs of each run's percentile; spread: lowest and highest p95 of kb's runs.")
    _cpu_table(results, emit)
    emit("s@1: the query's source article first (a weak label; only published sources counted).")
    for n in names:
        limited = [k for k in KINDS if results[n][1]["kinds"][k]["n"] < len(inputs["runs"][0][k])]
        for k in limited:
            emit(f"({n} ran only {results[n][1]['kinds'][k]['n']} {k} queries: ratios use its own figures)")
        if results[n][1].get("failed"):
            emit(f"{n}: {results[n][1]['failed']} queries failed; first: {results[n][1].get('first_error')}")
    if "kb" not in results:
        return
    kb_b, kb_s = results["kb"]
    stages = kb_s.get("stages") or {}
    if stages:
        from indexer.stages import STAGES

        cols = [*STAGES, "other", "total"]
        emit("\nkb CPU time per stage, mean ms per query (a pass of its own queries; see indexer/stages.py):")
        emit(f"{'kind':<10}" + "".join(f"{c[:10]:>11}" for c in cols))
        for kind in KINDS:
            per = stages.get(kind, {})
            emit(f"{kind:<10}" + "".join(f"{per.get(c, 0.0):>11.2f}" for c in cols))
    if kb_b.get("reused_update"):
        emit(f"kb update of the reused index: {kb_b['reused_update']}")
    elif kb_b.get("summary"):
        emit(f"kb build report: {kb_b['summary']}")
    if kb_b.get("errors"):
        emit(f"kb build errors (first 5): {kb_b['errors']}")
    ch = kb_s.get("change")
    if ch:
        for label, how in (("watch", "as `kb watch` does it (changed path given)"),
                           ("scan", "as a full-scan `kb index` does it")):
            c = ch[label]
            emit(f"kb one-file change {how}: build {c['build_seconds'] * 1000:.0f} ms, searchable after "
                 f"{c['total_seconds'] * 1000:.0f} ms (found={c['found']})")
    for ref in ("tantivy", "tantivy-any"):
        if ref not in results:
            continue
        t = results[ref][1]["kinds"]
        for label, key in (("", "p95"), (" in CPU time", "cpu_p95")):
            if key not in t[KINDS[0]] or key not in kb_s["kinds"][KINDS[0]]:
                continue
            verdicts = []
            for kind in KINDS:
                limit = SUGGEST_TARGET if kind == "ticket" else SEARCH_TARGET
                mine, theirs = kb_s["kinds"][kind][key], t[kind][key]
                verdicts.append(f"{kind} {ratio(mine, theirs)} (<= {limit:g}x: "
                                f"{'met' if mine <= limit * theirs else 'MISSED'})")
            emit(f"targets, kb p95 / {ref} p95{label}: " + "; ".join(verdicts))
    if kb_b.get("cpu_seconds"):
        emit(f"kb build CPU time (all its processes): {kb_b['cpu_seconds']:.0f} s, "
             f"{kb_b['cpu_seconds'] / 2:.0f} s of wall time on two otherwise idle cores at best"
             + ("" if args.no_vectors else ", meaning vectors included"))
    emit(f"build until searchable: {kb_b['seconds']:.1f} s"
         + (f" (target at 100,000 articles: <= 180 s: {'met' if kb_b['seconds'] <= 180 else 'MISSED'})"
            if inputs["files"] >= 100_000 else ""))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000", help="synthetic corpus sizes, comma-separated ('' for none)")
    ap.add_argument("--datasets", default="", help="real data sets too, comma-separated: officedocs")
    ap.add_argument("--work", default=str(HERE / "out"))
    ap.add_argument("--per-kind", type=int, default=200, help="queries of each kind (default 200)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of the whole mix per engine (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", default="kb,whoosh,tantivy")
    ap.add_argument("--reuse", default="", metavar="ENGINES",
                    help="comma-separated engines (or 'all') whose index and build figures are reused from an "
                         "earlier run; only their searching is measured")
    ap.add_argument("--ref-tickets", type=int, default=None,
                    help="tickets the references answer per run (stock Whoosh takes seconds per whole-ticket "
                         "OR query); 0 for all; default 20 at 50,000 articles and more, else all")
    ap.add_argument("--no-change", action="store_true", help="skip the one-file-change measurement")
    ap.add_argument("--report-only", action="store_true",
                    help="print the report of the last run's figures (bench/out/raw-*.json) without running")
    ap.add_argument("--no-vectors", action="store_true",
                    help="build kb without the meaning vectors (hours on 2 cores at 100k articles): ticket "
                         "suggestions then rank by words alone, and the meaning stage costs nothing")
    # child mode (internal)
    ap.add_argument("--child", choices=("build", "search"))
    ap.add_argument("--engine")
    ap.add_argument("--corpus")
    ap.add_argument("--index")
    ap.add_argument("--inputs")
    ap.add_argument("--change", action="store_true")
    ap.add_argument("--ref-limit", type=json.loads, default=None)
    args = ap.parse_args(argv)
    if args.child:
        out = child_build(args) if args.child == "build" else child_search(args)
        print(json.dumps(out))
        return 0
    args.reuse = tuple(e for e in args.reuse.split(",") if e)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    corpora = [(f"synthetic-{int(s.replace('_', ''))}", None, int(s.replace("_", "")))
               for s in args.sizes.split(",") if s.strip()]
    corpora += [(name.strip(), name.strip(), 0) for name in args.datasets.split(",") if name.strip()]
    for label, dataset, n in corpora:
        lines: list[str] = []

        def emit(line: str) -> None:
            print(line, flush=True)
            lines.append(line)

        emit(f"search_bench {time.strftime('%Y-%m-%d %H:%M:%S')}  python {sys.version.split()[0]}  "
             f"cpus={os.cpu_count()}  {code_state()}  load average {load_average()} "
             "(other work may share this machine; timings are wall-clock)")
        emit(f"before: {machine_speed()}")
        if dataset:
            corpus = ensure_dataset(dataset, work)
        else:
            corpus = ensure_corpus(n, work)
            (corpus / ".synthetic").touch()
        try:
            bench_corpus(label, corpus, work, args, emit)
            emit(f"after: {machine_speed()}")
        finally:
            (work / f"search_bench-{label}.txt").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
