"""The chart's Consents tab, supports, consents (writing, signing on a tablet or by scan,
revoking), releasing information and the accounting of disclosures.

Thin views: access -> form -> service -> page. Every page is an audit event (VIEW; the scan
download is an EXPORT; a release is PRINT or EXPORT, written by the service)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import MANAGE_CONSENTS, RELEASE_INFORMATION
from cadence.audit.choices import Action
from cadence.audit.services import record
from cadence.common.pagination import paginate
from cadence.patients.access import get_patient_for_user
from cadence.patients.models import Patient
from cadence.patients.services import patient_subject
from cadence.programs.querysets import memberships_for

from . import services
from .access import get_consent_for_user, get_disclosure_for_user, get_support_for_user
from .chart import chart_context
from .choices import (
    Category,
    Channel,
    ConsentKind,
    ConsentState,
    ConsentStatus,
    Purpose,
    RecipientType,
)
from .forms import (
    ConsentForm,
    EndEventForm,
    ReleaseForm,
    RevokeForm,
    ScanForm,
    SignForm,
    SupportForm,
    consent_initial,
)
from .models import Consent, Support, day_text
from .notice import REDISCLOSURE_CITATION, REDISCLOSURE_NOTICE
from .querysets import consents_visible_to, disclosures_visible_to
from .services import ConsentError, ConsentInput, DisclosureRefused, Recipient, SupportInput
from .storage import BY_TYPE

RECENT_DISCLOSURES = 10
ACCOUNTING_PAGE = 100


def _can(request: HttpRequest, capability: str) -> bool:
    return bool(request.user.can(capability))  # type: ignore[union-attr]


def _refuse(form: Any, exc: ConsentError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _patient_consents(request: HttpRequest, patient: Patient) -> list[Consent]:
    return list(
        consents_visible_to(request.user)
        .filter(patient=patient)
        .select_related("revocation", "recipient_support", "program")
        .order_by("-signed_on", "-id")
    )


# -- the chart tab ---------------------------------------------------------------------------


@require_capability(MANAGE_CONSENTS)
def chart_tab(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "consents")
    today = context["today"]
    consents = _patient_consents(request, patient)
    states = {c.pk: c.state_on(today) for c in consents}
    for consent in consents:
        consent.state = states[consent.pk]  # type: ignore[attr-defined]
        consent.state_label = ConsentState(states[consent.pk]).label  # type: ignore[attr-defined]
    supports = list(Support.objects.filter(patient=patient).order_by("-is_active", "name", "id"))
    for support in supports:
        support.receives = services.receivable(consents, support, today)  # type: ignore[attr-defined]
    groups = {s: [c for c in consents if states[c.pk] == s] for s in ConsentState.values}
    disclosures = list(
        disclosures_visible_to(request.user)
        .filter(patient=patient)
        .select_related("disclosed_by", "consent")
        .order_by("-disclosed_at", "-id")[:RECENT_DISCLOSURES]
    )
    context.update(
        {
            "supports": supports,
            "contacts": list(patient.contacts.all()),
            "valid": groups[ConsentState.VALID],
            "drafts": groups[ConsentState.DRAFT],
            "ended": groups[ConsentState.EXPIRED] + groups[ConsentState.REVOKED],
            "disclosures": disclosures,
            "can_release": _can(request, RELEASE_INFORMATION),
            "kinds": ConsentKind.choices,
        }
    )
    record(Action.VIEW, patient_subject(patient, "Chart: consents"), request=request)
    return render(request, "consents/chart_tab.html", context)


# -- supports --------------------------------------------------------------------------------


def _support_input(form: SupportForm) -> SupportInput:
    data = form.cleaned_data
    return SupportInput(
        name=data["name"],
        relationship=data["relationship"],
        phone=data["phone"],
        email=data["email"],
        joins_family_sessions=data["joins_family_sessions"],
        is_active=data["is_active"],
    )


def _support_page(
    request: HttpRequest, patient: Patient, form: SupportForm, support: Support | None
) -> HttpResponse:
    context = chart_context(request, patient, "consents")
    context.update({"form": form, "support": support})
    return render(request, "consents/support_form.html", context)


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def support_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    form = SupportForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_support(request, patient, _support_input(form))
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request, "Support added. A consent is needed before sharing with them."
            )
            return redirect("consents:chart", pk=patient.pk)
    return _support_page(request, patient, form, None)


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def support_edit(request: HttpRequest, pk: int) -> HttpResponse:
    support = get_support_for_user(request, pk)
    patient = support.patient
    initial = {
        "name": support.name,
        "relationship": support.relationship,
        "phone": support.phone,
        "email": support.email,
        "joins_family_sessions": support.joins_family_sessions,
        "is_active": support.is_active,
    }
    form = SupportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_support(request, patient, _support_input(form), support=support)
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, "Support saved.")
            return redirect("consents:chart", pk=patient.pk)
    return _support_page(request, patient, form, support)


# -- writing a consent -----------------------------------------------------------------------


def _consent_input(form: ConsentForm) -> ConsentInput:
    data = form.cleaned_data
    return ConsentInput(
        kind=data["kind"],
        program=data["program"],
        discloser=data["discloser"],
        categories=list(data["categories"]),
        purposes=list(data["purposes"]),
        revocation_statement=data["revocation_statement"],
        recipient_type=data["recipient_type"],
        recipient_support=data["recipient_support"],
        recipient_name=data["recipient_name"],
        recipient_class=data["recipient_class"],
        purpose_other=data["purpose_other"],
        expires_on=data["expires_on"],
        expiry_event=data["expiry_event"],
    )


def _consent_form_page(
    request: HttpRequest, patient: Patient, form: ConsentForm, consent: Consent | None
) -> HttpResponse:
    context = chart_context(request, patient, "consents")
    context.update({"form": form, "consent": consent})
    return render(request, "consents/consent_form.html", context)


def _active_supports(patient: Patient) -> list[Support]:
    return list(Support.objects.filter(patient=patient, is_active=True).order_by("name", "id"))


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def consent_new(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    programs = services.programs_for(request, patient)
    if not programs:
        messages.error(
            request,
            "This patient has no chart or episode in your programs: a consent cannot be written.",
        )
        return redirect("consents:chart", pk=patient.pk)
    supports = _active_supports(patient)
    program = programs[0]
    kind = request.GET.get("kind", "")
    initial: dict[str, Any] = {
        "kind": kind if kind in ConsentKind.values else "",
        "program": program.pk,
        "discloser": services.default_discloser(program),
        "revocation_statement": services.default_revocation_statement(program),
    }
    support_id = request.GET.get("support", "")
    if support_id.isdigit() and int(support_id) in {s.pk for s in supports}:
        initial |= {"recipient_type": RecipientType.SUPPORT, "recipient_support": int(support_id)}
    if kind == ConsentKind.TPO:
        initial["purposes"] = [
            p.value for p in (Purpose.TREATMENT, Purpose.PAYMENT, Purpose.OPERATIONS)
        ]
    form = ConsentForm(request.POST or None, programs=programs, supports=supports, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.save_consent(request, patient, _consent_input(form))
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request, "Consent saved as a draft. It takes effect once the patient signs it."
            )
            return redirect("consents:detail", pk=consent.pk)
    return _consent_form_page(request, patient, form, None)


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def consent_edit(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request, pk)
    if consent.status != ConsentStatus.DRAFT:
        messages.error(request, services.SIGNED_IS_FINAL)
        return redirect("consents:detail", pk=consent.pk)
    patient = consent.patient
    programs = services.programs_for(request, patient)
    supports = _active_supports(patient)
    form = ConsentForm(
        request.POST or None,
        programs=programs,
        supports=supports,
        initial=consent_initial(consent),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_consent(request, patient, _consent_input(form), consent=consent)
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, "Draft saved.")
            return redirect("consents:detail", pk=consent.pk)
    return _consent_form_page(request, patient, form, consent)


@require_capability(MANAGE_CONSENTS)
@require_GET
def consent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request, pk)
    context = chart_context(request, consent.patient, "consents")
    today = context["today"]
    state = consent.state_on(today)
    disclosures = list(
        consent.disclosures.select_related("disclosed_by").order_by("-disclosed_at", "-id")[:50]
    )
    context.update(
        {
            "consent": consent,
            "state": state,
            "state_label": ConsentState(state).label,
            "revocation": consent.revocation_or_none,
            "disclosures": disclosures,
            "can_revoke": consent.status == ConsentStatus.SIGNED
            and consent.revocation_or_none is None,
            "can_record_event": consent.status == ConsentStatus.SIGNED
            and bool(consent.expiry_event)
            and consent.event_occurred_on is None,
        }
    )
    record(
        Action.VIEW,
        services.consent_subject(consent, f"Consent #{consent.pk} viewed"),
        request=request,
    )
    return render(request, "consents/consent_detail.html", context)


# -- signing: on a tablet, or a scan of the paper form ---------------------------------------


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def patient_sign(request: HttpRequest, pk: int) -> HttpResponse:
    """A page for a tablet handed to the patient: the consent in plain words, then their
    name. No staff navigation: nothing on it leads elsewhere in the chart."""
    consent = get_consent_for_user(request, pk)
    if consent.status != ConsentStatus.DRAFT:
        messages.info(request, "This consent is already signed.")
        return redirect("consents:detail", pk=consent.pk)
    form = SignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.sign_on_screen(
                request, consent, typed_name=form.cleaned_data["typed_name"]
            )
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            return render(request, "consents/patient_thanks.html", {"consent": consent})
    if request.method == "GET":
        record(
            Action.VIEW,
            services.consent_subject(
                consent, f"Consent #{consent.pk} shown for the patient's signature"
            ),
            request=request,
        )
    context = {"consent": consent, "patient": consent.patient, "form": form}
    return render(request, "consents/patient_sign.html", context)


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def upload_scan(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request, pk)
    if consent.status != ConsentStatus.DRAFT:
        messages.info(request, "This consent is already signed.")
        return redirect("consents:detail", pk=consent.pk)
    form = ScanForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.attach_scan(
                request,
                consent,
                upload=form.cleaned_data["scan"],
                signed_on=form.cleaned_data["signed_on"],
            )
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, "Scan uploaded; the consent is signed and in force.")
            return redirect("consents:detail", pk=consent.pk)
    context = chart_context(request, consent.patient, "consents")
    context.update({"consent": consent, "form": form})
    return render(request, "consents/upload_scan.html", context)


@require_capability(MANAGE_CONSENTS)
@require_GET
def download_scan(request: HttpRequest, pk: int) -> FileResponse:
    consent = get_consent_for_user(request, pk)
    if not consent.scan:
        raise Http404("No scan")
    kind = BY_TYPE.get(consent.scan_type)
    extension = kind.extension if kind else "bin"
    handle = consent.scan.open("rb")
    record(
        Action.EXPORT,
        services.consent_subject(consent, f"Consent #{consent.pk} scan downloaded"),
        request=request,
    )
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"consent-{consent.pk}.{extension}",
        content_type=consent.scan_type or "application/octet-stream",
    )
    response["Cache-Control"] = "no-store"
    return response


# -- revocation and the end event ------------------------------------------------------------


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request, pk)
    if consent.status != ConsentStatus.SIGNED or consent.revocation_or_none is not None:
        messages.error(request, "Only a signed consent that is not revoked can be revoked.")
        return redirect("consents:detail", pk=consent.pk)
    context = chart_context(request, consent.patient, "consents")
    form = RevokeForm(request.POST or None, initial={"revoked_on": context["today"]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.revoke(
                request,
                consent,
                revoked_on=data["revoked_on"],
                method=data["method"],
                note=data["note"],
            )
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(
                request,
                f"Consent #{consent.pk} is revoked from {day_text(data['revoked_on'])}. "
                "Disclosures made before then stay on the accounting.",
            )
            return redirect("consents:detail", pk=consent.pk)
    context.update({"consent": consent, "form": form})
    return render(request, "consents/revoke.html", context)


@require_capability(MANAGE_CONSENTS)
@require_http_methods(["GET", "POST"])
def end_event(request: HttpRequest, pk: int) -> HttpResponse:
    consent = get_consent_for_user(request, pk)
    if (
        consent.status != ConsentStatus.SIGNED
        or not consent.expiry_event
        or consent.event_occurred_on is not None
    ):
        messages.error(request, "This consent has no end event waiting to be recorded.")
        return redirect("consents:detail", pk=consent.pk)
    context = chart_context(request, consent.patient, "consents")
    form = EndEventForm(request.POST or None, initial={"occurred_on": context["today"]})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_end_event(
                request, consent, occurred_on=form.cleaned_data["occurred_on"]
            )
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            messages.success(request, f"Consent #{consent.pk} has ended.")
            return redirect("consents:detail", pk=consent.pk)
    context.update({"consent": consent, "form": form})
    return render(request, "consents/end_event.html", context)


# -- releasing information -------------------------------------------------------------------


def _named_recipients(consents: list[Consent]) -> dict[str, Recipient]:
    """The people and organizations the patient's consents name (one entry each)."""
    out: dict[str, Recipient] = {}
    seen: set[tuple[str, str]] = set()
    for consent in sorted(consents, key=lambda c: c.pk):
        if consent.kind == ConsentKind.TPO or consent.recipient_type == RecipientType.SUPPORT:
            continue
        key = (consent.recipient_type, " ".join(consent.recipient_name.split()).casefold())
        if key in seen:
            continue
        seen.add(key)
        out[f"n{consent.pk}"] = Recipient.named(consent.recipient_type, consent.recipient_name)
    return out


@require_capability(RELEASE_INFORMATION)
@require_http_methods(["GET", "POST"])
def release(request: HttpRequest, pk: int) -> HttpResponse:
    patient = get_patient_for_user(request, pk)
    context = chart_context(request, patient, "consents")
    today = context["today"]
    consents = _patient_consents(request, patient)
    supports = _active_supports(patient)
    initial: dict[str, Any] = {"channel": Channel.PRINT}
    support_id = request.GET.get("support", "")
    if support_id.isdigit() and int(support_id) in {s.pk for s in supports}:
        initial["recipient"] = f"s{support_id}"
    form = ReleaseForm(
        request.POST or None,
        supports=supports,
        named=_named_recipients(consents),
        initial=initial,
    )
    refused: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disclosure = services.record_disclosure(
                request,
                patient,
                recipient=form.recipient_value(),
                purpose=data["purpose"],
                purpose_other=data["purpose_other"],
                categories=list(data["categories"]),
                channel=data["channel"],
                since=data["since"],
                on=today,
                programs=memberships_for(request.user).program_ids,
            )
        except DisclosureRefused as exc:
            refused = exc.decision.missing
        except ConsentError as exc:
            _refuse(form, exc)
        else:
            return redirect("consents:disclosure", pk=disclosure.pk)
    # A consent that ends on an event cannot know the event happened: ask staff to check.
    pending_events = [
        c
        for c in consents
        if c.expiry_event
        and c.event_occurred_on is None
        and c.state_on(today) == ConsentState.VALID
    ]
    context.update(
        {
            "form": form,
            "refused": refused,
            "pending_events": pending_events,
            "counseling": Category.COUNSELING_NOTES.value,
        }
    )
    return render(request, "consents/release.html", context)


def _print_context(request: HttpRequest, patient: Patient, program: Any) -> dict[str, Any]:
    return {
        "patient": patient,
        "program": program,
        "printed_by": request.user,
        "today": services.program_today(program),
    }


@require_capability(RELEASE_INFORMATION)
@require_GET
def disclosure_packet(request: HttpRequest, pk: int) -> HttpResponse:
    """The release packet: only the chosen categories, the redisclosure notice and a summary
    of the consent relied on. Shown from what was stored when it was released."""
    disclosure = get_disclosure_for_user(request, pk)
    context = _print_context(request, disclosure.patient, disclosure.program)
    context.update(
        {
            "disclosure": disclosure,
            "consent": disclosure.consent,
            "sections": disclosure.packet_sections(),
            "notice": REDISCLOSURE_NOTICE,
            "citation": REDISCLOSURE_CITATION,
        }
    )
    record(
        Action.VIEW,
        services.disclosure_subject(disclosure, f"Disclosure #{disclosure.pk} packet viewed"),
        request=request,
    )
    return render(request, "consents/packet.html", context)


@require_capability(MANAGE_CONSENTS)
@require_GET
def accounting(request: HttpRequest, pk: int) -> HttpResponse:
    """The accounting of disclosures, written for the patient: every release, newest first."""
    patient = get_patient_for_user(request, pk)
    rows = (
        disclosures_visible_to(request.user)
        .filter(patient=patient)
        .select_related("disclosed_by", "consent", "program__site")
        .order_by("-disclosed_at", "-id")
    )
    page = paginate(request, rows, per_page=ACCOUNTING_PAGE)
    program = patient.registered_program
    context = _print_context(request, patient, program)
    context.update({"page": page, "rows": list(page.object_list)})
    record(
        Action.VIEW,
        patient_subject(patient, "Accounting of disclosures shown"),
        request=request,
    )
    return render(request, "consents/accounting.html", context)
