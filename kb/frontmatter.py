"""Split a Markdown file into YAML front matter and body, keeping line numbers.

Lint messages must point at the line of the offending field, which a plain
``yaml.safe_load`` (and python-frontmatter, which wraps it) can't give. So the YAML is
composed into nodes first: the nodes carry their line, and their raw scalar text, which
keeps values such as ``0x80070005`` or ``0042`` from being read as numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

FENCE = "---"
_CLOSERS = ("---", "...")


class FrontMatterError(ValueError):
    """The front matter can't be read; ``line`` is the file line to point at."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass
class FrontMatter:
    """Raw front-matter values with the file line of each key."""

    values: dict[str, yaml.Node] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    duplicates: list[tuple[str, int]] = field(default_factory=list)
    body: str = ""
    body_line: int = 1
    first_line: int = 1  # file line of the first YAML line


def split(text: str) -> tuple[str, str, int, int]:
    """Return ``(yaml_text, body, yaml_first_line, body_first_line)``.

    Leading blank lines are tolerated. Raises :class:`FrontMatterError` when there is no
    front matter or it is never closed.
    """
    lines = text.splitlines(keepends=True)
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start >= len(lines) or lines[start].rstrip() != FENCE:
        raise FrontMatterError(start + 1 if start < len(lines) else 1,
                               "no front matter: an article starts with a '---' line, then YAML "
                               "with at least a title, then another '---' line")
    for end in range(start + 1, len(lines)):
        if lines[end].rstrip() in _CLOSERS:
            yaml_text = "".join(lines[start + 1:end])
            body = "".join(lines[end + 1:])
            return yaml_text, body, start + 2, end + 2
    raise FrontMatterError(start + 1, "front matter is never closed: add a '---' line after the YAML")


# libyaml's parser when PyYAML has it (about ten times faster; same nodes and line marks).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> FrontMatter:
    """Parse front matter into nodes by key; raises :class:`FrontMatterError` on bad YAML."""
    yaml_text, body, first, body_line = split(text)
    try:
        node = yaml.compose(yaml_text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first + mark.line if mark is not None else first
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrontMatterError(line, f"front matter is not valid YAML: {problem}") from None
    result = FrontMatter(body=body, body_line=body_line, first_line=first)
    if node is None:
        return result
    if not isinstance(node, yaml.MappingNode):
        raise FrontMatterError(first, "front matter must be a mapping of 'field: value' lines")
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise FrontMatterError(first + key_node.start_mark.line, "field names must be plain words")
        key = key_node.value
        line = first + key_node.start_mark.line
        if key in result.values:
            result.duplicates.append((key, line))
        result.values[key] = value_node
        result.lines[key] = line
    return result


def node_line(node: yaml.Node, first_line: int) -> int:
    """File line of a YAML node, given the file line where the YAML starts."""
    return first_line + node.start_mark.line


def scalar_text(node: yaml.Node) -> str | None:
    """The scalar as the author wrote it, or None for an explicit null."""
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value
