from decimal import Decimal

from django.urls import reverse

from cadence.audit.models import AuditEvent
from cadence.outcomes.change import norm_from
from cadence.outcomes.models import ChangeNorm
from conftest import login


def _phq9() -> ChangeNorm:
    return ChangeNorm.objects.get(instrument_code="PHQ-9", score_code="total")


def test_seeded_norms_give_the_usual_reliable_change_thresholds(db):
    phq9 = norm_from(_phq9())
    gad7 = norm_from(ChangeNorm.objects.get(instrument_code="GAD-7"))
    # 1.96 * sqrt(2) * SD * sqrt(1 - r): PHQ-9 5.70/0.89 -> 5.24 points (6 on a whole-point
    # scale), GAD-7 5.00/0.92 -> 3.92 points (4).
    assert round(phq9.reliable_difference, 2) == 5.24
    assert round(gad7.reliable_difference, 2) == 3.92
    assert phq9.remission_below == 5
    bam_use = norm_from(ChangeNorm.objects.get(instrument_code="BAM", score_code="use"))
    assert bam_use.reliable_difference is None


def test_director_sees_reference_values_with_their_thresholds(clinic):
    page = login(clinic.director).get(reverse("outcomes:norms")).content.decode()
    assert "PHQ-9 depression" in page
    assert "more than 5.24" in page
    assert "not set" in page  # BAM and others have no norm


def test_director_changes_reference_values_and_it_is_audited(clinic):
    norm = _phq9()
    response = login(clinic.director).post(
        reverse("outcomes:norm_edit", args=[norm.pk]),
        {
            "label": "PHQ-9 depression",
            "lower_is_better": "on",
            "remission_below": "5",
            "sd": "6.00",
            "reliability": "0.84",
            "source": "Local sample 2026",
            "on_dashboard": "on",
        },
    )
    assert response.status_code == 302
    norm.refresh_from_db()
    assert (norm.sd, norm.reliability) == (Decimal("6.00"), Decimal("0.840"))
    event = AuditEvent.objects.filter(object_type="change_norm").latest("id")
    assert event.object_id == str(norm.pk)
    assert event.summary == "Reference values changed: reliability, sd, source"


def test_half_a_norm_is_refused_with_the_typed_values_kept(clinic):
    norm = _phq9()
    response = login(clinic.director).post(
        reverse("outcomes:norm_edit", args=[norm.pk]),
        {"label": "PHQ-9 depression", "lower_is_better": "on", "sd": "7.25", "reliability": ""},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "needs both the standard deviation and the reliability" in page
    assert 'value="7.25"' in page
    norm.refresh_from_db()
    assert norm.sd == Decimal("5.70")


def test_out_of_range_reliability_is_refused(clinic):
    norm = _phq9()
    response = login(clinic.director).post(
        reverse("outcomes:norm_edit", args=[norm.pk]),
        {"label": "PHQ-9 depression", "sd": "5.7", "reliability": "1.5"},
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 0.999" in response.content.decode()
    norm.refresh_from_db()
    assert norm.reliability == Decimal("0.890")


def test_clinicians_cannot_change_reference_values(clinic):
    norm = _phq9()
    client = login(clinic.clinician_a)
    assert client.get(reverse("outcomes:norms")).status_code == 404
    response = client.post(
        reverse("outcomes:norm_edit", args=[norm.pk]),
        {"label": "Changed", "sd": "1", "reliability": "0.5"},
    )
    assert response.status_code == 404
    norm.refresh_from_db()
    assert norm.label == "PHQ-9 depression"
