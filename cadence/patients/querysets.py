from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection, models
from django.db.models import Exists, OuterRef, Prefetch, Q

from cadence.accounts.roles import VIEW_PATIENTS
from cadence.programs.querysets import memberships_for

from .normalize import digits, fold, mrn_is_valid, phone_key

MAX_ID_LIST = 1000  # name matches passed to the page query as a list; more use a subquery
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y")  # no 2-digit years: 01/01/50 is ambiguous


def parse_date(text: str) -> dt.date | None:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def prefix_q(field: str, prefix: str) -> Q:
    """“field starts with prefix”, in the form the database can answer from an index.

    PostgreSQL: LIKE 'prefix%' served by a varchar_pattern_ops index, whatever the collation.
    SQLite: a byte-order range (its LIKE is case-insensitive and skips ordinary indexes).
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})


class PatientQuerySet(models.QuerySet[Any]):
    def visible_to(self, user: Any) -> PatientQuerySet:
        """Patients registered in, or with an episode of care in, one of the user's programs,
        except restricted charts that do not name the user; on read-only chart pages, also the
        charts the user holds an emergency grant for (cadence.patients.scope).

        Patient data access requires both a role that views patients and program membership.
        """
        from .scope import granted_ids, not_hidden

        if not getattr(user, "is_authenticated", False) or not user.can(VIEW_PATIENTS):
            return self.none()
        granted = sorted(granted_ids(user))
        in_programs = self.in_programs_q(user)
        if in_programs is None and not granted:
            return self.none()
        allowed = Q(pk__in=granted) if granted else Q()
        if in_programs is not None:
            allowed = in_programs | allowed if granted else in_programs
        return self.filter(allowed & not_hidden(user, "pk"))

    def in_programs_q(self, user: Any) -> Q | None:
        """Registered in, or with an episode in, one of the user's programs (restriction not
        considered: for directors managing restrictions and reading the audit trail)."""
        program_ids = sorted(memberships_for(user).program_ids)
        if not program_ids:
            return None
        # Episodes sit in a higher layer; reach them through the reverse relation, not an import.
        episode_model = self.model._meta.get_field("episodes").related_model
        in_episode = Exists(
            episode_model.objects.filter(patient=OuterRef("pk"), program_id__in=program_ids)
        )
        return Q(registered_program_id__in=program_ids) | Q(in_episode)

    def in_programs_of(self, user: Any) -> PatientQuerySet:
        q = self.in_programs_q(user)
        return self.none() if q is None else self.filter(q)

    def with_episodes(self) -> PatientQuerySet:
        """Prefetch the patients' episodes with their programs, looked up by patient (the
        selective index). Callers keep only the episodes of the viewer's programs."""
        episode_model = self.model._meta.get_field("episodes").related_model
        episodes = episode_model.objects.select_related("program")
        return self.prefetch_related(Prefetch("episodes", queryset=episodes))

    def search(self, query: str) -> PatientQuerySet:
        """Name (word prefixes), MRN, date of birth or phone, chosen by what the text looks like."""
        text = query.strip()
        if not text:
            return self
        if re.fullmatch(r"[cC]\d{3,}", text):
            mrn = text.upper()
            if mrn_is_valid(mrn):
                return self.filter(mrn=mrn)
            return self.filter(prefix_q("mrn", mrn))
        day = parse_date(text)
        if day is not None:
            return self.filter(date_of_birth=day)
        only_digits = digits(text)
        if len(only_digits) >= 4 and re.fullmatch(r"[\d\s().+-]+", text):
            # Ends with the digits typed: last four, seven, or the whole number.
            return self.filter(prefix_q("phone_key", phone_key(text)))
        words = [w[:40] for w in fold(text).replace("-", " ").replace("'", "").split()[:4]]
        if not words:
            return self.none()
        # Intersect the words inside the token table (index-only probes on patient+token),
        # so only the patients matching every word are fetched.
        token_model = self.model._meta.get_field("name_tokens").related_model
        matching = token_model.objects.filter(prefix_q("token", words[0]))
        for word in words[1:]:
            also = token_model.objects.filter(
                prefix_q("token", word), patient_id=OuterRef("patient_id")
            )
            matching = matching.filter(Exists(also))
        # Resolve the ids first: a concrete list gives the planner the true (usually small)
        # number of matches, where a subquery's estimate can send it down the whole table.
        ids = list(matching.values_list("patient_id", flat=True).distinct()[: MAX_ID_LIST + 1])
        if len(ids) > MAX_ID_LIST:
            return self.filter(pk__in=matching.values("patient_id"))
        return self.filter(pk__in=ids)
