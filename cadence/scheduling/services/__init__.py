"""Every state change of the schedule: series and their occurrences, holidays, enrollment,
appointments, attendance and outreach, reminders, availability and calendar feeds. One
transaction each, audited. Callers use `services.<verb>`; the modules split it by subject."""

from .appointments import (
    Conflict,
    ConflictError,
    book_appointment,
    cancel_appointment,
    find_conflicts,
    room_clashes,
)
from .attendance import (
    EARLY_MINUTES,
    TIME_NEEDED,
    mark_all_present,
    record_attendance,
    record_outreach,
    refresh_summaries,
)
from .availability import set_availability
from .enrollment import enroll
from .errors import ScheduleError, check_day
from .feeds import (
    MAX_ACTIVE_FEEDS,
    calendar_feed_fetched,
    create_calendar_feed,
    feed_token_hash,
    revoke_calendar_feed,
)
from .occurrences import (
    add_holiday,
    cancel_occurrence,
    extend_horizon,
    move_occurrence,
    remove_holiday,
    start_planned_moves,
)
from .reminders import queue_due_reminders
from .series import (
    NOTICE_DAYS,
    SERIES_DROPPED,
    check_series,
    horizon,
    materialize,
    open_enrollment_count,
    regenerate,
    retopic,
    roster_patients,
    rotation,
    save_series,
    save_topic,
    track_capacity,
)

__all__ = [
    "EARLY_MINUTES",
    "MAX_ACTIVE_FEEDS",
    "NOTICE_DAYS",
    "SERIES_DROPPED",
    "TIME_NEEDED",
    "Conflict",
    "ConflictError",
    "ScheduleError",
    "add_holiday",
    "book_appointment",
    "calendar_feed_fetched",
    "cancel_appointment",
    "cancel_occurrence",
    "check_day",
    "check_series",
    "create_calendar_feed",
    "enroll",
    "extend_horizon",
    "feed_token_hash",
    "find_conflicts",
    "horizon",
    "mark_all_present",
    "materialize",
    "move_occurrence",
    "open_enrollment_count",
    "queue_due_reminders",
    "record_attendance",
    "record_outreach",
    "refresh_summaries",
    "regenerate",
    "remove_holiday",
    "retopic",
    "revoke_calendar_feed",
    "room_clashes",
    "roster_patients",
    "rotation",
    "save_series",
    "save_topic",
    "set_availability",
    "start_planned_moves",
    "track_capacity",
]
