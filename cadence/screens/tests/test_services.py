import datetime as dt
import zoneinfo

import pytest
from django.test import RequestFactory
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.screens.choices import MINUS
from cadence.screens.models import DrugScreen, ExpectedSubstance, ScreenResult
from cadence.screens.services import (
    ScreenError,
    add_expected_substance,
    end_expected_substance,
    record_lab_results,
    record_screen,
)
from cadence.screens.trend import build_trend

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def _request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def _at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=NY)


def _screen(clinic, day, results, **extra):
    options = {
        "program": clinic.program_a,
        "collected_at": _at(day) if isinstance(day, str) else day,
        "specimen": "urine",
        "observed": True,
        "method": "poc",
        "results": results,
    }
    return record_screen(_request(clinic.clinician_a), clinic.patient_a, **(options | extra))


def _bup(clinic, since="2026-10-10", until=None):
    return add_expected_substance(
        _request(clinic.clinician_a),
        clinic.patient_a,
        program=clinic.program_a,
        substance="buprenorphine",
        reason="prescribed buprenorphine (MOUD)",
        since=dt.date.fromisoformat(since),
        until=dt.date.fromisoformat(until) if until else None,
    )


def _marks(screen):
    return {r.substance: (r.result, r.expected, r.expected_reason) for r in screen.results.all()}


def test_positive_for_a_prescribed_substance_is_expected_only_within_its_dates(clinic):
    _bup(clinic, since="2026-10-10", until="2026-11-05")
    before = _screen(clinic, "2026-10-09", {"buprenorphine": "positive"})
    first_day = _screen(clinic, "2026-10-10", {"buprenorphine": "positive", "cocaine": "positive"})
    # 23:30 in New York on the last day is already 6 November in UTC: the local day counts.
    last_day = _screen(clinic, _at("2026-11-05", 23, 30), {"buprenorphine": "positive"})
    after = _screen(clinic, "2026-11-06", {"buprenorphine": "positive"})
    assert _marks(before) == {"buprenorphine": ("positive", False, "")}
    assert _marks(first_day) == {
        "buprenorphine": ("positive", True, "prescribed buprenorphine (MOUD)"),
        "cocaine": ("positive", False, ""),
    }
    assert _marks(last_day) == {
        "buprenorphine": ("positive", True, "prescribed buprenorphine (MOUD)")
    }
    assert _marks(after) == {"buprenorphine": ("positive", False, "")}
    assert [r.kind for r in first_day.results.order_by("substance")] == ["expected", "unexpected"]


def test_expected_substance_that_is_not_detected_is_marked_missing(clinic):
    _bup(clinic)
    screen = _screen(clinic, "2026-11-02", {"buprenorphine": "negative", "fentanyl": "negative"})
    kinds = {r.substance: r.kind for r in screen.results.all()}
    assert kinds == {"buprenorphine": "missing", "fentanyl": "negative"}


def test_record_screen_stores_the_collection_and_tested_rows_only(clinic):
    screen = _screen(
        clinic,
        "2026-11-02",
        {"cocaine": "negative", "thc": "positive", "pcp": "invalid", "xylazine": "not_tested"},
        notes="  Temperature in range  ",
    )
    screen.refresh_from_db()
    assert (screen.episode, screen.program, screen.status, screen.notes) == (
        clinic.episode_a,
        clinic.program_a,
        "resulted",
        "Temperature in range",
    )
    assert screen.collected_at == dt.datetime(2026, 11, 2, 15, 0, tzinfo=dt.UTC)
    assert (screen.recorded_by, screen.resulted_by) == (clinic.clinician_a, clinic.clinician_a)
    assert _marks(screen) == {
        "cocaine": ("negative", False, ""),
        "pcp": ("invalid", False, ""),
        "thc": ("positive", False, ""),
    }
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.object_type, event.object_id, event.summary) == (
        "create",
        "drug_screen",
        str(screen.pk),
        "Drug screen recorded",
    )
    assert (event.patient_id, event.patient_ref) == (clinic.patient_a.pk, clinic.patient_a.mrn)


def test_audit_rows_never_name_substances_or_reasons(clinic):
    expected = _bup(clinic)
    screen = _screen(clinic, "2026-11-02", {"buprenorphine": "positive", "cocaine": "positive"})
    end_expected_substance(_request(clinic.clinician_a), expected, dt.date(2026, 11, 10))
    text = " ".join(
        AuditEvent.objects.filter(object_type__in=["drug_screen", "expected_substance"])
        .values_list("summary", flat=True)
        .order_by("seq")
    )
    assert text == ("Expected substance added Drug screen recorded Expected substance ended")
    assert screen.pk


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"collected_at": "future"},
            "The collection time is in the future: enter when the specimen was collected.",
        ),
        (
            {"results": {"cocaine": "not_tested"}},
            "No substance was tested: mark each substance on the cup or report as negative, "
            "positive or invalid (or save a lab screen as waiting for results).",
        ),
        (
            {"pending": True},
            "Only a laboratory screen can wait for results: enter the cup's results now.",
        ),
        (
            {"pending": True, "method": "lab"},
            "A screen waiting for lab results has no results yet: set the panel to “not tested”, "
            "or untick “waiting for lab results” to enter them now.",
        ),
        (
            {"lab_name": "Quest"},
            "A lab name is only for laboratory screens: clear it or choose laboratory.",
        ),
        ({"specimen": "blood"}, "Choose the specimen: urine, oral fluid or other."),
        ({"results": {"heroin": "positive"}}, "'heroin' is not a substance on the panel."),
        ({"results": {"cocaine": "maybe"}}, "Choose a result for Cocaine (COC)."),
        ({"episode": "b"}, "That episode is not this patient's episode in this program."),
        (
            {"program": "b"},
            "Choose one of your programs in which this patient has a chart or an episode.",
        ),
    ],
)
def test_bad_screens_are_refused_with_what_to_fix_and_nothing_saved(clinic, change, message):
    change = dict(change)
    results = change.pop("results", {"cocaine": "negative"})
    if change.get("collected_at") == "future":
        change["collected_at"] = timezone.now() + dt.timedelta(minutes=5)
    if change.get("episode") == "b":
        change["episode"] = clinic.episode_b
    if change.get("program") == "b":
        change["program"] = clinic.program_b
    counts = (DrugScreen.objects.count(), ScreenResult.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ScreenError) as refused:
        _screen(clinic, "2026-11-02", results, **change)
    assert str(refused.value) == message
    assert (
        DrugScreen.objects.count(),
        ScreenResult.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


def test_an_episode_of_the_same_patient_in_another_program_is_refused(clinic):
    other = EpisodeFactory(patient=clinic.patient_a, program=clinic.program_b)
    clinic.director.refresh_from_db()
    with pytest.raises(ScreenError, match="not this patient's episode in this program"):
        record_screen(
            _request(clinic.director),
            clinic.patient_a,
            program=clinic.program_a,
            episode=other,
            collected_at=_at("2026-11-02"),
            specimen="urine",
            observed=False,
            method="poc",
            results={"cocaine": "negative"},
        )


def test_a_pending_lab_screen_is_resulted_later_with_expected_marking(clinic):
    _bup(clinic)
    screen = _screen(clinic, "2026-11-03", {}, method="lab", lab_name="Sample Labs", pending=True)
    screen.refresh_from_db()
    assert (screen.status, screen.resulted_at, screen.results.count()) == ("pending", None, 0)
    record_lab_results(
        _request(clinic.supervisor),
        screen,
        {"buprenorphine": "positive", "fentanyl": "positive", "thc": "not_tested"},
    )
    screen.refresh_from_db()
    assert (screen.status, screen.resulted_by, screen.lab_name) == (
        "resulted",
        clinic.supervisor,
        "Sample Labs",
    )
    assert screen.resulted_at is not None
    assert _marks(screen) == {
        "buprenorphine": ("positive", True, "prescribed buprenorphine (MOUD)"),
        "fentanyl": ("positive", False, ""),
    }
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.summary, event.actor) == (
        "update",
        "Drug screen lab results entered",
        "supervisor",
    )
    with pytest.raises(ScreenError, match="already entered"):
        record_lab_results(_request(clinic.clinician_a), screen, {"cocaine": "negative"})
    assert screen.results.count() == 2


def test_lab_results_need_at_least_one_substance(clinic):
    screen = _screen(clinic, "2026-11-03", {}, method="lab", pending=True)
    with pytest.raises(ScreenError, match="No substance was tested"):
        record_lab_results(_request(clinic.clinician_a), screen, {"thc": "not_tested"})
    screen.refresh_from_db()
    assert screen.status == "pending"


def test_expected_substances_cannot_overlap_and_end_after_they_start(clinic):
    expected = _bup(clinic, since="2026-10-10")
    with pytest.raises(ScreenError) as refused:
        _bup(clinic, since="2026-11-01")
    assert str(refused.value) == (
        "Buprenorphine (BUP) is already expected from 2026-10-10: end that entry first or "
        "choose dates outside it."
    )
    with pytest.raises(ScreenError, match=r"before the start \(2026-10-10\)"):
        end_expected_substance(_request(clinic.clinician_a), expected, dt.date(2026, 10, 1))
    end_expected_substance(_request(clinic.clinician_a), expected, dt.date(2026, 10, 31))
    expected.refresh_from_db()
    assert (expected.until, expected.ended_by) == (dt.date(2026, 10, 31), clinic.clinician_a)
    with pytest.raises(ScreenError, match="already ended"):
        end_expected_substance(_request(clinic.clinician_a), expected, dt.date(2026, 11, 1))
    later = _bup(clinic, since="2026-11-01")
    assert ExpectedSubstance.objects.filter(patient=clinic.patient_a).count() == 2
    assert later.until is None


def test_expected_substance_needs_a_reason_and_sane_dates(clinic):
    request = _request(clinic.clinician_a)
    common = {"program": clinic.program_a, "substance": "methadone"}
    with pytest.raises(ScreenError, match="Say why it is expected"):
        add_expected_substance(
            request, clinic.patient_a, reason=" ", since=dt.date(2026, 11, 1), **common
        )
    with pytest.raises(ScreenError, match=r"The end date is before the start date\."):
        add_expected_substance(
            request,
            clinic.patient_a,
            reason="methadone clinic",
            since=dt.date(2026, 11, 1),
            until=dt.date(2026, 10, 1),
            **common,
        )
    assert not ExpectedSubstance.objects.exists()


def test_adding_an_expected_substance_does_not_rewrite_recorded_results(clinic):
    screen = _screen(clinic, "2026-11-02", {"buprenorphine": "positive"})
    _bup(clinic, since="2026-10-01")
    assert _marks(screen) == {"buprenorphine": ("positive", False, "")}


def test_trend_summary_counts_clean_screens_and_names_the_last_unexpected_positive(clinic):
    _bup(clinic)
    _screen(clinic, "2026-11-01", {"cocaine": "positive", "fentanyl": "positive"})
    _screen(clinic, "2026-11-03", {"cocaine": "negative", "buprenorphine": "positive"})
    _screen(clinic, "2026-11-05", {"cocaine": "negative", "buprenorphine": "negative"})
    screens = list(DrugScreen.objects.prefetch_related("results").order_by("-collected_at", "-id"))
    unexpected = list(
        ScreenResult.objects.filter(result="positive", expected=False)
        .select_related("screen")
        .order_by("-screen__collected_at", "-id")
    )
    substances = ScreenResult.objects.values_list("substance", flat=True)
    with timezone.override(NY):
        trend = build_trend(screens, substances, unexpected)
    assert trend.summary == (
        "1 of the last 3 screens had an unexpected positive; last unexpected positive: "
        "cocaine and fentanyl on 2026-11-01. Latest screen: buprenorphine expected but not "
        "detected."
    )
    assert [r.substance for r in trend.rows] == ["buprenorphine", "cocaine", "fentanyl"]
    assert [[c.text for c in r.cells] for r in trend.rows] == [
        ["·", "+ expected", f"{MINUS} expected"],
        ["+ unexpected", MINUS, MINUS],
        ["+ unexpected", "·", "·"],
    ]
