"""Demo consents: a few active patients of the first program get synthetic supports and
consents that show each state on the Consents tab — a sister with a family consent in force
(and a release to her), a spouse with no consent yet, a mother whose consent was revoked after
one release, a drug court named in a consent, a treatment-payment-operations consent and a
draft for an employer. Recorded through the consents services as staff of that program."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cadence.consents import services
from cadence.consents.choices import Category, Channel, ConsentKind, Purpose, RecipientType
from cadence.episodes.choices import EpisodeStatus
from cadence.episodes.models import Episode
from cadence.patients.models import Patient

from .schedule import as_user

if TYPE_CHECKING:
    from .builder import Clinic

PATIENTS = 4


def _typed(patient: Patient) -> str:
    return f"{patient.legal_first_name} {patient.legal_last_name}"


def build_consents(clinic: Clinic, today: dt.date) -> int:
    """Supports, consents and disclosures for a few patients; returns how many consents."""
    program = clinic.programs["A"]
    clinician = as_user(clinic.staff["clinician.a"], "/demo/seed/consents/")
    desk = as_user(clinic.staff["frontdesk.a"], "/demo/seed/consents/")
    # The services check dates against the real clock: keep "past" in the past and expiry
    # dates in the future, whatever day the demo is built for.
    now = services.program_today(program)
    past = min(today, now)
    future = max(today, now) + dt.timedelta(days=180)
    episodes = list(
        Episode.objects.filter(
            program=program,
            status=EpisodeStatus.ACTIVE,
            admission_date__lte=past - dt.timedelta(days=14),
        )
        .select_related("patient")
        .order_by("-id")[:PATIENTS]
    )
    count = 0

    def base(**changes: object) -> services.ConsentInput:
        values: dict[str, object] = {
            "kind": ConsentKind.SPECIFIC,
            "program": program,
            "discloser": services.default_discloser(program),
            "categories": [Category.ATTENDANCE, Category.NOTES_SUMMARIES],
            "purposes": [Purpose.FAMILY, Purpose.TREATMENT],
            "revocation_statement": services.default_revocation_statement(program),
            "expires_on": future,
        }
        values.update(changes)
        return services.ConsentInput(**values)  # type: ignore[arg-type]

    def signed(patient: Patient, on: dt.date, **changes: object) -> object:
        nonlocal count
        consent = services.save_consent(clinician, patient, base(**changes))
        count += 1
        return services.sign_on_screen(clinician, consent, typed_name=_typed(patient), on=on)

    for n, episode in enumerate(episodes):
        patient = episode.patient
        admitted = episode.admission_date or past
        signed_on = min(admitted + dt.timedelta(days=1), past - dt.timedelta(days=10))
        last = patient.legal_last_name
        if n == 0:
            sister = services.save_support(
                desk,
                patient,
                services.SupportInput(
                    f"Robin {last}", "sister", "(555) 010-4410", "", joins_family_sessions=True
                ),
            )
            signed(
                patient,
                signed_on,
                recipient_type=RecipientType.SUPPORT,
                recipient_support=sister,
                expiry_event="discharge from the program",
            )
            signed(
                patient,
                signed_on,
                kind=ConsentKind.TPO,
                recipient_class="My treating providers, my health plan and the program's "
                "health care operations",
                categories=[Category.DIAGNOSES, Category.TREATMENT_PLAN, Category.ATTENDANCE],
                purposes=[Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS],
            )
            services.record_disclosure(
                clinician,
                patient,
                recipient=services.Recipient.for_support(sister),
                purpose=Purpose.FAMILY,
                categories=[Category.ATTENDANCE],
                channel=Channel.PRINT,
                on=past,
            )
        elif n == 1:
            services.save_support(
                desk,
                patient,
                services.SupportInput(
                    f"Sam {last}", "spouse", "(555) 010-4420", "", joins_family_sessions=True
                ),
            )
            services.save_consent(
                clinician,
                patient,
                base(
                    recipient_type=RecipientType.EMPLOYER,
                    recipient_name="Lakeside Sample Logistics (demo)",
                    categories=[Category.ATTENDANCE],
                    purposes=[Purpose.EMPLOYMENT],
                    expiry_event="my return to full duties",
                ),
            )
            count += 1
        elif n == 2:
            mother = services.save_support(
                desk,
                patient,
                services.SupportInput(f"Dana {last}", "mother", "(555) 010-4430"),
            )
            consent = signed(
                patient,
                signed_on,
                recipient_type=RecipientType.SUPPORT,
                recipient_support=mother,
                categories=[Category.ATTENDANCE],
                purposes=[Purpose.FAMILY],
            )
            services.record_disclosure(
                clinician,
                patient,
                recipient=services.Recipient.for_support(mother),
                purpose=Purpose.FAMILY,
                categories=[Category.ATTENDANCE],
                channel=Channel.PRINT,
                on=past - dt.timedelta(days=6),
            )
            services.revoke(
                desk,
                consent,  # type: ignore[arg-type]
                revoked_on=past - dt.timedelta(days=3),
                method="verbal_then_writing",
                note="Told the front desk; signed letter filed the next day.",
            )
        else:
            court = "Sample County Recovery Court (demo)"
            signed(
                patient,
                signed_on,
                recipient_type=RecipientType.COURT,
                recipient_name=court,
                categories=[Category.ATTENDANCE, Category.DRUG_SCREENS],
                purposes=[Purpose.LEGAL],
                expires_on=max(today, now) + dt.timedelta(days=90),
            )
            services.record_disclosure(
                clinician,
                patient,
                recipient=services.Recipient.named(RecipientType.COURT, court),
                purpose=Purpose.LEGAL,
                categories=[Category.ATTENDANCE, Category.DRUG_SCREENS],
                channel=Channel.EXPORT,
                on=past,
                since=past - dt.timedelta(days=30),
            )
    return count
