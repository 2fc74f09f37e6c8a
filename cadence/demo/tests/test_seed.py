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


@pytest.mark.django_db(transaction=True)
def test_demo_is_deterministic():
    seed(20, today=TODAY)
    first = _people()
    call_command("flush", interactive=False, verbosity=0)
    seed(20, today=TODAY)
    assert _people() == first
    assert len(first) == 20


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
    call_command("seed_demo", "--patients", "300")
    assert Patient.objects.count() == 300
    assert "already loaded" in capsys.readouterr().out
