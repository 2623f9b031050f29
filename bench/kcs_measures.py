#!/usr/bin/env python3
"""The KCS measures on the sample knowledge base, after a simulated quarter of support work.

    python bench/kcs_measures.py [--days 90] [--cases-per-day 8] [--seed 7] [--out bench/out/kcs-measures]
                                 [--keep DIR]

kb ships sample articles (articles/) but no case history, so this script plays one out,
seeded, through kb's own code (the case store, knowledge capture, flags, the task sweep,
validation written into the files) on a copy of the articles, and then builds every KCS
measure exactly as /insights does: each as an SVG chart and its CSV twin in --out, and
their headline numbers printed. Case texts are real SeaMonkey bug reports when the shared
data is there (else generic titles); who works which case, and when, is drawn at random.

The simulated team, per case: with probability 0.55 an existing published article solves
it (popular articles more often, Zipf-like); with 0.15 nothing covers it and the engineer
captures a draft, which an author publishes and validates 2 to 20 days later and which
later cases may reuse; otherwise it closes without an article (a gap). 4% of solutions
raise a flag, which the owner closes after about a week unless it is still fresh. These
rates are assumptions of the simulation, not measurements: the point is the measures'
machinery on kb's data model, end to end.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

ENGINEERS = ("ana", "bo", "cy", "dee", "eli", "fay")
AUTHORS = ("kai", "lu")
P_KNOWN, P_NEW = 0.55, 0.15
P_FLAG = 0.04
P_REUSE_CAPTURED = 0.35  # a "known" solution comes from a recently captured article this often


def case_texts(rng: random.Random) -> list[tuple[str, str]]:
    try:
        from datasets import load_seamonkey

        articles, _, _ = load_seamonkey()
        texts = [(a["title"], a["body"][:2000]) for a in articles]
    except Exception:  # noqa: BLE001 - the shared data is optional here
        texts = [(f"Customer problem {n}", "Details of the problem.") for n in range(2000)]
    rng.shuffle(texts)
    return texts


def simulate(root: Path, db_url: str, *, days: int, per_day: int, seed: int) -> None:
    from kb.articles import load_knowledge_base
    from kb.cases import store
    from kb.cases.capture import capture_article
    from kb.db import engine_for
    from kb.kcs import tasks as task_store
    from kb.kcs.edit import approve, set_fields
    from kb.kcs.flags import REASONS, flag_article
    from kb.kcs.sweep import sweep
    from kb.mapping import mapping_for
    from kb.resolution_codes import load_taxonomy

    rng = random.Random(seed)
    engine = engine_for(db_url)
    taxonomy = load_taxonomy(root / "resolution-codes.yaml")[0]
    policy = mapping_for(root).policy
    kb = load_knowledge_base(root)
    published = sorted((a for a in kb.articles.values() if a.status == "published"), key=lambda a: a.id)
    weights = [1 / (rank + 1) for rank in range(len(published))]
    rng.shuffle(published)  # popularity doesn't follow ids
    texts = iter(case_texts(rng))
    start = datetime.combine(date.today() - timedelta(days=days), time(9))
    captured: list[tuple[str, datetime]] = []  # (article id, when it was published), as it becomes usable
    pending: list[tuple[datetime, str, str]] = []  # (when, article id, author): publications to come
    flags_open: list[tuple[datetime, int]] = []
    for day in range(days):
        today = start + timedelta(days=day)
        for when, article_id, author in sorted(p for p in pending if p[0] <= today):
            article = load_knowledge_base(root).get(article_id)
            set_fields(root, article, {"status": "published"})
            approve(root, load_knowledge_base(root).get(article_id), author, today=when.date())
            captured.append((article_id, when))
        pending = [p for p in pending if p[0] > today]
        for when, task_id in [f for f in flags_open if f[0] <= today]:
            task = task_store.get_task(engine, task_id)
            if task.is_open:
                task_store.resolve_task(engine, task_id, note="Updated the steps.", by=rng.choice(AUTHORS), at=when)
        flags_open = [f for f in flags_open if f[0] > today]
        for n in range(per_day):
            at = today + timedelta(minutes=rng.randrange(8 * 60))
            engineer = rng.choice(ENGINEERS)
            title, description = next(texts)
            case = store.create_case(engine, title=title[:300], description=description, owner=engineer, at=at)
            roll = rng.random()
            if roll < P_KNOWN:
                usable = [a for a, ready in captured if ready <= at]
                if usable and rng.random() < P_REUSE_CAPTURED:
                    article_id = rng.choice(usable)
                else:
                    article_id = rng.choices(published, weights)[0].id
                store.link_article(engine, case.id, article_id, solved=True, linked_by=engineer, at=at)
                store.close_case(engine, taxonomy, case.id, "solved-existing-article", at=at)
                if rng.random() < P_FLAG:
                    article = load_knowledge_base(root).get(article_id)
                    _, task = flag_article(engine, article, rng.choice(list(REASONS)), "", source="case",
                                           policy=policy, user_name=engineer, case_id=case.id, at=at)
                    flags_open.append((at + timedelta(days=rng.expovariate(1 / 7)), task.id))
            elif roll < P_KNOWN + P_NEW:
                store.resolve_case(engine, taxonomy, case.id, "configuration-change", "Steps that fixed it.", at=at)
                article_id, _path = capture_article(store.get_case(engine, case.id), root, owner=engineer,
                                                    today=at.date())
                store.link_article(engine, case.id, article_id, solved=True, linked_by=engineer, at=at)
                store.close_case(engine, taxonomy, case.id, "solved-new-article", at=at)
                pending.append((at + timedelta(days=rng.uniform(2, 20)), article_id, rng.choice(AUTHORS)))
            else:
                store.close_case(engine, taxonomy, case.id, "configuration-change", "Fixed on the call.", at=at)
        if day % 7 == 6:
            sweep(engine, load_knowledge_base(root).articles.values(), policy, today=today.date(),
                  reuse=store.reuse_counts(engine), now=today)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--cases-per-day", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", default=str(HERE / "out" / "kcs-measures"))
    parser.add_argument("--keep", default=None, metavar="DIR",
                        help="keep the simulated articles and database in DIR (an empty or new folder), to "
                             "browse them: kb index --articles DIR/articles --index DIR/index, then kb serve "
                             "--articles DIR/articles --index DIR/index --db sqlite:///DIR/kb.sqlite3")
    args = parser.parse_args()

    from kb.articles import load_knowledge_base
    from kb.cases.insights import REPORTS, Scope
    from kb.db import engine_for
    from kb.kcs.measures import MEASURES

    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        parser.error(f"--keep: {args.keep} is not empty")
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="kb-kcs-"))
    work.mkdir(parents=True, exist_ok=True)
    root = work / "articles"
    shutil.copytree(ROOT / "articles", root)
    db_url = f"sqlite:///{work / 'kb.sqlite3'}"
    simulate(root, db_url, days=args.days, per_day=args.cases_per_day, seed=args.seed)
    kb = load_knowledge_base(root)
    scope = Scope(engine_for(db_url), kb.articles, today=date.today(), bucket="week")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"KCS measures: sample knowledge base ({len(kb.articles)} articles after the simulation), "
          f"{args.days} days x {args.cases_per_day} cases, seed {args.seed}")
    for name, build in {"link-rate": REPORTS["link-rate"], **MEASURES}.items():
        report = build(scope)
        (out / f"{name}.svg").write_text(report.svg(), encoding="utf-8")
        (out / f"{name}.csv").write_text(report.to_csv(), encoding="utf-8")
        summary = ", ".join(f"{k} {v}" for k, v in report.summary.items())
        print(f"  {report.title}: {summary}")
        if name == "participation":
            for row in report.rows:
                print(f"      {row[0]:5} links {row[1]:4}  new articles {row[2]:3}  flags {row[3]:3}  tasks closed {row[4]}")
        if name == "task-aging":
            for row in report.rows:
                if row[1] or row[-2]:
                    print(f"      {row[0]:11} open {row[1]:3} (oldest {row[-3]} d)  closed {row[-2]:3}, "
                          f"median {row[-1]} d to close")
    print(f"charts and CSV: {out}")
    if args.keep:
        print(f"articles and database kept in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
