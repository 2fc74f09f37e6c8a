from django.db import models


class NoteKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual session"
    FAMILY = "family", "Family session"
    GROUP = "group", "Group session"


class NoteFormat(models.TextChoices):
    DAP = "dap", "DAP (data, assessment, plan)"
    SOAP = "soap", "SOAP (subjective, objective, assessment, plan)"
    BIRP = "birp", "BIRP (behavior, intervention, response, plan)"
    GROUP = "group", "Group note"


SECTIONS: dict[str, list[tuple[str, str]]] = {
    NoteFormat.DAP: [("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan")],
    NoteFormat.SOAP: [
        ("subjective", "Subjective"),
        ("objective", "Objective"),
        ("assessment", "Assessment"),
        ("plan", "Plan"),
    ],
    NoteFormat.BIRP: [
        ("behavior", "Behavior"),
        ("intervention", "Intervention"),
        ("response", "Response"),
        ("plan", "Plan"),
    ],
    NoteFormat.GROUP: [],
}


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_COSIGN = "pending", "Signed, waiting for co-signature"
    SIGNED = "signed", "Signed"


class ServiceType(models.TextChoices):
    """What was delivered; billing maps these to codes per payer (CLINICAL.md)."""

    INDIVIDUAL_THERAPY = "individual_therapy", "Individual psychotherapy"
    FAMILY_WITH_PATIENT = "family_with", "Family psychotherapy with the patient"
    FAMILY_WITHOUT_PATIENT = "family_without", "Family psychotherapy without the patient"
    GROUP_THERAPY = "group_therapy", "Group psychotherapy"
    GROUP_PSYCHOEDUCATION = "group_education", "Group psychoeducation"
    CASE_MANAGEMENT = "case_management", "Case management"
    CRISIS = "crisis", "Crisis intervention"
    COLLATERAL = "collateral", "Collateral contact"


KIND_SERVICES: dict[str, list[str]] = {
    NoteKind.INDIVIDUAL: [
        ServiceType.INDIVIDUAL_THERAPY,
        ServiceType.CASE_MANAGEMENT,
        ServiceType.CRISIS,
        ServiceType.COLLATERAL,
    ],
    NoteKind.FAMILY: [ServiceType.FAMILY_WITH_PATIENT, ServiceType.FAMILY_WITHOUT_PATIENT],
    NoteKind.GROUP: [ServiceType.GROUP_THERAPY, ServiceType.GROUP_PSYCHOEDUCATION],
}


class RiskLevel(models.TextChoices):
    NONE = "none", "No current risk indicated"
    LOW = "low", "Low risk; reviewed"
    MODERATE = "moderate", "Moderate risk; safety plan reviewed"
    HIGH = "high", "High risk; crisis steps taken"


class Participation(models.TextChoices):
    ACTIVE = "active", "Active, engaged"
    ENGAGED_PROMPTED = "prompted", "Engaged when prompted"
    MINIMAL = "minimal", "Minimal participation"
    DISRUPTIVE = "disruptive", "Disruptive"
    ABSENT = "absent", "Absent"


GROUP_INTERVENTIONS = [
    ("psychoeducation", "Psychoeducation"),
    ("cbt", "CBT skills practice"),
    ("dbt", "DBT skills practice"),
    ("mi", "Motivational interviewing"),
    ("rp", "Relapse-prevention planning"),
    ("role_play", "Role play"),
    ("mindfulness", "Mindfulness exercise"),
    ("process", "Process group discussion"),
    ("peer_feedback", "Peer feedback"),
]
