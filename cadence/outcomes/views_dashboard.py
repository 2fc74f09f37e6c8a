"""Program dashboard pages: the dashboard, the drill-down behind every number, CSV exports of
each table and the de-identified extract. Only the user's programs, always."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EXPORT_DEIDENTIFIED, VIEW_OUTCOMES
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.pagination import paginate
from cadence.episodes.models import Episode
from cadence.notes.models import Note
from cadence.patients.scope import hidden_ids
from cadence.programs.querysets import memberships_for

from . import cache, deid
from .forms_dashboard import DashboardFilterForm
from .metrics import Dashboard, Filters, Key, Member, compute

# --- Tables: one structure for the page and the CSV exports --------------------------------


@dataclass
class Cell:
    text: str
    key: str = ""  # the drill-down metric behind the number ("" = not a count of patients)
    raw: str | None = None  # the CSV value when it differs from the text
    href: str = ""  # the drill-down link (set by the page)

    @property
    def csv(self) -> str:
        return self.text if self.raw is None else self.raw


@dataclass
class Table:
    slug: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    note: str = ""


def num(value: float | None, places: int = 1, key: str = "") -> Cell:
    """A median, mean or other figure; `key` is the population it is computed from."""
    if value is None:
        return Cell("—", raw="")
    return Cell(f"{value:.{places}f}", key)


def pct(value: float | None, key: str = "") -> Cell:
    if value is None:
        return Cell("—", key, raw="")
    return Cell(f"{value * 100:.1f}%", key, raw=f"{value:.4f}")


def count(board: Dashboard, key: str) -> Cell:
    return Cell(str(board.counts.get(key, 0)), key)


def tables(board: Dashboard) -> list[Table]:
    out: list[Table] = []
    weekly = Table(
        "census",
        "Census, admissions and discharges by week",
        ["Week of", "Census at week end", "Admissions", "Discharges"],
        note="Census: episodes in care at the end of the week (its Sunday, or the end date).",
    )
    for w in board.weeks:
        weekly.rows.append(
            [
                Cell(f"{w.week:%Y-%m-%d}"),
                count(board, Key.census(w.week)),
                count(board, Key.admissions(w.week)),
                count(board, Key.discharges(w.week)),
            ]
        )
    weekly.rows.append(
        [Cell("Total"), Cell(""), count(board, Key.admissions()), count(board, Key.discharges())]
    )
    out.append(weekly)

    attendance = Table("attendance", "Attendance and weekly hours", ["Measure", "Value"])
    attendance.rows += [
        [Cell("Days with a session"), Cell(str(board.session_days), Key.ATTENDED)],
        [
            Cell("Average daily attendance (patients)"),
            num(board.daily_attendance, 2, Key.ATTENDED),
        ],
        [Cell("Episodes with at least one attended session"), count(board, Key.ATTENDED)],
        [Cell("Patient-weeks meeting the weekly hours target"), count(board, Key.HOURS_MET)],
        [Cell("Patient-weeks below the target"), count(board, Key.HOURS_NOT_MET)],
        [Cell("% of patient-weeks meeting hours"), pct(board.hours_share, Key.HOURS_MET)],
    ]
    out.append(attendance)

    discharges = Table(
        "discharges",
        "Discharges, completion and length of stay",
        ["Discharge type", "Discharges", "% of discharges", "Median stay (days)",
         "Mean stay (days)"],
    )  # fmt: skip
    for row in board.by_type:
        of_type = Key.discharge_type(row.code)
        discharges.rows.append(
            [
                Cell(row.label),
                count(board, of_type),
                pct(row.share, of_type),
                num(row.median_los, key=of_type),
                num(row.mean_los, key=of_type),
            ]
        )
    discharges.rows.append(
        [
            Cell("All discharges"),
            count(board, Key.discharges()),
            pct(1.0 if board.discharges else None, Key.discharges()),
            num(board.los_median, key=Key.discharges()),
            num(board.los_mean, key=Key.discharges()),
        ]
    )
    discharges.rows.append(
        [
            Cell("Completion (completed or stepped down)"),
            count(board, Key.COMPLETED),
            pct(board.completion_share, Key.COMPLETED),
            Cell(""),
            Cell(""),
        ]
    )
    out.append(discharges)

    retention = Table(
        "retention",
        "Retention from admission (Kaplan–Meier)",
        ["Day", "Still in care (estimate)", "At risk"],
        note=(
            f"{board.retention_n} admitted in the range; {board.retention_events} discharged "
            f"and {board.retention_censored} still in care (censored) by "
            f"{board.followed_until:%Y-%m-%d}."
        ),
    )
    retention.rows.append(
        [Cell("Admitted (day 0)"), pct(1.0 if board.retention_n else None, Key.RETENTION),
         count(board, Key.RETENTION)]
    )  # fmt: skip
    for r in board.retention:
        retention.rows.append(
            [Cell(f"Day {r.day}"), pct(r.survival, Key.at_risk(r.day)),
             count(board, Key.at_risk(r.day))]
        )  # fmt: skip
    retention.rows.append([Cell("Discharged"), Cell(""), count(board, Key.RETENTION_EVENTS)])
    retention.rows.append(
        [Cell("Still in care (censored)"), Cell(""), count(board, Key.RETENTION_CENSORED)]
    )
    out.append(retention)

    outcomes = Table(
        "outcomes",
        "Outcome change from admission",
        [
            "Measure",
            "Episodes (baseline and later score)",
            "Mean at baseline",
            "Mean latest",
            "Mean change",
            "Reliably improved",
            "% reliably improved",
            "Discharged episodes",
            "Mean at baseline (discharged)",
            "Mean at discharge",
            "Mean change to discharge",
            "Reliably improved by discharge",
            "% reliably improved by discharge",
        ],
        note="Reliable change (Jacobson–Truax) needs the measure's SD and reliability: "
        "“—” where they are not set.",
    )
    for o in board.outcomes:
        latest, at_discharge = o.key("latest"), o.key("discharge")
        outcomes.rows.append(
            [
                Cell(o.label),
                count(board, latest),
                num(o.mean_baseline, key=latest),
                num(o.mean_latest, key=latest),
                num(o.mean_change, key=latest),
                count(board, o.key("latest_improved")) if o.has_rci else Cell("—", raw=""),
                pct(o.improved_share, o.key("latest_improved") if o.has_rci else ""),
                count(board, at_discharge),
                num(o.d_mean_baseline, key=at_discharge),
                num(o.d_mean_discharge, key=at_discharge),
                num(o.d_mean_change, key=at_discharge),
                count(board, o.key("discharge_improved")) if o.has_rci else Cell("—", raw=""),
                pct(o.d_improved_share, o.key("discharge_improved") if o.has_rci else ""),
            ]
        )
    out.append(outcomes)

    referral = Table(
        "referral",
        "Time from referral to admission",
        ["Episodes admitted with a referral date", "Median days", "Mean days"],
    )
    referral.rows.append(
        [
            count(board, Key.REFERRAL),
            num(board.referral_median, key=Key.REFERRAL),
            num(board.referral_mean, key=Key.REFERRAL),
        ]
    )
    out.append(referral)

    notes = Table(
        "notes",
        "Notes signed on time",
        ["Notes (session ended in range)", "Signed on time", "Signed late",
         "Unsigned, overdue", "Unsigned, not yet due", "% on time"],
        note="On time: signed by the author within the program's note deadline after the "
        "session ended. % on time = on time / (on time + late + overdue).",
    )  # fmt: skip
    notes.rows.append(
        [
            count(board, Key.notes("all")),
            count(board, Key.notes("on_time")),
            count(board, Key.notes("late")),
            count(board, Key.notes("overdue")),
            count(board, Key.notes("pending")),
            pct(board.notes_share, Key.notes("on_time")),
        ]
    )
    out.append(notes)
    return out


TABLE_SLUGS = ("census", "attendance", "discharges", "retention", "outcomes", "referral", "notes")


def table_csv(table: Table) -> str:
    """The table as CSV: text that a spreadsheet could run as a formula is neutralised
    (deid.csv_safe); numbers stay numbers."""
    return deid.write_csv(table.columns, [[c.csv for c in row] for row in table.rows])


# --- Charts (server-side SVG; classes only, no inline styles) ------------------------------

CHART_W, CHART_H, PAD = 640, 180, 28


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str
    href_key: str
    href: str = ""


def census_bars(board: Dashboard) -> tuple[list[Bar], int]:
    top = max([w.census for w in board.weeks] + [1])
    n = max(len(board.weeks), 1)
    slot = (CHART_W - 2 * PAD) / n
    bars = []
    for i, w in enumerate(board.weeks):
        height = (CHART_H - 2 * PAD) * w.census / top
        bars.append(
            Bar(
                round(PAD + i * slot + slot * 0.1, 1),
                round(CHART_H - PAD - height, 1),
                round(slot * 0.8, 1),
                round(height, 1),
                f"Week of {w.week:%d %b %Y}: {w.census} in care",
                Key.census(w.week),
            )
        )
    return bars, top


def km_path(board: Dashboard, horizon: int = 84) -> str:
    """An SVG path of the Kaplan-Meier step curve from day 0 to `horizon`."""
    if not board.retention_n:
        return ""
    width, height = CHART_W - 2 * PAD, CHART_H - 2 * PAD

    def x(day: int) -> float:
        return round(PAD + width * min(day, horizon) / horizon, 1)

    def y(s: float) -> float:
        return round(PAD + height * (1 - s), 1)

    parts = [f"M {x(0)} {y(1.0)}"]
    survival = 1.0
    for step in board.km_steps:
        if step.day > horizon:
            break
        if step.survival != survival:
            parts.append(f"H {x(step.day)} V {y(step.survival)}")
            survival = step.survival
    parts.append(f"H {x(horizon)}")
    return " ".join(parts)


# --- Views --------------------------------------------------------------------------------


def _form(request: HttpRequest) -> DashboardFilterForm:
    programs = list(memberships_for(request.user).programs)
    data = (
        request.GET
        if any(k in request.GET for k in ("site", "program", "track", "date_from", "date_to"))
        else None
    )
    today = timezone.localdate()
    form = DashboardFilterForm(data, programs=programs, today=today)
    if data is None:
        form = DashboardFilterForm(
            {k: v for k, v in Filters.default(today).query().items()},
            programs=programs,
            today=today,
        )
    return form


def _program_ids(request: HttpRequest) -> frozenset[int]:
    return memberships_for(request.user).program_ids


def _valid_filters(request: HttpRequest) -> Filters:
    """Filters for the drill-down and exports: anything outside the user's programs, or
    otherwise invalid, is a 404 (never data)."""
    form = _form(request)
    if not form.is_valid():
        raise Http404("No such dashboard")
    return form.filters


@require_capability(VIEW_OUTCOMES)
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        board = cache.dashboard(form.filters, _program_ids(request))
        bars, top = census_bars(board)
        query = urlencode(form.filters.query())
        drill = f"{reverse('outcomes:drilldown')}?{query}&metric="
        shown = tables(board)
        for table in shown:
            for row in table.rows:
                for cell in row:
                    if cell.key and cell.text != "—":
                        cell.href = drill + quote(cell.key, safe=":")
        for bar in bars:
            bar.href = drill + quote(bar.href_key, safe=":")
        context.update(
            board=board,
            tables=shown,
            query=query,
            bars=bars,
            bars_top=top,
            km_path=km_path(board),
            chart_w=CHART_W,
            chart_h=CHART_H,
            pad=PAD,
            plot_bottom=CHART_H - PAD,
            plot_right=CHART_W - PAD,
            can_deidentify=request.user.can(EXPORT_DEIDENTIFIED),  # type: ignore[union-attr]
            extract_error=deid.range_error(form.filters),
        )
    return render(request, "outcomes/dashboard.html", context)


@dataclass
class DrillRow:
    episode: Episode | None
    note: Note | None
    value: str


@require_capability(VIEW_OUTCOMES)
@require_GET
def drilldown(request: HttpRequest) -> HttpResponse:
    filters = _valid_filters(request)
    metric = request.GET.get("metric", Key.admissions())
    if not Key.is_valid(metric):
        raise Http404("No such metric")
    board = compute(filters, _program_ids(request), drill=metric)
    members: list[Member] = board.members
    hidden = hidden_ids(request.user)
    hidden_count = 0
    if hidden and members:
        note_patients = dict(
            Note.objects.filter(pk__in=[m.note_id for m in members if m.note_id]).values_list(
                "pk", "patient_id"
            )
        )
        episode_patients = dict(
            Episode.objects.filter(
                pk__in=[m.episode_id for m in members if m.episode_id]
            ).values_list("pk", "patient_id")
        )
        shown = []
        for m in members:
            if m.note_id is not None:
                patient = note_patients.get(m.note_id)
            else:
                patient = episode_patients.get(m.episode_id or 0)
            if patient in hidden:
                hidden_count += 1
            else:
                shown.append(m)
        members = shown
    page = paginate(request, members)
    episodes = Episode.objects.select_related("patient", "program", "track").in_bulk(
        [m.episode_id for m in page.object_list if m.episode_id]
    )
    notes = Note.objects.select_related("author", "program").in_bulk(
        [m.note_id for m in page.object_list if m.note_id]
    )
    rows = [
        DrillRow(episodes.get(m.episode_id) if m.episode_id else None,
                 notes.get(m.note_id) if m.note_id else None, m.value)
        for m in page.object_list
    ]  # fmt: skip
    record(
        Action.VIEW,
        Subject(
            "outcomes_dashboard",
            summary=f"Dashboard drill-down {metric} ({urlencode(filters.query())}): "
            f"{len(board.members)} rows",
        ),
        request=request,
    )
    return render(
        request,
        "outcomes/dashboard_drilldown.html",
        {
            "metric": metric,
            "metric_label": Key.describe(metric),
            "total": len(board.members),
            "hidden_count": hidden_count,
            "page": page,
            "rows": rows,
            "is_notes": metric.startswith("notes:"),
            "query": urlencode(filters.query()),
        },
    )


def _csv_response(body: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_capability(VIEW_OUTCOMES)
@require_GET
def export_table(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLE_SLUGS:
        raise Http404("No such table")
    filters = _valid_filters(request)
    board = cache.dashboard(filters, _program_ids(request))
    chosen = next(t for t in tables(board) if t.slug == table)
    record(
        Action.EXPORT,
        Subject(
            "outcomes_dashboard",
            object_id=table,
            summary=f"Dashboard table {table} as CSV ({urlencode(filters.query())})",
        ),
        request=request,
    )
    return _csv_response(table_csv(chosen), f"cadence-{table}-{filters.date_from}-"
                                            f"{filters.date_to}.csv")  # fmt: skip


@require_capability(EXPORT_DEIDENTIFIED)
@require_GET
def export_deidentified(request: HttpRequest) -> HttpResponse:
    filters = _valid_filters(request)
    refused = deid.range_error(filters)
    if refused:
        return render(
            request,
            "outcomes/extract_refused.html",
            {"message": refused, "query": urlencode(filters.query())},
            status=400,
        )
    header, rows = deid.extract_rows(filters, _program_ids(request))
    record(
        Action.EXPORT,
        Subject(
            "outcomes_extract",
            summary=f"De-identified outcomes extract: {len(rows)} episodes "
            f"({urlencode(filters.query())})",
        ),
        request=request,
    )
    return _csv_response(deid.to_csv(header, rows), "cadence-outcomes-deidentified.csv")
