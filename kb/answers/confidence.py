"""How sure an answer is: evidence in, a calibrated probability out, and the line below which kb abstains.

The confidence is the estimated probability that the cited article is the right one for
the question. It is a logistic model over evidence that is cheap to gather and means the
same in any knowledge base:

* **meaning**: cosine similarity between the question and the article (its title and
  opening lines), as the search engine's sentence encoder computed it to rank them;
* **words**: the share of the question's content words the article holds, and the share
  of the article title's words the question holds;
* **margin**: how far the article is ahead of the engine's best other candidate, or
  behind it (relative to the best score, -1..1);
* **error codes**: a code the question names and the article documents counts for it;
  a code it doesn't, against it (:mod:`kb.answers.checks`, as do other products and versions);
* **validation**: a validated article counts a little for, one known to be not validated
  against (KCS confidence, when the article states it).

The weights of meaning, words and margin were fitted by logistic regression on one family
of question sets, and the threshold chosen on it; both were then confirmed, unchanged, on
the others (``bench/answers.py`` prints the fit, the calibration curve and every set's
figures). The checks' and validation's weights are set by reason (see below). Without the
encoder (``KB_ENCODER_DIR=off``) a words-only model fitted the same way is used.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

# Fitted by bench/answers.py: logistic regression on StackFAQ's paraphrases asked of their
# own knowledge base and of officedocs-dev (see the module docstring). MEANING_WEIGHTS when the
# engine ranks by meaning, WORDS_WEIGHTS when the sentence encoder is off.
MEANING_WEIGHTS = {"bias": -8.35, "meaning": 12.848, "coverage": 0.661, "title_cover": -0.228,
                   "margin": 5.79}
WORDS_WEIGHTS = {"bias": -6.0, "coverage": 6.0, "title_cover": 1.0, "margin": 2.0}
# Set by reason, not fitted: the fitting questions name no error codes, products or versions.
# A shared exact error code is strong evidence; an article about another code or another
# product takes about three points of log-odds (a 95% answer drops below one in two); a
# version the article never covers, about one and a half.
CHECK_WEIGHTS = {"shared_code": 1.5, "code_conflict": -3.0, "product_conflict": -3.0,
                 "version_conflict": -1.5}
# Validation is set by reason too: none of the evaluation sets states it.
VALIDATED_LOGIT = 0.3
NOT_VALIDATED_LOGIT = -1.0
THRESHOLD = 0.5  # below this kb abstains (chosen on the fitting set, see bench/answers.py)
ALSO_WITHIN = 0.15  # a runner-up this close to the best is named on the card ("may also apply")


@dataclass(frozen=True)
class Evidence:
    """What speaks for and against one article as the answer to one question (0..1; margin -1..1)."""

    meaning: float | None
    coverage: float
    title_cover: float
    margin: float
    shared_code: float = 0.0
    code_conflict: float = 0.0
    product_conflict: float = 0.0
    version_conflict: float = 0.0
    validation: str | None = None  # "validated", "not-validated" or None (not stated)

    def as_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def logit(evidence: Evidence) -> float:
    """The model's log-odds that the article answers the question."""
    weights = MEANING_WEIGHTS if evidence.meaning is not None else WORDS_WEIGHTS
    value = weights["bias"]
    for name, weight in [*weights.items(), *CHECK_WEIGHTS.items()]:
        if name != "bias":
            value += weight * float(getattr(evidence, name) or 0.0)
    if evidence.validation == "validated":
        value += VALIDATED_LOGIT
    elif evidence.validation == "not-validated":
        value += NOT_VALIDATED_LOGIT
    return value


def confidence(evidence: Evidence) -> float:
    """The probability (0..1) that the article answers the question."""
    value = logit(evidence)
    return 1.0 / (1.0 + math.exp(-value)) if value > -50 else 0.0
