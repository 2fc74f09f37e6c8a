from django.db import models


class Kind(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"
    FAMILY = "family", "Family member"


class Role(models.TextChoices):
    DIRECTOR = "director", "Program director"
    SUPERVISOR = "supervisor", "Clinical supervisor"
    CLINICIAN = "clinician", "Clinician"
    INTAKE = "intake", "Intake coordinator"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    SYSADMIN = "sysadmin", "System administrator"
