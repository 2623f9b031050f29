"""``kb answer``: the cited answer to a question, or why there is none, from the command line."""

from __future__ import annotations

import json

import click

from cli.app import index_option, json_output, main
from cli.search import _audience_options
from kb import settings


@main.command("answer")
@click.argument("question", nargs=-1, required=True)
@index_option
@click.option("--description-file", type=click.File("r", encoding="utf-8"), default=None,
              help="File with more detail, such as a ticket's description ('-' reads standard input).")
@click.option("--product", help="The product asked about (an article for another product is demoted).")
@_audience_options
@click.option("--explain", is_flag=True, help="Show the evidence and confidence of every article weighed.")
@json_output
def answer_command(question: tuple[str, ...], index_dir: str | None, description_file, product: str | None,
                   audience: str, statuses: tuple[str, ...], explain: bool, as_json: bool) -> None:
    """Answer QUESTION from the knowledge base, quoting and citing one article, or abstain.

    The answer is the passage of the best-supported article that answers the question
    (its Resolution, Workaround, or the matching step), in the article's own words. When
    nothing clears the confidence threshold, kb says so instead of guessing.
    """
    from indexer import Searcher
    from kb.answers import Question, answer, as_ticket, candidates_from

    description = description_file.read() if description_file is not None else ""
    asked = Question(" ".join(question), description, product)
    with Searcher(settings.get("index_dir", index_dir)) as searcher:
        title, details = as_ticket(asked)
        page = searcher.suggest(title, details, audience=audience, statuses=statuses, product=product,
                                limit=10)
        found = candidates_from(page.hits[:4], lambda article_id: searcher.get_article(
            article_id, audience=audience, statuses=statuses))
        products = [f.value for f in searcher.facet_values(audience=audience, statuses=statuses)
                    .get("product", [])]
    result = answer(asked, found, products=products)
    if as_json:
        click.echo(json.dumps(_as_dict(result, explain), indent=2))
        return
    _print(result, explain)


def _as_dict(result, explain: bool) -> dict:
    out: dict = {"abstained": result.abstained, "reason": result.reason,
                 "confidence": round(result.confidence, 4)}
    if not result.abstained:
        support = result.support
        out["answer"] = {"text": result.text, "article": support.article.id, "title": support.article.title,
                         "section": support.passage.section, "anchor": support.passage.anchor,
                         "why": support.reasons(), "flags": [f.as_dict() for f in support.flags],
                         "more_steps": support.passage.more_steps,
                         "also": result.also.article.id if result.also else None}
    if explain:
        out["considered"] = [{"id": s.article.id, "confidence": round(s.confidence, 4),
                              "evidence": s.evidence.as_dict()} for s in result.considered]
    return out


def _print(result, explain: bool) -> None:
    if result.abstained:
        click.echo(f"No answer ({result.confidence:.0%} confidence at best): {result.reason}")
    else:
        support = result.support
        click.echo(click.style(f"{support.article.id}  {support.article.title} › {support.passage.section}",
                               bold=True) + f"   ({result.confidence:.0%} confidence)")
        for flag in support.flags:
            click.echo(click.style(f"Check first: {flag.message}", fg="yellow"))
        click.echo()
        click.echo(result.text)
        if support.passage.more_steps:
            click.echo(f"\n… {support.passage.more_steps} more step(s) in the article.")
        click.echo()
        for reason in support.reasons():
            click.echo(f"Why: {reason}")
        if result.also is not None:
            also = result.also.article
            click.echo(f"Another article may also apply: {also.id}  {also.title}")
    if explain:
        click.echo()
        for s in result.considered:
            parts = ", ".join(f"{k} {v}" for k, v in s.evidence.as_dict().items() if v not in (None, 0.0))
            click.echo(f"  {s.article.id:<24} {s.confidence:6.1%}  {parts}")
