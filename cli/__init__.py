"""kb's command line: one ``kb`` command with subcommands, the top layer of kb.

The command line is the only package that may import every other one (``kb``, ``indexer``
and ``web``); it wires them together and nothing imports it back. Each subcommand lives
in its own module, parses its options, imports what it needs inside the function (so
``kb --help`` stays fast) and calls a plain function of the layer below.
"""

from cli import answer as _answer  # noqa: F401  (registers `kb answer`)
from cli import authoring as _authoring  # noqa: F401  (registers `kb new`, `kb report`, `kb watch`)
from cli import cases as _cases  # noqa: F401  (registers `kb cases`)
from cli import db as _db  # noqa: F401  (registers `kb db upgrade` and `kb db check`)
from cli import importer as _importer  # noqa: F401  (registers `kb import`)
from cli import index as _index  # noqa: F401  (registers `kb index`)
from cli import kcs as _kcs  # noqa: F401  (registers `kb report duplicates|gaps`, `kb tasks`, `kb validate`)
from cli import lint as _lint  # noqa: F401  (registers `kb lint`)
from cli import search as _search  # noqa: F401  (registers `kb search` and `kb suggest`)
from cli import serve as _serve  # noqa: F401  (registers `kb serve`)
from cli import users as _users  # noqa: F401  (registers `kb users` and `kb tokens`)
from cli.app import main

__all__ = ["main"]
