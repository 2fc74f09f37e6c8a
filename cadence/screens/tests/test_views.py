import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.audit.models import AuditEvent
from cadence.screens.choices import STANDARD_CUP, Substance
from cadence.screens.models import DrugScreen, ExpectedSubstance, ScreenResult
from cadence.screens.tests.factories import (
    DrugScreenFactory,
    ExpectedSubstanceFactory,
    ScreenResultFactory,
)
from conftest import login

pytestmark = pytest.mark.django_db
UNEXPECTED = '<span aria-hidden="true">+ unexpected</span>'
EXPECTED = '<span aria-hidden="true">+ expected</span>'


def _chart(clinic):
    return reverse("screens:chart", args=[clinic.patient_a.pk])


def _new(clinic):
    return reverse("screens:new", args=[clinic.patient_a.pk])


def _form(**changes):
    """A valid point-of-care screen: cocaine positive, the rest of the cup negative."""
    data = {
        "collected_on": "2026-11-20",
        "collected_time": "09:30",
        "specimen": "urine",
        "observed": "yes",
        "method": "poc",
        "lab_name": "",
        "notes": "Temperature strip in range",
        "confirm": "on",
    }
    data |= {f"sub_{s}": "not_tested" for s in Substance.values}
    data |= {f"sub_{s}": "negative" for s in STANDARD_CUP}
    data["sub_cocaine"] = "positive"
    return data | changes


def _screen_for(clinic, **extra):
    return DrugScreenFactory(
        patient=clinic.patient_a,
        program=clinic.program_a,
        episode=clinic.episode_a,
        recorded_by=clinic.clinician_a,
        **extra,
    )


def _counts():
    return (DrugScreen.objects.count(), ScreenResult.objects.count())


def test_recording_a_cup_stores_local_time_results_and_shows_on_the_chart(clinic):
    client = login(clinic.clinician_a)
    ExpectedSubstanceFactory(
        patient=clinic.patient_a, program=clinic.program_a, recorded_by=clinic.clinician_a
    )
    response = client.post(_new(clinic), _form(sub_buprenorphine="positive"))
    assert response.status_code == 302
    assert response["Location"] == _chart(clinic)
    screen = DrugScreen.objects.get()
    # 09:30 in New York (the program's site) on 20 November is 14:30 UTC.
    assert screen.collected_at == dt.datetime(2026, 11, 20, 14, 30, tzinfo=dt.UTC)
    assert (screen.observed, screen.method, screen.status, screen.episode) == (
        True,
        "poc",
        "resulted",
        clinic.episode_a,
    )
    assert screen.results.count() == 12
    assert screen.results.get(substance="buprenorphine").expected is True
    assert screen.results.get(substance="cocaine").expected is False
    page = client.get(_chart(clinic)).content.decode()
    assert "Drug screen recorded." in page
    assert (
        "The last screen had an unexpected positive; last unexpected positive: cocaine on "
        "2026-11-20." in page
    )
    assert page.count(UNEXPECTED) == 1
    assert page.count(EXPECTED) == 1
    assert "2026-11-20 09:30" in page  # the list shows the site's local time


def test_form_errors_say_what_to_fix_keep_the_input_and_save_nothing(clinic):
    before = _counts()
    response = login(clinic.clinician_a).post(
        _new(clinic), _form(confirm="", observed="", notes="Left early")
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was saved: fix what is marked below." in page
    assert "Say whether staff observed the collection." in page
    assert "Tick this box to confirm you compared every row with the cup or the lab report" in page
    assert re.search(r'name="sub_cocaine" value="positive"[^>]*checked', page)
    assert re.search(r'name="sub_thc" value="negative"[^>]*checked', page)
    assert "Left early</textarea>" in page
    assert 'value="2026-11-20"' in page and 'value="09:30"' in page
    assert _counts() == before


def test_a_collection_time_in_the_future_is_refused_on_the_time_field(clinic):
    tomorrow = timezone.localdate(timezone=clinic.program_a.site.tz) + dt.timedelta(days=1)
    response = login(clinic.clinician_a).post(
        _new(clinic), _form(collected_on=tomorrow.isoformat())
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "The collection time is in the future: enter when the specimen was collected." in page
    assert DrugScreen.objects.count() == 0


def test_a_panel_with_nothing_tested_is_refused(clinic):
    data = _form() | {f"sub_{s}": "not_tested" for s in Substance.values}
    response = login(clinic.clinician_a).post(_new(clinic), data)
    assert "No substance was tested" in response.content.decode()
    assert DrugScreen.objects.count() == 0


def test_garbage_input_gets_form_errors_not_a_server_error(clinic):
    response = login(clinic.clinician_a).post(
        _new(clinic),
        _form(collected_on="20/11/2026", collected_time="9h", sub_cocaine="maybe", method="x"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid date." in page
    assert "Enter a valid time." in page
    assert "Choose a result for Cocaine (COC)." in page
    assert DrugScreen.objects.count() == 0


def test_the_new_screen_form_starts_blank_and_the_cup_button_fills_it_without_saving(clinic):
    client = login(clinic.clinician_a)
    blank = client.get(_new(clinic)).content.decode()
    assert len(re.findall(r'value="not_tested"[^>]*checked', blank)) == len(Substance.values)
    assert "Mark the standard 12-panel cup negative" in blank
    typed = _form(confirm="on", notes="Kept", sub_thc="positive", prefill="cup")
    typed |= {f"sub_{s}": "not_tested" for s in STANDARD_CUP if s != "thc"}
    response = client.post(_new(clinic), typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert DrugScreen.objects.count() == 0
    assert re.search(r'name="sub_thc" value="positive"[^>]*checked', page)  # kept
    assert re.search(r'name="sub_cocaine" value="negative"[^>]*checked', page)  # filled
    assert re.search(r'name="sub_xylazine" value="not_tested"[^>]*checked', page)
    assert not re.search(r'name="confirm"[^>]*checked', page)  # the person confirms again
    assert "Kept</textarea>" in page
    assert "Nothing was saved" not in page


def test_a_lab_screen_waits_for_results_then_is_resulted(clinic):
    client = login(clinic.supervisor)
    data = _form(method="lab", lab_name="Sample Labs", pending="on", confirm="")
    data |= {f"sub_{s}": "not_tested" for s in Substance.values}
    response = client.post(_new(clinic), data)
    assert response.status_code == 302
    screen = DrugScreen.objects.get()
    assert (screen.status, screen.lab_name, screen.results.count()) == ("pending", "Sample Labs", 0)
    chart = client.get(_chart(clinic)).content.decode()
    assert "Waiting for lab results" in chart
    results_url = reverse("screens:results", args=[screen.pk])
    assert results_url in chart
    assert client.get(results_url).status_code == 200
    missing_confirm = client.post(results_url, {"sub_fentanyl": "positive", "sub_thc": "negative"})
    assert "Tick this box to confirm" in missing_confirm.content.decode()
    response = client.post(
        results_url, {"sub_fentanyl": "positive", "sub_thc": "negative", "confirm": "on"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("screens:detail", args=[screen.pk])
    screen.refresh_from_db()
    assert screen.status == "resulted"
    assert dict(screen.results.values_list("substance", "result")) == {
        "fentanyl": "positive",
        "thc": "negative",
    }
    detail = client.get(response["Location"]).content.decode()
    assert "Positive (unexpected)" in detail
    # A second entry is not possible: the results page sends you to the screen.
    again = client.get(results_url)
    assert again.status_code == 302


def test_a_pending_point_of_care_screen_is_refused(clinic):
    response = login(clinic.clinician_a).post(_new(clinic), _form(pending="on"))
    assert "Only a laboratory screen can wait for results" in response.content.decode()
    assert DrugScreen.objects.count() == 0


def test_chart_tab_view_is_audited(clinic):
    login(clinic.clinician_a).get(_chart(clinic))
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.summary, event.patient_id, event.actor) == (
        "view",
        "Chart: drug screens",
        clinic.patient_a.pk,
        "clinician_a",
    )


@pytest.mark.parametrize("persona", ["front_desk", "billing", "sysadmin", "clinician_b"])
def test_people_without_clinical_access_to_program_a_get_404_and_an_audited_denial(clinic, persona):
    screen = _screen_for(clinic)
    entry = ExpectedSubstanceFactory(
        patient=clinic.patient_a, program=clinic.program_a, recorded_by=clinic.clinician_a
    )
    client = login(clinic.persona(persona))
    urls = [
        _chart(clinic),
        _new(clinic),
        reverse("screens:detail", args=[screen.pk]),
        reverse("screens:results", args=[screen.pk]),
        reverse("screens:expected_add", args=[clinic.patient_a.pk]),
        reverse("screens:expected_end", args=[entry.pk]),
    ]
    for url in urls:
        denials = AuditEvent.objects.filter(action="denied").count()
        assert client.get(url).status_code == 404, url
        assert AuditEvent.objects.filter(action="denied").count() == denials + 1
    before = (_counts(), ExpectedSubstance.objects.count())
    assert client.post(_new(clinic), _form()).status_code == 404
    assert client.post(urls[5], {"until": "2026-11-20"}).status_code == 404
    assert (_counts(), ExpectedSubstance.objects.count()) == before
    entry.refresh_from_db()
    assert entry.until is None


def test_clinician_b_cannot_reach_a_program_a_screen_even_by_id(clinic):
    screen = _screen_for(clinic)
    client = login(clinic.clinician_b)
    response = client.post(
        reverse("screens:results", args=[screen.pk]), {"sub_thc": "negative", "confirm": "on"}
    )
    assert response.status_code == 404


def test_chart_query_count_is_the_same_for_2_and_10_screens(clinic, django_assert_max_num_queries):
    client = login(clinic.clinician_a)
    ExpectedSubstanceFactory(
        patient=clinic.patient_a, program=clinic.program_a, recorded_by=clinic.clinician_a
    )

    def add(n):
        for _ in range(n):
            screen = _screen_for(clinic)
            ScreenResultFactory(screen=screen, substance="cocaine", result="positive")
            ScreenResultFactory(
                screen=screen,
                substance="buprenorphine",
                result="positive",
                expected=True,
                expected_reason="prescribed",
            )
            ScreenResultFactory(screen=screen, substance="thc", result="negative")

    add(2)
    client.get(_chart(clinic))
    with CaptureQueriesContext(connection) as small:
        assert client.get(_chart(clinic)).status_code == 200
    add(8)
    with (
        django_assert_max_num_queries(len(small.captured_queries)),
        CaptureQueriesContext(connection) as large,
    ):
        response = client.get(_chart(clinic))
    assert response.status_code == 200
    assert response.content.decode().count(UNEXPECTED) == 10
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 22


def test_trend_grid_shows_the_last_12_collections_newest_right(clinic):
    for day in range(1, 15):
        screen = _screen_for(clinic, collected_at=dt.datetime(2026, 10, day, 15, tzinfo=dt.UTC))
        ScreenResultFactory(
            screen=screen, substance="thc", result="positive" if day == 14 else "negative"
        )
    page = login(clinic.clinician_a).get(_chart(clinic)).content.decode()
    grid = page[page.index('class="screen-trend"') : page.index("</table>")]
    headers = re.findall(r">(10-\d\d)</a>", grid)
    assert headers == [f"10-{d:02d}" for d in range(3, 15)]
    assert grid.count("<td") == 12
    assert "1 of the last 12 screens had an unexpected positive" in page
    assert "last unexpected positive: cannabis on 2026-10-14" in page


def test_expected_substances_are_added_and_ended_from_the_chart(clinic):
    client = login(clinic.clinician_a)
    add_url = reverse("screens:expected_add", args=[clinic.patient_a.pk])
    response = client.post(
        add_url,
        {
            "substance": "buprenorphine",
            "reason": "prescribed buprenorphine (MOUD)",
            "since": "2026-10-01",
        },
    )
    assert response.status_code == 302
    entry = ExpectedSubstance.objects.get()
    assert (entry.program, entry.until, entry.recorded_by) == (
        clinic.program_a,
        None,
        clinic.clinician_a,
    )
    chart = client.get(_chart(clinic)).content.decode()
    assert "prescribed buprenorphine (MOUD)" in chart
    end_url = reverse("screens:expected_end", args=[entry.pk])
    assert end_url in chart
    refused = client.post(end_url, {"until": "2026-09-01"})
    page = refused.content.decode()
    assert refused.status_code == 200
    assert "The end date is before the start (2026-10-01)." in page
    assert 'value="2026-09-01"' in page
    assert client.post(end_url, {"until": "2026-11-15"}).status_code == 302
    entry.refresh_from_db()
    assert entry.until == dt.date(2026, 11, 15)


def test_adding_an_expected_substance_without_a_reason_keeps_the_input(clinic):
    response = login(clinic.clinician_a).post(
        reverse("screens:expected_add", args=[clinic.patient_a.pk]),
        {"substance": "methadone", "reason": "", "since": "2026-10-01"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page
    assert re.search(r'<option value="methadone" selected>', page)
    assert ExpectedSubstance.objects.count() == 0


def test_director_in_two_programs_records_into_the_patients_program(clinic):
    response = login(clinic.director).post(_new(clinic), _form())
    assert response.status_code == 302
    assert DrugScreen.objects.get().program == clinic.program_a
