from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_DEMOGRAPHICS, REGISTER_PATIENT, VIEW_PATIENTS
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.pagination import paginate
from cadence.programs.querysets import memberships_for

from .access import get_patient_for_user
from .forms import CommitmentFormSet, ContactFormSet, PatientForm, RegisterPatientForm, SearchForm
from .models import Patient
from .services import likely_duplicates, patient_subject, register_patient, update_patient


@require_capability(VIEW_PATIENTS)
def patient_list(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    patients = (
        Patient.objects.visible_to(request.user)
        .search(query)
        .select_related("registered_program")
        .with_episodes()
        .order_by("legal_last_name", "legal_first_name", "id")
    )
    page = paginate(request, patients)
    my_programs = memberships_for(request.user).program_ids
    for patient in page.object_list:
        # Only episodes of the viewer's programs reach the template.
        mine = [e for e in patient.episodes.all() if e.program_id in my_programs]
        patient.my_episodes = mine
        patient.open_episodes = [e for e in mine if e.is_open]
    context = {"form": form, "page": page, "query": query}
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "patients/patient_list.html#results", context)
    return render(request, "patients/patient_list.html", context)


@require_capability(REGISTER_PATIENT)
def patient_register(request: HttpRequest) -> HttpResponse:
    programs = memberships_for(request.user).programs
    form = RegisterPatientForm(request.POST or None, programs=list(programs))
    contacts = ContactFormSet(request.POST or None, prefix="contacts")
    commitments = CommitmentFormSet(request.POST or None, prefix="commitments")
    duplicates: list[Patient] = []
    visible_duplicates: list[Patient] = []
    if request.method == "POST":
        valid = form.is_valid() and contacts.is_valid() and commitments.is_valid()
        if valid:
            data = form.cleaned_data
            duplicates = likely_duplicates(
                data["legal_first_name"], data["legal_last_name"], data["date_of_birth"]
            )
            if duplicates and not data.get("confirm_not_duplicate"):
                visible_ids = set(
                    Patient.objects.visible_to(request.user)
                    .filter(pk__in=[d.pk for d in duplicates])
                    .values_list("pk", flat=True)
                )
                visible_duplicates = [d for d in duplicates if d.pk in visible_ids]
                for hidden in (d for d in duplicates if d.pk not in visible_ids):
                    # Learning that such a chart exists elsewhere is itself a disclosure.
                    record(
                        Action.VIEW,
                        patient_subject(
                            hidden, "Duplicate check matched a chart outside the user's programs"
                        ),
                        request=request,
                    )
                form.add_error(
                    None,
                    "A chart with this legal name and date of birth already exists. Open it "
                    "instead, or tick the box below if this is a different person.",
                )
            else:
                patient = register_patient(request, form, data["program"], [contacts, commitments])
                messages.success(request, f"Chart created: MRN {patient.mrn}.")
                return redirect("episodes:chart", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "formsets": [("Emergency contacts", contacts), ("Weekly commitments", commitments)],
            "duplicates": duplicates,
            "visible_duplicates": visible_duplicates,
            "hidden_duplicate": len(duplicates) > len(visible_duplicates),
            "creating": True,
        },
    )


@require_capability(EDIT_DEMOGRAPHICS)
def patient_edit(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    form = PatientForm(request.POST or None, instance=patient)
    contacts = ContactFormSet(request.POST or None, instance=patient, prefix="contacts")
    commitments = CommitmentFormSet(request.POST or None, instance=patient, prefix="commitments")
    if request.method == "POST" and all(f.is_valid() for f in (form, contacts, commitments)):
        update_patient(request, form, [contacts, commitments])
        messages.success(request, "Demographics saved.")
        return redirect("episodes:demographics", pk=patient.pk)
    if request.method == "GET":
        record(Action.VIEW, patient_subject(patient, "Chart: edit demographics"), request=request)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "patient": patient,
            "formsets": [("Emergency contacts", contacts), ("Weekly commitments", commitments)],
            "creating": False,
        },
    )
