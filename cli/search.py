"""``kb search`` and ``kb suggest``: query the index from the command line."""

from __future__ import annotations

import json
import re

import click

from cli.app import index_option, json_output, main
from kb import settings
from kb.model import AUDIENCES, STATUSES

_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _audience_options(func):
    """``--audience`` and ``--status``: whose view of the knowledge base to search."""
    func = click.option("--status", "statuses", multiple=True, default=("published",), show_default=True,
                        type=click.Choice(STATUSES),
                        help="Statuses to include (internal audience only; repeatable).")(func)
    return click.option("--audience", type=click.Choice(AUDIENCES), default="internal",
                        show_default=True,
                        help="public searches only the customer-facing index.")(func)


@main.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@index_option
@click.option("--type", "type_", metavar="TYPE", help="Only this article type (tsg, how-to, ...).")
@click.option("--product", help="Only this product.")
@click.option("--tag", help="Only articles with this tag.")
@_audience_options
@click.option("--limit", type=click.IntRange(0, 100), default=10, show_default=True)
@click.option("--offset", type=click.IntRange(0, 10_000), default=0, show_default=True)
@click.option("--explain", is_flag=True, help="Show why each result ranked where it did.")
@json_output
def search_command(query: tuple[str, ...], index_dir: str | None, type_: str | None, product: str | None,
                   tag: str | None, audience: str, statuses: tuple[str, ...], limit: int, offset: int,
                   explain: bool, as_json: bool) -> None:
    """Search articles: words, "phrases", -exclusions and filters such as type:tsg.

    QUERY may be several words (kb search odbc login -oracle); an empty query lists
    every visible article by title.
    """
    from indexer import Searcher

    with Searcher(settings.get("index_dir", index_dir)) as searcher:
        page = searcher.search(" ".join(query), audience=audience, statuses=statuses, type=type_,
                               product=product, tag=tag, limit=limit, offset=offset, explain=explain)
    if as_json:
        click.echo(json.dumps(page.as_dict(), indent=2))
        return
    _print_page(page, explain)


@main.command("suggest")
@index_option
@click.option("--title", required=True, help="The ticket's title.")
@click.option("--description-file", type=click.File("r", encoding="utf-8"), default=None,
              help="File with the ticket's description ('-' reads standard input).")
@click.option("--product", help="The ticket's product (boosts its articles).")
@_audience_options
@click.option("--limit", type=click.IntRange(0, 100), default=5, show_default=True)
@click.option("--explain", is_flag=True, help="Show why each suggestion ranked where it did.")
@json_output
def suggest_command(index_dir: str | None, title: str, description_file, product: str | None, audience: str,
                    statuses: tuple[str, ...], limit: int, explain: bool, as_json: bool) -> None:
    """Suggest articles for a support ticket from its title and description."""
    from indexer import Searcher

    description = description_file.read() if description_file is not None else ""
    with Searcher(settings.get("index_dir", index_dir)) as searcher:
        page = searcher.suggest(title, description, audience=audience, statuses=statuses, product=product,
                                limit=limit, explain=explain)
    if as_json:
        click.echo(json.dumps(page.as_dict(), indent=2))
        return
    _print_page(page, explain, heading="Key terms")


def _terminal_snippet(snippet: str) -> str:
    """Snippet HTML for a terminal: marks in bold, entities decoded."""
    import html

    parts = _MARK.split(snippet)
    return "".join(click.style(html.unescape(p), bold=True) if i % 2 else html.unescape(p)
                   for i, p in enumerate(parts))


def _print_page(page, explain: bool, heading: str = "Query") -> None:
    shown = f"{page.offset + 1}-{page.offset + len(page.hits)} of " if page.hits else ""
    click.echo(f"{heading}: {page.query or '(everything)'}  —  {shown}{page.total} result(s), "
               f"{page.took_ms:.1f} ms")
    if page.notice:
        click.echo(f"Note: {page.notice}")
    if page.did_you_mean:
        click.echo(f"Did you mean: {page.did_you_mean}")
    if page.relaxed:
        click.echo("No article has every word; showing articles with some of them.")
    if page.fuzzy:
        click.echo("Some words were matched approximately.")
    for rank, hit in enumerate(page.hits, page.offset + 1):
        facts = " · ".join(x for x in (hit.type, hit.product, hit.status if hit.status != "published" else "")
                           if x)
        click.echo()
        click.echo(f"{rank:>3}. {click.style(hit.id, bold=True)}  {hit.title}")
        click.echo(f"     [{facts}]  score {hit.score:.2f}  {hit.path}")
        if hit.superseded_by:
            click.echo(f"     superseded by {hit.superseded_by}")
        if hit.snippet:
            click.echo(f"     {_terminal_snippet(hit.snippet)}")
        if explain and hit.explanation:
            _print_explanation(hit.explanation)
    facets = [f"{name}: " + ", ".join(f"{f.value} ({f.count})" for f in values[:6])
              for name, values in page.facets.items() if values]
    if facets:
        click.echo()
        for line in facets:
            click.echo(line)


def _print_explanation(ex: dict) -> None:
    boosts = " ".join(f"{k}×{v:.3f}" for k, v in ex.get("boosts", {}).items())
    why = f"     why: {ex['tier']} tier; text score {ex['text_score']:.2f} × {ex['multiplier']:.3f} " \
          f"({boosts or 'no boosts'}) = "
    if meaning := ex.get("meaning"):
        why += (f"{meaning['words_score']:.2f}; by meaning: {meaning['words_score']:.2f} / "
                f"{meaning['best_words_score']:.2f} (best) + {meaning['weight']:g} × similarity "
                f"{meaning['similarity']:.3f} = ")
    click.echo(f"{why}{ex['score']:.2f}")
    if ex.get("quotes_ticket"):
        click.echo("       first: it quotes the ticket (half of its runs of words or more, in order)")
    if ex.get("query_kind"):
        shares = f"; matched {ex['coverage']:.0%} of the query's distinctive words" if "coverage" in ex else ""
        leans = f"words {1:g} + meaning {meaning['weight']:g}" if meaning else "words only"
        click.echo(f"       query kind {ex['query_kind']} ({leans}){shares}")
    for name, part in sorted(ex.get("fields", {}).items(), key=lambda kv: -kv[1]["score"]):
        terms = ", ".join(part.get("terms") or [])
        click.echo(f"       {name:<13} weight {part['weight']:<4g} score {part['score']:8.2f}  {terms}")
    sections = ex.get("sections") or {}
    if sections:
        click.echo("       in sections: " + "; ".join(
            f"{name} (×{part['weight']:g}): {', '.join(part['terms'])}" for name, part in sections.items()))
    extras = [f"{name} +{score:.2f}" for name, score in ex.get("boosters", {}).items()]
    if ex.get("synonyms"):
        extras.append("synonyms " + "; ".join("/".join(g) for g in ex["synonyms"]))
    if extras:
        click.echo("       boosts: " + "; ".join(extras))
