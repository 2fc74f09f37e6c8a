"""Changes to a program's measure schedule: one transaction and one audit row each."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.programs.models import Program

from .models import Instrument, MeasureSchedule


class ScheduleError(Exception):
    pass


@dataclass(frozen=True)
class Recommended:
    code: str
    every_days: int | None
    each_group_day: bool
    at_discharge: bool


# PHQ-9 and GAD-7 every two weeks, BAM monthly, the craving check-in on each group day; all at
# admission, and the three questionnaires again at discharge.
RECOMMENDED = (
    Recommended("PHQ-9", 14, False, True),
    Recommended("GAD-7", 14, False, True),
    Recommended("BAM", 28, False, True),
    Recommended("CHECK-IN", None, True, False),
)


def _describe(row: MeasureSchedule) -> str:
    parts = []
    if row.at_admission:
        parts.append("admission")
    if row.every_days:
        parts.append(f"every {row.every_days} days")
    if row.each_group_day:
        parts.append("group days")
    if row.at_discharge:
        parts.append("discharge")
    return ", ".join(parts) or "never"


def _subject(program: Program, row: MeasureSchedule, verb: str) -> Subject:
    return Subject(
        "measure_schedule",
        str(row.pk),
        f"{program.name}: {row.instrument.code} {verb} ({_describe(row)})",
    )


def save_row(request: HttpRequest, program: Program, row: MeasureSchedule) -> MeasureSchedule:
    """Create or update one row (from ScheduleRowForm.save(commit=False))."""
    creating = row.pk is None
    row.program = program
    try:
        with transaction.atomic():
            row.save()
            record(
                Action.CREATE if creating else Action.UPDATE,
                _subject(program, row, "scheduled" if creating else "schedule changed"),
                request=request,
            )
    except IntegrityError as exc:  # two directors adding the same instrument at once
        raise ScheduleError(
            f"{row.instrument.code} is already in this program's schedule: edit that row instead."
        ) from exc
    return row


def remove_row(request: HttpRequest, program: Program, row: MeasureSchedule) -> None:
    with transaction.atomic():
        subject = _subject(program, row, "removed from the schedule")
        MeasureSchedule.objects.filter(pk=row.pk, program=program).delete()
        record(Action.UPDATE, subject, request=request)


def apply_recommended(request: HttpRequest, program: Program) -> list[str]:
    """Create or reset the recommended rows for the instruments switched on; other rows stay
    as they are. Returns the codes scheduled (instruments switched off are left out).

    Two directors pressing the button at once: the program row is locked first, so the second
    waits for the first and then updates the rows it created. A row added at the same moment
    another way (save_row) can still make a create fail (IntegrityError): the whole change is
    then rolled back and tried once more in a fresh transaction, where the row now exists and
    is updated. Failing twice raises ScheduleError (the view shows it) rather than a 500."""
    enabled = {
        i.code: i
        for i in Instrument.objects.filter(code__in=[r.code for r in RECOMMENDED], enabled=True)
    }
    try:
        return _apply_recommended(request, program, enabled)
    except IntegrityError:
        pass  # rolled back: another change to the schedule committed first
    try:
        return _apply_recommended(request, program, enabled)
    except IntegrityError as exc:
        raise ScheduleError(
            "The schedule was being changed by someone else at the same time: "
            "reload the page and apply the recommended schedule again."
        ) from exc


def _apply_recommended(
    request: HttpRequest, program: Program, enabled: dict[str, Instrument]
) -> list[str]:
    """One attempt, in one transaction with its audit row."""
    done = []
    with transaction.atomic():
        list(Program.objects.select_for_update().filter(pk=program.pk).values_list("pk"))
        for rec in RECOMMENDED:
            instrument = enabled.get(rec.code)
            if instrument is None:
                continue
            MeasureSchedule.objects.update_or_create(
                program=program,
                instrument=instrument,
                defaults={
                    "at_admission": True,
                    "every_days": rec.every_days,
                    "each_group_day": rec.each_group_day,
                    "at_discharge": rec.at_discharge,
                    "is_active": True,
                },
            )
            done.append(rec.code)
        record(
            Action.UPDATE,
            Subject(
                "measure_schedule",
                str(program.pk),
                f"{program.name}: recommended measure schedule applied ({', '.join(done)})",
            ),
            request=request,
        )
    return done


def recommended_rows(program: Program, instruments: dict[str, Instrument]) -> list[MeasureSchedule]:
    """Unsaved recommended rows for a program (the demo builder bulk-creates these)."""
    return [
        MeasureSchedule(
            program=program,
            instrument=instruments[rec.code],
            at_admission=True,
            every_days=rec.every_days,
            each_group_day=rec.each_group_day,
            at_discharge=rec.at_discharge,
        )
        for rec in RECOMMENDED
        if rec.code in instruments
    ]
