"""kb's architecture, as rules a change can break: layers, no import cycles, file sizes.

    kb/       the domain                imports neither indexer, web, cli, Flask, Whoosh nor click
    indexer/  the search engine         imports kb; the only package that imports Whoosh
    web/      the Flask app             imports kb and indexer, never Whoosh or the command line
    cli/      the `kb` command, on top  imports anything; nothing imports it

Every import counts, at module level or deferred inside a function (see
``tests/architecture.py`` for how imports are read and why deferred ones count for cycles
too). Each rule has a test of the test below: a small tree written to a temporary folder
that breaks it, and the failure it must report.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.architecture import (
    Rule,
    collect_imports,
    environment_reads,
    import_cycles,
    long_classes,
    long_files,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("kb", "indexer", "web", "cli")

RULES = (
    Rule("kb", ("indexer", "web", "cli", "flask", "whoosh", "click"),
         "kb/ is the domain: it knows nothing of the search engine, the web app, the command line "
         "or their libraries (take what you need as an argument, as kb/cases/learning.py does)"),
    Rule("indexer", ("web", "cli", "flask", "click"),
         "indexer/ is the search engine: it may use kb/, never the web app or the command line"),
    Rule("web", ("cli", "whoosh", "click"),
         "web/ reaches the index only through indexer/'s API, and never imports the command line"),
    Rule("cli", ("whoosh",), "only indexer/ imports Whoosh; the command line goes through indexer/'s API"),
)

# Source files and classes longer than these are split by job.
MAX_LINES = 600
MAX_CLASS_LINES = 300
SIZE_LIMITED = ("kb", "web", "cli", "indexer")

# The only modules that may touch the process environment: the settings table, and the
# history module, which hands the environment on to `git` with a few variables added.
ENVIRONMENT_READERS = ("kb/settings.py", "kb/history.py")


@pytest.fixture(scope="module")
def imports():
    return collect_imports(ROOT, PACKAGES)


def test_the_walk_sees_every_package_and_deferred_imports(imports):
    assert {imp.module.split(".")[0] for imp in imports} == set(PACKAGES)
    assert any(imp.deferred for imp in imports) and any(not imp.deferred for imp in imports)


@pytest.mark.parametrize("rule", RULES, ids=[rule.package for rule in RULES])
def test_each_layer_imports_only_what_is_below_it(imports, rule):
    breaches = rule.breaches(imports)
    assert not breaches, "\n".join(breaches)


def test_no_import_cycles_between_modules(imports):
    cycles = import_cycles(imports)
    assert not cycles, "\n".join(cycles)


def test_no_source_file_is_over_the_line_limit():
    too_long = long_files(ROOT, SIZE_LIMITED, MAX_LINES)
    assert not too_long, "split these by job:\n" + "\n".join(too_long)


def test_no_class_is_over_the_line_limit():
    too_long = long_classes(ROOT, SIZE_LIMITED, MAX_CLASS_LINES)
    assert not too_long, "split these by job:\n" + "\n".join(too_long)


def test_only_the_settings_table_reads_kb_environment_variables():
    reads = [r for r in environment_reads(ROOT, PACKAGES) if not r.startswith(ENVIRONMENT_READERS)]
    assert not reads, "read settings through kb/settings.py:\n" + "\n".join(reads)


# --- tests of the tests: each rule, broken on purpose, is reported with file, line and import ---


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


BREACHES = {  # file: (its text, the package whose rule it breaks, what the message must say)
    "kb/engine.py": ("import indexer.search\n", "kb",
                     "kb/engine.py:1: `import indexer.search` imports indexer"),
    "kb/late.py": ("def f():\n    from web import views\n", "kb",
                   "kb/late.py:2: deferred `from web import views` imports web"),
    "kb/flaskish.py": ("from flask import Flask\n", "kb",
                       "kb/flaskish.py:1: `from flask import Flask`"),
    "kb/whooshy.py": ("import os\nimport whoosh.index as wi\n", "kb",
                      "kb/whooshy.py:2: `import whoosh.index as wi`"),
    "kb/clicky.py": ("import click\n", "kb",
                     "kb/clicky.py:1: `import click` imports click"),
    "indexer/views.py": ("from web.app import create\n", "indexer",
                         "indexer/views.py:1: `from web.app import create` imports web"),
    "indexer/server.py": ("class S:\n    import flask\n", "indexer",
                          "indexer/server.py:2: `import flask`"),
    "indexer/cmd.py": ("def main():\n    if True:\n        from cli import main\n", "indexer",
                       "indexer/cmd.py:3: deferred `from cli import main` imports cli"),
    "web/engine.py": ("from whoosh import qparser\n", "web",
                      "web/engine.py:1: `from whoosh import qparser`"),
    "web/cmd.py": ("async def run():\n    import cli.app\n", "web",
                   "web/cmd.py:2: deferred `import cli.app`"),
    "cli/raw.py": ("from whoosh.index import open_dir\n", "cli",
                   "cli/raw.py:1: `from whoosh.index import open_dir`"),
}


@pytest.mark.parametrize("rule", RULES, ids=[rule.package for rule in RULES])
def test_a_breach_of_each_layer_rule_is_reported_with_file_line_and_import(tmp_path, rule):
    cases = {rel: case for rel, case in BREACHES.items() if case[1] == rule.package}
    root = _tree(tmp_path, {rel: text for rel, (text, _package, _message) in cases.items()})
    breaches = rule.breaches(collect_imports(root, PACKAGES))
    assert len(breaches) == len(cases)
    for _text, _package, message in cases.values():
        assert any(message in breach for breach in breaches), (message, breaches)
    assert all(rule.why in breach for breach in breaches)


def test_a_relative_import_is_resolved_before_the_rules_apply(tmp_path):
    root = _tree(tmp_path, {"kb/sub/__init__.py": "from .. import model\n", "kb/model.py": "",
                            "web/pages/__init__.py": "", "web/pages/a.py": "from ..util import x\n",
                            "web/util.py": "x = 1\n"})
    targets = {(imp.module, imp.target) for imp in collect_imports(root, PACKAGES)}
    assert targets == {("kb.sub", "kb.model"), ("web.pages.a", "web.util")}


def test_a_relative_import_beyond_the_top_level_is_an_error(tmp_path):
    root = _tree(tmp_path, {"kb/sub/up.py": "from ... import cli\n"})
    with pytest.raises(ValueError, match=r"kb/sub/up\.py:1: relative import beyond the top-level package"):
        collect_imports(root, PACKAGES)


def test_a_cycle_is_reported_even_when_one_side_is_deferred(tmp_path):
    root = _tree(tmp_path, {
        "kb/p.py": "from kb import q\n",
        "kb/q.py": "def later():\n    from .p import thing\n",
        "kb/r.py": "import kb.p\nimport kb\n",  # depends on the cycle without being in it
    })
    cycles = import_cycles(collect_imports(root, PACKAGES))
    assert cycles == ["import cycle kb.p -> kb.q -> kb.p (kb/p.py:1: `from kb import q`; "
                      "kb/q.py:2: deferred `from .p import thing`)"]


def test_a_clean_tree_reports_nothing(tmp_path):
    root = _tree(tmp_path, {"kb/model.py": "import yaml\n",
                            "indexer/search.py": "import whoosh\nfrom kb import model\n",
                            "web/app.py": "import flask\nimport indexer.search\n",
                            "cli/main.py": "import click\nfrom web import app\n"})
    found = collect_imports(root, PACKAGES)
    assert [b for rule in RULES for b in rule.breaches(found)] == [] and import_cycles(found) == []


def test_an_overlong_file_is_reported_with_its_length(tmp_path):
    root = _tree(tmp_path, {"web/big.py": "x = 1\n" * (MAX_LINES + 1), "web/fine.py": "x = 1\n" * MAX_LINES})
    assert long_files(root, SIZE_LIMITED, MAX_LINES) == [
        f"web/big.py: {MAX_LINES + 1} lines (at most {MAX_LINES})"]


def test_an_overlong_class_is_reported_with_its_place_and_length(tmp_path):
    body = "    x = 1\n" * (MAX_CLASS_LINES - 2)
    root = _tree(tmp_path, {"indexer/big.py": f"import dataclasses\n\n\n@dataclasses.dataclass\nclass Big:\n{body}    y = 2\n",
                            "indexer/fine.py": f"class Fine:\n{body}    y = 2\n"})
    assert long_classes(root, SIZE_LIMITED, MAX_CLASS_LINES) == [
        f"indexer/big.py:5: class Big: {MAX_CLASS_LINES + 1} lines (at most {MAX_CLASS_LINES})"]


def test_an_environment_read_outside_the_settings_table_is_reported(tmp_path):
    root = _tree(tmp_path, {"web/app.py": "import os\nKEY = os.environ.get('KB_SECRET_KEY')\n",
                            "indexer/enc.py": "import os\n\ndef d():\n    return os.getenv('HOME')\n"})
    assert environment_reads(root, PACKAGES) == [
        "indexer/enc.py:4: os.getenv", "web/app.py:2: os.environ", "web/app.py:2: 'KB_SECRET_KEY'"]
