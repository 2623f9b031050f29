"""The public help center: browse, search and read public, published articles only.

Every lookup here uses the PUBLIC reader, whoever is signed in: the help center is what
customers see, and it is built only from the public index. Nothing on these pages can
name, count or link an internal, draft or archived-internal article.
"""

from __future__ import annotations

import math

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for

from kb.visibility import PUBLIC
from web import feeds, params
from web.articles import get_article_or_404, record_vote
from web.loop import loop
from web.render import article_view, send_article_image
from web.search import PUBLIC_FACET_NAMES, run_search
from web.services import catalog

bp = Blueprint("help", __name__)

FEED_SIZE = 20
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit per file
SITEMAP_CHUNK = 500


@bp.route("/help")
def home():
    """Help center front page: search, products, article types, recent articles."""
    facets = catalog().facets(PUBLIC)
    _total, recent = catalog().list(PUBLIC, limit=8, sort="updated")
    return render_template("help/home.html", products=facets.get("product", []), types=facets.get("type", []),
                           recent=recent)


@bp.route("/help/browse")
def browse():
    """Public articles by product, type or tag, a page at a time."""
    per_page = current_app.config["PER_PAGE"] * 2
    try:
        filters = params.filters(request.args, PUBLIC)
        page_no = params.integer(request.args, "page", 1, low=1, high=10**9)
        page_no = min(page_no, params.MAX_OFFSET // per_page)
    except params.BadParameter as exc:
        flash(exc.description, "error")
        return redirect(url_for("help.home"))
    total, hits = catalog().list(PUBLIC, type=filters.type, product=filters.product, tag=filters.tag,
                                 limit=per_page, offset=(page_no - 1) * per_page, sort="title")
    return render_template("help/browse.html", filters=filters, hits=hits, total=total, page_no=page_no,
                           pages=math.ceil(total / per_page), base_args=filters.active())


@bp.route("/help/search")
def search():
    """Search public articles."""
    context = run_search(PUBLIC, "help.search", "help.article", "help", PUBLIC_FACET_NAMES)
    return render_template("help/search.html", staff=False, **context)


@bp.route("/help/autocomplete")
def autocomplete():
    """Public title suggestions for the help center's search box."""
    try:
        q = params.query(request.args)
        limit = params.integer(request.args, "limit", 8, low=1, high=20)
    except params.BadParameter:
        return jsonify({"query": "", "suggestions": []})
    found = catalog().autocomplete(PUBLIC, q, limit=limit) if q else []
    suggestions = [{"id": s["id"], "title": s["title"], "url": url_for("help.article", article_id=s["id"])}
                   for s in found]
    return jsonify({"query": q, "suggestions": suggestions})


@bp.route("/help/articles/<article_id>")
def article(article_id: str):
    """A public article; an archived public one forwards to its public replacement."""
    art = catalog().get(PUBLIC, article_id)
    if art is None:
        replacement = catalog().public_replacement(article_id)
        if replacement is not None:
            return redirect(url_for("help.article", article_id=replacement.id, **{"from": article_id}), 301)
        art = get_article_or_404(PUBLIC, article_id)
    old_id = request.args.get("from")
    replaced = bool(old_id) and getattr(catalog().public_replacement(old_id), "id", None) == art.id
    loop().views.view(art.id)
    loop().note_search_click(art.id)
    return render_template("help/article.html", view=article_view(art, PUBLIC, "help.article"), article=art,
                           replaced=replaced,
                           share_url=url_for("help.article", article_id=art.id, _external=True),
                           feedback_url=url_for("help.feedback", article_id=art.id),
                           flag_url=url_for("flags.help_flag", article_id=art.id))


@bp.route("/help/articles/<article_id>/media/<path:path>")
def media(article_id: str, path: str):
    """An image a public article shows (only those: an internal article's images stay internal)."""
    return send_article_image(get_article_or_404(PUBLIC, article_id), path)


@bp.route("/help/articles/<article_id>/feedback", methods=["POST"])
def feedback(article_id: str):
    """Record "was this helpful?" from a help-center reader."""
    return record_vote(PUBLIC, get_article_or_404(PUBLIC, article_id), "help.article")


def _all_public(limit: int) -> list:
    hits: list = []
    while len(hits) < limit:
        total, chunk = catalog().list(PUBLIC, limit=min(SITEMAP_CHUNK, limit - len(hits)), offset=len(hits),
                                      sort="title")
        hits += chunk
        if not chunk or len(hits) >= total:
            break
    return hits


def _public_url(hit) -> str:
    return url_for("help.article", article_id=hit.id, _external=True)


@bp.route("/help/feed.xml")
def feed():
    """Atom feed of the most recently updated public articles."""
    _total, hits = catalog().list(PUBLIC, limit=FEED_SIZE, sort="updated")
    xml = feeds.atom_feed(hits, title="Help center: recently updated articles",
                          home_url=url_for("help.home", _external=True),
                          self_url=url_for("help.feed", _external=True), url_for_hit=_public_url)
    return current_app.response_class(xml, mimetype="application/atom+xml")


@bp.route("/sitemap.xml")
def sitemap():
    """Sitemap of the help center: its front page and every public article."""
    xml = feeds.sitemap(url_for("help.home", _external=True), _all_public(SITEMAP_MAX_URLS - 1), _public_url)
    return current_app.response_class(xml, mimetype="application/xml")


@bp.route("/robots.txt")
def robots():
    """Crawlers may index the help center only, and learn where the sitemap is."""
    body = ("User-agent: *\nAllow: /help\nAllow: /static/\nDisallow: /\n"
            f"Sitemap: {url_for('help.sitemap', _external=True)}\n")
    return current_app.response_class(body, mimetype="text/plain")
