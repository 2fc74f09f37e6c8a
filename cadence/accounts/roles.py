"""What each staff role may do. Data, not scattered `if role ==` checks.

Capabilities are about *kinds* of action; *which* patients a person may touch is decided by
program membership (cadence.programs) and the patient querysets.
"""

from __future__ import annotations

from .choices import Role

VIEW_PATIENTS = "view_patients"  # the registry and chart shell (demographics, episodes)
REGISTER_PATIENT = "register_patient"
EDIT_DEMOGRAPHICS = "edit_demographics"
ADMIT = "admit"  # admit to an episode of care
CHANGE_CARE = "change_care"  # level of care and phase changes
EDIT_PROGRAMS = "edit_programs"  # program policy, tracks, phases, rooms
VIEW_AUDIT = "view_audit"  # the audit report, for the programs one belongs to
VIEW_AUDIT_ALL = "view_audit_all"  # every event: the security officer's view
VIEW_CENSUS = "view_census"
HAS_CASELOAD = "has_caseload"
VIEW_CLINICAL = "view_clinical"  # instrument results, alerts (not front desk or billing)
ADMINISTER = "administer"  # give an instrument to a patient
FOLLOW_UP_ALERTS = "follow_up_alerts"
REFERRALS = "referrals"  # the referral pipeline
VIEW_SCHEDULE = "view_schedule"  # week calendars, rosters (read), patients' schedules
EDIT_SCHEDULE = "edit_schedule"  # curriculum, series, holidays, cancel or move a session
TAKE_ATTENDANCE = "take_attendance"  # facilitator rosters and front-desk check-in
BOOK_APPOINTMENTS = "book_appointments"  # individual, family and intake sessions
ENROLL = "enroll"  # enroll an episode in a track or move it to another
WORKLIST = "worklist"  # the attendance follow-up worklist and outreach notes
WRITE_NOTES = "write_notes"  # write and sign clinical notes and treatment plans
COSIGN = "cosign"  # co-sign trainees' notes, return them with comments
RECORD_SCREENS = "record_screens"  # drug screen collections and results
EDIT_TEMPLATES = "edit_templates"  # the program's plan and note templates
MANAGE_ACCOUNTS = "manage_accounts"  # unlock paused sign-ins, reset a lost phone's MFA
RESTRICT_PATIENTS = "restrict_patients"  # restrict a chart to named staff; review emergency access
# 42 CFR Part 2: record supports, consents (and their scans) and revocations; see the tab.
MANAGE_CONSENTS = "manage_consents"
RELEASE_INFORMATION = "release_information"  # disclose records under a consent (packets)
VIEW_OUTCOMES = "view_outcomes"  # program dashboards of one's own programs, and their CSVs
EXPORT_DEIDENTIFIED = "export_deidentified"  # the de-identified outcomes extract

_SCHEDULE_ALL = {VIEW_SCHEDULE, TAKE_ATTENDANCE, BOOK_APPOINTMENTS}

_CLINICAL_FRONT = {VIEW_PATIENTS, REGISTER_PATIENT, EDIT_DEMOGRAPHICS, REFERRALS}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, EDIT_PROGRAMS, VIEW_AUDIT, VIEW_CENSUS, RESTRICT_PATIENTS}
        | {VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
        | _SCHEDULE_ALL
        | {EDIT_SCHEDULE, ENROLL, WORKLIST}
        | {WRITE_NOTES, COSIGN, RECORD_SCREENS, EDIT_TEMPLATES}
        | {MANAGE_CONSENTS, RELEASE_INFORMATION}
        | {MANAGE_ACCOUNTS}
        | {VIEW_OUTCOMES, EXPORT_DEIDENTIFIED}
    ),
    Role.SUPERVISOR: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, VIEW_CENSUS, HAS_CASELOAD}
        | {VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
        | _SCHEDULE_ALL
        | {EDIT_SCHEDULE, ENROLL, WORKLIST}
        | {WRITE_NOTES, COSIGN, RECORD_SCREENS, EDIT_TEMPLATES}
        | {MANAGE_CONSENTS, RELEASE_INFORMATION}
        | {VIEW_OUTCOMES}
    ),
    Role.CLINICIAN: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, HAS_CASELOAD, VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
        | _SCHEDULE_ALL
        | {ENROLL, WORKLIST, WRITE_NOTES, RECORD_SCREENS}
        | {MANAGE_CONSENTS, RELEASE_INFORMATION}
        | {VIEW_OUTCOMES}
    ),
    Role.INTAKE: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, VIEW_CLINICAL, ADMINISTER}
        | {VIEW_SCHEDULE, BOOK_APPOINTMENTS}
        | {MANAGE_CONSENTS}
    ),
    Role.FRONT_DESK: frozenset(_CLINICAL_FRONT | _SCHEDULE_ALL | {MANAGE_CONSENTS}),
    # Billing reads attendance and schedules (what was delivered), changes nothing.
    Role.BILLING: frozenset({VIEW_PATIENTS, VIEW_SCHEDULE}),
    Role.SYSADMIN: frozenset({VIEW_AUDIT, VIEW_AUDIT_ALL, MANAGE_ACCOUNTS}),
}


def capabilities_for(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())


def roles_with(capability: str) -> list[str]:
    """The roles that carry a capability (e.g. who can be a primary clinician)."""
    return [role for role, caps in CAPABILITIES.items() if capability in caps]
