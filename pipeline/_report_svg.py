"""Small inline SVG charts for the HTML report (no dependencies, no scripts).

Every label and title is HTML-escaped here; callers pass raw strings.
The SVG has no ``xmlns`` attribute: it is inlined in HTML5, which does not need one.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["PALETTE", "bar_chart", "column_chart", "legend"]

PALETTE = ("#3b6ea8", "#e08a2c", "#4f9d69", "#b5485d", "#7a5ea8", "#8c8c8c")
_FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _nice_max(value: float) -> float:
    """A round axis maximum >= ``value`` with four round ticks (integers for counts >= 1)."""
    if value <= 0:
        return 4.0
    step = 1.0
    while step * 4 * 10 <= value:
        step *= 10
    while step > 1 and step * 4 / 10 >= value:
        step /= 10
    for mult in (1, 2, 2.5, 5, 10) if step >= 10 else (1, 2, 5, 10):
        if value <= step * mult * 4:
            return step * mult * 4
    return step * 40


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def bar_chart(
    items: Sequence[tuple[str, float]], title: str, colors: Sequence[str] = PALETTE[:1]
) -> str:
    """A horizontal bar chart: one labelled bar per ``(label, value)``, colors cycled."""
    if not items:
        return f'<p class="empty">{escape(title)}: nothing to show.</p>'
    row, label_w, bar_w, value_w = 24, 200, 420, 70
    height = row * len(items) + 10
    width = label_w + bar_w + value_w
    top = max(v for _, v in items) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = max(1.0, bar_w * value / top) if value else 0
        short = label if len(label) <= 30 else label[:29] + "…"
        fill = colors[i % len(colors)]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{fill}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    x_title: str = "",
    colors: Sequence[str] = PALETTE,
) -> str:
    """Vertical (stacked) columns: one column per label, one stacked segment per series.

    Args:
        labels: x-axis category labels; thinned out when there are many.
        series: ``(name, values)`` with one value per label.
        title: accessible title of the chart.
        x_title: caption under the x axis.
        colors: one color per series, cycled.
    """
    if not labels:
        return f'<p class="empty">{escape(title)}: nothing to show.</p>'
    left, right, top_pad, bottom = 48, 12, 14, 78 if x_title else 64
    plot_h = 220
    slot = max(6.0, min(48.0, 900 / len(labels)))
    plot_right = left + slot * len(labels)
    width = max(int(plot_right + right), 360)
    height = top_pad + plot_h + bottom
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    top = _nice_max(max(totals))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}" {_FONT}>',
        f"<title>{escape(title)}</title>",
    ]
    for k in range(5):
        value = top * k / 4
        y = top_pad + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{plot_right:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(value)}</text>'
        )
    every = max(1, round(len(labels) / 40))
    for i, label in enumerate(labels):
        x = left + i * slot
        base = top_pad + plot_h
        for s, (name, values) in enumerate(series):
            value = values[i]
            if not value:
                continue
            h = plot_h * value / top
            base -= h
            parts.append(
                f'<rect x="{x + slot * 0.1:.1f}" y="{base:.1f}" width="{slot * 0.8:.1f}" '
                f'height="{h:.1f}" fill="{colors[s % len(colors)]}">'
                f"<title>{escape(label)} {escape(name)}: {_fmt(value)}</title></rect>"
            )
        if totals[i] and slot >= 18:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{base - 3:.1f}" text-anchor="middle" '
                f'font-size="10">{_fmt(totals[i])}</text>'
            )
        if i % every == 0:
            lx, ly = x + slot / 2, top_pad + plot_h + 10
            parts.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" font-size="10" '
                f'transform="rotate(-45 {lx:.1f} {ly:.1f})">{escape(label)}</text>'
            )
    axis_y = top_pad + plot_h
    parts.append(
        f'<line x1="{left}" x2="{plot_right:.1f}" y1="{axis_y}" y2="{axis_y}" stroke="#555"/>'
    )
    if x_title:
        parts.append(
            f'<text x="{(left + width - right) / 2:.1f}" y="{height - 6}" '
            f'text-anchor="middle">{escape(x_title)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def legend(names: Sequence[str], colors: Sequence[str] = PALETTE) -> str:
    """An HTML legend matching the series colors of :func:`column_chart`."""
    return (
        '<p class="legend">'
        + " ".join(
            f'<span><i style="background:{colors[i % len(colors)]}"></i>{escape(name)}</span>'
            for i, name in enumerate(names)
        )
        + "</p>"
    )
