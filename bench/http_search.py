#!/usr/bin/env python3
"""Throughput and latency of /api/search, /api/suggest and /api/answer over loopback HTTP.

Starts `kb serve` as in production (its default server processes; --workers/--threads
override) on a free loopback port for the given articles and index, then runs N
concurrent clients against each endpoint for a fixed time, after a warm-up with as many
clients, and reports requests/s and p50/p95/p99 latency per endpoint. Anonymous by
default (the help center's public index); --as-engineer searches with an engineer's API
token (the internal index, every published article):

    python bench/http_search.py --articles articles --index instance/index --clients 8 --seconds 20
    python bench/http_search.py --articles /data/kb100k --index /data/kb100k.idx --synthetic 100000

Queries come from bench/make_corpus.py's make_queries when --synthetic N names the size of
a synthetic corpus (its vocabulary matches that corpus), else from a built-in list that fits
the sample knowledge base, or from bench/search_bench.py's query mix with --mix FILE (the
inputs-<corpus>.json it writes: remembered titles, pasted messages, questions, short
queries, codes and quoted phrases for /api/search, its tickets for /api/suggest). --url
benchmarks a server that is already running instead.
Standard library only on the client side, so the clients cost little next to the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

QUERIES = [
    "access denied", "0x80070005", "odbc login timeout", "sql server deadlock", "ORA-12154",
    "tns could not resolve",
    "outlook password prompt", "mfa sign-in loop", "AADSTS50076", "vpn error 809", "dns resolution fails",
    "smb share permissions", "windows update 0x800f0922", "certificate chain not trusted", "kerberos spn",
    "disk full log volume", "blue screen", "high cpu", "process monitor", "mail delay 451 4.7.500",
    "network trace", "time skew", "reply url mismatch", "relay 550 5.7.1", "severity definitions",
]
TICKETS = [
    ("Users can't open the finance share",
     "Since this morning several users get Access is denied 0x80070005 when opening \\\\fs01\\Finance. "
     "Others in the same department can open it."),
    ("Application can't connect to SQL Server",
     "The ODBC driver reports Login timeout expired, SQLSTATE HYT00, after the firewall change. "
     "Other servers connect fine."),
    ("Outlook keeps asking for a password",
     "After the mailbox move Outlook prompts for credentials again and again; "
     "MFA completes but the prompt comes back."),
    ("Windows Update fails on servers",
     "Cumulative update fails with 0x800f0922 on several Windows Server hosts; "
     "the recovery partition might be too small."),
    ("Oracle client can't resolve service", "sqlplus returns ORA-12154: TNS:could not resolve the connect "
     "identifier specified, on new workstations only."),
]


@dataclass
class Result:
    endpoint: str
    clients: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(articles: str, index: str, threads: int | None, workers: int | None,
                 workdir: Path) -> tuple[subprocess.Popen, str]:
    """`kb serve` on a free port with a throwaway database; returns the process and its URL."""
    kb = Path(sys.executable).parent / "kb"
    port = free_port()
    env = dict(os.environ, KB_INSTANCE=str(workdir / "instance"))
    env.pop("KB_SECRET_KEY", None)
    log = open(workdir / "serve.log", "wb")  # noqa: SIM115 - stays open for the server's lifetime
    proc = subprocess.Popen([str(kb), "serve", "--articles", articles, "--index", index,
                             "--db", f"sqlite:///{workdir / 'bench.sqlite3'}", "--host", "127.0.0.1",
                             "--port", str(port),
                             *(["--threads", str(threads)] if threads else []),
                             *(["--workers", str(workers)] if workers else [])],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 1800  # a first run may build a large index
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"kb serve exited ({proc.returncode}); see {workdir / 'serve.log'}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("kb serve did not start in time")


AUTH: dict[str, str] = {}  # Authorization header when benchmarking as an engineer


def engineer_token(db_url: str) -> str:
    """Create an engineer account and an API token in the benchmark's database."""
    kb = Path(sys.executable).parent / "kb"
    subprocess.run([str(kb), "users", "add", "bench-engineer", "--role", "engineer", "--password-stdin",
                    "--db", db_url], input="a long benchmark password\n", text=True, check=True,
                   capture_output=True)
    out = subprocess.run([str(kb), "tokens", "create", "bench-engineer", "--db", db_url], text=True,
                         check=True, capture_output=True).stdout
    return out.strip().splitlines()[-1].split()[-1]


def make_request(kind: str, rng: random.Random, queries: list[str], tickets: list[tuple[str, str]]):
    """(method, path, body) of one request of ``kind``."""
    if kind == "search":
        return "GET", "/api/search?" + urllib.parse.urlencode({"q": rng.choice(queries), "limit": 10}), None
    if kind == "answer":  # half typed questions, half tickets with their description
        if rng.random() < 0.5:
            body = {"question": rng.choice(queries)}
        else:
            title, description = rng.choice(tickets)
            body = {"question": title, "description": description}
        return "POST", "/api/answer", json.dumps(body).encode()
    title, description = rng.choice(tickets)
    body = json.dumps({"title": title, "description": description, "limit": 10}).encode()
    return "POST", "/api/suggest", body


def client_loop(url: str, kind: str, stop_at: float, seed: int, queries, tickets, out: list,
                errors: list) -> None:
    """One client: a keep-alive connection sending requests back to back until ``stop_at``."""
    parts = urllib.parse.urlsplit(url)
    rng = random.Random(seed)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    latencies, failed = [], 0
    headers = {"Content-Type": "application/json", "Connection": "keep-alive", **AUTH}
    while time.perf_counter() < stop_at:
        method, path, body = make_request(kind, rng, queries, tickets)
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        latencies.append((time.perf_counter() - start) * 1000)
        failed += not ok
    conn.close()
    out.extend(latencies)
    errors.append(failed)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def run_phase(url: str, kind: str, clients: int, seconds: float, queries, tickets, warmup: float) -> Result:
    """Warm up, then run ``clients`` threads for ``seconds`` against one endpoint.

    The warm-up uses as many connections as the measurement, so that every server process
    has answered requests before timing starts (steady state, not a cold start)."""
    if warmup > 0:
        stop = time.perf_counter() + warmup
        warmers = [threading.Thread(target=client_loop, args=(url, kind, stop, 1000 + i, queries, tickets, [], []))
                   for i in range(clients)]
        for t in warmers:
            t.start()
        for t in warmers:
            t.join()
    latencies: list[float] = []
    errors: list[int] = []
    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=client_loop,
                                args=(url, kind, stop_at, i, queries, tickets, latencies, errors))
               for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    values = sorted(latencies)
    return Result(endpoint=f"/api/{kind}", clients=clients, seconds=round(elapsed, 2), requests=len(values),
                  errors=sum(errors), rps=round(len(values) / elapsed, 1),
                  p50_ms=round(percentile(values, 50), 2),
                  p95_ms=round(percentile(values, 95), 2), p99_ms=round(percentile(values, 99), 2),
                  max_ms=round(values[-1], 2) if values else 0.0)


def load_inputs(synthetic: int | None, seed: int, mix: str | None = None) -> tuple[list[str], list[tuple[str, str]]]:
    """Queries and tickets: from a query mix file, from make_corpus for a synthetic corpus,
    else the built-in lists."""
    if mix:
        data = json.loads(Path(mix).read_text())
        rows = [row for part in data["runs"] for items in part.values() for row in items]
        queries = [text for kind, text, _source, _title in rows if kind != "ticket"]
        # A ticket row holds its description as text and its title apart.
        tickets = [(title, text) for kind, text, _source, title in rows if kind == "ticket"]
        return queries, tickets
    if synthetic:
        sys.path.insert(0, str(HERE))
        from make_corpus import make_queries

        data = make_queries(synthetic, seed, n_queries=1000, n_codes=300, n_tickets=200)
        queries = data["queries"] + [code for code, _ in data["error_codes"]]
        return queries, [tuple(t) for t in data["tickets"]]
    return list(QUERIES), list(TICKETS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", default="articles", help="articles folder (default: articles)")
    parser.add_argument("--index", default=None,
                        help="index folder (default: a temporary one built on start)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--seconds", type=float, default=20,
                        help="measured seconds per endpoint (default 20)")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per endpoint (default 2)")
    parser.add_argument("--threads", type=int, default=None, help="server threads per process (default: kb serve's)")
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: kb serve's, one per CPU)")
    parser.add_argument("--synthetic", type=int, default=None, metavar="N",
                        help="the corpus is bench/make_corpus.py's N articles: use its queries and tickets")
    parser.add_argument("--seed", type=int, default=0, help="make_corpus seed (default 0)")
    parser.add_argument("--mix", default=None, metavar="FILE",
                        help="queries and tickets from search_bench's query mix (its inputs-<corpus>.json)")
    parser.add_argument("--endpoints", default="search,suggest",
                        help="comma-separated: search, suggest, answer")
    parser.add_argument("--url", default=None, help="benchmark this running server instead of starting one")
    parser.add_argument("--as-engineer", action="store_true",
                        help="search as a signed-in engineer (API token): the internal index, every "
                             "published article, instead of the anonymous help-center view")
    parser.add_argument("--json", dest="json_out", default=None,
                        help="also write results as JSON to this file")
    args = parser.parse_args(argv)

    queries, tickets = load_inputs(args.synthetic, args.seed, args.mix)
    sys.path.insert(0, str(HERE))
    from provenance import code_state, machine_speed

    speed_before = machine_speed()
    workdir = Path(tempfile.mkdtemp(prefix="kb-http-bench-"))
    proc = None
    url = args.url
    if url is None:
        index = args.index or str(workdir / "index")
        proc, url = start_server(args.articles, index, args.threads, args.workers, workdir)
        if args.as_engineer:
            db_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
            AUTH["Authorization"] = f"Bearer {engineer_token(db_url)}"
    try:
        results = [run_phase(url, kind.strip(), args.clients, args.seconds, queries, tickets, args.warmup)
                   for kind in args.endpoints.split(",") if kind.strip()]
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(f"{code_state()}; before: {speed_before}; after: {machine_speed()}")
    print(f"as {'an engineer (internal index)' if AUTH else 'an anonymous customer (public index)'}")
    print(f"{'endpoint':16} {'clients':>7} {'requests':>9} {'errors':>6} {'req/s':>8} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r.endpoint:16} {r.clients:7} {r.requests:9} {r.errors:6} {r.rps:8.1f} {r.p50_ms:8.2f} "
              f"{r.p95_ms:8.2f} {r.p99_ms:8.2f} {r.max_ms:8.2f}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"url": url, "articles": args.articles,
                                                   "results": [asdict(r) for r in results]}, indent=2))
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
