"""Server-side SVG charts: a horizontal bar chart and a line chart, as strings.

No script, no external fonts or stylesheets, and no ``style`` attributes (only SVG
presentation attributes), so the charts render offline and under a strict
Content-Security-Policy. Every label is XML-escaped: case titles and search queries come
from customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030")
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"
# Charts are drawn 560 units wide and scaled to their box. Text is sized for a phone, where
# the box is about 320 px: 22 units read as 12.5 px there, and as about 17 px on a desktop,
# where kb.css draws a chart at most 440 px wide.
WIDTH = 560
WIDE = 1280  # a chart given a page's whole width on a desktop (at most 1000 px, kb.css)
TEXT = 22
SMALL = 20
CHAR = 0.56  # average glyph width in em for the sans-serif fonts above, to fit labels


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(1, limit - 1)] + "\u2026"


def _fits(width: float, size: int) -> int:
    """How many characters of text at ``size`` fit in ``width`` units."""
    return max(4, int(width / (size * CHAR)))


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _svg(width: int, height: int, title: str, parts: list[str]) -> str:
    label = escape(title)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{label}" font-family="{escape(FONT)}" font-size="{TEXT}">'
            f"<title>{label}</title>" + "".join(parts) + "</svg>")


def _empty(title: str, width: int) -> str:
    return _svg(width, 80, title, [f'<text x="{width / 2:.0f}" y="48" text-anchor="middle" fill="#555">'
                                   "No data yet</text>"])


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, percent: bool = False,
              width: int = WIDTH) -> str:
    """Horizontal bars, one per ``(label, value)``, in the order given.

    Each label sits on its own line above its bar, with the value at the right end of that
    line: labels are article titles and search queries, and this way they get the chart's
    whole width at any screen size instead of being cut at the left edge.
    """
    if not items:
        return _empty(title, width)
    row = TEXT + 10 + 16 + 14  # label line, gap, bar, space to the next row
    peak = max((v for _, v in items), default=0) or 1
    if percent:
        peak = max(peak, 1.0)
    parts = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        shown = _fmt(value, percent)
        room = width - (len(shown) + 2) * TEXT * CHAR
        length = max(0.0, value) / peak * width
        text = escape(str(label))
        parts.append(
            f'<g><title>{text}: {escape(shown)}</title>'
            f'<text x="0" y="{y + TEXT - 4}" fill="#222">'
            f"{escape(_short(str(label), _fits(room, TEXT)))}</text>"
            f'<text x="{width}" y="{y + TEXT - 4}" text-anchor="end" fill="#222" font-weight="600">'
            f"{escape(shown)}</text>"
            f'<rect x="0" y="{y + TEXT + 6}" width="{width}" height="16" fill="#edf1f7"/>'
            f'<rect x="0" y="{y + TEXT + 6}" width="{length:.1f}" height="16" fill="{PALETTE[0]}"/></g>')
    return _svg(width, 8 + len(items) * row, title, parts)


def _ticks(n: int, positions, label_width: float, left: float, right: float, most: int = 5) -> list[int]:
    """Indexes of the x labels to draw: evenly spread, first and last included, none overlapping.

    The first label is drawn from the left edge and the last up to the right edge (so
    neither is cut); the ones between are centred on their point.
    """
    def spans(ticks: list[int]) -> list[tuple[float, float]]:
        out = []
        for i in ticks:
            if i == 0 and n > 1:
                out.append((left, left + label_width))
            elif i == n - 1 and n > 1:
                out.append((right - label_width, right))
            else:
                out.append((positions(i) - label_width / 2, positions(i) + label_width / 2))
        return out

    for count in range(min(n, most), 1, -1):
        step = (n - 1) / (count - 1)
        ticks = sorted({round(k * step) for k in range(count)})
        edges = spans(ticks)
        if all(a[1] + 8 <= b[0] for a, b in zip(edges, edges[1:], strict=False)):
            return ticks
    return [n - 1] if n else []


def line_chart(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str,
               percent: bool = False, width: int = WIDTH, height: int = 340) -> str:
    """One line per series over shared x labels; ``None`` values leave a gap.

    The x labels are drawn at a few evenly spread points, the first and last aligned to
    the chart's edges so they are never cut. Callers pass every period in the range (with
    None or 0 where nothing happened), so a quiet spell shows as a gap, not one step.

    :param percent: values are fractions 0..1, drawn on a 0-100% axis.
    """
    values = [v for points in series.values() for v in points if v is not None]
    if not x_labels or not values:
        return _empty(title, width)
    left, right, top, bottom = 8 + int(5 * SMALL * CHAR), 8, 44, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = 1.0 if percent else (max(values) or 1)
    if not percent and all(float(v).is_integer() for v in values) and peak % 2:
        peak += 1  # counts: an even top keeps the middle gridline a whole number
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (max(0.0, v) / peak) * plot_h

    parts = []
    for fraction in (0, 0.5, 1):
        gy = y(peak * fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{gy + SMALL / 3:.1f}" text-anchor="end" fill="#555" '
                     f'font-size="{SMALL}">{escape(_fmt(peak * fraction, percent))}</text>')
    label_width = max(len(_short(str(v), 12)) for v in x_labels) * SMALL * CHAR
    for i in _ticks(n, x, label_width, left, width - right):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        tx = left if anchor == "start" else width - right if anchor == "end" else x(i)
        parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{top + plot_h}" y2="{top + plot_h + 5}" '
                     f'stroke="#999"/><text x="{tx:.1f}" y="{height - bottom + SMALL + 10}" '
                     f'text-anchor="{anchor}" fill="#555" font-size="{SMALL}">'
                     f"{escape(_short(str(x_labels[i]), 12))}</text>")
    legend_x = left
    for s, (name, points) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(points[:n]):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="4" fill="{color}">'
                         f"<title>{escape(str(name))}, {escape(str(x_labels[i]))}: "
                         f"{escape(_fmt(v, percent))}</title></circle>")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                             'stroke-width="3"/>')
        name_text = _short(str(name), 22)
        parts.append(f'<rect x="{legend_x}" y="8" width="16" height="16" fill="{color}"/>'
                     f'<text x="{legend_x + 22}" y="{8 + SMALL * 0.8:.1f}" fill="#222" font-size="{SMALL}">'
                     f"{escape(name_text)}</text>")
        legend_x += 22 + int(len(name_text) * SMALL * CHAR) + 24
    return _svg(width, height, title, parts)
