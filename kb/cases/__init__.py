"""Support cases: the store, the rules for closing them, and what they teach the knowledge base.

Modules, each usable on its own:

- ``schema``: tables and migrations (cases, article links, self-service events).
- ``store``: create, update, link, resolve and close cases; reuse counts.
- ``rules``: what closing with a resolution code requires, as typed errors.
- ``importer``: bulk import from CSV or JSON lines, validated row by row.
- ``learning``: similar closed cases and the article boosts they imply.
- ``deflection``: the public contact-support flow, step by step.
- ``capture``: a draft article written from a solved case.
- ``insights`` and ``charts``: report rows, CSV and server-side SVG.
"""
