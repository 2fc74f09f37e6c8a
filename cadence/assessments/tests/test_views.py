import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from cadence.alerts.models import Alert
from cadence.assessments.models import Instrument, Response
from cadence.audit.models import AuditEvent
from conftest import login

pytestmark = pytest.mark.django_db


def _phq9(item9: int, skip: str = "") -> dict[str, str]:
    data = {f"item_{n}": "1" for n in range(1, 9) if str(n) != skip}
    data["item_9"] = str(item9)
    return data


def test_phq9_item9_raises_an_alert_for_the_primary_clinician(clinic):
    client = login(clinic.supervisor)
    before = Alert.objects.count()
    response = client.post(
        reverse("assessments:administer", args=[clinic.patient_a.pk, "PHQ-9"]), _phq9(2)
    )
    saved = Response.objects.latest("id")
    assert response.status_code == 302
    assert response["Location"] == f"/assessments/results/{saved.pk}/"
    assert (saved.scores, saved.bands, saved.alert_count) == (
        {"total": 10},
        {"total": "Moderate"},
        1,
    )
    assert saved.episode == clinic.episode_a
    alert = Alert.objects.latest("id")
    assert Alert.objects.count() == before + 1
    assert (alert.responsible, alert.program, alert.rule, alert.status) == (
        clinic.clinician_a,
        clinic.program_a,
        "phq9_item9",
        "open",
    )
    page = client.get(response["Location"]).content.decode()
    assert "Same-day follow-up with the patient is required" in page
    assert "Record the follow-up" in page
    # The responsible clinician sees it on Today, and on the chart header.
    today = login(clinic.clinician_a).get("/").content.decode()
    assert "Safety alerts waiting for follow-up (2)" in today  # one from the clinic fixture
    chart = login(clinic.clinician_a).get(reverse("episodes:chart", args=[clinic.patient_a.pk]))
    assert chart.content.decode().count("High alert · PHQ-9") == 2


def test_missing_answer_is_refused_and_nothing_is_saved(clinic):
    client = login(clinic.clinician_a)
    counts = (Response.objects.count(), Alert.objects.count())
    response = client.post(
        reverse("assessments:administer", args=[clinic.patient_a.pk, "PHQ-9"]),
        _phq9(3, skip="4"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Question 4: an answer is required." in page
    assert "Nothing was saved" in page
    assert re.search(r'name="item_9" value="3"[^>]*checked', page)  # what was chosen is kept
    assert (Response.objects.count(), Alert.objects.count()) == counts


def test_out_of_range_answer_is_refused(clinic):
    response = login(clinic.clinician_a).post(
        reverse("assessments:administer", args=[clinic.patient_a.pk, "PHQ-9"]),
        _phq9(0) | {"item_1": "7"},
    )
    assert "Select a valid choice. 7 is not one of the available choices." in (
        response.content.decode()
    )


def test_a_switched_off_instrument_cannot_be_given(clinic):
    client = login(clinic.clinician_a)
    response = client.get(reverse("assessments:administer", args=[clinic.patient_a.pk, "DAST-10"]))
    assert response.status_code == 404
    denial = AuditEvent.objects.filter(action="denied").latest("seq")
    assert denial.object_id == "DAST-10"


def test_director_switches_an_instrument_on_and_it_is_audited(clinic):
    client = login(clinic.director)
    client.post(reverse("assessments:instrument_switch", args=["DAST-10"]), {"enabled": "on"})
    assert Instrument.objects.get(code="DAST-10").enabled is True
    assert AuditEvent.objects.filter(summary="DAST-10 switched on").count() == 1
    client.post(reverse("assessments:instrument_switch", args=["DAST-10"]), {})
    assert Instrument.objects.get(code="DAST-10").enabled is False


def test_follow_up_closes_the_alert_once(clinic):
    client = login(clinic.clinician_a)
    url = reverse("alerts:detail", args=[clinic.alert_a.pk])
    refused = client.post(url, {"action": "other", "note": " "})
    assert "Describe what was done." in refused.content.decode()
    ok = client.post(url, {"action": "safety_plan", "note": "Safety plan written together."})
    assert ok.status_code == 302
    clinic.alert_a.refresh_from_db()
    assert (
        clinic.alert_a.status,
        clinic.alert_a.follow_up_action,
        clinic.alert_a.followed_up_by,
    ) == ("followed_up", "safety_plan", clinic.clinician_a)
    again = login(clinic.supervisor).post(url, {"action": "assessed", "note": ""}, follow=True)
    assert "This alert was already followed up." in again.content.decode()
    clinic.alert_a.refresh_from_db()
    assert clinic.alert_a.follow_up_action == "safety_plan"
    assert "Safety alerts waiting" not in login(clinic.clinician_a).get("/").content.decode()


def test_front_desk_sees_no_clinical_results_or_alerts(clinic):
    client = login(clinic.front_desk)
    chart = client.get(reverse("episodes:chart", args=[clinic.patient_a.pk])).content.decode()
    alerts_slot = chart.split('aria-label="Alerts"')[1].split("</section>")[0]
    assert "alert" not in alerts_slot.lower()
    assert "Assessments</a>" not in chart
    assert client.get(reverse("assessments:result", args=[clinic.response_a.pk])).status_code == 404


def test_result_page_lists_earlier_results(clinic):
    client = login(clinic.clinician_a)
    url = reverse("assessments:administer", args=[clinic.patient_a.pk, "PHQ-9"])
    client.post(url, {f"item_{n}": "0" for n in range(1, 10)})
    latest = Response.objects.latest("id")
    page = client.get(reverse("assessments:result", args=[latest.pk])).content.decode()
    assert "Total 9 (Mild)" in page  # the fixture's earlier PHQ-9
    assert "This is the first" not in page


def test_load_instruments_is_idempotent(capsys):
    call_command("load_instruments")
    assert "0 change(s)." in capsys.readouterr().out


def _placement(ratings=(1, 1, 2, 1, 2, 1), **overrides):
    data = {
        "edition": "3",
        "chosen_level": "2.1",
        "difference": "",
        "difference_note": "",
        "stable_home": "on",
        "willing_to_attend": "on",
    }
    for n, rating in enumerate(ratings, start=1):
        data[f"rating_{n}"] = str(rating)
        data[f"rationale_{n}"] = f"Observed reason {n}"
    data.update(overrides)
    return data


def test_placement_computes_the_recommendation_and_stores_rationale(clinic):
    from cadence.assessments.models import Placement

    client = login(clinic.clinician_a)
    url = reverse("assessments:placement", args=[clinic.patient_a.pk])
    page = client.get(url).content.decode()
    assert "The rule: minimum level for each rating" in page
    response = client.post(url, _placement())
    assert response.status_code == 302
    placement = Placement.objects.get()
    assert (placement.recommended_level, placement.chosen_level, placement.ratings) == (
        "2.1",
        "2.1",
        [1, 1, 2, 1, 2, 1],
    )
    assert placement.recommended_because == (
        "Level 2.1, set by dimension 3 (emotional, behavioral or cognitive conditions), "
        "dimension 5 (relapse, continued use or continued problem potential)."
    )
    assert (placement.stable_home, placement.severity_fits) == (True, False)
    assert placement.episode == clinic.episode_a


def test_choosing_another_level_needs_a_reason(clinic):
    from cadence.assessments.models import Placement

    client = login(clinic.clinician_a)
    url = reverse("assessments:placement", args=[clinic.patient_a.pk])
    ratings = (0, 0, 3, 1, 2, 1)  # recommends 2.5
    page = client.post(url, _placement(ratings)).content.decode()
    assert "The chosen level differs from the recommended 2.5: say why." in page
    assert "Observed reason 3</textarea>" in page
    page = client.post(url, _placement(ratings, difference="judgement")).content.decode()
    assert "Explain the difference from the recommended level." in page
    assert Placement.objects.count() == 0
    client.post(url, _placement(ratings, difference="no_capacity"))
    placement = Placement.objects.get()
    assert (placement.recommended_level, placement.chosen_level, placement.difference) == (
        "2.5",
        "2.1",
        "no_capacity",
    )


def test_placement_needs_every_rating_and_rationale(clinic):
    client = login(clinic.clinician_a)
    url = reverse("assessments:placement", args=[clinic.patient_a.pk])
    page = client.post(url, _placement(rationale_4="", rating_6="")).content.decode()
    assert page.count("This field is required.") == 2


def _evaluation(clinic, **overrides):
    data = {
        "performed_on": "2026-11-17",
        "housing": "stable",
        "moud": "buprenorphine",
        "goals": "Keep my job and be there for my kids",
        "trauma": "Car accident 2019",
        "substances-TOTAL_FORMS": "2",
        "substances-INITIAL_FORMS": "0",
        "substances-0-substance": "alcohol",
        "substances-0-is_primary": "on",
        "substances-0-age_first_use": "15",
        "substances-0-last_use": "2026-11-14",
        "substances-0-frequency": "daily",
        "substances-0-route": "oral",
        "substances-1-substance": "opioids",
        "substances-1-frequency": "weekly",
        "substances-1-route": "nasal",
        "diagnoses-TOTAL_FORMS": "1",
        "diagnoses-INITIAL_FORMS": "0",
        "diagnoses-0-code": "F10.20",
        "diagnoses-0-description": "Alcohol use disorder, severe",
        "diagnoses-0-diagnosed_by": clinic.clinician_a.pk,
    }
    data.update(overrides)
    return data


def test_evaluation_with_substances_and_diagnoses(clinic):
    from cadence.assessments.models import Diagnosis, Evaluation

    client = login(clinic.clinician_a)
    response = client.post(
        reverse("assessments:evaluation_new", args=[clinic.patient_a.pk]), _evaluation(clinic)
    )
    evaluation = Evaluation.objects.latest("id")
    assert evaluation.patient == clinic.patient_a
    assert response.status_code == 302
    assert [(s.substance, s.is_primary, s.frequency) for s in evaluation.substances.all()] == [
        ("alcohol", True, "daily"),
        ("opioids", False, "weekly"),
    ]
    diagnosis = Diagnosis.objects.get()
    assert (
        diagnosis.code,
        diagnosis.diagnosed_by,
        diagnosis.patient,
        str(diagnosis.diagnosed_on),
    ) == ("F10.20", clinic.clinician_a, clinic.patient_a, "2026-11-17")
    event = AuditEvent.objects.get(object_type="evaluation")
    assert event.summary == "Comprehensive evaluation recorded"  # no codes in the audit
    page = client.get(response["Location"]).content.decode()
    assert "Keep my job and be there for my kids" in page
    assert "Buprenorphine" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"diagnoses-0-code": "ALC1"}, "Enter an ICD-10-CM code such as F10.20"),
        ({"diagnoses-0-diagnosed_by": "999999"}, "Select a valid choice."),
        ({"goals": ""}, "This field is required."),
        ({"performed_on": "2999-01-01"}, "The evaluation date is in the future."),
        ({"substances-0-age_first_use": "140"}, "less than or equal to 100"),
    ],
)
def test_bad_evaluation_input_saves_nothing(clinic, overrides, message):
    from cadence.assessments.models import Diagnosis, Evaluation, SubstanceUse

    client = login(clinic.clinician_a)

    def counts():
        return (Evaluation.objects.count(), SubstanceUse.objects.count(), Diagnosis.objects.count())

    before = counts()
    page = client.post(
        reverse("assessments:evaluation_new", args=[clinic.patient_a.pk]),
        _evaluation(clinic, **overrides),
    ).content.decode()
    assert message in page
    assert "Nothing was saved" in page
    assert "Car accident 2019" in page
    assert counts() == before


def test_diagnosing_clinician_must_be_in_my_programs(clinic):
    page = (
        login(clinic.clinician_a)
        .post(
            reverse("assessments:evaluation_new", args=[clinic.patient_a.pk]),
            _evaluation(clinic, **{"diagnoses-0-diagnosed_by": clinic.clinician_b.pk}),
        )
        .content.decode()
    )
    assert "Select a valid choice." in page


def test_a_definition_that_does_not_validate_is_refused_at_load_time(tmp_path):
    import json
    import shutil

    from django.core.management.base import CommandError

    from cadence.assessments.definitions import FOLDER

    shutil.copy(FOLDER / "gad7.json", tmp_path / "gad7.json")
    broken = json.loads((FOLDER / "phq9.json").read_text())
    broken["bands"].pop(2)  # leaves a gap at 10
    (tmp_path / "phq9.json").write_text(json.dumps(broken))
    before = list(Instrument.objects.values_list("code", "version", "definition"))
    with pytest.raises(
        CommandError, match=r"phq9\.json: PHQ-9 bands for total: gap or overlap at 10"
    ):
        call_command("load_instruments", "--folder", str(tmp_path))
    (tmp_path / "phq9.json").write_text("{not json")
    with pytest.raises(CommandError, match=r"phq9\.json: not valid JSON"):
        call_command("load_instruments", "--folder", str(tmp_path))
    assert list(Instrument.objects.values_list("code", "version", "definition")) == before
