from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "cadence.patients"
    label = "patients"

    def ready(self) -> None:
        from cadence.audit.scoping import register_program_scope

        from .audit_scope import director_audit_scope

        register_program_scope(director_audit_scope)
