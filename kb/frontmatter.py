"""Split a Markdown file into YAML front matter and body, keeping line numbers.

Lint messages must point at the line of the offending field, which a plain
``yaml.safe_load`` (and python-frontmatter, which wraps it) can't give. So the YAML is
composed into nodes first: the nodes carry their line, and their raw scalar text, which
keeps values such as ``0x80070005`` or ``0042`` from being read as numbers.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import yaml

FENCE = "---"
TOML_FENCE = "+++"  # Hugo's TOML front matter
_CLOSERS = ("---", "...")


class FrontMatterError(ValueError):
    """The front matter can't be read; ``line`` is the file line to point at."""

    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


class NoFrontMatter(FrontMatterError):
    """The file does not start with front matter at all (many Markdown trees have none)."""


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
    if start >= len(lines) or lines[start].rstrip() not in (FENCE, TOML_FENCE):
        raise NoFrontMatter(start + 1 if start < len(lines) else 1,
                            "no front matter: an article starts with a '---' line, then YAML "
                            "with at least a title, then another '---' line")
    closers = _CLOSERS if lines[start].rstrip() == FENCE else (TOML_FENCE,)
    for end in range(start + 1, len(lines)):
        if lines[end].rstrip() in closers:
            yaml_text = "".join(lines[start + 1:end])
            body = "".join(lines[end + 1:])
            return yaml_text, body, start + 2, end + 2
    raise FrontMatterError(start + 1, f"front matter is never closed: add a '{lines[start].rstrip()}' line "
                                      "after it")


# libyaml's parser when PyYAML has it (about ten times faster; same nodes and line marks).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str) -> FrontMatter:
    """Parse front matter into nodes by key; raises :class:`FrontMatterError` on bad YAML
    (or TOML, between '+++' lines) and :class:`NoFrontMatter` when there is none."""
    yaml_text, body, first, body_line = split(text)
    if text.lstrip().startswith(TOML_FENCE):  # split() checked that the first line is a fence
        return _parse_toml(yaml_text, body, first, body_line)
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


def _parse_toml(toml_text: str, body: str, first: int, body_line: int) -> FrontMatter:
    """Hugo's TOML front matter, turned into the same YAML nodes (and key lines) as YAML's."""
    import tomllib

    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = first + int(match.group(1)) - 1 if match else first
        raise FrontMatterError(line, f"front matter is not valid TOML: {exc}") from None
    result = FrontMatter(body=body, body_line=body_line, first_line=first)
    key_lines = {}
    for offset, line in enumerate(toml_text.splitlines()):
        match = re.match(r"""\s*["']?([^"'=\s]+)["']?\s*=""", line)
        if match and match.group(1) not in key_lines:
            key_lines[match.group(1)] = first + offset
        elif line.strip().startswith("["):
            break  # a table: the keys after it belong to it, not to the top level
    for key, value in data.items():
        dumped = yaml.safe_dump({key: _toml_plain(value)}, allow_unicode=True, sort_keys=False)
        node = yaml.compose(dumped, Loader=_LOADER)
        result.values[key] = node.value[0][1]
        result.lines[key] = key_lines.get(key, first)
    return result


def _toml_plain(value):
    """TOML values as what YAML would have read: dates stay dates, times become text."""
    if isinstance(value, dict):
        return {k: _toml_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_toml_plain(v) for v in value]
    if isinstance(value, datetime.time):
        return value.isoformat()
    return value


def node_line(node: yaml.Node, first_line: int) -> int:
    """File line of a YAML node, given the file line where the YAML starts."""
    return first_line + node.start_mark.line


def scalar_text(node: yaml.Node) -> str | None:
    """The scalar as the author wrote it, or None for an explicit null."""
    if node.tag == "tag:yaml.org,2002:null":
        return None
    return node.value
