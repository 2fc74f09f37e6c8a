"""Early warning: transparent engagement-risk rules, evaluated for every in-care episode of a
program on one local date.

Each rule is a plain threshold from the program's WarningRules (0 or unticked switches it off).
A fired rule gives a Reason: its code, a sentence with the data it saw, and the newest data
point behind it (`evidence`, an ISO date or time). A flag that was followed up fires again only
when the evidence is newer than the flag's (a later missed session, a new week, a new check-in
or PHQ-9, a new screen, a further threshold period without contact); see services.py.

Evaluating a whole program costs a fixed number of queries (eleven) however many patients:
attendance, responses, screens and outreach are loaded in bulk for all episodes at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import BigIntegerField, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from cadence.alerts.choices import EARLY_WARNING_RULES, EARLY_WARNING_SOURCE, AlertStatus
from cadence.alerts.models import Alert
from cadence.assessments.models import Response
from cadence.episodes.choices import IN_CARE_STATUSES
from cadence.episodes.models import Episode
from cadence.patients.scope import not_hidden
from cadence.programs.models import Program
from cadence.scheduling.choices import ATTENDED, AttendanceStatus, ContactOutcome
from cadence.scheduling.ledger import weekly_hours
from cadence.scheduling.models import Attendance, Outreach
from cadence.scheduling.timing import week_start
from cadence.screens.choices import Result, ScreenStatus, substance_name
from cadence.screens.models import ScreenResult

from .models import WarningRules

RULE_PREFIX = "ew_"
# Rule codes (the alert's rule is "ew_<code>") with the name shown on pages, in display order.
RULES: dict[str, str] = {
    rule.removeprefix(RULE_PREFIX): name for rule, name in EARLY_WARNING_RULES.items()
}
PHQ9 = ("PHQ-9", "total")
CRAVING = ("CHECK-IN", "craving")
# How far back the missed-session run is looked for (20 sessions in a row is the maximum).
MISSED_WINDOW_DAYS = 84
# Unexpected positives older than this (by collection date) are not news.
SCREEN_WINDOW_DAYS = 14


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    evidence: str  # the newest data point behind it, ISO (dates and UTC times compare as text)

    @property
    def rule(self) -> str:
        return f"{RULE_PREFIX}{self.code}"

    @property
    def label(self) -> str:
        return RULES[self.code]


@dataclass
class EpisodeRisk:
    episode: Episode
    reasons: list[Reason] = field(default_factory=list)


def rules_for(programs: Sequence[Program]) -> dict[int, WarningRules]:
    """Each program's rules (one query). Reading writes nothing: a program whose rules were
    never saved gets an unsaved WarningRules with the defaults (pk None); only a director's
    save (services.save_rules, audited) creates the row."""
    found = {r.program_id: r for r in WarningRules.objects.filter(program__in=programs)}
    for p in programs:
        if p.pk not in found:
            found[p.pk] = WarningRules(program=p)
    return found


def rules_of(program: Program) -> WarningRules:
    return rules_for([program])[program.pk]


# --- formatting -------------------------------------------------------------------------


def _day(d: dt.date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _short(d: dt.date) -> str:
    return f"{d.day} {d:%b}"


def _num(value: Any) -> str:
    """4.5 -> "4.5", 3.0 -> "3", Decimal("9.00") -> "9"."""
    number = round(float(value), 1)
    return str(int(number)) if number == int(number) else f"{number:.1f}"


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- the rules (pure functions of loaded data) ------------------------------------------


def missed_in_a_row(
    rows: Iterable[tuple[dt.datetime, dt.date, str]], threshold: int
) -> Reason | None:
    """The latest run of unexcused absences (rows: the session's start instant, its local
    date, status; in order of the start instant, up to today). Attending a session ends the
    run; excused absences and sessions the program cancelled neither count nor end it. The
    evidence is the start instant of the last absence (UTC), so a second absence on the same
    day is new data."""
    if not threshold:
        return None
    run: list[tuple[dt.datetime, dt.date]] = []
    for starts_at, day, status in reversed(list(rows)):
        if status in ATTENDED:
            break
        if status == AttendanceStatus.ABSENT_UNEXCUSED:
            run.append((starts_at, day))
    if len(run) < threshold:
        return None
    run.reverse()
    days: list[tuple[dt.date, int]] = []  # a day with several groups is named once
    for _, day in run:
        if days and days[-1][0] == day:
            days[-1] = (day, days[-1][1] + 1)
        else:
            days.append((day, 1))
    named = ", ".join(_day(d) + (f" ({n} sessions)" if n > 1 else "") for d, n in days)
    return Reason(
        "missed",
        f"Missed {len(run)} sessions in a row: {named}",
        run[-1][0].astimezone(dt.UTC).isoformat(),
    )


def falling_hours(
    weeks: Sequence[tuple[dt.date, int, Decimal]], percent: int, admitted: dt.date | None
) -> Reason | None:
    """Attended hours below `percent` of that week's own target in every one of the given
    full weeks (Monday, attended minutes, target hours of the phase in effect that week), all
    of them inside the episode. A week without a target cannot be below it."""
    if not percent or not weeks or admitted is None or admitted > weeks[0][0]:
        return None
    if any(not target or minutes * 100 >= percent * target * 60 for _, minutes, target in weeks):
        return None
    hours = _and([f"{_num(m / 60)} h" for _, m, _ in weeks])
    span = "the last full week" if len(weeks) == 1 else f"the last {len(weeks)} full weeks"
    targets = [target for _, _, target in weeks]
    if len(set(targets)) == 1:
        against = f"a {_num(targets[0])} h target"
    else:
        against = f"targets of {_and([f'{_num(t)} h' for t in targets])}"
    return Reason(
        "hours",
        f"Attended {hours} in {span} against {against} (below {percent}%)",
        weeks[-1][0].isoformat(),
    )


def high_craving(
    checkins: Sequence[tuple[dt.date, dt.datetime, float]], today: dt.date, threshold: int
) -> Reason | None:
    """The latest check-in of the last 7 days rates craving at or above the threshold
    (check-ins: local date, time, craving, oldest first)."""
    if not threshold:
        return None
    recent = [c for c in checkins if today - dt.timedelta(days=6) <= c[0] <= today]
    if not recent or recent[-1][2] < threshold:
        return None
    day, at, value = recent[-1]
    return Reason(
        "craving",
        f"Craving {_num(value)}/10 on the {_short(day)} check-in (threshold {threshold})",
        at.isoformat(),
    )


def rising_craving(
    checkins: Sequence[tuple[dt.date, dt.datetime, float]], today: dt.date, rise: int
) -> Reason | None:
    """Mean craving of the last 7 days at least `rise` points above the mean of the 14 days
    before (both periods need a check-in)."""
    if not rise:
        return None
    week_from = today - dt.timedelta(days=6)
    before_from = week_from - dt.timedelta(days=14)
    recent = [c for c in checkins if week_from <= c[0] <= today]
    before = [c for c in checkins if before_from <= c[0] < week_from]
    if not recent or not before:
        return None
    mean_recent = sum(Fraction(str(c[2])) for c in recent) / len(recent)
    mean_before = sum(Fraction(str(c[2])) for c in before) / len(before)
    diff = mean_recent - mean_before
    if diff < rise:
        return None
    return Reason(
        "craving_rise",
        f"Mean craving {float(mean_recent):.1f} this week vs {float(mean_before):.1f} the two "
        f"weeks before (+{float(diff):.1f}, threshold +{rise})",
        recent[-1][1].isoformat(),
    )


def rising_phq9(totals: Sequence[tuple[dt.datetime, float]], rise: int) -> Reason | None:
    """The latest PHQ-9 total at least `rise` points above the one before (oldest first)."""
    if not rise or len(totals) < 2:
        return None
    (_, previous), (at, latest) = totals[-2], totals[-1]
    if latest - previous < rise:
        return None
    return Reason(
        "phq9",
        f"PHQ-9 rose from {_num(previous)} to {_num(latest)} (threshold +{rise})",
        at.isoformat(),
    )


def unexpected_positive(
    screens: Sequence[tuple[dt.date, dt.datetime, list[str]]], enabled: bool
) -> Reason | None:
    """The newest RESULTED screen with a positive for a substance not expected (screens:
    local collection date, resulted time, substances; in order of the resulted time, oldest
    first). A lab sample collected earlier but resulted later than a cup is the newer news:
    the evidence is the resulted time."""
    if not enabled or not screens:
        return None
    collected, resulted_at, substances = screens[-1]
    names = _and([substance_name(s) for s in sorted(substances)])
    return Reason(
        "screen",
        f"Unexpected positive for {names}, collected {_short(collected)}",
        resulted_at.isoformat(),
    )


def no_contact(
    last_contact: dt.date | None, admitted: dt.date | None, today: dt.date, days: int
) -> Reason | None:
    """No attended session or appointment and no reached outreach for `days` days. Its
    evidence moves on every further `days` days without contact, so after a follow-up it fires
    again one period later if there is still no contact."""
    if not days:
        return None
    since = last_contact or admitted
    if since is None:
        return None
    gap = (today - since).days
    if gap < days:
        return None
    what = _short(since) if last_contact else f"admission on {_short(since)}"
    return Reason(
        "no_contact",
        f"No attended session, appointment or reached outreach since {what} "
        f"({_plural(gap, 'day')}, threshold {days})",
        (since + dt.timedelta(days=(gap // days) * days)).isoformat(),
    )


# --- bulk evaluation --------------------------------------------------------------------


def in_care(program: Program, episode: Episode | None = None) -> QuerySet[Episode]:
    episodes = Episode.objects.filter(program=program, status__in=IN_CARE_STATUSES)
    if episode is not None:
        episodes = episodes.filter(pk=episode.pk)
    return episodes.select_related("patient", "program__site", "phase", "primary_clinician")


def evaluate(
    program: Program,
    today: dt.date,
    episode: Episode | None = None,
    rules: WarningRules | None = None,
) -> list[EpisodeRisk]:
    """Every in-care episode of the program (or just `episode`) with the rules that fire on
    `today` (the site's local date), in a fixed number of queries. Episodes with no reason
    are left out. Nothing fires when the program's rules are disabled."""
    rules = rules or rules_of(program)
    if not rules.enabled:
        return []
    episodes = list(in_care(program, episode).order_by("pk"))
    if not episodes:
        return []
    ids = [e.pk for e in episodes]
    tz = program.site.tz
    by_episode: dict[int, list[Reason]] = defaultdict(list)

    def local(at: dt.datetime) -> dt.date:
        return at.astimezone(tz).date()

    # Attendance: the missed-session run, and the last attended day (any time back).
    if rules.missed_in_a_row:
        # In order of the session's start instant, not of the row id: a late correction of a
        # morning session must not sort after that evening's absence.
        rows: dict[int, list[tuple[dt.datetime, dt.date, str]]] = defaultdict(list)
        for ep_id, starts_at, day, status in (
            Attendance.objects.filter(
                episode_id__in=ids,
                is_current=True,
                date__gte=today - dt.timedelta(days=MISSED_WINDOW_DAYS),
                date__lte=today,
            )
            .annotate(starts=Coalesce("occurrence__starts_at", "appointment__starts_at"))
            .order_by("starts", "id")
            .values_list("episode_id", "starts", "date", "status")
        ):
            rows[ep_id].append((starts_at, day, status))
        for ep_id, ep_rows in rows.items():
            if reason := missed_in_a_row(ep_rows, rules.missed_in_a_row):
                by_episode[ep_id].append(reason)

    # Weekly hours against the phase target, from the hours ledger (four queries).
    if rules.hours_below_percent:
        last_week = week_start(today) - dt.timedelta(days=7)
        first_week = last_week - dt.timedelta(weeks=rules.hours_weeks - 1)
        ledger = weekly_hours(episodes, first_week, last_week)
        for ep in episodes:
            weeks = [(w.week, w.attended_minutes, w.target_hours) for w in ledger[ep.pk]]
            if reason := falling_hours(weeks, rules.hours_below_percent, ep.admission_date):
                by_episode[ep.pk].append(reason)

    # Instruments: PHQ-9 totals (whole episode) and craving check-ins (last three weeks).
    wanted_codes = []
    if rules.phq9_rise:
        wanted_codes.append(PHQ9[0])
    craving_on = rules.craving_threshold or rules.craving_rise
    if craving_on:
        wanted_codes.append(CRAVING[0])
    if wanted_codes:
        checkin_from = dt.datetime.combine(today - dt.timedelta(days=21), dt.time.min, tzinfo=tz)
        phq9: dict[int, list[tuple[dt.datetime, float]]] = defaultdict(list)
        craving: dict[int, list[tuple[dt.date, dt.datetime, float]]] = defaultdict(list)
        responses = (
            Response.objects.filter(episode_id__in=ids, instrument__code__in=wanted_codes)
            .filter(~Q(instrument__code=CRAVING[0]) | Q(administered_at__gte=checkin_from))
            .order_by("administered_at", "id")
            .values_list("episode_id", "instrument__code", "administered_at", "scores")
        )
        end_of_today = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        for ep_id, code, at, scores in responses:
            if at >= end_of_today:
                continue
            if code == PHQ9[0] and scores.get(PHQ9[1]) is not None:
                phq9[ep_id].append((at, scores[PHQ9[1]]))
            elif code == CRAVING[0] and scores.get(CRAVING[1]) is not None:
                craving[ep_id].append((local(at), at, scores[CRAVING[1]]))
        for ep_id in ids:
            checkins = craving.get(ep_id, [])
            for reason in (
                high_craving(checkins, today, rules.craving_threshold),
                rising_craving(checkins, today, rules.craving_rise),
                rising_phq9(phq9.get(ep_id, []), rules.phq9_rise),
            ):
                if reason:
                    by_episode[ep_id].append(reason)

    # Drug screens: unexpected positives collected in the last two weeks; the newest by the
    # time it was resulted (a lab result can arrive after a later cup's).
    if rules.positive_screen:
        collected_from = dt.datetime.combine(
            today - dt.timedelta(days=SCREEN_WINDOW_DAYS - 1), dt.time.min, tzinfo=tz
        )
        screens: dict[int, dict[int, tuple[dt.date, dt.datetime, list[str]]]] = defaultdict(dict)
        for ep_id, screen_id, collected_at, resulted_at, substance in (
            ScreenResult.objects.filter(
                screen__episode_id__in=ids,
                screen__status=ScreenStatus.RESULTED,
                screen__collected_at__gte=collected_from,
                result=Result.POSITIVE,
                expected=False,
            )
            .order_by("screen_id", "substance")
            .values_list(
                "screen__episode_id",
                "screen_id",
                "screen__collected_at",
                "screen__resulted_at",
                "substance",
            )
        ):
            resulted = resulted_at or collected_at  # always set on a resulted screen
            entry = screens[ep_id].setdefault(screen_id, (local(collected_at), resulted, []))
            entry[2].append(substance)
        for ep_id, per_screen in screens.items():
            by_result = [
                per_screen[k] for k in sorted(per_screen, key=lambda k: (per_screen[k][1], k))
            ]
            if reason := unexpected_positive(by_result, True):
                by_episode[ep_id].append(reason)

    # Last contact: an attended session or appointment, or a reached outreach.
    if rules.no_contact_days:
        attended = dict(
            Attendance.objects.filter(
                episode_id__in=ids, is_current=True, status__in=ATTENDED, date__lte=today
            )
            .values("episode_id")
            .annotate(last=Max("date"))
            .values_list("episode_id", "last")
        )
        reached = dict(
            Outreach.objects.filter(episode_id__in=ids, outcome=ContactOutcome.REACHED)
            .values("episode_id")
            .annotate(last=Max("contacted_at"))
            .values_list("episode_id", "last")
        )
        for ep in episodes:
            contacts = [attended.get(ep.pk)]
            if ep.pk in reached:
                contacts.append(local(reached[ep.pk]))
            last = max((d for d in contacts if d is not None and d <= today), default=None)
            if reason := no_contact(last, ep.admission_date, today, rules.no_contact_days):
                by_episode[ep.pk].append(reason)

    order = list(RULES)
    return [
        EpisodeRisk(ep, sorted(by_episode[ep.pk], key=lambda r: order.index(r.code)))
        for ep in episodes
        if by_episode.get(ep.pk)
    ]


# --- reading flags ------------------------------------------------------------------------


def open_flags(user: Any, program_ids: Sequence[int], responsible: Any = None) -> QuerySet[Alert]:
    """Open engagement flags of in-care episodes in these programs, never of a chart hidden
    from the user (and only those `responsible` must follow up, when given)."""
    in_care_episode = Episode.objects.filter(
        pk=Cast(OuterRef("source_id"), BigIntegerField()), status__in=IN_CARE_STATUSES
    )
    flags = Alert.objects.filter(
        not_hidden(user),
        Exists(in_care_episode),
        source=EARLY_WARNING_SOURCE,
        status=AlertStatus.OPEN,
        program_id__in=list(program_ids),
    )
    if responsible is not None:
        flags = flags.filter(responsible=responsible)
    return flags


def recent_follow_ups(
    user: Any, program_ids: Sequence[int], days: int, responsible: Any = None
) -> QuerySet[Alert]:
    """Engagement flags followed up in the last `days` days, newest first."""
    flags = Alert.objects.filter(
        not_hidden(user),
        source=EARLY_WARNING_SOURCE,
        status=AlertStatus.FOLLOWED_UP,
        program_id__in=list(program_ids),
        followed_up_at__gte=timezone.now() - dt.timedelta(days=days),
    )
    if responsible is not None:
        flags = flags.filter(responsible=responsible)
    return flags.order_by("-followed_up_at", "-id")
