"""A program's plan templates: starting text for new plans, written as an outline."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_TEMPLATES
from cadence.common.pagination import paginate

from . import services
from .access import get_program_for_user, get_template_for_user
from .choices import Approach, Modality
from .forms import TemplateForm
from .models import PlanTemplate

EXAMPLE = """\
# Lines starting with # are notes to yourself; they are ignored.
Problem: Alcohol use is harming work and health
  Goal: "I want to stop drinking and keep my job"
    Objective [30 days]: Attend at least 9 hours of groups each week
      Intervention [group, rp, 3 times a week]: Relapse-prevention group
    Objective [21 days]: Name three triggers and a coping skill for each
      Intervention [individual, cbt, weekly 50 minutes]: Trigger mapping in individual sessions
"""


@require_capability(EDIT_TEMPLATES)
def template_list(request: HttpRequest, program_pk: int) -> HttpResponse:
    program = get_program_for_user(request, program_pk)
    templates = (
        PlanTemplate.objects.filter(program=program)
        .select_related("updated_by")
        .order_by("-is_active", "name")
    )
    context = {"program": program, "page": paginate(request, templates)}
    return render(request, "plans/templates.html", context)


@require_capability(EDIT_TEMPLATES)
@require_http_methods(["GET", "POST"])
def template_edit(
    request: HttpRequest, program_pk: int, template_pk: int | None = None
) -> HttpResponse:
    program = get_program_for_user(request, program_pk)
    template = (
        get_template_for_user(request, program, template_pk) if template_pk is not None else None
    )
    form = TemplateForm(
        request.POST or None,
        instance=template,
        program=program,
        initial=None if template else {"outline": EXAMPLE, "is_active": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_template(
                request,
                program,
                name=data["name"],
                outline=data["outline"],
                is_active=data["is_active"],
                template=template,
            )
        except services.PlanError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Template “{saved.name}” saved.")
            return redirect("plans:templates", program_pk=program.pk)
    context = {
        "program": program,
        "template": template,
        "form": form,
        "modalities": Modality.choices,
        "approaches": Approach.choices,
    }
    return render(request, "plans/template_form.html", context)
