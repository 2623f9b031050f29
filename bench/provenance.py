"""Which code a benchmark measured, and how fast the machine was: printed in every report."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np

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


def machine_speed() -> str:
    """The time of a fixed Python loop and a fixed numpy loop, to read a report's figures by.

    A shared virtual machine's speed drifts (by a third within an hour here), so two
    reports compare only as far as their machine speeds agree; a benchmark prints this
    before and after it runs.
    """
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i * i
    python = time.perf_counter() - started
    values = np.random.default_rng(0).random(2_000_000).astype(np.float32)
    mask = values > 0.5
    started = time.perf_counter()
    for _ in range(50):
        np.sort(values[:200_000])
        values * mask  # noqa: B018 - the work being timed
    numbers = time.perf_counter() - started
    return (f"machine speed: python loop {python * 1000:.0f} ms, numpy loop {numbers * 1000:.0f} ms "
            "(lower is faster)")
