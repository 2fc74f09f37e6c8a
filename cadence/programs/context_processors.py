from typing import Any

from django.http import HttpRequest

from .querysets import memberships_for


def current_site(request: HttpRequest) -> dict[str, Any]:
    if not request.user.is_authenticated:
        return {}
    memberships = memberships_for(request.user)
    site = getattr(request, "clinic_site", None)
    return {
        "current_site": site,
        "my_sites": memberships.sites,
        "site_programs": memberships.programs_at(site),
    }
