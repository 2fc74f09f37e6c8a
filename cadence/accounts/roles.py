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

_CLINICAL_FRONT = {VIEW_PATIENTS, REGISTER_PATIENT, EDIT_DEMOGRAPHICS, REFERRALS}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.DIRECTOR: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, EDIT_PROGRAMS, VIEW_AUDIT, VIEW_CENSUS}
        | {VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
    ),
    Role.SUPERVISOR: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, VIEW_CENSUS, HAS_CASELOAD}
        | {VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
    ),
    Role.CLINICIAN: frozenset(
        _CLINICAL_FRONT
        | {ADMIT, CHANGE_CARE, HAS_CASELOAD, VIEW_CLINICAL, ADMINISTER, FOLLOW_UP_ALERTS}
    ),
    Role.INTAKE: frozenset(_CLINICAL_FRONT | {ADMIT, VIEW_CLINICAL, ADMINISTER}),
    Role.FRONT_DESK: frozenset(_CLINICAL_FRONT),
    Role.BILLING: frozenset({VIEW_PATIENTS}),
    Role.SYSADMIN: frozenset({VIEW_AUDIT, VIEW_AUDIT_ALL}),
}


def capabilities_for(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())


def roles_with(capability: str) -> list[str]:
    """The roles that carry a capability (e.g. who can be a primary clinician)."""
    return [role for role, caps in CAPABILITIES.items() if capability in caps]
