"""kb's command line: one ``kb`` command with subcommands.

Each subcommand lives in its own module, parses its options, imports what it needs
inside the function (so ``kb --help`` stays fast) and calls a plain function in the core.
"""

from kb.cli.app import main
from kb.cli import lint as _lint  # noqa: F401  (registers `kb lint`)
from kb.cli import index as _index  # noqa: F401  (registers `kb index`)
from kb.cli import search as _search  # noqa: F401  (registers `kb search` and `kb suggest`)

__all__ = ["main"]
from kb.cli import users as _users  # noqa: F401,E402  (registers `kb users` and `kb tokens`)
from kb.cli import cases as _cases  # noqa: F401,E402  (registers `kb cases`)
from kb.cli import serve as _serve  # noqa: F401,E402  (registers `kb serve`)
from kb.cli import authoring as _authoring  # noqa: F401,E402  (registers `kb new`, `kb report`, `kb watch`)
from kb.cli import db as _db  # noqa: F401,E402  (registers `kb db upgrade` and `kb db check`)
