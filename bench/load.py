#!/usr/bin/env python3
"""Load test: a realistic mix of requests against one and against two `kb serve` instances
sharing one index and one PostgreSQL database.

    python bench/load.py --articles /data/kb100k --index /data/kb100k.idx --synthetic 100000
    python bench/load.py --articles articles --index instance/index --seconds 20

For each configuration (``--instances 2,1`` by default) it starts that many `kb serve`
instances, each with its own instance folder and its default server processes (or
``--workers``), all on one fresh PostgreSQL database and one secret key, as behind a load
balancer. ``--clients`` clients (16) then send requests back to back for ``--seconds``
(60) after a ``--warmup``; each client sends its requests to the instances in turn, as a
round-robin balancer would. The mix, by weight:

    search, anonymous (help center)      20   GET  /api/search
    search, engineer (API token)         25   GET  /api/search
    ticket suggestions (API token)       10   POST /api/suggest
    help-center article page             15   GET  /help/articles/<id>
    engineer article page (signed in)    15   GET  /articles/<id>
    case API: open a case                 5   POST /api/cases
    case API: read a case                 5   GET  /api/cases/<id>
    case API: link an article             5   POST /api/cases/<id>/links

It prints requests/s, p50/p95/p99 and errors (any status other than the expected one, or
no answer) per kind of request, the total, and the ratio of the configurations. The
database is the suite's throwaway PostgreSQL cluster (Debian's ``postgresql`` package)
unless ``--db`` names one; queries and tickets come from bench/make_corpus.py with
``--synthetic N``, else from bench/http_search.py's lists for the sample knowledge base.
Machine load (the 1-minute load average) is printed before and after each run: on a shared
machine, read the figures beside it. ``--json FILE`` writes everything measured.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from http_search import free_port, load_inputs, percentile  # noqa: E402

MIX = {  # kind: weight
    "search_public": 20, "search_engineer": 25, "suggest": 10, "help_article": 15,
    "engineer_article": 15, "case_open": 5, "case_read": 5, "case_link": 5,
}
PASSWORD = "a long benchmark password"
SET_BY_THE_BENCH = ("KB_ARTICLES", "KB_INDEX", "KB_DB", "KB_INSTANCE", "KB_HOST", "KB_PORT", "KB_SECRET_KEY",
                    "KB_WATCH")


@dataclass
class Instance:
    url: str
    process: subprocess.Popen
    workdir: Path


@dataclass
class Run:
    instances: int
    workers: str
    clients: int
    seconds: float
    load_before: float
    load_after: float
    kinds: dict = field(default_factory=dict)
    total: dict = field(default_factory=dict)


def kb(*args: str, stdin: str | None = None) -> str:
    exe = Path(sys.executable).parent / "kb"
    return subprocess.run([str(exe), *args], input=stdin, text=True, check=True, capture_output=True).stdout


def start_instance(articles: str, index: str, db_url: str, workdir: Path, env: dict,
                   workers: int | None) -> Instance:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 - stays open for the server's lifetime
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "kb"), "serve", "--articles", articles, "--index", index,
         "--db", db_url, "--host", "127.0.0.1", "--port", str(port),
         *(["--workers", str(workers)] if workers else [])],
        stdout=log, stderr=subprocess.STDOUT, env={**env, "KB_INSTANCE": str(workdir / "instance")},
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"kb serve exited ({proc.returncode}); see {workdir / 'serve.log'}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return Instance(url, proc, workdir)
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit(f"kb serve did not start in time; see {workdir / 'serve.log'}")


def stop(instances: list[Instance]) -> None:
    for inst in instances:
        inst.process.terminate()
    for inst in instances:
        try:
            inst.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            inst.process.kill()


def session_cookie(url: str, name: str) -> str:
    """Sign in through the form; the Cookie header of that session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(url + "/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"name": name, "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(url + "/login", data=body, timeout=60).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def visible_ids(url: str, queries: list[str], headers: dict) -> list[str]:
    """Article ids a reader finds with some of the queries (what article pages will ask for)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    ids: list[str] = []
    for q in queries[:120]:
        conn.request("GET", "/api/search?" + urllib.parse.urlencode({"q": q, "limit": 10}), headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status == 200:
            ids += [hit["id"] for hit in json.loads(body)["results"]]
    conn.close()
    return sorted(set(ids))


class Workload:
    """Everything a client needs to build its requests."""

    def __init__(self, queries, tickets, public_ids, staff_ids, cases, token, cookie):
        self.queries, self.tickets = queries, tickets
        self.public_ids, self.staff_ids, self.cases = public_ids, staff_ids, cases
        self.bearer = {"Authorization": f"Bearer {token}"}
        self.cookie = {"Cookie": cookie}
        self.kinds = list(MIX)
        self.weights = [MIX[k] for k in self.kinds]

    def request(self, kind: str, rng: random.Random) -> tuple[str, str, bytes | None, dict, int]:
        """(method, path, body, headers, expected status) of one request of ``kind``."""
        json_headers = {"Content-Type": "application/json", **self.bearer}
        if kind == "search_public":
            query = urllib.parse.urlencode({"q": rng.choice(self.queries)})
            return "GET", "/api/search?" + query, None, {}, 200
        if kind == "search_engineer":
            query = urllib.parse.urlencode({"q": rng.choice(self.queries)})
            return "GET", "/api/search?" + query, None, self.bearer, 200
        if kind == "suggest":
            title, description = rng.choice(self.tickets)
            body = json.dumps({"title": title, "description": description, "limit": 5}).encode()
            return "POST", "/api/suggest", body, json_headers, 200
        if kind == "help_article":
            return "GET", f"/help/articles/{rng.choice(self.public_ids)}", None, {}, 200
        if kind == "engineer_article":
            return "GET", f"/articles/{rng.choice(self.staff_ids)}", None, self.cookie, 200
        if kind == "case_open":
            title, description = rng.choice(self.tickets)
            body = json.dumps({"title": title[:200], "description": description}).encode()
            return "POST", "/api/cases", body, json_headers, 201
        if kind == "case_read":
            return "GET", f"/api/cases/{rng.choice(self.cases)}", None, self.bearer, 200
        if kind == "case_link":
            body = json.dumps({"article_id": rng.choice(self.staff_ids)}).encode()
            return "POST", f"/api/cases/{rng.choice(self.cases)}/links", body, json_headers, 201
        raise ValueError(kind)


def client(urls: list[str], work: Workload, stop_at: float, seed: int, out: list) -> None:
    """One client: requests back to back, each to the next instance in turn, until ``stop_at``."""
    rng = random.Random(seed)
    conns = {}
    turn = seed
    while time.perf_counter() < stop_at:
        kind = rng.choices(work.kinds, work.weights)[0]
        method, path, body, headers, expected = work.request(kind, rng)
        url = urls[turn % len(urls)]
        turn += 1
        if url not in conns:
            parts = urllib.parse.urlsplit(url)
            conns[url] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn = conns[url]
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == expected
            status = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            ok, status = False, type(exc).__name__
        out.append((kind, (time.perf_counter() - start) * 1000, ok, status))
    for conn in conns.values():
        conn.close()


def drive(urls: list[str], work: Workload, clients: int, seconds: float, seed: int) -> tuple[list, float]:
    """``clients`` clients for ``seconds``: every request's (kind, ms, ok, status), and the time taken."""
    results: list = []
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        stop_at = started + seconds
        running = [pool.submit(client, urls, work, stop_at, seed + i, results) for i in range(clients)]
        for done in running:
            done.result()
    return results, time.perf_counter() - started


def summarize(rows: list, elapsed: float) -> dict:
    values = sorted(ms for _, ms, _, _ in rows)
    failures: dict[str, int] = {}
    for _, _, ok, status in rows:
        if not ok:
            failures[str(status)] = failures.get(str(status), 0) + 1
    return {"requests": len(values), "rps": round(len(values) / elapsed, 1),
            "p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
            "p99_ms": round(percentile(values, 99), 1), "max_ms": round(values[-1], 1) if values else 0.0,
            "errors": sum(failures.values()), "failures": failures}


def one_run(args, count: int, db_url: str, queries, tickets, root: Path) -> Run:
    # The bench chooses the folders, database, address and key; other settings (KB_ENCODER_DIR,
    # KB_WORKERS, ...) come from the environment, so `KB_ENCODER_DIR=off` benchmarks without it.
    env = {k: v for k, v in os.environ.items() if k not in SET_BY_THE_BENCH}
    env["KB_SECRET_KEY"] = secrets.token_hex(32)
    print(f"\n== {count} instance(s) on one PostgreSQL database ==", flush=True)
    instances = [start_instance(args.articles, args.index, db_url, root / f"instance-{count}-{i}", env,
                                args.workers) for i in range(count)]
    try:
        urls = [inst.url for inst in instances]
        name = f"load-{secrets.token_hex(3)}"
        kb("users", "add", name, "--role", "engineer", "--password-stdin", "--db", db_url,
           stdin=PASSWORD + "\n")
        token = kb("tokens", "create", name, "--db", db_url).strip().splitlines()[-1].split()[-1]
        cookie = session_cookie(urls[0], name)
        public_ids = visible_ids(urls[0], queries, {})
        staff_ids = visible_ids(urls[0], queries, {"Authorization": f"Bearer {token}"})
        if not public_ids or not staff_ids:
            sys.exit("the queries found no articles: is --synthetic right for this corpus?")
        work = Workload(queries, tickets, public_ids, staff_ids, [], token, cookie)
        parts = urllib.parse.urlsplit(urls[0])
        for title, description in tickets[:20]:  # cases for the reads and links to find
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            conn.request("POST", "/api/cases", json.dumps({"title": title[:200], "description": description}),
                         {"Content-Type": "application/json", **work.bearer})
            response = conn.getresponse()
            response.read()
            assert response.status == 201, f"opening a case answered {response.status}"
            work.cases.append(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
            conn.close()
        print(f"warming up for {args.warmup:g} s ...", flush=True)
        drive(urls, work, args.clients, args.warmup, seed=10_000)
        load_before = os.getloadavg()[0]
        print(f"measuring: {args.clients} clients for {args.seconds:g} s (load average {load_before:.1f})",
              flush=True)
        rows, elapsed = drive(urls, work, args.clients, args.seconds, seed=0)
        run = Run(count, str(args.workers or "default"), args.clients, round(elapsed, 1), load_before,
                  os.getloadavg()[0])
        for kind in MIX:
            run.kinds[kind] = summarize([r for r in rows if r[0] == kind], elapsed)
        run.total = summarize(rows, elapsed)
        return run
    finally:
        stop(instances)


def print_run(run: Run) -> None:
    print(f"\n{run.instances} instance(s), workers {run.workers}, {run.clients} clients, {run.seconds} s, "
          f"load average {run.load_before:.1f} -> {run.load_after:.1f}")
    print(f"{'request':<18} {'n':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
          "errors")
    for kind, s in [*run.kinds.items(), ("total", run.total)]:
        errors = f"{s['errors']}" + (f" {s['failures']}" if s["failures"] else "")
        print(f"{kind:<18} {s['requests']:>6} {s['rps']:>7} {s['p50_ms']:>8} {s['p95_ms']:>8} "
              f"{s['p99_ms']:>8} {s['max_ms']:>8} {errors}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", default="articles", help="articles folder (default: articles)")
    ap.add_argument("--index", required=True, help="index root, already built by `kb index`")
    ap.add_argument("--synthetic", type=int, default=None, metavar="N",
                    help="the corpus is bench/make_corpus.py's N articles: take queries and tickets from it")
    ap.add_argument("--seed", type=int, default=0, help="make_corpus seed (default 0)")
    ap.add_argument("--instances", default="2,1", help="configurations to run, comma-separated (default 2,1)")
    ap.add_argument("--workers", type=int, default=None, help="server processes per instance (default: kb's)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    ap.add_argument("--seconds", type=float, default=60, help="measured seconds per configuration (60)")
    ap.add_argument("--warmup", type=float, default=10, help="warm-up seconds per configuration (default 10)")
    ap.add_argument("--db", default=None, help="PostgreSQL URL to use (default: a throwaway cluster)")
    ap.add_argument("--json", dest="json_out", default=None, help="write the results to this JSON file")
    args = ap.parse_args(argv)

    queries, tickets = load_inputs(args.synthetic, args.seed)
    cluster = None
    if args.db is None:
        from tests.databases import start_cluster

        cluster = start_cluster()
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp:
            for count in [int(c) for c in args.instances.split(",")]:
                db_url = args.db or cluster.create_database()
                runs.append(one_run(args, count, db_url, queries, tickets, Path(tmp)))
                print_run(runs[-1])
    finally:
        if cluster is not None:
            cluster.stop()
    if len(runs) > 1:
        base = runs[-1]
        print(f"\nratios against {base.instances} instance(s):")
        for run in runs[:-1]:
            ratio = {key: run.total[key] / max(base.total[key], 1e-9) for key in ("rps", "p95_ms", "p99_ms")}
            print(f"  {run.instances} instance(s): throughput x{ratio['rps']:.2f}, "
                  f"p95 x{ratio['p95_ms']:.2f}, p99 x{ratio['p99_ms']:.2f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([asdict(r) for r in runs], indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
