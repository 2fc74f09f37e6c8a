"""A program's note templates: starting text per section for individual and family notes.
Every change is audited; a template only ever prefills a new note (notes keep their own text)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from cadence.accounts.access import acting_user
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.programs.models import Program

from .choices import SECTIONS, NoteFormat, NoteKind
from .models import NoteTemplate

TEMPLATE_KINDS = (NoteKind.INDIVIDUAL, NoteKind.FAMILY)
DUPLICATE_NAME = "This program already has a template with that name; choose another name."


class TemplateError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def save_note_template(
    request: HttpRequest,
    program: Program,
    *,
    name: str,
    kind: str,
    format: str,
    prompts: dict[str, str],
    is_active: bool = True,
    template: NoteTemplate | None = None,
) -> NoteTemplate:
    """Create or update one template of the program. Prompts are kept for the format's
    sections only."""
    user = acting_user(request)
    name = name.strip()
    if not name:
        raise TemplateError("Give the template a name.", "name")
    if kind not in TEMPLATE_KINDS:
        raise TemplateError("Choose individual or family session.", "kind")
    if format not in SECTIONS or format == NoteFormat.GROUP:
        raise TemplateError("Choose DAP, SOAP or BIRP.", "format")
    if template is not None and template.program_id != program.pk:
        raise TemplateError("That template belongs to another program.")
    kept = {key: (prompts.get(key) or "").strip() for key, _ in SECTIONS[format]}
    duplicate = NoteTemplate.objects.filter(program=program, name__iexact=name)
    if template is not None:
        duplicate = duplicate.exclude(pk=template.pk)
    if duplicate.exists():
        raise TemplateError(DUPLICATE_NAME, "name")
    try:
        with transaction.atomic():
            if template is None:
                template = NoteTemplate(program=program)
                created = True
            else:
                template = NoteTemplate.objects.select_for_update().get(pk=template.pk)
                created = False
            template.name = name[:120]
            template.kind = kind
            template.format = format
            template.prompts = kept
            template.is_active = is_active
            template.updated_by = user
            template.save()
            record(
                Action.CREATE if created else Action.UPDATE,
                Subject(
                    "note_template",
                    str(template.pk),
                    f"Note template {'added' if created else 'changed'} in program {program.pk}"
                    + ("" if is_active else " (inactive)"),
                ),
                request=request,
            )
    except IntegrityError as exc:  # two people saving the same new name at once
        raise TemplateError(DUPLICATE_NAME, "name") from exc
    return template
