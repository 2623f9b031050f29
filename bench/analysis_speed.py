#!/usr/bin/env python3
"""CPU cost of index-time text analysis per article, field by field.

Why this exists: analysis (``field.index(value)`` for every indexed field of
:func:`indexer.schema.document_fields`) is a large share of ``kb index --rebuild``; this
times it alone, without parsing or segment writing, so analyzer changes can be compared.

    python bench/analysis_speed.py [N] [--corpus DIR] [--repeat R]

Articles come from DIR (the first N files, sorted) or are generated in memory by
``make_corpus.generate(N)``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from kb.articles import parse_article  # noqa: E402
from kb.mapping import Mapping  # noqa: E402


def corpus_texts(n: int, corpus: str | None) -> list[tuple[str, bytes]]:
    """(relative path, bytes) of n articles, read from a corpus folder or generated."""
    if corpus:
        paths = sorted(Path(corpus).rglob("*.md"))[:n]
        return [(p.relative_to(corpus).as_posix(), p.read_bytes()) for p in paths]
    from make_corpus import generate
    return [(rel, text.encode("utf-8")) for rel, text in generate(n)]


def field_values(texts: list[tuple[str, bytes]], root: Path) -> list[dict]:
    """document_fields() of each parsable article."""
    from indexer.schema import document_fields
    docs = []
    for rel, data in texts:
        result = parse_article(root / rel, root, data=data, mapping=Mapping())
        if result.article is not None:
            docs.append(document_fields(result.article))
    return docs


def chain_field(field):
    """The same field as the schema had it before indexer.fast_analysis: a plain ID, or a
    plain TEXT analysed by Whoosh's generator chain; other fields as they are."""
    from whoosh.analysis import CompositeAnalyzer
    from whoosh.fields import ID, TEXT

    from indexer.fast_analysis import IndexedID, IndexedText
    kind = ID if isinstance(field, IndexedID) else TEXT if isinstance(field, IndexedText) else None
    if kind is None:
        return field
    plain = kind.__new__(kind)
    plain.__dict__.update(field.__dict__)
    if kind is TEXT:
        plain.analyzer = CompositeAnalyzer(*field.analyzer.items)
    return plain


def time_fields(docs: list[dict], repeat: int = 1,
                sides: tuple[int, ...] = (0, 1)) -> dict[str, tuple[float, float]]:
    """Best-of-``repeat`` CPU seconds per indexed field for analysing every document:
    (with the generator chains, as the schema is now). The two alternate, so a busy
    machine slows both alike; ``sides`` (0 chains, 1 now) times only one of them, so that
    a single pass in a fresh process measures cold caches."""
    from indexer.schema import ArticleSchema
    schema = ArticleSchema()
    names = sorted({name for doc in docs for name in doc if schema[name].indexed})
    best: dict[str, list[float]] = {}
    for _ in range(repeat):
        for name in names:
            values = [doc[name] for doc in docs if name in doc]
            for column, field in enumerate((chain_field(schema[name]), schema[name])):
                if column not in sides:
                    continue
                start = time.process_time()
                for value in values:
                    for _item in field.index(value):
                        pass
                spent = time.process_time() - start
                slot = best.setdefault(name, [spent, spent])
                slot[column] = min(slot[column], spent)
    return {name: (old, new) for name, (old, new) in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=2000)
    parser.add_argument("--corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("chains", "now"),
                        help="time one side only (with --repeat 1: a cold first pass)")
    args = parser.parse_args(argv)
    texts = corpus_texts(args.n, args.corpus)
    docs = field_values(texts, Path(args.corpus or "/nonexistent"))
    sides = {"chains": (0,), "now": (1,)}.get(args.only, (0, 1))
    best = time_fields(docs, args.repeat, sides)
    if args.only:
        column = sides[0]
        print(f"{len(docs)} articles, best of {args.repeat}, CPU ms per article, {args.only} only")
        for name, spent in sorted(best.items(), key=lambda kv: -kv[1][column]):
            print(f"  {name:16s} {1000 * spent[column] / len(docs):7.3f}")
        print(f"  {'all fields':16s} {1000 * sum(v[column] for v in best.values()) / len(docs):7.3f}")
        return 0
    print(f"{len(docs)} articles, best of {args.repeat}, CPU ms per article: chains -> now")
    for name, (old, new) in sorted(best.items(), key=lambda kv: -kv[1][0]):
        print(f"  {name:16s} {1000 * old / len(docs):7.3f} -> {1000 * new / len(docs):7.3f}")
    old = sum(o for o, _ in best.values())
    new = sum(n for _, n in best.values())
    print(f"  {'all fields':16s} {1000 * old / len(docs):7.3f} -> {1000 * new / len(docs):7.3f}"
          f"  ({old / new:.2f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
