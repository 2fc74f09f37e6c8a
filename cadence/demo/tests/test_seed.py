import datetime as dt
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from cadence.accounts.models import User
from cadence.assessments.models import Instrument
from cadence.demo.builder import FAMILY, STAFF, seed
from cadence.episodes.models import Episode
from cadence.intake.models import Referral
from cadence.patients.models import Patient
from cadence.patients.normalize import mrn_is_valid
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.models import Program, Site
from cadence.scheduling.choices import TopicKind
from cadence.scheduling.ledger import worklist
from cadence.scheduling.models import (
    Appointment,
    Attendance,
    Enrollment,
    Holiday,
    Occurrence,
    Outreach,
    SessionSeries,
    StaffAvailability,
    Topic,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 22)


def test_demo_clinic_has_every_stage_two_sites_and_staff_in_each_role():
    seed(80, today=TODAY)
    assert Patient.objects.count() == 80
    assert Patient.objects.filter(is_synthetic=False).count() == 0
    assert sorted(Site.objects.values_list("time_zone", flat=True)) == [
        "America/Denver",
        "America/New_York",
    ]
    assert sorted(Program.objects.values_list("name", flat=True)) == [
        "Adult SUD IOP",
        "Co-occurring IOP",
    ]
    assert User.objects.count() == len(STAFF) == 12
    assert {u.role for u in User.objects.all()} == {
        "director",
        "supervisor",
        "clinician",
        "intake",
        "front_desk",
        "billing",
        "sysadmin",
    }
    stages = Counter(Episode.objects.values_list("status", flat=True))
    assert stages == {"active": 49, "referred": 12, "discharged": 12, "on_hold": 7}
    assert all(mrn_is_valid(m) for m in Patient.objects.values_list("mrn", flat=True))
    referrals = Counter(Referral.objects.values_list("stage", flat=True))
    # the 12 referred patients spread over the open stages, 6 new inquiries, 3 closed
    assert referrals == {
        "new": 3 + 6,
        "screening": 3,
        "scheduled": 3,
        "assessed": 3,
        "referred_elsewhere": 1,
        "declined": 1,
        "no_response": 1,
    }
    assert Instrument.objects.count() == 10
    # Obviously fake: every family name is built from the fake list.
    for last in Patient.objects.values_list("legal_last_name", flat=True):
        assert all(part in FAMILY for part in last.split("-"))


def _people():
    return list(
        Patient.objects.order_by("mrn").values_list(
            "legal_first_name", "legal_last_name", "date_of_birth", "phone"
        )
    )


def _history():
    return list(
        Attendance.objects.order_by("patient__mrn", "occurrence__starts_at").values_list(
            "patient__mrn", "occurrence__starts_at", "status", "minutes"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_demo_is_deterministic():
    seed(20, today=TODAY)
    first, history = _people(), _history()
    call_command("flush", interactive=False, verbosity=0)
    seed(20, today=TODAY)
    assert _people() == first
    assert len(first) == 20
    assert _history() == history
    assert len(history) > 100


def test_seed_refuses_a_database_with_real_patients(clinic):
    PatientFactory(registered_program=clinic.program_a, is_synthetic=False)
    with pytest.raises(CommandError, match="not marked synthetic"):
        call_command("seed_demo", "--patients", "5")
    assert Patient.objects.count() == 4


def test_seed_command_scales_and_is_idempotent(capsys):
    call_command("seed_demo", "--patients", "300")
    assert Patient.objects.count() == 300
    out = capsys.readouterr().out
    assert "director" in out and "cadence-demo" in out
    assert "Schedule: 18 group series" in out and "waiting: tracks full" in out
    call_command("seed_demo", "--patients", "300")
    assert Patient.objects.count() == 300
    assert "already loaded" in capsys.readouterr().out


def test_demo_clinic_has_a_weekly_rhythm_with_history_and_follow_ups():
    clinic = seed(80, today=TODAY)
    stats = clinic.schedule
    assert stats is not None
    # three groups for each of the three tracks of both programs
    assert SessionSeries.objects.count() == stats.series == 18
    assert sorted(
        SessionSeries.objects.filter(track__name="Evening")
        .values_list("title", "start_time", "end_time", "days")
        .distinct()
    ) == [
        ("Process group", dt.time(18), dt.time(19), "013"),
        ("Psychoeducation", dt.time(19), dt.time(20), "013"),
        ("Relapse prevention", dt.time(20), dt.time(21), "013"),
    ]
    assert all(s.facilitators.exists() for s in SessionSeries.objects.all())
    assert all(s.starts_on == dt.date(2026, 9, 7) for s in SessionSeries.objects.all())
    assert Counter(Topic.objects.values_list("program__name", flat=True)) == {
        "Adult SUD IOP": 15,
        "Co-occurring IOP": 16,
    }
    for program in Program.objects.all():
        assert set(Topic.objects.filter(program=program).values_list("kind", flat=True)) == set(
            TopicKind.values
        )
    # Every active episode is enrolled from its admission (or the series start if later).
    active = Episode.objects.filter(status="active")
    assert Enrollment.objects.count() == stats.enrolled == active.count() == 49
    for enr in Enrollment.objects.select_related("episode"):
        assert enr.track_id == enr.episode.track_id
        assert enr.starts_on == max(enr.episode.admission_date, dt.date(2026, 9, 7))
    # Holidays close both programs: Labor Day (in the history) and the ones ahead.
    assert sorted(set(Holiday.objects.values_list("date", "name")))[:3] == [
        (dt.date(2026, 9, 7), "Labor Day"),
        (dt.date(2026, 11, 26), "Thanksgiving Day"),
        (dt.date(2026, 12, 25), "Christmas Day"),
    ]
    thanksgiving = Occurrence.objects.filter(date=dt.date(2026, 11, 26))
    assert thanksgiving.count() == 12  # morning and evening groups of both programs
    assert set(thanksgiving.values_list("status", flat=True)) == {"cancelled"}
    # Occurrences for the past ten weeks and ahead; attendance only for held past sessions.
    assert Occurrence.objects.filter(date__lt=TODAY).exists()
    assert Occurrence.objects.filter(date__gt=TODAY).exists()
    rows = list(Attendance.objects.select_related("occurrence"))
    assert len(rows) == stats.attendance > 1000
    assert all(r.date < TODAY and r.occurrence.status == "scheduled" for r in rows)
    on_roster = {(e.episode_id, e.track_id): e.starts_on for e in Enrollment.objects.all()}
    assert all(r.date >= on_roster[(r.episode_id, r.occurrence.track_id)] for r in rows)
    for r in rows:
        if r.status == "present":
            assert r.minutes == r.occurrence.minutes
        elif r.status in ("absent_excused", "absent_unexcused"):
            assert r.minutes == 0
        else:
            assert 0 < r.minutes < r.occurrence.minutes
    statuses = Counter(r.status for r in rows)
    absent = statuses["absent_excused"] + statuses["absent_unexcused"]
    assert 0.05 < absent / len(rows) < 0.12
    assert statuses["present"] / len(rows) > 0.8
    assert statuses["late"] > 0 and statuses["left_early"] > 0
    # Some patients missed their last program days: the worklist has follow-ups.
    episodes = list(active.select_related("program", "phase", "patient"))
    items = worklist(episodes, TODAY)
    assert items
    assert any("absences in a row" in reason for i in items for reason in i.reasons)
    assert Outreach.objects.exists()
    # Availability for the demo clinicians; a few appointments next week, none on Thanksgiving.
    assert StaffAvailability.objects.filter(user__username="clinician.a").count() == 5
    appointments = list(Appointment.objects.all())
    assert len(appointments) == stats.appointments > 0
    assert all(dt.date(2026, 11, 23) <= a.date <= dt.date(2026, 11, 27) for a in appointments)
    assert all(a.date != dt.date(2026, 11, 26) for a in appointments)


def test_demo_leaves_patients_unenrolled_when_a_track_is_full():
    clinic = seed(300, today=TODAY)
    assert clinic.schedule is not None and clinic.schedule.unenrolled > 0
    per_track = Counter(Enrollment.objects.values_list("track_id", flat=True))
    assert max(per_track.values()) == 12  # the demo programs' group size cap
    assert (
        Enrollment.objects.count() + clinic.schedule.unenrolled
        == Episode.objects.filter(status="active").count()
    )
