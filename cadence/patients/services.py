"""Registering and updating patients. Audit rows name the MRN, never the person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.programs.models import Program

from .models import MrnSequence, Patient
from .normalize import fold, format_mrn


def allocate_mrns(count: int) -> list[str]:
    """Reserve ``count`` consecutive MRNs (row-locked, so concurrent registrations never clash)."""
    with transaction.atomic():
        sequence, _ = MrnSequence.objects.select_for_update().get_or_create(pk=1)
        first = sequence.last + 1
        sequence.last += count
        sequence.save(update_fields=["last"])
    return [format_mrn(n) for n in range(first, first + count)]


def patient_subject(patient: Patient, summary: str) -> Subject:
    return Subject("patient", str(patient.pk), summary, patient.pk, patient.mrn)


def likely_duplicates(first: str, last: str, date_of_birth: dt.date) -> list[Patient]:
    """Charts in the organization with the same legal name (ignoring case and accents) and DOB."""
    candidates = Patient.objects.filter(date_of_birth=date_of_birth).only(
        "pk", "mrn", "legal_first_name", "legal_last_name", "registered_program_id"
    )
    return [
        p
        for p in candidates[:200]
        if fold(p.legal_first_name) == fold(first) and fold(p.legal_last_name) == fold(last)
    ]


def register_patient(
    request: HttpRequest,
    form: ModelForm[Patient],
    program: Program,
    formsets: list[BaseInlineFormSet[Any, Any, Any]],
) -> Patient:
    """Create the chart with its contacts and weekly commitments, all or nothing."""
    with transaction.atomic():
        patient = form.save(commit=False)
        patient.registered_program = program
        patient.mrn = allocate_mrns(1)[0]
        patient.save()
        for formset in formsets:
            formset.instance = patient
            formset.save()
        record(Action.CREATE, patient_subject(patient, f"Registered in {program}"), request=request)
    return patient


def update_patient(
    request: HttpRequest, form: ModelForm[Patient], formsets: list[BaseInlineFormSet[Any, Any, Any]]
) -> Patient:
    with transaction.atomic():
        patient = form.save()
        changed = list(form.changed_data)
        for formset in formsets:
            formset.save()
            if formset.has_changed():
                changed.append(formset.prefix or "related")
        record(
            Action.UPDATE,
            patient_subject(patient, "Demographics: " + (", ".join(changed) or "no changes")),
            request=request,
        )
    return patient
