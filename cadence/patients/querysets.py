from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q

from cadence.accounts.roles import VIEW_PATIENTS
from cadence.programs.querysets import memberships_for

from .normalize import digits, fold

_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y")


def parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


class PatientQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> PatientQuerySet:
        """Patients registered in, or with an episode of care in, one of the user's programs.

        Patient data access requires both a role that views patients and program membership.
        """
        if not getattr(user, "is_authenticated", False) or not user.can(VIEW_PATIENTS):
            return self.none()
        program_ids = sorted(memberships_for(user).program_ids)
        if not program_ids:
            return self.none()
        # Episodes sit in a higher layer; reach them through the reverse relation, not an import.
        episode_model = self.model._meta.get_field("episodes").related_model
        in_episode = Exists(
            episode_model.objects.filter(patient=OuterRef("pk"), program_id__in=program_ids)
        )
        return self.filter(Q(registered_program_id__in=program_ids) | in_episode)

    def search(self, query: str) -> PatientQuerySet:
        """Name (word prefixes), MRN, date of birth or phone, chosen by what the text looks like."""
        text = query.strip()
        if not text:
            return self
        if re.fullmatch(r"[cC]\d{3,}", text):
            return self.filter(mrn__startswith=text.upper())
        day = parse_date(text)
        if day is not None:
            return self.filter(date_of_birth=day)
        only_digits = digits(text)
        if len(only_digits) >= 4 and re.fullmatch(r"[\d\s().+-]+", text):
            return self.filter(phone_digits__contains=only_digits)
        queryset = self
        for token in fold(text).replace("-", " ").replace("'", "").split()[:4]:
            queryset = queryset.filter(name_key__contains=" " + token)
        return queryset
