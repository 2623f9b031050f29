"""A sample kb site for the browser tests and the screenshots: the repository's articles in a
Git repository, an index, users of every role, and a realistic set of cases and activity.

The cases are generated from a fixed seed, so every run looks the same: 45 cases over nine
months with a quiet gap (like a team that paused the tool), customers that share words
("Northwind Traders", "Northwind Health"), imported cases with date-only times, and every
status. Nothing here tunes kb: the tests check rules, not these exact rows.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from kb import activity
from kb.cases import deflection, store
from kb.db import engine_for, utcnow
from kb.resolution_codes import load_taxonomy
from kb.users import add_user
from tests.web.helpers import LiveServer, start_server, stop_server

REPO = Path(__file__).resolve().parents[2]
ARTICLES = REPO / "articles"
PASSWORD = "sample-site-password-1"
ROLES = ("engineer", "author", "customer", "admin")

CUSTOMERS = ("Northwind Traders", "Northwind Health", "Contoso Pharmaceuticals", "Fabrikam Inc.",
             "Tailspin Toys", "Wide World Importers", "Adventure Works Cycles", "Litware Ltd")
# (title, description, product, article that solves it or None, code when closed)
PROBLEMS = (
    ("ODBC login timeout expired connecting to SQL Server", "SQLSTATE HYT00 from the reporting app "
     "since this morning. Other apps connect fine.", "SQL Server", "KB0001", "solved-existing-article"),
    ("Named instance not found: SQLSTATE 08001", "Error Locating Server/Instance Specified when "
     "connecting to SQLPROD\\REPORTS.", "SQL Server", "KB0002", "solved-existing-article"),
    ("Certificate chain not trusted after ODBC Driver 18 upgrade", "The certificate chain was issued by "
     "an authority that is not trusted.", "SQL Server", "KB0004", "solved-existing-article"),
    ("VPN drops every 8 hours", "Users are disconnected from the VPN at a fixed interval; reconnect "
     "works.", "VPN Gateway", "KB0026", "solved-existing-article"),
    ("VPN client disconnects on hotel Wi-Fi", "Client 5.3.0 disconnects on some hotel networks.",
     "VPN Gateway", "KB0027", "workaround-provided"),
    ("Sign-in loop with AADSTS50076", "Users are asked for MFA again and again in the portal.",
     "Entra ID", "KB0016", "solved-existing-article"),
    ("Redirect URI mismatch AADSTS50011 on the new app", "The reply URL does not match.", "Entra ID",
     "KB0018", "solved-existing-article"),
    ("Outlook keeps asking for a password", "Repeated credential prompts with Exchange Online after "
     "the weekend.", "Exchange Online", "KB0034", "solved-existing-article"),
    ("Mail delayed: 451 4.7.500 Server busy", "Message trace shows Deferred.", "Exchange Online",
     "KB0031", "solved-existing-article"),
    ("CRM sync fails with HTTP 429", "Sync job fails with Too Many Requests since the 2026.3 release.",
     "Contoso CRM", "KB0035", "solved-existing-article"),
    ("Windows Update fails with 0x80070643", "WinRE security update fails on every laptop.", "Windows",
     "KB0012", "solved-existing-article"),
    ("Blue screen after driver update", "Stop error on boot after the graphics driver update.",
     "Windows", None, "configuration-change"),
    ("Scanner cannot send mail: 550 5.7.1 Unable to relay", "The office scanner stopped sending scans.",
     "Exchange Online", None, "configuration-change"),
    ("Printer queue stuck after patch Tuesday", "Print jobs stay in the queue.", "Windows", None,
     "product-bug-filed"),
    ("How do I export the event log for you?", "You asked for the System log.", "Windows", "KB0103",
     "advisory-answered"),
)
STATUS_MIX = ("new", "active", "waiting_on_customer", "resolved", "closed", "closed", "closed")


@dataclass
class SampleSite:
    """A running sample site: its server, folders and the accounts that can sign in."""

    server: LiveServer
    root: Path
    articles: Path
    accounts: dict[str, str] = field(default_factory=dict)  # role -> user name
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def engine(self):
        return engine_for(self.server.db_url)

    def stop(self) -> None:
        stop_server(self.server)


def git_articles(root: Path) -> Path:
    """The repository's articles copied into a fresh Git repository (history for article pages)."""
    articles = root / "articles"
    shutil.copytree(ARTICLES, articles)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Sample Author", "GIT_AUTHOR_EMAIL": "author@example.com",
           "GIT_COMMITTER_NAME": "Sample Author", "GIT_COMMITTER_EMAIL": "author@example.com"}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "Sample articles"]):
        subprocess.run(["git", *args], cwd=articles, env=env, check=True, capture_output=True)
    return articles


def seed_cases(engine, *, seed: int = 7, count: int = 45, now: datetime | None = None) -> list[store.Case]:
    """``count`` cases over nine months (with a quiet spell), some closed with the article that
    solved them, some imported, plus contact-form drafts, searches and votes for the insights."""
    rng = random.Random(seed)
    taxonomy = load_taxonomy(ARTICLES / "resolution-codes.yaml")[0]
    now = now or utcnow()
    made = []
    for n in range(count):
        title, description, product, solver, code = PROBLEMS[n % len(PROBLEMS)]
        # Months 0-2 and 6-9 ago: nothing was logged for three months in between.
        days_ago = rng.choice([rng.randint(1, 80), rng.randint(180, 270)])
        opened = (now - timedelta(days=days_ago, hours=rng.randint(0, 23), minutes=rng.randint(0, 59)))
        channel = "import" if days_ago > 180 and n % 3 == 0 else rng.choice(("portal", "engineer", "api"))
        if channel == "import":
            opened = opened.replace(hour=0, minute=0, second=0, microsecond=0)
        case = store.create_case(engine, title=title, description=description, product=product,
                                 customer=CUSTOMERS[rng.randrange(len(CUSTOMERS))], channel=channel,
                                 severity=rng.choice("ABCC"), priority=rng.choice((1, 2, 3, 3, 4)),
                                 owner=rng.choice(("dana", "lee", "sam", None)), at=opened)
        status = STATUS_MIX[rng.randrange(len(STATUS_MIX))] if n >= 3 else ("new", "active", "closed")[n]
        at = opened + timedelta(hours=rng.randint(1, 72))
        if status in ("resolved", "closed"):
            if solver:
                store.link_article(engine, case.id, solver, solved=True, linked_by="dana", at=at)
            bug = "BUG-2231" if code == "product-bug-filed" else None
            finish = store.close_case if status == "closed" else store.resolve_case
            case = finish(engine, taxonomy, case.id, code, "Confirmed with the customer.", bug, at=at)
        elif status != "new":
            case = store.set_status(engine, case.id, status, at=at)
        made.append(case)
    for n in range(30):
        sid = f"sample-draft-{n:03d}"
        when = now - timedelta(days=rng.randint(1, 80))
        shown = rng.sample(("KB0001", "KB0002", "KB0026", "KB0034", "KB0016"), 3)
        deflection.record_event(engine, sid, deflection.SUGGESTIONS_SHOWN, article_ids=shown, at=when)
        if n % 3:
            deflection.record_event(engine, sid, deflection.ARTICLE_CLICKED, article_ids=shown[:1], at=when)
            deflection.record_event(engine, sid, deflection.SOLVED, article_ids=shown[:1], at=when)
        else:
            case_id = made[n % len(made)].id
            deflection.record_event(engine, sid, deflection.SUBMITTED, case_id=case_id, at=when)
    searches = [("vpn drops", 4), ("odbc timeout", 3), ("0x80070643", 1), ("printer stuck", 0),
                ("cant login teams", 0), ("AADSTS50076", 2)] * 3
    activity.record_searches(engine, [activity.SearchRecord(q, "internal", hits, 5.0,
                                                            at=now - timedelta(days=i))
                                      for i, (q, hits) in enumerate(searches)])
    for article_id, votes in (("KB0001", (True, True, False)), ("KB0026", (True,)), ("KB0034", (False,))):
        for vote in votes:
            activity.record_feedback(engine, article_id, vote)
    return made


def start_sample_site(root: Path, *, cases: int = 45, extra_args: tuple[str, ...] = ()) -> SampleSite:
    """Lay out the sample site under ``root`` and serve it with ``kb serve`` on a free port."""
    from indexer import build_index

    root.mkdir(parents=True, exist_ok=True)
    articles = git_articles(root)
    index = root / "index"
    build_index(articles, index)
    db_url = f"sqlite:///{root / 'kb.sqlite3'}"
    engine = engine_for(db_url)
    accounts = {}
    for role in ROLES:
        add_user(engine, f"sample-{role}", role, PASSWORD)
        accounts[role] = f"sample-{role}"
    if cases:
        seed_cases(engine, count=cases)
    engine.dispose()
    server = start_server(articles, index, db_url, root, extra_args=extra_args)
    return SampleSite(server, root, articles, accounts)
