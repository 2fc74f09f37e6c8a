"""A signature: who signed which document, with what credentials, when, and a digest of the
canonical content they signed. Rows are never updated or deleted (a database trigger refuses
it); a document points at the signatures that currently stand for it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Meaning(models.TextChoices):
    AUTHOR = "author", "Signed by the author"
    COSIGN = "cosign", "Co-signed by a supervisor"
    PATIENT = "patient", "Signed by the patient"
    PATIENT_DECLINED = "declined", "Patient did not sign (reason recorded)"


class Method(models.TextChoices):
    PASSWORD = "password", "Password re-entered"
    TABLET = "tablet", "Signed on a staff device in session"
    PORTAL = "portal", "Signed in the patient portal"
    ATTESTED = "attested", "Recorded by staff"


class Signature(models.Model):
    document_type = models.CharField(max_length=30)
    document_id = models.PositiveBigIntegerField()
    meaning = models.CharField(max_length=10, choices=Meaning.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signatures",
        help_text="The staff member who signed, or who witnessed a patient's signature.",
    )
    signer_name = models.CharField(max_length=150, help_text="As signed, kept as text.")
    credentials = models.CharField(max_length=60, blank=True)
    signed_at = models.DateTimeField()
    digest = models.CharField(max_length=64, help_text="SHA-256 of the canonical content.")
    statement = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["signed_at", "id"]
        indexes = [
            models.Index(fields=["document_type", "document_id"], name="signature_document"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_meaning_display()}: {self.signer_name} at {self.signed_at:%Y-%m-%d %H:%M}"
        )

    @property
    def signed_as(self) -> str:
        return f"{self.signer_name}, {self.credentials}" if self.credentials else self.signer_name
