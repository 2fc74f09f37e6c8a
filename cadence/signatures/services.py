"""Digests, password re-entry and signature rows. Documents define their canonical content;
this module never needs to know what a note or a plan is."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from .models import Meaning, Method, Signature


class SignatureError(Exception):
    pass


def canonical_bytes(content: dict[str, Any]) -> bytes:
    """One byte string per content: sorted keys, no whitespace, text normalised to NFC-free
    plain JSON (dates and decimals as strings)."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def digest_of(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def check_password(user: Any, password: str) -> None:
    """Signing needs the signer's password again: the person at the keyboard is the signer."""
    if not password:
        raise SignatureError("Enter your password to sign.")
    if not user.check_password(password):
        raise SignatureError("That password is not right; enter your own password to sign.")


def sign(
    document_type: str,
    document_id: int,
    content: dict[str, Any],
    *,
    signer: Any,
    meaning: str = Meaning.AUTHOR,
    method: str = Method.PASSWORD,
    signer_name: str | None = None,
    statement: str = "",
    at: dt.datetime | None = None,
) -> Signature:
    """Store one signature over `content` (call inside the caller's transaction)."""
    return Signature.objects.create(
        document_type=document_type,
        document_id=document_id,
        meaning=meaning,
        method=method,
        signer=signer,
        signer_name=(signer_name or (signer.get_full_name() or signer.get_username()))[:150],
        credentials=(getattr(signer, "credentials", "") if signer_name is None else "")[:60],
        signed_at=at or timezone.now(),
        digest=digest_of(content),
        statement=statement[:300],
    )


# -- verification ------------------------------------------------------------------------------

# A loader yields (document id, canonical content, ids of the signatures that stand for it)
# for every signed document of its type.
Loader = Callable[[], Iterator[tuple[int, dict[str, Any], list[int]]]]
_LOADERS: dict[str, Loader] = {}


def register(document_type: str, loader: Loader) -> None:
    _LOADERS[document_type] = loader


@dataclass(frozen=True)
class Mismatch:
    document_type: str
    document_id: int
    signature_id: int | None
    reason: str


def verify(types: Iterable[str] | None = None) -> tuple[int, list[Mismatch]]:
    """Re-derive every signed document's digest and compare it with its signatures."""
    checked = 0
    problems: list[Mismatch] = []
    for document_type in sorted(types or _LOADERS):
        loader = _LOADERS[document_type]
        batch: list[tuple[int, str, list[int]]] = []
        for document_id, content, signature_ids in loader():
            batch.append((document_id, digest_of(content), signature_ids))
            if len(batch) >= 500:
                checked += _check(document_type, batch, problems)
                batch = []
        checked += _check(document_type, batch, problems)
    return checked, problems


def _check(document_type: str, batch: list[tuple[int, str, list[int]]], out: list[Mismatch]) -> int:
    ids = [sid for _, _, sids in batch for sid in sids]
    stored = {s.pk: s for s in Signature.objects.filter(pk__in=ids)}
    count = 0
    for document_id, digest, signature_ids in batch:
        count += 1
        if not signature_ids:
            out.append(Mismatch(document_type, document_id, None, "signed but no signature"))
        for sid in signature_ids:
            sig = stored.get(sid)
            if sig is None:
                out.append(Mismatch(document_type, document_id, sid, "signature row missing"))
            elif sig.document_type != document_type or sig.document_id != document_id:
                out.append(
                    Mismatch(document_type, document_id, sid, "signature is for another document")
                )
            elif sig.meaning != Meaning.PATIENT_DECLINED and sig.digest != digest:
                out.append(
                    Mismatch(document_type, document_id, sid, "content changed since it was signed")
                )
    return count


def signatures_for(document_type: str, ids: Iterable[int]) -> dict[int, list[Signature]]:
    found: dict[int, list[Signature]] = {}
    for sig in Signature.objects.filter(document_type=document_type, document_id__in=list(ids)):
        found.setdefault(sig.document_id, []).append(sig)
    return found


__all__ = [
    "Meaning",
    "Method",
    "Mismatch",
    "SignatureError",
    "check_password",
    "digest_of",
    "register",
    "sign",
    "signatures_for",
    "verify",
]
