"""Caching the dashboard without ever serving stale figures.

Two queries (`fingerprint`) read index-only maxima of the large tables and every value the
figures use from the small set-up tables, so the fingerprint changes whenever an input of the
dashboard changes:

- attendance, responses, signatures: max(id) (rows are only ever added: a correction of
  attendance is a new row, a signature is a new row, a response is never rescored);
- group sessions and appointments: max(id), the number cancelled (a cancelled session day
  no longer counts for average daily attendance) and the number moved;
- notes: max(id) and max(updated_at) (new notes; a draft's session times edited);
- episodes: max(updated_at) and count (admissions, discharges, phase and track changes);
- sites, programs, phases and change norms: a hash of every value the figures use (time
  zone, hours, note deadline, phase targets, norms).

Ids are handed out before a transaction commits, so a transaction that commits late can add
rows below a maximum already seen. The per-week and per-episode caches below therefore
re-read whatever the last LATE_MARGIN rows of attendance or responses touch when they were
recorded within LATE_WINDOW; the whole dashboard's entry lives TIMEOUT_SECONDS at most.

The whole dashboard is cached under a key made of the filters, the programs, the current
minute (overdue notes depend on the clock) and the full fingerprint. Each of its four
sections (see metrics.compute) is also cached under a key made of only the parts it reads,
so a new attendance row recomputes the attendance section and reuses the others.

Within the outcomes section, each episode's baseline and latest scores are cached too, with
the response max(id) they were computed at and what they depend on in the episode (admission,
discharge, status, program). Responses are only ever added, so only the episodes of patients
with a response added since, and episodes whose dates or status changed, are read again.

Within the attendance section, each week's attendance aggregates are cached too, with the
attendance max(id) they were computed at. Attendance rows are only ever added (a correction is
a new row that supersedes the old one), so the weeks touched since then are the weeks of the
rows added since (and of the rows those supersede): one query by primary key finds them, and
only those weeks are read again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from cadence.assessments.models import Response
from cadence.episodes.models import Episode
from cadence.notes.models import Note
from cadence.programs.models import Phase, Program, Site
from cadence.scheduling.models import Appointment, Attendance, Occurrence
from cadence.signatures.models import Signature

from .metrics import (
    AttendanceWeek,
    Dashboard,
    Filters,
    Part,
    ScorePoint,
    Span,
    WeekLoader,
    compute,
    score_points,
    week_start,
)
from .models import ChangeNorm

TIMEOUT_SECONDS = 15 * 60
# A week's attendance aggregates are checked against the attendance rows added since they
# were computed (below), so they can be kept much longer than the dashboard itself.
WEEK_TIMEOUT_SECONDS = 24 * 3600
LATE_MARGIN = 1000  # rows below the highest id re-read, for transactions that commit late
LATE_WINDOW = dt.timedelta(hours=1)  # ... if they were recorded this recently


def _recently() -> dt.datetime:
    return timezone.now() - LATE_WINDOW


VERSION = "2"

# Which fingerprint parts each section reads (every section reads "common").
SECTION_PARTS = {
    "episodes": ("common",),
    "attendance": ("common", "attendance"),
    "outcomes": ("common", "responses"),
    "notes": ("common", "notes", "clock"),
}


def fingerprint() -> dict[str, str]:
    """Two queries: the maxima and counts of the large tables described in the module
    docstring, and every value the figures use from the small set-up tables (sites, programs,
    phases, change norms), hashed: any edit there changes the fingerprint."""

    def t(model: type) -> str:
        return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]

    cancelled = "SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END)"
    moved = "COUNT(moved_from)"
    # Table names come from model metadata, never from input.
    sql = (
        "SELECT "  # noqa: S608  # nosec B608
        f"(SELECT MAX(updated_at) FROM {t(Episode)}), "
        f"(SELECT COUNT(*) FROM {t(Episode)}), "
        f"(SELECT MAX(id) FROM {t(Attendance)}), "
        f"(SELECT MAX(id) FROM {t(Occurrence)}), "
        f"(SELECT {cancelled} FROM {t(Occurrence)}), "
        f"(SELECT {moved} FROM {t(Occurrence)}), "
        f"(SELECT MAX(id) FROM {t(Appointment)}), "
        f"(SELECT {cancelled} FROM {t(Appointment)}), "
        f"(SELECT MAX(id) FROM {t(Response)}), "
        f"(SELECT MAX(id) FROM {t(Note)}), "
        f"(SELECT MAX(updated_at) FROM {t(Note)}), "
        f"(SELECT MAX(id) FROM {t(Signature)})"
    )

    def text(column: str) -> str:
        return f"CAST({column} AS TEXT)"

    setup = (
        f"SELECT 's', id, {text('time_zone')}, '', '', '', '' FROM {t(Site)} "  # noqa: S608  # nosec B608
        f"UNION ALL SELECT 'p', id, {text('site_id')}, {text('weekly_hours_min')}, "
        f"{text('note_deadline_hours')}, '', '' FROM {t(Program)} "
        f"UNION ALL SELECT 'h', id, {text('program_id')}, {text('weekly_hours_target')}, "
        f"'', '', '' FROM {t(Phase)} "
        f"UNION ALL SELECT 'n', id, {text('score_code')}, {text('lower_is_better')}, "
        f"{text('remission_below')}, {text('sd')}, "
        f"{text('reliability')} || ':' || {text('on_dashboard')} || ':' || instrument_code "
        f"FROM {t(ChangeNorm)} "
        "ORDER BY 1, 2"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = [str(v) for v in cursor.fetchone()]
        cursor.execute(setup)
        tables = cursor.fetchall()

    def digest(kinds: str) -> str:
        rows = [repr(r) for r in tables if r[0] in kinds]
        return hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]

    return {
        "common": "|".join([*row[0:2], digest("sph")]),
        "attendance": "|".join(row[2:8]),
        "responses": "|".join([row[8], digest("n")]),
        "notes": "|".join(row[9:12]),
    }


def _key(*parts: str) -> str:
    return "outcomes:dashboard:" + hashlib.sha256(":".join([VERSION, *parts]).encode()).hexdigest()


def dashboard(filters: Filters, program_ids: frozenset[int] | set[int]) -> Dashboard:
    """The dashboard from the cache when nothing it depends on has changed, else computed
    (reusing the sections whose inputs have not changed)."""
    now = timezone.now()
    today = timezone.localdate(now)
    parts = fingerprint() | {"clock": now.strftime("%Y%m%d%H%M")}
    scope = [
        filters.cache_part(),
        ",".join(str(i) for i in sorted(program_ids)),
        today.isoformat(),
        timezone.get_current_timezone_name(),
    ]
    whole = _key(*scope, *(f"{k}={v}" for k, v in sorted(parts.items())))
    board = cache.get(whole)
    if board is None:

        def memo(name: str, run: Callable[[], Part]) -> Part:
            key = _key(*scope, name, *(parts[p] for p in SECTION_PARTS[name]))
            part: Part | None = cache.get(key)
            if part is None:
                part = run()
                cache.set(key, part, TIMEOUT_SECONDS)
            return part

        weeks_scope = [scope[1], str(filters.site_id), str(filters.program_id),
                       str(filters.track_id)]  # fmt: skip
        if filters.track_id is not None:
            # A track filter follows episodes' tracks: moving someone between tracks changes
            # which rows count, so those weeks also depend on the episodes' part.
            weeks_scope.append(parts["common"])
        board = compute(
            filters,
            program_ids,
            today=today,
            now=now,
            memo=memo,
            weeks_memo=partial(attendance_weeks_memo, weeks_scope),
            points_memo=partial(score_points_memo, scope),
        )
        cache.set(whole, board, TIMEOUT_SECONDS)
    return board


def attendance_weeks_memo(
    scope: list[str], spans: list[Span], load: WeekLoader
) -> dict[dt.date, AttendanceWeek]:
    """Each week's attendance aggregates from the cache unless an attendance row of that week
    was added (or superseded) since they were computed; the rest read in one span."""
    head = Attendance.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    keys = {monday: _key("attendance-week", *scope, str(lo), str(hi)) for monday, lo, hi in spans}
    found: dict[str, tuple[int, AttendanceWeek]] = cache.get_many(list(keys.values()))
    seen = min((at for at, _ in found.values()), default=head)
    touched: set[dt.date] = set()
    if found:
        since_seen = Q(pk__gt=min(seen, head))
        late = Q(pk__gt=min(seen, head) - LATE_MARGIN, recorded_at__gte=_recently())
        for day, old_day in Attendance.objects.filter(since_seen | late).values_list(
            "date", "supersedes__date"
        ):
            touched.add(week_start(day))
            if old_day is not None:
                touched.add(week_start(old_day))
    out: dict[dt.date, AttendanceWeek] = {}
    missing = []
    for monday, lo, hi in spans:
        entry = found.get(keys[monday])
        if entry is None or entry[0] > head or monday in touched:
            missing.append((monday, lo, hi))
        else:
            out[monday] = entry[1]
    if missing:
        fresh = load(min(lo for _, lo, _ in missing), max(hi for _, _, hi in missing))
        empty: AttendanceWeek = ({}, {})
        store = {}
        for monday, _, _ in missing:
            out[monday] = fresh.get(monday, empty)
            store[keys[monday]] = (head, out[monday])
        cache.set_many(store, WEEK_TIMEOUT_SECONDS)
    return out


EpisodeSig = tuple[Any, ...]
# Days as ordinals: tens of thousands of points pickle several times faster without dates.
Packed = tuple[int, float, int, float]
StoredPoints = dict[int, tuple[EpisodeSig, dict[int, Packed]]]


def _packed(p: ScorePoint) -> Packed:
    return (p.baseline_on.toordinal(), p.baseline, p.latest_on.toordinal(), p.latest)


def _point(p: Packed) -> ScorePoint:
    return ScorePoint(dt.date.fromordinal(p[0]), p[1], dt.date.fromordinal(p[2]), p[3])


def score_points_memo(
    scope: list[str],
    episodes: list[tuple[Any, ...]],
    norms: list[ChangeNorm],
    end: dt.date,
    tz_of: dict[int, str],
) -> dict[tuple[int, int], ScorePoint]:
    """metrics.score_points, reusing each episode's points from the cache unless its patient
    has a response added since they were computed or the episode's dates, status or program
    changed (a discharge moves the window's end)."""
    head = Response.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    norms_part = ",".join(f"{n.pk}:{n.instrument_code}:{n.score_code}" for n in norms)
    key = _key("score-points", *scope, norms_part, end.isoformat())
    entry: tuple[int, StoredPoints] | None = cache.get(key)
    stored: StoredPoints = {}
    touched: set[int] = set()
    if entry is not None and entry[0] <= head:
        stored = entry[1]
        late = Q(pk__gt=entry[0] - LATE_MARGIN, administered_at__gte=_recently())
        touched = set(
            Response.objects.filter(Q(pk__gt=entry[0]) | late).values_list("patient_id", flat=True)
        )

    def sig(e: tuple[Any, ...]) -> EpisodeSig:
        # program, admission, discharge (as ordinals), status
        return (e[2], e[4].toordinal(), e[5].toordinal() if e[5] else None, e[8])

    out: dict[tuple[int, int], ScorePoint] = {}
    redo = []
    for e in episodes:
        hit = stored.get(e[0])
        if hit is None or hit[0] != sig(e) or e[1] in touched:
            redo.append(e)
        else:
            out.update({(e[0], n): _point(packed) for n, packed in hit[1].items()})
    if redo:
        out.update(score_points(redo, norms, end, tz_of))
    by_episode: StoredPoints = {e[0]: (sig(e), {}) for e in episodes}
    for (pk, n), point in out.items():
        by_episode[pk][1][n] = _packed(point)
    cache.set(key, (head, by_episode), WEEK_TIMEOUT_SECONDS)
    return out
