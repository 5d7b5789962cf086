"""The report as one self-contained HTML page: charts by matplotlib, inline, and their numbers.

The page loads nothing: each chart is an SVG drawn by matplotlib with its text as paths
(no font to fetch), the style sits in the page, and there is no script; a Content
Security Policy says so to the browser too, so the file is safe to e-mail and opens
offline on any phone. Every chart has a caption that says what it shows and, beside it,
a table of the numbers it was drawn from: the text alternative for a screen reader, and
what a physiotherapist may want to copy. Colours are the Okabe-Ito set, each series also
told apart by its marker or hatching, for readers who do not see colour.

matplotlib is imported here only, and this module only by `coach report`.

Longer than 400 lines because each of the four charts is drawn here beside the table of
its numbers; the page's markup and style are in report_page.html.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup

from coach.record.report import Report, Trend, monday, plural

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

BLUE, VERMILLION, ORANGE, GREEN, SKY, PURPLE, YELLOW = (
    "#0072B2", "#D55E00", "#E69F00", "#009E73", "#56B4E9", "#CC79A7", "#F0E442",
)  # fmt: skip
SERIES = [(BLUE, "o", "-"), (VERMILLION, "^", "--"), (GREEN, "s", "-."), (PURPLE, "D", ":"), (ORANGE, "v", "-")]
GREY = "#BBBBBB"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Nothing may be fetched: no script, no font, no image from anywhere; only the page's own style.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
TEMPLATE = "report_page.html"  # beside this module: the page's markup and style


@dataclass(frozen=True)
class Table:
    caption: str  # for a screen reader: the table's caption is visually hidden
    header: list[str]
    rows: list[list[str]]
    numeric: set[int]  # columns aligned as numbers


@dataclass(frozen=True)
class Chart:
    name: str
    svg: Markup  # matplotlib's, the one value the page does not escape
    caption: str
    table: Table | None


def render_html(report: Report, made_on: date) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    values: dict[str, object] = {
        "report": report,
        "policy": POLICY,
        "title": f"Exercise report, {_day(report.period.first)} to {_day(report.period.last)}",
        "period": _period_text(report),
        "sessions_before": plural(report.sessions_ever, "session"),
        "made_on": _day(made_on),
    }
    if report.sessions:
        values |= {
            "glance": _glance(report),
            "calendar": Chart("calendar", _calendar_chart(report), _calendar_caption(report), _weeks_table(report)),
            "weeks": Chart("weeks", _weeks_chart(report), _weeks_caption(report), None),
            "pain": _pain(report),
            "work": [_work(report, unit) for unit in ("reps", "sets") if any(w.unit == unit for w in report.work)],
            "recent_shown": len(report.recent),
            "sessions": _sessions_table(report),
        }
    return environment.get_template(TEMPLATE).render(values)


# --- words ----------------------------------------------------------------------------------


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _period_text(report: Report) -> str:
    period = report.period
    weeks = f" ({plural(len(period.mondays()), 'week')})"
    return f"{_day(period.first)} to {_day(period.last)}{weeks}: {plural(report.sessions, 'session')}"


def _trend_words(trend: Trend | None) -> str:
    if trend is None:
        return "no trend yet (ratings on two days or more make one)"
    change = trend.end - trend.start
    way = "down" if change < -0.25 else "up" if change > 0.25 else "level"
    return f"trend {way}, from {trend.start:.1f} to {trend.end:.1f}"


def _glance(report: Report) -> list[tuple[str, str]]:
    weeks = max(report.period.days / 7, 1)
    items = [
        (str(report.sessions), "sessions"),
        (f"{report.sessions / weeks:.1f}", "sessions a week"),
        (str(len(report.days)), f"days with a session, of {report.period.days}"),
        (str(report.days_stopped), "days stopped early only"),
        (str(report.streak), f"{'day' if report.streak == 1 else 'days'} in a row, to {_day(report.period.last)}"),
    ]
    if report.trend_after is not None:
        items.append((f"{report.trend_after.start:.0f} → {report.trend_after.end:.0f}", "pain after, trend"))
    for kept in report.adherence:
        items.append((f"{kept.percent}%", f"of the sessions {kept.title} asks ({kept.schedule.text()})"))
    return items


def _calendar_caption(report: Report) -> str:
    return (
        f"Each day of the period: a filled blue square for a finished session, an open orange square for a "
        f"session stopped early, a grey dot for none. {plural(report.days_finished, 'day')} finished, "
        f"{report.days_stopped} stopped early, of {report.period.days}."
    )


def _weeks_caption(report: Report) -> str:
    best = max(report.weeks, key=lambda week: week.finished + week.stopped)
    goal = f" Dashed line: the routine's aim of {report.per_week_goal} a week." if report.per_week_goal else ""
    return (
        f"Sessions per week, finished (solid blue) and stopped early (hatched orange); the most in one week was "
        f"{best.finished + best.stopped}, in the week of {_day(best.monday)}.{goal}"
    )


# --- tables ---------------------------------------------------------------------------------


def _weeks_table(report: Report) -> Table:
    rows = [
        [f"{week.monday.isoformat()}", str(week.finished), str(week.stopped), str(_days_in_week(report, week.monday))]
        for week in report.weeks
    ]
    header = ["Week of", "Finished", "Stopped early", "Days with a session"]
    return Table("Sessions per week", header, rows, {1, 2, 3})


def _days_in_week(report: Report, week: date) -> int:
    return sum(monday(day) == week for day in report.days)


def _pain_value(value: int | None) -> str:
    return "" if value is None else str(value)


def _pain_change(before: int | None, after: int | None) -> str:
    return "" if before is None and after is None else f"{_pain_value(before)} → {_pain_value(after)}"


def _minutes(seconds: float) -> str:
    return "under a minute" if seconds < 60 else f"{round(seconds / 60)} min"


def _sessions_table(report: Report) -> Table:
    several = len({row.routine for row in report.recent}) > 1  # one routine: named below, not on every row
    rows = [
        [
            f"{row.started_at:%Y-%m-%d %H:%M}",
            *([row.routine] if several else []),
            _minutes(row.seconds),
            "finished" if row.status == "finished" else "stopped early",
            _pain_change(row.pain_before, row.pain_after),
        ]
        for row in report.recent
    ]
    header = ["Date", *(["Routine"] if several else []), "Length", "Ended", "Pain before → after"]
    return Table("Sessions, newest first", header, rows, {2 if several else 1})


# --- charts ---------------------------------------------------------------------------------


def _new_figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(6, height))  # narrow: legible on a phone


def _svg(figure: Figure, name: str, chart: str) -> Markup:
    """The figure as an SVG element that scales with the page, its ids its own, labelled by
    the caption of the chart it stands in."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": name, "svg.fonttype": "path"}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    text = out.getvalue()
    text = text[text.index("<svg ") :]
    text = re.sub(r'<svg ([^>]*?)width="[^"]*" height="[^"]*"', r"<svg \1", text, count=1)
    return Markup(text.replace("<svg ", f'<svg role="img" aria-labelledby="{chart}-caption" ', 1))


def _style(axes: Axes) -> None:
    from matplotlib.ticker import MaxNLocator

    if axes.get_ylabel():  # counts: whole numbers only
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(labelsize=10)


def _legend(figure: Figure, axes: Axes) -> None:
    """Under the chart, across, so the chart keeps the page's whole width. Margins in inches,
    set rather than solved (a constrained layout drew every chart twice: a third of the time)."""
    width, height = figure.get_size_inches()
    entries = len(axes.get_legend_handles_labels()[1])
    rows = -(-entries // 3)
    legend_height = 0.08 + 0.24 * rows
    bottom = legend_height + 0.5  # the dates, and the year beside the last of them
    figure.subplots_adjust(left=0.7 / width, right=1 - 0.15 / width, top=1 - 0.12 / height, bottom=bottom / height)
    figure.legend(loc="lower center", ncols=3, frameon=False, fontsize=10, bbox_to_anchor=(0.5, 0.0))


def _date_axis(axes: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(minticks=3, maxticks=9)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _when(days: list[date] | list[datetime]) -> list[float]:
    """Days as matplotlib's date numbers, for its axes."""
    from matplotlib.dates import date2num

    return [float(date2num(day)) for day in days]  # type: ignore[no-untyped-call]


def _calendar_chart(report: Report) -> Markup:
    mondays = report.period.mondays()
    figure = _new_figure(2.9)
    axes = figure.add_subplot()
    size = max(4.0, min(110.0, (380 / len(mondays)) ** 2 * 0.45))
    groups: dict[str, tuple[list[date], list[int]]] = {"finished": ([], []), "stopped": ([], []), "none": ([], [])}
    day = report.period.first
    while day <= report.period.last:
        xs, ys = groups[report.days.get(day, "none")]
        xs.append(monday(day))
        ys.append(day.weekday())
        day += timedelta(days=1)
    xs, ys = groups["none"]
    axes.scatter(_when(xs), ys, s=size * 0.15, marker="o", color=GREY, label="none")
    xs, ys = groups["stopped"]
    stopped = {"facecolors": "white", "edgecolors": ORANGE, "linewidths": 2}
    axes.scatter(_when(xs), ys, s=size, marker="s", label="stopped early", **stopped)  # type: ignore[arg-type]
    xs, ys = groups["finished"]
    axes.scatter(_when(xs), ys, s=size, marker="s", color=BLUE, label="finished")
    axes.set_yticks(range(7), WEEKDAYS)
    axes.set_ylim(6.6, -0.6)
    axes.set_xlim(*_when([mondays[0] - timedelta(days=4), mondays[-1] + timedelta(days=4)]))
    _date_axis(axes)
    _style(axes)
    axes.spines["left"].set_visible(False)
    axes.tick_params(axis="y", length=0)
    _legend(figure, axes)
    return _svg(figure, "calendar", "calendar")


def _weeks_chart(report: Report) -> Markup:
    figure = _new_figure(2.6)
    axes = figure.add_subplot()
    finished = [week.finished for week in report.weeks]
    stopped = [week.stopped for week in report.weeks]
    hatched = {"facecolor": "white", "edgecolor": ORANGE, "hatch": "///"}
    if len(report.weeks) <= 26:  # a bar a week
        middles = _when([week.monday + timedelta(days=3) for week in report.weeks])
        axes.bar(middles, finished, width=5.0, color=BLUE, label="finished")
        axes.bar(middles, stopped, width=5.0, bottom=finished, label="stopped early", **hatched)  # type: ignore[arg-type]
    else:  # months and years of weeks: one outline each, not hundreds of bars
        edges = _when([week.monday for week in report.weeks] + [report.weeks[-1].monday + timedelta(weeks=1)])
        axes.stairs(finished, edges, fill=True, color=BLUE, label="finished")
        total = [done + early for done, early in zip(finished, stopped, strict=True)]
        axes.stairs(total, edges, baseline=finished, fill=True, label="stopped early", **hatched)  # type: ignore[arg-type]
    if report.per_week_goal:
        axes.axhline(report.per_week_goal, color="#333333", linestyle="--", linewidth=1, label="aim")
    axes.set_ylabel("sessions", fontsize=10)
    _date_axis(axes)
    _style(axes)
    _legend(figure, axes)
    return _svg(figure, "weeks", "weeks")


def _pain(report: Report) -> Chart | None:
    if not report.pain:
        return None
    figure = _new_figure(3.2)
    axes = figure.add_subplot()
    weekly = len(report.weeks) > 26  # a point a session would be a thicket: a week's average instead
    for label, field, (colour, marker, line), trend in (
        ("before", "before", SERIES[0], report.trend_before),
        ("after", "after", SERIES[1], report.trend_after),
    ):
        points = [(p.at, float(getattr(p, field))) for p in report.pain if getattr(p, field) is not None]
        if not points:
            continue
        if weekly:
            shown = _weekly_means(points)
            style = {"linestyle": line, "linewidth": 1.5, "marker": marker, "markersize": 2.5}
        else:
            shown = [(at.date(), value) for at, value in points]
            style = {"linestyle": line, "linewidth": 1.2, "marker": marker, "markersize": 5}
        xs, ys = _when([at for at, _ in shown]), [value for _, value in shown]
        axes.plot(xs, ys, color=colour, label=f"{label}, weekly average" if weekly else label, **style)  # type: ignore[arg-type]
        if trend is not None:
            ends = _when([points[0][0], points[-1][0]])
            axes.plot(ends, [trend.start, trend.end], color=colour, linestyle=":", linewidth=2, label=f"{label}, trend")
    axes.set_ylim(-0.3, 10.3)
    axes.set_yticks(range(0, 11, 2))
    axes.set_ylabel("pain (0 to 10)", fontsize=10)
    _date_axis(axes)
    _style(axes)
    _legend(figure, axes)
    rated = sum(p.before is not None or p.after is not None for p in report.pain)
    each = "each week's average" if weekly else "each session"
    caption = (
        f"Pain from 0 (none) to 10, before (blue circles) and after (orange triangles) {each}, "
        f"on {plural(rated, 'session')} with a check-in. Before: {_trend_words(report.trend_before)}. "
        f"After: {_trend_words(report.trend_after)}."
    )
    rows = [[f"{p.at:%Y-%m-%d %H:%M}", _pain_value(p.before), _pain_value(p.after)] for p in report.pain]
    table = Table("Pain before and after each session", ["Session", "Before", "After"], rows, {1, 2})
    return Chart("pain-chart", _svg(figure, "pain", "pain-chart"), caption, table)


def _weekly_means(points: list[tuple[datetime, float]]) -> list[tuple[date, float]]:
    weeks: dict[date, list[float]] = {}
    for at, value in points:
        weeks.setdefault(monday(at.date()) + timedelta(days=3), []).append(value)
    return [(middle, sum(values) / len(values)) for middle, values in weeks.items()]


def _work(report: Report, unit: str) -> Chart:
    work = [w for w in report.work if w.unit == unit]
    figure = _new_figure(3.2)
    axes = figure.add_subplot()
    mondays = [week.monday for week in report.weeks]
    middles = _when([monday + timedelta(days=3) for monday in mondays])  # as the bars of the weeks chart
    size = 5 if len(mondays) <= 26 else 2.5
    for n, item in enumerate(work):
        colour, marker, line = SERIES[n % len(SERIES)]
        style = {"marker": marker, "linestyle": line, "linewidth": 1.2, "markersize": size}
        axes.plot(middles, item.per_week, color=colour, label=item.name, **style)  # type: ignore[arg-type]
    axes.set_ylabel(f"{unit} a week", fontsize=10)
    axes.set_ylim(bottom=0)
    _date_axis(axes)
    _style(axes)
    _legend(figure, axes)
    what = "Reps" if unit == "reps" else "Sets (timed work, and sets that count no reps)"
    totals = "; ".join(f"{item.name}: {sum(item.per_week)}" for item in work)
    caption = f"{what} per exercise per week, each exercise its own colour and marker. In all: {totals}."
    header = ["Week of", *(item.name for item in work)]
    rows = [[monday.isoformat(), *(str(item.per_week[n]) for item in work)] for n, monday in enumerate(mondays)]
    table = Table(f"{unit.capitalize()} per exercise per week", header, rows, set(range(1, len(header))))
    return Chart(f"work-{unit}", _svg(figure, f"work-{unit}", f"work-{unit}"), caption, table)
