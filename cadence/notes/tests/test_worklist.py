from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cadence.accounts.tests.factories import PASSWORD
from cadence.notes import services
from cadence.notes.choices import Participation
from cadence.notes.worklist import worklist_for
from cadence.plans.tests.factories import active_plan, as_user
from conftest import login

from .factories import group_session, objective_for


def _sign(session, note, user):
    entries = {
        e.pk: services.EntryInput(
            Participation.ACTIVE,
            f"Response of person {n}.",
            f"Progress of person {n}.",
            objective_for(session, e.episode),
        )
        for n, e in enumerate(note.entries.select_related("episode"))
    }
    services.save_group_note(
        as_user(user),
        note,
        topic=None,
        shared_content="Urge surfing practice.",
        interventions_used="cbt",
        service_type="group_therapy",
        entries=entries,
    )
    return services.sign_note(as_user(user), note, password=PASSWORD)


def test_attended_session_without_note_is_due_then_overdue_then_gone_when_signed(clinic):
    session = group_session(clinic, 2)
    ended = session.occurrence.ends_at
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    soon = worklist_for(clinic.clinician_a, today, now=ended + dt.timedelta(hours=2))
    assert [(s.session.pk, s.overdue) for s in soon.sessions] == [(session.occurrence.pk, False)]
    late = worklist_for(clinic.clinician_a, today, now=ended + dt.timedelta(hours=25))
    assert [(s.session.pk, s.overdue) for s in late.sessions] == [(session.occurrence.pk, True)]
    assert worklist_for(clinic.clinician_b, today).sessions == []  # not their session
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    drafts = worklist_for(clinic.clinician_a, today)
    assert [n.pk for n in drafts.drafts] == [note.pk]
    assert drafts.sessions[0].draft == note
    _sign(session, note, clinic.clinician_a)
    done = worklist_for(clinic.clinician_a, today)
    assert (done.sessions, done.drafts) == ([], [])


def test_plans_due_lists_first_plan_and_reviews_on_the_caseload(clinic):
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    episode = clinic.episode_a  # admitted 2026-10-05, primary clinician_a, no plan yet
    wl = worklist_for(clinic.clinician_a, today)
    [due] = [d for d in wl.plans if d.episode == episode]
    assert (due.what, due.due_on, due.overdue) == (
        "first plan",
        episode.admission_date + dt.timedelta(days=7),
        episode.admission_date + dt.timedelta(days=7) < today,
    )
    plan = active_plan(episode, clinic.clinician_a)
    assert [d for d in worklist_for(clinic.clinician_a, today).plans if d.episode == episode] == []
    assert plan.review_due_on == today + dt.timedelta(days=30)
    in_a_month = today + dt.timedelta(days=25)
    [review] = [
        d for d in worklist_for(clinic.clinician_a, in_a_month).plans if d.episode == episode
    ]
    assert (review.what, review.due_on, review.overdue) == ("review", plan.review_due_on, False)


def test_trainee_note_is_on_the_supervisors_cosign_list_and_today(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    _sign(session, note, clinic.clinician_a)
    today = timezone.localdate(timezone=clinic.program_a.site.tz)
    assert [n.pk for n in worklist_for(clinic.supervisor, today).cosign] == [note.pk]
    assert worklist_for(clinic.clinician_a, today).cosign == []  # clinicians do not co-sign
    assert [n.pk for n in worklist_for(clinic.clinician_a, today).awaiting_my_cosign] == [note.pk]
    page = login(clinic.supervisor).get("/").content.decode()
    assert "1</strong> note waiting for your co-signature" in page


def test_today_counts_documentation_due(clinic):
    group_session(clinic, 2)
    page = login(clinic.clinician_a).get("/").content.decode()
    assert "<strong>1</strong> session without a signed note" in page
    assert "<strong>0</strong> unsigned drafts" in page
    assert "treatment plan" in page
    front = login(clinic.front_desk).get("/").content.decode()
    assert "Documentation" not in front.split("<main", 1)[-1]


def test_worklist_shows_each_session_at_its_own_sites_clock(clinic):
    session = group_session(clinic, 1)
    page = login(clinic.clinician_a).get("/notes/worklist/").content.decode()
    ends = session.occurrence.ends_at.astimezone(clinic.program_a.site.tz)
    assert ends.strftime("%H:%M ") + ends.tzname() in page
