#!/usr/bin/env python3
"""Cited answers on real data: how often kb answers, how often it cites the right article,
how often it abstains when the knowledge base has nothing, and how the confidence is calibrated.

    python bench/answers.py [--work DIR] [--fit-on stackfaq|officedocs] [--sample N] [--write-weights]

Data comes from the shared data folder (bench/datasets.py; KB_SHARED_DATA overrides it).
Each knowledge base is written as kb files and indexed (every article public and
published; kb is asked as an anonymous customer), then every question goes through the
same steps as ``POST /api/answer``: the engine's ticket suggestions, then
``kb.answers.weigh`` (passage, checks, evidence) on the best three.

Question sets (no question is edited to suit kb):

  officedocs      in the KB: each officedocs-dev article's Symptoms section (its plain text,
                  nothing else) asked of the officedocs-dev KB; the answer must come from
                  that article, quoted from another section (Resolution, Workaround, Cause...)
  stackfaq        in the KB: the 1,249 StackFAQ paraphrases asked of the StackFAQ KB
  seamonkey-ood   out of domain: the 1,076 SeaMonkey bug summaries asked of officedocs-dev
  stackfaq-ood    out of domain: the StackFAQ paraphrases asked of officedocs-dev

Calibration: the confidence model (kb/answers/confidence.py) is a logistic regression over
the evidence of every considered candidate (right article = 1). It is fitted on one family
of sets only (--fit-on: ``stackfaq`` fits on stackfaq + stackfaq-ood, ``officedocs`` on
officedocs + seamonkey-ood), the threshold is chosen on that family (the one with the most right
answers minus wrong answers, in and out of domain), and both are then applied unchanged to
the other family. The checks' weights (codes, products, versions) are not fitted: they are
set by reason in kb/answers/confidence.py and enter the fit as a fixed offset. The report shows
both families, the calibration curve (answered share, precision and abstention against the
threshold) and a reliability table (predicted confidence against observed accuracy).
--write-weights prints the fitted weights as Python for confidence.py.

Evidence is cached in --work (per set, keyed by a hash of the answer and engine code), so
refitting is quick.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from datasets import DatasetMissing, load_officedocs, load_seamonkey, load_stackfaq, write_kb  # noqa: E402
from metrics import mean, percentile  # noqa: E402
from provenance import code_state  # noqa: E402

FEATURES = ("meaning", "coverage", "title_cover", "margin")  # fitted; the checks' weights are set by reason
WORD_FEATURES = tuple(f for f in FEATURES if f != "meaning")
FAMILIES = {"stackfaq": ("stackfaq", "stackfaq-ood"), "officedocs": ("officedocs", "seamonkey-ood")}
LIMIT = 10  # suggestions asked for, as the API does


def source_hash() -> str:
    """What the cached evidence depends on: the answer code and the engine (a hash of their files)."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("kb/answers/*.py"), *ROOT.glob("indexer/*.py"), ROOT / "kb/markdown.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def emit(line: str = "") -> None:
    print(line, flush=True)


# -- knowledge bases and questions --------------------------------------------------------


def build(name: str, articles: list[dict], work: Path) -> Path:
    """Index ``articles`` under work/name once per index schema (a marker file says it is complete)."""
    from indexer import build_index
    from indexer.schema import SCHEMA_VERSION

    folder = work / name
    done = folder / f"built-schema-{SCHEMA_VERSION}"  # a new schema is a new index
    if not done.exists():
        write_kb(articles, folder / "articles")
        started = time.perf_counter()
        build_index(folder / "articles", folder / "index", rebuild=True)
        done.write_text(f"{len(articles)} articles in {time.perf_counter() - started:.0f}s\n")
    return folder / "index"


def symptom_questions(articles: list[dict]) -> list[tuple[str, str]]:
    """(the Symptoms section's plain text, article id) for every article that has one."""
    from kb.markdown import sections
    from kb.model import Article

    out = []
    for a in articles:
        article = Article(id=a["id"], title=a["title"], body=a["body"], path=a["id"] + ".md")
        found = [s for s in sections(article.body) if s.heading.strip().lower().startswith("symptom")]
        if found and found[0].text.strip():
            out.append((found[0].text, a["id"]))
    return out


def question_sets(work: Path, only: set[str]) -> dict[str, tuple[Path, list[tuple[str, str | None]]]]:
    """Every question set: (index to ask, [(question, expected article id or None)])."""
    sets: dict = {}
    try:
        office = load_officedocs()
        office_index = build("officedocs", office, work)
        if "officedocs" in only:
            sets["officedocs"] = (office_index, symptom_questions(office))
    except DatasetMissing as exc:
        emit(f"officedocs-dev: skipped: {exc}")
        office_index = None
    try:
        faq_articles, paraphrases = load_stackfaq()
        if "stackfaq" in only:
            sets["stackfaq"] = (build("stackfaq", faq_articles, work), paraphrases)
        if office_index is not None and "stackfaq-ood" in only:
            sets["stackfaq-ood"] = (office_index, [(q, None) for q, _ in paraphrases])
    except DatasetMissing as exc:
        emit(f"stackfaq: skipped: {exc}")
    try:
        bugs, _, _ = load_seamonkey()
        if office_index is not None and "seamonkey-ood" in only:
            sets["seamonkey-ood"] = (office_index, [(b["title"], None) for b in bugs])
    except DatasetMissing as exc:
        emit(f"gitbugs-seamonkey: skipped: {exc}")
    return sets


# -- evidence -----------------------------------------------------------------------------


def collect(index: Path, questions: list[tuple[str, str | None]], cache: Path) -> list[dict]:
    """Per question: the considered candidates' evidence, whether each is right, and the time taken."""
    if cache.exists():
        return [json.loads(line) for line in cache.read_text().splitlines()]
    from indexer import Searcher
    from kb.answers import Question, as_ticket, candidates_from, weigh

    searcher = Searcher(index)
    products = [f.value for f in searcher.facet_values(audience="public").get("product", [])]
    rows = []
    started = time.perf_counter()
    with cache.with_suffix(".tmp").open("w") as out:
        for n, (text, expected) in enumerate(questions):
            t0 = time.perf_counter()
            question = Question(text)
            title, description = as_ticket(question)
            page = searcher.suggest(title, description, audience="public", limit=LIMIT)
            candidates = candidates_from(page.hits[:4],
                                         lambda hit_id: searcher.get_article(hit_id, audience="public"))
            supports = weigh(question, candidates, products=products)
            ms = (time.perf_counter() - t0) * 1000
            row = {"question": text, "expected": expected, "ms": round(ms, 1),
                   "in_results": expected in [h.id for h in page.hits] if expected else None,
                   "cands": [{"id": s.article.id, "right": s.article.id == expected, "rank": n,
                              "score": candidates[n].score, "evidence": s.evidence.as_dict()}
                             for n, s in enumerate(supports)]}
            rows.append(row)
            out.write(json.dumps(row) + "\n")
            if n and n % 200 == 0:
                emit(f"    {n}/{len(questions)} questions, {time.perf_counter() - started:.0f}s")
    cache.with_suffix(".tmp").rename(cache)
    return rows


# -- the confidence model -----------------------------------------------------------------


def vector(evidence: dict, features: tuple[str, ...]) -> list[float]:
    return [1.0] + [float(evidence.get(f) or 0.0) for f in features]


def fixed_logit(evidence: dict) -> float:
    """The part of the log-odds that is set by reason (the checks), not fitted."""
    from kb.answers.confidence import CHECK_WEIGHTS

    return sum(w * float(evidence.get(f) or 0.0) for f, w in CHECK_WEIGHTS.items())


def fit(rows: list[dict], features: tuple[str, ...], l2: float = 1.0, steps: int = 50) -> dict[str, float]:
    """Logistic regression (Newton's method, L2 on the weights but not the intercept), with the
    checks' fixed log-odds as an offset."""
    import numpy as np

    x = np.array([vector(c["evidence"], features) for r in rows for c in r["cands"]])
    offset = np.array([fixed_logit(c["evidence"]) for r in rows for c in r["cands"]])
    y = np.array([1.0 if c["right"] else 0.0 for r in rows for c in r["cands"]])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + offset)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    fitted = {f: round(float(v), 3) for f, v in zip(features, w[1:], strict=True)}
    return {"bias": round(float(w[0]), 3), **fitted}


def score(evidence: dict, weights: dict[str, float]) -> float:
    value = weights["bias"] + fixed_logit(evidence) + sum(
        weights[f] * float(evidence.get(f) or 0.0) for f in weights if f != "bias")
    return 1 / (1 + math.exp(-value)) if value > -50 else 0.0


def decide(rows: list[dict], weights: dict[str, float], threshold: float) -> list[tuple[bool, bool, float]]:
    """Per question: (answered, first citation right, confidence of the best candidate)."""
    out = []
    for r in rows:
        best = max(r["cands"], key=lambda c: score(c["evidence"], weights), default=None)
        conf = score(best["evidence"], weights) if best else 0.0
        out.append((conf >= threshold, bool(best and best["right"]), conf))
    return out


def figures(rows: list[dict], weights: dict, threshold: float) -> dict:
    decided = decide(rows, weights, threshold)
    answered = [d for d in decided if d[0]]
    return {"n": len(rows), "answered": len(answered) / len(rows) if rows else 0.0,
            "precision": sum(d[1] for d in answered) / len(answered) if answered else 0.0,
            "abstained": 1 - (len(answered) / len(rows) if rows else 0.0)}


def choose_threshold(family: list[list[dict]], weights: dict) -> float:
    """The threshold with the most net good answers on the fitting family: right answers
    minus wrong ones, in the knowledge base and out of domain alike (a wrong answer undoes a
    right one). Ties go to the lower threshold."""
    best, best_value = 0.5, None
    for step in range(5, 96):
        t = step / 100
        value = 0
        for rows in family:
            for answered, right, _ in decide(rows, weights, t):
                if answered:
                    value += 1 if right else -1
        if best_value is None or value > best_value:
            best, best_value = t, value
    return best


# -- report -------------------------------------------------------------------------------


def quoted_roles(index: Path, rows: list[dict], weights: dict, threshold: float) -> str:
    """Which kind of section the right answers were quoted from (the passage kb would show)."""
    from collections import Counter

    from indexer import Searcher
    from kb.answers.passages import choose

    roles: Counter = Counter()
    with Searcher(index) as searcher:
        for row, (answered, right, _) in zip(rows, decide(rows, weights, threshold), strict=True):
            if not (answered and right):
                continue
            passage = choose(searcher.get_article(row["expected"], audience="public"), row["question"])
            roles[passage.part.role if passage else "none"] += 1
    total = sum(roles.values()) or 1
    return ", ".join(f"{role} {n / total:.1%}" for role, n in roles.most_common())


def report(data: dict[str, list[dict]], fit_on: str, features: tuple[str, ...], write_weights: bool,
           indexes: dict[str, Path] | None = None) -> None:
    fitting = [data[name] for name in FAMILIES[fit_on] if name in data]
    if len(fitting) < 2:
        emit(f"cannot fit on {fit_on}: its sets are missing")
        return
    weights = fit([r for rows in fitting for r in rows], features)
    threshold = choose_threshold(fitting, weights)
    emit(f"\n## The model, fitted on {' + '.join(FAMILIES[fit_on])}"
         f" ({'with' if 'meaning' in features else 'without'} meaning)")
    emit("weights: " + ", ".join(f"{k} {v:+.3f}" for k, v in weights.items()))
    emit(f"threshold: {threshold:.2f} (most right answers minus wrong ones on "
         f"{' + '.join(FAMILIES[fit_on])})")
    if write_weights:
        emit(f"\nWEIGHTS = {weights!r}\nTHRESHOLD = {threshold}")
    emit("\n| set | role | questions | answered | first citation right (of answered) | abstained |")
    emit("|---|---|---|---|---|---|")
    for name, rows in data.items():
        role = "fitted on" if name in FAMILIES[fit_on] else "confirmation"
        f = figures(rows, weights, threshold)
        if name.endswith("-ood"):
            emit(f"| {name} | {role} | {f['n']} | {f['answered']:.3f} | - | **{f['abstained']:.3f}** |")
        else:
            emit(f"| {name} | {role} | {f['n']} | **{f['answered']:.3f}** | **{f['precision']:.3f}** | "
                 f"{f['abstained']:.3f} |")
    for name in (indexes or {}):
        if not name.endswith("-ood") and name in data:
            emit(f"{name}: right answers quoted from sections of role: "
                 f"{quoted_roles(indexes[name], data[name], weights, threshold)}")
    emit("\nCalibration curve (threshold: answered share / precision for sets in the KB; abstained share "
         "out of domain)")
    names = list(data)
    emit("| threshold | " + " | ".join(names) + " |")
    emit("|---|" + "---|" * len(names))
    for t in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        cells = []
        for name in names:
            f = figures(data[name], weights, t)
            cells.append(f"abst {f['abstained']:.3f}" if name.endswith("-ood") else
                         f"ans {f['answered']:.3f} / prec {f['precision']:.3f}")
        emit(f"| {t:.1f}{' *' if abs(t - threshold) < 1e-9 else ''} | " + " | ".join(cells) + " |")
    emit("\nReliability (every set's best candidate: predicted confidence against how often it was right)")
    emit("| confidence | questions | predicted | observed |")
    emit("|---|---|---|---|")
    pairs = [(d[2], d[1]) for rows in data.values() for d in decide(rows, weights, threshold)]
    for line in reliability(pairs):
        emit(line)


def reliability(pairs: list[tuple[float, bool]]) -> list[str]:
    """Rows of a table: confidence bucket, questions, mean predicted confidence, observed precision."""
    rows = []
    for lo in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        hi = lo + 0.1
        inside = [(c, ok) for c, ok in pairs if lo <= c < hi or (hi >= 1.0 and c == 1.0)]
        if inside:
            rows.append(f"| {lo:.1f}-{hi:.1f} | {len(inside)} | {mean(c for c, _ in inside):.3f} | "
                        f"{mean(1.0 if ok else 0.0 for _, ok in inside):.3f} |")
    return rows


def shipped(data: dict[str, list[dict]], words_only: bool) -> None:
    """The figures of the model kb ships (kb/answers/confidence.py's weights and threshold), unchanged."""
    from kb.answers.confidence import MEANING_WEIGHTS, THRESHOLD, WORDS_WEIGHTS

    weights = WORDS_WEIGHTS if words_only else MEANING_WEIGHTS
    emit(f"\n## As shipped: kb/answers/confidence.py ({'words only' if words_only else 'with meaning'}), "
         f"threshold {THRESHOLD:.2f}")
    emit("weights: " + ", ".join(f"{k} {v:+.3f}" for k, v in weights.items()))
    emit("\n| set | questions | answered | first citation right (of answered) | abstained |")
    emit("|---|---|---|---|---|")
    for name, rows in data.items():
        f = figures(rows, weights, THRESHOLD)
        if name.endswith("-ood"):
            emit(f"| {name} (out of domain) | {f['n']} | {f['answered']:.3f} | - | "
                 f"**{f['abstained']:.3f}** |")
        else:
            emit(f"| {name} | {f['n']} | **{f['answered']:.3f}** | **{f['precision']:.3f}** | "
                 f"{f['abstained']:.3f} |")
    emit("\nCalibration curve, per set: confidence of the answer given -> how often its first citation "
         "was right (precision); out-of-domain answers are never right")
    for name, rows in data.items():
        emit(f"\n{name}:\n| confidence | questions | predicted | observed precision |\n|---|---|---|---|")
        for line in reliability([(d[2], d[1]) for d in decide(rows, weights, THRESHOLD)]):
            emit(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", default="bench/out/answers",
                    help="indexes and cached evidence (default: %(default)s)")
    ap.add_argument("--fit-on", choices=sorted(FAMILIES), default="stackfaq")
    ap.add_argument("--only", default="officedocs,stackfaq,seamonkey-ood,stackfaq-ood")
    ap.add_argument("--sample", type=int, default=0, help="every Nth question only (quick runs)")
    ap.add_argument("--words-only", action="store_true", help="without the sentence encoder")
    ap.add_argument("--write-weights", action="store_true")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")  # as kb serve runs the encoder
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    state = code_state()
    emit(f"# Cited answers on real data ({state})")
    if args.words_only:
        import os

        os.environ["KB_ENCODER_DIR"] = "off"
    emit("meaning: " + ("off (words only)" if args.words_only else
                        "the engine's question-article similarity"))
    data: dict[str, list[dict]] = {}
    indexes: dict[str, Path] = {}
    tag = f"{source_hash()}-{'w' if args.words_only else 'm'}-s{args.sample}"
    for name, (index, questions) in question_sets(work, set(args.only.split(","))).items():
        if args.sample > 1:
            questions = questions[::args.sample]
        emit(f"- {name}: {len(questions)} questions")
        rows = collect(index, questions, work / f"{name}-{tag}.jsonl")
        indexes[name] = index
        ms = [r["ms"] for r in rows]
        emit(f"    time per question in-process: p50 {percentile(ms, 50):.0f} ms, "
             f"p95 {percentile(ms, 95):.0f} ms")
        data[name] = rows
    features = WORD_FEATURES if args.words_only else FEATURES
    shipped(data, args.words_only)
    report(data, args.fit_on, features, args.write_weights, indexes)
    other = next(f for f in FAMILIES if f != args.fit_on)
    emit(f"\n(for comparison, fitted on the other family, {other}:)")
    report(data, other, features, False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
