"""The group note page (one submit saves the shared part and every section, and signs), a
patient's own group note on the chart and on paper (never another participant's name or
words), access, and query budgets that do not grow with the group."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.accounts.tests.factories import PASSWORD
from cadence.audit.models import AuditEvent
from cadence.notes import services
from cadence.notes.choices import NoteStatus
from cadence.notes.models import Addendum, GroupNoteEntry, Note
from cadence.plans import services as plans
from cadence.plans.models import Objective
from cadence.plans.tests.factories import as_user
from cadence.scheduling import services as schedule
from cadence.scheduling.models import Occurrence
from conftest import login

from .factories import GroupSession, group_session, objective_for

NAMES = [
    ("Quintessa", "Vandermolen", "Quin"),
    ("Bartholomew", "Okonkwo-Reyes", "Bart"),
    ("Philippa", "Grzybowski", "Pippa"),
]


def _url(session: GroupSession) -> str:
    return reverse("notes:group", args=[session.occurrence.pk])


def _note(session: GroupSession) -> Note:
    return Note.objects.get(occurrence=session.occurrence, kind="group")


def _entries(note: Note) -> list[GroupNoteEntry]:
    return list(
        GroupNoteEntry.objects.filter(note=note).select_related("episode").order_by("episode_id")
    )


def _payload(
    session: GroupSession,
    note: Note,
    action: str,
    *,
    same: bool = False,
    shared: str = "Practised urge surfing and mapped high-risk times of day.",
    password: str = PASSWORD,
    texts: dict[int, tuple[str, str]] | None = None,
) -> dict[str, object]:
    data: dict[str, object] = {
        "action": action,
        "topic": str(session.occurrence.topic_id),
        "service_type": "group_education",
        "shared_content": shared,
        "interventions": ["psychoeducation", "cbt"],
        "password": password,
    }
    for n, entry in enumerate(_entries(note)):
        if entry.attendance_status.startswith("absent"):
            continue
        response, progress = (
            ("Engaged well.", "On track.")
            if same
            else (texts or {}).get(
                entry.episode_id,
                (f"Shared a week-{n} example of a craving.", f"Named {n + 2} triggers."),
            )
        )
        prefix = f"e{entry.pk}"
        data |= {
            f"{prefix}-participation": "active",
            f"{prefix}-response": response,
            f"{prefix}-progress": progress,
            f"{prefix}-objective": str(objective_for(session, entry.episode).pk),
        }
    return data


def _open(client, session: GroupSession) -> Note:
    response = client.get(_url(session))
    assert response.status_code == 200
    return _note(session)


# --- writing and signing -------------------------------------------------------------------


def test_one_submit_saves_the_shared_part_and_every_section_and_signs(clinic):
    session = group_session(clinic, 3, absent=1)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    response = client.post(_url(session), _payload(session, note, "sign"))
    assert response.status_code == 302
    assert response["Location"] == _url(session)
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.author_signature.signer_id == clinic.clinician_a.pk
    assert note.shared_content == "Practised urge surfing and mapped high-risk times of day."
    assert note.interventions_used == "psychoeducation, cbt"
    assert note.topic_id == session.occurrence.topic_id
    entries = _entries(note)
    assert [(e.participation, e.response) for e in entries] == [
        ("active", "Shared a week-0 example of a craving."),
        ("active", "Shared a week-1 example of a craving."),
        ("absent", services.ABSENCE_TEXT),
    ]
    assert [e.objective_id for e in entries] == [
        objective_for(session, session.episodes[0]).pk,
        objective_for(session, session.episodes[1]).pk,
        None,
    ]
    page = client.get(_url(session)).content.decode()
    assert "Group note signed. Each participant" in page
    assert f"Signed by <strong>{clinic.clinician_a.display_name}</strong>" in page
    assert "Shared a week-1 example of a craving." in page
    assert 'name="action" value="sign"' not in page  # read-only now
    assert 'name="action" value="addendum"' in page


def test_save_draft_keeps_everything_and_lists_what_is_left(clinic):
    session = group_session(clinic, 2)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    data = _payload(session, note, "save")
    first = _entries(note)[0]
    data[f"e{first.pk}-progress"] = ""
    response = client.post(_url(session), data, follow=True)
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT
    assert note.shared_content == "Practised urge surfing and mapped high-risk times of day."
    page = response.content.decode()
    assert "Draft saved." in page
    assert "1 thing to finish before signing" in page
    name = first.episode.patient.display_name
    assert f"<strong>{name}:</strong> describe their progress on the linked objective." in page
    assert "Shared a week-0 example of a craving.</textarea>" in page


def test_identical_sections_are_listed_and_nothing_is_signed(clinic):
    session = group_session(clinic, 3)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    response = client.post(_url(session), _payload(session, note, "sign", same=True))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saved as a draft, not signed: see what is left" in page
    assert page.count("write what was true for this person.") == 2
    assert page.count("Engaged well.</textarea>") == 3  # what was typed is still there
    note.refresh_from_db()
    assert (note.status, note.author_signature_id) == (NoteStatus.DRAFT, None)


def test_wrong_password_signs_nothing_and_keeps_the_typing(clinic):
    session = group_session(clinic, 2)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    response = client.post(_url(session), _payload(session, note, "sign", password="nope"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Saved as a draft, not signed." in page
    assert "Shared a week-1 example of a craving.</textarea>" in page
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


def test_a_participant_named_in_the_shared_part_blocks_the_signature(clinic):
    session = group_session(clinic, 2, names=NAMES[:2])
    client = login(clinic.clinician_a)
    note = _open(client, session)
    data = _payload(session, note, "sign", shared="Quin opened the group with a check-in.")
    page = client.post(_url(session), data).content.decode()
    assert "The shared part names a participant (“quin”)" in page
    assert _note(session).status == NoteStatus.DRAFT


def test_an_objective_of_another_patient_is_refused_and_nothing_saved(clinic):
    session = group_session(clinic, 2)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    data = _payload(session, note, "save")
    first, second = _entries(note)
    data[f"e{first.pk}-objective"] = str(objective_for(session, second.episode).pk)
    page = client.post(_url(session), data).content.decode()
    assert "Choose one of this person&#x27;s plan objectives." in page
    note.refresh_from_db()
    assert note.shared_content == ""
    assert GroupNoteEntry.objects.get(pk=second.pk).response == ""


def test_the_objective_linked_last_time_is_preselected(clinic):
    session = group_session(clinic, 2)
    episode = session.episodes[0]
    earlier = Occurrence.objects.get(
        series=session.occurrence.series, date=session.occurrence.date - dt.timedelta(days=1)
    )
    request = as_user(clinic.clinician_a)
    earlier_note = services.open_group_note(request, earlier)
    linked = Objective.objects.filter(plan=session.plans[episode.pk]).order_by("-id").first()
    entry = earlier_note.entries.get(episode=episode)
    services.save_group_note(
        request,
        earlier_note,
        topic=None,
        shared_content="",
        interventions_used="",
        service_type="group_therapy",
        entries={entry.pk: services.EntryInput("active", "r", "p", linked)},
    )
    page = login(clinic.clinician_a).get(_url(session)).content.decode()
    today_entry = _note(session).entries.get(episode=episode)
    select = re.search(rf'<select name="e{today_entry.pk}-objective".*?</select>', page, re.S)
    assert select is not None
    assert f'<option value="{linked.pk}" selected>' in select.group(0)
    other = _note(session).entries.get(episode=session.episodes[1])
    select = re.search(rf'<select name="e{other.pk}-objective".*?</select>', page, re.S)
    assert '<option value="" selected>' in select.group(0)


def test_someone_who_is_not_a_facilitator_starts_the_note_with_a_button(clinic):
    session = group_session(clinic, 2)
    client = login(clinic.supervisor)
    page = client.get(_url(session)).content.decode()
    assert "No group note yet" in page
    assert not Note.objects.filter(occurrence=session.occurrence).exists()
    response = client.post(_url(session), {"action": "start"})
    assert response.status_code == 302
    assert _note(session).author == clinic.supervisor


def test_a_session_that_has_not_started_cannot_be_documented(clinic):
    session = group_session(clinic, 1)
    later = Occurrence.objects.filter(
        series=session.occurrence.series, starts_at__gt=timezone.now()
    ).first() or Occurrence.objects.get(
        series=session.occurrence.series, date=session.occurrence.date + dt.timedelta(days=1)
    )
    Occurrence.objects.filter(pk=later.pk).update(
        starts_at=timezone.now() + dt.timedelta(hours=2),
        ends_at=timezone.now() + dt.timedelta(hours=3),
    )
    client = login(clinic.clinician_a)
    response = client.get(reverse("notes:group", args=[later.pk]), follow=True)
    assert "This session has not started yet" in response.content.decode()
    assert not Note.objects.filter(occurrence=later).exists()
    roster = client.get(reverse("scheduling:session", args=[later.pk])).content.decode()
    assert "Write group note" not in roster


def test_the_roster_links_to_the_group_note_for_note_writers(clinic):
    session = group_session(clinic, 1)
    url = reverse("scheduling:session", args=[session.occurrence.pk])
    assert _url(session) in login(clinic.clinician_a).get(url).content.decode()
    assert _url(session) not in login(clinic.front_desk).get(url).content.decode()


def test_a_trainee_note_is_cosigned_on_the_page(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    session = group_session(clinic, 2)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    client.post(_url(session), _payload(session, note, "sign"))
    assert _note(session).status == NoteStatus.PENDING_COSIGN
    supervisor = login(clinic.supervisor)
    page = supervisor.get(_url(session)).content.decode()
    assert 'value="cosign"' in page
    response = supervisor.post(_url(session), {"action": "cosign", "password": PASSWORD})
    assert response.status_code == 302
    note = _note(session)
    assert note.status == NoteStatus.SIGNED
    assert note.cosign_signature.signer_id == clinic.supervisor.pk


def test_cosigning_needs_the_cosign_capability(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    session = group_session(clinic, 2)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    client.post(_url(session), _payload(session, note, "sign"))
    response = client.post(_url(session), {"action": "cosign", "password": PASSWORD})
    assert response.status_code == 404
    assert _note(session).status == NoteStatus.PENDING_COSIGN


def _signed(clinic, size=3, absent=0, names=None, texts=None) -> tuple[GroupSession, Note]:
    session = group_session(clinic, size, absent=absent, names=names)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    response = client.post(_url(session), _payload(session, note, "sign", texts=texts))
    assert response.status_code == 302, response.content.decode()[:2000]
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    return session, note


def test_an_addendum_on_one_section_is_signed_and_names_no_one_else(clinic):
    session, note = _signed(clinic, names=NAMES)
    client = login(clinic.clinician_a)
    entry = note.entries.get(episode=session.episodes[1])
    refused = client.post(
        _url(session),
        {
            "action": "addendum",
            "add-target": str(entry.pk),
            "add-text": "Late entry: Quintessa helped with the role play.",
            "add-password": PASSWORD,
        },
    )
    assert refused.status_code == 200
    assert "The addendum names a participant (“quintessa”)" in refused.content.decode()
    response = client.post(
        _url(session),
        {
            "action": "addendum",
            "add-target": str(entry.pk),
            "add-text": "Late entry: asked for a family session.",
            "add-password": PASSWORD,
        },
    )
    assert response.status_code == 302
    addendum = Addendum.objects.get(note=note)
    assert (addendum.entry_id, addendum.signature.signer_id) == (entry.pk, clinic.clinician_a.pk)


# --- a patient's own group note: privacy -----------------------------------------------------


def test_a_chart_and_its_print_never_show_another_participant(clinic):
    texts = {}
    session = group_session(clinic, 3, names=NAMES)
    episodes = session.episodes
    distinctive = [
        ("Described the craving map with zebra imagery.", "Listed four triggers at kestrel depot."),
        ("Talked about the marmalade factory shift.", "Practised surfing the urge twice daily."),
        ("Recalled the harbour walk with the lighthouse.", "Kept a yellow-notebook craving log."),
    ]
    for episode, pair in zip(episodes, distinctive, strict=True):
        texts[episode.pk] = pair
    client = login(clinic.clinician_a)
    note = _open(client, session)
    signed = client.post(_url(session), _payload(session, note, "sign", texts=texts))
    assert signed.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    mine = note.entries.get(episode=episodes[0])
    other = note.entries.get(episode=episodes[1])
    services.add_addendum(
        as_user(clinic.clinician_a),
        note,
        text="Shared-part addendum: room change.",
        password=PASSWORD,
    )
    services.add_addendum(
        as_user(clinic.clinician_a),
        note,
        text="Addendum for the second person: phoned the next day.",
        password=PASSWORD,
        entry=other,
    )
    me = episodes[0].patient
    pages = {
        "chart": client.get(reverse("notes:group_entry", args=[me.pk, note.pk])),
        "print": client.get(reverse("notes:group_entry_print", args=[me.pk, note.pk])),
    }
    for kind, response in pages.items():
        assert response.status_code == 200, kind
        html = response.content.decode()
        for episode in episodes[1:]:
            p = episode.patient
            for secret in (p.legal_first_name, p.legal_last_name, p.preferred_name, p.mrn):
                assert secret not in html, (kind, secret)
            for secret in texts[episode.pk]:
                assert secret not in html, (kind, secret)
        assert "phoned the next day" not in html, kind
        assert "Shared-part addendum: room change." in html, kind
        assert "Described the craving map with zebra imagery." in html, kind
        assert "Listed four triggers at kestrel depot." in html, kind
        assert "Practised urge surfing and mapped high-risk times of day." in html, kind
        assert me.legal_last_name in html and me.mrn in html, kind
        assert str(objective_for(session, episodes[0]).text) in html, kind
        assert f"Signed by <strong>{clinic.clinician_a.display_name}</strong>" in html
    assert mine.pk != other.pk
    view, printed = AuditEvent.objects.filter(object_type="note", object_id=str(note.pk)).order_by(
        "-seq"
    )[:2][::-1]
    assert (view.action, view.patient_id, view.summary) == ("view", me.pk, "Chart: group note")
    assert (printed.action, printed.patient_id) == ("print", me.pk)
    assert me.legal_last_name not in printed.summary


def test_an_absent_patient_chart_shows_the_absence_entry(clinic):
    session, note = _signed(clinic, 3, absent=1)
    absent = session.episodes[2].patient
    client = login(clinic.clinician_a)
    for name in ("notes:group_entry", "notes:group_entry_print"):
        html = client.get(reverse(name, args=[absent.pk, note.pk])).content.decode()
        assert "Absence entry: Did not attend this session." in html
        assert "Absent (unexcused)" in html
        assert "Shared a week-" not in html
        for episode in session.episodes[:2]:
            assert episode.patient.mrn not in html


def test_a_patient_who_is_not_in_the_note_gets_404(clinic):
    _, note = _signed(clinic, 2)
    client = login(clinic.clinician_a)
    url = reverse("notes:group_entry", args=[clinic.patient_a.pk, note.pk])
    assert client.get(url).status_code == 404
    denial = AuditEvent.objects.filter(action="denied").order_by("-seq").first()
    assert (denial.object_type, denial.patient_id) == ("note", clinic.patient_a.pk)


@pytest.mark.parametrize("persona", ["clinician_b", "front_desk", "billing", "sysadmin"])
def test_other_programs_and_non_clinical_staff_get_404(clinic, persona):
    session, note = _signed(clinic, 2)
    patient = session.episodes[0].patient
    client = login(clinic.persona(persona))
    before = AuditEvent.objects.filter(action="denied").count()
    urls = [
        _url(session),
        reverse("notes:group_entry", args=[patient.pk, note.pk]),
        reverse("notes:group_entry_print", args=[patient.pk, note.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(urls[0], {"action": "addendum"}).status_code == 404
    assert AuditEvent.objects.filter(action="denied").count() == before + 4
    assert Addendum.objects.count() == 0


@pytest.mark.parametrize("persona", ["supervisor", "director"])
def test_clinical_staff_of_the_program_read_the_chart_entry(clinic, persona):
    session, note = _signed(clinic, 2)
    patient = session.episodes[0].patient
    url = reverse("notes:group_entry", args=[patient.pk, note.pk])
    assert login(clinic.persona(persona)).get(url).status_code == 200


# --- query budgets -------------------------------------------------------------------------

# Each includes one query for restricted charts and emergency grants (cadence.patients.scope).
GET_BUDGET = 27  # includes one batched audit write: a view of every participant's chart
SAVE_BUDGET = 26


def _count(client, method, url, data=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = getattr(client, method)(url, data) if data else client.get(url)
    assert response.status_code in (200, 302), response.content.decode()[:3000]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("size", [3, 12])
def test_the_group_note_page_has_the_same_query_budget_for_3_and_12(clinic, size):
    session = group_session(clinic, size, absent=1)
    client = login(clinic.clinician_a)
    note = _open(client, session)  # creates the draft and its entries
    assert _count(client, "get", _url(session)) == GET_BUDGET
    save = _payload(session, note, "save")
    assert _count(client, "post", _url(session), save) == SAVE_BUDGET
    client.get(_url(session))  # shows (and clears) "Draft saved."
    assert _count(client, "get", _url(session)) == GET_BUDGET  # with every section written


SIGN_BUDGET = 44  # the audit rows for every participant's chart go in one batch (record_many)


@pytest.mark.parametrize("size", [3, 12])
def test_signing_a_3_or_12_person_group_costs_the_same_queries(clinic, size):
    session = group_session(clinic, size, absent=1)
    client = login(clinic.clinician_a)
    note = _open(client, session)
    count = _count(client, "post", _url(session), _payload(session, note, "sign"))
    assert _note(session).status == NoteStatus.SIGNED
    assert count == SIGN_BUDGET
    signed_page = _count(client, "get", _url(session))
    assert signed_page == 18


@pytest.mark.parametrize("size", [3, 12])
def test_the_chart_entry_has_a_fixed_query_budget(clinic, size):
    session, note = _signed(clinic, size)
    patient = session.episodes[0].patient
    client = login(clinic.clinician_a)
    url = reverse("notes:group_entry", args=[patient.pk, note.pk])
    client.get(url)
    assert _count(client, "get", url) == 15
    printed = reverse("notes:group_entry_print", args=[patient.pk, note.pk])
    assert _count(client, "get", printed) == 13


# --- service fixes found while building the page -------------------------------------------


def test_an_objective_linked_before_a_plan_review_is_carried_to_its_copy(clinic):
    session = group_session(clinic, 1)
    episode = session.episodes[0]
    old = objective_for(session, episode)
    request = as_user(clinic.clinician_a)
    note = services.open_group_note(request, session.occurrence)
    review = plans.start_review(request, session.plans[episode.pk])
    review = plans.sign_as_clinician(request, review, password=PASSWORD)
    patient = episode.patient
    plans.record_patient_signature(
        request, review, typed_name=f"{patient.legal_first_name} {patient.legal_last_name}"
    )
    entry = note.entries.get()
    services.save_group_note(
        request,
        note,
        topic=None,
        shared_content="Practised urge surfing.",
        interventions_used="",
        service_type="group_therapy",
        entries={entry.pk: services.EntryInput("active", "r", "p", old)},
    )
    entry.refresh_from_db()
    assert (entry.objective.plan_id, entry.objective.copied_from_id) == (review.pk, old.pk)


def test_a_correction_from_absent_to_present_clears_the_absence_text(clinic):
    session = group_session(clinic, 2, absent=1)
    request = as_user(clinic.clinician_a)
    note = services.open_group_note(request, session.occurrence)
    absent = note.entries.get(episode=session.episodes[1])
    services.save_group_note(
        request,
        note,
        topic=None,
        shared_content="",
        interventions_used="",
        service_type="group_therapy",
        entries={absent.pk: services.EntryInput("", "", "", None)},
    )
    absent.refresh_from_db()
    assert absent.response == services.ABSENCE_TEXT
    schedule.record_attendance(
        request, episode=session.episodes[1], status="present", occurrence=session.occurrence
    )
    services.open_group_note(request, session.occurrence)
    absent.refresh_from_db()
    assert (absent.attendance_status, absent.participation, absent.response) == ("present", "", "")
