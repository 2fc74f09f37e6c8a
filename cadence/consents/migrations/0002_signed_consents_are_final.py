"""Database triggers: a signed consent's content never changes and it stays signed; revocations
and disclosures (the accounting) are never changed, and on PostgreSQL never deleted."""

from django.db import migrations

from cadence.common.dbguards import Guard, changed, install, remove

CONTENT = [
    "patient_id", "program_id", "discloser", "kind", "recipient_type", "recipient_support_id",
    "recipient_name", "recipient_class", "categories", "purposes", "purpose_other",
    "expires_on", "expiry_event", "revocation_statement", "signature_method", "signed_on",
    "signature_id", "scan", "scan_type", "scan_size", "scan_sha256", "created_by_id",
]  # fmt: skip


def _consent_update(vendor: str) -> str:
    return f"OLD.status = 'signed' AND (NEW.status <> 'signed' OR {changed(CONTENT, vendor)})"


FINAL = "a signed consent cannot be changed; write a new consent"
LOG = "revocations and disclosures are a permanent record and cannot be changed"

GUARDS = [
    Guard("consent_final_update", "consents_consent", ("UPDATE",), _consent_update, FINAL),
    Guard("consent_final_delete", "consents_consent", ("DELETE",), "OLD.status = 'signed'", FINAL),
    Guard("revocation_final", "consents_revocation", ("UPDATE", "DELETE"), "1 = 1", LOG),
    Guard("disclosure_final", "consents_disclosure", ("UPDATE", "DELETE"), "1 = 1", LOG),
]


class Migration(migrations.Migration):
    dependencies = [("consents", "0001_initial")]
    operations = [
        migrations.RunPython(
            lambda apps, se: install(se, GUARDS), lambda apps, se: remove(se, GUARDS)
        )
    ]
