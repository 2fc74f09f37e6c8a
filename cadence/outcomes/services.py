"""Early warning: running the rules (raising flags) and changing a program's rules. Every write
is one transaction with its audit rows; logs carry counts and ids, never patient data.

When a rule fires again
-----------------------
A flag is an Alert with source "Early warning", rule "ew_<code>", source_id = the episode's id
and `evidence` = the newest data point behind the reason (see warning.py). A run raises a
flag for an (episode, rule) only when

* no flag for that episode and rule is open (a partial unique constraint on alerts guards
  this in the database too), and
* the evidence is newer than that of every earlier flag for the same episode and rule, so a
  followed-up flag stays quiet until there is new data: a later missed session, a new week of
  low hours, a new check-in or PHQ-9, a newly resulted screen, or a further threshold period
  without contact.

Flags are raised by the daily run (`cadence early_warning`, or its task), and by a director's
"Check now". They are not raised right after each attendance or instrument write: those apps
sit below outcomes and may not import it.

Housekeeping in every run (even with the rules switched off): open flags of episodes no longer
in care are closed ("Closed: the episode ended", by the system), and open flags whose
responsible clinician is no longer the episode's primary clinician move to the current one.
Both are compare-and-swap writes audited as "system: early warning".

Races: runs of one program are serialized by locking the program row. On SQLite that lock is a
no-op, so a "Check now" racing the cron run can still meet the partial unique constraint: the
insert then falls back to one flag at a time and skips the ones that exist by now.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, OuterRef, Subquery
from django.db.models.functions import Cast
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone

from cadence.accounts.access import acting_user
from cadence.alerts.choices import (
    EARLY_WARNING_SOURCE,
    AlertStatus,
    FollowUpAction,
    Severity,
)
from cadence.alerts.models import Alert
from cadence.alerts.services import close_by_system, raise_many, reassign
from cadence.audit.choices import Action
from cadence.audit.services import Subject, record
from cadence.common.timeutils import local_today
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.programs.models import Program

from .models import WarningRules
from .warning import EpisodeRisk, evaluate, rules_of

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system: early warning"
ENDED_NOTE = "Closed automatically: no longer in care."
RUN_SUMMARY = "Early-warning run for "


class RunAllError(Exception):
    """Some programs' runs failed (the others completed): `results` of those that ran,
    `failures` as (program id, exception class name)."""

    def __init__(self, results: list[RunResult], failures: list[tuple[int, str]]) -> None:
        self.results, self.failures = results, failures
        ids = ", ".join(str(pk) for pk, _ in failures)
        super().__init__(f"early warning failed for program(s) {ids}")


@dataclass
class RunResult:
    program: Program
    today: dt.date
    risks: list[EpisodeRisk] = field(default_factory=list)
    raised: list[Alert] = field(default_factory=list)
    closed: list[Alert] = field(default_factory=list)
    reassigned: list[Alert] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        return len(self.risks)


def run_early_warning(
    program: Program,
    today: dt.date | None = None,
    request: HttpRequest | None = None,
    episode: Episode | None = None,
) -> RunResult:
    """Evaluate the program's rules for its in-care episodes (or one episode) on `today` (the
    site's local date) and raise a flag per fired rule that is new (see the module notes);
    close the open flags of episodes no longer in care and move open flags to the current
    primary clinician. Runs of one program are serialized by locking the program row. Reads
    the saved rules, or the defaults when none were saved; records the run's time and count
    on the rules row (creating it with the defaults when missing).
    Audited: one row for the run (by the requesting user, or the system; about the program),
    one per flag raised, closed or moved."""
    today = today or local_today(program.site.time_zone)
    with transaction.atomic():
        # FOR NO KEY UPDATE: serializes runs without blocking inserts that reference the program.
        list(Program.objects.select_for_update(no_key=True).filter(pk=program.pk).values("pk"))
        rules = rules_of(program)
        closed, reassigned = _housekeep(program)
        risks = evaluate(program, today, episode=episode, rules=rules)
        raised = _raise_new(request, program, risks)
        # The run keeps its time and count on the rules row; a program that never saved its
        # rules gets the default row here (the run is the service writing it, audited below).
        WarningRules.objects.update_or_create(
            program=program,
            defaults={"last_run_at": timezone.now(), "last_run_raised": len(raised)},
        )
        extra = f", {len(closed)} closed (no longer in care)" if closed else ""
        record(
            Action.UPDATE,
            Subject(
                "program",
                str(program.pk),
                f"{RUN_SUMMARY}{program.name} on {today.isoformat()}: "
                f"{len(risks)} patient(s) at risk, {len(raised)} new flag(s){extra}",
            ),
            request=request,
            actor_name=SYSTEM_ACTOR,
        )
    log.info(
        "early warning: program %s, %s at risk, %s new flags, %s closed, %s moved",
        program.pk,
        len(risks),
        len(raised),
        len(closed),
        len(reassigned),
    )
    return RunResult(program, today, risks, raised, closed, reassigned)


def _housekeep(program: Program) -> tuple[list[Alert], list[Alert]]:
    """Close the program's open flags of episodes no longer in care, and move open flags to
    the episode's current primary clinician. One query when there is nothing to do."""
    episode = Episode.objects.filter(pk=OuterRef("episode_pk"))
    flags = list(
        Alert.objects.filter(source=EARLY_WARNING_SOURCE, status=AlertStatus.OPEN, program=program)
        .annotate(
            episode_pk=Cast("source_id", BigIntegerField()),
            episode_status=Subquery(episode.values("status")[:1]),
            primary_id=Subquery(episode.values("primary_clinician_id")[:1]),
        )
        .select_related("patient")
    )
    ended = [f for f in flags if f.episode_status not in IN_CARE_STATUSES]
    moved = [
        (f, f.primary_id)
        for f in flags
        if f.episode_status in IN_CARE_STATUSES and f.responsible_id != f.primary_id
    ]
    closed = close_by_system(
        ended, action=FollowUpAction.EPISODE_ENDED, note=ENDED_NOTE, actor_name=SYSTEM_ACTOR
    )
    reassigned = reassign(moved, actor_name=SYSTEM_ACTOR)
    return closed, reassigned


def _raise_new(
    request: HttpRequest | None, program: Program, risks: list[EpisodeRisk]
) -> list[Alert]:
    if not risks:
        return []
    source_ids = [str(r.episode.pk) for r in risks]
    open_keys: set[tuple[str, str]] = set()
    newest: dict[tuple[str, str], str] = {}
    for source_id, rule, status, evidence in Alert.objects.filter(
        source=EARLY_WARNING_SOURCE, source_id__in=source_ids
    ).values_list("source_id", "rule", "status", "evidence"):
        key = (source_id, rule)
        if status == AlertStatus.OPEN:
            open_keys.add(key)
        if evidence > newest.get(key, ""):
            newest[key] = evidence
    alerts = []
    for risk in risks:
        ep = risk.episode
        for reason in risk.reasons:
            key = (str(ep.pk), reason.rule)
            if key in open_keys or reason.evidence <= newest.get(key, ""):
                continue
            alerts.append(
                Alert(
                    patient=ep.patient,
                    program=program,
                    responsible=ep.primary_clinician,
                    source=EARLY_WARNING_SOURCE,
                    source_id=str(ep.pk),
                    rule=reason.rule,
                    evidence=reason.evidence,
                    severity=Severity.MEDIUM,
                    message=reason.text,
                )
            )
    try:
        with transaction.atomic():
            return raise_many(request, alerts)
    except IntegrityError:
        # A concurrent run (SQLite: no row lock) opened some of these flags meanwhile: insert
        # one at a time and skip those that exist by now.
        log.warning("early warning: program %s, concurrent run; inserting one by one", program.pk)
    created = []
    for alert in alerts:
        alert.pk = None
        alert._state.adding = True
        try:
            with transaction.atomic():
                created += raise_many(request, [alert])
        except IntegrityError:
            continue
    return created


def run_all(today: dt.date | None = None) -> list[RunResult]:
    """Every active program, each on its site's local date (the daily run). One program
    failing does not stop the others: its id and the exception class are logged (no patient
    data), and RunAllError is raised at the end with the results of the others."""
    programs = Program.objects.filter(is_active=True).select_related("site").order_by("pk")
    results: list[RunResult] = []
    failures: list[tuple[int, str]] = []
    for program in programs:
        try:
            results.append(run_early_warning(program, today))
        except Exception as exc:
            failures.append((program.pk, type(exc).__name__))
            log.error("early warning: program %s failed (%s)", program.pk, type(exc).__name__)
    if failures:
        raise RunAllError(results, failures)
    return results


def save_rules(request: HttpRequest, form: ModelForm[Any]) -> WarningRules:
    """Save a validated rules form; the audit row names the fields changed (with old and new
    values: thresholds are program policy, not patient data)."""
    with transaction.atomic():
        rules: WarningRules = form.save(commit=False)
        created = rules.pk is None
        rules.updated_by = acting_user(request)
        rules.save()
        changes = ", ".join(
            f"{name}: {form.initial.get(name)} -> {form.cleaned_data.get(name)}"
            for name in form.changed_data
        )
        record(
            Action.UPDATE,
            Subject(
                "warning_rules",
                str(rules.pk),
                f"Early-warning rules of {rules.program.name}"
                f"{' (first saved)' if created else ''}: {changes or 'no change'}"[:300],
            ),
            request=request,
        )
    return rules
