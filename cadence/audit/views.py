"""The audit report: who saw or changed what, filterable, exportable (the export is audited)."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from cadence.common.pagination import paginate
from cadence.common.timeutils import start_of_day

from .access import deny
from .choices import Action
from .forms import AuditFilterForm
from .models import AuditEvent
from .scoping import report_scope
from .services import Subject, record

EXPORT_LIMIT = 100_000


def _require_audit_viewer(request: HttpRequest) -> None:
    if not getattr(request.user, "can_view_audit", False):
        deny(request, Subject("audit_report", summary="audit report"))


def _filtered(request: HttpRequest, form: AuditFilterForm) -> tuple[QuerySet[AuditEvent], str]:
    events = AuditEvent.objects.filter(report_scope(request.user)).order_by("-seq")
    if not form.is_bound:
        return events, "all events"
    if not form.is_valid():
        return events.none(), ""
    data = form.cleaned_data
    site = getattr(request, "clinic_site", None)
    tz_name = site.time_zone if site else "UTC"
    parts = []
    if data["person"]:
        events = events.filter(actor__iexact=data["person"].strip())
        parts.append(f"person={data['person'].strip()}")
    if data["patient"]:
        events = events.filter(patient_ref=data["patient"].strip().upper())
        parts.append(f"patient={data['patient'].strip().upper()}")
    if data["action"]:
        events = events.filter(action=data["action"])
        parts.append(f"action={data['action']}")
    if data["date_from"]:
        events = events.filter(at__gte=start_of_day(data["date_from"], tz_name))
        parts.append(f"from={data['date_from']}")
    if data["date_to"]:
        next_day = data["date_to"] + dt.timedelta(days=1)
        events = events.filter(at__lt=start_of_day(next_day, tz_name))
        parts.append(f"to={data['date_to']}")
    return events, " ".join(parts) or "all events"


SUMMARY_ROWS = 100

_COUNTS = {
    "total": Count("pk"),
    "views": Count("pk", filter=Q(action__in=[Action.VIEW, Action.PRINT, Action.EXPORT])),
    "changes": Count("pk", filter=Q(action__in=[Action.CREATE, Action.UPDATE])),
    "denied": Count("pk", filter=Q(action=Action.DENIED)),
    "first": Min("at"),
    "last": Max("at"),
}


def _who_saw(events: QuerySet[AuditEvent]) -> list[dict[str, Any]]:
    """For one patient's events: each person who touched the record, first and last time."""
    rows = events.order_by().values("actor", "actor_role").annotate(**_COUNTS)
    return list(rows.order_by("-last")[:SUMMARY_ROWS])


def _what_they_saw(events: QuerySet[AuditEvent]) -> list[dict[str, Any]]:
    """For one person's events: each patient record they touched, first and last time."""
    rows = events.exclude(patient_ref="").order_by().values("patient_ref").annotate(**_COUNTS)
    return list(rows.order_by("-last")[:SUMMARY_ROWS])


def report(request: HttpRequest) -> HttpResponse:
    """One page answers both questions: filter by patient MRN for "who saw this record and
    when", by person for "what did this user look at"; the event list sits underneath."""
    _require_audit_viewer(request)
    form = AuditFilterForm(request.GET or None)
    events, _ = _filtered(request, form)
    page = paginate(request, events, per_page=50)
    site = getattr(request, "clinic_site", None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    who_saw = _who_saw(events) if data.get("patient") else None
    what_they_saw = _what_they_saw(events) if data.get("person") else None
    return render(
        request,
        "audit/report.html",
        {
            "form": form,
            "page": page,
            "tz_name": site.time_zone if site else "UTC",
            "who_saw": who_saw,
            "what_they_saw": what_they_saw,
            "patient_ref": (data.get("patient") or "").strip().upper(),
            "person": (data.get("person") or "").strip(),
            "summary_rows": SUMMARY_ROWS,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _require_audit_viewer(request)
    form = AuditFilterForm(request.GET or None)
    events, description = _filtered(request, form)
    record(
        Action.EXPORT,
        Subject("audit_report", summary=f"Audit CSV: {description}"[:300]),
        request=request,
    )
    writer = csv.writer(_Echo())
    header = [
        "seq",
        "at_utc",
        "actor",
        "role",
        "action",
        "object_type",
        "object_id",
        "summary",
        "patient_mrn",
        "ip",
        "request_id",
        "path",
        "hash",
    ]

    def rows() -> Iterator[Any]:
        yield writer.writerow(header)
        for e in events[:EXPORT_LIMIT].iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    e.seq,
                    e.at.isoformat(),
                    e.actor,
                    e.actor_role,
                    e.action,
                    e.object_type,
                    e.object_id,
                    e.summary,
                    e.patient_ref,
                    e.ip or "",
                    e.request_id,
                    e.path,
                    e.hash,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cadence-audit.csv"'
    return response
