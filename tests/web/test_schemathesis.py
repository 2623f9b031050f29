"""The OpenAPI document describes what the API does: schemathesis against a running ``kb serve``.

Schemathesis reads ``/api/openapi.json`` and sends requests the document allows and requests
it forbids: every answer must be one the document lists, with the body and headers it
describes; what the document allows must be accepted and what it forbids refused; nothing
may fail with a 5xx. One run signs in with an engineer's token (every operation, the case
API included), one is anonymous (public visibility, and the allowance of costly calls that
ends in 429). Generation is deterministic, and each run has a time budget, so the test takes
about a minute however busy the machine is. Settings: ``tests/web/schemathesis.toml``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from kb.db import engine_for
from kb.users import create_token
from tests.web.helpers import account, start_server, stop_server

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_EXAMPLES = 10


def _schemathesis() -> str:
    executable = Path(sys.executable).with_name("schemathesis")
    if not executable.exists():
        pytest.fail(f"schemathesis is not installed in {executable.parent}: run `make install` (it is one "
                    "of the test dependencies in pyproject.toml).", pytrace=False)
    return str(executable)


@pytest.fixture(scope="module")
def api_server(corpus, index_dir, tmp_path_factory):
    """A ``kb serve`` of its own: its database sees only what schemathesis sends."""
    workdir = tmp_path_factory.mktemp("schemathesis")
    db = f"sqlite:///{workdir / 'kb.sqlite3'}"
    server = start_server(corpus, index_dir, db, workdir)
    yield server
    stop_server(server)


def _run(server, workdir: Path, seconds: int, *extra: str) -> None:
    # Threads would share one Python process for generation, and CPython 3.11's parser is not
    # safe for that (hypothesis describes strategies with ast.parse): one worker.
    command = [_schemathesis(), "--config-file", str(CONFIG), "run", f"{server.url}/api/openapi.json",
               "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--max-time", str(seconds),
               "--phases", "examples,coverage,fuzzing", "--no-color", "--output-truncate", "true", *extra]
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=seconds + 120,
                            check=False)
    if result.returncode != 0:
        report = result.stdout[result.stdout.find("FAILURES") - 40:] if "FAILURES" in result.stdout \
            else result.stdout
        report = re.sub(r"(\\u[0-9a-f]{4}){20,}", "…", report)  # long generated strings
        pytest.fail(f"schemathesis found the API and its document disagreeing:\n{report[-6000:]}\n"
                    f"{result.stderr[-2000:]}", pytrace=False)


@pytest.mark.slow
def test_the_api_behaves_as_its_openapi_document_says_for_staff(api_server, tmp_path):
    acct = account(api_server.db_url, "engineer")
    token = create_token(engine_for(api_server.db_url), acct.name, "schemathesis")
    request = urllib.request.Request(f"{api_server.url}/api/me", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # the run really is signed in
        assert json.load(response)["role"] == "engineer"
    _run(api_server, tmp_path, 35, "--header", f"Authorization: Bearer {token}")


@pytest.mark.slow
def test_the_api_behaves_as_its_openapi_document_says_for_anonymous_callers(api_server, tmp_path):
    _run(api_server, tmp_path, 20)
