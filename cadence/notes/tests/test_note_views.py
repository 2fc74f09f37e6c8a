"""Individual and family notes through the UI: writing, signing, the golden thread, addenda,
co-signing, printing, templates, access and query budgets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadence.accounts.tests.factories import PASSWORD
from cadence.audit.models import AuditEvent
from cadence.episodes.tests.factories import EpisodeFactory
from cadence.notes import services
from cadence.notes.choices import NoteStatus
from cadence.notes.forms_notes import NOT_IN_PLAN
from cadence.notes.models import Addendum, GroupNoteEntry, Note, NoteReturn, NoteTemplate
from cadence.notes.services_templates import DUPLICATE_NAME
from cadence.patients.tests.factories import PatientFactory
from cadence.plans import services as plan_services
from cadence.plans.models import Objective
from cadence.plans.tests.factories import active_plan, as_user, first_objective
from cadence.scheduling import services as schedule
from cadence.scheduling.models import Appointment
from cadence.signatures.services import digest_of, sign, verify
from conftest import login

from .factories import group_session

pytestmark = pytest.mark.django_db

DATA = "Reported cravings 6/10 after work; used urge surfing twice this week."
ASSESSMENT = "Engaged; links stress at work with urges."
PLAN = "Practise urge surfing daily; bring the trigger log."


def _yesterday(clinic) -> dt.date:
    return timezone.localdate(timezone=clinic.program_a.site.tz) - dt.timedelta(days=1)


def _new_url(clinic, **query) -> str:
    url = reverse("notes:new", args=[clinic.patient_a.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def _form(clinic, objective=None, **changes):
    data = {
        "kind": "individual",
        "format": "dap",
        "service_type": "individual_therapy",
        "service_date": _yesterday(clinic).isoformat(),
        "start": "10:00",
        "end": "10:50",
        "section_data": DATA,
        "section_assessment": ASSESSMENT,
        "section_plan": PLAN,
        "participants": "",
        "risk_level": "none",
        "risk_note": "",
        "next_steps": "Review the trigger log.",
        "appointment": "",
        "template": "",
        "password": "",
        "action": "save",
    }
    if objective is not None:
        data["addressed"] = [str(objective.pk)]
    data.update(changes)
    return data


def _signed_note(clinic, user=None, plan=None):
    """An individual DAP note for patient_a, signed by its author (clinician_a by default)."""
    user = user or clinic.clinician_a
    plan = plan or active_plan(clinic.episode_a, clinic.clinician_a)
    note = _draft(clinic, user, plan)
    return services.sign_note(as_user(user), note, password=PASSWORD)


def _draft(clinic, user=None, plan=None, *, start=dt.time(10), end=dt.time(10, 50), day=None):
    user = user or clinic.clinician_a
    plan = plan or active_plan(clinic.episode_a, clinic.clinician_a)
    return services.save_note(
        as_user(user),
        clinic.episode_a,
        services.NoteInput(
            format="dap",
            service_type="individual_therapy",
            service_date=day or _yesterday(clinic),
            start=start,
            end=end,
            sections={"data": DATA, "assessment": ASSESSMENT, "plan": PLAN},
            risk_level="none",
            next_steps="Review the trigger log.",
            addressed=[first_objective(plan)],
        ),
        kind="individual",
    )


# -- writing and signing ----------------------------------------------------------------------


def test_clinician_writes_and_signs_a_dap_note_linked_to_a_plan_objective(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    objective = first_objective(plan)
    client = login(clinic.clinician_a)
    page = client.get(_new_url(clinic, kind="individual"))
    assert page.status_code == 200
    assert objective.text in page.content.decode()  # offered under its goal
    response = client.post(
        _new_url(clinic, kind="individual"),
        _form(clinic, objective, action="sign", password=PASSWORD),
    )
    note = Note.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("notes:detail", args=[note.pk])
    assert (note.status, note.kind, note.format, note.minutes) == (
        "signed",
        "individual",
        "dap",
        50,
    )
    assert note.sections == {"data": DATA, "assessment": ASSESSMENT, "plan": PLAN}
    assert list(note.addressed.all()) == [objective]
    assert (note.episode, note.author, note.needs_cosign) == (
        clinic.episode_a,
        clinic.clinician_a,
        False,
    )
    # 10:00 in New York on that day.
    local = note.starts_at.astimezone(clinic.program_a.site.tz)
    assert (local.date(), local.hour, local.minute) == (_yesterday(clinic), 10, 0)
    signature = note.author_signature
    assert (signature.signer, signature.credentials) == (clinic.clinician_a, "LCSW")
    assert signature.digest == digest_of(services.canonical(note))
    assert verify(["note"]) == (1, [])
    detail = client.get(response["Location"]).content.decode()
    assert signature.digest[:12] in detail
    assert "Signed by" in detail and DATA in detail and objective.text in detail
    tab = client.get(reverse("notes:chart", args=[clinic.patient_a.pk])).content.decode()
    assert "Individual session" in tab and "Signed" in tab and "LCSW" in tab


def test_saving_a_draft_keeps_it_editable_and_lists_what_signing_needs(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    response = client.post(
        _new_url(clinic), _form(clinic, first_objective(plan), section_plan="", risk_level="")
    )
    note = Note.objects.get()
    assert response["Location"] == reverse("notes:edit", args=[note.pk])
    assert note.status == NoteStatus.DRAFT
    page = client.get(response["Location"]).content.decode()
    assert "Write the Plan section." in page and "Record the risk review." in page


def test_end_before_start_is_refused_and_the_form_keeps_what_was_typed(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        _new_url(clinic), _form(clinic, first_objective(plan), start="11:00", end="10:30")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The end time must be after the start time." in page
    assert DATA in page and ASSESSMENT in page and 'value="11:00"' in page
    assert Note.objects.count() == 0


def test_wrong_password_signs_nothing_and_saves_nothing(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        _new_url(clinic),
        _form(clinic, first_objective(plan), action="sign", password="not-my-password"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "That password is not right" in page and DATA in page
    assert Note.objects.count() == 0


def test_incomplete_note_is_not_signed_and_every_problem_is_listed(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        _new_url(clinic),
        _form(
            clinic,
            first_objective(plan),
            action="sign",
            password=PASSWORD,
            section_plan="",
            next_steps="",
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not ready to sign: Write the Plan section." in page
    assert "Write the plan for the next session." in page
    assert Note.objects.count() == 0


def test_an_objective_from_another_patients_plan_is_refused(clinic):
    active_plan(clinic.episode_a, clinic.clinician_a)
    other = EpisodeFactory(
        patient=PatientFactory(registered_program=clinic.program_a),
        program=clinic.program_a,
        track=clinic.track_a,
        phase=clinic.phase_a1,
        primary_clinician=clinic.clinician_a,
    )
    foreign = first_objective(active_plan(other, clinic.clinician_a))
    response = login(clinic.clinician_a).post(_new_url(clinic), _form(clinic, foreign))
    assert response.status_code == 200
    assert NOT_IN_PLAN.replace("'", "&#x27;") in response.content.decode()
    assert Note.objects.count() == 0
    # The services refuse it too, whatever the form lets through.
    with pytest.raises(services.NoteError, match="can only address goals"):
        services.current_objectives(clinic.episode_a.pk, [foreign])


def test_program_requiring_a_signed_plan_refuses_notes_without_one(clinic):
    assert clinic.program_a.notes_require_signed_plan
    client = login(clinic.clinician_a)
    page = client.get(_new_url(clinic)).content.decode()
    assert "This program requires a signed treatment plan" in page
    assert reverse("plans:chart", args=[clinic.patient_a.pk]) in page
    response = client.post(_new_url(clinic), _form(clinic))
    assert response.status_code == 200
    assert "This program requires a signed treatment plan" in response.content.decode()
    assert Note.objects.count() == 0


def test_family_note_needs_participants_and_offers_family_services_only(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    client = login(clinic.clinician_a)
    page = client.get(_new_url(clinic, kind="family")).content.decode()
    assert "family_with" in page and "individual_therapy" not in page
    data = _form(clinic, first_objective(plan), kind="family", service_type="family_with")
    response = client.post(_new_url(clinic, kind="family"), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    response = client.post(_new_url(clinic, kind="family"), data | {"participants": "Sam (spouse)"})
    assert response.status_code == 302
    note = Note.objects.get()
    assert (note.kind, note.service_type, note.participants) == (
        "family",
        "family_with",
        "Sam (spouse)",
    )


def test_a_service_of_another_kind_is_refused(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        _new_url(clinic), _form(clinic, first_objective(plan), service_type="family_with")
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Note.objects.count() == 0
    with pytest.raises(services.NoteError, match="services listed for this kind"):
        services.save_note(
            as_user(clinic.clinician_a),
            clinic.episode_a,
            services.NoteInput(
                format="dap",
                service_type="group_therapy",
                service_date=_yesterday(clinic),
                start=dt.time(10),
                end=dt.time(11),
                sections={},
            ),
            kind="individual",
        )


def test_changing_the_format_re_renders_its_sections_and_keeps_the_text(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    response = login(clinic.clinician_a).post(
        _new_url(clinic), _form(clinic, first_objective(plan), format="soap", refresh="1")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="section_subjective"' in page and 'name="section_objective"' in page
    assert ASSESSMENT in page  # shared section keeps its text
    assert f'type="hidden" name="section_data" value="{DATA}"' in page  # carried
    assert "This field is required" not in page
    assert Note.objects.count() == 0


def test_signed_note_cannot_be_edited_through_the_edit_url(clinic):
    note = _signed_note(clinic)
    client = login(clinic.clinician_a)
    url = reverse("notes:edit", args=[note.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("notes:detail", args=[note.pk])
    response = client.post(url, _form(clinic, section_data="Rewritten after signing"))
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.sections["data"] == DATA
    assert verify(["note"]) == (1, [])


def test_only_the_author_edits_a_draft(clinic):
    note = _draft(clinic)
    response = login(clinic.supervisor).get(reverse("notes:edit", args=[note.pk]))
    assert response.status_code == 404
    detail = login(clinic.supervisor).get(reverse("notes:detail", args=[note.pk]))
    assert detail.status_code == 200
    with pytest.raises(services.NoteError, match="Only the note's author"):
        services.save_note(
            as_user(clinic.supervisor),
            clinic.episode_a,
            services.NoteInput(
                format="dap",
                service_type="individual_therapy",
                service_date=_yesterday(clinic),
                start=dt.time(10),
                end=dt.time(11),
                sections={"data": "changed"},
            ),
            kind="individual",
            note=note,
        )


def test_author_edits_a_draft_and_signs_it_in_one_submit(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    note = _draft(clinic, plan=plan)
    client = login(clinic.clinician_a)
    page = client.get(reverse("notes:edit", args=[note.pk])).content.decode()
    assert DATA in page and "Ready to sign." in page and "checked" in page
    response = client.post(
        reverse("notes:edit", args=[note.pk]),
        _form(
            clinic,
            first_objective(plan),
            end="11:05",
            action="sign",
            password=PASSWORD,
        ),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.status, note.minutes) == ("signed", 65)


# -- addenda ----------------------------------------------------------------------------------


def test_addendum_is_signed_and_listed_and_a_wrong_password_adds_nothing(clinic):
    note = _signed_note(clinic)
    client = login(clinic.clinician_a)
    url = reverse("notes:addendum", args=[note.pk])
    refused = client.post(url, {"text": "Late entry: spoke with the sponsor.", "password": "x"})
    assert refused.status_code == 200
    assert "That password is not right" in refused.content.decode()
    assert "Late entry: spoke with the sponsor." in refused.content.decode()
    assert Addendum.objects.count() == 0
    response = client.post(
        url, {"text": "Late entry: spoke with the sponsor.", "password": PASSWORD}
    )
    assert response.status_code == 302
    addendum = Addendum.objects.get()
    assert (addendum.note, addendum.author, addendum.signature.signer) == (
        note,
        clinic.clinician_a,
        clinic.clinician_a,
    )
    assert verify(["addendum"]) == (1, [])
    detail = client.get(reverse("notes:detail", args=[note.pk])).content.decode()
    assert "Late entry: spoke with the sponsor." in detail
    assert addendum.signature.digest[:12] in detail
    tab = client.get(reverse("notes:chart", args=[clinic.patient_a.pk])).content.decode()
    assert '<td data-label="Addenda" class="num">1</td>' in tab
    note.refresh_from_db()
    assert note.sections["data"] == DATA


def test_a_draft_takes_no_addendum(clinic):
    note = _draft(clinic)
    response = login(clinic.clinician_a).post(
        reverse("notes:addendum", args=[note.pk]), {"text": "x", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("notes:detail", args=[note.pk])
    assert Addendum.objects.count() == 0
    with pytest.raises(services.NoteError, match="still a draft"):
        services.add_addendum(as_user(clinic.clinician_a), note, text="x", password=PASSWORD)


# -- co-signing -------------------------------------------------------------------------------


def test_trainee_note_is_returned_with_comments_then_resigned_and_cosigned(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    author, supervisor = login(clinic.clinician_a), login(clinic.supervisor)
    response = author.post(
        _new_url(clinic), _form(clinic, first_objective(plan), action="sign", password=PASSWORD)
    )
    note = Note.objects.get()
    assert (note.status, note.needs_cosign) == (NoteStatus.PENDING_COSIGN, True)
    assert "Awaiting co-signature" in author.get(response["Location"]).content.decode()

    queue = supervisor.get(reverse("notes:cosign_queue")).content.decode()
    assert reverse("notes:detail", args=[note.pk]) in queue
    assert clinic.patient_a.display_name in queue

    empty = supervisor.post(reverse("notes:return", args=[note.pk]), {"comments": "  "})
    assert empty.status_code == 200
    assert "Write what the author should change." in empty.content.decode()
    assert NoteReturn.objects.count() == 0

    comments = "Link the objective more specifically; describe the coping skill used."
    response = supervisor.post(reverse("notes:return", args=[note.pk]), {"comments": comments})
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.status, note.author_signature) == (NoteStatus.DRAFT, None)
    edit = author.get(reverse("notes:edit", args=[note.pk])).content.decode()
    assert "Returned" in edit and comments in edit

    response = author.post(
        reverse("notes:edit", args=[note.pk]),
        _form(
            clinic,
            first_objective(plan),
            section_assessment="Engaged; used urge surfing at the 5pm commute trigger.",
            action="sign",
            password=PASSWORD,
        ),
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN

    wrong = supervisor.post(reverse("notes:cosign", args=[note.pk]), {"password": "nope"})
    assert wrong.status_code == 200
    assert "That password is not right" in wrong.content.decode()
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN

    response = supervisor.post(reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
    assert note.cosign_signature.signer == clinic.supervisor
    assert verify(["note"]) == (1, [])
    detail = author.get(reverse("notes:detail", args=[note.pk])).content.decode()
    assert "Co-signed by" in detail and note.cosign_signature.digest[:12] in detail
    assert comments in detail  # the return stays in the note's history
    assert "Nothing is waiting" in supervisor.get(reverse("notes:cosign_queue")).content.decode()


def test_a_supervisor_cannot_cosign_their_own_note(clinic):
    clinic.supervisor.is_trainee = True
    clinic.supervisor.save()
    note = _signed_note(clinic, user=clinic.supervisor)
    assert note.status == NoteStatus.PENDING_COSIGN
    client = login(clinic.supervisor)
    assert "your own note" in client.get(reverse("notes:cosign_queue")).content.decode()
    response = client.post(reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD})
    assert response.status_code == 200
    assert "Another supervisor must co-sign your own note." in response.content.decode()
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN
    response = login(clinic.director).post(
        reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.cosign_signature.signer == clinic.director


def test_clinicians_cannot_cosign(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    note = _signed_note(clinic)
    other = login(clinic.clinician_a)
    assert other.get(reverse("notes:cosign_queue")).status_code == 404
    assert (
        other.post(reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD}).status_code
        == 404
    )
    note.refresh_from_db()
    assert note.status == NoteStatus.PENDING_COSIGN


# -- access -----------------------------------------------------------------------------------


def test_clinician_of_another_program_gets_404_everywhere(clinic):
    note = _signed_note(clinic)
    client = login(clinic.clinician_b)
    denials = AuditEvent.objects.filter(action="denied").count()
    urls = [
        reverse("notes:chart", args=[clinic.patient_a.pk]),
        _new_url(clinic),
        reverse("notes:detail", args=[note.pk]),
        reverse("notes:edit", args=[note.pk]),
        reverse("notes:print", args=[note.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(_new_url(clinic), _form(clinic)).status_code == 404
    assert (
        client.post(
            reverse("notes:addendum", args=[note.pk]), {"text": "x", "password": PASSWORD}
        ).status_code
        == 404
    )
    assert AuditEvent.objects.filter(action="denied").count() == denials + len(urls) + 2
    assert Note.objects.count() == 1 and Addendum.objects.count() == 0


@pytest.mark.parametrize("persona", ["front_desk", "billing"])
def test_front_desk_and_billing_cannot_read_or_write_notes(clinic, persona):
    note = _signed_note(clinic)
    client = login(getattr(clinic, persona))
    for url in [
        reverse("notes:chart", args=[clinic.patient_a.pk]),
        _new_url(clinic),
        reverse("notes:detail", args=[note.pk]),
        reverse("notes:print", args=[note.pk]),
        reverse("notes:cosign_queue"),
        reverse("notes:templates"),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(_new_url(clinic), _form(clinic)).status_code == 404
    assert Note.objects.count() == 1


def test_printing_a_note_is_audited(clinic):
    note = _signed_note(clinic)
    response = login(clinic.supervisor).get(reverse("notes:print", args=[note.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert DATA in page and clinic.patient_a.mrn in page and "42 CFR Part 2" in page
    event = AuditEvent.objects.filter(action="print").get()
    assert (event.actor, event.summary, event.patient_id) == (
        "supervisor",
        f"Printed: note {note.pk}",
        clinic.patient_a.pk,
    )


def test_opening_the_tab_and_a_note_is_audited(clinic):
    note = _signed_note(clinic)
    client = login(clinic.clinician_a)
    client.get(reverse("notes:chart", args=[clinic.patient_a.pk]))
    client.get(reverse("notes:detail", args=[note.pk]))
    summaries = list(
        AuditEvent.objects.filter(action="view", patient_id=clinic.patient_a.pk)
        .order_by("seq")
        .values_list("summary", flat=True)
    )
    assert summaries[-2:] == ["Chart: notes", f"Chart: note {note.pk}"]


# -- the Notes tab ----------------------------------------------------------------------------


def _patient_a_in_group(clinic):
    """A group note of three other patients, with a section for patient_a as well."""
    session = group_session(clinic, 3)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    GroupNoteEntry.objects.create(
        note=note,
        patient=clinic.patient_a,
        episode=clinic.episode_a,
        attendance_status="late",
        minutes=45,
        participation="active",
    )
    return session, note


def _mark_signed(note):
    """Listing tests need a signed group note; its sections' content does not matter here."""
    signature = sign("note", note.pk, services.canonical(note), signer=note.author)
    Note.objects.filter(pk=note.pk).update(status="signed", author_signature=signature)
    note.refresh_from_db()
    return note


def test_draft_group_notes_stay_off_the_chart_until_signed(clinic):
    _, group_note = _patient_a_in_group(clinic)
    client = login(clinic.clinician_a)
    page = client.get(reverse("notes:chart", args=[clinic.patient_a.pk])).content.decode()
    assert reverse("notes:group_entry", args=[clinic.patient_a.pk, group_note.pk]) not in page
    entry_url = reverse("notes:group_entry", args=[clinic.patient_a.pk, group_note.pk])
    assert client.get(entry_url).status_code == 404
    _mark_signed(group_note)
    assert client.get(entry_url).status_code == 200


def test_notes_tab_lists_group_entries_without_other_participants(clinic):
    _draft(clinic, plan=active_plan(clinic.episode_a, clinic.clinician_a))
    session, group_note = _patient_a_in_group(clinic)
    _mark_signed(group_note)
    page = login(clinic.clinician_a).get(reverse("notes:chart", args=[clinic.patient_a.pk]))
    text = page.content.decode()
    assert "Coping with cravings" in text and "Late" in text and ">45<" in text
    for episode in session.episodes:
        assert episode.patient.legal_last_name not in text
    assert reverse("notes:group_entry", args=[clinic.patient_a.pk, group_note.pk]) in text


def test_notes_tab_query_count_does_not_grow(clinic, django_assert_max_num_queries):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    _mark_signed(_patient_a_in_group(clinic)[1])
    client = login(clinic.clinician_a)
    url = reverse("notes:chart", args=[clinic.patient_a.pk])

    def make(n):
        for i in range(n):
            _draft(clinic, plan=plan, day=_yesterday(clinic) - dt.timedelta(days=i + 1))

    make(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    make(12)
    assert Note.objects.filter(patient=clinic.patient_a).count() == 15
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('class="note-row') == 16


def test_signing_after_a_plan_review_links_the_objective_of_the_current_version(clinic):
    v1 = active_plan(clinic.episode_a, clinic.clinician_a)
    note = _draft(clinic, plan=v1)
    v2 = plan_services.start_review(as_user(clinic.clinician_a), v1)
    v2 = plan_services.sign_as_clinician(as_user(clinic.clinician_a), v2, password=PASSWORD)
    plan_services.record_patient_signature(
        as_user(clinic.clinician_a), v2, declined_reason="Will sign Thursday"
    )
    note = services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    copy = Objective.objects.get(plan=v2, copied_from=first_objective(v1))
    assert list(note.addressed.all()) == [copy]
    assert verify(["note"]) == (1, [])


# -- appointments -----------------------------------------------------------------------------


def _attended_appointment(clinic):
    tz = clinic.program_a.site.tz
    day = _yesterday(clinic)
    appointment = Appointment.objects.create(
        program=clinic.program_a,
        patient=clinic.patient_a,
        episode=clinic.episode_a,
        kind="individual",
        clinician=clinic.clinician_a,
        telehealth_url="https://video.example.org/a",
        date=day,
        starts_at=dt.datetime.combine(day, dt.time(14), tzinfo=tz),
        ends_at=dt.datetime.combine(day, dt.time(14, 50), tzinfo=tz),
        created_by=clinic.clinician_a,
    )
    schedule.record_attendance(
        as_user(clinic.clinician_a),
        episode=clinic.episode_a,
        status="present",
        appointment=appointment,
    )
    return appointment


def test_note_for_an_attended_appointment_is_prefilled_and_linked(clinic):
    plan = active_plan(clinic.episode_a, clinic.clinician_a)
    appointment = _attended_appointment(clinic)
    client = login(clinic.clinician_a)
    url = _new_url(clinic, kind="individual", appointment=appointment.pk)
    page = client.get(url).content.decode()
    assert 'value="14:00"' in page and 'value="14:50"' in page
    response = client.post(
        url,
        _form(
            clinic, first_objective(plan), start="14:00", end="14:50", appointment=appointment.pk
        ),
    )
    assert response.status_code == 302
    note = Note.objects.get()
    assert note.appointment == appointment
    # The worklist's "continue" link lands on the draft.
    again = client.get(url)
    assert again["Location"] == reverse("notes:edit", args=[note.pk])


# -- templates --------------------------------------------------------------------------------


def test_director_adds_a_template_that_prefills_a_new_note(clinic):
    client = login(clinic.director)
    url = reverse("notes:template_new", args=[clinic.program_a.pk])
    response = client.post(
        url,
        {
            "name": "Weekly individual (BIRP)",
            "kind": "individual",
            "format": "birp",
            "prompt_behavior": "Presentation and mood:",
            "prompt_intervention": "Skills taught:",
            "prompt_response": "",
            "prompt_plan": "Homework:",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    template = NoteTemplate.objects.get()
    assert (template.program, template.format, template.updated_by) == (
        clinic.program_a,
        "birp",
        clinic.director,
    )
    assert template.prompts == {
        "behavior": "Presentation and mood:",
        "intervention": "Skills taught:",
        "response": "",
        "plan": "Homework:",
    }
    assert AuditEvent.objects.filter(object_type="note_template", action="create").count() == 1
    duplicate = client.post(
        url, {"name": "weekly individual (birp)", "kind": "individual", "format": "dap"}
    )
    assert DUPLICATE_NAME.replace("'", "&#x27;") in duplicate.content.decode()
    assert NoteTemplate.objects.count() == 1

    active_plan(clinic.episode_a, clinic.clinician_a)
    writer = login(clinic.clinician_a)
    tab = writer.get(reverse("notes:chart", args=[clinic.patient_a.pk])).content.decode()
    assert "Weekly individual (BIRP)" in tab
    page = writer.get(_new_url(clinic, kind="individual", template=template.pk)).content.decode()
    assert 'name="section_behavior"' in page and "Presentation and mood:" in page
    assert "Homework:" in page


def test_template_editing_needs_the_capability_and_membership(clinic):
    assert login(clinic.clinician_a).get(reverse("notes:templates")).status_code == 404
    assert (
        login(clinic.supervisor)
        .get(reverse("notes:template_new", args=[clinic.program_b.pk]))
        .status_code
        == 404
    )
    assert login(clinic.supervisor).get(reverse("notes:templates")).status_code == 200


def test_a_note_returned_meanwhile_is_not_cosigned_and_the_supervisor_is_told(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    note = _signed_note(clinic)
    services.return_note(as_user(clinic.director), note, comments="Add the risk detail.")
    response = login(clinic.supervisor).post(
        reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD}, follow=True
    )
    assert "no longer waiting for a co-signature" in response.content.decode()
    note.refresh_from_db()
    assert (note.status, note.cosign_signature) == (NoteStatus.DRAFT, None)


def test_group_notes_waiting_for_cosignature_are_in_the_queue(clinic):
    clinic.clinician_a.is_trainee = True
    clinic.clinician_a.save()
    session = group_session(clinic, 2)
    note = services.open_group_note(as_user(clinic.clinician_a), session.occurrence)
    entries = {
        e.pk: services.EntryInput(
            participation="active",
            response=f"Practised the skill with example {n}.",
            progress=f"Named {n + 2} triggers.",
            objective=first_objective(session.plans[e.episode_id]),
        )
        for n, e in enumerate(note.entries.all())
    }
    services.save_group_note(
        as_user(clinic.clinician_a),
        note,
        topic=session.occurrence.topic,
        shared_content="Urge surfing practice and mapping high-risk times.",
        interventions_used="psychoeducation",
        service_type="group_education",
        entries=entries,
    )
    note = services.sign_note(as_user(clinic.clinician_a), note, password=PASSWORD)
    assert note.status == NoteStatus.PENDING_COSIGN
    client = login(clinic.supervisor)
    queue = client.get(reverse("notes:cosign_queue")).content.decode()
    assert reverse("notes:group", args=[session.occurrence.pk]) in queue
    for episode in session.episodes:  # the queue names no participant of a group
        assert episode.patient.legal_last_name not in queue
    detail = client.get(reverse("notes:detail", args=[note.pk]))
    assert detail["Location"] == reverse("notes:group", args=[session.occurrence.pk])
    response = client.post(reverse("notes:cosign", args=[note.pk]), {"password": PASSWORD})
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED
