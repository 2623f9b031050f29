"""The knowledge loop (KCS): flags and tasks, validated knowledge, gaps, duplicates, measures.

Knowledge-centred support keeps a knowledge base correct by using it: whoever finds an
article wrong flags it (or fixes it), the owner gets a task, recurring problems without an
article become topics and drafts, duplicates are merged, and a few measures show whether
the loop turns. This package is that loop's domain; it imports neither the search engine
nor the web app. Similarity (the sentence encoder, the search index) is passed in as plain
functions or vectors by the command line and the web app.

| module | what it holds |
| --- | --- |
| ``confidence.py`` | an article's effective KCS confidence and freshness |
| ``policy.py`` | the team's rules from the mapping file: fallback owners, teams, the help center's policy |
| ``schema.py`` | the tables: flags, tasks, merges, article views |
| ``tasks.py`` | owned tasks: open, find, resolve or dismiss, impact and age |
| ``flags.py`` | "flag it": reasons, a flag becomes (or joins) its article's task |
| ``sweep.py`` | tasks that come from the knowledge base itself: review dates, votes, reuse |
| ``edit.py`` | front-matter edits written to the article's file: approving, archiving |
| ``duplicates.py`` | pairs of articles that probably say the same thing, with why |
| ``gaps.py`` | what the knowledge base failed to answer, grouped into topics |
| ``measures.py`` | the KCS measures as insight reports (charts and CSV) |
| ``views.py`` | article views, counted per day, for the impact of a task |
"""
