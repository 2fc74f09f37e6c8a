"""Reminders end to end with the real django-tasks database backend: the tick queues message
rows and tasks, `db_worker --batch` runs them in-process."""

import datetime as dt
import io
import math
import zoneinfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cadence.common.timeutils import local_today
from cadence.scheduling import services, sms
from cadence.scheduling.choices import Channel, MessageKind, MessageStatus
from cadence.scheduling.models import Occurrence, PatientMessage
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory

NY = zoneinfo.ZoneInfo("America/New_York")
# Words that must never reach a lock screen or a shared inbox.
PRIVATE = [
    "Adult IOP",
    "Evening group",
    "Coping skills",
    "IOP",
    "group",
    "therapy",
    "treatment",
    "relapse",
    "recovery",
    "substance",
    "addiction",
    "counsel",
    "clinic",
    "Testwell",
]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_outboxes():
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


@pytest.fixture
def evening(clinic):
    """A daily 18:00-19:00 telehealth group on track A with a curriculum topic; patient A
    (email and phone) enrolled. The program's lead time covers exactly the next meeting."""
    today = local_today("America/New_York")
    series = SeriesFactory(
        track=clinic.track_a,
        title="Evening group",
        days="0123456",
        start_time=dt.time(18),
        end_time=dt.time(19),
        starts_on=today - dt.timedelta(days=1),
        room=None,
    )
    series.facilitators.add(clinic.clinician_a)
    services.materialize(series, since=today - dt.timedelta(days=1), until=today + dt.timedelta(3))
    clinic.patient_a.email = "alpha@example.org"
    clinic.patient_a.save()
    EnrollmentFactory(
        episode=clinic.episode_a,
        track=clinic.track_a,
        starts_on=today - dt.timedelta(days=1),
        created_by=clinic.director,
    )
    upcoming = list(Occurrence.objects.filter(series=series, starts_at__gt=timezone.now()))
    first, second = upcoming[0], upcoming[1]
    # Meetings are a day apart (23 h or 25 h across a DST change): a lead time of the hours
    # until the first, rounded up, reaches the first and not the second.
    lead = math.ceil((first.starts_at - timezone.now()).total_seconds() / 3600)
    clinic.program_a.reminder_lead_hours = max(lead, 1)
    clinic.program_a.save()
    return {"series": series, "first": first, "second": second}


def _tick():
    out = io.StringIO()
    call_command("schedule_tick", stdout=out)
    return out.getvalue()


def _work():
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0, stdout=io.StringIO())


def _expected_text(occ):
    local = occ.starts_at.astimezone(NY)
    day = f"{local:%A} {local.day} {local:%B}"
    subject = f"Reminder: appointment {day}"
    body = (
        f"Reminder from North: you have an appointment on {day} at 6 p.m., "
        "online at https://video.example.org/room."
    )
    return subject, body


def test_tick_queues_and_worker_sends_email_and_sms_once(clinic, evening):
    first = evening["first"]
    assert _tick().endswith("2 reminders queued.\n")
    messages = PatientMessage.objects.order_by("channel")
    assert [(m.channel, m.kind, m.status, m.occurrence_id) for m in messages] == [
        (Channel.EMAIL, MessageKind.REMINDER, MessageStatus.QUEUED, first.pk),
        (Channel.SMS, MessageKind.REMINDER, MessageStatus.QUEUED, first.pk),
    ]
    assert DBTaskResult.objects.count() == 2
    assert mail.outbox == []  # nothing is sent until the worker runs

    _work()

    subject, body = _expected_text(first)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert (email.subject, email.body, email.to) == (subject, body, ["alpha@example.org"])
    assert sms.outbox == [("(555) 010-7788", body)]
    for text in (email.subject, email.body):
        for word in PRIVATE:
            assert word.lower() not in text.lower()
    assert set(PatientMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert all(m.sent_at is not None for m in PatientMessage.objects.all())
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}

    # Never twice: the next tick queues nothing and the worker sends nothing new.
    assert _tick().endswith("0 reminders queued.\n")
    _work()
    assert len(mail.outbox) == 1
    assert len(sms.outbox) == 1
    assert PatientMessage.objects.count() == 2


def test_sessions_beyond_the_lead_time_are_not_reminded(clinic, evening):
    _tick()
    reminded = set(PatientMessage.objects.values_list("occurrence_id", flat=True))
    assert reminded == {evening["first"].pk}
    assert not PatientMessage.objects.filter(occurrence=evening["second"]).exists()


def test_session_cancelled_after_queuing_is_skipped_never_sent(clinic, evening):
    first = evening["first"]
    _tick()
    services.cancel_occurrence(_request(clinic.director), first, "Facilitator ill")
    _work()
    reminders = PatientMessage.objects.filter(kind=MessageKind.REMINDER)
    assert set(reminders.values_list("status", "detail")) == {
        (MessageStatus.SKIPPED, "session cancelled or moved")
    }
    assert all(m.sent_at is None for m in reminders)
    # The cancellation notice goes out instead; no reminder does.
    local = first.starts_at.astimezone(NY)
    notice = (
        f"North: your appointment on {local:%A} {local.day} {local:%B} at 6 p.m. is cancelled. "
        "We will be in touch."
    )
    assert [(m.subject, m.body) for m in mail.outbox] == [("Appointment cancelled", notice)]
    assert sms.outbox == [("(555) 010-7788", notice)]
    # And a later tick does not remind about the cancelled session.
    assert _tick().endswith("0 reminders queued.\n")


def test_patient_without_contact_details_gets_nothing(clinic, evening):
    clinic.patient_a.phone = ""
    clinic.patient_a.email = ""
    clinic.patient_a.save()
    assert _tick().endswith("0 reminders queued.\n")
    _work()
    assert mail.outbox == []
    assert sms.outbox == []


def test_enqueue_option_hands_the_tick_to_the_worker(clinic, evening):
    out = io.StringIO()
    call_command("schedule_tick", "--enqueue", stdout=out)
    assert out.getvalue().startswith("Queued the schedule tick task (")
    assert not PatientMessage.objects.exists()
    _work()  # runs the tick, which queues the sends, which the same batch then runs
    assert len(mail.outbox) == 1
    assert len(sms.outbox) == 1
