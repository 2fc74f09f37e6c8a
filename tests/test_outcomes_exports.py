"""The dashboard's CSV exports, de-identified extract, links and date limits (review fixes):
CSV injection, extract order / range / restricted patients / one shift per patient, episode
wording, a drill-down link behind every number, and dates far outside any data.

Data: tests/test_outcomes_dashboard.py `build` (program A, 7 Sep to 4 Oct 2026)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from cadence.episodes.choices import DischargeType, EpisodeStatus
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.outcomes.deid import MIN_RANGE_DAYS, csv_safe, write_csv
from cadence.outcomes.models import ChangeNorm
from cadence.patients.tests.factories import PatientFactory
from cadence.programs.models import Program, Site
from conftest import login
from tests.test_outcomes_dashboard import FROM, TO, Data, build, d

pytestmark = pytest.mark.django_db

# A year ending on TO: the shortest range the extract accepts.
YEAR_FROM = TO - dt.timedelta(days=MIN_RANGE_DAYS - 1)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def data(clinic: Any) -> Data:
    return build(clinic)


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def _extract(client: Any, **params: Any) -> Any:
    return client.get(reverse("outcomes:export_deidentified"), params)


# --- 1. CSV injection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rReturn", "'\rReturn"),
        ("-2.5", "-2.5"),
        ("-12", "-12"),
        ("0.6667", "0.6667"),
        ("Adult IOP", "Adult IOP"),
        ("", ""),
        (-2.5, -2.5),
        (-3, -3),
    ],
)
def test_csv_safe_neutralises_formulas_and_keeps_numbers(value, expected):
    assert csv_safe(value) == expected


def test_write_csv_neutralises_header_and_cells():
    body = write_csv(["=h", "n"], [["@x", -1], ["ok", "-0.5"]])
    assert body.splitlines() == ["'=h,n", "'@x,-1", "ok,-0.5"]


def test_table_csv_neutralises_a_formula_label_but_keeps_negative_means(clinic, data):
    ChangeNorm.objects.filter(instrument_code="PHQ-9", score_code="total").update(
        label='=HYPERLINK("http://evil.example","PHQ")'
    )
    response = login(clinic.director).get(
        reverse("outcomes:export_table", args=["outcomes"]),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    phq = next(r for r in _rows(response.content) if "HYPERLINK" in r[0])
    assert phq[0] == '\'=HYPERLINK("http://evil.example","PHQ")'
    # 3 episodes: 20 -> 8, 15 -> 10, 18 -> 10; 2 discharged: 20 -> 8, 18 -> 10.
    assert phq[1:6] == ["3", "17.7", "9.3", "-8.3", "2"]
    assert phq[7:11] == ["2", "19.0", "9.0", "-10.0"]


def test_extract_neutralises_a_formula_program_name(clinic, data):
    Program.objects.filter(pk=clinic.program_a.pk).update(name="+cmd|' /C calc'!A0")
    response = _extract(
        login(clinic.director), date_from=YEAR_FROM, date_to=TO, program=clinic.program_a.pk
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["program"] for r in rows} == {"'+cmd|' /C calc'!A0"}
    e1 = next(r for r in rows if r["length_of_stay_days"] == "21")
    assert e1["phq9_total_baseline_day"] == "-2"  # a negative number stays a number


# --- 2. De-identified extract -------------------------------------------------------------


def test_extract_rows_are_sorted_by_pseudonym(clinic, data):
    for k in range(6):
        EpisodeFactory(
            program=clinic.program_a, track=clinic.track_a, admission_date=d(9, 10 + k),
            patient=PatientFactory(registered_program=clinic.program_a),
        )  # fmt: skip
    response = _extract(login(clinic.director), date_from=YEAR_FROM, date_to=TO)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    pseudonyms = [r["pseudonym"] for r in rows]
    assert len(pseudonyms) == 12  # E1, E2, E4, E5, E6, E7 and six more; E3 is restricted
    assert pseudonyms == sorted(pseudonyms)


@pytest.mark.parametrize(
    ("date_from", "date_to", "days"),
    [(TO, TO, 1), (FROM, TO, 28), (YEAR_FROM + dt.timedelta(days=1), TO, 364)],
)
def test_extract_refuses_a_range_shorter_than_a_year(clinic, data, date_from, date_to, days):
    response = _extract(login(clinic.director), date_from=date_from, date_to=date_to)
    body = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert f"at least 365 days (this one covers {days})" in body
    assert f"move From back to {YEAR_FROM:%d %b %Y} or earlier" in body
    assert "P-" not in body


def test_extract_accepts_exactly_a_year(clinic, data):
    response = _extract(login(clinic.director), date_from=YEAR_FROM, date_to=TO)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_dashboard_explains_why_the_extract_needs_a_longer_range(clinic, data):
    client = login(clinic.director)
    short = client.get(reverse("outcomes:dashboard"), {"date_from": FROM, "date_to": TO})
    body = short.content.decode()
    assert reverse("outcomes:export_deidentified") not in body
    assert "needs a date range of at least 365 days (this one covers 28)" in body
    year = client.get(reverse("outcomes:dashboard"), {"date_from": YEAR_FROM, "date_to": TO})
    assert reverse("outcomes:export_deidentified") in year.content.decode()
    assert "needs a date range" not in year.content.decode()


def test_extract_leaves_out_restricted_patients(clinic, data):
    response = _extract(
        login(clinic.director), date_from=YEAR_FROM, date_to=TO, program=clinic.program_a.pk
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    # E1, E2, E4, E5, E6; E3 (restricted, against advice, 13 days) is not there.
    assert len(rows) == 5
    assert sorted(r["length_of_stay_days"] for r in rows) == ["", "", "", "21", "23"]
    assert "against_advice" not in {r["discharge_type"] for r in rows}


def test_one_patient_with_two_episodes_keeps_one_pseudonym_and_one_shift(clinic, data):
    patient = data.e1.patient
    EpisodeFactory(
        patient=patient, program=clinic.program_a, track=clinic.track_a, phase=None,
        status=EpisodeStatus.DISCHARGED, admission_date=d(3, 2), discharge_date=d(4, 13),
        discharge_type=DischargeType.COMPLETED, referred_on=d(2, 23),
    )  # fmt: skip
    response = _extract(
        login(clinic.director), date_from=YEAR_FROM, date_to=TO, program=clinic.program_a.pk
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_los = {r["length_of_stay_days"]: r for r in rows}
    earlier, later = by_los["42"], by_los["21"]
    assert earlier["pseudonym"] == later["pseudonym"]
    assert len({r["pseudonym"] for r in rows}) == 5  # six episodes, five patients

    def shift(row: dict[str, str], real: dt.date) -> int:
        return (dt.date.fromisoformat(row["admission_date_shifted"]) - real).days

    assert shift(earlier, d(3, 2)) == shift(later, d(9, 7))
    assert (dt.date.fromisoformat(earlier["referred_on_shifted"]) - d(2, 23)).days == shift(
        later, d(9, 7)
    )


# --- 3. Wording ---------------------------------------------------------------------------


def test_attended_count_says_episodes(clinic, data):
    client = login(clinic.director)
    params = {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk}
    rows = _rows(client.get(reverse("outcomes:export_table", args=["attendance"]), params).content)
    assert rows[1:4] == [
        ["Days with a session", "8"],
        ["Average daily attendance (patients)", "2.75"],
        ["Episodes with at least one attended session", "6"],
    ]
    page = client.get(reverse("outcomes:dashboard"), params).content.decode()
    assert "Patients who attended at least once" not in page
    assert "Episodes with at least one attended session" in page


# --- 4. Every number links to the episodes behind it --------------------------------------

NUMBER = re.compile(r"-?\d+(\.\d+)?%?")


def test_every_number_on_the_dashboard_links_to_a_drill_down(clinic, data):
    response = login(clinic.director).get(
        reverse("outcomes:dashboard"),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    unlinked = [
        (table.slug, cell.text)
        for table in response.context["tables"]
        for row in table.rows
        for cell in row
        if NUMBER.fullmatch(cell.text) and not cell.href
    ]
    assert unlinked == []


def test_means_link_to_the_population_they_are_means_of(clinic, data):
    response = login(clinic.director).get(
        reverse("outcomes:dashboard"),
        {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk},
    )
    body = response.content.decode()
    expected = [
        'data-metric="attended:patients">8</a>',  # days with a session
        'data-metric="attended:patients">2.75</a>',  # average daily attendance
        'data-metric="discharges:all">21.0</a>',  # median stay: 13, 21, 23
        'data-metric="discharges:all">19.0</a>',  # mean stay
        'data-metric="discharges:type:completed">21.0</a>',
        'data-metric="discharges:type:completed">33.3%</a>',
        'data-metric="discharges:type:against_advice">13.0</a>',
        'data-metric="outcome:PHQ-9:total:latest">17.7</a>',  # mean at baseline
        'data-metric="outcome:PHQ-9:total:latest">-8.3</a>',  # mean change
        'data-metric="outcome:PHQ-9:total:discharge">9.0</a>',  # mean at discharge
        'data-metric="outcome:PHQ-9:total:discharge">-10.0</a>',
        'data-metric="referral:all">4.8</a>',  # mean of 6, 7, 4 and 2 days
        'data-metric="referral:all">5.0</a>',  # median
    ]
    assert [e for e in expected if e not in body] == []


def test_a_mean_opens_as_many_episodes_as_it_averages(clinic, data):
    client = login(clinic.director)
    params = {"date_from": FROM, "date_to": TO, "program": clinic.program_a.pk}
    tables = {
        t.slug: t for t in client.get(reverse("outcomes:dashboard"), params).context["tables"]
    }
    phq9 = next(r for r in tables["outcomes"].rows if r[1].key == "outcome:PHQ-9:total:latest")
    mean_discharge = phq9[9]  # "Mean at discharge"
    assert (mean_discharge.text, mean_discharge.key) == ("9.0", "outcome:PHQ-9:total:discharge")
    drill = client.get(mean_discharge.href)
    assert drill.status_code == 200 and drill.context["total"] == 2  # E1 and E3


# --- 5. Dates far outside any data --------------------------------------------------------


EARLY = "on or after 01 Jan 2000"
FUTURE = "cannot be in the future"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "0001-01-01", "date_to": "0001-01-31"}, "date_from", EARLY),
        ({"date_from": "1999-12-31", "date_to": "2000-01-31"}, "date_from", EARLY),
        ({"date_from": "2026-09-07", "date_to": "0001-01-01"}, "date_to", EARLY),
        ({"date_from": "9999-12-31", "date_to": "9999-12-31"}, "date_from", FUTURE),
        ({"date_from": "2026-09-07", "date_to": "9999-12-31"}, "date_to", FUTURE),
    ],
)
def test_dates_far_outside_any_data_get_a_form_error_not_a_500(
    clinic, data, params, field, message
):
    # East of UTC, local midnight of 1 Jan year 1 is before the first representable instant.
    Site.objects.filter(pk=clinic.program_a.site_id).update(time_zone="Asia/Tokyo")
    client = login(clinic.director)
    response = client.get(reverse("outcomes:dashboard"), params)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert response.context.get("board") is None
    assert f'value="{params[field]}"' in response.content.decode()
    drill = client.get(reverse("outcomes:drilldown"), {**params, "metric": "admissions:all"})
    assert drill.status_code == 404
    assert _extract(client, **params).status_code == 404


def test_the_first_accepted_date_works(clinic, data):
    Site.objects.filter(pk=clinic.program_a.site_id).update(time_zone="Asia/Tokyo")
    response = login(clinic.director).get(
        reverse("outcomes:dashboard"), {"date_from": "2000-01-01", "date_to": "2000-01-31"}
    )
    assert response.status_code == 200 and response.context["board"].admissions == 0
