"""Server-side SVG for the Progress tab: score charts, weekly hours and the drug screen strip,
all drawn on one time axis (the same x for the same day in every chart).

No library and no inline styles (the Content-Security-Policy forbids them): shapes carry CSS
classes defined in static/cadence/cadence.css (prefix `trend-`), plus geometry attributes.
Every chart is an <svg role="img"> labelled by its own <title> and <desc>; the page follows
each one with a table alternative. Text is escaped here, so the result is safe to insert.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .trends import Point, ScoreSeries, ScreenDot, WeekBar, fmt

WIDTH = 760  # viewBox width of every chart
LEFT = 40  # room for y labels
RIGHT = 160  # room for band labels
PLOT = WIDTH - LEFT - RIGHT
TOP = 10
AXIS = 22  # room for the date labels under a plot
SCORE_PLOT_H = 160
HOURS_PLOT_H = 90
STRIP_PLOT_H = 26
MAX_TICKS = 8


def _num(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def el(tag: str, attrs: dict[str, object] | None = None, *children: str) -> str:
    """One element: attributes escaped, children already markup."""
    parts = [tag]
    for key, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        text = _num(value) if isinstance(value, float) else str(value)
        parts.append(f'{key}="{escape(text, quote=True)}"')
    head = " ".join(parts)
    if not children:
        return f"<{head}/>"
    return f"<{head}>{''.join(children)}</{tag}>"


def text(tag: str, content: str, attrs: dict[str, object] | None = None) -> str:
    return el(tag, attrs, escape(content))


@dataclass(frozen=True)
class Axis:
    """Days from `start` to `end` (inclusive) across the plot: a day is a slot of equal width
    and a dated mark sits in the middle of its day."""

    start: dt.date
    end: dt.date
    left: float = LEFT
    width: float = PLOT

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days + 1)

    def edge(self, day: dt.date) -> float:
        """The left edge of a day's slot (clamped to the plot)."""
        offset = min(max((day - self.start).days, 0), self.days)
        return round(self.left + offset * self.width / self.days, 1)

    def x(self, day: dt.date) -> float:
        return round(self.left + ((day - self.start).days + 0.5) * self.width / self.days, 1)

    def ticks(self) -> list[dt.date]:
        """Mondays (up to about six months) or first days of months, at most MAX_TICKS."""
        days = [self.start + dt.timedelta(days=n) for n in range(self.days)]
        if self.days <= 190:
            candidates = [d for d in days if d.weekday() == 0]
        else:
            candidates = [d for d in days if d.day == 1]
        step = max(1, math.ceil(len(candidates) / MAX_TICKS))
        return candidates[::step]


def _frame(uid: str, title: str, desc: str, height: float, kind: str, *body: str) -> SafeString:
    # Every text and attribute is escaped by el()/text().
    return mark_safe(  # noqa: S308  # nosec B308 B703
        el(
            "svg",
            {
                "xmlns": "http://www.w3.org/2000/svg",
                "class": f"trend-chart trend-chart-{kind}",
                "viewBox": f"0 0 {WIDTH} {_num(height)}",
                "role": "img",
                "aria-labelledby": f"{uid}-title {uid}-desc",
                "focusable": "false",
            },
            text("title", title, {"id": f"{uid}-title"}),
            text("desc", desc, {"id": f"{uid}-desc"}),
            *body,
        )
    )


def _x_axis(axis: Axis, top: float, bottom: float, labels: bool = True) -> str:
    """Vertical grid lines at the ticks and their date labels under the plot."""
    parts = [
        el(
            "line",
            {
                "class": "trend-axis",
                "x1": axis.left,
                "x2": axis.left + axis.width,
                "y1": bottom,
                "y2": bottom,
            },
        )
    ]
    for day in axis.ticks():
        x = axis.edge(day)
        parts.append(el("line", {"class": "trend-grid", "x1": x, "x2": x, "y1": top, "y2": bottom}))
        if labels:
            parts.append(
                text(
                    "text",
                    f"{day:%d %b}",
                    {"class": "trend-tick", "x": x, "y": bottom + 15, "text-anchor": "middle"},
                )
            )
    return el("g", {"class": "trend-x", "aria-hidden": "true"}, *parts)


def _points_path(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{_num(x)},{_num(y)}" for x, y in points)


def describe_series(series: ScoreSeries) -> str:
    shown = series.shown
    if not shown:
        return "No scores in this date range."
    parts = [
        f"{len(shown)} score{'s' if len(shown) != 1 else ''} from {shown[0].day:%Y-%m-%d} "
        f"to {shown[-1].day:%Y-%m-%d}, range {series.low} to {series.high}."
    ]
    if series.baseline is not None:
        parts.append(f"Baseline {fmt(series.baseline.value)} on {series.baseline.day:%Y-%m-%d}.")
    if series.change is not None and series.latest is not None:
        parts.append(
            f"Latest {fmt(series.latest.value)} on {series.latest.day:%Y-%m-%d}, change "
            f"{series.change.delta:+g} points."
        )
        parts.append(f"Response: {series.response_text}.")
        if series.remission_below is not None:
            parts.append(f"Remission: {series.remission_text}.")
        parts.append(f"{series.reliable_text}.")
    return " ".join(parts)


def score_chart(series: ScoreSeries, axis: Axis, uid: str) -> SafeString:
    """Band shading, remission threshold, baseline (dashed), the scores joined by a line, and
    marks where response, remission or reliable change (from baseline) hold."""
    low, high = series.low, max(series.high, series.low + 1)
    top, bottom = TOP, TOP + SCORE_PLOT_H
    right = axis.left + axis.width

    def y(value: float) -> float:
        value = min(max(value, low), high)
        return round(top + (high - value) * SCORE_PLOT_H / (high - low), 1)

    body: list[str] = []
    bands = []
    warn = 0
    for band in series.bands:
        upper = min(band.high + 1, high) if band.high < high else high
        y_top, y_bottom = y(upper), y(band.low)
        if band.flag:  # bands that need attention get warmer as they go up
            classes = f"trend-band trend-band-flag trend-band-warn-{min(warn, 2)}"
            warn += 1
        else:
            classes = "trend-band trend-band-ok"
        bands.append(
            el(
                "rect",
                {
                    "class": classes,
                    "x": axis.left,
                    "y": y_top,
                    "width": axis.width,
                    "height": round(y_bottom - y_top, 1),
                },
                text("title", f"{band.label}: {band.low}–{band.high}"),
            )
        )
        bands.append(
            text(
                "text",
                band.label,
                {
                    "class": "trend-band-label",
                    "x": right + 6,
                    "y": round((y_top + y_bottom) / 2 + 4, 1),
                },
            )
        )
    body.append(el("g", {"class": "trend-bands"}, *bands) if bands else "")
    body.append(_x_axis(axis, top, bottom))
    ticks = sorted({low, high, *(b.low for b in series.bands)})
    body.append(
        el(
            "g",
            {"class": "trend-y", "aria-hidden": "true"},
            *(
                text(
                    "text",
                    str(t),
                    {
                        "class": "trend-tick",
                        "x": axis.left - 6,
                        "y": y(t) + 4,
                        "text-anchor": "end",
                    },
                )
                for t in ticks
            ),
        )
    )
    if series.remission_below is not None:
        ry = y(series.remission_below)
        body.append(
            el(
                "line",
                {"class": "trend-threshold", "x1": axis.left, "x2": right, "y1": ry, "y2": ry},
                text("title", f"Remission: below {series.remission_below}"),
            )
        )
    if series.baseline is not None:
        by = y(series.baseline.value)
        body.append(
            el(
                "line",
                {"class": "trend-baseline", "x1": axis.left, "x2": right, "y1": by, "y2": by},
                text(
                    "title",
                    f"Baseline {fmt(series.baseline.value)} ({series.baseline.day:%Y-%m-%d})",
                ),
            )
        )
    shown = series.shown
    coords = [(axis.x(p.day), y(p.value)) for p in shown]
    if len(coords) > 1:
        body.append(el("polyline", {"class": "trend-line", "points": _points_path(coords)}))
    marks: list[str] = []
    dots: list[str] = []
    for point, (x, py) in zip(shown, coords, strict=True):
        marks.extend(_marks(point, x, py))
        dots.append(
            el(
                "circle",
                {
                    "class": "trend-point" + (" trend-point-baseline" if point.is_baseline else ""),
                    "cx": x,
                    "cy": py,
                    "r": 4,
                    "data-date": point.day.isoformat(),
                },
                text("title", _point_title(point)),
            )
        )
    body.append(el("g", {"class": "trend-marks"}, *marks) if marks else "")
    body.append(el("g", {"class": "trend-points"}, *dots) if dots else "")
    return _frame(
        uid,
        f"{series.label}: scores over time",
        describe_series(series),
        bottom + AXIS,
        "score",
        *body,
    )


def _point_title(point: Point) -> str:
    words = [f"{point.day:%Y-%m-%d}: {fmt(point.value)}"]
    if point.band:
        words.append(f"({point.band})")
    if point.is_baseline:
        words.append("baseline")
    elif point.delta is not None:
        words.append(f"change {point.delta:+g}")
    words.extend(point.marks)
    return " ".join(words)


def _marks(point: Point, x: float, y: float) -> Iterable[str]:
    if point.response:
        yield el("circle", {"class": "trend-mark trend-mark-response", "cx": x, "cy": y, "r": 8})
    if point.remission:
        yield el(
            "rect",
            {
                "class": "trend-mark trend-mark-remission",
                "x": x - 11,
                "y": y - 11,
                "width": 22,
                "height": 22,
            },
        )
    if point.reliable == "improved":
        d = f"M{_num(x)},{_num(y - 13)} l-5,-8 h10 z"  # a small triangle pointing at the score
        yield el("path", {"class": "trend-mark trend-mark-improved", "d": d})
    elif point.reliable == "deteriorated":
        d = f"M{_num(x)},{_num(y + 13)} l-5,8 h10 z"
        yield el("path", {"class": "trend-mark trend-mark-deteriorated", "d": d})


def attendance_chart(weeks: Sequence[WeekBar], axis: Axis, uid: str) -> SafeString:
    """A bar per week (attended hours) with the week's target as a line across it."""
    top, bottom = TOP, TOP + HOURS_PLOT_H
    peak = max([1.0, *(w.hours for w in weeks), *(w.target_hours or 0 for w in weeks)])
    scale_top = math.ceil(peak / 3) * 3 + 3  # headroom, on a 3-hour grid

    def y(hours: float) -> float:
        return round(bottom - min(hours, scale_top) * HOURS_PLOT_H / scale_top, 1)

    body = [_x_axis(axis, top, bottom)]
    body.append(
        el(
            "g",
            {"class": "trend-y", "aria-hidden": "true"},
            *(
                text(
                    "text",
                    f"{h} h",
                    {
                        "class": "trend-tick",
                        "x": axis.left - 6,
                        "y": y(h) + 4,
                        "text-anchor": "end",
                    },
                )
                for h in range(0, scale_top + 1, 3 * max(1, math.ceil(scale_top / 15)))
            ),
        )
    )
    bars: list[str] = []
    for week in weeks:
        x1 = axis.edge(week.week)
        x2 = axis.edge(week.week + dt.timedelta(days=7))
        if x2 <= x1:
            continue
        gap = min(2.0, (x2 - x1) / 6)
        below = " trend-bar-below" if week.below_target else ""
        target = f", target {_num(week.target_hours)} h" if week.target_hours is not None else ""
        label = f"Week of {week.week:%Y-%m-%d}: {_num(week.hours)} h attended{target}"
        bars.append(
            el(
                "rect",
                {
                    "class": f"trend-bar{below}",
                    "x": round(x1 + gap, 1),
                    "y": y(week.hours),
                    "width": round(x2 - x1 - 2 * gap, 1),
                    "height": round(bottom - y(week.hours), 1),
                    "data-week": week.week.isoformat(),
                },
                text("title", label),
            )
        )
        if week.target_hours is not None:
            ty = y(week.target_hours)
            bars.append(
                el("line", {"class": "trend-target", "x1": x1, "x2": x2, "y1": ty, "y2": ty})
            )
    body.append(el("g", {"class": "trend-bars"}, *bars) if bars else "")
    short = sum(1 for w in weeks if w.below_target)
    desc = (
        f"{len(weeks)} week{'s' if len(weeks) != 1 else ''} of attendance; {short} below the "
        "weekly target."
        if weeks
        else "No attendance in this date range."
    )
    return _frame(uid, "Attended hours per week", desc, bottom + AXIS, "hours", *body)


def screen_strip(dots: Sequence[ScreenDot], axis: Axis, uid: str) -> SafeString:
    """One dot per resulted screen: negative, positive for an expected substance, unexpected
    positive (larger), invalid."""
    top, bottom = TOP, TOP + STRIP_PLOT_H
    mid = round((top + bottom) / 2, 1)
    body = [_x_axis(axis, top, bottom)]
    marks = [
        el(
            "circle",
            {
                "class": f"trend-screen trend-screen-{dot.kind}",
                "cx": axis.x(dot.day),
                "cy": mid,
                "r": 7 if dot.kind == "unexpected" else 5,
                "data-date": dot.day.isoformat(),
            },
            text("title", f"{dot.day:%Y-%m-%d}: {dot.text}"),
        )
        for dot in dots
    ]
    body.append(el("g", {"class": "trend-screens"}, *marks) if marks else "")
    unexpected = sum(1 for d in dots if d.kind == "unexpected")
    desc = (
        f"{len(dots)} screen{'s' if len(dots) != 1 else ''}; {unexpected} with an unexpected "
        "positive."
        if dots
        else "No drug screen results in this date range."
    )
    return _frame(uid, "Drug screen results", desc, bottom + AXIS, "screens", *body)
