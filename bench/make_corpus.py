#!/usr/bin/env python3
"""Deterministic synthetic knowledge base for kb benchmarks.

Why this exists: indexing and search benchmarks need a corpus that is large, reproducible
byte for byte, and shaped like a real support knowledge base (skewed term statistics, error
codes of many shapes, codes that identify exactly one article) without shipping anybody's
real articles.

    python bench/make_corpus.py N OUT [--seed S]

Every article is generated from its own random stream (seeded by corpus seed and article
index), so any single article -- and the benchmark queries derived from it -- can be rebuilt
without generating or reading the rest of the corpus.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

__all__ = [
    "generate",
    "write_corpus",
    "make_queries",
    "article_id",
    "article_path",
    "FILES_PER_FOLDER",
]

FILES_PER_FOLDER = 1000
# kb checks resolution codes against this file at the knowledge base's root.
TAXONOMY = Path(__file__).resolve().parents[1] / "articles" / "resolution-codes.yaml"
CODES_PER_ARTICLE = 16  # unique-code slots reserved per article; an article uses those that fit its product

# --------------------------------------------------------------------------------------
# Vocabulary: a few thousand support-ish words ranked for a Zipf draw.
# --------------------------------------------------------------------------------------

_FUNCTION_WORDS = """
the to and a of in is for that on with this it be are not or you if when from as by an
can after then your have was at will they more do no but all has which their one other
also only so may should before any into each than some there these use out new same about
been while both most such without because first through over under again where does must
might every until within per via during between however instead still already once
""".split()

_VERBS = """
access activate add allow apply approve assign authenticate back block boot browse cache
cancel change check clean clear click close collect complete configure confirm connect
contain copy crash create deactivate delete deliver deploy detect disable disconnect
display download drop edit enable encrypt enforce enroll escalate expire export fail fetch
filter fix flush forward freeze grant hang hide import include index install invite join
launch limit load lock log map match merge migrate mirror monitor mount move notify open
patch pause ping point prompt provision publish purge query queue rebuild reboot receive
recover redirect refresh register reinstall reject reload remove rename renew repair
replace replicate report request require reset resolve respond restart restore resume
retry return revoke roll rotate run save scan schedule search select send set share sign
skip start stop store submit suspend sync test throttle trace trigger trust unlock update
upgrade upload validate verify view wait warn
""".split()

_NOUNS = """
account adapter address admin agent alert alias API app application approval archive
attachment attempt audit authentication backup bandwidth batch behavior binary boundary
browser buffer build bundle cache calendar callback case catalog certificate change
channel checkpoint client cluster code column command component computer condition
configuration conflict connection connector console contact container content context
controller cookie copy credential customer dashboard database datacenter default delay
delegate deployment desktop device diagnostic dialog directory disk domain download draft
driver endpoint engine entry environment error event exception expiration extension
failover feature field file filter firewall folder form format gateway group guest handler
header health host identity image incident index instance integration interface inventory
issue item job key laptop latency layer license limit link list listener load location log
machine mailbox manifest memory message metadata method migration mode module network node
notification object operation option organization outage owner package page parameter
partition password patch path payload permission phone pipeline plan platform plugin policy
pool port portal process profile prompt property protocol provider proxy quota queue record
region registry release replica report repository request resource response result retry
role rollback route rule runtime schedule schema scope screen script secret section
security sender server service session setting share signature site size snapshot socket
source space storage subscription switch symptom system table tenant template thread ticket
timeout token tool trace traffic transaction transport trigger tunnel update upgrade user
value vendor version view volume warning webhook window wizard workflow workload workspace
zone
""".split()

_ADJECTIVES = """
active available blank broken cached corrupt corrupted critical current damaged default
delayed disabled duplicate empty enabled encrypted expired external failed frequent full
hidden idle inactive incomplete incorrect intermittent internal invalid large latest legacy
local locked manual missing multiple new offline old online orphaned outdated partial
pending primary private public read-only recent redundant remote required secondary secure
shared slow stale stuck successful temporary unavailable unexpected unknown unresponsive
unsupported unusual valid verbose
""".split()

_JARGON_PREFIXES = """
auto re pre multi sub inter micro meta hyper geo tele net web data cloud sync file mail
log key cert user host proxy cache queue task work time pay bill doc print disk boot hot
back side end front dev ops sec auth app site fleet edge core
""".split()

_JARGON_ROOTS = """
store link gate node cast scan hook flow point base path port share drive vault sheet book
cfg svc mgr agent bridge relay trace watch guard desk hub lake map stream mark pool check
lock mon stat ctl tab view box runner worker loader probe
""".split()

_DOUBLE_FINAL = {"drop", "stop", "map", "log", "skip", "plan", "ship", "tag", "scan", "submit", "trim"}
_IRREGULAR_PAST = {"run": "ran", "send": "sent", "set": "set", "hang": "hung", "freeze": "froze"}


def _inflect_verb(verb: str) -> list[str]:
    """Regular English inflections, so the vocabulary exercises stemming like real text."""
    if verb.endswith(("s", "sh", "ch", "x", "z")):
        third = verb + "es"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        third = verb[:-1] + "ies"
    else:
        third = verb + "s"
    if verb in _DOUBLE_FINAL:
        past, ing = verb + verb[-1] + "ed", verb + verb[-1] + "ing"
    elif verb.endswith("e"):
        past, ing = verb + "d", (verb if verb.endswith("ee") else verb[:-1]) + "ing"
    elif verb.endswith("y") and verb[-2] not in "aeiou":
        past, ing = verb[:-1] + "ied", verb + "ing"
    else:
        past, ing = verb + "ed", verb + "ing"
    past = _IRREGULAR_PAST.get(verb, past)
    return [third, past, ing]


def _plural(noun: str) -> str:
    """English plural for the noun list (good enough for support vocabulary)."""
    if noun.isupper():
        return noun + "s"
    if noun.endswith(("s", "sh", "ch", "x", "z")):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def _build_vocabulary() -> tuple[list[str], list[float]]:
    """Rank words like real text: function words on top, inflections and jargon in the tail.

    The ranking is fixed (independent of the corpus seed) so that corpora built with
    different seeds share term statistics.
    """
    order = random.Random("kb-vocabulary")
    seen: set[str] = set()
    tiers: list[list[str]] = [[], [], []]
    for w in _FUNCTION_WORDS:
        if w not in seen:
            seen.add(w)
            tiers[0].append(w)
    base = [w.lower() for w in _VERBS + _NOUNS + _ADJECTIVES]
    derived = [f for v in _VERBS for f in _inflect_verb(v)] + [_plural(n).lower() for n in _NOUNS]
    jargon = [p + r for p in _JARGON_PREFIXES for r in _JARGON_ROOTS if p != r]
    for tier, words in ((1, base), (2, derived + jargon)):
        fresh = [w for w in dict.fromkeys(words) if w not in seen]
        seen.update(fresh)
        order.shuffle(fresh)
        tiers[tier].extend(fresh)
    vocab = tiers[0] + tiers[1] + tiers[2]
    total, cum = 0.0, []
    for rank in range(len(vocab)):
        total += 1.0 / (rank + 2.7) ** 1.07  # Zipf-Mandelbrot, close to English
        cum.append(total)
    return vocab, cum


VOCAB, _VOCAB_CUM = _build_vocabulary()

# --------------------------------------------------------------------------------------
# Support domain: products, symptoms, causes, fixes.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    """A product line with the nouns support engineers use when they write about it."""

    name: str
    short: str
    platform: str  # win | linux | cloud | db
    weight: float
    components: tuple[str, ...]
    objects: tuple[str, ...]
    services: tuple[str, ...]
    hosts: tuple[str, ...]
    tags: tuple[str, ...]


def _p(name, short, platform, weight, components, objects, services, hosts, tags) -> Product:
    return Product(name, short, platform, weight, tuple(components.split("|")),
                   tuple(objects.split("|")), tuple(services.split("|")),
                   tuple(hosts.split("|")), tuple(tags.split()))


PRODUCTS: tuple[Product, ...] = (
    _p("Outlook", "outlook", "win", 10,
       "Profiles|Cached Exchange Mode|Calendar|Add-ins|Search|Autodiscover|Send and Receive",
       "mailbox|OST file|shared calendar|PST file|delegate mailbox|signature|meeting request",
       "Outlook.exe|OfficeClickToRun",
       "outlook.office365.com|autodiscover.contoso.com",
       "email outlook"),
    _p("Teams", "teams", "cloud", 9,
       "Meetings|Chat|Calling|Presence|Devices|Channels|Live events",
       "meeting|channel|chat thread|call queue|meeting recording|team",
       "ms-teams.exe|Teams Machine-Wide Installer",
       "teams.microsoft.com|api.flightproxy.teams.microsoft.com",
       "collaboration teams"),
    _p("Exchange Online", "exchange", "cloud", 8,
       "Mail flow|Mailbox|Transport rules|Hybrid|Retention|Mobile devices",
       "shared mailbox|distribution list|transport rule|connector|archive mailbox|mail-enabled security group",
       "MSExchangeTransport|MSExchangeMailboxReplication",
       "outlook.office365.com|mail.protection.outlook.com",
       "email exchange"),
    _p("SharePoint Online", "sharepoint", "cloud", 6,
       "Permissions|Sync|Search|Lists|Site provisioning|External sharing",
       "document library|site collection|list view|permission group|hub site",
       "OneDrive.exe|SPTimerV4",
       "contoso.sharepoint.com|contoso-my.sharepoint.com",
       "sharepoint collaboration"),
    _p("OneDrive", "onedrive", "win", 6,
       "Sync client|Files On-Demand|Known Folder Move|Sharing",
       "sync folder|shared file|Desktop folder|file version",
       "OneDrive.exe|FileCoAuth.exe",
       "onedrive.live.com|contoso-my.sharepoint.com",
       "sync onedrive"),
    _p("Entra ID", "entra", "cloud", 9,
       "Sign-in|MFA|Conditional Access|App registration|Single sign-on|Device registration",
       "user account|service principal|app registration|conditional access policy|guest account|group membership",
       "Microsoft.AAD.BrokerPlugin|dsregcmd",
       "login.microsoftonline.com|device.login.microsoftonline.com",
       "identity authentication"),
    _p("Windows 11", "windows", "win", 10,
       "Windows Update|Networking|Printing|BitLocker|Drivers|User profile|Start menu",
       "user profile|printer queue|network adapter|recovery key|driver package|update cache",
       "wuauserv|Spooler|BITS|Dnscache",
       "windowsupdate.microsoft.com|print01.corp.contoso.com",
       "windows endpoint"),
    _p("Windows Server", "server", "win", 8,
       "Active Directory|DNS|DHCP|IIS|Group Policy|Remote Desktop|Failover Clustering",
       "domain controller|DNS zone|DHCP scope|application pool|GPO|RD session host|cluster node",
       "NTDS|DNS|W3SVC|TermService|ClusSvc",
       "dc01.corp.contoso.com|rds.corp.contoso.com",
       "windows-server infrastructure"),
    _p("SQL Server", "sql", "db", 7,
       "Always On|Backup|Query performance|Connectivity|TempDB|Agent jobs",
       "availability group|transaction log|query plan|linked server|maintenance plan|tempdb file",
       "MSSQLSERVER|SQLSERVERAGENT",
       "sql01.corp.contoso.com|sqlag-listener.corp.contoso.com",
       "database sql"),
    _p("Oracle Database", "oracle", "db", 5,
       "Listener|RMAN|TNS|Tablespaces|Data Guard",
       "listener|tablespace|archive log|standby database|connect descriptor",
       "tnslsnr|ora_pmon",
       "orcl-db01.corp.contoso.com|orcl-scan.corp.contoso.com",
       "database oracle"),
    _p("GlobalProtect VPN", "vpn", "win", 6,
       "Tunnel|Certificates|Split tunneling|Portal|HIP checks",
       "VPN profile|client certificate|gateway|split tunnel route|portal configuration",
       "PanGPS|PanGPA",
       "vpn.contoso.com|gp-portal.contoso.com",
       "vpn networking"),
    _p("Intune", "intune", "cloud", 6,
       "Enrollment|Compliance|App deployment|Configuration profiles|Autopilot",
       "device enrollment|compliance policy|Win32 app|configuration profile|Autopilot profile",
       "IntuneManagementExtension|omadmclient",
       "enrollment.manage.microsoft.com|portal.manage.microsoft.com",
       "endpoint-management intune"),
    _p("Payroll Portal", "payroll", "cloud", 4,
       "Login|Payslips|Reports|Export|Approvals",
       "payslip|timesheet|approval chain|export job|cost center",
       "payroll-web|payroll-worker",
       "payroll.contoso.com|payroll-api.contoso.com",
       "line-of-business payroll"),
    _p("Billing API", "billing", "linux", 5,
       "Webhooks|Rate limiting|Authentication|Invoices|Idempotency",
       "webhook subscription|API key|invoice|payment intent|client secret",
       "billing-api|billing-worker",
       "api.billing.contoso.com|hooks.billing.contoso.com",
       "api billing"),
    _p("Linux Agent", "agent", "linux", 5,
       "Installation|systemd unit|Log shipping|Proxy|Package repository",
       "agent package|systemd unit|log pipeline|repository key|config file",
       "contoso-agent|rsyslog",
       "repo.contoso.com|ingest.contoso.com",
       "linux agent"),
    _p("Kubernetes Platform", "kubernetes", "linux", 5,
       "Ingress|Pods|Certificates|Storage|Autoscaling",
       "ingress controller|pod|persistent volume|TLS secret|node pool|deployment",
       "kubelet|containerd|ingress-nginx",
       "k8s-api.contoso.com|registry.contoso.com",
       "kubernetes containers"),
    _p("Citrix Workspace", "citrix", "win", 4,
       "StoreFront|Session launch|Printing|Profile management",
       "published desktop|StoreFront store|session|user profile store",
       "CitrixReceiver|wfica32.exe",
       "storefront.contoso.com|gateway.contoso.com",
       "vdi citrix"),
)

_PRODUCT_CUM = [sum(p.weight for p in PRODUCTS[: i + 1]) for i in range(len(PRODUCTS))]

# (title phrase, symptom sentence, 1-2 word query phrase)
SYMPTOMS: tuple[tuple[str, str, str], ...] = (
    ("sign-in fails", "Users can't sign in to {prod}. The sign-in window closes and reports {code}.", "sign in fails"),
    ("stops responding",
     "{prod} stops responding when users open the {obj}, and the title bar shows (Not Responding).",
     "not responding"),
    ("sync is stuck",
     "Synchronization of the {obj} is stuck at {pct}% and never completes; the status shows {code}.",
     "sync stuck"),
    ("service fails to start", "The {svc} service fails to start after a restart and logs {code}.", "service start"),
    ("slow performance",
     "Opening the {obj} takes more than {secs} seconds during business hours, while other tasks are fast.",
     "slow"),
    ("repeated credential prompts",
     "{prod} prompts for credentials again and again, even after users enter the correct password.",
     "password prompt"),
    ("connection timeout", "Connections to {host} time out after {secs} seconds with {code}.", "connection timeout"),
    ("access denied", "Users get an access denied message ({code}) when they open the {obj}.", "access denied"),
    ("certificate not trusted",
     "Clients report that the certificate presented by {host} is not trusted, and the connection fails with {code}.",
     "certificate error"),
    ("update fails to install", "An update for {prod} fails to install and rolls back with {code}.", "update fails"),
    ("items missing after migration",
     "Some items in the {obj} are missing after the migration reported success.",
     "missing items"),
    ("crash on startup",
     "{prod} crashes on startup; the Application log records a faulting module and {code}.",
     "crash startup"),
    ("high CPU usage",
     "The {svc} process uses {pct}% CPU for long periods and the machine becomes sluggish.",
     "high cpu"),
    ("license not recognized",
     "{prod} reports that the license can't be verified and switches to reduced functionality.",
     "license error"),
    ("export fails", "Exporting the {obj} fails at about {pct}% with {code}.", "export fails"),
    ("duplicate entries", "Duplicate entries appear in the {obj} after each synchronization cycle.", "duplicates"),
    ("disk space exhausted", "The volume that holds the {obj} runs out of free space within a few days.", "disk full"),
    ("sign-in loop",
     "Users are redirected back to the sign-in page in a loop and never reach the {comp} page.",
     "login loop"),
    ("blank page after sign-in",
     "The {comp} page stays blank after sign-in; the browser console shows {code}.",
     "blank page"),
    ("requests throttled", "Requests to {host} are rejected with {code} after a burst of traffic.", "throttling"),
    ("notifications not delivered",
     "Notifications about changes to the {obj} are not delivered, although the sender logs no error.",
     "notifications missing"),
    ("replication lag",
     "Replication of the {obj} to the secondary site falls behind by more than {secs} seconds.",
     "replication lag"),
    ("cannot connect to database",
     "Applications can't connect to the database; the driver reports {code}.",
     "cannot connect"),
    ("unexpected disconnects",
     "The session disconnects every {mins} minutes and reconnects automatically, dropping open work.",
     "disconnects"),
    ("MFA prompt not received",
     "Users don't receive the multi-factor authentication prompt; the sign-in log shows {code}.",
     "mfa prompt"),
    ("search returns no results",
     "Search in {prod} returns no results for items that exist in the {obj}.",
     "search results"),
    ("settings revert",
     "Changes to the {obj} revert to the previous value after the next policy refresh.",
     "settings revert"),
    ("printing fails",
     "Printing from {prod} fails and the job stays in the {obj} with status Error.",
     "printing fails"),
    ("attachment cannot be opened",
     "Attachments in the {obj} can't be opened; {prod} shows {code}.",
     "attachment error"),
    ("calendar not updating",
     "Changes to the {obj} don't appear for other users until {prod} is restarted.",
     "calendar update"),
)

# Symptoms that only make sense for some products (by Product.short); the rest fit any product.
_SYMPTOM_PRODUCTS: dict[str, str] = {
    "MFA prompt not received": "entra teams exchange vpn intune payroll citrix outlook",
    "printing fails": "windows citrix outlook payroll",
    "calendar not updating": "outlook teams exchange",
    "attachment cannot be opened": "outlook teams exchange sharepoint onedrive",
    "license not recognized": "outlook teams windows citrix intune sql oracle",
    "cannot connect to database": "sql oracle payroll billing kubernetes",
    "replication lag": "sql oracle exchange server sharepoint onedrive kubernetes",
    "sign-in loop": "entra sharepoint teams payroll intune citrix",
    "repeated credential prompts": "outlook teams onedrive entra vpn citrix exchange sharepoint",
    "items missing after migration": "outlook exchange sharepoint onedrive sql oracle payroll intune",
    "blank page after sign-in": "teams sharepoint payroll intune entra citrix",
    "requests throttled": "exchange sharepoint entra billing payroll kubernetes teams",
    "search returns no results": "outlook sharepoint teams exchange payroll",
    "notifications not delivered": "teams billing exchange sharepoint intune payroll",
}
_SYMPTOMS_BY_PRODUCT = {
    p.name: tuple(s for s in SYMPTOMS if s[0] not in _SYMPTOM_PRODUCTS or p.short in _SYMPTOM_PRODUCTS[s[0]].split())
    for p in PRODUCTS
}

CAUSES: tuple[str, ...] = (
    "The cached credentials for the account are stale after a password change.",
    "An expired intermediate certificate is still bound to the {comp} endpoint on {host}.",
    "A proxy server between the client and {host} strips the Authorization header.",
    "A Group Policy setting disables the {comp} feature for the affected organizational unit.",
    "The {obj} exceeds the supported size limit, so every synchronization pass times out.",
    "A regression introduced in the latest monthly update changes how {prod} validates tokens.",
    "The {svc} service runs under an account that lost the required permission after a security baseline change.",
    "DNS returns an outdated record for {host}, so clients connect to a decommissioned node.",
    "A third-party antivirus product locks files in the {obj} while {prod} writes to them.",
    "The conditional access policy requires a compliant device, and the device state was never reported.",
    "Clock skew of more than five minutes between the client and the server invalidates the token.",
    "Two {comp} configurations were merged and now contain conflicting entries for the same {obj}.",
    "The default retry policy retries too aggressively and triggers service-side throttling.",
    "The {obj} was created by an older version of {prod} and uses a format that is no longer supported.",
    "A firewall rule on the perimeter blocks outbound TCP port {port} to {host}.",
    "The index for the {obj} is corrupted after an unexpected shutdown.",
    "Licensing information in the local cache doesn't match the assignment in the admin portal.",
    "The {comp} component loads an outdated add-in that blocks the UI thread.",
    "Insufficient memory on the {comp} host causes the worker process to recycle under load.",
    "The service principal used by {prod} has an expired client secret.",
)

FIXES: tuple[str, ...] = (
    "Restart the {svc} service and confirm that it stays in the Running state.",
    "Run `{cmd}` from an elevated prompt and review the output for errors.",
    "Clear the local cache for {prod}, then sign in again.",
    "Open `{path}` and remove the stale entry for {host}.",
    "Renew the certificate for {host} and bind the new certificate to the {comp} endpoint.",
    "In the admin portal, reassign the license to the affected user and wait 15 minutes.",
    "Exclude `{path}` from real-time antivirus scanning.",
    "Reduce the size of the {obj} below the documented limit by archiving old items.",
    "Update {prod} to the latest supported build and restart the device.",
    "Add an exception for {host} on TCP port {port} to the proxy configuration.",
    "Rebuild the index for the {obj} and let the rebuild finish before users sign in.",
    "Synchronize the system clock with the domain time source and retry the sign-in.",
    "Reset the {comp} settings to their defaults, then reapply the required configuration.",
    "Rotate the client secret for the service principal and update the stored value in {prod}.",
    "Remove the outdated add-in from the {comp} component and restart {prod}.",
    "Collect a trace with verbose logging enabled and attach it to the case.",
    "Recreate the {obj} and migrate the user's data into it.",
    "Lower the retry rate to one request per second with exponential backoff.",
    "Verify that DNS resolves {host} to the current load balancer address.",
    "Sign out of all sessions, remove the account from the device, and add it again.",
)

TASKS: tuple[tuple[str, str], ...] = (
    ("clear cached credentials for {prod}", "clear credentials"),
    ("check the health of the {comp} service", "health check"),
    ("back up the {obj}", "backup"),
    ("find who changed a {obj}", "audit log"),
    ("reset a user's {comp} settings", "reset settings"),
    ("renew the certificate for {host}", "renew certificate"),
    ("trace a failed request to {host}", "trace request"),
    ("limit access to the {obj}", "limit access"),
    ("reset the {comp} cache", "reset cache"),
    ("configure single sign-on for {prod}", "configure sso"),
    ("export the {obj} to CSV", "export csv"),
    ("rotate the {comp} certificate", "rotate certificate"),
    ("enable verbose logging for {comp}", "enable logging"),
    ("move a {obj} to another server", "move"),
    ("restore a deleted {obj}", "restore deleted"),
    ("grant delegate access to a {obj}", "delegate access"),
    ("collect diagnostic logs for {prod}", "collect logs"),
    ("rebuild the search index for {prod}", "rebuild index"),
    ("change the default port used by {comp}", "change port"),
    ("configure a proxy exception for {host}", "proxy exception"),
    ("deploy {prod} to managed devices", "deploy"),
    ("audit changes to a {obj}", "audit changes"),
    ("set up {comp} for a new team", "set up"),
)

PROCESSES: tuple[str, ...] = (
    "Escalation to engineering", "New case triage", "Data recovery request", "Access request approval",
    "Major incident communication", "Hotfix validation", "Case closure and follow-up", "Product bug filing",
    "Tenant migration readiness", "Security incident handoff",
)

WORKFLOW_STEPS: tuple[str, ...] = (
    "Confirm the customer's tenant, contract level, and the affected {prod} version.",
    "Reproduce the problem with a test account in the lab environment.",
    "Search the knowledge base for the exact error string and link any matching article to the case.",
    "Collect logs from `{path}` and attach them to the case.",
    "Record the business impact and the number of affected users in the case summary.",
    "Check the service health dashboard for an active incident that affects {comp}.",
    "If the issue matches a known issue, link the article and set the case to waiting on fix.",
    "Raise the severity if more than 50 users or a production workload is affected.",
    "Open an engineering escalation with the repro steps, logs, and timestamps in UTC.",
    "Send the customer an update at least once per business day.",
    "Ask the customer to validate the fix in a pilot group before broad rollout.",
    "Close the case with the matching resolution code and update the article if anything was missing.",
    "Get approval from the data owner before restoring or exporting any content.",
    "Verify the requester's identity through the registered phone number.",
    "Document the workaround in the case notes so that the next engineer can pick it up.",
    "Schedule a follow-up call within 48 hours to confirm the problem is solved.",
)

REF_TOPICS: tuple[str, ...] = (
    "error code reference", "log file locations", "configuration settings", "network ports and endpoints",
    "supported versions",
)

_PLATFORM_COMMANDS = {
    "win": ("ipconfig /flushdns", "netsh winhttp reset proxy", "sfc /scannow",
            "DISM /Online /Cleanup-Image /RestoreHealth", "gpupdate /force", "klist purge",
            "dsregcmd /status", "wevtutil qe Application /c:50 /rd:true /f:text"),
    "linux": ("systemctl restart {svc}", "journalctl -u {svc} --since today", "tail -n 200 /var/log/syslog",
              "openssl s_client -connect {host}:443 -showcerts", "df -h /var", "dig +short {host}",
              "update-ca-certificates --fresh"),
    "cloud": ("Connect-ExchangeOnline -UserPrincipalName admin@contoso.com", "Get-MgUser -UserId {user}",
              "Revoke-MgUserSignInSession -UserId {user}", "Get-MessageTraceV2 -SenderAddress {user}",
              "Test-NetConnection {host} -Port 443", "Get-CsOnlineUser -Identity {user}"),
    "db": ("tnsping ORCLPDB1", "lsnrctl status", 'sqlcmd -S {host} -E -Q "SELECT @@VERSION"',
           "DBCC CHECKDB (SalesDB) WITH NO_INFOMSGS", "rman target / cmdfile=backup.rman",
           "SELECT sid, status FROM v$session WHERE status = 'ACTIVE';"),
}

_PLATFORM_PATHS = {
    "win": (r"C:\Windows\System32\drivers\etc\hosts", r"C:\Windows\Logs\CBS\CBS.log",
            r"C:\ProgramData\Microsoft\Windows\WER\ReportQueue", r"%LOCALAPPDATA%\Temp\diagnostics.log",
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU",
            r"C:\Windows\SoftwareDistribution\Download", r"%LOCALAPPDATA%\Microsoft\Outlook"),
    "linux": ("/var/log/syslog", "/var/log/messages", "/etc/hosts", "/etc/resolv.conf",
              "/etc/ssl/certs/ca-certificates.crt", "/opt/contoso/agent/conf/agent.yaml",
              "/var/lib/kubelet/config.yaml"),
    "cloud": ("%LOCALAPPDATA%\\Microsoft\\TokenBroker\\Cache", "%APPDATA%\\Microsoft\\Teams\\logs.txt",
              r"C:\ProgramData\Microsoft\IntuneManagementExtension\Logs\IntuneManagementExtension.log",
              "%LOCALAPPDATA%\\Packages\\Microsoft.AAD.BrokerPlugin_cw5n1h2txyewy"),
    "db": ("$ORACLE_HOME/network/admin/tnsnames.ora", "$ORACLE_BASE/diag/rdbms/orcl/orcl/trace/alert_orcl.log",
           r"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Log\ERRORLOG",
           "/var/opt/mssql/log/errorlog"),
}

_FIRST_NAMES = """alex priya jordan mei omar sofia lukas aisha diego hana noah fatima ivan chloe ravi emma kenji
lena marco nadia""".split()
_LAST_NAMES = """kim nair lee chen haddad rossi weber khan garcia sato brown ali petrov martin patel schmidt tanaka
novak silva jensen""".split()
_DEPARTMENTS = ("Finance", "Sales", "HR", "the warehouse", "Legal", "Engineering", "Customer Service", "Marketing")
_CHANGES = ("the weekend patching", "a password reset", "the tenant migration", "the firewall change on Friday",
            "upgrading to the new build", "the certificate renewal", "moving to the new office network")
_CLIENT_OS = {
    "win": ("Windows 11 23H2", "Windows 10 22H2", "Windows 11 24H2"),
    "cloud": ("Windows 11 23H2", "Windows 10 22H2", "macOS 14", "iOS 17"),
    "linux": ("Ubuntu 22.04", "RHEL 9", "Debian 12"),
    "db": ("Windows Server 2022", "Oracle Linux 8", "RHEL 8"),
}
_TYPE_CUM = (("tsg", 40), ("how-to", 62), ("known-issue", 77), ("reference", 90), ("workflow", 100))
_STATUS_CUM = (("published", 80), ("draft", 87), ("review", 93), ("archived", 100))

_RESOLUTIONS_BY_TYPE = {
    "tsg": ("configuration-change", "workaround-provided", "solved-existing-article", "solved-article-updated"),
    "known-issue": ("product-bug-filed", "workaround-provided", "solved-existing-article"),
    "how-to": ("advisory-answered", "configuration-change", "solved-existing-article"),
    "reference": ("advisory-answered", "solved-existing-article"),
    "workflow": ("duplicate-case", "could-not-reproduce", "customer-unresponsive", "out-of-scope",
                 "solved-new-article"),
}
_GENERIC_TAGS = ("authentication", "performance", "networking", "sync", "upgrade", "certificates", "regression",
                 "configuration", "permissions", "licensing", "logging", "migration", "mobile", "security")

# --------------------------------------------------------------------------------------
# Error codes. Shared codes recur across the corpus; unique codes come from injective maps
# so that known-item queries are guaranteed to have exactly one right answer.
# --------------------------------------------------------------------------------------

SHARED_CODES: dict[str, str] = {
    "HTTP 503": "Service Unavailable", "HTTP 500": "Internal Server Error", "HTTP 401": "Unauthorized",
    "HTTP 403": "Forbidden", "HTTP 429": "Too Many Requests", "HTTP 404": "Not Found",
    "HTTP 502": "Bad Gateway", "HTTP 504": "Gateway Timeout", "HTTP 400": "Bad Request",
    "0x80070005": "Access is denied.", "0x80004005": "Unspecified error",
    "0x80072EE7": "The server name or address could not be resolved",
    "0x8004010F": "The operation failed. An object could not be found.",
    "0x800F081F": "The source files could not be found.", "0x80070002": "The system cannot find the file specified.",
    "0xC004F074": "The Software Licensing Service reported that the computer could not be activated.",
    "0xCAA70004": "We couldn't connect to the server.",
    "AADSTS50076": "Due to a configuration change made by your administrator, or because you moved to a new "
                   "location, you must use multi-factor authentication.",
    "AADSTS50105": "The signed in user is not assigned to a role for the application.",
    "AADSTS700016": "Application was not found in the directory.",
    "AADSTS53003": "Access has been blocked by Conditional Access policies.",
    "AADSTS50058": "A silent sign-in request was sent but no user is signed in.",
    "ORA-12154": "TNS:could not resolve the connect identifier specified",
    "ORA-12541": "TNS:no listener", "ORA-01017": "invalid username/password; logon denied",
    "ORA-00942": "table or view does not exist", "ORA-28000": "the account is locked",
    "SQLSTATE 08001": "Client unable to establish connection", "SQLSTATE 40001": "Serialization failure",
    "SQLSTATE 28000": "Invalid authorization specification",
    "ERROR_ACCESS_DENIED": "Access is denied.", "ERROR_FILE_NOT_FOUND": "The system cannot find the file specified.",
    "ERROR_SHARING_VIOLATION": "The process cannot access the file because it is being used by another process.",
    "ERROR_LOGON_FAILURE": "The user name or password is incorrect.",
    "ERROR_NOT_ENOUGH_MEMORY": "Not enough memory resources are available to process this command.",
    "System.IO.IOException": "The process cannot access the file because it is being used by another process.",
    "System.UnauthorizedAccessException": "Access to the path is denied.",
    "System.TimeoutException": "The operation has timed out.",
    "System.NullReferenceException": "Object reference not set to an instance of an object.",
    "System.Net.Http.HttpRequestException": "No such host is known.",
    "java.net.SocketTimeoutException": "Read timed out", "java.lang.OutOfMemoryError": "Java heap space",
    "KB5003637": "June 2021 cumulative update", "KB5034441": "Windows Recovery Environment update",
    "KB4023057": "Update for Windows Update Service components",
    "Event ID 4625": "An account failed to log on.", "Event ID 1000": "Application Error",
    "Event ID 7031": "The service terminated unexpectedly.", "STOP 0x0000007B": "INACCESSIBLE_BOOT_DEVICE",
    "ECONNREFUSED": "connect ECONNREFUSED", "ETIMEDOUT": "connect ETIMEDOUT",
    "MSI error 1603": "Fatal error during installation.", "CVE-2021-44228": "Log4Shell remote code execution",
}
_SHARED_LIST = tuple(SHARED_CODES)
_SHARED_BY_PREFIX: dict[str, list[str]] = {}
for _code in _SHARED_LIST:
    _SHARED_BY_PREFIX.setdefault(_code.lower()[:3], []).append(_code.lower())

_HR_FACILITIES = ("8007", "8004", "800F", "8024", "C004", "CAA2", "CAA7", "8019", "8009", "8010", "8000",
                  "8001", "8003", "80D0", "87D1", "C190", "8078", "8031", "8033", "8050", "C00D", "C000",
                  "C0EA", "E402", "800C", "8096", "8018", "8023", "8027", "8028", "C1F0", "8070")
_W32_A = """ACCOUNT ADAPTER BINDING BUFFER CACHE CERT CLUSTER CONFIG CONTEXT DEVICE DIRECTORY DISK DOMAIN
DRIVER EVENT FILTER HANDLE IMAGE INDEX JOURNAL KEY LICENSE LOG MAILBOX MANIFEST MEDIA MEMORY MODULE
NETWORK NODE OBJECT PACKAGE PAGE PARTITION PATH PIPE POLICY PORT PRINTER PROFILE PROVIDER QUEUE QUOTA
RECORD REGISTRY REPLICA REQUEST RESOURCE ROUTE SCHEMA SECTOR SERVICE SESSION SHARE SOCKET SPOOL STORE
STREAM SYNC TOKEN TRANSACTION TRUST VOLUME""".split()
_W32_B = """ACCESS ALLOC ATTACH AUTH BIND BOOT BUSY CHECK CLOSE COMMIT COPY CREATE DELETE DELIVERY DIGEST
DISPATCH ENUM EXPORT FETCH FLUSH FORMAT HANDSHAKE IMPORT INIT INSTALL LAUNCH LEASE LOAD LOCK LOOKUP MAP
MERGE MOUNT NEGOTIATE OPEN PARSE POLL PUBLISH QUERY READ RECOVERY REDIRECT REFRESH REGISTER RELEASE
RENEW REPLAY RESET RESOLVE RESTORE RETRY REVOKE ROLLBACK SCAN SEEK SIGN SPLIT START TRANSFER UNLOAD
UPDATE VERIFY WRITE""".split()
_W32_C = """ABORTED BLOCKED CONFLICT CORRUPT DENIED DISABLED EXCEEDED EXPIRED FAILED FULL HUNG INCOMPLETE
INVALID LIMIT LOCKED MISMATCH MISSING MALFORMED NOT_READY NOT_SUPPORTED OVERFLOW PENDING REFUSED
REJECTED STALE TIMEOUT TRUNCATED UNAVAILABLE UNREACHABLE VIOLATION IN_PROGRESS ORPHANED""".split()
_EXC_NS = ("Contoso.Sync.Engine", "Contoso.Billing.Api", "Contoso.Identity.Broker", "Contoso.Agent.Core",
           "Fabrikam.Payroll.Services", "Fabrikam.Reports.Export", "Northwind.Data.Access", "Northwind.Storage.Blob",
           "Litware.Messaging.Transport", "Litware.Scheduler.Jobs", "Woodgrove.Payments.Gateway",
           "Woodgrove.Ledger.Posting", "Tailspin.Mobile.Push", "Tailspin.Media.Encoding",
           "AdventureWorks.Inventory.Sync", "AdventureWorks.Portal.Web", "Contoso.Mail.Archive",
           "Contoso.Print.Spooler", "Fabrikam.Hr.Onboarding", "Northwind.Search.Indexing",
           "Litware.Auth.Tokens", "Woodgrove.Risk.Scoring", "Tailspin.Cdn.Edge", "AdventureWorks.Orders.Api",
           "Contoso.Vpn.Client", "Contoso.Devices.Enrollment", "Fabrikam.Docs.Conversion", "Northwind.Cache.Redis",
           "Litware.Workflow.Runtime", "Woodgrove.Statements.Render", "Tailspin.Telemetry.Ingest",
           "AdventureWorks.Catalog.Import")
# Java packages never end in a .NET namespace (lower-cased), so no exception name of one
# kind is contained in a name of the other.
_JAVA_PKGS = ("com.contoso.payments", "com.contoso.gateway.http", "com.contoso.ingest.kafka",
              "com.contoso.auth.oauth", "com.fabrikam.ledger", "com.fabrikam.batch.jobs",
              "com.fabrikam.reporting.pdf", "com.fabrikam.notify.mail",
              "io.northwind.events", "io.northwind.storage.s3", "io.northwind.search.lucene", "io.northwind.cache",
              "org.litware.queue", "org.litware.rules.engine", "org.litware.config", "org.litware.metrics",
              "net.woodgrove.risk", "net.woodgrove.fx.rates", "net.woodgrove.statements", "net.woodgrove.kyc",
              "com.tailspin.media", "com.tailspin.push.apns", "com.tailspin.cdn.origin", "com.tailspin.telemetry",
              "com.adventureworks.orders", "com.adventureworks.catalog", "com.adventureworks.pricing",
              "com.adventureworks.shipping", "com.contoso.agent.shipper", "com.contoso.k8s.operator",
              "io.northwind.billing.invoices", "org.litware.scheduler")
assert len(_JAVA_PKGS) == len(_EXC_NS) and not any(
    j.endswith("." + n.lower()) for j in _JAVA_PKGS for n in _EXC_NS)
_EXC_SUBJ = """Manifest Token Session Ledger Invoice Payload Schema Queue Lease Snapshot Mailbox Tenant Profile
Certificate Cursor Batch Partition Replica Webhook Channel Index Journal Template Quota Policy Device
Enrollment Credential Endpoint Segment Checkpoint Bundle Attachment Catalog Report Export Import Shard
Subscription Signature Transcode Thumbnail Connector Listener Pipeline Ticket Workspace Folder Calendar
Contact Approval Timesheet Payslip Order Shipment Refund Statement Scoring Render Encoding Push Cache
Registry Package""".split()
_EXC_COND = """Timeout Conflict Lock Mismatch Expired Corrupt Missing Overflow Rejected Throttled Unavailable
Invalid Duplicate Stale Truncated Unauthorized Forbidden Aborted Deadlock Exhausted Unreachable
Malformed Orphaned Pending Revoked Disabled Unsupported Oversized Incomplete Unsigned Detached Busy
Blocked Skew Drift Leak Exceeded Closed Cancelled Poisoned Quarantined Unmapped Unresolved Undelivered
Unparsable Invalidated Depleted Denied""".split()
_VENDOR_PREFIXES = ("CTX", "SEC", "NET", "PRT", "SYNC", "APIGW", "VPN", "LIC", "IDP", "BKP", "PAY", "INV",
                    "GTW", "MDM", "K8S", "SPO", "EXO", "TMS", "AGT", "RPT")
_B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _enc_hresult(v: int) -> str:
    return f"0x{_HR_FACILITIES[v >> 16]}{v & 0xFFFF:04X}"


def _enc_aadsts(v: int) -> str:
    """Entra ID codes come in 5-, 6- and 7-digit forms (AADSTS50076, AADSTS900144, AADSTS7000215).

    Each length gets its own first digit, so no code is a prefix of a longer one.
    """
    if v < 10_000:
        return f"AADSTS5{v:04d}"
    if v < 110_000:
        return f"AADSTS9{v - 10_000:05d}"
    return f"AADSTS7{v - 110_000:06d}"


def _enc_sqlstate(v: int) -> str:
    chars = []
    for _ in range(5):
        v, r = divmod(v, 36)
        chars.append(_B36[r])
    return "SQLSTATE " + "".join(reversed(chars))


def _enc_win32(v: int) -> str:
    a, rest = divmod(v, len(_W32_B) * len(_W32_C))
    b, c = divmod(rest, len(_W32_C))
    return f"ERROR_{_W32_A[a]}_{_W32_B[b]}_{_W32_C[c]}"


def _enc_exception(v: int, java: bool) -> str:
    ns, rest = divmod(v, len(_EXC_SUBJ) * len(_EXC_COND))
    s, c = divmod(rest, len(_EXC_COND))
    name = f"{_EXC_SUBJ[s]}{_EXC_COND[c]}Exception"
    return f"{_JAVA_PKGS[ns]}.{name}" if java else f"{_EXC_NS[ns]}.{name}"


_EXC_SPACE = len(_EXC_NS) * len(_EXC_SUBJ) * len(_EXC_COND)

# shape -> (space size, encoder, number of the 40 slots it gets)
_SHAPES: dict[str, tuple[int, Callable[[int], str], int]] = {
    "hresult": (len(_HR_FACILITIES) << 16, _enc_hresult, 12),
    "aadsts": (1_110_000, _enc_aadsts, 4),
    "ora": (100_000, lambda v: f"ORA-{v:05d}", 2),
    "tns": (100_000, lambda v: f"TNS-{v:05d}", 1),
    "sqlstate": (36 ** 5, _enc_sqlstate, 2),
    "win32": (len(_W32_A) * len(_W32_B) * len(_W32_C), _enc_win32, 3),
    "dotnet": (_EXC_SPACE, lambda v: _enc_exception(v, False), 3),
    "java": (_EXC_SPACE, lambda v: _enc_exception(v, True), 2),
    "kb": (2_000_000, lambda v: f"KB{4_000_000 + v}", 4),
    "vendor": (len(_VENDOR_PREFIXES) * 100_000, lambda v: f"{_VENDOR_PREFIXES[v // 100_000]}-{v % 100_000:05d}", 5),
    "cve": (8 * 90_000, lambda v: f"CVE-{2018 + v // 90_000}-{10_000 + v % 90_000}", 2),
}


def _slot_table() -> tuple[list[str], list[int]]:
    """Spread the 40 slots over shapes in a fixed scrambled order (slot -> shape, rank offset)."""
    slots = [shape for shape, (_, _, count) in _SHAPES.items() for _ in range(count)]
    random.Random("kb-slots").shuffle(slots)
    pos, seen = [], {}
    for shape in slots:
        pos.append(seen.get(shape, 0))
        seen[shape] = seen.get(shape, 0) + 1
    return slots, pos


_SLOTS, _SLOT_POS = _slot_table()
_NSLOTS = len(_SLOTS)

# Which code shapes each product's articles cite (unique and shared codes alike), so an Oracle
# article quotes ORA- errors and an Entra ID article AADSTS ones.
_PRODUCT_SHAPES: dict[str, tuple[str, ...]] = {
    "Outlook": ("hresult", "win32", "kb", "http", "event"),
    "Teams": ("hresult", "aadsts", "dotnet", "http", "vendor"),
    "Exchange Online": ("hresult", "dotnet", "http", "vendor", "aadsts"),
    "SharePoint Online": ("hresult", "dotnet", "http", "aadsts"),
    "OneDrive": ("hresult", "win32", "http", "kb"),
    "Entra ID": ("aadsts", "hresult", "http"),
    "Windows 11": ("hresult", "win32", "kb", "event", "stop", "msi"),
    "Windows Server": ("hresult", "win32", "kb", "event", "cve", "stop"),
    "SQL Server": ("sqlstate", "dotnet", "hresult", "kb", "event"),
    "Oracle Database": ("ora", "tns", "sqlstate", "java"),
    "GlobalProtect VPN": ("vendor", "hresult", "win32", "cve"),
    "Intune": ("hresult", "aadsts", "msi", "vendor"),
    "Payroll Portal": ("vendor", "dotnet", "sqlstate", "http", "aadsts"),
    "Billing API": ("vendor", "java", "http", "sqlstate", "errno"),
    "Linux Agent": ("vendor", "errno", "cve", "java"),
    "Kubernetes Platform": ("vendor", "errno", "cve", "http", "java"),
    "Citrix Workspace": ("vendor", "hresult", "win32", "dotnet"),
}


def _shared_shape(code: str) -> str:
    """Classify a shared code by shape, matching the unique-code shape names."""
    for prefix, shape in (("HTTP ", "http"), ("0x", "hresult"), ("AADSTS", "aadsts"), ("ORA-", "ora"),
                          ("TNS-", "tns"), ("SQLSTATE", "sqlstate"), ("ERROR_", "win32"), ("System.", "dotnet"),
                          ("java.", "java"), ("KB", "kb"), ("Event ID", "event"), ("STOP", "stop"), ("E", "errno"),
                          ("MSI", "msi"), ("CVE", "cve")):
        if code.startswith(prefix):
            return shape
    raise ValueError(code)


def _shared_tables() -> dict[str, tuple[list[str], list[float]]]:
    """Per-product Zipf tables over the shared codes whose shape fits the product."""
    tables = {}
    for name, shapes in _PRODUCT_SHAPES.items():
        codes = [c for c in _SHARED_LIST if _shared_shape(c) in shapes]
        cum, total = [], 0.0
        for rank in range(len(codes)):
            total += 1.0 / (rank + 1) ** 0.9
            cum.append(total)
        tables[name] = (codes, cum)
    return tables


_SHARED_BY_PRODUCT = _shared_tables()


def _coprime_near(m: int, frac: float) -> int:
    """A multiplier coprime to m, far from 0 and 1, so the affine map scatters ranks."""
    a = max(1, int(m * frac)) | 1
    while math.gcd(a, m) != 1:
        a += 2 if m % 2 == 0 else 1
    return a


# --------------------------------------------------------------------------------------
# Corpus layout: decisions that need a global view (product per article for related links,
# a pseudo-random permutation of article indices for code assignment).
# --------------------------------------------------------------------------------------


def _mix(x: int, key: int, rnd: int) -> int:
    x = (x * 0x9E3779B1 + key + rnd * 0x85EBCA6B) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    return x ^ (x >> 12)


class _Layout:
    """Global per-corpus tables, cheap to rebuild (one pass over n small integers)."""

    def __init__(self, n: int, seed: int):
        if n < 1:
            raise ValueError("n must be >= 1")
        self.n, self.seed = n, seed
        rng = random.Random(f"kb-layout:{seed}")
        self.product = [_pick_cum(rng.random() * _PRODUCT_CUM[-1], _PRODUCT_CUM) for _ in range(n)]
        self.type = [_pick_named(rng.random() * 100, _TYPE_CUM) for _ in range(n)]
        self.status = [_pick_named(rng.random() * 100, _STATUS_CUM) for _ in range(n)]
        self.public = [rng.random() < 0.4 for _ in range(n)]
        self.by_product: list[list[int]] = [[] for _ in PRODUCTS]
        for i, p in enumerate(self.product):
            self.by_product[p].append(i)
        self.bits = max(2, (n - 1).bit_length() + ((n - 1).bit_length() & 1))
        self.key = rng.getrandbits(32)
        self.affine = {}
        for shape, (space, _, count) in _SHAPES.items():
            r = random.Random(f"kb-codes:{seed}:{shape}")
            self.affine[shape] = (_coprime_near(space, 0.3819660113), r.randrange(space))
        used = -(-CODES_PER_ARTICLE * n // _NSLOTS)  # ceil
        self.rank_bound = {shape: used * count for shape, (_, _, count) in _SHAPES.items()}

    def permute(self, i: int) -> int:
        """Feistel network on `bits` bits with cycle walking: a bijection on [0, n)."""
        half = self.bits // 2
        mask = (1 << half) - 1
        x = i
        while True:
            left, right = x >> half, x & mask
            for rnd in range(4):
                left, right = right, left ^ (_mix(right, self.key, rnd) & mask)
            x = (left << half) | right
            if x < self.n:
                return x

    def reserved_codes(self, i: int) -> list[tuple[str, str, int]]:
        """Article i's reserved codes as (code, shape, rank); see is_unique.

        Code number u = permute(i) * CODES_PER_ARTICLE + j is distinct for every (i, j); its
        slot picks the shape and its rank within that shape goes through an affine bijection
        of the shape's code space, so two articles share a code only when a shape's ranks
        wrap around its space -- which `unique` detects conservatively.
        """
        base = self.permute(i) * CODES_PER_ARTICLE
        out = []
        for u in range(base, base + CODES_PER_ARTICLE):
            slot = u % _NSLOTS
            shape = _SLOTS[slot]
            space, encode, count = _SHAPES[shape]
            rank = (u // _NSLOTS) * count + _SLOT_POS[slot]
            a, b = self.affine[shape]
            out.append((encode((a * (rank % space) + b) % space), shape, rank))
        return out

    def is_unique(self, code: str, shape: str, rank: int) -> bool:
        """True when no other article can contain `code`: its rank did not wrap around the
        shape's space, and no shared code contains it or is contained in it (case-insensitively)."""
        space = _SHAPES[shape][0]
        if not (rank < space and rank + space >= self.rank_bound[shape]):
            return False
        low = code.lower()
        return not any(s in low or low in s for s in _SHARED_BY_PREFIX.get(low[:3], ()))


def _pick_cum(x: float, cum: list[float]) -> int:
    for idx, c in enumerate(cum):
        if x < c:
            return idx
    return len(cum) - 1


def _pick_named(x: float, table) -> str:
    for name, c in table:
        if x < c:
            return name
    return table[-1][0]


def article_id(i: int) -> str:
    """Stable id of the i-th article (0-based)."""
    return f"kb-{i + 1:06d}"


def article_path(i: int) -> str:
    """Relative path of the i-th article: sharded so no folder holds more than 1000 files."""
    return f"{i // FILES_PER_FOLDER:04d}/{article_id(i)}.md"


# --------------------------------------------------------------------------------------
# Facts: everything about an article that queries need, drawn before any body text.
# --------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Facts:
    index: int
    id: str
    type: str
    status: str
    audience: str
    product: Product
    component: str
    obj: str
    svc: str
    host: str
    symptom: tuple[str, str, str]
    cause: str
    task: tuple[str, str]
    process: str
    ref_topic: str
    unique_codes: list[str]
    unique_ok: list[bool]
    shared_codes: list[str]
    title: str
    updated: str
    review_by: str
    owner: str


_DATE_2021 = date(2021, 1, 1).toordinal()
_DATE_2026 = date(2026, 3, 31).toordinal()
_DATE_2027 = date(2027, 1, 1).toordinal()
_DATE_2028 = date(2028, 12, 31).toordinal()
_N_UNIQUE = {"tsg": (1, 2), "known-issue": (1, 2), "reference": (2, 4), "how-to": (0, 1), "workflow": (0, 1)}
_N_SHARED = {"tsg": (0, 2), "known-issue": (0, 1), "reference": (1, 3), "how-to": (0, 1), "workflow": (0, 0)}


def _article_rng(seed: int, i: int) -> random.Random:
    return random.Random(f"kb-article:{seed}:{i}")


def _facts(layout: _Layout, i: int, rng: random.Random) -> _Facts:
    """Draw the article's identity (type, product, codes, title...) from its own stream."""
    product = PRODUCTS[layout.product[i]]
    kind = layout.type[i]
    status = layout.status[i]
    audience = "public" if layout.public[i] else "internal"
    component = rng.choice(product.components)
    obj = rng.choice(product.objects)
    svc = rng.choice(product.services)
    host = rng.choice(product.hosts)
    symptom = rng.choice(_SYMPTOMS_BY_PRODUCT[product.name])
    cause = rng.choice(CAUSES)
    task = rng.choice(TASKS)
    process = rng.choice(PROCESSES)
    ref_topic = rng.choice(REF_TOPICS)
    lo, hi = _N_UNIQUE[kind]
    n_unique = rng.randint(lo, hi)
    if kind in ("how-to", "workflow") and rng.random() < (0.6 if kind == "how-to" else 0.75):
        n_unique = 0
    unique, unique_ok = [], []
    if n_unique:
        reserved = layout.reserved_codes(i)
        fitting = _PRODUCT_SHAPES[product.name]
        chosen = [r for r in reserved if r[1] in fitting][:n_unique] or reserved[:1]
        for code, shape, rank in chosen:
            unique.append(code)
            unique_ok.append(layout.is_unique(code, shape, rank))
    lo, hi = _N_SHARED[kind]
    shared: list[str] = []
    pool, cum = _SHARED_BY_PRODUCT[product.name]
    for _ in range(rng.randint(lo, hi)):
        code = pool[_pick_cum(rng.random() * cum[-1], cum)]
        if code not in shared and code not in unique:
            shared.append(code)
    if kind == "known-issue" and product.platform == "win" and rng.random() < 0.5:  # cite the update
        kb = rng.choice(("KB5003637", "KB5034441", "KB4023057"))
        if kb not in shared and kb not in unique:
            shared.append(kb)
    f = _Facts(i, article_id(i), kind, status, audience, product, component, obj, svc, host, symptom, cause,
               task, process, ref_topic, unique, unique_ok, shared, "", "", "", "")
    f.title = _title(f, rng)
    f.updated = date.fromordinal(rng.randint(_DATE_2021, _DATE_2026)).isoformat()
    f.review_by = date.fromordinal(rng.randint(_DATE_2027, _DATE_2028)).isoformat()
    f.owner = f"{rng.choice(_FIRST_NAMES)}.{rng.choice(_LAST_NAMES)}"
    return f


def _fill(template: str, f: _Facts, rng: random.Random, code: str | None = None) -> str:
    """Substitute the article's nouns into a template (only the placeholders it uses)."""
    if "{" not in template:
        return template
    values = {
        "prod": f.product.name, "comp": f.component, "obj": f.obj, "svc": f.svc, "host": f.host,
        "code": code or _primary_code(f) or "an unexpected error",
        "pct": str(rng.randint(3, 97)), "secs": str(rng.choice((15, 20, 30, 45, 60, 90, 120))),
        "mins": str(rng.choice((5, 10, 15, 20, 30))), "port": str(rng.choice((443, 587, 1433, 1521, 3389, 8443, 5061))),
        "user": "user@contoso.com",
    }
    if "{cmd}" in template:
        values["cmd"] = _fill(rng.choice(_PLATFORM_COMMANDS[f.product.platform]), f, rng)
    if "{path}" in template:
        values["path"] = rng.choice(_PLATFORM_PATHS[f.product.platform])
    return template.format_map(values)


def _primary_code(f: _Facts) -> str | None:
    if f.unique_codes:
        return f.unique_codes[0]
    return f.shared_codes[0] if f.shared_codes else None


# Title endings that real knowledge bases use to tell similar articles apart.
_TITLE_QUALIFIERS = {
    "tsg": ("", "", " after an upgrade", " for some users", " in a hybrid environment", " on new devices",
            " after a certificate renewal", " behind a proxy", " over VPN", " for guest users", " on the {obj}"),
    "known-issue": ("", "", " (fixed)", " (under investigation)", " for some tenants", " on the {obj}"),
    "how-to": ("", "", " with PowerShell", " for all users", " in bulk", " without downtime", " for a single user",
               " from the admin portal", " in a hybrid environment", " step by step"),
    "workflow": ("", " (Tier 1)", " (Tier 2)", " (after hours)", " for premier customers", " in EMEA", " in APAC",
                 " in the Americas"),
    "reference": ("", " (version {ver}.x)", " for administrators", " for Windows clients", " for macOS clients",
                  " for mobile devices", " (legacy)"),
}


def _title(f: _Facts, rng: random.Random) -> str:
    prod, comp = f.product.name, f.component
    sym = f.symptom[0]
    code = _primary_code(f)
    qualifier = rng.choice(_TITLE_QUALIFIERS[f.type]).format(obj=f.obj, prod=prod, ver=rng.randint(2, 9))
    if f.type == "tsg":
        forms = [f"{prod} {comp}: {sym}{qualifier}", f"{sym[0].upper()}{sym[1:]}{qualifier} ({prod} {comp})",
                 f"Troubleshooting {prod} {comp} issues: {sym}{qualifier}"]
        if code:
            forms += [f"{prod}: {sym} with error {code}", f"\"{code}\" error: {sym} in {prod}"]
        return rng.choice(forms)
    if f.type == "known-issue":
        after = rng.choice(("after the latest update", f"in {comp}", "after a tenant migration",
                            f"with {code}" if code else "on new devices"))
        return f"Known issue: {prod} {sym} {after}{qualifier}"
    if f.type == "how-to":
        return "How to " + _fill(f.task[0], f, rng) + qualifier
    if f.type == "workflow":
        return f"{f.process} workflow for {prod} {comp}{qualifier}"
    return f"{prod} {comp} {f.ref_topic}{qualifier}"


def _layout_links(layout: _Layout, f: _Facts, rng: random.Random) -> tuple[list[int], int | None]:
    """Related articles from the same product; archived ones may point to a published successor.

    An article customers can see (public and published) only links to others they can see.
    """
    peers = layout.by_product[layout.product[f.index]]

    def visible(j: int) -> bool:
        return layout.public[j] and layout.status[j] == "published"

    visible_only = visible(f.index)

    def pick(accept) -> int | None:
        for _ in range(8):
            j = peers[rng.randrange(len(peers))]
            if j != f.index and (not visible_only or visible(j)) and accept(j):
                return j
        return None

    related: list[int] = []
    if len(peers) > 1:
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            j = pick(lambda j: j not in related)
            if j is not None:
                related.append(j)
    successor = None
    if f.status == "archived" and rng.random() < 0.6 and len(peers) > 1:
        successor = pick(lambda j: layout.status[j] == "published")
    return related, successor


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------


def _words(rng: random.Random, k: int) -> list[str]:
    return rng.choices(VOCAB, cum_weights=_VOCAB_CUM, k=k)


def _filler(rng: random.Random, n_words: int, f: _Facts) -> str:
    """Zipf-distributed prose with the article's own nouns sprinkled in, ~n_words long."""
    sentences, left = [], n_words
    while left > 0:
        k = min(left, rng.randint(7, 19))
        w = _words(rng, k)
        if k > 5 and rng.random() < 0.45:
            w[rng.randrange(1, k)] = rng.choice((f.obj, f.component.lower(), f.product.short, f.svc))
        if k > 8 and rng.random() < 0.3:
            w[rng.randrange(2, k - 2)] += ","
        w[0] = w[0][:1].upper() + w[0][1:]
        sentences.append(" ".join(w) + ".")
        left -= k
    return " ".join(sentences)


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _message(code: str, f: _Facts, rng: random.Random) -> str:
    """A plausible error message text for a code (real text for well-known shared codes)."""
    if code in SHARED_CODES:
        return SHARED_CODES[code]
    noun = rng.choice((f.obj, "request", "token", "session", "operation"))
    return rng.choice((
        f"The {noun} could not be completed because the server returned an unexpected response.",
        f"Failed to {rng.choice(('load', 'refresh', 'open', 'validate', 'save'))} the {noun}.",
        f"The {noun} is locked by another process.",
        f"Unable to reach {f.host}. Check your network connection and try again.",
        f"The {noun} has expired or is no longer valid.",
        f"Something went wrong while processing the {noun}.",
    ))


def _log_block(codes: list[str], f: _Facts, rng: random.Random) -> str:
    """A fenced log excerpt in the style of the product's platform, mentioning the codes."""
    lines = []
    base = rng.randint(_DATE_2021, _DATE_2026)
    day = date.fromordinal(base)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    for n, code in enumerate(codes):
        ss, ms = rng.randint(0, 59), rng.randint(0, 999)
        ts = f"{day.isoformat()}T{hh:02d}:{(mm + n) % 60:02d}:{ss:02d}.{ms:03d}Z"
        msg = _message(code, f, rng)
        plat = f.product.platform
        if "Exception" in code or code.endswith("Error"):
            ns = code.rsplit(".", 1)[0]
            lines.append(f"{code}: {msg}")
            for frame in rng.sample(("Process", "Execute", "Refresh", "Load", "Commit", "Dispatch", "Run"), 3):
                lines.append(f"   at {ns}.{rng.choice(('Worker', 'Client', 'Handler', 'Service'))}.{frame}()")
        elif plat == "linux":
            lines.append(f"{day.strftime('%b %d')} {hh:02d}:{(mm + n) % 60:02d}:{ss:02d} node{rng.randint(1, 40):02d} "
                         f"{f.svc}[{rng.randint(300, 65000)}]: error {code}: {msg}")
        elif plat == "db":
            lines.append(f"{ts} {code}: {msg}")
        elif plat == "win":
            lines.append(f"{ts} ERROR {f.svc} pid={rng.randint(300, 20000)} tid=0x{rng.getrandbits(16):04X} "
                         f"{code} {msg}")
        else:
            lines.append(f"{ts} ERROR [{f.component}] correlationId={_guid(rng)} {code} {msg}")
    return "```text\n" + "\n".join(lines) + "\n```"


def _related_lines(related: list[tuple[str, str]]) -> str:
    return "\n".join(f"- [{title}](kb:{rid})" for rid, title in related)


def _steps(items: list[str]) -> str:
    return "\n".join(f"{n}. {s}" for n, s in enumerate(items, 1))


def _render_body(f: _Facts, rng: random.Random, related: list[tuple[str, str]],
                 successor: tuple[str, str] | None) -> str:
    """Markdown body with the sections kb expects for the type, padded with Zipf filler
    to a 150-400 word target."""
    codes = f.unique_codes + f.shared_codes
    target = rng.randint(150, 400)
    parts: list[str] = []
    filler_slots: list[int] = []  # positions in parts where filler may be inserted

    if successor:
        parts.append(f"> [!NOTE]\n> This article is archived. See [{successor[1]}](kb:{successor[0]}) instead.")
    mentioned: set[str] = set()

    if f.type in ("tsg", "known-issue"):
        sym_sentence = _fill(f.symptom[1], f, rng)
        mentioned.update(c for c in codes if c in sym_sentence)
        parts.append("## Symptoms")
        parts.append(sym_sentence)
        filler_slots.append(len(parts))
        rest = [c for c in codes if c not in mentioned]
        if rest or (codes and rng.random() < 0.5):
            parts.append("The log contains entries similar to the following:")
            parts.append(_log_block(rest or codes[:1], f, rng))
            mentioned.update(rest or codes[:1])
        parts.append("## Cause")
        parts.append(_fill(f.cause, f, rng))
        filler_slots.append(len(parts))
        if f.type == "tsg":
            parts.append("## Resolution")
            fixes = rng.sample(FIXES, rng.randint(2, 5))
            parts.append(_steps([_fill(x, f, rng) for x in fixes]))
        else:
            parts.append("## Workaround")
            parts.append(_steps([_fill(x, f, rng) for x in rng.sample(FIXES, rng.randint(1, 3))]))
            parts.append("## Status")
            parts.append(rng.choice((
                f"The {f.product.name} team has confirmed the problem and is working on a fix. "
                "This article will be updated when the fix is released.",
                "A fix is planned for the next monthly release. Until then, use the workaround.",
                "This problem is fixed in the latest build. Update to resolve it.",
            )))
        filler_slots.append(len(parts))
    elif f.type == "how-to":
        parts.append("## Before you begin")
        parts.append(f"You need administrator rights for {f.product.name} and access to the {f.component} settings.")
        filler_slots.append(len(parts))
        parts.append("## Steps")
        steps = [_fill(x, f, rng) for x in rng.sample(FIXES, rng.randint(3, 6))]
        parts.append(_steps(steps))
        parts.append("## Verify")
        parts.append(f"Confirm that the {f.obj} works as expected and that no new errors appear in the log.")
        filler_slots.append(len(parts))
    elif f.type == "workflow":
        parts.append("## When to use")
        parts.append(f"Use this workflow for {f.product.name} cases that involve {f.component} and need "
                     f"{f.process.lower()}.")
        filler_slots.append(len(parts))
        parts.append("## Steps")
        chosen = sorted(rng.sample(range(len(WORKFLOW_STEPS)), rng.randint(5, 9)))
        parts.append(_steps([_fill(WORKFLOW_STEPS[k], f, rng) for k in chosen]))
        filler_slots.append(len(parts))
    else:  # reference
        parts.append("## Overview")
        parts.append(f"This page lists the {f.ref_topic} for {f.product.name} {f.component}.")
        filler_slots.append(len(parts))
        if f.ref_topic == "error code reference" or codes:
            parts.append("## Error codes")
            rows = ["| Code | Message | Action |", "| --- | --- | --- |"]
            for c in codes:
                rows.append(f"| `{c}` | {_message(c, f, rng)} | {_fill(rng.choice(FIXES), f, rng)} |")
            parts.append("\n".join(rows))
            mentioned.update(codes)
        if f.ref_topic == "log file locations":
            parts.append("## Log files")
            paths = rng.sample(_PLATFORM_PATHS[f.product.platform], 3)
            parts.append("\n".join(f"- `{p}`" for p in paths))
        elif f.ref_topic == "network ports and endpoints":
            parts.append("## Endpoints")
            ports = (443, 80, 8443, 5061, 3478)
            parts.append("\n".join(f"- `{h}` on TCP {rng.choice(ports)}" for h in f.product.hosts))
        elif f.ref_topic in ("configuration settings", "supported versions"):
            parts.append("## Settings" if f.ref_topic == "configuration settings" else "## Versions")
            rows = ["| Name | Value |", "| --- | --- |"]
            for _ in range(rng.randint(3, 6)):
                w = _words(rng, 2)
                if f.ref_topic == "configuration settings":
                    value = rng.choice(("true", "false", "30", "3600", "Auto"))
                    rows.append(f"| `{w[0].capitalize()}{w[1].capitalize()}` | {value} |")
                else:
                    rows.append(f"| {f.product.name} {rng.randint(2019, 2025)}.{rng.randint(1, 12)} | "
                                f"{rng.choice(('Supported', 'Extended support', 'Not supported'))} |")
            parts.append("\n".join(rows))
        filler_slots.append(len(parts))

    missing = [c for c in codes if c not in mentioned]
    if missing:
        parts.append("## Error messages")
        parts.append("\n".join(f"- `{c}`: {_message(c, f, rng)}" for c in missing))
    if rng.random() < 0.35:
        parts.append(f"Files and settings to check: `{rng.choice(_PLATFORM_PATHS[f.product.platform])}`.")
    if related:
        parts.append("## Related articles")
        parts.append(_related_lines(related))

    used = sum(len(p.split()) for p in parts)
    budget = target - used
    if budget > 10 and filler_slots:
        k = min(len(filler_slots), 1 + budget // 90)
        chosen = sorted(rng.sample(filler_slots, k), reverse=True)
        share = budget // k
        for pos in chosen:
            parts.insert(pos, _filler(rng, share, f))
    return f"# {f.title}\n\n" + "\n\n".join(parts) + "\n"


def _yaml_str(s: str) -> str:
    """Double-quoted YAML scalar; JSON string syntax is valid YAML and needs no special cases."""
    return json.dumps(s, ensure_ascii=False)


def _yaml_list(items: list[str]) -> str:
    return "[" + ", ".join(_yaml_str(x) for x in items) + "]"


def _front_matter(f: _Facts, tags: list[str], resolution: list[str], related: list[str], successor: str | None) -> str:
    lines = [
        "---",
        f"id: {f.id}",
        f"title: {_yaml_str(f.title)}",
        f"type: {f.type}",
        f"audience: {f.audience}",
        f"status: {f.status}",
        f"product: {_yaml_str(f.product.name)}",
        f"component: {_yaml_str(f.component)}",
        f"tags: {_yaml_list(tags)}",
        f"error_codes: {_yaml_list(f.unique_codes + f.shared_codes)}",
        f"resolution_codes: {_yaml_list(resolution)}",
        f"related: {_yaml_list(related)}",
    ]
    if successor:
        lines.append(f"superseded_by: {successor}")
    lines += [f"owner: {f.owner}", f"updated: {f.updated}", f"review_by: {f.review_by}", "---", ""]
    return "\n".join(lines)


class _Generator:
    """Holds the layout and a cache of link texts, so related links can show real titles."""

    def __init__(self, n: int, seed: int):
        self.layout = _Layout(n, seed)
        self.seed = seed
        self._link_texts: dict[int, str] = {}

    def facts(self, i: int) -> tuple[_Facts, random.Random]:
        rng = _article_rng(self.seed, i)
        return _facts(self.layout, i, rng), rng

    def link_text(self, i: int) -> str:
        """Text for a link to article i: its title, minus its error codes, so that a code
        unique to one article never shows up in the articles that link to it."""
        t = self._link_texts.get(i)
        if t is None:
            f = self.facts(i)[0]
            t = f.title
            if any(c in t for c in f.unique_codes + f.shared_codes):
                prod, sym = f.product.name, f.symptom[0]
                t = f"Known issue: {prod} {sym}" if f.type == "known-issue" else f"{prod} {f.component}: {sym}"
            if len(self._link_texts) > 200_000:
                self._link_texts.clear()
            self._link_texts[i] = t
        return t

    def article(self, i: int) -> str:
        f, rng = self.facts(i)
        related_idx, successor_idx = _layout_links(self.layout, f, rng)
        tags = [f.product.tags[-1], f.component.lower().replace(" ", "-").replace("/", "-")]
        for t in rng.sample(_GENERIC_TAGS, rng.randint(0, 3)):
            if t not in tags:
                tags.append(t)
        pool = _RESOLUTIONS_BY_TYPE[f.type]
        resolution = rng.sample(pool, min(len(pool), rng.choice((1, 1, 2, 2, 3))))
        if f.type in ("how-to", "reference") and rng.random() < 0.3:
            resolution = []
        related = [(article_id(j), self.link_text(j)) for j in related_idx]
        successor = (article_id(successor_idx), self.link_text(successor_idx)) if successor_idx is not None else None
        body = _render_body(f, rng, related, successor)
        fm = _front_matter(f, tags, resolution, [r for r, _ in related], successor[0] if successor else None)
        return fm + "\n" + body


def generate(n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """Yield (relative_path, text) for articles 0..n-1; deterministic in (n, seed)."""
    gen = _Generator(n, seed)
    for i in range(n):
        yield article_path(i), gen.article(i)


_worker_gen: _Generator | None = None


def _init_worker(n: int, seed: int) -> None:
    global _worker_gen
    _worker_gen = _Generator(n, seed)


def _write_shard(gen: _Generator, out: str, shard: int) -> int:
    """Generate and write one folder of articles; returns bytes written."""
    folder = os.path.join(out, f"{shard:04d}")
    os.makedirs(folder, exist_ok=True)
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    total = 0
    try:
        for i in range(shard * FILES_PER_FOLDER, min(gen.layout.n, (shard + 1) * FILES_PER_FOLDER)):
            data = gen.article(i).encode("utf-8")
            fd = os.open(f"{article_id(i)}.md", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dir_fd)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            total += len(data)
    finally:
        os.close(dir_fd)
    return total


def _write_shard_in_worker(args: tuple[str, int]) -> int:
    return _write_shard(_worker_gen, *args)


def write_corpus(n: int, out: str | os.PathLike, seed: int = 0, workers: int | None = None) -> int:
    """Write the corpus under `out` (created if needed); returns the number of bytes written.

    Shards are independent, so several processes generate and write them at once; file
    creation is a large part of the cost. The output does not depend on `workers`. The
    project's resolution-codes.yaml is copied to the root so kb can check the codes.
    """
    out = os.fspath(out)
    os.makedirs(out, exist_ok=True)
    if TAXONOMY.is_file():
        Path(out, TAXONOMY.name).write_bytes(TAXONOMY.read_bytes())
    shards = range(-(-n // FILES_PER_FOLDER))
    workers = min(len(shards), workers or os.cpu_count() or 1)
    if workers <= 1:
        gen = _Generator(n, seed)
        return sum(_write_shard(gen, out, s) for s in shards)
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(n, seed)) as pool:
        return sum(pool.map(_write_shard_in_worker, [(out, s) for s in shards]))


# --------------------------------------------------------------------------------------
# Benchmark queries derived from the same generator.
# --------------------------------------------------------------------------------------


def _short_component(comp: str) -> str:
    words = comp.lower().replace("-", " ").split()
    return " ".join(words[-2:]) if len(words) > 2 else " ".join(words)


def _query_for(f: _Facts, rng: random.Random) -> str:
    sym_q = f.symptom[2]
    options = [
        f"{f.product.short} {sym_q}",
        f"{_short_component(f.component)} {sym_q}",
        f"{f.product.short} {_short_component(f.component)}",
        f"{f.task[1]} {f.product.short}",
    ]
    if len(f.obj.split()) + len(sym_q.split()) <= 3:
        options.append(f"{f.obj.lower()} {sym_q}")
    words = rng.choice(options).split()
    if len(words) > 3:  # keep the symptom words, which carry the meaning
        words = [f.product.short] + sym_q.split()
    if len(words) < 2:
        words.append(f.product.short)
    return " ".join(words)


def _ticket_for(f: _Facts, rng: random.Random) -> tuple[str, str]:
    """A customer-style ticket (title, ~150-word description) about the article's problem."""
    prod, sym = f.product.name, f.symptom[0]
    code = f.unique_codes[0] if f.unique_codes and rng.random() < 0.55 else None
    title = rng.choice((
        f"{prod} {sym} since {rng.choice(('this morning', 'yesterday', 'Monday', 'the update'))}",
        f"Users report {sym} in {prod}",
        f"URGENT: {f.component} {sym} for {rng.choice(_DEPARTMENTS)}",
        f"{sym[0].upper()}{sym[1:]} after {rng.choice(_CHANGES)}",
    ))
    if code and rng.random() < 0.5:
        title += f" ({code})"
    parts = [
        rng.choice(("Hi team,", "Hello,", "Hi support,", "Good morning,")),
        f"since {rng.choice(_CHANGES)} about {rng.randint(2, 300)} users in {rng.choice(_DEPARTMENTS)} "
        "report the following.",
        _fill(f.symptom[1], f, rng, code=code or "an error"),
    ]
    if code:
        parts.append(f"The exact error is {code}: {_message(code, f, rng)}")
    parts.append(f"It affects the {f.obj} in {f.component} and started without any change on our side.")
    parts.append("We already tried: " + " ".join(_fill(x, f, rng) for x in rng.sample(FIXES, 2)))
    parts.append(f"Environment: {prod} build {rng.randint(16, 24)}.{rng.randint(0, 9)}.{rng.randint(1000, 19999)}, "
                 f"{rng.choice(_CLIENT_OS[f.product.platform])}.")
    text = " ".join(parts)
    short = 150 - len(text.split())
    if short > 5:
        text += " " + _filler(rng, short, f)
    text += " " + rng.choice(("Thanks.", "Please advise.", "Any help appreciated.", "Regards, IT"))
    return title, text


def make_queries(n_articles: int, seed: int = 0, *, n_queries: int = 1000, n_codes: int = 1000,
                 n_tickets: int = 200) -> dict:
    """Benchmark inputs that match the corpus of (n_articles, seed) without reading it.

    Returns a dict with:
      queries       -- list of 2-3 word search strings in the corpus vocabulary
      error_codes   -- list of (code, article_id); each code is in exactly one article
      tickets       -- list of (title, description) ~150-word tickets
      ticket_sources-- list of the article id each ticket was written from (a weak label)
    """
    gen = _Generator(n_articles, seed)
    pick = random.Random(f"kb-queries:{seed}:{n_articles}")

    def sample(k: int) -> list[int]:
        return [pick.randrange(n_articles) for _ in range(k)]

    queries = []
    for i in sample(n_queries):
        f, _ = gen.facts(i)
        queries.append(_query_for(f, random.Random(f"kb-q:{seed}:{i}:{len(queries)}")))

    codes: list[tuple[str, str]] = []
    seen_codes: set[str] = set()
    indices = list(range(n_articles))
    pick.shuffle(indices)
    for i in indices:
        if len(codes) >= n_codes:
            break
        f, _ = gen.facts(i)
        for code, ok in zip(f.unique_codes, f.unique_ok):
            if ok and code not in seen_codes:
                seen_codes.add(code)
                codes.append((code, f.id))
                break

    tickets, sources = [], []
    for i in sample(n_tickets):
        f, _ = gen.facts(i)
        tickets.append(_ticket_for(f, random.Random(f"kb-t:{seed}:{i}:{len(tickets)}")))
        sources.append(f.id)
    return {"queries": queries, "error_codes": codes, "tickets": tickets, "ticket_sources": sources}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of articles")
    ap.add_argument("out", help="output folder (created if needed)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None, help="processes (default: CPU count)")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be >= 1")
    out = Path(args.out)
    if out.is_dir() and any(out.iterdir()):
        print(f"warning: {out} is not empty; files from an earlier, larger corpus would remain", file=sys.stderr)
    t0 = time.perf_counter()
    size = write_corpus(args.n, args.out, seed=args.seed, workers=args.workers)
    dt = time.perf_counter() - t0
    print(f"wrote {args.n} articles ({size / 1e6:.1f} MB) to {args.out} in {dt:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
