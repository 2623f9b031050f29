"""The rules a case follows: its states, the moves between them, and what closing needs.

Each broken rule raises :class:`CaseRuleError` whose ``rule`` names it, so every edge
reports the same thing: the CLI prints the message, the API answers 409 with the rule.
Rule names mirror the taxonomy flags where one applies (``requires_article``,
``requires_bug_reference``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kb.errors import KBError, UnknownResolutionCode
from kb.resolution_codes import ResolutionCode, Taxonomy

NEW, ACTIVE, WAITING, RESOLVED, CLOSED = "new", "active", "waiting-on-customer", "resolved", "closed"
STATUSES = (NEW, ACTIVE, WAITING, RESOLVED, CLOSED)
STATUS_LABELS = {NEW: "New", ACTIVE: "Active", WAITING: "Waiting on customer", RESOLVED: "Resolved",
                 CLOSED: "Closed"}
# The same statuses as a customer following their request reads them.
CUSTOMER_STATUS_LABELS = {NEW: "Received", ACTIVE: "In progress", WAITING: "Waiting for your reply",
                          RESOLVED: "Solved", CLOSED: "Closed"}
# Resolved and closed cases carry a resolution code; they are what "closed cases" reports count.
DONE = (RESOLVED, CLOSED)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in DONE)

# Where a case may go next. Closed is final: a problem that comes back is a new case that
# links the old one, so closed-case reports never change under the reader's feet. A resolved
# case goes back to active when the customer says the fix didn't work.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NEW: (ACTIVE, WAITING, RESOLVED, CLOSED),
    ACTIVE: (WAITING, RESOLVED, CLOSED),
    WAITING: (ACTIVE, RESOLVED, CLOSED),
    RESOLVED: (ACTIVE, CLOSED),
    CLOSED: (),
}

SEVERITIES = ("1", "A", "B", "C")  # Sev 1 and A are critical, round the clock
PRIORITIES = (1, 2, 3, 4)  # 1 business stops, 2 disrupted, 3 inconvenience, 4 routine

RULES: dict[str, str] = {
    "transition": "a case moves only along the allowed status transitions; closed is final",
    "resolution_code": "resolving or closing needs a resolution code that the taxonomy defines",
    "requires_article": "codes with requires_article need a linked article; solved_by_knowledge codes "
                        "need one marked as solved",
    "requires_bug_reference": "codes with requires_bug_reference need a bug reference",
    "capture": "an article is captured from a resolved or closed case that has no article yet",
}


class CaseRuleError(KBError):
    """A case action that breaks a rule; ``rule`` is a key of :data:`RULES`."""

    def __init__(self, rule: str, message: str):
        self.rule = rule
        super().__init__(message)


@dataclass(frozen=True)
class LinkState:
    """The part of a link the closing rules look at."""

    article_id: str
    solved: bool


def normalize_status(text: str) -> str:
    """'Waiting on customer', 'waiting_on_customer' and 'waiting' all mean the same state."""
    key = "-".join(text.strip().lower().replace("_", " ").split())
    return WAITING if key == "waiting" else key


def check_transition(current: str, target: str, display_id: str = "the case") -> None:
    """Raise unless a case in ``current`` may move to ``target``."""
    if target not in STATUSES:
        raise CaseRuleError("transition", f"'{target}' is not a case status; use one of "
                                          f"{', '.join(STATUSES)}.")
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(TRANSITIONS[current]) or "nothing (closed is final; open a new case)"
        raise CaseRuleError("transition", f"{display_id} is {current} and can't become {target}; "
                                          f"it can become {allowed}.")


def check_resolution(taxonomy: Taxonomy, code: str | None, links: Iterable[LinkState],
                     bug_reference: str | None, display_id: str = "the case") -> ResolutionCode:
    """The resolution code's definition, once every rule it carries is met.

    :param taxonomy: the resolution codes in force.
    :param code: the code the engineer chose.
    :param links: the case's article links.
    :param bug_reference: the bug or defect id, if any.
    :raises CaseRuleError: naming the first rule that is broken.
    """
    if not code or not code.strip():
        choices = ", ".join(c.code for c in taxonomy) or "none are defined: check resolution-codes.yaml"
        raise CaseRuleError("resolution_code", f"Closing {display_id} needs a resolution code ({choices}).")
    try:
        definition = taxonomy.get(code.strip())
    except UnknownResolutionCode as exc:
        raise CaseRuleError("resolution_code", str(exc)) from None
    links = list(links)
    if definition.requires_article:
        if not links:
            raise CaseRuleError("requires_article", f"'{definition.code}' needs an article linked to "
                                                    f"{display_id}; link the article first.")
        if definition.solved_by_knowledge and not any(link.solved for link in links):
            raise CaseRuleError("requires_article", f"'{definition.code}' needs a linked article marked as "
                                                    f"solving {display_id}; mark the link as solved.")
    if definition.requires_bug_reference and not (bug_reference or "").strip():
        raise CaseRuleError("requires_bug_reference", f"'{definition.code}' needs the bug reference of the "
                                                      f"defect filed for {display_id}.")
    return definition
