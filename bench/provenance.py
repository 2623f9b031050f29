"""Which code a benchmark measured: printed in every report's header."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def code_state(root: Path = ROOT) -> str:
    """The commit, and how many files under indexer/ differ from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "indexer"], cwd=root, capture_output=True,
                               text=True).stdout.split("\n")
    except OSError:
        return "git state unknown"
    dirty = [line for line in dirty if line.strip()]
    return f"git {head}" + (f" + {len(dirty)} uncommitted file(s) in indexer/" if dirty else "")
