"""Bringing a knowledge base over from a hosted help desk (``kb import``).

Each source system has a module that reads its export and writes Markdown articles in
kb's own format into the articles folder; re-running an import updates the files it
wrote before instead of adding new ones.
"""
