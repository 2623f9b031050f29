"""Screenshots of kb's main pages at desktop and phone size, with axe-core's findings per page.

    .venv/bin/python -m tests.ui.screenshots [OUT]        (or: make screenshots)

Serves the sample site (:mod:`tests.ui.sample_site`) on a free loopback port, visits every
page type as the role that uses it, and writes ``OUT/<size>/<page>.png`` (the whole page)
and ``OUT/<size>/<page>.first-screen.png`` (what shows before scrolling), by default under
``bench/out/screenshots`` (not committed), plus ``OUT/axe.json`` and a table of axe
violations by impact. Open the PNGs in any image viewer to review the look of a change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tests.ui.browser import LAUNCH_ARGS, VIEWPORTS, audit, chromium_path, context_options
from tests.ui.sample_site import SampleSite, start_sample_site

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "bench" / "out" / "screenshots"


@dataclass(frozen=True)
class Shot:
    """A page to capture: who looks at it, where, and what to do before the picture."""

    name: str
    role: str | None
    path: str
    prepare: str = ""  # name of a function below that puts the page in the state worth seeing
    status: int = 200  # the HTTP status the page should answer with


def _contact_typed(page) -> None:
    page.locator("#title, [name=title]").first.fill("VPN drops every few minutes")
    page.locator("#suggestions .suggestion-title, #suggestions li").first.wait_for(timeout=15_000)


PREPARE = {"contact_typed": _contact_typed}


def shots(site: SampleSite) -> list[Shot]:
    """Every page type, as the role that uses it."""
    from kb.cases import lookup

    cases = lookup.list_cases(site.engine, limit=200)
    open_case = next(c for c in cases if c.status in ("new", "active"))
    closed_case = next(c for c in cases if c.status == "closed" and c.links)
    return [
        Shot("help-home", None, "/help"),
        Shot("help-browse", None, "/help/browse"),
        Shot("help-search", None, "/help/search?q=vpn+disconnects"),
        Shot("help-search-empty", None, "/help/search?q=zzqxv+nothing"),
        Shot("help-search-answer", None, "/help/search?q=outlook+keeps+asking+for+my+password+every+minute"),
        Shot("help-search-no-answer", None, "/help/search?q=how+do+I+bake+sourdough+bread+at+home"),
        Shot("help-article", None, "/help/articles/KB0026"),
        Shot("help-contact", None, "/help/contact", "contact_typed"),
        Shot("help-404", None, "/help/articles/NO-SUCH-ARTICLE", status=404),
        Shot("login", None, "/login"),
        Shot("customer-requests", "customer", "/help/requests"),
        Shot("search", "engineer", "/search?q=vpn+drops"),
        Shot("search-answer", "engineer", "/search?q=ORA-12154+after+installing+a+second+Oracle+client"),
        Shot("article", "engineer", "/articles/KB0026"),
        Shot("cases", "engineer", "/cases?status=all"),
        Shot("cases-found", "engineer", "/cases?status=all&q=Northwind"),
        Shot("case-open", "engineer", f"/cases/{open_case.display_id}"),
        Shot("case-closed", "engineer", f"/cases/{closed_case.display_id}"),
        Shot("case-new", "engineer", "/cases/new"),
        Shot("insights", "engineer", "/insights"),
        Shot("insights-deflection", "engineer", "/insights/deflection"),
        Shot("insights-gaps", "engineer", "/insights/gaps"),
        Shot("insights-searches", "engineer", "/insights/searches"),
        Shot("engineer-403", "engineer", "/authoring/queue", status=403),
        Shot("staff-404", "engineer", "/articles/NO-SUCH-ARTICLE", status=404),
        Shot("authoring-queue", "author", "/authoring/queue"),
        Shot("authoring-report", "author", "/authoring/report"),
        Shot("authoring-preview", "author", "/authoring/preview/KB0036"),
        Shot("users", "admin", "/admin/users"),
    ]


def sign_in(context, site: SampleSite, role: str) -> None:
    page = context.new_page()
    page.goto("/login")
    page.locator("#name").fill(site.accounts[role])
    page.locator("#password").fill(site.password)
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_load_state()
    page.close()


def capture(site: SampleSite, out: Path, sizes=tuple(VIEWPORTS), only=()) -> dict:
    """Take every screenshot (or those named in ``only``); returns ``{size: {page: [violations]}}``."""
    from playwright.sync_api import sync_playwright

    found: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=LAUNCH_ARGS)
        for size in sizes:
            (out / size).mkdir(parents=True, exist_ok=True)
            contexts: dict = {}
            for shot in shots(site):
                if only and shot.name not in only:
                    continue
                if shot.role not in contexts:
                    contexts[shot.role] = browser.new_context(base_url=site.url, **context_options(size))
                    if shot.role:
                        sign_in(contexts[shot.role], site, shot.role)
                page = contexts[shot.role].new_page()
                page.set_default_timeout(20_000)
                response = page.goto(shot.path)
                if response is not None and response.status != shot.status:
                    print(f"  {size}/{shot.name}: {shot.path} answered {response.status}, "
                          f"not {shot.status}", file=sys.stderr)
                if shot.prepare:
                    try:
                        PREPARE[shot.prepare](page)
                    except Exception as exc:  # a broken step still leaves a picture to look at
                        print(f"  {size}/{shot.name}: {shot.prepare} failed: {exc}", file=sys.stderr)
                page.screenshot(path=str(out / size / f"{shot.name}.png"), full_page=True)
                page.screenshot(path=str(out / size / f"{shot.name}.first-screen.png"))
                found.setdefault(size, {})[shot.name] = [
                    {"rule": v.rule, "impact": v.impact, "help": v.help, "targets": list(v.targets)}
                    for v in audit(page)]
                page.close()
            for context in contexts.values():
                context.close()
        browser.close()
    return found


def summarize(found: dict) -> str:
    """A table: violations (rules broken, and elements) by impact, per size."""
    lines = []
    for size, pages in found.items():
        rules, nodes = Counter(), Counter()
        for violations in pages.values():
            for v in violations:
                rules[v["impact"]] += 1
                nodes[v["impact"]] += len(v["targets"])
        lines.append(f"{size:8} {len(pages)} pages: " + ", ".join(
            f"{impact} {rules[impact]} ({nodes[impact]} elements)"
            for impact in ("critical", "serious", "moderate", "minor")))
        for name, violations in pages.items():
            for v in violations:
                lines.append(f"    {name:22} [{v['impact']}] {v['rule']} x{len(v['targets'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=DEFAULT_OUT, help="folder for the PNGs")
    parser.add_argument("--size", choices=tuple(VIEWPORTS), action="append",
                        help="only this size (repeatable; default both)")
    parser.add_argument("--page", action="append", metavar="NAME",
                        help="only this page, e.g. case-open (repeatable; default all)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kb-screens-") as tmp:
        site = start_sample_site(Path(tmp))
        try:
            found = capture(site, args.out, tuple(args.size or VIEWPORTS), tuple(args.page or ()))
        finally:
            site.stop()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "axe.json").write_text(json.dumps(found, indent=1), encoding="utf-8")
    print(summarize(found))
    print(f"screenshots in {args.out} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
