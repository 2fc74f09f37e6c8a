"""Reference values for judging change (directors): the standard deviation and reliability
behind the reliable change index, remission cut-offs, and which scores the dashboard shows."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from cadence.accounts.decorators import require_capability
from cadence.accounts.roles import EDIT_PROGRAMS

from .change import norm_from
from .forms_norms import ChangeNormForm
from .models import ChangeNorm
from .services_norms import save_norm


@require_capability(EDIT_PROGRAMS)
def norm_list(request: HttpRequest) -> HttpResponse:
    norms = list(ChangeNorm.objects.all())
    rows = [(n, norm_from(n).reliable_difference) for n in norms]
    return render(request, "outcomes/norms.html", {"rows": rows})


@require_capability(EDIT_PROGRAMS)
def norm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    norm = get_object_or_404(ChangeNorm, pk=pk)
    form = ChangeNormForm(request.POST or None, instance=norm)
    if request.method == "POST" and form.is_valid():
        save_norm(request, form)
        messages.success(request, f"Reference values for {norm.label} saved.")
        return redirect("outcomes:norms")
    return render(request, "outcomes/norm_form.html", {"form": form, "norm": norm})
