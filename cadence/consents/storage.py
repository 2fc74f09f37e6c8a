"""Where consent scans live: a private folder under MEDIA_ROOT that no URL points at.

Nothing under MEDIA_ROOT is served by the web server or by Django (there is no MEDIA_URL
route); a scan leaves the server only through the access-checked, audited download view.
File names are random, never the patient's name or the uploaded file's name.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

PRIVATE_FOLDER = "private/consents"
MAX_SCAN_BYTES = 10 * 1024 * 1024


@deconstructible
class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT (read when first used, so tests can point it at a temporary folder), with
    no public URL: asking for one is a programming error."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; use the access-checked download view.")


private_storage = PrivateStorage()


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    label: str


PDF = FileKind("application/pdf", "pdf", "PDF")
PNG = FileKind("image/png", "png", "PNG image")
JPEG = FileKind("image/jpeg", "jpg", "JPEG image")
BY_TYPE = {k.content_type: k for k in (PDF, PNG, JPEG)}


def sniff(head: bytes) -> FileKind | None:
    """The file's kind from its first bytes (its content), whatever its name or the browser's
    claimed type say."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    return None


def scan_path(instance: Any, filename: str) -> str:
    """A random name in the private folder; the extension follows the sniffed content."""
    kind = BY_TYPE.get(getattr(instance, "scan_type", ""), PDF)
    return f"{PRIVATE_FOLDER}/{uuid.uuid4().hex}.{kind.extension}"
