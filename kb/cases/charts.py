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
_LABEL_CHARS = 38


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _svg(width: int, height: int, title: str, parts: list[str]) -> str:
    label = escape(title)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{label}" font-family="{escape(FONT)}" font-size="12">'
            f"<title>{label}</title>" + "".join(parts) + "</svg>")


def _empty(title: str, width: int) -> str:
    return _svg(width, 60, title, [f'<text x="{width / 2:.0f}" y="34" text-anchor="middle" fill="#555">'
                                   "No data yet</text>"])


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, percent: bool = False, width: int = 640,
              bar_height: int = 22) -> str:
    """Horizontal bars, one per ``(label, value)``, in the order given.

    Horizontal because labels are article titles and search queries: they need the room.
    """
    if not items:
        return _empty(title, width)
    label_width = 260
    plot = width - label_width - 60
    top = 8
    peak = max((v for _, v in items), default=0) or 1
    if percent:
        peak = max(peak, 1.0)
    parts = []
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_height + 6)
        length = max(0.0, value) / peak * plot
        text = escape(str(label))
        parts.append(
            f'<g><title>{text}: {escape(_fmt(value, percent))}</title>'
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end" fill="#222">'
            f"{escape(_short(str(label)))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar_height * 0.7:.1f}" fill="#222">'
            f"{escape(_fmt(value, percent))}</text></g>")
    height = top * 2 + len(items) * (bar_height + 6)
    return _svg(width, height, title, parts)


def line_chart(x_labels: Sequence[str], series: Mapping[str, Sequence[float | None]], *, title: str,
               percent: bool = False, width: int = 640, height: int = 260) -> str:
    """One line per series over shared x labels; ``None`` values leave a gap.

    :param percent: values are fractions 0..1, drawn on a 0-100% axis.
    """
    values = [v for points in series.values() for v in points if v is not None]
    if not x_labels or not values:
        return _empty(title, width)
    left, right, top, bottom = 56, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = 1.0 if percent else (max(values) or 1)
    n = len(x_labels)

    def x(i: int) -> float:
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - (max(0.0, v) / peak) * plot_h

    parts = []
    for fraction in (0, 0.5, 1):
        gy = y(peak * fraction)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{gy:.1f}" y2="{gy:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{gy + 4:.1f}" text-anchor="end" fill="#555">'
                     f"{escape(_fmt(peak * fraction, percent))}</text>")
    for i in sorted({0, n // 2, n - 1}):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="#555">'
                     f"{escape(_short(str(x_labels[i]), 16))}</text>")
    for s, (name, points) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        runs: list[list[str]] = [[]]
        for i, v in enumerate(points[:n]):
            if v is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(v):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                         f"<title>{escape(str(name))}, {escape(str(x_labels[i]))}: "
                         f"{escape(_fmt(v, percent))}</title></circle>")
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                             'stroke-width="2"/>')
        lx = left + s * 160
        parts.append(f'<rect x="{lx}" y="8" width="12" height="12" fill="{color}"/>'
                     f'<text x="{lx + 16}" y="18" fill="#222">{escape(_short(str(name), 22))}</text>')
    return _svg(width, height, title, parts)
