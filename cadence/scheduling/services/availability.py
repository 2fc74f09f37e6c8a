"""Staff weekly availability for appointments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record

from ..models import StaffAvailability
from .errors import ScheduleError

# --- Staff availability -----------------------------------------------------------------------


def set_availability(
    request: HttpRequest, user: Any, rows: Iterable[tuple[int, dt.time, dt.time]]
) -> int:
    """Replace a staff member's weekly availability with these (weekday, start, end) rows, in
    the site's wall-clock time. Rows must not overlap on a day; nothing changes if one is wrong."""
    from django.contrib.auth import get_user_model

    from cadence.programs.choices import WEEKDAYS

    names = dict(WEEKDAYS)
    wanted = sorted(rows)
    for weekday, start, end in wanted:
        if weekday not in names:
            raise ScheduleError("Choose a day of the week for every row.")
        if end <= start:
            raise ScheduleError(
                f"{names[weekday]} {start:%H:%M}-{end:%H:%M}: the end time must be after the "
                "start time."
            )
    for i in range(1, len(wanted)):
        (day_a, start_a, end_a), (day_b, start_b, end_b) = wanted[i - 1], wanted[i]
        if day_a == day_b and start_b < end_a:
            raise ScheduleError(
                f"{names[day_a]} {start_a:%H:%M}-{end_a:%H:%M} overlaps {start_b:%H:%M}-"
                f"{end_b:%H:%M}; join them into one row or change the times."
            )
    with transaction.atomic():
        # Serialize edits of the same person's hours so two saves cannot interleave.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        StaffAvailability.objects.filter(user=user).delete()
        StaffAvailability.objects.bulk_create(
            StaffAvailability(user=user, weekday=d, start_time=s, end_time=e) for d, s, e in wanted
        )
        record(
            Action.UPDATE,
            Subject(
                "staff_availability",
                str(user.pk),
                f"Weekly availability of {user.get_username()}: {len(wanted)} rows",
            ),
            request=request,
        )
    return len(wanted)
