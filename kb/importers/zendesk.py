"""Zendesk Guide (Help Center) articles into kb articles.

Reads what the Help Center API returns: pages of ``{"articles": [...]}`` (one listing per
locale, ``/api/v2/help_center/{locale}/articles.json``, or the incremental export),
``{"translations": [...]}``, ``{"sections": [...]}`` and ``{"categories": [...]}``, saved as
JSON files in one folder (or one file). Each article in each locale becomes one Markdown
file with kb front matter:

============================  ===========================================================
Zendesk                       kb
============================  ===========================================================
``id`` (and ``locale``)       ``id: zd-<id>`` in the article's source locale,
                              ``zd-<id>-<locale>`` for its translations
``title``                     ``title``
``body`` (HTML)               the Markdown body (converted with markdownify)
``draft``                     ``status: draft`` (else ``published``)
``user_segment_id``           ``audience: public`` when null (everyone may see it), else
                              ``internal``: a restricted article never becomes public
category / section names      ``product`` / ``component``, and the file's folders
``label_names``               ``tags``
``edited_at``/``updated_at``  ``updated``
the rest                      kept under one ``zendesk:`` field (id, URL, locale...)
============================  ===========================================================

Images stay where Zendesk hosts them, as links (kb's pages load no image from another
site); links to other Help Center
articles in the export become ``kb:`` links. Whatever has no Markdown form (embedded
video, forms, scripts, merged table cells) is listed in the report, article by article.
Files are found again by their id on the next run: an article whose title or section
changed is updated (and moved), never duplicated, and an unchanged one is not rewritten.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml
from bs4 import BeautifulSoup
from markdownify import MarkdownConverter

from kb.authoring import slug_for_title
from kb.errors import KBError

DEFAULT_FOLDER = "zendesk"
ID_PREFIX = "zd-"
EXTRA_FIELD = "zendesk"
MAX_EXPORT_FILE_BYTES = 500_000_000
# Elements with no Markdown form: dropped from the body and named in the report.
UNMAPPED_TAGS = {
    "iframe": "an embedded frame (video or widget)", "video": "a video", "audio": "an audio clip",
    "object": "an embedded object", "embed": "an embedded object", "form": "a form", "input": "a form field",
    "button": "a button", "select": "a form field", "textarea": "a form field", "script": "a script",
    "style": "a style sheet", "canvas": "a canvas", "svg": "an inline SVG drawing",
}
_ARTICLE_LINK = re.compile(r"/hc/(?:(?P<locale>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)/)?articles/(?P<id>\d+)")


@dataclass
class Unmapped:
    """Something in the export that kb could not carry over as it was."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass
class ImportReport:
    """What an import did, file by file, and what it could not map."""

    created: list[str] = field(default_factory=list)  # paths relative to the articles folder
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)  # old paths of articles that moved
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    locales: set[str] = field(default_factory=set)
    drafts: int = 0
    internal: int = 0

    @property
    def articles(self) -> int:
        return len(self.created) + len(self.updated) + self.unchanged

    def summary(self) -> str:
        return (f"{self.articles} article(s) in {len(self.locales)} locale(s) "
                f"({', '.join(sorted(self.locales)) or 'none'}): {len(self.created)} created, "
                f"{len(self.updated)} updated, {self.unchanged} unchanged; {self.drafts} draft(s), "
                f"{self.internal} internal; {len(self.unmapped)} thing(s) could not be mapped.")

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed, "locales": sorted(self.locales), "drafts": self.drafts,
                "internal": self.internal, "notes": self.notes,
                "unmapped": [{"where": u.where, "what": u.what} for u in self.unmapped]}


@dataclass
class Export:
    """Everything read from an export: records by id and locale."""

    articles: dict[tuple[int, str], dict] = field(default_factory=dict)
    translations: dict[tuple[int, str], dict] = field(default_factory=dict)
    sections: dict[int, dict[str, dict]] = field(default_factory=dict)
    categories: dict[int, dict[str, dict]] = field(default_factory=dict)


def read_export(path: Path | str, report: ImportReport) -> Export:
    """Read every JSON file of an export folder (or one file); unreadable files are reported."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not files:
            raise KBError(f"No .json files in {path}: export the Help Center articles (and their sections "
                          "and categories) from the Zendesk API into that folder.")
    elif path.is_file():
        files = [path]
    else:
        raise KBError(f"No export at {path}.")
    export = Export()
    for file in files:
        try:
            if file.stat().st_size > MAX_EXPORT_FILE_BYTES:
                raise ValueError(f"larger than {MAX_EXPORT_FILE_BYTES:,} bytes")
            data = json.loads(file.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as exc:
            report.unmapped.append(Unmapped(file.name, f"not read: {exc}"))
            continue
        pages = data if isinstance(data, list) else [data]
        known = False
        for page in pages:
            if not isinstance(page, dict):
                continue
            for key, store in (("articles", export.articles), ("translations", export.translations)):
                for record in _records(page.get(key), file.name, key, report):
                    known = True
                    record_id = record.get("source_id") if key == "translations" else record.get("id")
                    if key == "translations" and str(record.get("source_type", "Article")) != "Article":
                        continue
                    locale = str(record.get("locale") or "").lower()
                    if not isinstance(record_id, int) or not locale:
                        report.unmapped.append(Unmapped(file.name, f"a record under '{key}' without an id and "
                                                                   "locale was skipped"))
                        continue
                    previous = store.get((record_id, locale))
                    if previous is None or _stamp(record) >= _stamp(previous):
                        store[(record_id, locale)] = record
            for key, store in (("sections", export.sections), ("categories", export.categories)):
                for record in _records(page.get(key), file.name, key, report):
                    known = True
                    if isinstance(record.get("id"), int):
                        store.setdefault(record["id"], {})[str(record.get("locale") or "").lower()] = record
        if not known:
            report.notes.append(f"{file.name}: no articles, translations, sections or categories; skipped")
    if not export.articles and not export.translations:
        raise KBError(f"{path} holds no Help Center articles (JSON with an 'articles' list).")
    return export


def _records(value, file: str, key: str, report: ImportReport) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        report.unmapped.append(Unmapped(file, f"'{key}' is not a list; skipped"))
        return []
    return [r for r in value if isinstance(r, dict)]


def _stamp(record: dict) -> str:
    return str(record.get("edited_at") or record.get("updated_at") or "")


# -- conversion ---------------------------------------------------------------------------------

class _Converter(MarkdownConverter):
    """markdownify, with pipes in table cells escaped (they would split the cell)."""

    def convert_td(self, el, text, parent_tags):
        return super().convert_td(el, text.replace("|", "\\|"), parent_tags)

    def convert_th(self, el, text, parent_tags):
        return super().convert_th(el, text.replace("|", "\\|"), parent_tags)


def _code_language(el) -> str | None:
    code = el.find("code") or el
    for cls in code.get("class") or el.get("class") or []:
        if cls.startswith(("language-", "lang-")):
            return cls.split("-", 1)[1]
    return None


def html_to_markdown(html: str, *, base_url: str, link_for, where: str, unmapped: list[Unmapped]) -> str:
    """An article body in Markdown: images and links made absolute (or ``kb:`` links), and
    every element without a Markdown form named in ``unmapped``."""
    soup = BeautifulSoup(html or "", "html.parser")
    seen: dict[str, int] = {}
    for name, what in UNMAPPED_TAGS.items():
        for el in soup.find_all(name):
            if el.parent is None:
                continue  # inside an element already dropped
            seen[what] = seen.get(what, 0) + 1
            src = el.get("src") or el.get("data") or ""
            if src and name in ("iframe", "video", "audio", "embed", "object"):
                el.replace_with(soup.new_string(f" {urljoin(base_url, src)} "))
            else:
                el.decompose()
    for what, count in seen.items():
        unmapped.append(Unmapped(where, f"{what} left out" + (f" ({count} times)" if count > 1 else "")
                                 + (": its address is kept as text" if "frame" in what or "video" in what
                                    or "audio" in what or "object" in what else "")))
    for table in soup.find_all("table"):
        if table.find("table"):
            unmapped.append(Unmapped(where, "a table inside a table was flattened"))
        if table.find(attrs={"colspan": True}) or table.find(attrs={"rowspan": True}):
            unmapped.append(Unmapped(where, "a table with merged cells was flattened; check it reads right"))
    for img in soup.find_all("img"):
        # Kept as a link to where Zendesk hosts it: kb's pages load no image from another site.
        if img.get("src"):
            link = soup.new_tag("a", href=urljoin(base_url, img["src"]))
            link.string = f"Image: {' '.join((img.get('alt') or img.get('title') or 'no description').split())}"
            img.replace_with(link)
        else:
            img.decompose()
    for a in soup.find_all("a"):
        href = a.get("href")
        if not href or href.startswith(("#", "mailto:")) or a.get_text().startswith("Image: "):
            continue
        absolute = urljoin(base_url, href)
        a["href"] = link_for(absolute) or absolute
    markdown = _Converter(heading_style="ATX", bullets="-", table_infer_header=True,
                          code_language_callback=_code_language,
                          keep_inline_images_in=["td", "th", "li", "a", "span", "strong", "b", "em", "i",
                                                 "figure", "div"]).convert_soup(soup)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


# -- planning and writing -------------------------------------------------------------------

@dataclass
class _Article:
    """One article in one locale, merged from its listing and its translation."""

    id: int
    locale: str
    record: dict  # the article as listed (any locale), for metadata
    text: dict  # title/body/draft/dates in this locale

    @property
    def source_locale(self) -> str:
        return str(self.record.get("source_locale") or self.record.get("locale") or self.locale).lower()

    @property
    def kb_id(self) -> str:
        return kb_id(self.id, self.locale, self.source_locale)


def kb_id(article_id: int, locale: str, source_locale: str) -> str:
    """``zd-<id>`` in the source locale, ``zd-<id>-<locale>`` in the others."""
    suffix = "" if locale == source_locale else "-" + re.sub(r"[^a-z0-9-]", "", locale.lower())
    return f"{ID_PREFIX}{article_id}{suffix}"


def _merged(export: Export) -> list[_Article]:
    by_id: dict[int, dict] = {}
    for (article_id, _locale), record in sorted(export.articles.items()):
        current = by_id.get(article_id)
        if current is None or str(record.get("locale", "")).lower() == str(record.get("source_locale", "")).lower():
            by_id[article_id] = record
    found: dict[tuple[int, str], _Article] = {}
    for key, record in export.articles.items():
        found[key] = _Article(key[0], key[1], by_id[key[0]], record)
    for key, translation in export.translations.items():
        base = by_id.get(key[0])
        if base is None:
            continue  # reported below
        if key not in found or _stamp(translation) > _stamp(found[key].text):
            found[key] = _Article(key[0], key[1], base, translation)
    return [found[k] for k in sorted(found)]


def _name(records: dict[str, dict] | None, locale: str) -> str | None:
    if not records:
        return None
    record = records.get(locale) or next(iter(records.values()))
    name = str(record.get("name") or "").strip()
    return name or None


def _section_path(export: Export, section_id, locale: str) -> tuple[list[str], str | None, str | None]:
    """(folder names, category name, section name) for a section, following parent sections."""
    names: list[str] = []
    section = export.sections.get(section_id)
    section_name = _name(section, locale)
    category_id = None
    hops = 0
    while section and hops < 10:
        record = section.get(locale) or next(iter(section.values()))
        names.insert(0, _name(section, locale) or f"section-{record.get('id')}")
        category_id = record.get("category_id")
        section = export.sections.get(record.get("parent_section_id"))
        hops += 1
    category_name = _name(export.categories.get(category_id), locale)
    if category_name:
        names.insert(0, category_name)
    return names, category_name, section_name


def _existing(folder: Path) -> dict[str, Path]:
    """kb id -> file, for the files an earlier import wrote under ``folder``."""
    found: dict[str, Path] = {}
    if not folder.is_dir():
        return found
    pattern = re.compile(rf"^id:\s*[\"']?({re.escape(ID_PREFIX)}[A-Za-z0-9-]+)", re.MULTILINE)
    for path in folder.rglob("*.md"):
        try:
            head = path.read_bytes()[:4096].decode("utf-8", "replace")
        except OSError:
            continue
        match = pattern.search(head.split("\n---", 2)[0] if head.startswith("---") else "")
        if match:
            found[match.group(1)] = path
    return found


def _date(value) -> date | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


def render_article(article: _Article, export: Export, body: str) -> tuple[str, list[str], dict]:
    """(the file's text, its folders below the import folder, its front matter)."""
    record, text = article.record, article.text
    folders, category, section = _section_path(export, record.get("section_id"), article.locale)
    title = " ".join(str(text.get("title") or text.get("name") or "").split()) or f"Zendesk article {article.id}"
    front: dict = {"id": article.kb_id, "title": title, "type": "reference",
                   "audience": "public" if record.get("user_segment_id") is None else "internal",
                   "status": "draft" if text.get("draft") or record.get("draft") else "published"}
    if category:
        front["product"] = category
    if section and section != category:
        front["component"] = section
    labels = [str(label).strip() for label in record.get("label_names") or [] if str(label).strip()]
    if labels:
        front["tags"] = list(dict.fromkeys(labels))
    updated = _date(text.get("edited_at") or text.get("updated_at") or record.get("updated_at"))
    if updated:
        front["updated"] = updated
    front[EXTRA_FIELD] = {key: value for key, value in {
        "id": article.id, "locale": article.locale, "source_locale": article.source_locale,
        "url": text.get("html_url") or record.get("html_url"), "section_id": record.get("section_id"),
        "author_id": record.get("author_id"), "user_segment_id": record.get("user_segment_id"),
        "outdated": bool(text.get("outdated")) or None, "promoted": record.get("promoted") or None,
    }.items() if value is not None}
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n\n{body}", [article.locale, *folders], front


def import_zendesk(export_path: Path | str, articles_dir: Path | str, *, into: str = DEFAULT_FOLDER,
                   dry_run: bool = False) -> ImportReport:
    """Write (or update) one Markdown file per article and locale under ``articles_dir/into``.

    :raises KBError: the export can't be read at all, or ``into`` leaves the articles folder.
    """
    root = Path(articles_dir)
    if not root.is_dir():
        raise KBError(f"No articles folder at {root}. Create it or pass --articles DIR.")
    folder = (root / into).resolve()
    if folder != root.resolve() and root.resolve() not in folder.parents:
        raise KBError(f"--into {into} is outside {root}; give a folder inside the knowledge base.")
    report = ImportReport()
    export = read_export(export_path, report)
    articles = _merged(export)
    for key in sorted(set(export.translations) - set(export.articles)):
        if not any(a.id == key[0] for a in articles):
            report.unmapped.append(Unmapped(f"translation of article {key[0]} ({key[1]})",
                                            "its article is not in the export; skipped"))
    ids = {(a.id, a.locale): a.kb_id for a in articles}
    source_ids = {a.id: kb_id(a.id, a.source_locale, a.source_locale) for a in articles}
    existing = _existing(folder)
    written: set[Path] = set()
    images = 0
    for article in articles:
        where = f"article {article.id} ({article.locale})"
        base_url = str(article.text.get("html_url") or article.record.get("html_url") or "")

        def link_for(url: str, locale=article.locale) -> str | None:
            match = _ARTICLE_LINK.search(urlsplit(url).path)
            if match is None:
                return None
            target_id = int(match.group("id"))
            target_locale = (match.group("locale") or locale).lower()
            target = ids.get((target_id, target_locale)) or source_ids.get(target_id)
            if target is None:
                report.unmapped.append(Unmapped(where, f"a link to Help Center article {target_id}, which is not "
                                                       "in this export, still points at Zendesk"))
                return None
            fragment = urlsplit(url).fragment
            return f"kb:{target}" + (f"#{fragment}" if fragment else "")

        body_html = str(article.text.get("body") or "")
        if not body_html.strip():
            report.unmapped.append(Unmapped(where, "the body is empty"))
        body = html_to_markdown(body_html, base_url=base_url, link_for=link_for, where=where,
                                unmapped=report.unmapped)
        images += len(re.findall(r"\[Image: ", body))
        text, folders, front = render_article(article, export, body)
        slug = slug_for_title(str(article.text.get("title") or "")) or "article"
        path = folder.joinpath(*(slug_for_title(f) or "section" for f in folders), f"{article.id}-{slug}.md")
        report.locales.add(article.locale)
        report.drafts += front["status"] == "draft"
        report.internal += front["audience"] == "internal"
        if article.record.get("user_segment_id") is not None:
            report.notes.append(f"{where}: visible to a user segment only in Zendesk; imported as internal")
        old = existing.get(article.kb_id)
        rel = path.relative_to(root.resolve()).as_posix()
        if old is not None and old.resolve() == path and _read(old) == text:
            report.unchanged += 1
            written.add(path)
            continue
        (report.updated if old is not None else report.created).append(rel)
        if dry_run:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
        written.add(path)
        if old is not None and old.resolve() != path and old.resolve() not in written:
            old.unlink(missing_ok=True)
            report.removed.append(old.resolve().relative_to(root.resolve()).as_posix())
    if images:
        report.notes.append(f"{images} image(s) stay where Zendesk hosts them, linked from the articles: copy "
                            "them into the articles folder if the help center is going away")
    left = sorted(set(existing) - {a.kb_id for a in articles})
    if left:
        report.notes.append(f"{len(left)} article(s) imported earlier are not in this export and were left as "
                            f"they are: {', '.join(left[:10])}{' ...' if len(left) > 10 else ''}")
    return report


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
