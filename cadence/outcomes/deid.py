"""The de-identified outcomes extract: one row per episode admitted in the range, for
research or payers. See docs/outcomes-dashboard-guide.md, "De-identified extract", for the
method and its limits (a limited-data-set-style extract, not HIPAA Safe Harbor).

- No names, MRN, date of birth, contact details, free text or database ids.
- Patients are named by a pseudonym: HMAC-SHA256(SECRET_KEY, salt + patient id), where the
  salt is drawn fresh for every extract and never stored, so the same patient has the same
  pseudonym within one extract and unrelated pseudonyms across extracts; it cannot be
  reversed or linked back without the salt.
- Every date of a patient is shifted by the same offset, drawn per patient per extract from a
  CSPRNG (secrets) in -182..+182 days, so intervals within a patient are kept.
- Age is a band at admission (18-24, 25-34, ...); ages under 18 are "<18", 65 and over "65+".
- Rows are sorted by pseudonym (never in database or admission order); restricted patients are
  left out; the range must cover at least MIN_RANGE_DAYS days, so that the shift cannot be
  undone by knowing that every admission falls in a narrow range.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db.models import Q, Sum

from cadence.common.timeutils import age_on
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.scheduling.choices import ATTENDED
from cadence.scheduling.models import Attendance

from .metrics import Filters, dashboard_norms, scoped_programs, score_points

SHIFT_DAYS = 182
MIN_RANGE_DAYS = 365
AGE_BANDS = ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"),
             (65, "55-64"))  # fmt: skip


def age_band(age: int) -> str:
    for below, label in AGE_BANDS:
        if age < below:
            return label
    return "65+"


def pseudonym(patient_id: int, salt: str) -> str:
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"{salt}:{patient_id}".encode(), hashlib.sha256
    ).hexdigest()
    return "P-" + digest[:16]


def draw_offset() -> int:
    return secrets.randbelow(2 * SHIFT_DAYS + 1) - SHIFT_DAYS


BASE_COLUMNS = [
    "pseudonym",
    "program",
    "track_kind",
    "age_band",
    "admission_type",
    "referred_on_shifted",
    "admission_date_shifted",
    "discharge_date_shifted",
    "length_of_stay_days",
    "discharge_type",
    "hours_attended",
]
MEASURE_PARTS = ["baseline", "baseline_day", "latest", "latest_day", "discharge", "discharge_day"]


def range_error(filters: Filters) -> str:
    """Why the extract refuses this range ("" when it does not)."""
    days = (filters.date_to - filters.date_from).days + 1
    if days >= MIN_RANGE_DAYS:
        return ""
    return (
        f"The de-identified extract needs a date range of at least {MIN_RANGE_DAYS} days "
        f"(this one covers {days}): move From back to "
        f"{filters.date_to - dt.timedelta(days=MIN_RANGE_DAYS - 1):%d %b %Y} or earlier. A "
        f"narrower range would let the shifted dates be traced back to real ones."
    )


# A cell a spreadsheet could read as a formula (OWASP "CSV injection") unless it is a number.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def csv_safe(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs as a formula: text starting with = + - @ TAB or CR
    gets a leading single quote; numbers (also negative ones, as numbers or as text) stay."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(header: list[str], rows: list[list[Any]]) -> str:
    """A CSV file of `header` and `rows`, every cell through csv_safe (both dashboard exports
    write through here)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_safe(h) for h in header])
    for row in rows:
        writer.writerow([csv_safe(v) for v in row])
    return buffer.getvalue()


def measure_name(norm: Any) -> str:
    return f"{norm.instrument_code}_{norm.score_code}".lower().replace("-", "")


def extract_rows(
    filters: Filters, program_ids: frozenset[int] | set[int]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The extract's columns and rows (a fixed number of queries), sorted by pseudonym;
    restricted patients are left out. The caller checks range_error(filters) first."""
    programs = scoped_programs(filters, program_ids)
    ids = [p.pk for p in programs]
    tz_of = {p.pk: p.tz for p in programs}
    scope = Q(program_id__in=ids)
    if filters.track_id is not None:
        scope &= Q(track_id=filters.track_id)
    rows: list[tuple[Any, ...]] = list(
        Episode.objects.filter(
            scope,
            admission_date__gte=filters.date_from,
            admission_date__lte=filters.date_to,
        )
        .exclude(status=EpisodeStatus.REFERRED)
        .exclude(patient__restricted=True)
        .order_by("pk")
        .values_list(
            "pk",
            "patient_id",
            "program_id",
            "phase_id",
            "admission_date",
            "discharge_date",
            "discharge_type",
            "referred_on",
            "status",
            "program__name",
            "track__kind",
            "admission_type",
            "patient__date_of_birth",
        )
    )
    norms = dashboard_norms()
    header = BASE_COLUMNS + [f"{measure_name(n)}_{part}" for n in norms for part in MEASURE_PARTS]
    points = score_points([r[:9] for r in rows], norms, filters.date_to, tz_of)
    minutes = dict(
        Attendance.objects.filter(
            episode_id__in=[r[0] for r in rows],
            is_current=True,
            status__in=sorted(ATTENDED),
            date__lte=filters.date_to,
        )
        .order_by()
        .values("episode_id")
        .annotate(total=Sum("minutes"))
        .values_list("episode_id", "total")
    )
    salt = secrets.token_hex(16)
    offsets: dict[int, int] = defaultdict(draw_offset)

    def shifted(patient_id: int, day: dt.date | None) -> str:
        if day is None:
            return ""
        return (day + dt.timedelta(days=offsets[patient_id])).isoformat()

    out: list[dict[str, Any]] = []
    for row in rows:
        pk, patient_id, _, _, admitted, discharge, kind, referred, status = row[:9]
        program_name, track_kind, admission_type, born = row[9:]
        gone = discharge if status == EpisodeStatus.DISCHARGED else None
        if gone is not None and gone > filters.date_to:
            gone = None
        record: dict[str, Any] = {
            "pseudonym": pseudonym(patient_id, salt),
            "program": program_name,
            "track_kind": track_kind or "",
            "age_band": age_band(age_on(born, admitted)),
            "admission_type": admission_type,
            "referred_on_shifted": shifted(patient_id, referred),
            "admission_date_shifted": shifted(patient_id, admitted),
            "discharge_date_shifted": shifted(patient_id, gone),
            "length_of_stay_days": "" if gone is None else (gone - admitted).days,
            "discharge_type": kind if gone is not None else "",
            "hours_attended": f"{(minutes.get(pk) or 0) / 60:.1f}",
        }
        for n, norm in enumerate(norms):
            name = measure_name(norm)
            point = points.get((pk, n))
            record[f"{name}_baseline"] = "" if point is None else f"{point.baseline:g}"
            record[f"{name}_baseline_day"] = (
                "" if point is None else (point.baseline_on - admitted).days
            )
            record[f"{name}_latest"] = "" if point is None else f"{point.latest:g}"
            record[f"{name}_latest_day"] = (
                "" if point is None else (point.latest_on - admitted).days
            )
            record[f"{name}_discharge"] = (
                "" if point is None or gone is None else f"{point.latest:g}"
            )
            record[f"{name}_discharge_day"] = (
                "" if point is None or gone is None else (point.latest_on - admitted).days
            )
        out.append(record)
    # The database order (and admission order) would tell which row is which patient's.
    out.sort(key=lambda r: (r["pseudonym"], r["admission_date_shifted"]))
    return header, out


def to_csv(header: list[str], rows: list[dict[str, Any]]) -> str:
    return write_csv(header, [[r.get(name, "") for name in header] for r in rows])
