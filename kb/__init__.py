"""kb: a knowledge base and troubleshooting-guide search system for support teams.

The ``kb`` package is the domain: the article model, Markdown parsing and rendering,
resolution codes, the case store and the command line. It never imports Flask or Whoosh.
"""

__version__ = "0.1.0"
