"""Attendance for a release packet (registered with cadence.consents.packet at start-up):
one row per session the patient was expected at, in the disclosing program. Only the
patient's own attendance: the session's name, never who else was there."""

from __future__ import annotations

from cadence.consents.choices import Category
from cadence.consents.packet import Row, Scope, register_provider

from .models import Attendance


def attendance_rows(scope: Scope) -> list[Row]:
    rows = Attendance.objects.filter(
        patient=scope.patient,
        episode__program_id=scope.program_id,
        is_current=True,
        date__lte=scope.until,
    )
    if scope.since is not None:
        rows = rows.filter(date__gte=scope.since)
    out = []
    for a in rows.select_related("occurrence__series", "appointment").order_by("date", "id"):
        if a.occurrence is not None:
            what = f"Group: {a.occurrence.series.title}"
        else:
            assert a.appointment is not None
            what = f"{a.appointment.get_kind_display()} session"
        detail = a.get_status_display()
        if a.minutes:
            detail += f", {a.minutes} min"
        out.append(Row(when=a.date.isoformat(), what=what, detail=detail))
    return out


def register() -> None:
    register_provider(Category.ATTENDANCE, attendance_rows)
