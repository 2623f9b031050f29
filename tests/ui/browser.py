"""Debian's Chromium through Playwright, the two screen sizes kb is checked at, and axe-core.

axe-core comes from the npm registry at the version pinned in ``tests/a11y/package.json``
(``make test`` installs it); its source is evaluated inside the page through Playwright,
so no page of kb ever loads it and the Content-Security-Policy stays as strict as served.
"""

from __future__ import annotations

import json
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_DIR = REPO / "tests" / "a11y"
AXE_SOURCE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]

# The sizes people use kb at: a common laptop screen and a common phone.
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
PHONE_CONTEXT = {"viewport": VIEWPORTS["phone"], "device_scale_factor": 2, "is_mobile": True,
                 "has_touch": True}

# Impacts that fail a page: axe ranks findings minor < moderate < serious < critical.
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_path() -> str:
    """Debian's headless Chromium (or full Chromium); raises with the fix when neither is installed."""
    for candidate in (shutil.which("chromium-headless-shell"), shutil.which("chromium"),
                      "/usr/bin/chromium-headless-shell", "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("No Chromium found for the browser tests: run `make browser` (installs Debian's "
                       "chromium-headless-shell). Never `playwright install`.")


@contextmanager
def chromium():
    """Debian's Chromium, launched through Playwright for as long as the ``with`` block lasts."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def context_options(size: str) -> dict:
    """Playwright ``new_context`` options for ``desktop`` or ``phone``."""
    if size == "phone":
        return dict(PHONE_CONTEXT)
    return {"viewport": VIEWPORTS[size]}


def axe_source() -> str:
    """The pinned axe-core build; raises naming the command that installs it."""
    if not AXE_SOURCE.exists():
        raise RuntimeError(f"axe-core is not installed at {AXE_SOURCE}: run `make test` (or "
                           f"`npm ci --prefix {AXE_DIR.relative_to(REPO)}`).")
    return AXE_SOURCE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    """One axe rule broken on a page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.impact}] {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def audit(page) -> list[Violation]:
    """Run axe-core (WCAG 2.x A/AA and best practices) on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # evaluated by the browser, not loaded by the page: CSP unaffected
    raw = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']}).then(r => JSON.stringify(r.violations))")
    return [Violation(v["id"], v.get("impact") or "minor", v["help"],
                      tuple(" ".join(map(str, n["target"])) for n in v["nodes"]))
            for v in json.loads(raw)]


def blocking(violations: list[Violation]) -> list[Violation]:
    """The violations of serious or critical impact."""
    return [v for v in violations if v.impact in BLOCKING_IMPACTS]


def assert_accessible(page, where: str = "") -> list[Violation]:
    """Fail on any serious or critical axe violation; return the lesser ones."""
    found = audit(page)
    bad = blocking(found)
    assert not bad, f"axe-core on {where or page.url}:\n" + "\n".join(map(str, bad))
    return found
