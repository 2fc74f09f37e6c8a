import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode
from cadence.intake.models import Referral
from cadence.patients.models import Patient
from cadence.patients.tests.factories import PatientFactory
from conftest import login

pytestmark = pytest.mark.django_db


def _new(clinic, **overrides):
    data = {
        "program": clinic.program_a.pk,
        "received_on": "2026-11-18",
        "source": "hospital",
        "referrer": "Dr. Example, Sample General",
        "first_name": "Echo",
        "last_name": "Intakeson",
        "date_of_birth": "1991-07-04",
        "phone": "(555) 010-3344",
        "presenting_concern": "Alcohol use after ED visit",
        "next_action": "Call back",
        "next_action_due": "2026-11-19",
    }
    data.update(overrides)
    return data


def test_new_referral_is_saved_and_audited_without_names(clinic):
    client = login(clinic.front_desk)
    response = client.post(reverse("intake:new"), _new(clinic))
    referral = Referral.objects.get(last_name="Intakeson")
    assert response.status_code == 302
    assert (referral.stage, referral.created_by, referral.source) == (
        "new",
        clinic.front_desk,
        "hospital",
    )
    event = AuditEvent.objects.get(object_type="referral", action="create")
    assert "Intakeson" not in event.summary and "Echo" not in event.summary


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "The date of birth is in the future."),
        ({"received_on": "2999-01-01"}, "A referral cannot be received in the future."),
        ({"last_name": ""}, "This field is required."),
        ({"phone": "ring me"}, "Enter a phone number of 7 to 15 digits"),
        ({"program": "OTHER_PROGRAM"}, "Select a valid choice."),
    ],
)
def test_bad_referral_input_is_refused_and_kept(clinic, overrides, message):
    if overrides.get("program") == "OTHER_PROGRAM":
        overrides = {"program": clinic.program_b.pk}
    client = login(clinic.front_desk)
    count = Referral.objects.count()
    response = client.post(reverse("intake:new"), _new(clinic, **overrides))
    page = response.content.decode()
    assert message in page
    assert "Alcohol use after ED visit</textarea>" in page
    assert Referral.objects.count() == count


def test_board_groups_by_stage_with_days_waiting_and_overdue_actions(clinic):
    Referral.objects.create(
        program=clinic.program_a,
        received_on=dt.date.today() - dt.timedelta(days=4),
        source="self",
        first_name="Fox",
        last_name="Waiting",
        next_action="Call",
        next_action_due=dt.date.today() - dt.timedelta(days=1),
        created_by=clinic.front_desk,
    )
    response = login(clinic.front_desk).get(reverse("intake:board"))
    columns = {c["stage"].value: c["cards"] for c in response.context["columns"]}
    assert [c["r"].last_name for c in columns["new"]] == ["Waiting"]
    assert (columns["new"][0]["waiting"], columns["new"][0]["overdue"]) == (4, True)
    assert [c["r"].last_name for c in columns["assessed"]] == ["Referralton"]
    assert "overdue since" in response.content.decode()


def test_pipeline_moves_forward_and_refuses_skips(clinic):
    referral = Referral.objects.create(
        program=clinic.program_a,
        received_on=dt.date(2026, 11, 18),
        source="self",
        first_name="G",
        last_name="Mover",
        created_by=clinic.front_desk,
    )
    client = login(clinic.front_desk)
    url = reverse("intake:move", args=[referral.pk])
    refused = client.post(url, {"stage": "assessed"}, follow=True)
    assert "A referral in “New” cannot move to “Assessed”." in refused.content.decode()
    client.post(url, {"stage": "screening"})
    client.post(url, {"stage": "scheduled"})
    referral.refresh_from_db()
    assert referral.stage == "scheduled"
    summaries = list(
        AuditEvent.objects.filter(object_type="referral", action="update")
        .order_by("seq")
        .values_list("summary", flat=True)
    )
    assert summaries == ["Referral New → Screening", "Referral Screening → Assessment scheduled"]


def test_referring_elsewhere_needs_where_and_why_and_closes(clinic):
    client = login(clinic.front_desk)
    url = reverse("intake:close", args=[clinic.referral_a.pk])
    page = client.post(
        url, {"stage": "referred_elsewhere", "reason": "Needs PHP", "on": "2026-11-20"}
    ).content.decode()
    assert "Say where the person was referred." in page
    client.post(
        url,
        {
            "stage": "referred_elsewhere",
            "referred_to": "Sample PHP",
            "reason": "Needs 20+ hours",
            "on": "2026-11-20",
        },
    )
    clinic.referral_a.refresh_from_db()
    assert (
        clinic.referral_a.stage,
        clinic.referral_a.referred_to,
        clinic.referral_a.closed_on,
    ) == ("referred_elsewhere", "Sample PHP", dt.date(2026, 11, 20))
    moved = client.post(
        reverse("intake:move", args=[clinic.referral_a.pk]), {"stage": "scheduled"}, follow=True
    )
    assert "This referral is closed (referred elsewhere)." in moved.content.decode()


def test_opening_a_chart_checks_for_duplicates(clinic):
    existing = PatientFactory(
        registered_program=clinic.program_a,
        legal_first_name="Delta",
        legal_last_name="Referralton",
        date_of_birth=dt.date(1985, 3, 3),
    )
    client = login(clinic.front_desk)
    url = reverse("intake:chart", args=[clinic.referral_a.pk])
    page = client.post(url).content.decode()
    assert "Possible duplicate." in page
    assert f'href="/patients/{existing.pk}/"' in page
    clinic.referral_a.refresh_from_db()
    assert clinic.referral_a.patient is None
    client.post(url, {"confirm_new": "on"})
    clinic.referral_a.refresh_from_db()
    assert clinic.referral_a.patient is not None
    assert clinic.referral_a.patient.pk != existing.pk
    assert clinic.referral_a.patient.registered_program == clinic.program_a


def _admission(clinic, **overrides):
    data = {
        "admission_date": "2026-11-16",
        "admission_type": "step_down_residential",
        "level_of_care": "2.1",
        "phase": clinic.phase_a1.pk,
        "track": clinic.track_a.pk,
        "primary_clinician": clinic.clinician_a.pk,
    }
    data.update(overrides)
    return data


def test_admission_from_an_assessed_referral_creates_chart_and_episode(clinic):
    client = login(clinic.supervisor)
    response = client.post(reverse("intake:admit", args=[clinic.referral_a.pk]), _admission(clinic))
    clinic.referral_a.refresh_from_db()
    patient = clinic.referral_a.patient
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    episode = Episode.objects.get(patient=patient)
    assert (episode.status, episode.program, episode.admission_type) == (
        "active",
        clinic.program_a,
        "step_down_residential",
    )
    assert (clinic.referral_a.stage, clinic.referral_a.closed_on) == (
        "admitted",
        dt.date(2026, 11, 16),
    )


def test_failed_admission_leaves_no_chart_behind(clinic):
    from django.test import RequestFactory

    from cadence.episodes.services import EpisodeError
    from cadence.intake.services import admit_from_referral

    request = RequestFactory().post("/")
    request.user = clinic.supervisor
    patients = Patient.objects.count()
    with pytest.raises(EpisodeError, match="must be a clinician in this program"):
        admit_from_referral(
            request,
            clinic.referral_a,
            confirm_new=False,
            admission_date=dt.date(2026, 11, 16),
            admission_type="direct",
            track=clinic.track_a,
            phase=clinic.phase_a1,
            primary_clinician=clinic.clinician_b,  # not in program A
            level_of_care="2.1",
        )
    clinic.referral_a.refresh_from_db()
    assert (clinic.referral_a.stage, clinic.referral_a.patient) == ("assessed", None)
    assert Patient.objects.count() == patients


def test_admit_form_refuses_a_clinician_from_another_program(clinic):
    page = (
        login(clinic.supervisor)
        .post(
            reverse("intake:admit", args=[clinic.referral_a.pk]),
            _admission(clinic, primary_clinician=clinic.clinician_b.pk),
        )
        .content.decode()
    )
    assert "Select a valid choice." in page
    clinic.referral_a.refresh_from_db()
    assert clinic.referral_a.stage == "assessed"


def test_only_assessed_referrals_can_be_admitted(clinic):
    Referral.objects.filter(pk=clinic.referral_a.pk).update(stage="screening")
    response = login(clinic.supervisor).post(
        reverse("intake:admit", args=[clinic.referral_a.pk]), _admission(clinic), follow=True
    )
    assert "Only an assessed referral can be admitted." in response.content.decode()
    assert not Episode.objects.filter(patient__referrals=clinic.referral_a).exists()


def test_board_query_count_does_not_grow(clinic):
    client = login(clinic.front_desk)
    url = reverse("intake:board")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        return len(ctx.captured_queries)

    small = count()
    for n in range(25):
        Referral.objects.create(
            program=clinic.program_a,
            received_on=dt.date(2026, 11, 1),
            source="self",
            first_name="N",
            last_name=f"Many{n}",
            stage=["new", "screening", "scheduled", "assessed"][n % 4],
            created_by=clinic.front_desk,
        )
    assert count() == small
    assert small <= 7


def test_admission_uses_the_chart_already_linked(clinic):
    client = login(clinic.supervisor)
    client.post(reverse("intake:chart", args=[clinic.referral_a.pk]))
    clinic.referral_a.refresh_from_db()
    linked = clinic.referral_a.patient
    page = client.get(reverse("intake:detail", args=[clinic.referral_a.pk])).content.decode()
    assert 'name="confirm_new"' not in page
    client.post(reverse("intake:admit", args=[clinic.referral_a.pk]), _admission(clinic))
    assert Episode.objects.get(patient=linked).status == "active"
    assert Patient.objects.filter(legal_last_name="Referralton").count() == 1


def test_admission_links_the_placement_to_the_new_episode(clinic):
    from cadence.assessments.models import Evaluation, Placement

    client = login(clinic.supervisor)
    client.post(reverse("intake:chart", args=[clinic.referral_a.pk]))
    clinic.referral_a.refresh_from_db()
    data = {"edition": "4", "chosen_level": "2.1", "difference": "", "difference_note": ""}
    data |= {f"rating_{n}": str(r) for n, r in enumerate((1, 1, 2, 1, 1, 1), start=1)}
    data |= {f"rationale_{n}": "seen" for n in range(1, 7)}
    client.post(reverse("assessments:placement", args=[clinic.referral_a.patient_id]), data)
    placement = Placement.objects.get(patient=clinic.referral_a.patient)
    assert placement.episode is None  # no episode in care yet
    evaluation = Evaluation.objects.create(
        patient=clinic.referral_a.patient,
        performed_on=dt.date(2026, 11, 12),
        performed_by=clinic.supervisor,
        housing="stable",
        goals="Get back to work",
    )
    client.post(reverse("intake:admit", args=[clinic.referral_a.pk]), _admission(clinic))
    placement.refresh_from_db()
    evaluation.refresh_from_db()
    episode = Episode.objects.get(patient=clinic.referral_a.patient)
    assert (placement.episode, evaluation.episode) == (episode, episode)
