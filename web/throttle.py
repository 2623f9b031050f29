"""What anonymous clients may write, and ask for at a cost, per client: the web side of
:mod:`kb.throttle`.

Signed-in people are accountable and are not limited here (their votes are one per
article anyway). Anonymous clients are known only by their address, so each allowance is
per address; an IPv6 client usually holds a whole /64, so that is one client. Every
allowance is ``(count, seconds)`` in the app's config:

* ``ANONYMOUS_VOTES``: helpfulness votes per client (they move an article's ranking).
* ``VOTE_REPEAT_SECONDS``: one vote per client and article within this time, whatever
  cookies the client drops; a second one is thanked and not counted.
* ``ANONYMOUS_CASES``: contact-form cases per client.
* ``ANONYMOUS_COSTLY_CALLS``: API calls per client that ask for ``explain`` or for more
  than :data:`web.payloads.ANONYMOUS_FREE_LIMIT` results.

A used-up allowance answers 429 with ``Retry-After`` (seconds).
"""

from __future__ import annotations

import ipaddress

from flask import Flask, current_app, g
from werkzeug.exceptions import TooManyRequests

from kb.throttle import Allowance, Allowances, Grant, Refusal
from web.payloads import ANONYMOUS_FREE_LIMIT
from web.util import client_address

EXTENSION = "kb_allowances"


class Throttled(TooManyRequests):
    """A used-up allowance; ``parameter`` names what made an API call costly, if anything."""

    def __init__(self, message: str, wait: int, parameter: str | None = None):
        super().__init__(description=message, retry_after=wait)
        self.parameter = parameter
        self.wait = wait


def client_key() -> str:
    """Who an anonymous client is, as far as a server can tell: the address (IPv6: its /64)."""
    address = client_address()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _allowance(name: str) -> Allowance:
    count, seconds = current_app.config[f"ANONYMOUS_{name.upper()}"]
    return Allowance(name, int(count), float(seconds))


def _store() -> Allowances:
    return current_app.extensions[EXTENSION]


def wait_text(seconds: int) -> str:
    """"about 3 minutes", "about 1 hour": how long a refused client waits, for people."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minutes"
    hours = round(seconds / 3600)
    return f"about {hours} hour{'s' if hours != 1 else ''}"


def take_vote(article_id: str) -> Grant | None:
    """Take an anonymous vote's units; None when this client already voted on the article.

    :raises Throttled: the client has used up its votes for now.
    """
    client = client_key()
    votes = _allowance("votes")
    repeat = Allowance("vote-once", 1, float(current_app.config["VOTE_REPEAT_SECONDS"]))
    found = _store().take({votes.key(client): votes, repeat.key(client, article_id): repeat})
    if isinstance(found, Grant):
        return found
    if found.key.startswith(repeat.name + ":"):
        return None
    raise Throttled(f"Many votes have come from your network recently. Please try again in "
                    f"{wait_text(found.wait)}.", found.wait)


def take_case() -> Grant | Refusal:
    """Take a unit of the client's contact-form cases (the form shows a refusal itself)."""
    cases = _allowance("cases")
    return _store().take({cases.key(client_key()): cases})


def give_back(grant: Grant) -> None:
    """Return units taken for an action that did not happen (its input was refused)."""
    _store().give_back(grant)


def costly_call(parameter: str, reason: str) -> None:
    """Count an anonymous API call that asks for costly work; signed-in callers pass freely.

    :param parameter: what made the call costly (``explain`` or ``limit``), named in the error.
    :raises Throttled: the client has used up its costly calls for now.
    """
    if g.get("user") is not None:
        return
    costly = _allowance("costly_calls")
    found = _store().take({costly.key(client_key()): costly})
    if isinstance(found, Refusal):
        raise Throttled(f"Anonymous callers may ask for {reason} {costly.count} times in "
                        f"{int(costly.window // 60)} minutes; try again in {found.wait} seconds, "
                        "leave it out, or send a token ('Authorization: Bearer <token>').",
                        found.wait, parameter)


def count_if_costly(explain: bool, limit: int) -> None:
    """Anonymous calls asking for explanations or long result lists draw on an allowance."""
    if explain:
        costly_call("explain", "scoring explanations")
    elif limit > ANONYMOUS_FREE_LIMIT:
        costly_call("limit", f"more than {ANONYMOUS_FREE_LIMIT} results")


def init_app(app: Flask) -> None:
    """Keep the allowances in the app's database, which every server process shares."""
    app.extensions[EXTENSION] = Allowances(app.extensions["kb"].engine)
