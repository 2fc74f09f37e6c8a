"""Every URL x every persona: the expected status, denials audited, nothing changed.

test_every_route_is_classified fails when a route is added to the URL conf without a row here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cadence.accounts.tests.factories import PASSWORD, UserFactory
from cadence.alerts.models import Alert
from cadence.assessments.models import (
    Diagnosis,
    Evaluation,
    Instrument,
    Placement,
    Response,
)
from cadence.audit.models import AuditEvent
from cadence.episodes.models import Episode, LevelOfCareChange, PhaseChange
from cadence.intake.models import Referral
from cadence.notes import services as notes
from cadence.notes.models import Addendum, Note, NoteReturn, NoteTemplate
from cadence.patients.models import Patient
from cadence.plans import services as plan_services
from cadence.plans.models import Intervention as PlanIntervention
from cadence.plans.models import PlanTemplate, RelapsePreventionPlan, SafetyPlan, TreatmentPlan
from cadence.plans.models import Problem as PlanProblem
from cadence.plans.tests.factories import OUTLINE, active_plan, as_user, first_objective
from cadence.programs.models import Membership, Phase, Program, Room, Site, Track
from cadence.programs.tests.factories import MembershipFactory, TrackFactory
from cadence.scheduling import services as schedule
from cadence.scheduling.models import (
    Appointment,
    Attendance,
    CalendarFeed,
    Enrollment,
    Holiday,
    Occurrence,
    Outreach,
    SessionSeries,
    StaffAvailability,
    Topic,
)
from cadence.scheduling.tests.factories import EnrollmentFactory, SeriesFactory, TopicFactory
from cadence.screens.models import DrugScreen, ExpectedSubstance, ScreenResult
from cadence.screens.tests.factories import DrugScreenFactory, ExpectedSubstanceFactory
from conftest import PERSONAS, Clinic, build_clinic, login
from tests import authz

pytestmark = pytest.mark.django_db

PATIENT_VIEWERS = {"clinician_a", "supervisor", "front_desk", "director", "billing"}
REGISTRARS = {"clinician_a", "clinician_b", "supervisor", "front_desk", "director"}
EDITORS_A = {"clinician_a", "supervisor", "front_desk", "director"}
ADMITTERS_A = {"clinician_a", "supervisor", "director"}
ALL_STAFF = set(PERSONAS) - {"anonymous"}
CLINICAL_A = {"clinician_a", "supervisor", "director"}
REFERRERS = {"clinician_a", "clinician_b", "supervisor", "front_desk", "director"}
REFERRERS_A = REFERRERS - {"clinician_b"}
ADMITTERS = ADMITTERS_A | {"clinician_b"}  # see results, give instruments, follow up
DIRECTOR = {"director"}
AUDITORS = {"director", "sysadmin"}


def _in(days: int) -> str:
    """A date `days` from today (schedule forms refuse dates far in the past or future)."""
    from django.utils import timezone

    return (timezone.localdate() + dt.timedelta(days=days)).isoformat()


SCHEDULE_VIEWERS = ALL_STAFF - {"sysadmin"}
SCHEDULE_VIEWERS_A = PATIENT_VIEWERS  # clinician_a, supervisor, front_desk, director, billing
TAKERS = {"clinician_a", "clinician_b", "supervisor", "front_desk", "director"}
TAKERS_A = TAKERS - {"clinician_b"}
BOOKERS = TAKERS  # same roles among the personas
BOOKERS_A = TAKERS_A
SCHEDULE_EDITORS = {"supervisor", "director"}
WORKLIST_USERS = {"clinician_a", "clinician_b", "supervisor", "director"}
CASELOAD_AND_DIRECTOR = {"clinician_a", "clinician_b", "supervisor", "director"}
WRITERS = {"clinician_a", "clinician_b", "supervisor", "director"}  # notes and plans
COSIGNERS = {"supervisor", "director"}


@pytest.fixture
def clinic(db: Any) -> Clinic:
    """The shared clinic plus one of each schedule object in program A."""
    c = build_clinic()
    from django.test import RequestFactory
    from django.utils import timezone

    request = RequestFactory().post("/")
    request.user = c.director
    today = timezone.localdate(timezone=c.program_a.site.tz)
    c.topic_a = TopicFactory(program=c.program_a, title="Coping with cravings")  # type: ignore[attr-defined]
    series = SeriesFactory(
        track=c.track_a, days="0123456", starts_on=today - dt.timedelta(days=7), room=None
    )
    c.series_a = schedule.save_series(request, series, [c.clinician_a])  # type: ignore[attr-defined]
    schedule.materialize(series, since=today - dt.timedelta(days=7), until=today)
    c.occurrence_a = Occurrence.objects.get(series=series, date=today - dt.timedelta(days=1))  # type: ignore[attr-defined]
    EnrollmentFactory(
        episode=c.episode_a,
        track=c.track_a,
        starts_on=today - dt.timedelta(days=7),
        created_by=c.director,
    )
    c.appointment_a = Appointment.objects.create(  # type: ignore[attr-defined]
        program=c.program_a,
        patient=c.patient_a,
        episode=c.episode_a,
        kind="individual",
        clinician=c.clinician_a,
        telehealth_url="https://video.example.org/a",
        date=today,
        starts_at=timezone.now() - dt.timedelta(minutes=30),
        ends_at=timezone.now() + dt.timedelta(minutes=20),
        created_by=c.clinician_a,
    )
    c.feed_a = CalendarFeed.objects.create(user=c.clinician_a, token_hash="0" * 64)  # type: ignore[attr-defined]
    # A session running now (front-desk check-in is for sessions under way or about to start).
    now = timezone.now()
    c.occurrence_now = Occurrence.objects.create(  # type: ignore[attr-defined]
        series=series,
        program=c.program_a,
        track=c.track_a,
        slot_date=today + dt.timedelta(days=400),
        date=timezone.localdate(now, c.program_a.site.tz),
        starts_at=now - dt.timedelta(minutes=10),
        ends_at=now + dt.timedelta(minutes=50),
        telehealth_url="https://video.example.org/a",
        capacity=12,
    )
    c.track_a2 = TrackFactory(program=c.program_a, name="Morning")  # type: ignore[attr-defined]
    c.holiday_a = Holiday.objects.create(  # type: ignore[attr-defined]
        program=c.program_a, date=today + dt.timedelta(days=30), name="Staff training day"
    )
    c.plan_a = active_plan(c.episode_a, c.clinician_a)  # type: ignore[attr-defined]  # v1
    c.plan_draft_a = plan_services.start_review(as_user(c.clinician_a), c.plan_a)  # type: ignore[attr-defined]
    c.plan_problem_a = PlanProblem.objects.filter(plan=c.plan_draft_a).first()  # type: ignore[attr-defined]
    c.plan_intervention_a = PlanIntervention.objects.filter(plan=c.plan_draft_a).first()  # type: ignore[attr-defined]
    c.plan_template_a = PlanTemplate.objects.create(  # type: ignore[attr-defined]
        program=c.program_a, name="Alcohol", outline=OUTLINE, updated_by=c.director
    )
    yesterday = today - dt.timedelta(days=1)
    trainee = UserFactory(role="clinician", is_trainee=True)
    MembershipFactory(user=trainee, program=c.program_a)
    c.note_a = _note(c, c.clinician_a, yesterday, dt.time(9))  # type: ignore[attr-defined]
    c.note_signed_a = notes.sign_note_verified(  # type: ignore[attr-defined]
        as_user(c.clinician_a), _note(c, c.clinician_a, yesterday, dt.time(11))
    )
    c.note_pending_a = notes.sign_note_verified(  # type: ignore[attr-defined]
        as_user(trainee), _note(c, trainee, yesterday, dt.time(13))
    )
    c.occurrence_a2 = Occurrence.objects.get(series=series, date=today - dt.timedelta(days=2))  # type: ignore[attr-defined]
    c.group_note_a = _signed_group_note(c)  # type: ignore[attr-defined]
    c.note_template_a = NoteTemplate.objects.create(  # type: ignore[attr-defined]
        program=c.program_a, name="DAP", kind="individual", format="dap", updated_by=c.director
    )
    c.screen_a = DrugScreenFactory(  # type: ignore[attr-defined]
        patient=c.patient_a,
        program=c.program_a,
        episode=c.episode_a,
        recorded_by=c.clinician_a,
        method="lab",
        status="pending",
        resulted_by=None,
        resulted_at=None,
    )
    c.expected_a = ExpectedSubstanceFactory(  # type: ignore[attr-defined]
        patient=c.patient_a,
        program=c.program_a,
        recorded_by=c.clinician_a,
        since=dt.date(2026, 10, 1),
    )
    for area in authz.modules():
        area.extend(c)
    return c


def _note(c: Clinic, author: Any, day: dt.date, start: dt.time) -> Any:
    """A draft individual DAP note on episode A, linked to the active plan."""
    return notes.save_note(
        as_user(author),
        c.episode_a,
        notes.NoteInput(
            format="dap",
            service_type="individual_therapy",
            service_date=day,
            start=start,
            end=start.replace(minute=50),
            sections={"data": "Data.", "assessment": "Assessment.", "plan": "Plan."},
            risk_level="none",
            next_steps="Next.",
            addressed=[first_objective(c.plan_a)],  # type: ignore[attr-defined]
        ),
        kind="individual",
    )


def _signed_group_note(c: Clinic) -> Any:
    """Two days ago: group with patient A present, documented and signed (a chart shows a
    group note once it is signed)."""
    schedule.record_attendance(
        as_user(c.clinician_a),
        episode=c.episode_a,
        status="present",
        occurrence=c.occurrence_a2,  # type: ignore[attr-defined]
    )
    note = notes.open_group_note(as_user(c.clinician_a), c.occurrence_a2)  # type: ignore[attr-defined]
    [entry] = note.entries.all()
    notes.save_group_note(
        as_user(c.clinician_a),
        note,
        topic=None,
        shared_content="Refusal skills.",
        interventions_used="cbt",
        service_type="group_therapy",
        entries={
            entry.pk: notes.EntryInput(
                "active",
                "Practised.",
                "Named two triggers.",
                first_objective(c.plan_a),  # type: ignore[attr-defined]
            )
        },
    )
    return notes.sign_note_verified(as_user(c.clinician_a), note)


# name -> (args from the clinic, personas allowed, status when allowed)
Route = tuple[Callable[[Clinic], list[Any]], set[str], int]
ROUTES: dict[str, Route] = {
    "today": (lambda c: [], ALL_STAFF, 200),
    "patients:list": (lambda c: [], PATIENT_VIEWERS | {"clinician_b"}, 200),
    "patients:register": (lambda c: [], REGISTRARS, 200),
    "patients:edit": (lambda c: [c.patient_a.pk], EDITORS_A, 200),
    "episodes:chart": (lambda c: [c.patient_a.pk], PATIENT_VIEWERS, 200),
    "episodes:demographics": (lambda c: [c.patient_a.pk], PATIENT_VIEWERS, 200),
    "episodes:admit": (lambda c: [c.referred_a.pk], ADMITTERS_A, 200),
    "episodes:level_of_care": (lambda c: [c.episode_a.pk], ADMITTERS_A, 200),
    "episodes:phase": (lambda c: [c.episode_a.pk], ADMITTERS_A, 200),
    "programs:list": (lambda c: [], DIRECTOR, 200),
    "programs:detail": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:site_edit": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:track_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:track_edit": (lambda c: [c.program_a.pk, c.track_a.pk], DIRECTOR, 200),
    "programs:phase_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:phase_edit": (lambda c: [c.program_a.pk, c.phase_a1.pk], DIRECTOR, 200),
    "programs:room_new": (lambda c: [c.program_a.pk], DIRECTOR, 200),
    "programs:room_edit": (lambda c: [c.program_a.pk, c.track_a.room_id], DIRECTOR, 200),
    # POST-only endpoints answer GET with 405 once past the permission check.
    "programs:member_add": (lambda c: [c.program_a.pk], DIRECTOR, 405),
    "programs:member_remove": (lambda c: [c.program_a.pk, c.clinician_a.pk], DIRECTOR, 405),
    "programs:switch_site": (lambda c: [], ALL_STAFF, 405),
    "audit:report": (lambda c: [], AUDITORS, 200),
    "audit:export": (lambda c: [], AUDITORS, 200),
    "accounts:password_change": (lambda c: [], ALL_STAFF, 200),
    "accounts:keepalive": (lambda c: [], ALL_STAFF, 204),
    "accounts:logout": (lambda c: [], ALL_STAFF, 405),  # sign-out is a POST
    "assessments:chart": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:administer": (lambda c: [c.patient_a.pk, "PHQ-9"], CLINICAL_A, 200),
    "assessments:result": (lambda c: [c.response_a.pk], CLINICAL_A, 200),
    "assessments:placement": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:evaluation_new": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "assessments:evaluation": (lambda c: [c.evaluation_a.pk], CLINICAL_A, 200),
    "assessments:instruments": (lambda c: [], DIRECTOR, 200),
    "assessments:instrument_switch": (lambda c: ["PHQ-9"], DIRECTOR, 405),
    "alerts:detail": (lambda c: [c.alert_a.pk], CLINICAL_A, 200),
    "intake:board": (lambda c: [], REFERRERS, 200),
    "intake:new": (lambda c: [], REFERRERS, 200),
    "intake:detail": (lambda c: [c.referral_a.pk], REFERRERS_A, 200),
    # POST-only: a GET is refused (405) before the referral is looked up, revealing nothing.
    "intake:move": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:close": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:chart": (lambda c: [c.referral_a.pk], REFERRERS, 405),
    "intake:admit": (lambda c: [c.referral_a.pk], ADMITTERS, 405),
    "scheduling:my_day": (lambda c: [], SCHEDULE_VIEWERS, 200),
    "scheduling:week": (lambda c: [], SCHEDULE_VIEWERS, 200),
    "scheduling:check_in": (lambda c: [], TAKERS, 200),
    "scheduling:session": (lambda c: [c.occurrence_a.pk], SCHEDULE_VIEWERS_A, 200),
    "scheduling:mark": (lambda c: [c.occurrence_a.pk, c.episode_a.pk], TAKERS, 405),
    "scheduling:all_present": (lambda c: [c.occurrence_a.pk], TAKERS, 405),
    "scheduling:cancel": (lambda c: [c.occurrence_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:move": (lambda c: [c.occurrence_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:chart": (lambda c: [c.patient_a.pk], SCHEDULE_VIEWERS_A, 200),
    "scheduling:enroll": (lambda c: [c.patient_a.pk, c.episode_a.pk], ADMITTERS_A, 200),
    "scheduling:book": (lambda c: [c.patient_a.pk], BOOKERS_A, 200),
    "scheduling:appointment": (lambda c: [c.appointment_a.pk], SCHEDULE_VIEWERS_A, 200),
    "scheduling:appointment_cancel": (lambda c: [c.appointment_a.pk], BOOKERS, 405),
    "scheduling:appointment_mark": (lambda c: [c.appointment_a.pk], TAKERS, 405),
    "scheduling:worklist": (lambda c: [], WORKLIST_USERS, 200),
    "scheduling:contact": (lambda c: [c.episode_a.pk], ADMITTERS_A, 200),
    "scheduling:feeds": (lambda c: [], SCHEDULE_VIEWERS, 200),
    "scheduling:feed_revoke": (lambda c: [c.feed_a.pk], SCHEDULE_VIEWERS, 405),
    "scheduling:patient_ics": (lambda c: [c.patient_a.pk], SCHEDULE_VIEWERS_A, 200),
    "scheduling:setup": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:topic_new": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:topic_edit": (lambda c: [c.program_a.pk, c.topic_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:series_new": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 200),
    "scheduling:series_edit": (
        lambda c: [c.program_a.pk, c.series_a.pk],
        SCHEDULE_EDITORS,
        200,
    ),
    "scheduling:holiday_add": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 405),
    "scheduling:availability": (lambda c: [], CASELOAD_AND_DIRECTOR, 200),
    "scheduling:holiday_remove": (
        lambda c: [c.program_a.pk, c.holiday_a.pk],
        SCHEDULE_EDITORS,
        405,
    ),
}
# Routes open to anonymous visitors: their arguments and the status a GET gets. (A calendar
# feed URL carries its own secret; an unknown token is a 404.)
PUBLIC: dict[str, tuple[list[Any], int]] = {
    "accounts:login": ([], 200),
    "healthz": ([], 200),
    "scheduling:feed": (["not-a-real-token"], 404),
}
ROUTES |= {
    # Drug screens
    "screens:chart": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "screens:new": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "screens:detail": (lambda c: [c.screen_a.pk], CLINICAL_A, 200),
    "screens:results": (lambda c: [c.screen_a.pk], CLINICAL_A, 200),
    "screens:expected_add": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "screens:expected_end": (lambda c: [c.expected_a.pk], CLINICAL_A, 200),
    # Plans
    "plans:chart": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "plans:detail": (lambda c: [c.plan_a.pk], CLINICAL_A, 200),
    "plans:print": (lambda c: [c.plan_a.pk], CLINICAL_A, 200),
    "plans:edit": (lambda c: [c.plan_draft_a.pk], CLINICAL_A, 200),
    "plans:discard": (lambda c: [c.plan_draft_a.pk], CLINICAL_A, 200),
    "plans:item_add": (lambda c: [c.plan_draft_a.pk, "problem"], CLINICAL_A, 200),
    "plans:item_edit": (
        lambda c: [c.plan_draft_a.pk, "problem", c.plan_problem_a.pk],
        CLINICAL_A,
        200,
    ),
    "plans:item_delete": (
        lambda c: [c.plan_draft_a.pk, "intervention", c.plan_intervention_a.pk],
        CLINICAL_A,
        200,
    ),
    # A draft is not waiting for the patient: these redirect to the editor.
    "plans:patient_sign": (lambda c: [c.plan_draft_a.pk], CLINICAL_A, 302),
    "plans:patient_declined": (lambda c: [c.plan_draft_a.pk], CLINICAL_A, 302),
    "plans:reopen": (lambda c: [c.plan_draft_a.pk], CLINICAL_A, 302),
    "plans:start": (lambda c: [c.episode_a.pk], ADMITTERS, 405),
    "plans:review_note": (lambda c: [c.plan_draft_a.pk], ADMITTERS, 405),
    "plans:sign": (lambda c: [c.plan_draft_a.pk], ADMITTERS, 405),
    "plans:review": (lambda c: [c.plan_a.pk], ADMITTERS, 405),
    "plans:relapse": (lambda c: [c.episode_a.pk], CLINICAL_A, 200),
    "plans:relapse_print": (lambda c: [c.episode_a.pk], CLINICAL_A, 200),
    "plans:safety": (lambda c: [c.episode_a.pk], CLINICAL_A, 200),
    "plans:safety_print": (lambda c: [c.episode_a.pk], CLINICAL_A, 200),
    "plans:templates": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 200),
    "plans:template_new": (lambda c: [c.program_a.pk], SCHEDULE_EDITORS, 200),
    "plans:template_edit": (
        lambda c: [c.program_a.pk, c.plan_template_a.pk],
        SCHEDULE_EDITORS,
        200,
    ),
    # Notes
    "notes:worklist": (lambda c: [], WRITERS, 200),
    "notes:group": (lambda c: [c.occurrence_a.pk], CLINICAL_A, 200),
    "notes:group_entry": (lambda c: [c.patient_a.pk, c.group_note_a.pk], CLINICAL_A, 200),
    "notes:group_entry_print": (
        lambda c: [c.patient_a.pk, c.group_note_a.pk],
        CLINICAL_A,
        200,
    ),
    "notes:chart": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "notes:new": (lambda c: [c.patient_a.pk], CLINICAL_A, 200),
    "notes:detail": (lambda c: [c.note_a.pk], CLINICAL_A, 200),
    "notes:print": (lambda c: [c.note_a.pk], CLINICAL_A, 200),
    "notes:edit": (lambda c: [c.note_a.pk], {"clinician_a"}, 200),  # the author only
    "notes:addendum": (lambda c: [c.note_a.pk], WRITERS, 405),
    "notes:cosign": (lambda c: [c.note_a.pk], COSIGNERS, 405),
    "notes:return": (lambda c: [c.note_a.pk], COSIGNERS, 405),
    "notes:cosign_queue": (lambda c: [], COSIGNERS, 200),
    "notes:templates": (lambda c: [], COSIGNERS, 200),
    "notes:template_new": (lambda c: [c.program_a.pk], COSIGNERS, 200),
    "notes:template_edit": (lambda c: [c.note_template_a.pk], COSIGNERS, 200),
}
for _area in authz.modules():
    ROUTES |= _area.ROUTES
    PUBLIC |= _area.PUBLIC

# Django's admin keeps its own permission system (is_staff/is_superuser).
DELEGATED = {"admin"}


def _route_names(patterns: list[Any], namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in DELEGATED:
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            names |= _route_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_is_classified():
    declared = set(ROUTES) | set(PUBLIC)
    assert _route_names(get_resolver().url_patterns) == declared


def _object_routes(patterns: list[Any], namespace: str = "") -> set[str]:
    """Named routes whose URL carries an object id (an IDOR target)."""
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            if ns in DELEGATED:
                continue
            names |= _object_routes(pattern.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and "<int:" in str(pattern.pattern):
            names.add(f"{namespace}{pattern.name}")
    return names


# POST-only object routes proven by their own tests below instead of a WRITES row.
IDOR_TESTED_SEPARATELY = {"plans:start", "plans:review"}


def test_every_object_route_refuses_another_programs_staff():
    """IDOR: clinician_b has clinician_a's role in program B, so any route taking a program-A
    object must refuse them, on GET (test_get_matrix) or, for POST-only routes, on POST
    (test_denied_writes_change_nothing). A new object route that lets them in fails here."""
    unproven = []
    for name in sorted(_object_routes(get_resolver().url_patterns)):
        if name in PUBLIC:
            continue
        _, allowed, status = ROUTES[name]
        if "clinician_b" not in allowed:
            continue
        post_refused = name in WRITES and "clinician_b" not in WRITES[name][2]
        if status == 405 and (post_refused or name in IDOR_TESTED_SEPARATELY):
            continue
        unproven.append(name)
    assert unproven == []


def test_another_programs_clinician_cannot_start_or_review_a_plan(clinic):
    client = login(clinic.clinician_b)
    plans_before = list(TreatmentPlan.objects.order_by("pk").values_list("pk", "status"))
    start = client.post(reverse("plans:start", args=[clinic.episode_a.pk]))
    review = client.post(reverse("plans:review", args=[clinic.plan_a.pk]))  # type: ignore[attr-defined]
    assert (start.status_code, review.status_code) == (404, 404)
    assert list(TreatmentPlan.objects.order_by("pk").values_list("pk", "status")) == plans_before


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_get_matrix(clinic, persona, name):
    args_for, allowed, ok_status = ROUTES[name]
    url = reverse(name, args=args_for(clinic))
    client = login(clinic.persona(persona))
    denials_before = AuditEvent.objects.filter(action="denied").count()
    response = client.get(url)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
    elif persona in allowed:
        assert response.status_code == ok_status
    else:
        assert response.status_code == 404
        denial = AuditEvent.objects.filter(action="denied").order_by("-seq").first()
        assert AuditEvent.objects.filter(action="denied").count() == denials_before + 1
        assert (denial.actor, denial.path) == (persona, url)


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_routes(db, name):
    args, status = PUBLIC[name]
    assert login(None).get(reverse(name, args=args)).status_code == status


def test_admin_is_for_system_administrators_only(clinic):
    assert login(clinic.sysadmin).get("/admin/").status_code == 200
    response = login(clinic.director).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def _snapshot() -> tuple[Any, ...]:
    return (
        Referral.objects.count(),
        *Referral.objects.order_by("pk").values_list("stage", "patient_id", "first_name"),
        *Alert.objects.order_by("pk").values_list("follow_up_note", flat=True),
        Diagnosis.objects.count(),
        Response.objects.count(),
        Placement.objects.count(),
        Evaluation.objects.count(),
        *Alert.objects.order_by("pk").values_list("status", flat=True),
        *Instrument.objects.order_by("pk").values_list("enabled", flat=True),
        Patient.objects.count(),
        Episode.objects.count(),
        LevelOfCareChange.objects.count(),
        PhaseChange.objects.count(),
        *Patient.objects.order_by("pk").values_list("legal_first_name", flat=True),
        *Site.objects.order_by("pk").values_list("name", "idle_timeout_minutes"),
        Membership.objects.count(),
        Track.objects.count(),
        Phase.objects.count(),
        Room.objects.count(),
        *Program.objects.order_by("pk").values_list("group_size_cap", flat=True),
        Topic.objects.count(),
        *SessionSeries.objects.order_by("pk").values_list("title", "start_time", "capacity"),
        *Occurrence.objects.order_by("pk").values_list("status", "starts_at"),
        Holiday.objects.count(),
        *Enrollment.objects.order_by("pk").values_list("track_id", "ends_on"),
        *Appointment.objects.order_by("pk").values_list("status", flat=True),
        *Attendance.objects.order_by("pk").values_list("status", "is_current"),
        Outreach.objects.count(),
        *CalendarFeed.objects.order_by("pk").values_list("revoked_at", flat=True),
        StaffAvailability.objects.count(),
        *TreatmentPlan.objects.order_by("pk").values_list("status", "review_note"),
        *PlanProblem.objects.order_by("pk").values_list("statement", flat=True),
        PlanIntervention.objects.count(),
        *RelapsePreventionPlan.objects.values_list("revision", "triggers"),
        SafetyPlan.objects.count(),
        *PlanTemplate.objects.order_by("pk").values_list("name", flat=True),
        *Note.objects.order_by("pk").values_list("status", "sections", "shared_content"),
        Addendum.objects.count(),
        NoteReturn.objects.count(),
        *NoteTemplate.objects.order_by("pk").values_list("name", flat=True),
        *DrugScreen.objects.order_by("pk").values_list("status", flat=True),
        ScreenResult.objects.count(),
        *ExpectedSubstance.objects.order_by("pk").values_list("until", flat=True),
        *(row for area in authz.modules() for row in area.snapshot()),
    )


WRITES: dict[
    str, tuple[Callable[[Clinic], list[Any]], Callable[[Clinic], dict[str, Any]], set[str]]
] = {
    "patients:register": (
        lambda c: [],
        lambda c: {
            "program": c.program_a.pk,
            "legal_first_name": "X",
            "legal_last_name": "Y",
            "date_of_birth": "1990-01-01",
            "preferred_language": "en",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        REGISTRARS,
    ),
    "episodes:admit": (
        lambda c: [c.referred_a.pk],
        lambda c: {
            "admission_date": "2026-11-16",
            "admission_type": "direct",
            "level_of_care": "2.1",
            "phase": c.phase_a1.pk,
            "primary_clinician": c.clinician_a.pk,
        },
        ADMITTERS_A,
    ),
    "episodes:level_of_care": (
        lambda c: [c.episode_a.pk],
        lambda c: {"to_level": "1.0", "effective_on": "2026-11-20", "reason": "r"},
        ADMITTERS_A,
    ),
    "programs:detail": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "name": "Adult IOP",
            "population": "adult",
            "level_of_care": "2.1",
            "weekly_hours_min": "9",
            "weekly_hours_max": "19",
            "typical_length_weeks": "8",
            "group_size_cap": "5",
            "absence_review_count": "3",
            "absence_review_weeks": "4",
            "consecutive_absences_follow_up": "2",
            "reminder_lead_hours": "24",
            "plan_review_days": "30",
            "plan_due_days": "7",
            "note_deadline_hours": "24",
            "notes_require_signed_plan": "on",
            "trainees_need_cosign": "on",
        },
        DIRECTOR,
    ),
    "programs:member_add": (
        lambda c: [c.program_a.pk],
        lambda c: {"user": c.clinician_b.pk},
        DIRECTOR,
    ),
    "programs:member_remove": (
        lambda c: [c.program_a.pk, c.clinician_a.pk],
        lambda c: {},
        DIRECTOR,
    ),
    "patients:edit": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "legal_first_name": "Changed",
            "legal_last_name": "Testwell",
            "date_of_birth": "1990-05-17",
            "preferred_language": "en",
            "contacts-TOTAL_FORMS": "0",
            "contacts-INITIAL_FORMS": "0",
            "commitments-TOTAL_FORMS": "0",
            "commitments-INITIAL_FORMS": "0",
        },
        EDITORS_A,
    ),
    "episodes:phase": (
        lambda c: [c.episode_a.pk],
        lambda c: {"to_phase": c.phase_a2.pk, "effective_on": "2026-11-20", "reason": "r"},
        ADMITTERS_A,
    ),
    "programs:site_edit": (
        lambda c: [c.program_a.pk],
        lambda c: {"name": "Renamed", "time_zone": "UTC", "idle_timeout_minutes": "5"},
        DIRECTOR,
    ),
    "programs:phase_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"order": "9", "name": "P9", "weekly_hours_target": "9", "typical_weeks": "2"},
        DIRECTOR,
    ),
    "programs:room_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"name": "New room", "capacity": "5", "is_active": "on"},
        DIRECTOR,
    ),
    "assessments:administer": (
        lambda c: [c.patient_a.pk, "PHQ-9"],
        lambda c: {f"item_{n}": "0" for n in range(1, 10)},
        CLINICAL_A,
    ),
    "alerts:detail": (
        lambda c: [c.alert_a.pk],
        lambda c: {"action": "assessed", "note": "called"},
        CLINICAL_A,
    ),
    "assessments:instrument_switch": (lambda c: ["DAST-10"], lambda c: {"enabled": "on"}, DIRECTOR),
    "intake:move": (lambda c: [c.referral_a.pk], lambda c: {"stage": "scheduled"}, REFERRERS_A),
    "intake:close": (
        lambda c: [c.referral_a.pk],
        lambda c: {"stage": "declined", "reason": "r", "on": "2026-11-20"},
        REFERRERS_A,
    ),
    "intake:chart": (lambda c: [c.referral_a.pk], lambda c: {}, REFERRERS_A),
    "intake:detail": (
        lambda c: [c.referral_a.pk],
        lambda c: {
            "program": c.program_a.pk,
            "received_on": "2026-11-10",
            "source": "self",
            "first_name": "Tampered",
            "last_name": "Referralton",
        },
        REFERRERS_A,
    ),
    "intake:new": (
        lambda c: [],
        lambda c: {
            "program": c.program_a.pk,
            "received_on": "2026-11-10",
            "source": "self",
            "first_name": "New",
            "last_name": "Person",
        },
        REFERRERS,
    ),
    "assessments:evaluation_new": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "performed_on": "2026-11-17",
            "housing": "stable",
            "moud": "none",
            "goals": "g",
            "substances-TOTAL_FORMS": "0",
            "substances-INITIAL_FORMS": "0",
            "diagnoses-TOTAL_FORMS": "0",
            "diagnoses-INITIAL_FORMS": "0",
        },
        CLINICAL_A,
    ),
    "assessments:placement": (
        lambda c: [c.patient_a.pk],
        lambda c: (
            {"edition": "3", "chosen_level": "1.0"}
            | {f"rating_{n}": "0" for n in range(1, 7)}
            | {f"rationale_{n}": "r" for n in range(1, 7)}
        ),
        CLINICAL_A,
    ),
    "intake:admit": (
        lambda c: [c.referral_a.pk],
        lambda c: {
            "admission_date": "2026-11-16",
            "admission_type": "direct",
            "level_of_care": "2.1",
            "phase": c.phase_a1.pk,
            "primary_clinician": c.clinician_a.pk,
        },
        ADMITTERS_A,
    ),
    "programs:track_new": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "name": "T",
            "kind": "custom",
            "days": ["1"],
            "start_time": "10:00",
            "end_time": "11:00",
            "is_telehealth": "on",
        },
        DIRECTOR,
    ),
    "scheduling:mark": (
        lambda c: [c.occurrence_a.pk, c.episode_a.pk],
        lambda c: {"status": "present"},
        TAKERS_A,
    ),
    "scheduling:all_present": (lambda c: [c.occurrence_a.pk], lambda c: {}, TAKERS_A),
    "scheduling:check_in": (
        lambda c: [],
        lambda c: {"occurrence": c.occurrence_now.pk, "episode": c.episode_a.pk},
        TAKERS_A,
    ),
    "scheduling:cancel": (
        lambda c: [c.occurrence_a.pk],
        lambda c: {"reason": "Facilitator ill"},
        SCHEDULE_EDITORS,
    ),
    "scheduling:move": (
        lambda c: [c.occurrence_a.pk],
        lambda c: {"date": _in(9), "start": "10:00", "end": "11:00", "reason": "Room"},
        SCHEDULE_EDITORS,
    ),
    "scheduling:enroll": (
        lambda c: [c.patient_a.pk, c.episode_a.pk],
        lambda c: {"track": c.track_a2.pk, "starts_on": _in(30), "reason": "New job"},
        ADMITTERS_A,
    ),
    "scheduling:book": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "booking_for": f"e{c.episode_a.pk}",
            "kind": "individual",
            "clinician": c.clinician_a.pk,
            "date": _in(10),
            "start": "10:00",
            "end": "11:00",
            "telehealth_url": "https://video.example.org/x",
            "override": "on",
        },
        BOOKERS_A,
    ),
    "scheduling:appointment_cancel": (
        lambda c: [c.appointment_a.pk],
        lambda c: {"reason": "Clinician ill"},
        BOOKERS_A,
    ),
    "scheduling:appointment_mark": (
        lambda c: [c.appointment_a.pk],
        lambda c: {"status": "present"},
        TAKERS_A,
    ),
    "scheduling:contact": (
        lambda c: [c.episode_a.pk],
        lambda c: {"method": "phone", "outcome": "reached"},
        ADMITTERS_A,
    ),
    "scheduling:feeds": (lambda c: [], lambda c: {"label": "Phone"}, SCHEDULE_VIEWERS),
    "scheduling:feed_revoke": (lambda c: [c.feed_a.pk], lambda c: {}, {"clinician_a"}),
    "scheduling:topic_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"kind": "psychoeducation", "approach": "cbt", "title": "T", "sequence": "3"},
        SCHEDULE_EDITORS,
    ),
    "scheduling:series_edit": (
        lambda c: [c.program_a.pk, c.series_a.pk],
        lambda c: {
            "track": c.track_a.pk,
            "title": "Renamed",
            "days": ["0", "2"],
            "start_time": "17:00",
            "end_time": "18:00",
            "telehealth_url": "https://video.example.org/x",
            "capacity": "10",
            "starts_on": _in(-20),
            "facilitators": [c.clinician_a.pk],
        },
        SCHEDULE_EDITORS,
    ),
    "scheduling:holiday_add": (
        lambda c: [c.program_a.pk],
        lambda c: {"date": _in(40), "name": "Staff training day"},
        SCHEDULE_EDITORS,
    ),
    "scheduling:holiday_remove": (
        lambda c: [c.program_a.pk, c.holiday_a.pk],
        lambda c: {},
        SCHEDULE_EDITORS,
    ),
    "scheduling:availability": (
        lambda c: [],
        lambda c: {
            "hours-TOTAL_FORMS": "1",
            "hours-INITIAL_FORMS": "0",
            "hours-0-weekday": "0",
            "hours-0-start_time": "09:00",
            "hours-0-end_time": "17:00",
        },
        CASELOAD_AND_DIRECTOR,
    ),
}


WRITES |= {
    "plans:item_add": (
        lambda c: [c.plan_draft_a.pk, "problem"],
        lambda c: {"statement": "New problem"},
        CLINICAL_A,
    ),
    "plans:item_edit": (
        lambda c: [c.plan_draft_a.pk, "problem", c.plan_problem_a.pk],
        lambda c: {"statement": "Changed"},
        CLINICAL_A,
    ),
    "plans:item_delete": (
        lambda c: [c.plan_draft_a.pk, "intervention", c.plan_intervention_a.pk],
        lambda c: {},
        CLINICAL_A,
    ),
    "plans:review_note": (
        lambda c: [c.plan_draft_a.pk],
        lambda c: {"review_note": "Progress"},
        CLINICAL_A,
    ),
    "plans:sign": (lambda c: [c.plan_draft_a.pk], lambda c: {"password": PASSWORD}, CLINICAL_A),
    "plans:discard": (lambda c: [c.plan_draft_a.pk], lambda c: {}, CLINICAL_A),
    "plans:relapse": (
        lambda c: [c.episode_a.pk],
        lambda c: {"triggers": "Payday", "revision": "0"},
        CLINICAL_A,
    ),
    "plans:safety": (
        lambda c: [c.episode_a.pk],
        lambda c: {"warning_signs": "x", "crisis_lines": "988", "revision": "0"},
        CLINICAL_A,
    ),
    "plans:template_new": (
        lambda c: [c.program_a.pk],
        lambda c: {"name": "New", "outline": "Problem: P", "is_active": "on"},
        SCHEDULE_EDITORS,
    ),
    "plans:template_edit": (
        lambda c: [c.program_a.pk, c.plan_template_a.pk],
        lambda c: {"name": "Renamed", "outline": "Problem: P"},
        SCHEDULE_EDITORS,
    ),
    "notes:new": (
        lambda c: [c.patient_a.pk],
        lambda c: _note_form(c, "New note data."),
        CLINICAL_A,
    ),
    "notes:edit": (lambda c: [c.note_a.pk], lambda c: _note_form(c, "Changed."), {"clinician_a"}),
    "notes:group": (
        lambda c: [c.occurrence_a.pk],
        lambda c: {
            "action": "save",
            "service_type": "group_therapy",
            "shared_content": "Practised refusal skills.",
        },
        CLINICAL_A,
    ),
    "notes:addendum": (
        lambda c: [c.note_signed_a.pk],
        lambda c: {"text": "Late entry", "password": PASSWORD},
        CLINICAL_A,
    ),
    "notes:cosign": (
        lambda c: [c.note_pending_a.pk],
        lambda c: {"password": PASSWORD},
        COSIGNERS,
    ),
    "notes:return": (
        lambda c: [c.note_pending_a.pk],
        lambda c: {"comments": "Add detail"},
        COSIGNERS,
    ),
    "notes:template_new": (
        lambda c: [c.program_a.pk],
        lambda c: {
            "name": "Intake follow-up",
            "kind": "individual",
            "format": "dap",
            "prompt_data": "Mood:",
            "is_active": "on",
        },
        COSIGNERS,
    ),
    "notes:template_edit": (
        lambda c: [c.note_template_a.pk],
        lambda c: {"name": "Renamed", "kind": "individual", "format": "dap", "is_active": "on"},
        COSIGNERS,
    ),
    "screens:new": (
        lambda c: [c.patient_a.pk],
        lambda c: {
            "collected_on": _in(-1),
            "collected_time": "09:30",
            "specimen": "urine",
            "observed": "yes",
            "method": "poc",
            "sub_cocaine": "negative",
            "confirm": "on",
        },
        CLINICAL_A,
    ),
    "screens:results": (
        lambda c: [c.screen_a.pk],
        lambda c: {"sub_cocaine": "negative", "confirm": "on"},
        CLINICAL_A,
    ),
    "screens:expected_add": (
        lambda c: [c.patient_a.pk],
        lambda c: {"substance": "methadone", "reason": "methadone clinic dose", "since": _in(-5)},
        CLINICAL_A,
    ),
    "screens:expected_end": (
        lambda c: [c.expected_a.pk],
        lambda c: {"until": _in(-1)},
        CLINICAL_A,
    ),
}


def _note_form(c: Clinic, data: str) -> dict[str, Any]:
    return {
        "kind": "individual",
        "format": "dap",
        "service_type": "individual_therapy",
        "service_date": _in(-1),
        "start": "15:00",
        "end": "15:50",
        "section_data": data,
        "action": "save",
    }


for _area in authz.modules():
    WRITES |= _area.WRITES

DENIED_WRITES = [
    (name, persona)
    for name in sorted(WRITES)
    for persona in PERSONAS
    if persona not in WRITES[name][2]
]


@pytest.mark.parametrize(("name", "persona"), DENIED_WRITES)
def test_denied_writes_change_nothing(clinic, name, persona):
    args_for, data_for, _ = WRITES[name]
    client = login(clinic.persona(persona))
    before = _snapshot()
    response = client.post(reverse(name, args=args_for(clinic)), data_for(clinic))
    assert response.status_code == (302 if persona == "anonymous" else 404)
    assert _snapshot() == before


@pytest.mark.parametrize("name", sorted(WRITES))
def test_allowed_writes_take_effect(clinic, name):
    """The same request by someone allowed changes something: the denial tests above use
    valid data, so "nothing changed" there means "refused", not "invalid form"."""
    args_for, data_for, allowed = WRITES[name]
    persona = sorted(allowed)[0]
    before = _snapshot()
    response = login(clinic.persona(persona)).post(
        reverse(name, args=args_for(clinic)), data_for(clinic)
    )
    assert response.status_code in (200, 302)
    assert _snapshot() != before
