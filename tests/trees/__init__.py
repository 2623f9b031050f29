"""Small Markdown trees written in the style of other documentation tools, for first-contact tests.

Each folder is what a team would point kb at: ``mkdocs/docs``, ``docusaurus/docs``,
``hugo/content`` and ``mslearn``. The mapping files are not here: tests take them from the
examples in ``articles/README.md``, so the documented examples are the tested ones.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

TREES = Path(__file__).resolve().parent
README = TREES.parents[1] / "articles" / "README.md"
OFFICEDOCS = TREES.parents[2] / "shared" / "data" / "officedocs-dev"

# layout -> (folder inside tests/trees, heading of its example in articles/README.md)
LAYOUTS = {
    "mkdocs": ("mkdocs/docs", "MkDocs"),
    "docusaurus": ("docusaurus/docs", "Docusaurus"),
    "hugo": ("hugo/content", "Hugo"),
    "mslearn": ("mslearn", "Microsoft Learn"),
}


def documented_mapping(heading: str) -> str:
    """The ```yaml example under ``### heading`` in the authors' guide."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)```yaml\n(.*?)```", text, re.S | re.M)
    assert match, f"articles/README.md has no yaml example under '### {heading}'"
    return match.group(2)


def copy_tree(layout: str, target: Path, *, mapping: bool = True) -> Path:
    """A copy of a layout's tree in ``target``, with its documented kb.yaml unless told not to."""
    folder, heading = LAYOUTS[layout]
    shutil.copytree(TREES / folder, target)
    if mapping:
        (target / "kb.yaml").write_text(documented_mapping(heading), encoding="utf-8")
    return target
